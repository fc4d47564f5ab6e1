#!/usr/bin/env bash
# Installs the system packages the build needs, only those that are missing, so that a
# second run costs nothing. Debian 12 ships Boost 1.74 as its default, so there we ask
# for the 1.81 packages by name; Debian 13's default Boost is new enough.
set -euo pipefail

packages=(g++ make pkg-config ccache libssl-dev libsqlite3-dev libgtest-dev sqlite3)
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
