# virtio-vsock checks inside the guest (run by tests/integration/sections/vsock.sh
# twice: userspace backend, then vhost-vsock). KEY=ok or KEY=fail:why per line.
T=/bin/vsocktest
r() {
	key=$1
	shift
	if out=$("$@" 2>&1); then echo "$key=ok"; else echo "$key=fail:$(echo "$out" | tail -n 2 | tr '\n' ' ')"; fi
}
# guest-initiated: host listeners on ports 5000 (stream), 5001 (seqpacket), 5002 (1024 at once)
r VS_G2H_STREAM $T client vsock:2:5000 stream
r VS_G2H_SEQ $T client vsock:2:5001 seqpacket
echo "VS_REFUSED=$($T refused vsock:2:5999 stream 2>&1)"
# vsock_many=N on the kernel command line: how many at once (default 1024)
many=$(sed -n 's/.*vsock_many=\([0-9]*\).*/\1/p' /proc/cmdline)
r VS_MANY $T many vsock:2:5002 "${many:-1024}"
# host-initiated: guest listeners
$T server vsock:any:6000 stream >/tmp/s1 2>&1 &
p1=$!
$T server vsock:any:6001 seqpacket >/tmp/s2 2>&1 &
p2=$!
sleep 1
echo VS_GUEST_READY
if wait $p1; then echo VS_H2G_STREAM=ok; else echo "VS_H2G_STREAM=fail:$(tail -n 2 /tmp/s1 | tr '\n' ' ')"; fi
if wait $p2; then echo VS_H2G_SEQ=ok; else echo "VS_H2G_SEQ=fail:$(tail -n 2 /tmp/s2 | tr '\n' ' ')"; fi
