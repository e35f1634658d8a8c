/* Unit tests: the virtio-blk device driven from the driver side (harness in
 * tests/unit/support/virtio_driver), over a temporary image. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <linux/virtio_ring.h>

#include "devices/virtio_blk.h"
#include "support/virtio_driver.h"

#define IMG_SECTORS 2048 /* 1 MiB */

struct fx {
	struct vdrv_mem m;
	struct vdrv v;
	struct virtio_blk b;
	char path[64];
	uint64_t feats;
};

static int open_blk(void **state, bool readonly)
{
	static struct fx f;
	int fd;

	memset(&f, 0, sizeof(f));
	strcpy(f.path, "/tmp/skiff-vblk-XXXXXX");
	fd = mkstemp(f.path);
	assert_true(fd >= 0);
	for (int s = 0; s < IMG_SECTORS; s++) {
		uint8_t sec[512];

		memset(sec, (uint8_t)s, sizeof(sec));
		assert_int_equal(write(fd, sec, sizeof(sec)), sizeof(sec));
	}
	close(fd);
	assert_int_equal(vdrv_mem_init(&f.m, 0), 0);
	assert_int_equal(virtio_blk_init(&f.b, f.path, readonly, "SER-1", 1, &f.m.mem, NULL), 0);
	vdrv_attach(&f.v, &f.b.dev, &f.m);
	f.feats = vdrv_device_features(&f.v);
	*state = &f;
	return 0;
}

static int setup_rw(void **state) { return open_blk(state, false); }
static int setup_ro(void **state) { return open_blk(state, true); }

static int teardown(void **state)
{
	struct fx *f = *state;

	virtio_blk_destroy(&f->b);
	vdrv_mem_destroy(&f->m);
	unlink(f->path);
	return 0;
}

/* Completions come from io_uring: collect them (the loop would). */
static void settle(struct fx *f)
{
	while (f->b.disk.io.inflight > 0)
		assert_true(disk_io_reap(&f->b.disk.io, true) >= 0);
}

/* Queue a request: header, optional data, status byte. Returns the head. */
static int request(struct fx *f, uint32_t type, uint64_t sector, uint64_t data, uint32_t len,
		   bool data_writable, uint64_t *status)
{
	struct virtio_blk_outhdr hdr = { .type = type, .sector = sector };
	uint64_t h = vdrv_alloc(&f->m, sizeof(hdr));
	struct vdrv_buf bufs[3];
	unsigned int n = 0;
	int head;

	*status = vdrv_alloc(&f->m, 1);
	*(uint8_t *)vdrv_host(&f->m, *status, 1) = 0xee;
	memcpy(vdrv_host(&f->m, h, sizeof(hdr)), &hdr, sizeof(hdr));
	bufs[n++] = (struct vdrv_buf){ h, sizeof(hdr), false };
	if (len)
		bufs[n++] = (struct vdrv_buf){ data, len, data_writable };
	bufs[n++] = (struct vdrv_buf){ *status, 1, true };
	head = vdrv_add(&f->v.rings[0], bufs, n, false);
	assert_true(head >= 0);
	vdrv_publish(&f->v.rings[0], (uint16_t)head);
	return head;
}

static uint8_t status_of(struct fx *f, uint64_t status)
{
	return *(uint8_t *)vdrv_host(&f->m, status, 1);
}

static void offers_and_config(void **state)
{
	struct fx *f = *state;
	struct virtio_blk_config cfg;

	assert_true(f->feats & (1ULL << VIRTIO_BLK_F_FLUSH));
	assert_true(f->feats & (1ULL << VIRTIO_BLK_F_DISCARD));
	assert_true(f->feats & (1ULL << VIRTIO_BLK_F_WRITE_ZEROES));
	assert_true(f->feats & (1ULL << VIRTIO_F_IN_ORDER));
	assert_true(f->feats & (1ULL << VIRTIO_F_VERSION_1));
	assert_false(f->feats & (1ULL << VIRTIO_BLK_F_RO));
	virtio_dev_config_read(&f->b.dev, 0, &cfg, sizeof(cfg));
	assert_int_equal(cfg.capacity, IMG_SECTORS);
	assert_int_equal(cfg.blk_size, 512);
	assert_int_equal(cfg.seg_max, BLK_SEG_MAX);
}

/* Three reads in one kick come back in order; with IN_ORDER as one batch. */
static void reads_in_order(void **state)
{
	struct fx *f = *state;
	uint64_t data[3], st[3];
	int heads[3];
	uint16_t id;
	uint32_t len;

	assert_true(vdrv_bring_up(&f->v, f->feats, 64) & VIRTIO_CONFIG_S_DRIVER_OK);
	for (int i = 0; i < 3; i++) {
		data[i] = vdrv_alloc(&f->m, 4096);
		heads[i] = request(f, VIRTIO_BLK_T_IN, 8 * (uint64_t)(i + 1), data[i], 4096, true, &st[i]);
	}
	vdrv_kick(&f->v, 0);
	/* Let all three finish in the kernel, so one reap sees them together. */
	for (int t = 0; t < 5000 && io_uring_cq_ready(&f->b.disk.io.ring) < 3; t++)
		usleep(1000);
	settle(f);
	for (int i = 0; i < 3; i++) {
		uint8_t *p = vdrv_host(&f->m, data[i], 4096);

		assert_int_equal(vdrv_get_used(&f->v.rings[0], &id, &len), 1);
		assert_int_equal(id, heads[i]);
		assert_int_equal(len, 4096 + 1);
		assert_int_equal(status_of(f, st[i]), VIRTIO_BLK_S_OK);
		for (int s = 0; s < 8; s++)
			assert_int_equal(p[s * 512], (uint8_t)(8 * (i + 1) + s));
	}
	/* One used entry for the batch of three (spec 2.7.9): in the batch's
	 * first slot, with the last buffer's id; the index moves by three. */
	assert_int_equal(vdrv_used_idx(&f->v.rings[0]), 3);
	assert_int_equal(vdrv_used_elem(&f->v.rings[0], 0).id, heads[2]);
	assert_int_equal(vdrv_used_elem(&f->v.rings[0], 1).len, 0);
	assert_int_equal(vdrv_used_elem(&f->v.rings[0], 2).len, 0);
	assert_true(f->v.tr.queue_irqs[0] >= 1);
}

