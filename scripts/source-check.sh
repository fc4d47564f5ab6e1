#!/usr/bin/env bash
# Proves that `pip install .` works from a checkout on a machine with a compiler, Python's
# headers and OpenSSL's and SQLite's development files, and no Boost: a minimal Debian
# (debootstrap --variant=minbase plus g++, python3-dev, python3-venv, libssl-dev,
# libsqlite3-dev), a venv inside it, `pip install` of the committed sources (git archive HEAD),
# which takes Boost's headers, CMake and Ninja from PyPI, then `harvest-connect demo`.
#
# usage: scripts/source-check.sh [CACHE_DIR]     (default build/source-check; needs root)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/minimal-debian.sh"

root=$(realpath -m "${1:-build/source-check}")/$(debian_suite)
minimal_debian "$root" g++,python3-dev,python3-venv,libssl-dev,libsqlite3-dev
if [ -e "$root/usr/include/boost" ]; then echo "source-check: $root has Boost: that would prove nothing" >&2; exit 1; fi

enter_debian "$root"
cp -L /etc/resolv.conf "$root/etc/resolv.conf"   # pip downloads the build requirements
work=/opt/source-check
rm -rf --one-file-system "${root:?}$work"
mkdir -p "$root$work/src"
git -C "$here/.." archive HEAD | tar -x -C "$root$work/src"

in_debian "$root" python3 -m venv "$work/venv"
in_debian "$root" "$work/venv/bin/pip" install --disable-pip-version-check -q "$work/src"
in_debian "$root" "$work/venv/bin/harvest-connect" demo
echo "source-check: pip install . works on a minimal Debian $(debian_suite) without Boost"
