# Sourced by scripts/wheel-check.sh and scripts/source-check.sh: a minimal Debian root
# filesystem (debootstrap --variant=minbase) of the host's release, made once and reused, and
# a chroot into it with /proc, /sys and /dev mounted for the run and unmounted on exit.
# Needs root.

# The host's release and its Debian mirror (deb822 .sources first, then the one-line format).
debian_suite() { (. /etc/os-release && echo "${VERSION_CODENAME:?no VERSION_CODENAME in /etc/os-release}"); }
debian_mirror() {
  local m
  m=$(grep -h '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
  [ -n "$m" ] || m=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v security | head -n1 || true)
  echo "${m:-http://deb.debian.org/debian}"
}

# minimal_debian ROOT PACKAGES: creates ROOT (minbase + the comma-separated PACKAGES) unless
# a previous run finished it.
minimal_debian() {
  local root=$1 packages=$2 suite mirror
  [ "$(id -u)" -eq 0 ] || { echo "$0: needs root (debootstrap and chroot); run it with sudo" >&2; exit 1; }
  command -v debootstrap >/dev/null || {
    echo "$0: installing debootstrap"
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
  }
  [ -e "$root/.ready" ] && return 0
  suite=$(debian_suite)
  mirror=$(debian_mirror)
  echo "$0: creating a minimal Debian $suite with $packages in $root (from $mirror; once)"
  # --one-file-system: never into a mount an interrupted run left behind.
  rm -rf --one-file-system "$root"
  mkdir -p "$root"
  nice -n 10 debootstrap --variant=minbase --include="$packages" "$suite" "$root" "$mirror"
  touch "$root/.ready"
}

# enter_debian ROOT: mounts /proc, /sys, /dev into ROOT until the script exits, and copies
# the host's pip configuration (index, certificates) in.
_mounted=()
_unmount_all() {
  local i
  for ((i = ${#_mounted[@]} - 1; i >= 0; i--)); do umount -l "${_mounted[i]}" 2>/dev/null || true; done
}
enter_debian() {
  local root=$1 fs
  trap _unmount_all EXIT
  for fs in proc sys dev; do
    mount --bind "/$fs" "$root/$fs"
    _mounted+=("$root/$fs")
  done
  local conf cert
  for conf in /etc/pip.conf /root/.config/pip/pip.conf; do
    [ -e "$conf" ] || continue
    mkdir -p "$root$(dirname "$conf")" && cp -L "$conf" "$root$conf"
    # The certificate bundle it names, so that pip trusts what it trusts on the host.
    cert=$(sed -n 's/^[[:space:]]*cert[[:space:]]*=[[:space:]]*//p' "$conf" | head -n1)
    if [ -n "$cert" ] && [ -f "$cert" ]; then mkdir -p "$root$(dirname "$cert")" && cp -L "$cert" "$root$cert"; fi
  done
  return 0
}

# in_debian ROOT COMMAND...: runs COMMAND in the chroot with a clean environment, niced.
in_debian() {
  local root=$1
  shift
  nice -n 10 chroot "$root" /usr/bin/env -i HOME=/root PATH=/usr/local/bin:/usr/bin:/bin LANG=C.UTF-8 "$@"
}
