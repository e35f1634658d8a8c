# Disks and rng: vda is the read-back image, vdb the write target, vdc
# read-only. Print what the host checks, KEY=value per line.
echo "VDA_SHA=$(sha256sum /dev/vda | cut -d' ' -f1)"
echo "VDA_SIZE=$(cat /sys/block/vda/size)"
echo "VDA_QUEUES=$(ls /sys/block/vda/mq | wc -l)"
echo "VDC_RO=$(cat /sys/block/vdc/ro)"
echo "VDB_SERIAL=$(cat /sys/block/vdb/serial 2>/dev/null)"
if dd if=/dev/zero of=/dev/vdc bs=512 count=1 oflag=direct 2>/dev/null; then
	echo "VDC_WRITE=accepted"
else
	echo "VDC_WRITE=refused"
fi
echo "RNG_CURRENT=$(cat /sys/class/misc/hw_random/rng_current)"
echo "RNG_BYTES=$(dd if=/dev/hwrng bs=64 count=1 2>/dev/null | wc -c)"
# A pattern the host looks for after killing skiff with SIGKILL: written,
# synced, announced, then the guest holds still.
yes skiff-durable-pattern | head -c 65536 >/tmp/pattern
dd if=/tmp/pattern of=/dev/vdb bs=4096 seek=16 2>/dev/null
sync
echo "VDB_SYNCED=yes"
sleep 600
