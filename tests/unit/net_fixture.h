/* net_fixture: what the virtio-net unit tests share: a device on fake
 * guest memory driven from the driver side (tests/unit/support), a
 * socketpair per queue pair standing in for the tap (one SOCK_SEQPACKET
 * message per frame, header first, as a tap with IFF_VNET_HDR reads and
 * writes them), optionally an event loop the test runs, and helpers that
 * post rx buffers and tx chains the way Linux's driver does. */
#ifndef TESTS_NET_FIXTURE_H
#define TESTS_NET_FIXTURE_H
#include <endian.h>
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/net_hdr.h"
#include "devices/net_vhost.h"
#include "devices/virtio_net.h"
#include "support/virtio_driver.h"
#include "util/event_loop.h"

#define F(b) (1ULL << (b))
#define QSZ 64

struct fx {
	struct vdrv_mem m;
	struct vdrv v;
	struct virtio_net n;
	int sock[2][2];      /* [pair][0] device side, [1] the "host" */
	unsigned int pairs;
	struct event_loop loop; /* the device's, when made on_loop */
	bool on_loop;
};

static uint64_t fake_ns;

static inline uint64_t fake_clock(void)
{
	return fake_ns;
}

/* The device on pairs socketpairs, with these rate limits (NULL: none),
 * on an event loop the test runs (f->loop) or, without one, serving every
 * kick at once. */
static inline void make_on(struct fx *f, unsigned int pairs, const struct virtio_net_limit *rx,
			   const struct virtio_net_limit *tx, bool on_loop)
{
	int fds[2];
	struct virtio_net_params p = { .name = "test", .pairs = pairs, .fds = fds,
				       .mac = { 0x02, 1, 2, 3, 4, 5 }, .csum_tso = true };

	memset(f, 0, sizeof(*f));
	f->pairs = pairs;
	f->on_loop = on_loop;
	if (on_loop)
		assert_int_equal(event_loop_init(&f->loop), 0);
	for (unsigned int i = 0; i < pairs; i++) {
		assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, f->sock[i]), 0);
		fds[i] = f->sock[i][0];
	}
	if (rx)
		p.rx = *rx;
	if (tx)
		p.tx = *tx;
	fake_ns = 1000000000ULL;
	assert_int_equal(vdrv_mem_init(&f->m, 0), 0);
	assert_int_equal(virtio_net_init(&f->n, &p, &f->m.mem, on_loop ? &f->loop : NULL),
			 0);
	f->n.now_ns = fake_clock;
	f->n.rx_rl.bytes.last_ns = f->n.rx_rl.ops.last_ns = fake_ns;
	f->n.tx_rl.bytes.last_ns = f->n.tx_rl.ops.last_ns = fake_ns;
	vdrv_attach(&f->v, &f->n.dev, &f->m);
}

static inline void make(struct fx *f, unsigned int pairs, const struct virtio_net_limit *rx,
			const struct virtio_net_limit *tx)
{
	make_on(f, pairs, rx, tx, false);
}

static inline void up(struct fx *f, uint64_t features)
{
	assert_true(vdrv_bring_up(&f->v, features, QSZ) & VIRTIO_CONFIG_S_DRIVER_OK);
}

static inline int setup1(void **state)
{
	static struct fx f;

	signal(SIGPIPE, SIG_IGN);
	make(&f, 1, NULL, NULL);
	*state = &f;
	return 0;
}

static inline int setup2(void **state)
{
	static struct fx f;

	make(&f, 2, NULL, NULL);
	*state = &f;
	return 0;
}

static inline int teardown(void **state)
{
	struct fx *f = *state;

	virtio_net_destroy(&f->n);
	vdrv_mem_destroy(&f->m);
	for (unsigned int i = 0; i < f->pairs; i++) {
		close(f->sock[i][0]);
		if (f->sock[i][1] >= 0)
			close(f->sock[i][1]);
	}
	if (f->on_loop)
		event_loop_destroy(&f->loop);
	return 0;
}

static inline uint8_t pat(uint32_t i, uint8_t seed)
{
	return (uint8_t)(i * 31u + seed);
}

/* The host sends a frame of len bytes (after a zero header) on pair. */
static inline void host_send(struct fx *f, unsigned int pair, uint32_t len, uint8_t seed)
{
	static uint8_t buf[NET_HDR_LEN + 70000];

	memset(buf, 0, NET_HDR_LEN);
	for (uint32_t i = 0; i < len; i++)
		buf[NET_HDR_LEN + i] = pat(i, seed);
	assert_int_equal(send(f->sock[pair][1], buf, NET_HDR_LEN + len, 0), NET_HDR_LEN + len);
}

static inline int post_rx(struct fx *f, uint16_t q, uint32_t size, uint64_t *gpa)
{
	struct vdrv_buf b = { vdrv_alloc(&f->m, size), size, true };
	int h = vdrv_add(&f->v.rings[q], &b, 1, false);

	assert_true(h >= 0);
	vdrv_publish(&f->v.rings[q], (uint16_t)h);
	if (gpa)
		*gpa = b.gpa;
	return h;
}

/* A tx chain: header (split at hsplit bytes into two descriptors when
 * 0 < hsplit < 12) and a frame of len bytes. */
static inline int post_tx(struct fx *f, uint16_t q, const struct virtio_net_hdr_v1 *h, uint32_t len,
		   uint8_t seed, uint32_t hsplit)
{
	uint64_t hg = vdrv_alloc(&f->m, NET_HDR_LEN), dg = vdrv_alloc(&f->m, len);
	struct vdrv_buf b[3];
	unsigned int n = 0;
	int head;

	memcpy(vdrv_host(&f->m, hg, NET_HDR_LEN), h, NET_HDR_LEN);
	for (uint32_t i = 0; i < len; i++)
		((uint8_t *)vdrv_host(&f->m, dg, len))[i] = pat(i, seed);
	if (hsplit && hsplit < NET_HDR_LEN) {
		b[n++] = (struct vdrv_buf){ hg, hsplit, false };
		b[n++] = (struct vdrv_buf){ hg + hsplit, NET_HDR_LEN - hsplit, false };
	} else {
		b[n++] = (struct vdrv_buf){ hg, NET_HDR_LEN, false };
	}
	b[n++] = (struct vdrv_buf){ dg, len, false };
	head = vdrv_add(&f->v.rings[q], b, n, false);
	assert_true(head >= 0);
	vdrv_publish(&f->v.rings[q], (uint16_t)head);
	return head;
}

static inline bool needs_reset(struct fx *f)
{
	return virtio_dev_read_status(&f->n.dev) & VIRTIO_CONFIG_S_NEEDS_RESET;
}

static inline uint64_t all_features(struct fx *f)
{
	return vdrv_device_features(&f->v);
}

#endif
