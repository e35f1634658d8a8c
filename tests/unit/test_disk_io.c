/* Unit tests: io_uring disk I/O on a temporary image file. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/disk_io.h"

#define IMG_SIZE (1 << 20)

struct rec {
	struct disk_io_req req;
	int res;
	int calls;
};

static void done(struct disk_io_req *req, int res)
{
	struct rec *r = (struct rec *)req;

	r->res = res;
	r->calls++;
}

static char path[64];

static int make_image(void **state)
{
	int fd;

	(void)state;
	strcpy(path, "/tmp/skiff-disk-io-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, IMG_SIZE), 0);
	close(fd);
	return 0;
}

static int remove_image(void **state)
{
	(void)state;
	unlink(path);
	return 0;
}

static void run_one(struct disk_io *io, struct rec *r)
{
	assert_int_equal(disk_io_submit(io), 0);
	while (r->calls == 0)
		assert_true(disk_io_reap(io, true) >= 0);
}

static void write_flush_read(void **state)
{
	struct disk_io io;
	char out[4096], in[4096];
	struct iovec wiov[2] = { { out, 1000 }, { out + 1000, 3096 } };
	struct iovec riov = { in, sizeof(in) };
	struct rec w = { { done }, 0, 0 }, f = { { done }, 0, 0 }, r = { { done }, 0, 0 };

	(void)state;
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 13);
	assert_int_equal(disk_io_open(&io, path, false, 8, NULL), 0);
	assert_int_equal(io.size, IMG_SIZE);
	assert_int_equal(disk_io_writev(&io, 8192, wiov, 2, &w.req), 0);
	assert_int_equal(disk_io_flush(&io, &f.req), 0);
	run_one(&io, &f);
	assert_int_equal(w.calls, 1);
	assert_int_equal(w.res, 4096);
	assert_int_equal(f.res, 0);
	assert_int_equal(disk_io_readv(&io, 8192, &riov, 1, &r.req), 0);
	run_one(&io, &r);
	assert_int_equal(r.res, 4096);
	assert_memory_equal(in, out, sizeof(in));
	/* the bytes are in the file, as another reader sees it */
	int fd = open(path, O_RDONLY);
	assert_int_equal(pread(fd, in, sizeof(in), 8192), sizeof(in));
	close(fd);
	assert_memory_equal(in, out, sizeof(in));
	disk_io_close(&io);
}

static void zeroes_and_discard(void **state)
{
	struct disk_io io;
	char buf[8192];
	struct iovec iov = { buf, sizeof(buf) };
	struct rec w = { { done }, 0, 0 }, z = { { done }, 0, 0 }, d = { { done }, 0, 0 };
	struct rec r = { { done }, 0, 0 };

	(void)state;
	memset(buf, 0xab, sizeof(buf));
	assert_int_equal(disk_io_open(&io, path, false, 4, NULL), 0);
	assert_int_equal(disk_io_writev(&io, 0, &iov, 1, &w.req), 0);
	run_one(&io, &w);
	assert_int_equal(disk_io_write_zeroes(&io, 0, 4096, &z.req), 0);
	run_one(&io, &z);
	assert_int_equal(z.res, 0);
	assert_int_equal(disk_io_discard(&io, 4096, 4096, &d.req), 0);
	run_one(&io, &d);
	assert_int_equal(d.res, 0);
	assert_int_equal(disk_io_readv(&io, 0, &iov, 1, &r.req), 0);
	run_one(&io, &r);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], 0);
	disk_io_close(&io);
}

static void readonly_and_depth(void **state)
{
	struct disk_io io;
	char buf[512];
	struct iovec iov = { buf, sizeof(buf) };
	struct rec rs[3];

	(void)state;
	memset(rs, 0, sizeof(rs));
	for (int i = 0; i < 3; i++)
		rs[i].req.done = done;
	assert_int_equal(disk_io_open(&io, path, true, 2, NULL), 0);
	assert_int_equal(disk_io_writev(&io, 0, &iov, 1, &rs[0].req), -EROFS);
	assert_int_equal(disk_io_discard(&io, 0, 512, &rs[0].req), -EROFS);
	assert_int_equal(disk_io_write_zeroes(&io, 0, 512, &rs[0].req), -EROFS);
	assert_int_equal(disk_io_readv(&io, 0, &iov, 1, &rs[0].req), 0);
	assert_int_equal(disk_io_readv(&io, 512, &iov, 1, &rs[1].req), 0);
	assert_int_equal(disk_io_readv(&io, 1024, &iov, 1, &rs[2].req), -EAGAIN);
	/* close completes what is in flight */
	disk_io_close(&io);
	assert_int_equal(rs[0].calls, 1);
	assert_int_equal(rs[1].calls, 1);
	assert_int_equal(rs[2].calls, 0);
}

static void open_errors(void **state)
{
	struct disk_io io;

	(void)state;
	assert_int_equal(disk_io_open(&io, "/nonexistent/disk.img", false, 4, NULL), -ENOENT);
	assert_int_equal(disk_io_open(&io, "/tmp", false, 4, NULL), -EISDIR);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(write_flush_read, make_image, remove_image),
		cmocka_unit_test_setup_teardown(zeroes_and_discard, make_image, remove_image),
		cmocka_unit_test_setup_teardown(readonly_and_depth, make_image, remove_image),
		cmocka_unit_test(open_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