static void write_flush_reaches_file(void **state)
{
	struct fx *f = *state;
	uint64_t data = vdrv_alloc(&f->m, 1024), st, st2;
	uint8_t back[1024];
	uint16_t id;
	uint32_t len;
	int fd;

	assert_true(vdrv_bring_up(&f->v, f->feats & ~(1ULL << VIRTIO_F_IN_ORDER), 64) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	memset(vdrv_host(&f->m, data, 1024), 0x77, 1024);
	request(f, VIRTIO_BLK_T_OUT, 100, data, 1024, false, &st);
	request(f, VIRTIO_BLK_T_FLUSH, 0, 0, 0, false, &st2);
	vdrv_kick(&f->v, 0);
	settle(f);
	assert_int_equal(vdrv_get_used(&f->v.rings[0], &id, &len), 1);
	assert_int_equal(len, 1);
	assert_int_equal(vdrv_get_used(&f->v.rings[0], &id, &len), 1);
	assert_int_equal(status_of(f, st), VIRTIO_BLK_S_OK);
	assert_int_equal(status_of(f, st2), VIRTIO_BLK_S_OK);
	/* without IN_ORDER every request has its own used entry */
	assert_int_equal(vdrv_used_idx(&f->v.rings[0]), 2);
	fd = open(f->path, O_RDONLY);
	assert_int_equal(pread(fd, back, sizeof(back), 100 * 512), sizeof(back));
	close(fd);
	for (size_t i = 0; i < sizeof(back); i++)
		assert_int_equal(back[i], 0x77);
}

static void readonly_refuses_write(void **state)
{
	struct fx *f = *state;
	uint64_t data = vdrv_alloc(&f->m, 512), st;
	uint16_t id;
	uint32_t len;

	assert_true(f->feats & (1ULL << VIRTIO_BLK_F_RO));
	assert_false(f->feats & (1ULL << VIRTIO_BLK_F_DISCARD));
	assert_true(vdrv_bring_up(&f->v, f->feats, 64) & VIRTIO_CONFIG_S_DRIVER_OK);
	request(f, VIRTIO_BLK_T_OUT, 0, data, 512, false, &st);
	vdrv_kick(&f->v, 0);
	settle(f);
	assert_int_equal(vdrv_get_used(&f->v.rings[0], &id, &len), 1);
	assert_int_equal(status_of(f, st), VIRTIO_BLK_S_IOERR);
}

/* A chain with no writable byte cannot be answered: DEVICE_NEEDS_RESET. */
static void unanswerable_chain_needs_reset(void **state)
{
	struct fx *f = *state;
	struct virtio_blk_outhdr hdr = { .type = VIRTIO_BLK_T_IN };
	uint64_t h = vdrv_alloc(&f->m, sizeof(hdr));
	struct vdrv_buf buf = { h, sizeof(hdr), false };
	int head;

	assert_true(vdrv_bring_up(&f->v, f->feats, 64) & VIRTIO_CONFIG_S_DRIVER_OK);
	memcpy(vdrv_host(&f->m, h, sizeof(hdr)), &hdr, sizeof(hdr));
	head = vdrv_add(&f->v.rings[0], &buf, 1, false);
	vdrv_publish(&f->v.rings[0], (uint16_t)head);
	vdrv_kick(&f->v, 0);
	settle(f);
	assert_true(virtio_dev_read_status(&f->b.dev) & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_true(f->v.tr.config_irqs >= 1);
	assert_int_equal(vdrv_used_idx(&f->v.rings[0]), 0);
}

/* Reset while a read is in flight: its completion must not touch the new
 * ring, and the device works again after bring-up. */
static void reset_mid_request(void **state)
{
	struct fx *f = *state;
	uint64_t data = vdrv_alloc(&f->m, 4096), st;
	uint16_t id;
	uint32_t len;

	assert_true(vdrv_bring_up(&f->v, f->feats, 64) & VIRTIO_CONFIG_S_DRIVER_OK);
	request(f, VIRTIO_BLK_T_IN, 0, data, 4096, true, &st);
	vdrv_kick(&f->v, 0);
	assert_int_equal(f->b.disk.io.inflight, 1);
	virtio_dev_write_status(&f->b.dev, 0); /* reset */
	settle(f);
	assert_int_equal(f->b.queues[0].count, 0);
	/* again, on fresh rings */
	assert_true(vdrv_bring_up(&f->v, f->feats, 64) & VIRTIO_CONFIG_S_DRIVER_OK);
	request(f, VIRTIO_BLK_T_IN, 0, data, 4096, true, &st);
	vdrv_kick(&f->v, 0);
	settle(f);
	assert_int_equal(vdrv_get_used(&f->v.rings[0], &id, &len), 1);
	assert_int_equal(len, 4097);
	assert_int_equal(status_of(f, st), VIRTIO_BLK_S_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(offers_and_config, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(reads_in_order, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(write_flush_reaches_file, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(readonly_refuses_write, setup_ro, teardown),
		cmocka_unit_test_setup_teardown(unanswerable_chain_needs_reset, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(reset_mid_request, setup_rw, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
