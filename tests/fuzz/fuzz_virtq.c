/* libFuzzer target: the virtqueue (and, for one input bit, the device core
 * with virtio-rng on top) against guest memory the fuzzer writes.
 *
 * Input: a 12-byte header, then the first bytes of guest RAM.
 *   [0]    flags: 1 IN_ORDER, 2 EVENT_IDX, 4 INDIRECT_DESC, 8 via virtio-rng
 *   [1]    log2(queue size) (mod 9: sizes 1..256)
 *   [2,3]  starting last_avail_idx / used_idx (le16): index wrap-around
 *   [4,5]  desc gpa / 16, [6,7] avail gpa / 2, [8,9] used gpa / 4 (le16)
 *   [10]   max_segs - 1 (mod 64)
 *   [11]   how much each push reports written: 0 all, 1 half, 2 none, 3 mixed
 * Guest RAM is 80 KiB in two adjacent regions (64 KiB + 16 KiB) so that
 * buffers and rings can straddle a region boundary or run off the end.
 * Invariants checked (beyond ASan/UBSan): every segment pop returns lies
 * inside guest RAM, lengths add up, nothing loops. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_config.h>

#include "devices/virtio_rng.h"
#include "mem/guest_mem.h"
#include "virtio/virtq.h"
#include "virtio_driver.h"

#define RAM     0x14000u
#define SPLIT   0x10000u
#define HDR     12
#define MAXSEGS 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static int in_ram(const struct guest_mem *mem, const void *p, size_t len)
{
	for (unsigned int i = 0; i < mem->nregions; i++) {
		const uint8_t *b = mem->regions[i].hva;

		if ((const uint8_t *)p >= b && (const uint8_t *)p + len <= b + mem->regions[i].size)
			return 1;
	}
	return 0;
}

static uint32_t written(uint8_t mode, const struct virtq_chain *c, unsigned int n)
{
	switch (mode & 3) {
	case 0: return c->writable_len;
	case 1: return c->writable_len / 2;
	case 2: return 0;
	default: return n & 1 ? c->writable_len : c->writable_len / 3;
	}
}

static void configure(struct virtq *vq, const uint8_t *h)
{
	vq->size = (uint16_t)(1u << (h[1] % 9));
	vq->desc_gpa = (uint64_t)le16(h + 4) * 16;
	vq->avail_gpa = (uint64_t)le16(h + 6) * 2;
	vq->used_gpa = (uint64_t)le16(h + 8) * 4;
	vq->ready = true;
}

static void run_queue(const struct guest_mem *mem, const uint8_t *h, uint64_t features)
{
	struct virtq vq;
	struct virtq_seg segs[MAXSEGS];
	struct virtq_chain c;
	unsigned int max_segs = 1 + h[10] % MAXSEGS, n = 0;
	int r;

	virtq_init(&vq, 256);
	configure(&vq, h);
	vq.last_avail_idx = vq.used_idx = le16(h + 2);
	if (virtq_start(&vq, mem, features) < 0)
		return;
	virtq_disable_notify(&vq);
	for (int round = 0; round < 2; round++) {
		/* At most size chains can be available at once. */
		while (n < 2u * vq.size + 2 && (r = virtq_pop(&vq, segs, max_segs, &c)) > 0) {
			uint64_t rl = 0, wl = 0;

			if (c.nsegs > max_segs || c.nreadable > c.nsegs || c.head >= vq.size)
				abort();
			for (unsigned int i = 0; i < c.nsegs; i++) {
				if (!in_ram(mem, segs[i].addr, segs[i].len) || !segs[i].len)
					abort();
				if (segs[i].writable) {
					memset(segs[i].addr, 0x5a, segs[i].len);
					wl += segs[i].len;
				} else {
					rl += segs[i].len;
				}
			}
			if (rl != c.readable_len || wl != c.writable_len)
				abort();
			if (n == 3)   /* give one back and take it again */
				virtq_unpop(&vq, &c);
			else
				virtq_push(&vq, &c, written(h[11], &c, n));
			n++;
			if ((n & 7) == 0) {
				virtq_flush(&vq);
				(void)virtq_should_signal(&vq);
			}
		}
		virtq_flush(&vq);
		(void)virtq_should_signal(&vq);
		if (!virtq_enable_notify(&vq))
			break;
	}
}

/* The same memory through the core and virtio-rng, as a driver would set
 * it up: every guest error must end in NEEDS_RESET, never a crash. */
static void run_device(const struct guest_mem *mem, const uint8_t *h, uint64_t features)
{
	struct virtio_rng *rng;
	struct virtio_dev *d;

	if (virtio_rng_create(mem, NULL, &rng) < 0)
		return;
	d = &rng->dev;
	vdrv_negotiate(&(struct vdrv){ .d = d }, features);
	configure(virtio_dev_selected_queue(d), h);
	virtio_dev_write_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				   VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	virtio_dev_notify(d, 0);
	virtio_dev_notify(d, 0);
	virtio_dev_write_status(d, 0);
	virtio_rng_destroy(rng);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct guest_mem mem;
	uint64_t features = 1ULL << VIRTIO_F_VERSION_1;
	uint8_t h[HDR] = { 0 };
	size_t body;

	if (size < HDR)
		return 0;
	memcpy(h, data, HDR);
	if (guest_mem_init(&mem, RAM, SPLIT, SPLIT) < 0)
		return 0;
	body = size - HDR < SPLIT ? size - HDR : SPLIT;
	if (body)
		guest_mem_write(&mem, 0, data + HDR, body);
	if (size - HDR > SPLIT)
		guest_mem_write(&mem, SPLIT, data + HDR + SPLIT,
				size - HDR - SPLIT < RAM - SPLIT ? size - HDR - SPLIT : RAM - SPLIT);
	if (h[0] & 1)
		features |= 1ULL << VIRTIO_F_IN_ORDER;
	if (h[0] & 2)
		features |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
	if (h[0] & 4)
		features |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	if (h[0] & 8)
		run_device(&mem, h, features);
	else
		run_queue(&mem, h, features);
	guest_mem_destroy(&mem);
	return 0;
}
