#!/usr/bin/env bash
# Bad input to `skiff run` that must fail before any vCPU runs: one clear
# "skiff: " line naming the culprit, exit status 1, no crash. Needs no KVM,
# so it runs on the host (also under the ASan/UBSan build).
# usage: bad-input.sh SKIFF KERNEL   -- prints TAP lines
set -uo pipefail

SKIFF=${1:?skiff binary}
KERNEL=${2:?a real bzImage}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
: >"$tmp/empty"
head -c 4096 "$KERNEL" >"$tmp/truncated"
head -c $(( $(stat -c %s "$KERNEL") - 65536 )) "$KERNEL" >"$tmp/short"
mkdir "$tmp/dir"
n=0

# expect NAME WANT -- ARGS...: exit 1, one stderr line containing WANT.
expect() {
	local name=$1 want=$2 err rc lines
	shift 3
	n=$((n + 1))
	err=$(timeout 20 "$SKIFF" run "$@" </dev/null 2>&1 >/dev/null)
	rc=$?
	lines=$(printf '%s\n' "$err" | grep -c .)
	if [ "$rc" -ne 1 ]; then
		echo "not ok $n - $name: exit status $rc, want 1 ($err)"
	elif [ "$lines" -ne 1 ] || [[ "$err" != skiff:* ]]; then
		echo "not ok $n - $name: want one 'skiff:' line, got: $err"
	elif [[ "$err" != *"$want"* ]]; then
		echo "not ok $n - $name: message does not name '$want': $err"
	else
		echo "ok $n - $name"
	fi
}

expect "missing kernel" "$tmp/nope" -- --kernel "$tmp/nope"
expect "empty kernel" "empty" -- --kernel "$tmp/empty"
expect "truncated kernel (4 KiB)" "--kernel" -- --kernel "$tmp/truncated"
expect "truncated kernel (tail cut)" "truncated" -- --kernel "$tmp/short"
expect "kernel that is not a bzImage" "not a bzImage" -- --kernel /bin/true
expect "kernel that is a directory" "directory" -- --kernel "$tmp/dir"
expect "missing initrd" "--initrd" -- --kernel "$KERNEL" --initrd "$tmp/nope"
expect "initrd that is a directory" "--initrd" -- --kernel "$KERNEL" --initrd "$tmp/dir"
expect "--memory 0" "--memory" -- --kernel "$KERNEL" --memory 0
expect "--memory 100T (more than the host)" "--memory" -- --kernel "$KERNEL" --memory 100T
expect "--memory garbage" "--memory" -- --kernel "$KERNEL" --memory lots
expect "--cpus 0" "--cpus" -- --kernel "$KERNEL" --cpus 0
expect "--cpus 1000" "--cpus" -- --kernel "$KERNEL" --cpus 1000
expect "unknown option" "--frobnicate" -- --kernel "$KERNEL" --frobnicate
expect "--name with a space" "--name" -- --kernel "$KERNEL" --name "web 1"
expect "--name given twice" "--name" -- --kernel "$KERNEL" --name a --name b
expect "no kernel" "--kernel" -- --cpus 1
expect "command line longer than the kernel takes" "--cmdline" -- --kernel "$KERNEL" \
	--cmdline "$(head -c 5000 /dev/zero | tr '\0' a)"
# --net (issue 4): syntax and ranges, checked before any tap is opened.
expect "--net without tap=" "--net" -- --kernel "$KERNEL" --net mac=52:54:00:00:00:01
expect "--net tap name too long" "--net" -- --kernel "$KERNEL" --net tap=0123456789abcdef
expect "--net multicast mac" "--net" -- --kernel "$KERNEL" --net tap=t0,mac=01:00:5e:00:00:01
expect "--net malformed mac" "--net" -- --kernel "$KERNEL" --net tap=t0,mac=52:54:00
expect "--net queues=0" "--net" -- --kernel "$KERNEL" --net tap=t0,queues=0
expect "--net more queues than vCPUs" "queues=2" -- --kernel "$KERNEL" --net tap=t0,queues=2
expect "--net vhost=maybe" "--net" -- --kernel "$KERNEL" --net tap=t0,vhost=maybe
expect "--net mtu=10" "--net" -- --kernel "$KERNEL" --net tap=t0,mtu=10
expect "--net rate garbage" "--net" -- --kernel "$KERNEL" --net tap=t0,rx_bw=lots
expect "--net vhost=on with a rate limit" "vhost=on" -- --kernel "$KERNEL" --net tap=t0,vhost=on,tx_pps=100
expect "--net burst without a rate" "--net" -- --kernel "$KERNEL" --net tap=t0,tx_bw_burst=1M
expect "--net the same tap twice" "twice" -- --kernel "$KERNEL" --net tap=t0 --net tap=t0
# --vsock (issue 5): syntax and ranges, before anything runs.
expect "--vsock reserved cid 2" "--vsock" -- --kernel "$KERNEL" --vsock cid=2,socket="$tmp/v"
expect "--vsock cid 2^32-1 (VMADDR_CID_ANY)" "--vsock" -- --kernel "$KERNEL" --vsock cid=4294967295,vhost=on
expect "--vsock cid not a number" "cid" -- --kernel "$KERNEL" --vsock cid=three,socket="$tmp/v"
expect "--vsock without cid" "cid=N is required" -- --kernel "$KERNEL" --vsock socket="$tmp/v"
expect "--vsock without a backend" "socket=PATH or vhost=on" -- --kernel "$KERNEL" --vsock cid=3
expect "--vsock with both backends" "socket=PATH or vhost=on" -- --kernel "$KERNEL" \
	--vsock cid=3,socket="$tmp/v",vhost=on
expect "--vsock socket path too long" "socket path longer" -- --kernel "$KERNEL" \
	--vsock cid=3,socket="/tmp/$(head -c 120 /dev/zero | tr '\0' a)"
expect "--vsock unknown item" "bad item 'port=1'" -- --kernel "$KERNEL" --vsock cid=3,port=1
expect "--vsock twice" "only one vsock" -- --kernel "$KERNEL" --vsock cid=3,vhost=on --vsock cid=4,vhost=on
