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

wheel=$(realpath "${1:?usage: scripts/wheel-check.sh WHEEL [CACHE_DIR]}")
cache=$(realpath -m "${2:-build/wheel-check}")
here=$(cd "$(dirname "$0")" && pwd)
# The release of the machine we build on: the wheel is checked on the same Debian release
# (bookworm's glibc is the newest the wheel may need; see docs/getting-started.md).
suite=$(. /etc/os-release && echo "${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}")
root=$cache/$suite
[ "$(id -u)" -eq 0 ] || { echo "wheel-check: needs root (debootstrap and chroot); run it with sudo" >&2; exit 1; }
command -v debootstrap >/dev/null || {
  echo "wheel-check: installing debootstrap"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
}

# The host's own Debian mirror (deb822 .sources first, then the one-line format).
mirror=$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
[ -n "$mirror" ] || mirror=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
mirror=${mirror:-http://deb.debian.org/debian}

if [ ! -e "$root/.ready" ]; then
  echo "wheel-check: creating a minimal $suite root filesystem in $root (from $mirror; once)"
  rm -rf "$root"
  mkdir -p "$root"
  nice -n 10 debootstrap --variant=minbase --include=python3,python3-venv "$suite" "$root" "$mirror"
  touch "$root/.ready"
fi

mounted=()
cleanup() {
  local i
  for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do umount -l "${mounted[i]}" 2>/dev/null || true; done
}
trap cleanup EXIT
for fs in proc sys dev; do
  mount --bind "/$fs" "$root/$fs"
  mounted+=("$root/$fs")
done

# pip inside the chroot uses the host's pip configuration (index, certificates).
for f in /etc/pip.conf; do [ -e "$f" ] && cp -L "$f" "$root$f"; done
if [ -e /root/.config/pip/pip.conf ]; then mkdir -p "$root/root/.config/pip" && cp /root/.config/pip/pip.conf "$root/root/.config/pip/"; fi

work=/opt/wheel-check
rm -rf "${root:?}$work"
mkdir -p "$root$work"
cp "$wheel" "$here/wheel-check-store.py" "$root$work/"
name=$(basename "$wheel")

# The image must lack what building needs; otherwise this would prove nothing.
for absent in usr/bin/gcc usr/bin/g++ usr/include/openssl usr/include/sqlite3.h usr/include/boost; do
  if [ -e "$root/$absent" ]; then echo "wheel-check: $root/$absent exists: the image is not minimal" >&2; exit 1; fi
done

run() { nice -n 10 chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 "$@"; }
run python3 --version
run python3 -m venv "$work/venv"
# --no-index: the wheel alone must be enough (it declares no dependencies).
run "$work/venv/bin/pip" install --no-index --disable-pip-version-check -q "$work/$name"
run "$work/venv/bin/harvest-connect" demo
run "$work/venv/bin/python" "$work/wheel-check-store.py"
echo "wheel-check: $name works on a minimal Debian $suite with $(run python3 --version)"
