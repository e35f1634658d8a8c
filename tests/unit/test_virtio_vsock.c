/* Unit tests: virtio-vsock driven from the driver side (guest-driver
 * harness in fake guest memory) against real host Unix sockets, with the
 * device's event loop run by the test. */
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

static int setup(void **state)
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

static int teardown(void **state)
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
static void pump(struct fx *f, int ms)
{
	while (event_loop_run_once(&f->loop, ms) > 0)
		;
}

/* Put a raw header (+ payload) on the tx queue and kick it. */
static void send_raw(struct fx *f, const struct virtio_vsock_hdr *h, uint32_t hlen,
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

static void send_full(struct fx *f, uint16_t op, uint16_t type, uint32_t gport, uint32_t hport,
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

static void send_pkt(struct fx *f, uint16_t op, uint16_t type, uint32_t gport, uint32_t hport,
		     uint32_t flags, const void *data, uint32_t len)
{
	send_full(f, op, type, gport, hport, flags, GUEST_ALLOC, 0, data, len);
}

/* Post n receive buffers the way Linux does (header, then 4 KiB). */
static void post_rx(struct fx *f, unsigned int n)
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
static int recv_pkt(struct fx *f, struct rxpkt *out)
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

static void expect_pkt(struct fx *f, uint16_t op, uint32_t gport, struct rxpkt *out)
{
	assert_int_equal(recv_pkt(f, out), 1);
	assert_int_equal(out->p.op, op);
	assert_int_equal(out->p.dst_port, gport);
}

static int listen_at(struct fx *f, uint32_t port, int type)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s_%u", f->path, port);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(listen(fd, 4096), 0);
	return fd;
}

static int connect_to(const char *path, int type)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);

	assert_true(fd >= 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		close(fd);
		return -errno;
	}
	return fd;
}

static void nonblock(int fd)
{
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

/* A guest connect to host port hport from gport, established. */
static void guest_connect(struct fx *f, uint32_t gport, uint32_t hport, uint16_t type)
{
	struct rxpkt r;

	send_pkt(f, VIRTIO_VSOCK_OP_REQUEST, type, gport, hport, 0, NULL, 0);
	post_rx(f, 1);
	expect_pkt(f, VIRTIO_VSOCK_OP_RESPONSE, gport, &r);
	assert_int_equal(r.p.src_port, hport);
	assert_int_equal(r.p.type, type);
}

/* ---------------------------------------------------------------------- */

static void offers_seqpacket_and_cid(void **state)
{
	struct fx *f = *state;
	uint64_t cid = 0;

	assert_true(vdrv_device_features(&f->v) & (1ULL << VIRTIO_VSOCK_F_SEQPACKET));
	virtio_dev_config_read(&f->vs.dev, 0, &cid, sizeof(cid));
	assert_int_equal(le64toh(cid), CID);
}

static void no_listener_gets_rst(void **state)
{
	struct fx *f = *state;
	struct rxpkt r;

	send_pkt(f, VIRTIO_VSOCK_OP_REQUEST, VIRTIO_VSOCK_TYPE_STREAM, 1234, 5555, 0, NULL, 0);
	post_rx(f, 4);
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, 1234, &r);
	assert_int_equal(r.p.src_port, 5555);
	assert_int_equal(f->vs.stats.no_listener, 1);
	assert_int_equal(recv_pkt(f, &r), 0);
	assert_int_equal(f->vs.nconns, 0);
}

