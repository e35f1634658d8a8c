/* Unit tests: the generic vhost layer's checks and error paths, and the
 * memory-table walk it relies on. No /dev/vhost-* exists on the build
 * machines; the ioctls themselves run in the sandbox integration tests
 * (virtio-net and virtio-vsock with vhost=on). */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "support/virtio_driver.h"
#include "virtio/device.h"
#include "virtio/vhost.h"

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;

	assert_non_null(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void open_errors_leave_nothing_open(void **state)
{
	struct vhost_backend b;
	int before = open_fds();

	(void)state;
	assert_int_equal(vhost_backend_open(&b, "/nonexistent/vhost-net"), -ENOENT);
	assert_int_equal(b.fd, -1);
	/* a file that is not a vhost device refuses VHOST_SET_OWNER */
	assert_int_equal(vhost_backend_open(&b, "/dev/null"), -ENOTTY);
	assert_int_equal(b.fd, -1);
	assert_int_equal(open_fds(), before);
	vhost_backend_close(&b); /* closed twice: harmless */
}

static void features_not_offered_are_refused(void **state)
{
	struct vhost_backend b = { .fd = -1, .features = 1ULL << 32 };

	(void)state;
	/* checked before any ioctl, so no device is needed */
	assert_int_equal(vhost_backend_set_features(&b, (1ULL << 32) | 1), -EINVAL);
	/* offered bits get as far as the ioctl (here: a closed fd) */
	assert_int_equal(vhost_backend_set_features(&b, 1ULL << 32), -EBADF);
}

static void queue_must_be_started(void **state)
{
	struct vhost_backend b = { .fd = -1 };
	struct virtq vq;

	(void)state;
	virtq_init(&vq, 256);
	assert_int_equal(vhost_backend_start_queue(&b, 0, &vq, -1, -1), -EINVAL);
}

struct seen {
	int n;
	uint64_t total;
	int stop_at;
};

static int count_region(const struct guest_mem_region *r, void *ctx)
{
	struct seen *s = ctx;

	s->n++;
	s->total += r->size;
	return s->n == s->stop_at ? 42 : 0;
}

/* The memory table is every region: two adjacent RAM regions here. */
static void for_each_visits_every_region(void **state)
{
	struct vdrv_mem m;
	struct seen s = { 0 };

	(void)state;
	assert_int_equal(vdrv_mem_init(&m, 1u << 20), 0);
	assert_int_equal(guest_mem_for_each(&m.mem, count_region, &s), 2);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.total, VDRV_RAM);
	/* a non-zero return stops the walk and is passed back */
	s = (struct seen){ .stop_at = 1 };
	assert_int_equal(guest_mem_for_each(&m.mem, count_region, &s), 42);
	assert_int_equal(s.n, 1);
	vdrv_mem_destroy(&m);
}

/* The unit-test transport cannot offload: devices must fall back. */
static void harness_transport_cannot_offload(void **state)
{
	struct vdrv_transport t;
	struct virtio_dev d;
	static const struct virtio_dev_ops ops = { .num_queues = 2 };
	int kick, call;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.ops = &ops;
	vdrv_transport_init(&t);
	d.transport = t.t;
	assert_int_equal(virtio_dev_queue_offload(&d, 0, &kick, &call), -ENOTSUP);
	assert_int_equal(virtio_dev_queue_offload(&d, 2, &kick, &call), -EINVAL);
	virtio_dev_queue_reclaim(&d, 0); /* nothing to undo, no crash */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(open_errors_leave_nothing_open),
		cmocka_unit_test(features_not_offered_are_refused),
		cmocka_unit_test(queue_must_be_started),
		cmocka_unit_test(for_each_visits_every_region),
		cmocka_unit_test(harness_transport_cannot_offload),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
