#!/usr/bin/env bash
# tiny-bzimage.sh OUT HEX: write a minimal bzImage whose 64-bit entry point
# (protected-mode load address + 0x200, boot.rst "64-bit Boot Protocol")
# runs the machine code HEX (e.g. "0f0b" for ud2). Just the setup-header
# fields a loader checks; a tiny guest for exits Linux cannot easily cause.
set -euo pipefail
out=${1:?output} hex=${2:?machine code in hex}

put() { # put OFFSET HEXBYTES (little-endian already)
	printf "$(sed 's/../\\x&/g' <<<"$2")" |
		dd of="$out" bs=1 seek=$(($1)) conv=notrunc status=none
}
setup_sects=1
pm_size=4096
head -c $(((setup_sects + 1) * 512 + pm_size)) /dev/zero >"$out"
put 0x1f1 01                 # setup_sects
put 0x1f4 00010000           # syssize: 4096 / 16 = 0x100 paragraphs
put 0x1fe 55aa               # boot_flag
put 0x201 66                 # header ends at 0x268
put 0x202 48647253           # "HdrS"
put 0x206 0c02               # protocol 2.12
put 0x211 01                 # loadflags: LOADED_HIGH
put 0x22c ffffff7f           # initrd_addr_max
put 0x236 0100               # xloadflags: XLF_KERNEL_64
put 0x238 ff070000           # cmdline_size 2047
put 0x260 00001000           # init_size 1 MiB
put $(((setup_sects + 1) * 512 + 0x200)) "$hex"