static void stream_round_trip(void **state)
{
	struct fx *f = *state;
	int l = listen_at(f, 5000, SOCK_STREAM), h;
	char buf[64] = { 0 };
	struct rxpkt r;
	uint32_t got = 0;

	guest_connect(f, 1025, 5000, VIRTIO_VSOCK_TYPE_STREAM);
	h = accept(l, NULL, NULL);
	assert_true(h >= 0);
	send_pkt(f, VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_STREAM, 1025, 5000, 0, "hello ", 6);
	send_pkt(f, VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_STREAM, 1025, 5000, 0, "host", 4);
	assert_int_equal(recv(h, buf, sizeof(buf), MSG_WAITALL | MSG_DONTWAIT), 10);
	assert_string_equal(buf, "hello host");
	/* and back */
	assert_int_equal(write(h, "hi guest", 8), 8);
	post_rx(f, 4);
	pump(f, 20);
	while (recv_pkt(f, &r)) {
		assert_int_equal(r.p.op, VIRTIO_VSOCK_OP_RW);
		memcpy(buf + got, r.data, r.p.len);
		got += r.p.len;
	}
	assert_int_equal(got, 8);
	assert_memory_equal(buf, "hi guest", 8);
	/* the host closes: the guest hears SHUTDOWN, answers RST, all gone */
	close(h);
	pump(f, 20);
	expect_pkt(f, VIRTIO_VSOCK_OP_SHUTDOWN, 1025, &r);
	assert_true(r.p.flags & VIRTIO_VSOCK_SHUTDOWN_SEND);
	send_pkt(f, VIRTIO_VSOCK_OP_RST, VIRTIO_VSOCK_TYPE_STREAM, 1025, 5000, 0, NULL, 0);
	assert_int_equal(f->vs.nconns, 0);
	/* the same ports again */
	guest_connect(f, 1025, 5000, VIRTIO_VSOCK_TYPE_STREAM);
	assert_int_equal(f->vs.nconns, 1);
	close(l);
}

static void stream_half_close(void **state)
{
	struct fx *f = *state;
	int l = listen_at(f, 5001, SOCK_STREAM), h;
	char buf[16];
	struct rxpkt r;

	guest_connect(f, 2000, 5001, VIRTIO_VSOCK_TYPE_STREAM);
	h = accept(l, NULL, NULL);
	send_pkt(f, VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_STREAM, 2000, 5001, 0, "last", 4);
	send_pkt(f, VIRTIO_VSOCK_OP_SHUTDOWN, VIRTIO_VSOCK_TYPE_STREAM, 2000, 5001,
		 VIRTIO_VSOCK_SHUTDOWN_SEND, NULL, 0);
	/* the host reads the data, then EOF, and may still write */
	assert_int_equal(recv(h, buf, sizeof(buf), MSG_WAITALL), 4);
	assert_int_equal(recv(h, buf, sizeof(buf), 0), 0);
	assert_int_equal(write(h, "reply", 5), 5);
	post_rx(f, 4);
	pump(f, 20);
	expect_pkt(f, VIRTIO_VSOCK_OP_RW, 2000, &r);
	assert_int_equal(r.p.len, 5);
	assert_memory_equal(r.data, "reply", 5);
	/* RW after SHUTDOWN(SEND) is dropped and counted */
	send_pkt(f, VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_STREAM, 2000, 5001, 0, "late", 4);
	assert_int_equal(f->vs.stats.late_data, 1);
	/* both directions shut: the device answers RST and forgets it */
	send_pkt(f, VIRTIO_VSOCK_OP_SHUTDOWN, VIRTIO_VSOCK_TYPE_STREAM, 2000, 5001,
		 VIRTIO_VSOCK_SHUTDOWN_SEND | VIRTIO_VSOCK_SHUTDOWN_RCV, NULL, 0);
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, 2000, &r);
	assert_int_equal(f->vs.nconns, 0);
	close(h);
	close(l);
}

