/* vsock_fixture: what the virtio-vsock unit tests share: a device on fake
 * guest memory driven from the driver side (tests/unit/support), its event
 * loop run by the test, real host Unix sockets in a temporary folder, and
 * helpers that send and receive packets the way Linux's driver does. */
#ifndef TESTS_VSOCK_FIXTURE_H
#define TESTS_VSOCK_FIXTURE_H
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <cmocka.h>

#include "devices/virtio_vsock.h"
#include "devices/vsock_conn.h"
#include "virtio/state.h"
#include "support/virtio_driver.h"

#define CID 42
#define RING 256
#define TX_SLOTS 8
#define RX_SLOTS RING
#define RX_BUF 4096        /* what Linux's virtio_vsock posts */
#define GUEST_ALLOC (256u << 10)

struct fx {
	struct vdrv_mem m;
	struct vdrv v;
	struct event_loop loop;
	struct virtio_vsock vs;
	char dir[64], path[96];
	uint64_t tx[TX_SLOTS];
	unsigned int tx_seq;
	uint64_t rx[RX_SLOTS];
	uint64_t rx_of_head[VDRV_RING_MAX];
	unsigned int rx_seq;
};

struct rxpkt {
	struct vsock_pkt p;
	uint8_t data[RX_BUF];
};

static struct fx fixture;

/* cmocka group setup: 1024 connections hold two descriptors each here, so
 * take the hard limit on open files. */
static inline int group_setup(void **state)
{
	struct rlimit rl;

	(void)state;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	return 0;
}

