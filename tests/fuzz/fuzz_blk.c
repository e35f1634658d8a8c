/* libFuzzer target: the virtio-blk request path from a hostile ring.
 * The input is the guest's memory at the rings and buffers: a 16-entry
 * descriptor table, the avail ring and a data area, so the fuzzer controls
 * every descriptor, index, flag, header field and sector number. The device
 * must never crash, read or write outside guest RAM (ASan), or hang. */
#include <fcntl.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/virtio_blk.h"
#include "virtio_driver.h"

#define RAM      (1u << 20)
#define DESC     0x1000u    /* 16 descriptors * 16 bytes */
#define AVAIL    0x2000u
#define USED     0x3000u
#define DATA     0x4000u
#define QSIZE    16u

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len);

/* The image lives on tmpfs where there is one: a FLUSH is an fdatasync,
 * and on ext4 right after a build that can take longer than libFuzzer's
 * -timeout (seen in a make test on 2026-12-01), which is the disk's time,
 * not the device's. */
static char image[64];
static int image_ready;

static void remove_image(void)
{
	unlink(image);
}

static void make_image(void)
{
	static const char *const dirs[] = { "/dev/shm", "/tmp" };
	int fd = -1;

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && fd < 0; i++) {
		snprintf(image, sizeof(image), "%s/skiff-fuzz-blk-XXXXXX", dirs[i]);
		fd = mkstemp(image);
	}
	if (fd < 0 || ftruncate(fd, 64 * 1024) < 0)
		abort(); /* the harness itself failed, not the code under test */
	close(fd);
	atexit(remove_image);
	image_ready = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	struct guest_mem mem;
	static struct virtio_blk b;
	struct virtq *vq;
	uint64_t features;
	size_t n;

	if (!image_ready)
		make_image();
	if (guest_mem_init(&mem, RAM, RAM, RAM) < 0)
		return 0;
	/* Input lands at the descriptor table onwards: table, avail ring, then
	 * (past the used ring) headers, data and status bytes. */
	n = len < RAM - DESC ? len : RAM - DESC;
	guest_mem_write(&mem, DESC, in, n < USED - DESC ? n : USED - DESC);
	if (n > DATA - DESC)
		guest_mem_write(&mem, DATA, in + (DATA - DESC), n - (DATA - DESC));
	if (virtio_blk_init(&b, image, len > 0 && (in[0] & 1), "fuzz", 1, &mem, NULL) < 0)
		goto out_mem;
	/* Negotiate everything offered, or all but IN_ORDER / EVENT_IDX. */
	b.dev.device_feature_select = 0;
	features = virtio_dev_read_device_features(&b.dev);
	b.dev.device_feature_select = 1;
	features |= (uint64_t)virtio_dev_read_device_features(&b.dev) << 32;
	if (len > 1 && (in[1] & 1))
		features &= ~(1ULL << VIRTIO_F_IN_ORDER);
	if (len > 1 && (in[1] & 2))
		features &= ~(1ULL << VIRTIO_RING_F_EVENT_IDX);
	vdrv_negotiate(&(struct vdrv){ .d = &b.dev }, features);
	vq = &b.dev.queues[0];
	vq->size = QSIZE;
	vq->desc_gpa = DESC;
	vq->avail_gpa = AVAIL;
	vq->used_gpa = USED;
	vq->ready = true;
	virtio_dev_write_status(&b.dev, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	virtio_dev_notify(&b.dev, 0);
	while (b.disk.io.inflight > 0 && disk_io_reap(&b.disk.io, true) >= 0)
		;
	virtio_blk_destroy(&b);
out_mem:
	guest_mem_destroy(&mem);
	return 0;
}
