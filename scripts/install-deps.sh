#!/usr/bin/env bash
# Installs the system packages the build needs, only those that are missing, so that a
# second run costs nothing; a minimal Debian 12 or 13 (debootstrap minbase: scripts/fresh-check.sh)
# needs all of them. Debian 12 ships Boost 1.74 as its default, so there we ask for the 1.81
# packages by name; Debian 13's default Boost (1.83) is new enough. The compiled Boost.JSON and
# Boost.URL libraries are needed from 1.83 on (cpp/cmake/BoostSources.cmake). CMake and Ninja
# come from pip, into the venv. python3-dev: the headers the Python module is built against
# (Debian's python3 has none without it); python3-venv: `python3 -m venv`. No libpq: the
# PostgreSQL store loads it at run time (the tests install it: the Makefile's TEST_SYSTEM_PACKAGES).
set -euo pipefail

packages=(g++ make pkg-config ccache git ca-certificates python3-dev python3-venv
          libssl-dev libsqlite3-dev sqlite3)
debian_major=$(cut -d. -f1 /etc/debian_version 2>/dev/null || echo unknown)
case "$debian_major" in
  12) packages+=(libboost1.81-dev libboost-json1.81-dev libboost-url1.81-dev) ;;
  *)  packages+=(libboost-dev libboost-json-dev libboost-url-dev) ;;
esac
# Extra packages a caller asks for (e.g. chromium for the browser test).
packages+=("$@")

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "install-deps: installing ${missing[*]}"
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