static void seqpacket_boundaries(void **state)
{
	struct fx *f = *state;
	int l = listen_at(f, 6000, SOCK_SEQPACKET), h;
	static uint8_t big[100000], back[100000];
	char small[8];
	uint8_t buf[16];
	struct msghdr mh = { 0 };
	struct iovec iov = { small, sizeof(small) };
	struct rxpkt r;
	uint32_t got = 0;
	int msgs = 0;
	ssize_t n;

	guest_connect(f, 3000, 6000, VIRTIO_VSOCK_TYPE_SEQPACKET);
	h = accept(l, NULL, NULL);
	assert_true(h >= 0);
	/* a message in three packets, EOM on the last; then a one-packet one */
	send_pkt(f, VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_SEQPACKET, 3000, 6000, 0, "abc", 3);
	send_pkt(f, VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_SEQPACKET, 3000, 6000, 0, "def", 3);
	send_pkt(f, VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_SEQPACKET, 3000, 6000,
		 VIRTIO_VSOCK_SEQ_EOM | VIRTIO_VSOCK_SEQ_EOR, "gh", 2);
	send_pkt(f, VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_SEQPACKET, 3000, 6000,
		 VIRTIO_VSOCK_SEQ_EOM, "0123456789abcdef", 16);
	assert_int_equal(recv(h, buf, sizeof(buf), MSG_DONTWAIT), 8);
	assert_memory_equal(buf, "abcdefgh", 8);
	/* a reader with a smaller buffer: truncated data and MSG_TRUNC, the
	 * rest of the message is gone, the next message is whole */
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	assert_int_equal(recvmsg(h, &mh, MSG_DONTWAIT), 8);
	assert_true(mh.msg_flags & MSG_TRUNC);
	assert_memory_equal(small, "01234567", 8);
	send_pkt(f, VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_SEQPACKET, 3000, 6000,
		 VIRTIO_VSOCK_SEQ_EOM, "x", 1);
	assert_int_equal(recv(h, buf, sizeof(buf), MSG_DONTWAIT), 1);

	/* host to guest: a message bigger than one packet is split, EOM (and
	 * EOR) only on its last packet; a small message after it */
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + i / 251);
	assert_int_equal(send(h, big, sizeof(big), 0), (ssize_t)sizeof(big));
	assert_int_equal(send(h, "tail", 4, 0), 4);
	for (int round = 0; round < 10 && msgs < 2; round++) {
		post_rx(f, RING);
		pump(f, 10);
		while (recv_pkt(f, &r)) {
			assert_int_equal(r.p.op, VIRTIO_VSOCK_OP_RW);
			if (msgs == 0) {
				assert_true(got + r.p.len <= sizeof(back));
				memcpy(back + got, r.data, r.p.len);
				got += r.p.len;
				if (r.p.flags & VIRTIO_VSOCK_SEQ_EOM) {
					assert_true(r.p.flags & VIRTIO_VSOCK_SEQ_EOR);
					assert_int_equal(got, sizeof(big));
					msgs++;
				}
			} else {
				assert_int_equal(r.p.len, 4);
				assert_memory_equal(r.data, "tail", 4);
				assert_true(r.p.flags & VIRTIO_VSOCK_SEQ_EOM);
				msgs++;
			}
		}
	}
	assert_int_equal(msgs, 2);
	assert_memory_equal(back, big, sizeof(big));
	n = recv(h, buf, sizeof(buf), MSG_DONTWAIT);
	assert_int_equal(n, -1);
	close(h);
	close(l);
}

/* A guest that ignores our credit gets RST; one that keeps to it is
 * buffered up to buf_alloc while the host does not read, and hears of the
 * room again (CREDIT_UPDATE) once the host reads. */
static void credit_stall_and_resume_guest_to_host(void **state)
{
	struct fx *f = *state;
	int l = listen_at(f, 5002, SOCK_STREAM), h;
	static uint8_t chunk[VSOCK_MAX_PAYLOAD], in[VSOCK_MAX_PAYLOAD];
	const unsigned int npk = VSOCK_BUF_ALLOC / VSOCK_MAX_PAYLOAD;
	uint64_t total = 0, want = (uint64_t)npk * VSOCK_MAX_PAYLOAD;
	bool updated = false;
	struct rxpkt r;

	guest_connect(f, 4000, 5002, VIRTIO_VSOCK_TYPE_STREAM);
	h = accept(l, NULL, NULL);
	nonblock(h);
	for (unsigned int i = 0; i < npk; i++) {
		memset(chunk, (int)i, sizeof(chunk));
		send_pkt(f, VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_STREAM, 4000, 5002, 0, chunk,
			 sizeof(chunk));
	}
	assert_int_equal(f->vs.stats.credit_violations, 0);
	assert_int_equal(f->vs.nconns, 1);
	/* nothing read yet: no credit update, and skiff holds what the socket
	 * could not take, no more than buf_alloc */
	post_rx(f, 8);
	assert_int_equal(recv_pkt(f, &r), 0);
	/* the host reads: everything arrives in order, credit comes back */
	while (total < want) {
		ssize_t n = read(h, in, sizeof(in));

		if (n > 0) {
			for (ssize_t k = 0; k < n; k++)
				assert_int_equal(in[k], (uint8_t)((total + (uint64_t)k) /
								  VSOCK_MAX_PAYLOAD));
			total += (uint64_t)n;
		}
		pump(f, 0);
		while (recv_pkt(f, &r)) {
			assert_int_equal(r.p.op, VIRTIO_VSOCK_OP_CREDIT_UPDATE);
			updated = true;
		}
		post_rx(f, 0);
		if (n <= 0) {
			struct pollfd p = { h, POLLIN, 0 };

			poll(&p, 1, 10);
		}
	}
	assert_true(updated);
	assert_int_equal(total, want);
	/* a guest ignoring credit: 2 MiB + 1 byte outstanding */
	send_full(f, VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_STREAM, 4000, 5002, 0, GUEST_ALLOC, 0,
		  chunk, 1);
	for (unsigned int i = 0; i < 2 * npk && f->vs.stats.credit_violations == 0; i++)
		send_pkt(f, VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_STREAM, 4000, 5002, 0, chunk,
			 sizeof(chunk));
	assert_int_equal(f->vs.stats.credit_violations, 1);
	post_rx(f, 8);
	do /* credit updates for what the socket took may come first */
		assert_int_equal(recv_pkt(f, &r), 1);
	while (r.p.op == VIRTIO_VSOCK_OP_CREDIT_UPDATE);
	assert_int_equal(r.p.op, VIRTIO_VSOCK_OP_RST);
	assert_int_equal(f->vs.nconns, 0);
	close(h);
	close(l);
}

