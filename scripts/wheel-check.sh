#!/usr/bin/env bash
# Proves that a built wheel installs and works on a machine with none of the build's
# dependencies: a minimal Debian root filesystem (debootstrap --variant=minbase, plus only
# python3 and python3-venv: no compiler, no libssl-dev, no Boost), a venv inside it, the wheel
# installed with pip, then `harvest-connect demo` and scripts/wheel-check-store.py run there.
#
# usage: scripts/wheel-check.sh WHEEL [CACHE_DIR]
# The root filesystem is kept in CACHE_DIR (default build/wheel-check) and reused; each run
# makes a new venv in it, so a second run downloads nothing. Needs root (debootstrap, chroot).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/minimal-debian.sh"

wheel=$(realpath "${1:?usage: scripts/wheel-check.sh WHEEL [CACHE_DIR]}")
root=$(realpath -m "${2:-build/wheel-check}")/$(debian_suite)
minimal_debian "$root" python3,python3-venv

# The image must lack what building needs; otherwise this would prove nothing.
for absent in usr/bin/gcc usr/bin/g++ usr/bin/cc usr/include/openssl usr/include/sqlite3.h usr/include/boost; do
  if [ -e "$root/$absent" ]; then echo "wheel-check: $root/$absent exists: the image is not minimal" >&2; exit 1; fi
done

enter_debian "$root"
work=/opt/wheel-check
rm -rf --one-file-system "${root:?}$work"
mkdir -p "$root$work"
cp "$wheel" "$here/wheel-check-store.py" "$root$work/"
name=$(basename "$wheel")

in_debian "$root" python3 -m venv "$work/venv"
# --no-index: the wheel alone must be enough (it declares no dependencies).
in_debian "$root" "$work/venv/bin/pip" install --no-index --disable-pip-version-check -q "$work/$name"
in_debian "$root" "$work/venv/bin/harvest-connect" demo
in_debian "$root" "$work/venv/bin/python" "$work/wheel-check-store.py"
echo "wheel-check: $name works on a minimal Debian $(debian_suite) with $(in_debian "$root" python3 --version)"
