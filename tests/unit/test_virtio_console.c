/* Unit tests: virtio-console (one port, hvc0) driven from the driver side. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/virtio_console.h"
#include "support/virtio_driver.h"

struct fx {
	struct vdrv_mem m;
	struct vdrv v;
	struct virtio_console c;
	int pipe[2];
	int rooms;
};

static void on_room(void *ctx)
{
	((struct fx *)ctx)->rooms++;
}

static int setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof(f));
	assert_int_equal(pipe(f.pipe), 0);
	fcntl(f.pipe[0], F_SETFL, O_NONBLOCK);
	assert_int_equal(vdrv_mem_init(&f.m, 0), 0);
	assert_int_equal(virtio_console_init(&f.c, f.pipe[1], &f.m.mem, NULL), 0);
	f.c.rx_room = on_room;
	f.c.rx_room_ctx = &f;
	vdrv_attach(&f.v, &f.c.dev, &f.m);
	assert_true(vdrv_bring_up(&f.v, vdrv_device_features(&f.v), 16) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	virtio_console_destroy(&f->c);
	vdrv_mem_destroy(&f->m);
	close(f->pipe[0]);
	close(f->pipe[1]);
	return 0;
}

static void transmit_reaches_host(void **state)
{
	struct fx *f = *state;
	uint64_t a = vdrv_alloc(&f->m, 8), b = vdrv_alloc(&f->m, 8);
	struct vdrv_buf bufs[2] = { { a, 6, false }, { b, 5, false } };
	char out[32] = { 0 };
	uint16_t id;
	uint32_t len;
	int head;

	memcpy(vdrv_host(&f->m, a, 6), "hello ", 6);
	memcpy(vdrv_host(&f->m, b, 5), "hvc0\n", 5);
	head = vdrv_add(&f->v.rings[1], bufs, 2, false);
	vdrv_publish(&f->v.rings[1], (uint16_t)head);
	vdrv_kick(&f->v, 1);
	assert_int_equal(read(f->pipe[0], out, sizeof(out)), 11);
	assert_string_equal(out, "hello hvc0\n");
	assert_int_equal(vdrv_get_used(&f->v.rings[1], &id, &len), 1);
	assert_int_equal(id, head);
	assert_int_equal(len, 0);
	assert_true(f->v.tr.queue_irqs[1] >= 1);
}

static void receive_fills_posted_buffers(void **state)
{
	struct fx *f = *state;
	uint64_t a = vdrv_alloc(&f->m, 4), b = vdrv_alloc(&f->m, 4);
	struct vdrv_buf ba = { a, 4, true }, bb = { b, 4, true };
	uint16_t id;
	uint32_t len;
	int ha, hb;

	/* nothing posted: nothing taken, and nothing lost on our side */
	assert_int_equal(virtio_console_receive(&f->c, (const uint8_t *)"abc", 3), 0);
	ha = vdrv_add(&f->v.rings[0], &ba, 1, false);
	vdrv_publish(&f->v.rings[0], (uint16_t)ha);
	hb = vdrv_add(&f->v.rings[0], &bb, 1, false);
	vdrv_publish(&f->v.rings[0], (uint16_t)hb);
	vdrv_kick(&f->v, 0);
	assert_int_equal(f->rooms, 1); /* the owner hears it can feed input */
	/* 10 bytes, 8 bytes of buffers: 8 taken, in order */
	assert_int_equal(virtio_console_receive(&f->c, (const uint8_t *)"0123456789", 10), 8);
	assert_memory_equal(vdrv_host(&f->m, a, 4), "0123", 4);
	assert_memory_equal(vdrv_host(&f->m, b, 4), "4567", 4);
	assert_int_equal(vdrv_get_used(&f->v.rings[0], &id, &len), 1);
	assert_int_equal(id, ha);
	assert_int_equal(len, 4);
	assert_int_equal(vdrv_get_used(&f->v.rings[0], &id, &len), 1);
	assert_int_equal(id, hb);
	assert_int_equal(vdrv_get_used(&f->v.rings[0], &id, &len), 0);
}

static void not_ready_takes_nothing(void **state)
{
	struct fx *f = *state;

	virtio_dev_write_status(&f->c.dev, 0); /* reset */
	assert_int_equal(virtio_console_receive(&f->c, (const uint8_t *)"x", 1), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(transmit_reaches_host, setup, teardown),
		cmocka_unit_test_setup_teardown(receive_fills_posted_buffers, setup, teardown),
		cmocka_unit_test_setup_teardown(not_ready_takes_nothing, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
