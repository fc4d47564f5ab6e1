#!/usr/bin/env bash
# The README's promise, checked as a new user would meet it: for each Debian release given
# (default: bookworm trixie), a minimal root filesystem (debootstrap minbase with only git, make,
# python3, python3-venv and ca-certificates), a clone of this checkout's HEAD in it, and, as
# root in a chroot, `make deps`, `make demo` and the C++ package consumer (`make package-test`).
# `make deps` is what `make demo` runs first; it is run on its own only to time it apart.
#
# The chroot reaches the same package indexes as the host: the host's apt mirror and proxy,
# its pip configuration (files and PIP_* variables; local wheel and index directories it names
# are bind-mounted read-only) and its CA certificates.
#
# Under build/fresh/<release>/: base/ is the debootstrap result, kept and reused (delete it to
# start over); root/ is a fresh copy of it for every run, so each run starts from the minimal
# system; apt/ and pip/ keep downloaded packages; <step>.log is each step's output.
# build/fresh/ccache is one ccache directory for every release's builds.
# FRESH_STEPS="deps test" (any make targets) runs other steps instead of the default three.
# Needs root (debootstrap, chroot, mount); installs debootstrap when it is missing.
set -euo pipefail

releases=("$@")
[ ${#releases[@]} -gt 0 ] || releases=(bookworm trixie)
[ "$(id -u)" -eq 0 ] || { echo "fresh-check: needs root (debootstrap, chroot, mount): run it with sudo" >&2; exit 1; }

checkout=$(git -C "$(dirname "$0")/.." rev-parse --show-toplevel)
mkdir -p "$checkout/build/fresh/ccache"
# The physical path: /proc/self/mounts names mounts by it, so a build/ reached through a
# symbolic link would otherwise hide the mounts unmount_all must find.
fresh=$(cd "$checkout/build/fresh" && pwd -P)
if [ -n "$(git -C "$checkout" status --porcelain --untracked-files=no)" ]; then
  echo "fresh-check: note: uncommitted changes are not checked (the chroot gets a clone of HEAD)" >&2
fi

# --- what the chroot copies from the host ---------------------------------------------------
host_codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")

# The URI of the host's (enabled, deb) apt source for <suite>, from sources.list (one-line
# format) or sources.list.d/*.sources (deb822); empty when there is none.
host_apt_uri() {
  local suite=$1 f
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    sed -E 's/^deb[ \t]+\[[^]]*\]/deb/' "$f" | awk -v s="$suite" '$1 == "deb" && $3 == s { print $2; exit }'
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v s="$suite" 'BEGIN { RS = ""; FS = "\n" }
      { types = uris = suites = ""; enabled = "yes"
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^Types:/)   types = " " substr($i, 7) " "
          if ($i ~ /^URIs:/)    uris = substr($i, 6)
          if ($i ~ /^Suites:/)  suites = " " substr($i, 8) " "
          if ($i ~ /^Enabled:/) enabled = substr($i, 9)
        }
        gsub(/[ \t]+/, " ", suites); gsub(/[ \t]+/, " ", types); gsub(/^[ \t]+/, "", uris); gsub(/[ \t]+/, "", enabled)
        if (enabled != "no" && types ~ / deb / && suites ~ (" " s " ")) { split(uris, u, " "); print u[1]; exit }
      }' "$f"
  done
}
mirror=${FRESH_MIRROR:-$( [ -n "$host_codename" ] && host_apt_uri "$host_codename" | head -n1)}
mirror=${mirror:-http://deb.debian.org/debian}
security_mirror=${FRESH_SECURITY_MIRROR:-$( [ -n "$host_codename" ] && host_apt_uri "$host_codename-security" | head -n1)}
security_mirror=${security_mirror:-http://deb.debian.org/debian-security}
echo "fresh-check: apt mirror $mirror, security $security_mirror"

# Local directories the pip configuration names (find-links, file:// indexes, PIP_* values):
# bind-mounted read-only at the same path. An index directory ".../simple" links to files
# beside it, so its parent is mounted.
pip_config_files=()
for f in /etc/pip.conf /etc/xdg/pip/pip.conf "$HOME/.config/pip/pip.conf" "$HOME/.pip/pip.conf" ${PIP_CONFIG_FILE:-}; do
  [ -f "$f" ] && pip_config_files+=("$f")
done
pip_local_dirs() {
  { [ ${#pip_config_files[@]} -eq 0 ] || cat "${pip_config_files[@]}"; env | grep '^PIP_' || true; } |
    grep -oE '(file://)?/[^[:space:]"'\'',;]+' | sed -E 's#^file://##; s#/+$##' | sort -u |
    while read -r p; do
      case "$p" in */simple) p=${p%/simple} ;; esac
      case "$p" in /etc/*|/root/*|/home/*|/usr/*) continue ;; esac   # copied, or the system's own
      [ -d "$p" ] && echo "$p"
    done | sort -u
}

# --- mounts: always undone, also on failure or interruption ---------------------------------
root=""
unmount_all() {
  [ -n "$root" ] || return 0
  # Deepest first; lazily if something still holds a mount (e.g. a leftover process).
  awk -v r="$root/" 'index($2, r) == 1 { print $2 }' /proc/self/mounts | sort -r |
    while read -r m; do umount "$m" 2>/dev/null || umount -l "$m"; done
}
trap unmount_all EXIT
trap 'exit 130' INT TERM

run_in_chroot() {   # <log> <command...>: as root in the chroot, niced, with the host's pip/proxy env
  local log=$1; shift
  nice -n 10 chroot "$root" /usr/bin/env -i HOME=/root TERM=dumb LANG=C.UTF-8 \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    bash -c 'set -a; . /root/.fresh-check.env; set +a; cd /root/harvest-connect && "$@"' bash "$@" \
    > "$log" 2>&1
}

summary=()
elapsed() { echo $(( $(date +%s) - $1 )); }

for rel in "${releases[@]}"; do
  dir=$fresh/$rel
  mkdir -p "$dir/apt/partial" "$dir/pip"
  echo "fresh-check: $rel"

  # 1. The minimal system, made once.
  t=$(date +%s)
  if [ ! -d "$dir/base" ]; then
    if ! command -v debootstrap >/dev/null; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends debootstrap
    fi
    rm -rf --one-file-system "$dir/base.tmp"
    echo "fresh-check: $rel: debootstrap (log: $dir/debootstrap.log)"
    debootstrap --variant=minbase --include=git,make,python3,python3-venv,ca-certificates \
      "$rel" "$dir/base.tmp" "$mirror" > "$dir/debootstrap.log" 2>&1 ||
      { echo "fresh-check: $rel: debootstrap failed: see $dir/debootstrap.log" >&2; exit 1; }
    mv "$dir/base.tmp" "$dir/base"
    t_debootstrap="$(elapsed "$t") s"
  else
    t_debootstrap="cached"
  fi

  # 2. A fresh copy of it, with the host's apt sources, proxy, CA certificates and pip setup.
  root=$dir/root
  unmount_all                                  # a previous run killed before its trap ran
  # Never delete through a mount: the bind mounts (caches, the host's package directories)
  # would lose their contents.
  if awk -v r="$root/" 'index($2, r) == 1 { found = 1 } END { exit !found }' /proc/self/mounts; then
    echo "fresh-check: $rel: something is still mounted under $root; unmount it (see /proc/self/mounts) and run again" >&2
    exit 1
  fi
  rm -rf --one-file-system "$root"
  cp -a "$dir/base" "$root"
  security_suite=$rel-security
  printf 'deb %s %s main\ndeb %s %s-updates main\ndeb %s %s main\n' \
    "$mirror" "$rel" "$mirror" "$rel" "$security_mirror" "$security_suite" > "$root/etc/apt/sources.list"
  rm -f "$root"/etc/apt/sources.list.d/*
  apt-config dump | grep -E '^Acquire::[a-z]+::Proxy ' > "$root/etc/apt/apt.conf.d/00host-proxy" || true
  if [ -d /usr/local/share/ca-certificates ]; then
    cp -a /usr/local/share/ca-certificates/. "$root/usr/local/share/ca-certificates/"
  fi
  [ -f /etc/pip.conf ] && cp -a /etc/pip.conf "$root/etc/pip.conf"
  [ -d /etc/xdg/pip ] && mkdir -p "$root/etc/xdg" && cp -a /etc/xdg/pip "$root/etc/xdg/"
  [ -d "$HOME/.config/pip" ] && mkdir -p "$root/root/.config" && cp -a "$HOME/.config/pip" "$root/root/.config/"
  [ -d "$HOME/.pip" ] && cp -a "$HOME/.pip" "$root/root/"
  if [ -n "${PIP_CONFIG_FILE:-}" ] && [ -f "$PIP_CONFIG_FILE" ]; then
    mkdir -p "$root$(dirname "$PIP_CONFIG_FILE")" && cp -a "$PIP_CONFIG_FILE" "$root$PIP_CONFIG_FILE"
  fi
  # The variables go in a root-only file, not on a command line (an index URL may hold a password).
  ( umask 077
    env | grep -E '^(PIP_[A-Z0-9_]*|https?_proxy|HTTPS?_PROXY|no_proxy|NO_PROXY)=' | cut -d= -f1 |
      while read -r v; do printf 'export %s=%q\n' "$v" "${!v}"; done > "$root/root/.fresh-check.env" )
  git clone -q "$checkout" "$root/root/harvest-connect"

  # 3. Mounts: the kernel's file systems, caches, and the pip configuration's local directories.
  mount -t proc proc "$root/proc"
  mount --rbind /sys "$root/sys" && mount --make-rslave "$root/sys"
  mount --rbind /dev "$root/dev" && mount --make-rslave "$root/dev"
  mkdir -p "$root/root/.cache/ccache" "$root/root/.cache/pip"
  mount --bind "$fresh/ccache" "$root/root/.cache/ccache"
  mount --bind "$dir/pip" "$root/root/.cache/pip"
  mount --bind "$dir/apt" "$root/var/cache/apt/archives"
  while read -r d; do
    mkdir -p "$root$d"
    mount --bind "$d" "$root$d" && mount -o remount,bind,ro "$root$d"
  done < <(pip_local_dirs)
  run_in_chroot "$dir/ca.log" update-ca-certificates
  # Whatever else the host trusts (e.g. certificates added to the bundle by hand).
  cp /etc/ssl/certs/ca-certificates.crt "$root/etc/ssl/certs/ca-certificates.crt"

  # 4. The README's commands.
  times="$rel: debootstrap $t_debootstrap"
  for step in ${FRESH_STEPS:-deps demo package-test}; do
    echo "fresh-check: $rel: make $step (log: $dir/$step.log)"
    t=$(date +%s)
    if ! run_in_chroot "$dir/$step.log" make "$step"; then
      echo "fresh-check: $rel: make $step FAILED after $(elapsed "$t") s; the end of $dir/$step.log:" >&2
      tail -n 30 "$dir/$step.log" >&2
      exit 1
    fi
    times+=", $step $(elapsed "$t") s"
  done
  versions=$(chroot "$root" sh -c 'printf "Debian %s, " "$(cat /etc/debian_version)"; python3 --version; g++ --version | head -n1' | tr '\n' ' ')
  summary+=("$times  [$versions]")
  unmount_all
  echo "fresh-check: $rel passed: ${summary[-1]}"
done

echo "fresh-check: all passed"
printf '  %s\n' "${summary[@]}"
