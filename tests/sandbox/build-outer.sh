#!/usr/bin/env bash
# Build the sandbox's outer guest into build/sandbox/: the same Debian kernel
# as the default guest plus an initramfs with KVM, 9p, tun/vhost and vsock
# modules (SANDBOX-NOTES.md lists why each is there). Cached.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
top=$here/../..
OUT=$top/build/sandbox
CACHE=$top/build/guest/cache
mkdir -p "$OUT" "$CACHE"
# shellcheck source=guest/lib.sh
. "$top/guest/lib.sh"

MODULES=(kvm-amd virtio_pci 9pnet_virtio 9p tun tap vhost_net vhost_vsock vsock
	 vmw_vsock_virtio_transport_common)

ver=$(fetch_kernel)
stamp="$ver $(cat "$top/guest/lib.sh" "$here/build-outer.sh" "$here/outer-init" | sha256sum | cut -c1-16)"
[ -f "$OUT/outer.img" ] && [ "$(cat "$OUT/stamp" 2>/dev/null)" = "$stamp" ] && exit 0

root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
mkdir -p "$root"/{bin,dev,proc,sys,host}
cp /bin/busybox "$root/bin/busybox"
install -m 0755 "$here/outer-init" "$root/init"
install_modules "$ver" "$root" "${MODULES[@]}"
pack_cpio "$root" "$OUT/outer.img"
cp "$CACHE/root/boot/vmlinuz-$ver" "$OUT/vmlinuz"
echo "$stamp" >"$OUT/stamp"
