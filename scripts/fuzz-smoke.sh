#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for a share of TOTAL_SECONDS, starting from its
# seed corpus in tests/fuzz/corpus/<name>/ (copied: the committed corpus is not grown).
# Fails on the first crash, leak, timeout or sanitizer report; the reproducer is kept in
# BUILD_DIR/artifacts/. Run longer with e.g. `FUZZ_SECONDS=3600 make fuzz-smoke` or one
# target directly (docs/security.md).
set -euo pipefail
build=${1:?usage: fuzz-smoke.sh BUILD_DIR [TOTAL_SECONDS]}
total=${2:-72}
root=$(cd "$(dirname "$0")/.." && pwd)

mapfile -t targets < <(find "$build/tests/fuzz" -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x | sort)
[ ${#targets[@]} -gt 0 ] || { echo "fuzz-smoke: no fuzz targets in $build/tests/fuzz" >&2; exit 1; }
each=$(( total / ${#targets[@]} ))
[ "$each" -ge 1 ] || each=1

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
mkdir -p "$build/artifacts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for exe in "${targets[@]}"; do
  name=$(basename "$exe"); name=${name#fuzz_}
  seeds="$root/tests/fuzz/corpus/$name"
  [ -d "$seeds" ] || { echo "fuzz-smoke: no seed corpus $seeds" >&2; exit 1; }
  mkdir -p "$work/$name"
  max_len=4096
  [ "$name" = store_open ] && max_len=65536
  echo "fuzz-smoke: $name for ${each}s"
  if ! "$exe" -max_total_time="$each" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
      -artifact_prefix="$build/artifacts/$name-" -print_final_stats=1 \
      "$work/$name" "$seeds" > "$work/$name.log" 2>&1; then
    tail -n 60 "$work/$name.log" >&2
    echo "fuzz-smoke: $name FAILED; reproducer in $build/artifacts/ (run: $exe FILE)" >&2
    exit 1
  fi
  grep -E '^stat::number_of_executed_units|^#[0-9]+.*DONE' "$work/$name.log" | tail -n 2 || true
done
echo "fuzz-smoke: ${#targets[@]} targets, no findings"
