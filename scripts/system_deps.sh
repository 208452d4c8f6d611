#!/usr/bin/env bash
# Installs the Debian packages the tests need (QR decoder, browser, a font; ip, nginx and socat for
# the multi-host test, tests/scale/hosts.py), only those missing.
# apt-get runs only when something is missing, so a prepared machine pays nothing for this.
set -euo pipefail

packages=(zbar-tools chromium chromium-driver fonts-dejavu-core iproute2 nginx socat)
missing=()
for package in "${packages[@]}"; do
  if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed"; then
    continue
  fi
  missing+=("$package")
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "system deps: all present (${packages[*]})"
  exit 0
fi

if ! command -v apt-get >/dev/null; then
  echo "system deps: missing ${missing[*]} and no apt-get here; install them with your package manager" >&2
  exit 1
fi

sudo=()
[ "$(id -u)" -ne 0 ] && sudo=(sudo)
echo "system deps: installing ${missing[*]}"
# Another apt run (a parallel job) may hold the lock: wait for it instead of failing.
"${sudo[@]}" apt-get -o DPkg::Lock::Timeout=300 update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=300 install -y -qq \
  --no-install-recommends "${missing[@]}"
echo "system deps: installed ${missing[*]}"
