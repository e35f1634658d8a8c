#!/usr/bin/env bash
# Build the default guest into OUTDIR (default build/guest): the Debian
# kernel (vmlinuz) and a busybox initramfs (initrd.img) whose /init loads
# the virtio modules, prints SKIFF-GUEST-INIT-REACHED, then runs /test.sh
# if present or an interactive shell, and powers off. Cached: rebuilt only
# when this folder or the kernel package changes.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
OUT=${1:-$here/../build/guest}
CACHE=$OUT/cache
mkdir -p "$OUT" "$CACHE"
# shellcheck source=guest/lib.sh
. "$here/lib.sh"

# Loaded by /init in this order (dependencies resolved at build time):
# the transports and devices later issues use, ext4 for disk images and
# pvpanic so a guest panic reaches skiff; msr (/dev/cpu/N/msr) for the
# tests that read what skiff set in the vCPUs' MSRs.
MODULES=(virtio_pci virtio_blk virtio_net virtio_console virtio-rng vsock
	 vmw_vsock_virtio_transport virtio_pmem nd_pmem ext4 pvpanic-mmio msr)

ver=$(fetch_kernel)
stamp="$ver $(cat "$here/lib.sh" "$here/build.sh" "$here/init" | sha256sum | cut -c1-16)"
if [ -f "$OUT/initrd.img" ] && [ "$(cat "$OUT/stamp" 2>/dev/null)" = "$stamp" ]; then
	exit 0
fi

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,tmp,root}
cp /bin/busybox "$root/bin/busybox"
install -m 0755 "$here/init" "$root/init"
install_modules "$ver" "$root" "${MODULES[@]}"
pack_cpio "$root" "$OUT/initrd.img.new"
cp "$CACHE/root/boot/vmlinuz-$ver" "$OUT/vmlinuz"
mv "$OUT/initrd.img.new" "$OUT/initrd.img"
echo "$ver" >"$OUT/kernel-version"
echo "$stamp" >"$OUT/stamp"
echo "guest: built $OUT (kernel $ver, $(wc -l <"$root/lib/modules/order") modules)"