/* Towards the guest skiff sends no more than the guest's credit, asks for
 * more once, and resumes on CREDIT_UPDATE. */
static void credit_stall_and_resume_host_to_guest(void **state)
{
	struct fx *f = *state;
	int l = listen_at(f, 5003, SOCK_STREAM), h;
	uint8_t data[5000], got[5000];
	uint32_t n = 0, fwd = 0;
	struct rxpkt r;

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i ^ (i >> 8));
	send_full(f, VIRTIO_VSOCK_OP_REQUEST, VIRTIO_VSOCK_TYPE_STREAM, 4001, 5003, 0, 1000, 0,
		  NULL, 0);
	post_rx(f, 1);
	expect_pkt(f, VIRTIO_VSOCK_OP_RESPONSE, 4001, &r);
	h = accept(l, NULL, NULL);
	assert_int_equal(write(h, data, sizeof(data)), (ssize_t)sizeof(data));
	for (int round = 0; round < 5; round++) {
		uint32_t this_round = 0;

		post_rx(f, 4);
		pump(f, 10);
		while (recv_pkt(f, &r)) {
			if (r.p.op == VIRTIO_VSOCK_OP_CREDIT_REQUEST)
				continue;
			assert_int_equal(r.p.op, VIRTIO_VSOCK_OP_RW);
			memcpy(got + n, r.data, r.p.len);
			n += r.p.len;
			this_round += r.p.len;
		}
		assert_int_equal(this_round, 1000); /* never past the credit */
		fwd += 1000;
		send_full(f, VIRTIO_VSOCK_OP_CREDIT_UPDATE, VIRTIO_VSOCK_TYPE_STREAM, 4001, 5003,
			  0, 1000, fwd, NULL, 0);
	}
	assert_int_equal(n, sizeof(data));
	assert_memory_equal(got, data, sizeof(data));
	close(h);
	close(l);
}

