# virtio-vsock (issue 5): the userspace backend (host Unix sockets, the
# hybrid CONNECT protocol) and vhost-vsock, each in one boot running
# tests/integration/guest/vsock.sh with build/guest-tools/vsocktest on both
# sides: stream data (4 MiB each way, checked byte by byte and by checksum)
# and seqpacket messages of 1 B to 1 MiB each way (every boundary, MSG_TRUNC
# for a short reader), a connect with no listener, 1024 concurrent
# connections, and CID / socket collisions at start-up.

# vsock_host_side MODE DIR: the host half, run while the guest boots.
# Waits for the guest's listeners, connects to them, then checks that a
# second VM cannot take the same CID or socket.
vsock_host_side() {
	local mode=$1 d=$2 t=$TOOLS/vsocktest i s1 s2 second
	for i in $(seq 1 "$BOOT_TIMEOUT"); do
		grep -q '^VS_GUEST_READY' "$work/vsock-$mode.out" 2>/dev/null && break
		sleep 1
	done
	if [ "$mode" = unix ]; then
		s1=hybrid:$d/v:6000 s2=hybrid:$d/v:6001
		second="--vsock cid=9,socket=$d/v"
	else
		s1=vsock:4:6000 s2=vsock:4:6001
		second="--vsock cid=4,vhost=on"
	fi
	# First, while the guest waits for us (so the first VM is surely up):
	# shellcheck disable=SC2086 # the option and its value
	timeout -k 10 60 "$SKIFF" run --kernel "$KERNEL" --initrd "$INITRD" --memory 128M $second \
		</dev/null >/dev/null 2>"$d/second.err"
	echo "rc=$?" >>"$d/second.err"
	"$t" client "$s1" stream >"$d/h2g-stream" 2>&1; echo "rc=$?" >>"$d/h2g-stream"
	"$t" client "$s2" seqpacket >"$d/h2g-seq" 2>&1; echo "rc=$?" >>"$d/h2g-seq"
}

vsock_checks() { # vsock_checks MODE DIR LABEL
	local mode=$1 d=$2 label=$3
	if [ "$rc" -ne 0 ]; then
		not_ok "vsock $label: guest ran the checks and powered off" "status $rc after ${secs}s: $err $(tail -c 300 "$work/vsock-$mode.out")"
	else
		ok "vsock $label: guest ran the checks and powered off (${secs}s)"
	fi
	check "vsock $label: guest stream to host listener, 4 MiB each way" VS_G2H_STREAM ok
	check "vsock $label: guest seqpacket to host listener, 1 B..1 MiB messages each way" VS_G2H_SEQ ok
	check "vsock $label: connect with no host listener is reset" VS_REFUSED REFUSED=reset
	check "vsock $label: $([ "$mode" = unix ] && echo 1024 || echo 256) concurrent connections" VS_MANY ok
	check "vsock $label: host connects to a guest stream listener, 4 MiB each way" VS_H2G_STREAM ok
	check "vsock $label: host connects to a guest seqpacket listener, every boundary" VS_H2G_SEQ ok
	if grep -q '^rc=0' "$d/h2g-stream" && grep -q '^rc=0' "$d/h2g-seq" &&
	   grep -q '^PROTOCOL=ok' "$d/h2g-stream" && grep -q '^SEQ_MESSAGES=20' "$d/h2g-seq"; then
		ok "vsock $label: host side checked the guest's data"
	else
		not_ok "vsock $label: host side checked the guest's data" "$(tail -n 3 "$d/h2g-stream" "$d/h2g-seq" | tr '\n' ' ')"
	fi
	for f in g2h-stream g2h-seq; do
		if ! grep -q '^PROTOCOL=ok' "$d/$f"; then
			not_ok "vsock $label: host server $f saw the protocol through" "$(tail -n 2 "$d/$f" | tr '\n' ' ')"
			return
		fi
	done
	ok "vsock $label: host servers checked the guest's data"
}

section_vsock() {
	local d t=$TOOLS/vsocktest hs start saved_timeout=$BOOT_TIMEOUT
	# Unix sockets need a local filesystem: /tmp, not the shared run folder.
	d=$(mktemp -d /tmp/skiff-vsock.XXXXXX)
	BOOT_TIMEOUT=300
	start=$(date +%s)

	# --- userspace backend -------------------------------------------------
	# A stale socket file at PATH (its listener gone) must be replaced.
	timeout 1 "$t" server "unix:$d/v" stream >/dev/null 2>&1
	"$t" server "unix:$d/v_5000" stream >"$d/g2h-stream" 2>&1 &
	"$t" server "unix:$d/v_5001" seqpacket >"$d/g2h-seq" 2>&1 &
	"$t" many-server "unix:$d/v_5002" 1024 >"$d/many" 2>&1 &
	sleep 0.5
	vsock_host_side unix "$d" &
	hs=$!
	GUEST_FILES=$t boot vsock-unix vsock.sh --memory 256M --vsock "cid=3,socket=$d/v"
	wait "$hs"
	vsock_checks unix "$d" "userspace"
	if grep -q '^rc=1$' "$d/second.err" && grep -q 'skiff: --vsock socket=.*live listener' "$d/second.err" &&
	   [ "$(grep -c '^skiff:' "$d/second.err")" -eq 1 ]; then
		ok "vsock userspace: a second VM on the same socket fails with one clear line"
	else
		not_ok "vsock userspace: a second VM on the same socket fails with one clear line" "$(cat "$d/second.err")"
	fi
	if [ ! -e "$d/v" ] && [ ! -e "$d/v.seqpacket" ]; then
		ok "vsock userspace: skiff removes its sockets at exit"
	else
		not_ok "vsock userspace: skiff removes its sockets at exit" "$(ls "$d")"
	fi
	jobs -p | xargs -r kill 2>/dev/null # servers left by a failed run

	# --- vhost-vsock --------------------------------------------------------
	if [ -c /dev/vhost-vsock ]; then
		"$t" server vsock:any:5000 stream >"$d/g2h-stream" 2>&1 &
		"$t" server vsock:any:5001 seqpacket >"$d/g2h-seq" 2>&1 &
		"$t" many-server vsock:any:5002 256 >"$d/many" 2>&1 &
		sleep 0.5
		vsock_host_side vhost "$d" &
		hs=$!
		# 256 connections here: the kernel's datapath is not skiff's, and
		# 1024 at once through nested vhost-vsock was seen to hang once.
		GUEST_FILES=$t boot vsock-vhost vsock.sh --memory 256M --vsock cid=4,vhost=on \
			--cmdline "console=ttyS0 panic=-1 quiet vsock_many=256"
		wait "$hs"
		vsock_checks vhost "$d" "vhost"
		if grep -q '^rc=1$' "$d/second.err" && grep -q 'skiff: --vsock cid=4: the CID is in use' "$d/second.err"; then
			ok "vsock vhost: a second VM with the same CID fails with one clear line"
		else
			not_ok "vsock vhost: a second VM with the same CID fails with one clear line" "$(cat "$d/second.err")"
		fi
	else
		not_ok "vsock vhost: /dev/vhost-vsock present in the sandbox" "missing"
	fi
	# Background servers are done or get killed with their folder.
	jobs -p | xargs -r kill 2>/dev/null
	rm -rf "$d"
	BOOT_TIMEOUT=$saved_timeout
	echo "# vsock section took $(( $(date +%s) - start ))s"
}
SECTIONS+=(vsock)
