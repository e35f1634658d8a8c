# Shared by guest/build.sh and tests/sandbox/build-outer.sh: fetch the
# Debian kernel package once and list modules in load order.
# Sourced; expects CACHE (a folder) to be set.

# The versioned package linux-image-amd64 points at, e.g. linux-image-6.1.0-56-amd64.
debian_kernel_package() {
	apt-cache depends linux-image-amd64 2>/dev/null |
		awk '/Depends: linux-image-[0-9]/ { print $2; exit }'
}

# Unpack the kernel package into $CACHE/root (no installation, no host
# initramfs) and print the kernel version. Reuses what is already there.
fetch_kernel() {
	local pkg ver
	pkg=$(debian_kernel_package)
	[ -n "$pkg" ] || { echo "guest: cannot resolve linux-image-amd64 (apt-get update?)" >&2; return 1; }
	ver=${pkg#linux-image-}
	if [ ! -f "$CACHE/root/boot/vmlinuz-$ver" ]; then
		mkdir -p "$CACHE/deb"
		(cd "$CACHE/deb" && apt-get download -q "$pkg" >/dev/null 2>&1) ||
			{ echo "guest: apt-get download $pkg failed" >&2; return 1; }
		rm -rf "$CACHE/root"
		dpkg -x "$CACHE"/deb/"$pkg"_*.deb "$CACHE/root"
		depmod -b "$CACHE/root" "$ver"
	fi
	echo "$ver"
}

# Print the .ko paths needed for the named modules, dependencies first,
# each once. Built-in modules print nothing; unknown ones are skipped.
modules_in_order() {
	local ver=$1 m
	shift
	for m in "$@"; do
		modprobe -S "$ver" -d "$CACHE/root" --show-depends "$m" 2>/dev/null |
			awk '$1 == "insmod" { print $2 }'
	done | awk '!seen[$0]++'
}

# Copy modules (decompressed) into DEST/lib/modules and write their load
# order to DEST/lib/modules/order.
install_modules() {
	local ver=$1 dest=$2 f base
	shift 2
	mkdir -p "$dest/lib/modules"
	: >"$dest/lib/modules/order"
	while read -r f; do
		base=$(basename "$f")
		case "$f" in
		*.xz) base=${base%.xz}; xz -dc "$f" >"$dest/lib/modules/$base" ;;
		*) cp "$f" "$dest/lib/modules/$base" ;;
		esac
		echo "$base" >>"$dest/lib/modules/order"
	done < <(modules_in_order "$ver" "$@")
}

# Pack folder SRC into a reproducible gzip'd newc cpio at OUT.
pack_cpio() {
	local src=$1 out=$2
	find "$src" -exec touch -h -d @0 {} +
	(cd "$src" && find . -mindepth 1 | LC_ALL=C sort |
		cpio -o -H newc --reproducible -R 0:0 --quiet) | gzip -n -9 >"$out"
}