static void host_initiated_connect(void **state)
{
	struct fx *f = *state;
	char seqpath[128], line[64] = { 0 };
	int c, s, hostport = 0;
	struct rxpkt r;
	ssize_t n;

	c = connect_to(f->path, SOCK_STREAM);
	assert_true(c >= 0);
	assert_int_equal(write(c, "CONNECT 7000\nearly", 18), 18);
	post_rx(f, 4);
	pump(f, 20);
	expect_pkt(f, VIRTIO_VSOCK_OP_REQUEST, 7000, &r);
	assert_true(r.p.src_port >= VSOCK_HOST_PORT_BASE);
	assert_int_equal(r.p.type, VIRTIO_VSOCK_TYPE_STREAM);
	send_pkt(f, VIRTIO_VSOCK_OP_RESPONSE, VIRTIO_VSOCK_TYPE_STREAM, 7000, r.p.src_port, 0,
		 NULL, 0);
	n = read(c, line, sizeof(line) - 1);
	assert_true(n > 0);
	assert_int_equal(sscanf(line, "OK %d\n", &hostport), 1);
	assert_int_equal((uint32_t)hostport, r.p.src_port);
	/* what the client wrote after its line is data */
	post_rx(f, 4);
	pump(f, 20);
	expect_pkt(f, VIRTIO_VSOCK_OP_RW, 7000, &r);
	assert_int_equal(r.p.len, 5);
	assert_memory_equal(r.data, "early", 5);
	close(c);
	pump(f, 20);
	expect_pkt(f, VIRTIO_VSOCK_OP_SHUTDOWN, 7000, &r);
	send_pkt(f, VIRTIO_VSOCK_OP_RST, VIRTIO_VSOCK_TYPE_STREAM, 7000, r.p.src_port, 0, NULL, 0);
	assert_int_equal(f->vs.nconns, 0);

	/* refused by the guest: the socket closes without OK */
	c = connect_to(f->path, SOCK_STREAM);
	assert_int_equal(write(c, "CONNECT 7001\n", 13), 13);
	pump(f, 20);
	expect_pkt(f, VIRTIO_VSOCK_OP_REQUEST, 7001, &r);
	send_pkt(f, VIRTIO_VSOCK_OP_RST, VIRTIO_VSOCK_TYPE_STREAM, 7001, r.p.src_port, 0, NULL, 0);
	assert_int_equal(read(c, line, sizeof(line)), 0);
	close(c);

	/* a malformed line: closed, counted */
	c = connect_to(f->path, SOCK_STREAM);
	assert_int_equal(write(c, "HELLO 1\n", 8), 8);
	pump(f, 20);
	assert_int_equal(read(c, line, sizeof(line)), 0);
	assert_int_equal(f->vs.stats.bad_connect, 1);
	close(c);

	/* seqpacket: PATH.seqpacket, one message each way */
	snprintf(seqpath, sizeof(seqpath), "%s.seqpacket", f->path);
	s = connect_to(seqpath, SOCK_SEQPACKET);
	assert_true(s >= 0);
	assert_int_equal(send(s, "CONNECT 7002\n", 13, 0), 13);
	pump(f, 20);
	expect_pkt(f, VIRTIO_VSOCK_OP_REQUEST, 7002, &r);
	assert_int_equal(r.p.type, VIRTIO_VSOCK_TYPE_SEQPACKET);
	send_pkt(f, VIRTIO_VSOCK_OP_RESPONSE, VIRTIO_VSOCK_TYPE_SEQPACKET, 7002, r.p.src_port, 0,
		 NULL, 0);
	memset(line, 0, sizeof(line));
	assert_true(recv(s, line, sizeof(line), 0) > 3);
	assert_int_equal(strncmp(line, "OK ", 3), 0);
	send_pkt(f, VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_SEQPACKET, 7002, r.p.src_port,
		 VIRTIO_VSOCK_SEQ_EOM, "msg", 3);
	assert_int_equal(recv(s, line, sizeof(line), 0), 3);
	close(s);
}

/* The host writes, then half-closes: the guest gets every byte, then
 * SHUTDOWN(SEND) only, and can still answer. */
static void host_half_close(void **state)
{
	struct fx *f = *state;
	int l = listen_at(f, 5006, SOCK_STREAM), h;
	static uint8_t data[1 << 20];
	uint64_t got = 0;
	bool shut = false;
	uint32_t v = 0;
	struct rxpkt r;

	send_full(f, VIRTIO_VSOCK_OP_REQUEST, VIRTIO_VSOCK_TYPE_STREAM, 4400, 5006, 0, 4u << 20, 0,
		  NULL, 0);
	post_rx(f, 1);
	expect_pkt(f, VIRTIO_VSOCK_OP_RESPONSE, 4400, &r);
	h = accept(l, NULL, NULL);
	{
		int sz = 8 << 20;

		setsockopt(h, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz));
	}
	/* not a multiple of the rx buffers: the last read comes up short
	 * with the EOF behind it, and no edge left to announce that */
	assert_int_equal(write(h, data, sizeof(data) - 100), (ssize_t)sizeof(data) - 100);
	assert_int_equal(shutdown(h, SHUT_WR), 0);
	for (int round = 0; round < 100 && !shut; round++) {
		post_rx(f, RING);
		pump(f, 5);
		while (recv_pkt(f, &r)) {
			if (r.p.op == VIRTIO_VSOCK_OP_RW) {
				assert_false(shut);
				got += r.p.len;
			} else {
				assert_int_equal(r.p.op, VIRTIO_VSOCK_OP_SHUTDOWN);
				assert_int_equal(r.p.flags, VIRTIO_VSOCK_SHUTDOWN_SEND);
				shut = true;
			}
		}
	}
	assert_int_equal(got, sizeof(data) - 100);
	assert_true(shut);
	send_pkt(f, VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_STREAM, 4400, 5006, 0, "sum!", 4);
	assert_int_equal(recv(h, &v, 4, MSG_WAITALL), 4);
	assert_memory_equal(&v, "sum!", 4);
	close(h);
	close(l);
}

