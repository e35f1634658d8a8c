/* Unit tests: virtio-blk request handling against a temporary image. */
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

#include "devices/blk_req.h"

#define SECTORS 64

static char path[64];
static struct blk_disk disk;
static int completions;

static void on_complete(struct blk_request *r)
{
	r->done = true;
	completions++;
}

static int open_disk(bool readonly)
{
	int fd;

	strcpy(path, "/tmp/skiff-blk-XXXXXX");
	fd = mkstemp(path);
	if (fd < 0 || ftruncate(fd, SECTORS * 512) < 0)
		return -1;
	close(fd);
	memset(&disk, 0, sizeof(disk));
	if (disk_io_open(&disk.io, path, readonly, 16, NULL) < 0)
		return -1;
	disk.sectors = SECTORS;
	memcpy(disk.serial, "skiff-serial-0001", 17);
	completions = 0;
	return 0;
}

static int setup_rw(void **state) { (void)state; return open_disk(false); }
static int setup_ro(void **state) { (void)state; return open_disk(true); }
static int teardown(void **state)
{
	(void)state;
	disk_io_close(&disk.io);
	unlink(path);
	return 0;
}

/* Run a request to completion; returns the status byte. */
static uint8_t run(struct blk_request *r, struct iovec *seg, unsigned int n, unsigned int nr)
{
	int q;

	r->complete = on_complete;
	r->done = false;
	q = blk_req_start(&disk, r, seg, n, nr);
	assert_true(q == 0 || q == 1);
	if (q == 0) {
		assert_int_equal(disk_io_submit(&disk.io), 0);
		while (!r->done)
			assert_true(disk_io_reap(&disk.io, true) >= 0);
	}
	return *r->status;
}

static void write_then_read(void **state)
{
	static struct blk_request r;
	struct virtio_blk_outhdr hdr = { .type = VIRTIO_BLK_T_OUT, .sector = 3 };
	uint8_t data[1024], back[1024], st = 0xff;
	/* the header split across two descriptors, data in two pieces */
	struct iovec w[] = { { &hdr, 6 }, { (uint8_t *)&hdr + 6, 10 }, { data, 100 },
			     { data + 100, 924 }, { &st, 1 } };
	struct iovec rd[] = { { &hdr, 16 }, { back, 1024 }, { &st, 1 } };

	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7 + 1);
	assert_int_equal(run(&r, w, 5, 4), VIRTIO_BLK_S_OK);
	assert_int_equal(r.used_len, 1);
	hdr.type = VIRTIO_BLK_T_IN;
	assert_int_equal(run(&r, rd, 3, 1), VIRTIO_BLK_S_OK);
	assert_int_equal(r.used_len, 1024 + 1);
	assert_memory_equal(back, data, sizeof(data));
	/* on disk at sector 3 */
	int fd = open(path, O_RDONLY);
	assert_int_equal(pread(fd, back, sizeof(back), 3 * 512), sizeof(back));
	close(fd);
	assert_memory_equal(back, data, sizeof(data));
	/* flush */
	hdr.type = VIRTIO_BLK_T_FLUSH;
	struct iovec f[] = { { &hdr, 16 }, { &st, 1 } };
	assert_int_equal(run(&r, f, 2, 1), VIRTIO_BLK_S_OK);
	assert_int_equal(completions, 3);
}

static void bad_requests_get_status(void **state)
{
	static struct blk_request r;
	struct virtio_blk_outhdr hdr = { .type = VIRTIO_BLK_T_IN, .sector = SECTORS - 1 };
	uint8_t buf[1024], st;
	struct iovec rd[] = { { &hdr, 16 }, { buf, 1024 }, { &st, 1 } };
	struct iovec odd[] = { { &hdr, 16 }, { buf, 100 }, { &st, 1 } };
	struct iovec shorthdr[] = { { &hdr, 8 }, { &st, 1 } };

	(void)state;
	/* past the end */
	assert_int_equal(run(&r, rd, 3, 1), VIRTIO_BLK_S_IOERR);
	hdr.sector = UINT64_MAX - 1; /* overflow */
	assert_int_equal(run(&r, rd, 3, 1), VIRTIO_BLK_S_IOERR);
	/* exactly the last sector is fine */
	hdr.sector = SECTORS - 2;
	assert_int_equal(run(&r, rd, 3, 1), VIRTIO_BLK_S_OK);
	/* not a whole number of sectors */
	hdr.sector = 0;
	assert_int_equal(run(&r, odd, 3, 1), VIRTIO_BLK_S_IOERR);
	/* header shorter than 16 bytes */
	assert_int_equal(run(&r, shorthdr, 2, 1), VIRTIO_BLK_S_IOERR);
	/* unknown type */
	hdr.type = 99;
	struct iovec f[] = { { &hdr, 16 }, { &st, 1 } };
	assert_int_equal(run(&r, f, 2, 1), VIRTIO_BLK_S_UNSUPP);
	/* no writable byte at all: cannot be answered */
	struct iovec none[] = { { &hdr, 16 } };
	r.complete = on_complete;
	assert_int_equal(blk_req_start(&disk, &r, none, 1, 1), -EPROTO);
	assert_true(disk.guest_errors >= 5);
	assert_int_equal(disk.io.inflight, 0);
}

