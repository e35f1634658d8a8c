# virtio-net: eth0 on 10.0.2.15/24, the sandbox host's tap on 10.0.2.1.
# Parameters come on the kernel command line (skiff.bytes=N per TCP
# direction, skiff.streams=K parallel stream pairs, skiff.tapdel=1 to wait
# for the host to delete its tap, skiff.filter=1 for the receive-filter
# check). Prints KEY=value lines for the host.
arg() { tr ' ' '\n' </proc/cmdline | sed -n "s/^$1=//p"; }
BYTES=$(arg skiff.bytes)
STREAMS=$(arg skiff.streams)
[ -n "$STREAMS" ] || STREAMS=1
ip link set lo up
ip addr add 10.0.2.15/24 dev eth0
ip link set eth0 up
echo "NET_MAC=$(cat /sys/class/net/eth0/address)"
echo "NET_RXQ=$(ls -d /sys/class/net/eth0/queues/rx-* | wc -l)"
echo "NET_FEATURES=$(cat /sys/class/net/eth0/device/features)"
echo "NET_CARRIER=$(cat /sys/class/net/eth0/carrier)"
if ping -c 3 -W 5 10.0.2.1 >/dev/null 2>&1; then echo PING_HOST=ok; else echo PING_HOST=fail; fi
# The receive filter the driver programmed (skiff.filter=1): once it sees
# FILTER_READY the host sends 200 datagrams to a foreign MAC, then 20 to
# ours, all to UDP port 5009. Ours must all arrive; the foreign ones must
# not reach eth0 (a promiscuous device would count them in rx_packets).
if [ "$(arg skiff.filter)" = 1 ]; then
	rx0=$(cat /sys/class/net/eth0/statistics/rx_packets)
	echo FILTER_READY
	got=$(nettest udp-recv 5009 20 | sed -n 's/^NETTEST pkts=\([0-9]*\).*/\1/p')
	rx1=$(cat /sys/class/net/eth0/statistics/rx_packets)
	echo "FILTER_OWN_GOT=$got"
	echo "FILTER_RX_FRAMES=$((rx1 - rx0))"
fi
echo NET_READY
# Host to guest, then guest to host; with K streams they run in parallel
# (ports 5001+2i and 5002+2i), so that several queue pairs carry them.
i=0
while [ "$i" -lt "$STREAMS" ]; do
	nettest recv 10.0.2.1 $((5001 + 2 * i)) | sed "s/^NETTEST/H2G$i/" &
	i=$((i + 1))
done
wait
i=0
while [ "$i" -lt "$STREAMS" ]; do
	nettest send 10.0.2.1 $((5002 + 2 * i)) "$BYTES" | sed "s/^NETTEST/G2H$i/" &
	i=$((i + 1))
done
wait
echo NET_DONE
if [ "$(arg skiff.tapdel)" = 1 ]; then
	echo WAIT_TAPDEL
	n=0
	while [ "$(cat /sys/class/net/eth0/carrier)" = 1 ] && [ "$n" -lt 60 ]; do
		sleep 0.5
		n=$((n + 1))
	done
	echo "CARRIER_AFTER_TAPDEL=$(cat /sys/class/net/eth0/carrier)"
	# The VM keeps running: the guest can still do work and power off.
	echo "ALIVE_AFTER_TAPDEL=$(echo yes)"
fi
# Quiesce eth0 before /init powers off. The guest kernel (Debian 6.1.192)
# carries the backported virtio_dev_shutdown(), which marks every queue
# broken and then resets the device; a tx-cleaning NAPI poll running on
# another CPU at that moment spins for ever in virtnet_poll_cleantx() when
# the device had completed tx buffers the driver had not yet reaped
# (virtqueue_enable_cb_delayed() keeps failing, virtqueue_get_buf()
# returns nothing on a broken queue). The poweroff then waits for that
# CPU. Seen in the sandbox as "soft lockup ... virtnet_poll" after
# "Preparing to enter system sleep state S5"; a guest bug, not skiff's.
ip link set eth0 down