/* The host peer leaves in the middle of a guest message: the guest hears
 * SHUTDOWN (both ways), the rest of its message gets RST, counted. */
static void host_disconnects_mid_message(void **state)
{
	struct fx *f = *state;
	int l = listen_at(f, 6002, SOCK_SEQPACKET), h;
	struct rxpkt r;

	guest_connect(f, 4300, 6002, VIRTIO_VSOCK_TYPE_SEQPACKET);
	h = accept(l, NULL, NULL);
	send_pkt(f, VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_SEQPACKET, 4300, 6002, 0, "part", 4);
	close(h);
	post_rx(f, 4);
	pump(f, 20);
	expect_pkt(f, VIRTIO_VSOCK_OP_SHUTDOWN, 4300, &r);
	assert_int_equal(r.p.flags, VIRTIO_VSOCK_SHUTDOWN_SEND | VIRTIO_VSOCK_SHUTDOWN_RCV);
	send_pkt(f, VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_SEQPACKET, 4300, 6002,
		 VIRTIO_VSOCK_SEQ_EOM, "end", 3);
	expect_pkt(f, VIRTIO_VSOCK_OP_RST, 4300, &r);
	assert_int_equal(f->vs.stats.host_gone, 1);
	assert_int_equal(f->vs.nconns, 0);
	close(l);
}

/* A driver reset drops every connection, also host clients that have not
 * sent their CONNECT line yet: their sockets close. */
static void reset_drops_everything(void **state)
{
	struct fx *f = *state;
	int l = listen_at(f, 5005, SOCK_STREAM), h, c;
	char b;

	guest_connect(f, 4200, 5005, VIRTIO_VSOCK_TYPE_STREAM);
	h = accept(l, NULL, NULL);
	c = connect_to(f->path, SOCK_STREAM);
	pump(f, 20);
	assert_int_equal(f->vs.nconns, 2);
	virtio_dev_write_status(&f->vs.dev, 0);
	assert_int_equal(f->vs.nconns, 0);
	assert_int_equal(read(h, &b, 1), 0);
	assert_int_equal(read(c, &b, 1), 0);
	close(h);
	close(c);
	close(l);
}