static void get_id(void **state)
{
	static struct blk_request r;
	struct virtio_blk_outhdr hdr = { .type = VIRTIO_BLK_T_GET_ID };
	char id[VIRTIO_BLK_ID_BYTES + 4];
	uint8_t st;
	struct iovec v[] = { { &hdr, 16 }, { id, VIRTIO_BLK_ID_BYTES }, { &st, 1 } };

	(void)state;
	memset(id, 'x', sizeof(id));
	assert_int_equal(run(&r, v, 3, 1), VIRTIO_BLK_S_OK);
	assert_string_equal(id, "skiff-serial-0001");
	assert_int_equal(r.used_len, VIRTIO_BLK_ID_BYTES + 1);
}

static void discard_and_zeroes(void **state)
{
	static struct blk_request r;
	struct virtio_blk_outhdr hdr = { .type = VIRTIO_BLK_T_OUT, .sector = 0 };
	struct virtio_blk_discard_write_zeroes range = { .sector = 0, .num_sectors = 2 };
	uint8_t data[1024], st;
	struct iovec w[] = { { &hdr, 16 }, { data, 1024 }, { &st, 1 } };
	struct iovec d[] = { { &hdr, 16 }, { &range, sizeof(range) }, { &st, 1 } };
	struct iovec rd[] = { { &hdr, 16 }, { data, 1024 }, { &st, 1 } };

	(void)state;
	memset(data, 0x5a, sizeof(data));
	assert_int_equal(run(&r, w, 3, 2), VIRTIO_BLK_S_OK);
	hdr.type = VIRTIO_BLK_T_WRITE_ZEROES;
	range.flags = VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP;
	assert_int_equal(run(&r, d, 3, 2), VIRTIO_BLK_S_OK);
	hdr.type = VIRTIO_BLK_T_IN;
	assert_int_equal(run(&r, rd, 3, 1), VIRTIO_BLK_S_OK);
	for (size_t i = 0; i < sizeof(data); i++)
		assert_int_equal(data[i], 0);
	/* discard with flags is unsupported; a range past the end is an error */
	hdr.type = VIRTIO_BLK_T_DISCARD;
	assert_int_equal(run(&r, d, 3, 2), VIRTIO_BLK_S_UNSUPP);
	range.flags = 0;
	assert_int_equal(run(&r, d, 3, 2), VIRTIO_BLK_S_OK);
	range.sector = SECTORS - 1;
	assert_int_equal(run(&r, d, 3, 2), VIRTIO_BLK_S_IOERR);
	/* two ranges where we advertise one */
	struct virtio_blk_discard_write_zeroes two[2] = { { 0, 1, 0 }, { 1, 1, 0 } };
	struct iovec d2[] = { { &hdr, 16 }, { two, sizeof(two) }, { &st, 1 } };
	assert_int_equal(run(&r, d2, 3, 2), VIRTIO_BLK_S_UNSUPP);
}

static void readonly_refuses_writes(void **state)
{
	static struct blk_request r;
	struct virtio_blk_outhdr hdr = { .type = VIRTIO_BLK_T_OUT, .sector = 0 };
	struct virtio_blk_discard_write_zeroes range = { .sector = 0, .num_sectors = 1 };
	uint8_t data[512] = { 1 }, st;
	struct iovec w[] = { { &hdr, 16 }, { data, 512 }, { &st, 1 } };
	struct iovec d[] = { { &hdr, 16 }, { &range, sizeof(range) }, { &st, 1 } };

	(void)state;
	assert_int_equal(run(&r, w, 3, 2), VIRTIO_BLK_S_IOERR);
	hdr.type = VIRTIO_BLK_T_DISCARD;
	assert_int_equal(run(&r, d, 3, 2), VIRTIO_BLK_S_IOERR);
	hdr.type = VIRTIO_BLK_T_WRITE_ZEROES;
	assert_int_equal(run(&r, d, 3, 2), VIRTIO_BLK_S_IOERR);
	hdr.type = VIRTIO_BLK_T_IN;
	struct iovec rd[] = { { &hdr, 16 }, { data, 512 }, { &st, 1 } };
	assert_int_equal(run(&r, rd, 3, 1), VIRTIO_BLK_S_OK);
	hdr.type = VIRTIO_BLK_T_FLUSH;
	struct iovec f[] = { { &hdr, 16 }, { &st, 1 } };
	assert_int_equal(run(&r, f, 2, 1), VIRTIO_BLK_S_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(write_then_read, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(bad_requests_get_status, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(get_id, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(discard_and_zeroes, setup_rw, teardown),
		cmocka_unit_test_setup_teardown(readonly_refuses_writes, setup_ro, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
