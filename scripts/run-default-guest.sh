#!/usr/bin/env bash
# `make run`: build what is missing and boot the default guest into an
# interactive shell. Uses this machine's /dev/kvm when it is usable, else
# says so and boots the same thing inside the nested sandbox.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
bash scripts/deps.sh
make -s all
bash guest/build.sh
boot=(build/skiff run --kernel build/guest/vmlinuz --initrd build/guest/initrd.img "$@")
mkdir -p build
cc -O2 -o build/kvm-probe tests/sandbox/kvm-probe.c
if why=$(build/kvm-probe); then
	exec "${boot[@]}"
fi
echo "skiff: ${why#kvm-probe: }; booting inside the nested sandbox (QEMU TCG) instead" >&2
exec env SKIFF_SANDBOX=nested tests/sandbox/run --interactive --timeout 86400 -- "${boot[@]}"