static void bad_packets(void **state)
{
	struct fx *f = *state;
	struct vsock_pkt p = {
		.src_cid = CID, .dst_cid = VSOCK_HOST_CID, .src_port = 1, .dst_port = 2,
		.type = VIRTIO_VSOCK_TYPE_STREAM, .op = VIRTIO_VSOCK_OP_RW, .len = 100,
	};
	struct virtio_vsock_hdr h;
	struct rxpkt r;

	/* len longer than the buffer: dropped */
	vsock_pkt_encode(&p, &h);
	send_raw(f, &h, VSOCK_HDR_LEN, "short", 5);
	assert_int_equal(f->vs.stats.drop_len, 1);
	/* a short header: dropped */
	send_raw(f, &h, 20, NULL, 0);
	assert_int_equal(f->vs.stats.drop_len, 2);
	/* someone else's CID: dropped */
	p.len = 0;
	p.src_cid = 7;
	vsock_pkt_encode(&p, &h);
	send_raw(f, &h, VSOCK_HDR_LEN, NULL, 0);
	assert_int_equal(f->vs.stats.drop_addr, 1);
	post_rx(f, 8);
	assert_int_equal(recv_pkt(f, &r), 0);
	/* bad type, bad op, another destination, no connection: RST */
	p.src_cid = CID;
	p.type = 9;
	vsock_pkt_encode(&p, &h);
	send_raw(f, &h, VSOCK_HDR_LEN, NULL, 0);
	p.type = VIRTIO_VSOCK_TYPE_STREAM;
	p.op = 99;
	vsock_pkt_encode(&p, &h);
	send_raw(f, &h, VSOCK_HDR_LEN, NULL, 0);
	p.op = VIRTIO_VSOCK_OP_REQUEST;
	p.dst_cid = 5;
	vsock_pkt_encode(&p, &h);
	send_raw(f, &h, VSOCK_HDR_LEN, NULL, 0);
	p.dst_cid = VSOCK_HOST_CID;
	p.op = VIRTIO_VSOCK_OP_RW;
	p.len = 1;
	vsock_pkt_encode(&p, &h);
	send_raw(f, &h, VSOCK_HDR_LEN, "z", 1);
	for (int i = 0; i < 4; i++)
		expect_pkt(f, VIRTIO_VSOCK_OP_RST, 1, &r);
	assert_int_equal(f->vs.stats.bad_type, 1);
	assert_int_equal(f->vs.stats.bad_op, 1);
	assert_int_equal(f->vs.stats.bad_dst, 1);
	assert_int_equal(f->vs.stats.no_conn, 1);
	/* an RST for nothing is not answered */
	p.op = VIRTIO_VSOCK_OP_RST;
	p.len = 0;
	vsock_pkt_encode(&p, &h);
	send_raw(f, &h, VSOCK_HDR_LEN, NULL, 0);
	assert_int_equal(recv_pkt(f, &r), 0);
	/* a flood of packets for no connection while the guest posts no rx
	 * buffers: replies stay bounded and tx waits, nothing is lost */
	p.op = VIRTIO_VSOCK_OP_CREDIT_REQUEST;
	for (int i = 0; i < 2 * (int)VSOCK_RST_RING; i++) {
		p.src_port = 100 + (uint32_t)i;
		vsock_pkt_encode(&p, &h);
		send_raw(f, &h, VSOCK_HDR_LEN, NULL, 0);
		if (f->vs.tx_stalled)
			break;
	}
	assert_true(f->vs.tx_stalled);
	assert_true(f->vs.rst_count <= VSOCK_RST_RING);
	assert_int_equal(virtio_dev_read_status(&f->vs.dev) & VIRTIO_CONFIG_S_NEEDS_RESET, 0);
}

static void many_connections(void **state)
{
	struct fx *f = *state;
	const unsigned int N = 1024;
	int l = listen_at(f, 8000, SOCK_STREAM);
	static int hs[1024];
	static bool seen[1024];
	unsigned int resp = 0;
	struct rxpkt r;

	for (unsigned int i = 0; i < N; i++)
		send_pkt(f, VIRTIO_VSOCK_OP_REQUEST, VIRTIO_VSOCK_TYPE_STREAM, 10000 + i, 8000, 0,
			 NULL, 0);
	assert_int_equal(f->vs.nconns, N);
	while (resp < N) {
		post_rx(f, RING);
		while (recv_pkt(f, &r)) {
			assert_int_equal(r.p.op, VIRTIO_VSOCK_OP_RESPONSE);
			resp++;
		}
	}
	for (unsigned int i = 0; i < N; i++) {
		uint32_t v = i;

		hs[i] = accept(l, NULL, NULL);
		assert_true(hs[i] >= 0);
		send_pkt(f, VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_STREAM, 10000 + i, 8000, 0, &v, 4);
	}
	for (unsigned int i = 0; i < N; i++) {
		uint32_t v = ~0u;

		assert_int_equal(recv(hs[i], &v, 4, MSG_WAITALL), 4);
		assert_true(v < N);
		assert_false(seen[v]);
		seen[v] = true;
	}
	for (unsigned int i = 0; i < N; i++)
		send_pkt(f, VIRTIO_VSOCK_OP_RST, VIRTIO_VSOCK_TYPE_STREAM, 10000 + i, 8000, 0, NULL, 0);
	assert_int_equal(f->vs.nconns, 0);
	for (unsigned int i = 0; i < N; i++) {
		char c;

		assert_int_equal(read(hs[i], &c, 1), 0); /* the host side sees the close */
		close(hs[i]);
	}
	/* the ports are free again */
	guest_connect(f, 10000, 8000, VIRTIO_VSOCK_TYPE_STREAM);
	guest_connect(f, 10000 + N - 1, 8000, VIRTIO_VSOCK_TYPE_STREAM);
	close(l);
}

