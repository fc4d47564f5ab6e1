#!/usr/bin/env bash
# Runs every libFuzzer target in BUILD_DIR for a share of TOTAL_SECONDS, starting from its
# seed corpus in tests/fuzz/corpus/<name>/ (copied: the committed corpus is not grown).
# TOTAL_SECONDS is fuzzing time summed over the targets; JOBS targets run at once (one core
# each, so on 2 cores the 72 s default take about 36 s of wall time), each still for its share.
# Fails on a crash, leak, timeout or sanitizer report in any target; the reproducer is kept in
# BUILD_DIR/artifacts/. Run longer with e.g. `FUZZ_SECONDS=3600 make fuzz-smoke` or one
# target directly (docs/security.md).
set -euo pipefail
build=${1:?usage: fuzz-smoke.sh BUILD_DIR [TOTAL_SECONDS [JOBS]]}
total=${2:-72}
jobs=${3:-1}
root=$(cd "$(dirname "$0")/.." && pwd)

mapfile -t targets < <(find "$build/tests/fuzz" -maxdepth 1 -type f -name 'fuzz_*' -perm -u+x | sort)
[ ${#targets[@]} -gt 0 ] || { echo "fuzz-smoke: no fuzz targets in $build/tests/fuzz" >&2; exit 1; }
each=$(( total / ${#targets[@]} ))
[ "$each" -ge 1 ] || each=1
[ "$jobs" -ge 1 ] || jobs=1

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
mkdir -p "$build/artifacts"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for exe in "${targets[@]}"; do
  name=$(basename "$exe"); name=${name#fuzz_}
  [ -d "$root/tests/fuzz/corpus/$name" ] || { echo "fuzz-smoke: no seed corpus $root/tests/fuzz/corpus/$name" >&2; exit 1; }
done

# One target: its log in $work/<name>.log, its exit status in $work/<name>.status.
run_one() {
  local exe=$1 name max_len status=0
  name=$(basename "$exe"); name=${name#fuzz_}
  mkdir -p "$work/$name"
  max_len=4096
  [ "$name" = store_open ] && max_len=65536
  "$exe" -max_total_time="$each" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
    -artifact_prefix="$build/artifacts/$name-" -print_final_stats=1 \
    "$work/$name" "$root/tests/fuzz/corpus/$name" > "$work/$name.log" 2>&1 || status=$?
  echo "$status" > "$work/$name.status"
}

echo "fuzz-smoke: ${#targets[@]} targets, ${each}s each, $jobs at a time"
running=0
for exe in "${targets[@]}"; do
  if [ "$running" -ge "$jobs" ]; then wait -n || true; running=$((running - 1)); fi
  run_one "$exe" &
  running=$((running + 1))
done
wait

failed=0
for exe in "${targets[@]}"; do
  name=$(basename "$exe"); name=${name#fuzz_}
  if [ "$(cat "$work/$name.status" 2>/dev/null || echo missing)" != 0 ]; then
    tail -n 60 "$work/$name.log" >&2
    echo "fuzz-smoke: $name FAILED; reproducer in $build/artifacts/ (run: $exe FILE)" >&2
    failed=1
  else
    echo "fuzz-smoke: $name: $(grep -E '^stat::number_of_executed_units' "$work/$name.log" | tail -n 1 || true)"
  fi
done
[ "$failed" = 0 ] || exit 1
echo "fuzz-smoke: ${#targets[@]} targets, no findings"
