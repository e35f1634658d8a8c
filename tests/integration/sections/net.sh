# virtio-net (issue 4): the guest on a tap of the sandbox host. Each boot
# pings both ways and moves NET_BYTES per direction over TCP, checked by
# the stream checksum both ends print (build/guest-tools/nettest).
# NET_BYTES per direction per boot (split over the streams): 100 MiB by
# default. The nested sandbox moved 4-15 MB/s per direction in userspace
# and 10-35 MB/s with vhost-net (2 cores shared), so a boot takes 70-100 s
# of which the transfers are 20-40 s; the four boots fit the budget.
NET_BYTES=${NET_BYTES:-$((100 << 20))}
NET_TAP=skt0
# NET_KCMDLINE: the guest command line before the test parameters (drop
# quiet to see where a guest stops).
NET_KCMDLINE=${NET_KCMDLINE:-console=ttyS0 panic=-1 quiet}

# net_tap_up [multi_queue]: a fresh tap with the host's address.
net_tap_up() {
	ip link del "$NET_TAP" 2>/dev/null
	ip tuntap add dev "$NET_TAP" mode tap "$@" &&
		ip addr add 10.0.2.1/24 dev "$NET_TAP" && ip link set "$NET_TAP" up
}

# net_default_mac NAME INDEX: the MAC skiff gives device INDEX of a VM
# named NAME (or, unnamed, on tap NAME), computed here from README's
# definition: FNV-1a (64-bit) over NAME, a NUL byte and INDEX as 4 bytes,
# least significant first; the hash's low 6 bytes in that order, the first
# octet made unicast (bit 0 clear) and locally administered (bit 1 set).
net_default_mac() {
	local h=$((0xcbf29ce484222325)) p=$((0x100000001b3)) i c mac
	for ((i = 0; i < ${#1}; i++)); do
		printf -v c '%d' "'${1:i:1}"
		h=$(( (h ^ c) * p ))
	done
	h=$(( h * p )) # the NUL
	for i in 0 1 2 3; do h=$(( (h ^ (($2 >> (8 * i)) & 255)) * p )); done
	printf -v mac '%02x' $(( (h & 254) | 2 ))
	for i in 1 2 3 4 5; do printf -v mac '%s:%02x' "$mac" $(( (h >> (8 * i)) & 255 )); done
	echo "$mac"
}

# net_value FILE KEY FIELD: field=value from the line starting with KEY.
net_field() { sed -n "s/^$2 .*$3=\([^ ]*\).*/\1/p" "$1" | tail -n 1; }

# net_boot NAME STREAMS TAPDEL [skiff options...]: boot with net.sh, host
# servers on 5001.. (send) and 5002.. (receive); sets out, err, rc, and
# the per-stream host result files $work/NAME.h2g.I / NAME.g2h.I. Boots
# again after a guest triple fault (boot_retrying, run.sh).
net_boot() {
	local img=$work/$1.img
	net_stream_bytes=$(($NET_BYTES / $2))
	guest/pack-test-initrd tests/integration/guest/net.sh "$img" \
		"$TOOLS/nettest"
	boot_retrying "$1" net_boot_once "$@"
}

net_boot_once() {
	local name=$1 streams=$2 tapdel=$3 img=$work/$1.img start pid spid t i p pids=()
	shift 3
	for ((i = 0; i < streams; i++)); do
		timeout 300 "$TOOLS/nettest" serve-send $((5001 + 2 * i)) "$net_stream_bytes" \
			>"$work/$name.h2g.$i" 2>&1 &
		pids+=($!)
		timeout 300 "$TOOLS/nettest" serve-recv $((5002 + 2 * i)) >"$work/$name.g2h.$i" 2>&1 &
		pids+=($!)
	done
	start=$(date +%s)
	echo "# boot: $name"
	timeout -k 10 300 "$SKIFF" run --kernel "$KERNEL" --initrd "$img" --memory 512M \
		--cmdline "$NET_KCMDLINE skiff.bytes=$net_stream_bytes skiff.streams=$streams skiff.tapdel=$tapdel skiff.filter=${NET_FILTER:-0}" \
		"$@" </dev/null >"$work/$name.out" 2>"$work/$name.err" &
	pid=$!
	net_ping=fail
	net_filter=${NET_FILTER:-0}
	net_vhost_thread=no
	net_threads=
	while kill -0 "$pid" 2>/dev/null; do
		# vhost-net runs a kernel worker named after its owner's pid
		# (skiff, the child of timeout).
		spid=$(awk '{ print $1 }' "/proc/$pid/task/$pid/children" 2>/dev/null)
		[ -n "$spid" ] && grep -qx "vhost-$spid" /proc/[0-9]*/comm 2>/dev/null &&
			net_vhost_thread=yes
		# The names skiff gives its threads (vcpu.c), for ps and taskset.
		[ -n "$spid" ] && t=$(cat /proc/"$spid"/task/*/comm 2>/dev/null | sort | tr '\n' ,) &&
			[ -n "$t" ] && net_threads=$t
		if [ "$net_filter" = 1 ] && grep -q '^FILTER_READY' "$work/$name.out"; then
			# A neighbour with a MAC that is not the guest's: its
			# frames reach the tap, addressed to that MAC.
			ip neigh replace 10.0.2.99 lladdr 02:00:00:5e:00:99 dev "$NET_TAP" nud permanent
			for ((i = 0; i < 200; i++)); do echo x; done 2>/dev/null >/dev/udp/10.0.2.99/5009
			sleep 0.5
			for ((i = 0; i < 20; i++)); do echo x; done 2>/dev/null >/dev/udp/10.0.2.15/5009
			net_filter=sent
		fi
		if [ "$net_ping" = fail ] && grep -q '^NET_READY' "$work/$name.out"; then
			busybox ping -c 3 -W 5 10.0.2.15 >/dev/null 2>&1 && net_ping=ok
		fi
		if [ "$tapdel" = 1 ] && grep -q '^WAIT_TAPDEL' "$work/$name.out"; then
			ip link del "$NET_TAP"
			tapdel=done
		fi
		sleep 0.5
	done
	wait "$pid"
	rc=$?
	secs=$(( $(date +%s) - start ))
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
	out=$(tr -d '\r' <"$work/$name.out")
	err=$(cat "$work/$name.err")
	tr -d '\r' <"$work/$name.out" >"$work/$name.clean"
}

# net_check_streams NAME LABEL STREAMS: every stream's sums match.
net_check_streams() {
	local name=$1 label=$2 streams=$3 i dir g h gb okall=1 why=""
	for ((i = 0; i < streams; i++)); do
		for dir in h2g g2h; do
			g=$(net_field "$work/$name.clean" "${dir^^}$i" sum)
			gb=$(net_field "$work/$name.clean" "${dir^^}$i" bytes)
			h=$(sed -n 's/^NETTEST .*sum=\([0-9a-f]*\).*/\1/p' "$work/$name.$dir.$i")
			if [ -z "$g" ] || [ "$g" != "$h" ] || [ "$gb" != "$net_stream_bytes" ]; then
				okall=0
				why="$why $dir$i: guest '$g' ($gb bytes) host '$h';"
			fi
		done
	done
	if [ "$okall" = 1 ]; then
		ok "$label: $streams x $((net_stream_bytes >> 20)) MiB each way over TCP, checksums match (${secs}s)"
	else
		not_ok "$label: TCP transfers each way, checksums match" "$why status $rc: $(tail -c 300 "$work/$name.err")"
	fi
	for ((i = 0; i < streams; i++)); do
		for dir in h2g g2h; do
			echo "# $label $dir$i: $(net_field "$work/$name.clean" "${dir^^}$i" mbps) Mbit/s"
		done
	done
}

section_net() {
	local t0 mac
	t0=$(date +%s)
	# Bad input that needs a real tap: queues=2 on a single-queue tap.
	net_tap_up
	err=$(timeout 60 "$SKIFF" run --kernel "$KERNEL" --net tap=$NET_TAP,queues=2 --cpus 2 \
		</dev/null 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -eq 1 ] && [ "$(grep -c . <<<"$err")" -eq 1 ] && [[ "$err" == "skiff: --net tap=$NET_TAP:"*multi_queue* ]]; then
		ok "virtio-net: queues=2 on a single-queue tap is one line naming --net, status 1"
	else
		not_ok "virtio-net: queues=2 on a single-queue tap is one line naming --net, status 1" "status $rc: $err"
	fi

	# Userspace datapath, one queue pair, reached through the fallback:
	# vhost=auto while /dev/vhost-net refuses (/dev/null is
	# bound over it), so skiff says so in one line and serves the queues
	# itself. The tap is deleted at the end.
	mount --bind /dev/null /dev/vhost-net 2>/dev/null
	NET_FILTER=1 net_boot net-user 1 1 --net tap=$NET_TAP,vhost=auto,mac=52:54:00:12:34:56
	umount /dev/vhost-net 2>/dev/null
	if [ "$(grep -c '/dev/vhost-net: .*; using the userspace datapath' <<<"$err")" -eq 1 ]; then
		ok "virtio-net vhost=auto: /dev/vhost-net refusing is one line, then the userspace datapath"
	else
		not_ok "virtio-net vhost=auto: /dev/vhost-net refusing is one line, then the userspace datapath" "stderr: $err"
	fi
	if [ "$rc" -eq 0 ]; then ok "virtio-net userspace: guest powers off cleanly after its tap went away"
	else not_ok "virtio-net userspace: guest powers off cleanly after its tap went away" "status $rc: $err"; fi
	check "virtio-net userspace: the guest's eth0 has the MAC from --net" NET_MAC 52:54:00:12:34:56
	check "virtio-net userspace: link up" NET_CARRIER 1
	# /sys/.../features: one character per feature bit (virtio 1.2, 5.1.3):
	# the guest took the receive filter, and pings and TCP below pass with
	# the filter it programmed (promiscuous off, its MAC table).
	# (Linux does not take CTRL_RX_EXTRA.)
	local feats
	feats=$(value NET_FEATURES)
	if [ "${feats:18:1}${feats:19:1}" = 11 ]; then
		ok "virtio-net userspace: the guest negotiated CTRL_RX and CTRL_VLAN"
	else
		not_ok "virtio-net userspace: the guest negotiated CTRL_RX and CTRL_VLAN" \
			"features '$feats'"
	fi
	check "virtio-net userspace: guest pings the host" PING_HOST ok
	# The filter the guest programmed drops the 200 frames for a foreign
	# MAC before they take an rx buffer, and passes its own 20 (plus a few
	# frames of ARP or IPv6 neighbour traffic).
	local own frames
	own=$(value FILTER_OWN_GOT)
	frames=$(value FILTER_RX_FRAMES)
	if [ "$own" = 20 ] && [ -n "$frames" ] && [ "$frames" -ge 20 ] && [ "$frames" -lt 60 ]; then
		ok "virtio-net userspace: the receive filter drops frames for a foreign MAC, passes the guest's"
	else
		not_ok "virtio-net userspace: the receive filter drops frames for a foreign MAC, passes the guest's" \
			"own datagrams received '$own' of 20, eth0 rx frames '$frames' (200 foreign sent)"
	fi
	if [ "$net_ping" = ok ]; then ok "virtio-net userspace: host pings the guest"
	else not_ok "virtio-net userspace: host pings the guest" "no reply from 10.0.2.15"; fi
	net_check_streams net-user "virtio-net userspace" 1
	check "virtio-net userspace: tap deleted -> the guest sees the link down" CARRIER_AFTER_TAPDEL 0
	check "virtio-net userspace: the VM keeps running after the tap went away" ALIVE_AFTER_TAPDEL yes
	if [ "$(grep -c 'link down' <<<"$err")" -eq 1 ]; then
		ok "virtio-net userspace: one log line for the lost tap"
	else
		not_ok "virtio-net userspace: one log line for the lost tap" "stderr: $err"
	fi

	# Two queue pairs on two vCPUs, in userspace.
	section_net_mq
	ip link del "$NET_TAP" 2>/dev/null
	echo "# net section: $(( $(date +%s) - t0 ))s"
}

# Two parallel streams each way; the default MAC (derived from the tap
# name) and the queue count the guest set with VQ_PAIRS_SET.
section_net_mq() {
	local mac
	net_tap_up multi_queue
	net_boot net-mq 2 0 --cpus 2 --net tap=$NET_TAP,queues=2,vhost=off
	check "virtio-net 2 queues: the guest uses 2 rx queues" NET_RXQ 2
	mac=$(value NET_MAC)
	if [[ "$mac" =~ ^[0-9a-f][26ae]: ]]; then ok "virtio-net: default MAC $mac is locally administered unicast"
	else not_ok "virtio-net: default MAC is locally administered unicast" "'$mac'"; fi
	check "virtio-net: an unnamed VM's default MAC derives from the tap's name" \
		NET_MAC "$(net_default_mac "$NET_TAP" 0)"
	net_check_streams net-mq "virtio-net 2 queues, 2 vCPUs" 2
}

section_net_vhost() {
	net_tap_up multi_queue
	# The tap is deleted at the end here too, under vhost-net. A named
	# VM: its default MAC derives from the name, not the tap.
	net_boot net-vhost 2 1 --cpus 2 --name ci-vm.7 --net tap=$NET_TAP,queues=2,vhost=on
	check "virtio-net: a named VM's default MAC derives from --name" \
		NET_MAC "$(net_default_mac ci-vm.7 0)"
	if [ "$rc" -eq 0 ] && [ "$net_vhost_thread" = yes ] && [ "$(grep -c . <<<"$err")" -eq 1 ] &&
	   [[ "$err" == *"link down, the VM keeps running"* ]]; then
		ok "virtio-net vhost=on: vhost-net serves the queues, clean exit, one line for the lost tap"
	else
		not_ok "virtio-net vhost=on: vhost-net serves the queues, clean exit, one line for the lost tap" "status $rc, vhost worker: $net_vhost_thread: $err"
	fi
	if [[ "$net_threads" == *"vcpu 0,vcpu 1,"* ]]; then ok "skiff names its vCPU threads 'vcpu N'"
	else not_ok "skiff names its vCPU threads 'vcpu N'" "threads: '$net_threads'"; fi
	check "virtio-net vhost=on: guest pings the host" PING_HOST ok
	if [ "$net_ping" = ok ]; then ok "virtio-net vhost=on: host pings the guest"
	else not_ok "virtio-net vhost=on: host pings the guest" "no reply from 10.0.2.15"; fi
	check "virtio-net vhost=on, 2 queues: the guest uses 2 rx queues" NET_RXQ 2
	net_check_streams net-vhost "virtio-net vhost=on, 2 queues, 2 vCPUs" 2
	check "virtio-net vhost=on: tap deleted -> the guest sees the link down" CARRIER_AFTER_TAPDEL 0
	check "virtio-net vhost=on: the VM keeps running after the tap went away" ALIVE_AFTER_TAPDEL yes
	ip link del "$NET_TAP" 2>/dev/null
}
# The offloaded datapath is a section of its own (net_vhost), so that a
# sandbox freeze there (one on 2026-12-01, before the guest's /init) costs
# only its boot: tests/integration/retry.sh.
SECTIONS+=(net net_vhost)
