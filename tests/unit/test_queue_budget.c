/* Unit tests: a device stops serving a queue after its budget and asks to
 * be notified again (virtio_dev_notify_again), so a guest that keeps its
 * rings full cannot hold the event loop and every other device on it.
 * Each device is driven from the guest side in fake memory; the recording
 * transport counts the notify_again calls. */
#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "net_fixture.h"

#include "devices/virtio_blk.h"
#include "devices/virtio_console.h"
#include "devices/virtio_rng.h"

#define F_V1       F(VIRTIO_F_VERSION_1)
#define F_EVENT    F(VIRTIO_RING_F_EVENT_IDX)
#define F_INDIRECT F(VIRTIO_RING_F_INDIRECT_DESC)
#define NET_BUDGET 256 /* net_datapath.c BUDGET */
#define TXQ 1

/* A one-descriptor tx chain whose header claims flags only the device may
 * set (5.1.6.2.1): dropped without a system call, the cheapest chain. */
static uint64_t bad_tx_chain(struct fx *f)
{
	uint64_t g = vdrv_alloc(&f->m, NET_HDR_LEN + 60);

	((struct virtio_net_hdr_v1 *)vdrv_host(&f->m, g, NET_HDR_LEN))->flags = 0x80;
	return g;
}

static void net_tx_stops_after_budget(void **state)
{
	struct fx *f = *state;
	struct vdrv_ring *r = &f->v.rings[TXQ];

	assert_true(vdrv_bring_up(&f->v, F_V1 | F_EVENT, VIRTIO_NET_QUEUE_SIZE) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	for (unsigned int i = 0; i < NET_BUDGET; i++) {
		struct vdrv_buf b = { bad_tx_chain(f), NET_HDR_LEN + 60, false };
		int h = vdrv_add(r, &b, 1, false);

		assert_true(h >= 0);
		vdrv_publish(r, (uint16_t)h);
	}
	vdrv_kick(&f->v, TXQ);
	assert_int_equal(vdrv_used_idx(r), NET_BUDGET);
	assert_int_equal(f->n.stats.tx_dropped, NET_BUDGET);
	/* Spent: it asks to come back, and leaves avail_event behind (the
	 * driver need not kick, 2.7.10) rather than looking once more. */
	assert_int_equal(f->v.tr.notify_again[TXQ], 1);
	assert_int_equal(vdrv_avail_event(r), 0);
	/* That second pass finds nothing and re-arms notifications. */
	vdrv_kick(&f->v, TXQ);
	assert_int_equal(f->v.tr.notify_again[TXQ], 1);
	assert_int_equal(vdrv_avail_event(r), NET_BUDGET);
	assert_false(needs_reset(f));
}

/* A second vCPU of a hostile guest: keeps the tx ring full by making head
 * 0 available again and again, never more than the ring ahead of what
 * the device used (so the ring stays well formed; the device publishes
 * each chain without IN_ORDER). Stops by itself after
 * `limit` chains, so that a device without a budget ends the test by
 * failing it rather than hanging it. */
struct refiller {
	struct vdrv_ring *r;
	uint16_t *avail;     /* flags, idx, ring[] */
	volatile uint16_t *used_idx;
	unsigned int limit, made;
	volatile bool stop;
};

static void *refill(void *arg)
{
	struct refiller *g = arg;
	uint16_t idx = 0;

	while (!g->stop && g->made < g->limit) {
		uint16_t used = __atomic_load_n(g->used_idx, __ATOMIC_ACQUIRE);
		uint16_t room = (uint16_t)(g->r->size - (uint16_t)(idx - used));

		/* All the room at once, so the device never finds it empty. */
		for (uint16_t i = 0; i < room; i++)
			g->avail[2 + (uint16_t)(idx + i) % g->r->size] = 0;
		idx = (uint16_t)(idx + room);
		__atomic_store_n(&g->avail[1], idx, __ATOMIC_RELEASE);
		g->made += room;
	}
	return NULL;
}

static void net_tx_busy_guest_cannot_hold_the_loop(void **state)
{
	struct fx *f = *state;
	struct vdrv_ring *r = &f->v.rings[TXQ];
	struct vdrv_buf b;
	struct refiller g;
	pthread_t t;

	assert_true(vdrv_bring_up(&f->v, F_V1, VIRTIO_NET_QUEUE_SIZE) & VIRTIO_CONFIG_S_DRIVER_OK);
	b = (struct vdrv_buf){ bad_tx_chain(f), NET_HDR_LEN + 60, false };
	assert_int_equal(vdrv_add(r, &b, 1, false), 0);
	g = (struct refiller){
		.r = r, .avail = vdrv_host(&f->m, r->avail, 4 + 2ULL * r->size),
		.used_idx = (uint16_t *)vdrv_host(&f->m, r->used + 2, 2), .limit = 200000,
	};
	assert_int_equal(pthread_create(&t, NULL, refill, &g), 0);
	while (__atomic_load_n(&g.avail[1], __ATOMIC_ACQUIRE) < r->size)
		;
	vdrv_kick(&f->v, TXQ);
	g.stop = true;
	pthread_join(t, NULL);
	/* One notification served at most one budget, however fast the
	 * guest refilled; without the budget it ran until the refiller quit. */
	assert_true(f->n.stats.tx_dropped >= r->size);
	assert_true(f->n.stats.tx_dropped <= NET_BUDGET);
	assert_false(needs_reset(f));
}

static void net_ctrl_stops_after_budget(void **state)
{
	struct fx *f = *state;
	uint16_t q = 2; /* the control queue without MQ (5.1.2) */
	struct vdrv_ring *r = &f->v.rings[q];
	uint64_t acks[64];

	assert_true(vdrv_bring_up(&f->v, F_V1 | F(VIRTIO_NET_F_CTRL_VQ), VIRTIO_NET_QUEUE_SIZE) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	for (unsigned int i = 0; i < 64; i++) {
		uint64_t h = vdrv_alloc(&f->m, 2);
		struct vdrv_buf b[2] = { { h, 2, false }, { vdrv_alloc(&f->m, 1), 1, true } };
		int head;

		/* A class no feature gives: refused with VIRTIO_NET_ERR. */
		*(uint8_t *)vdrv_host(&f->m, h, 1) = 0xee;
		acks[i] = b[1].gpa;
		*(uint8_t *)vdrv_host(&f->m, acks[i], 1) = 0x55;
		head = vdrv_add(r, b, 2, false);
		assert_true(head >= 0);
		vdrv_publish(r, (uint16_t)head);
	}
	vdrv_kick(&f->v, q);
	assert_int_equal(vdrv_used_idx(r), 64);
	for (unsigned int i = 0; i < 64; i++)
		assert_int_equal(*(uint8_t *)vdrv_host(&f->m, acks[i], 1), VIRTIO_NET_ERR);
	assert_int_equal(f->v.tr.notify_again[q], 1);
	vdrv_kick(&f->v, q);
	assert_int_equal(f->v.tr.notify_again[q], 1);
	assert_false(needs_reset(f));
}

static void rng_stops_after_budget(void **state)
{
	struct vdrv_mem m;
	struct vdrv v;
	struct virtio_rng *rng;

	(void)state;
	assert_int_equal(vdrv_mem_init(&m, 0), 0);
	assert_int_equal(virtio_rng_create(&m.mem, NULL, &rng), 0);
	vdrv_attach(&v, &rng->dev, &m);
	assert_true(vdrv_bring_up(&v, F_V1, 128) & VIRTIO_CONFIG_S_DRIVER_OK);
	for (unsigned int i = 0; i < 100; i++) {
		struct vdrv_buf b = { vdrv_alloc(&m, 16), 16, true };
		int h = vdrv_add(&v.rings[0], &b, 1, false);

		assert_true(h >= 0);
		vdrv_publish(&v.rings[0], (uint16_t)h);
	}
	vdrv_kick(&v, 0);
	assert_int_equal(vdrv_used_idx(&v.rings[0]), 64); /* virtio_rng.c RNG_BUDGET */
	assert_int_equal(v.tr.notify_again[0], 1);
	vdrv_kick(&v, 0); /* what notify_again leads to: the rest */
	assert_int_equal(vdrv_used_idx(&v.rings[0]), 100);
	assert_int_equal(v.tr.notify_again[0], 1);
	virtio_rng_destroy(rng);
	vdrv_mem_destroy(&m);
}

static void console_tx_stops_after_budget(void **state)
{
	struct vdrv_mem m;
	struct vdrv v;
	struct virtio_console c;
	char out[128];
	int p[2];

	(void)state;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(vdrv_mem_init(&m, 0), 0);
	assert_int_equal(virtio_console_init(&c, p[1], &m.mem, NULL), 0);
	vdrv_attach(&v, &c.dev, &m);
	assert_true(vdrv_bring_up(&v, F_V1, VIRTIO_CONSOLE_QUEUE_SIZE) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	for (unsigned int i = 0; i < VIRTIO_CONSOLE_QUEUE_SIZE; i++) {
		struct vdrv_buf b = { vdrv_alloc(&m, 1), 1, false };
		int h;

		*(char *)vdrv_host(&m, b.gpa, 1) = 'x';
		h = vdrv_add(&v.rings[1], &b, 1, false);
		assert_true(h >= 0);
		vdrv_publish(&v.rings[1], (uint16_t)h);
	}
	vdrv_kick(&v, 1);
	assert_int_equal(read(p[0], out, sizeof(out)), VIRTIO_CONSOLE_QUEUE_SIZE);
	assert_int_equal(v.tr.notify_again[1], 1); /* virtio_console.c BUDGET: 64 */
	virtio_console_destroy(&c);
	vdrv_mem_destroy(&m);
	close(p[0]);
	close(p[1]);
}

/* Every request slot in flight, and the driver makes one more chain
 * available (head 0 again, hostile): the queue must wait for completions
 * instead of looking at the ring again and again. */
static void blk_full_queue_waits_for_completions(void **state)
{
	char path[] = "/tmp/skiff-budget-XXXXXX";
	struct vdrv_mem m;
	struct vdrv v;
	struct virtio_blk b;
	uint64_t status[VIRTIO_BLK_QUEUE_SIZE];
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, 1 << 20), 0);
	close(fd);
	assert_int_equal(vdrv_mem_init(&m, 0), 0);
	assert_int_equal(virtio_blk_init(&b, path, false, "S", 1, &m.mem, NULL), 0);
	vdrv_attach(&v, &b.dev, &m);
	assert_true(vdrv_bring_up(&v, F_V1 | F_INDIRECT, VIRTIO_BLK_QUEUE_SIZE) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	for (unsigned int i = 0; i < VIRTIO_BLK_QUEUE_SIZE; i++) {
		struct virtio_blk_outhdr hdr = { .type = VIRTIO_BLK_T_IN, .sector = i };
		struct vdrv_buf bufs[3] = {
			{ vdrv_alloc(&m, sizeof(hdr)), sizeof(hdr), false },
			{ vdrv_alloc(&m, 512), 512, true },
			{ vdrv_alloc(&m, 1), 1, true },
		};
		int h;

		memcpy(vdrv_host(&m, bufs[0].gpa, sizeof(hdr)), &hdr, sizeof(hdr));
		status[i] = bufs[2].gpa;
		*(uint8_t *)vdrv_host(&m, status[i], 1) = 0xee;
		h = vdrv_add(&v.rings[0], bufs, 3, true);
		assert_true(h >= 0);
		vdrv_publish(&v.rings[0], (uint16_t)h);
	}
	vdrv_kick(&v, 0);
	assert_int_equal(b.queues[0].count, VIRTIO_BLK_QUEUE_SIZE);
	vdrv_publish(&v.rings[0], 0);
	/* Without the wait this kick never returned: the alarm ends it. */
	alarm(20);
	vdrv_kick(&v, 0);
	alarm(0);
	assert_true(b.queues[0].stalled);
	while (b.disk.io.inflight > 0)
		assert_true(disk_io_reap(&b.disk.io, true) >= 0);
	for (unsigned int i = 0; i < VIRTIO_BLK_QUEUE_SIZE; i++)
		assert_int_equal(*(uint8_t *)vdrv_host(&m, status[i], 1), VIRTIO_BLK_S_OK);
	/* The completions resumed the queue: the extra chain was served. */
	assert_int_equal(vdrv_used_idx(&v.rings[0]), VIRTIO_BLK_QUEUE_SIZE + 1);
	virtio_blk_destroy(&b);
	vdrv_mem_destroy(&m);
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(net_tx_stops_after_budget, setup1, teardown),
		cmocka_unit_test_setup_teardown(net_tx_busy_guest_cannot_hold_the_loop, setup1,
						teardown),
		cmocka_unit_test_setup_teardown(net_ctrl_stops_after_budget, setup1, teardown),
		cmocka_unit_test(rng_stops_after_budget),
		cmocka_unit_test(console_tx_stops_after_budget),
		cmocka_unit_test(blk_full_queue_waits_for_completions),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