static inline int setup(void **state)
{
	struct fx *f = &fixture;

	memset(f, 0, sizeof(*f));
	strcpy(f->dir, "/tmp/skiff-vsock-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	snprintf(f->path, sizeof(f->path), "%s/v", f->dir);
	assert_int_equal(vdrv_mem_init(&f->m, 0), 0);
	assert_int_equal(event_loop_init(&f->loop), 0);
	assert_int_equal(virtio_vsock_init(&f->vs, CID, f->path, &f->m.mem, &f->loop), 0);
	vdrv_attach(&f->v, &f->vs.dev, &f->m);
	assert_true(vdrv_bring_up(&f->v, vdrv_device_features(&f->v), RING) &
		    VIRTIO_CONFIG_S_DRIVER_OK);
	for (int i = 0; i < TX_SLOTS; i++)
		f->tx[i] = vdrv_alloc(&f->m, VSOCK_HDR_LEN + VSOCK_MAX_PAYLOAD);
	for (int i = 0; i < RX_SLOTS; i++)
		f->rx[i] = vdrv_alloc(&f->m, VSOCK_HDR_LEN + RX_BUF);
	*state = f;
	return 0;
}

static inline int teardown(void **state)
{
	struct fx *f = *state;
	char cmd[128];

	virtio_vsock_destroy(&f->vs);
	event_loop_destroy(&f->loop);
	vdrv_mem_destroy(&f->m);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
	assert_int_equal(system(cmd), 0);
	return 0;
}

/* Run the device's event loop until it has been idle for ms. */
static inline void pump(struct fx *f, int ms)
{
	while (event_loop_run_once(&f->loop, ms) > 0)
		;
}

/* Put a raw header (+ payload) on the tx queue and kick it. */
static inline void send_raw(struct fx *f, const struct virtio_vsock_hdr *h, uint32_t hlen,
		     const void *data, uint32_t len)
{
	uint64_t g = f->tx[f->tx_seq++ % TX_SLOTS];
	struct vdrv_buf b[2] = { { g, hlen, false }, { g + VSOCK_HDR_LEN, len, false } };
	struct vdrv_ring *r = &f->v.rings[VSOCK_TXQ];
	uint16_t id;
	uint32_t ulen;
	int head;

	memcpy(vdrv_host(&f->m, g, hlen), h, hlen);
	if (len)
		memcpy(vdrv_host(&f->m, g + VSOCK_HDR_LEN, len), data, len);
	head = vdrv_add(r, b, len ? 2 : 1, false);
	assert_true(head >= 0);
	vdrv_publish(r, (uint16_t)head);
	vdrv_kick(&f->v, VSOCK_TXQ);
	while (vdrv_get_used(r, &id, &ulen) == 1)
		assert_int_equal(ulen, 0); /* tx buffers are only read */
}

static inline void send_full(struct fx *f, uint16_t op, uint16_t type, uint32_t gport, uint32_t hport,
		      uint32_t flags, uint32_t buf_alloc, uint32_t fwd_cnt, const void *data,
		      uint32_t len)
{
	struct vsock_pkt p = {
		.src_cid = CID, .dst_cid = VSOCK_HOST_CID, .src_port = gport, .dst_port = hport,
		.len = len, .type = type, .op = op, .flags = flags, .buf_alloc = buf_alloc,
		.fwd_cnt = fwd_cnt,
	};
	struct virtio_vsock_hdr h;

	vsock_pkt_encode(&p, &h);
	send_raw(f, &h, VSOCK_HDR_LEN, data, len);
}

static inline void send_pkt(struct fx *f, uint16_t op, uint16_t type, uint32_t gport, uint32_t hport,
		     uint32_t flags, const void *data, uint32_t len)
{
	send_full(f, op, type, gport, hport, flags, GUEST_ALLOC, 0, data, len);
}

/* Post n receive buffers the way Linux does (header, then 4 KiB). */
static inline void post_rx(struct fx *f, unsigned int n)
{
	struct vdrv_ring *r = &f->v.rings[VSOCK_RXQ];

	for (unsigned int i = 0; i < n; i++) {
		uint64_t g = f->rx[f->rx_seq++ % RX_SLOTS];
		struct vdrv_buf b[2] = { { g, VSOCK_HDR_LEN, true },
					 { g + VSOCK_HDR_LEN, RX_BUF, true } };
		int head = vdrv_add(r, b, 2, false);

		if (head < 0) {
			f->rx_seq--;
			break;
		}
		f->rx_of_head[head] = g;
		vdrv_publish(r, (uint16_t)head);
	}
	vdrv_kick(&f->v, VSOCK_RXQ);
}

/* Next packet the device gave the guest: 1, or 0 when none. */
static inline int recv_pkt(struct fx *f, struct rxpkt *out)
{
	struct virtio_vsock_hdr h;
	uint16_t id;
	uint32_t len;
	uint64_t g;

	if (vdrv_get_used(&f->v.rings[VSOCK_RXQ], &id, &len) != 1)
		return 0;
	g = f->rx_of_head[id];
	memcpy(&h, vdrv_host(&f->m, g, VSOCK_HDR_LEN), sizeof(h));
	vsock_pkt_decode(&h, &out->p);
	assert_int_equal(len, VSOCK_HDR_LEN + out->p.len);
	assert_true(out->p.len <= RX_BUF);
	memcpy(out->data, vdrv_host(&f->m, g + VSOCK_HDR_LEN, RX_BUF), out->p.len);
	assert_int_equal(out->p.src_cid, VSOCK_HOST_CID);
	assert_int_equal(out->p.dst_cid, CID);
	assert_int_equal(out->p.buf_alloc, VSOCK_BUF_ALLOC);
	return 1;
}

static inline void expect_pkt(struct fx *f, uint16_t op, uint32_t gport, struct rxpkt *out)
{
	assert_int_equal(recv_pkt(f, out), 1);
	assert_int_equal(out->p.op, op);
	assert_int_equal(out->p.dst_port, gport);
}

static inline int listen_at(struct fx *f, uint32_t port, int type)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s_%u", f->path, port);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4096), 0);
	return fd;
}

static inline int connect_to(const char *path, int type)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	assert_true(strlen(path) < sizeof(a.sun_path));
	memcpy(a.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

static inline void nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* A guest connect to host port hport from gport, established. */
static inline void guest_connect(struct fx *f, uint32_t gport, uint32_t hport, uint16_t type)
{
	struct rxpkt r;

	send_pkt(f, VIRTIO_VSOCK_OP_REQUEST, type, gport, hport, 0, NULL, 0);
	post_rx(f, 1);
	expect_pkt(f, VIRTIO_VSOCK_OP_RESPONSE, gport, &r);
	assert_int_equal(r.p.src_port, hport);
	assert_int_equal(r.p.type, type);
}

#endif
