#!/usr/bin/env bash
# Install the Debian 12 packages skiff needs to build, test and run its
# default guest, only those missing. Needs root (CI runs as root).
set -euo pipefail

PACKAGES=(build-essential clang libcmocka-dev liburing-dev libseccomp-dev
	  qemu-system-x86 busybox-static cpio xz-utils kmod valgrind gzip
	  iproute2)

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: need root to install packages: ${missing[*]}" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