static void socket_collision(void **state)
{
	struct fx *f = *state;
	struct virtio_vsock other;
	char stale[96];
	int fd;
	struct sockaddr_un a = { .sun_family = AF_UNIX };

	/* a live listener at PATH: refused */
	assert_int_equal(virtio_vsock_init(&other, CID + 1, f->path, &f->m.mem, &f->loop),
			 -EADDRINUSE);
	/* a stale socket file with no listener: replaced */
	snprintf(stale, sizeof(stale), "%s/stale", f->dir);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", stale);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	close(fd);
	assert_int_equal(virtio_vsock_init(&other, CID + 1, stale, &f->m.mem, &f->loop), 0);
	fd = connect_to(stale, SOCK_STREAM);
	assert_true(fd >= 0);
	close(fd);
	virtio_vsock_destroy(&other);
	assert_int_equal(connect_to(stale, SOCK_STREAM), -ENOENT);
}

static void transport_reset_event(void **state)
{
	struct fx *f = *state;
	int l = listen_at(f, 5004, SOCK_STREAM);
	uint64_t g = vdrv_alloc(&f->m, 8);
	struct vdrv_buf b = { g, 4, true };
	struct vdrv_ring *er = &f->v.rings[VSOCK_EVQ];
	uint32_t id32;
	uint16_t id;
	uint32_t len;
	int head;

	guest_connect(f, 4100, 5004, VIRTIO_VSOCK_TYPE_STREAM);
	head = vdrv_add(er, &b, 1, false);
	vdrv_publish(er, (uint16_t)head);
	vdrv_kick(&f->v, VSOCK_EVQ);
	assert_true(virtio_vsock_transport_reset(&f->vs));
	assert_int_equal(vdrv_get_used(er, &id, &len), 1);
	assert_int_equal(len, 4);
	memcpy(&id32, vdrv_host(&f->m, g, 4), 4);
	assert_int_equal(le32toh(id32), VIRTIO_VSOCK_EVENT_TRANSPORT_RESET);
	assert_int_equal(f->vs.nconns, 0);
	close(l);
}

/* After restore the driver hears TRANSPORT_RESET as soon as it has an
 * event buffer (5.10.6.7): its connections did not survive. */
static void restore_sends_transport_reset(void **state)
{
	struct fx *f = *state;
	static struct virtio_dev_state st;
	uint64_t g = vdrv_alloc(&f->m, 8);
	struct vdrv_buf b = { g, 4, true };
	struct vdrv_ring *er = &f->v.rings[VSOCK_EVQ];
	uint32_t id32, len;
	uint16_t id;
	int head;

	assert_int_equal(virtio_dev_save(&f->vs.dev, &st), 0);
	assert_int_equal(virtio_dev_restore(&f->vs.dev, &st), 0);
	assert_true(f->vs.reset_event_owed); /* no event buffer yet */
	head = vdrv_add(er, &b, 1, false);
	vdrv_publish(er, (uint16_t)head);
	vdrv_kick(&f->v, VSOCK_EVQ);
	assert_false(f->vs.reset_event_owed);
	assert_int_equal(vdrv_get_used(er, &id, &len), 1);
	memcpy(&id32, vdrv_host(&f->m, g, 4), 4);
	assert_int_equal(le32toh(id32), VIRTIO_VSOCK_EVENT_TRANSPORT_RESET);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(offers_seqpacket_and_cid, setup, teardown),
		cmocka_unit_test_setup_teardown(no_listener_gets_rst, setup, teardown),
		cmocka_unit_test_setup_teardown(stream_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(stream_half_close, setup, teardown),
		cmocka_unit_test_setup_teardown(seqpacket_boundaries, setup, teardown),
		cmocka_unit_test_setup_teardown(credit_stall_and_resume_guest_to_host, setup,
						teardown),
		cmocka_unit_test_setup_teardown(credit_stall_and_resume_host_to_guest, setup,
						teardown),
		cmocka_unit_test_setup_teardown(host_initiated_connect, setup, teardown),
		cmocka_unit_test_setup_teardown(host_half_close, setup, teardown),
		cmocka_unit_test_setup_teardown(host_disconnects_mid_message, setup, teardown),
		cmocka_unit_test_setup_teardown(reset_drops_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_packets, setup, teardown),
		cmocka_unit_test_setup_teardown(many_connections, setup, teardown),
		cmocka_unit_test_setup_teardown(socket_collision, setup, teardown),
		cmocka_unit_test_setup_teardown(transport_reset_event, setup, teardown),
		cmocka_unit_test_setup_teardown(restore_sends_transport_reset, setup, teardown),
	};
	struct rlimit rl;

	/* 1024 connections hold two descriptors each here. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
