/* Unit tests: virtio-vsock connection lifecycle and faults (vsock_fixture.h):
 * host-initiated connects, host peers leaving, reset, malformed packets,
 * 1024 connections and port reuse, socket collisions, transport reset
 * events. */
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "vsock_fixture.h"

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

/* A handler that, when its eventfd fires, makes the guest reset a
 * connection: what the tx kick does when the guest sends RST. */
struct killer {
	struct event_handler h;
	struct fx *f;
	int efd;
};

static void killer_fired(struct event_handler *h, uint32_t events)
{
	struct killer *k = (struct killer *)h;
	uint64_t n;

	(void)events;
	assert_int_equal(read(k->efd, &n, sizeof(n)), sizeof(n));
	send_pkt(k->f, VIRTIO_VSOCK_OP_RST, VIRTIO_VSOCK_TYPE_SEQPACKET, 4400, 6003, 0, NULL, 0);
}

/* One epoll batch holds the guest's RST (first) and the host socket's
 * event (after it) for one connection: the RST kills it, and its event,
 * still in the batch, must not touch it afterwards (freed only after the
 * batch; ASan sees a use after free otherwise). Seen as a SIGSEGV of
 * skiff when a host seqpacket client closed as the guest reset. */
static void kill_with_its_event_in_the_batch(void **state)
{
	struct fx *f = *state;
	struct killer k = { .h.fn = killer_fired, .f = f };
	int l = listen_at(f, 6003, SOCK_SEQPACKET), h;
	uint64_t one = 1;

	guest_connect(f, 4400, 6003, VIRTIO_VSOCK_TYPE_SEQPACKET);
	h = accept(l, NULL, NULL);
	assert_true(h >= 0);
	pump(f, 20);
	assert_int_equal(f->vs.nconns, 1);
	k.efd = eventfd(0, EFD_CLOEXEC);
	assert_true(k.efd >= 0);
	assert_int_equal(event_loop_add(&f->loop, k.efd, EPOLLIN, &k.h), 0);
	/* Ready in this order: the killer, then the connection's socket. */
	assert_int_equal(write(k.efd, &one, sizeof(one)), sizeof(one));
	assert_int_equal(send(h, "x", 1, 0), 1);
	assert_int_equal(event_loop_run_once(&f->loop, 100), 2);
	assert_int_equal(f->vs.nconns, 0);
	assert_null(f->vs.dead); /* freed after the batch */
	assert_int_equal(event_loop_del(&f->loop, k.efd), 0);
	close(k.efd);
	close(h);
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
		cmocka_unit_test_setup_teardown(host_initiated_connect, setup, teardown),
		cmocka_unit_test_setup_teardown(host_disconnects_mid_message, setup, teardown),
		cmocka_unit_test_setup_teardown(reset_drops_everything, setup, teardown),
		cmocka_unit_test_setup_teardown(kill_with_its_event_in_the_batch, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_packets, setup, teardown),
		cmocka_unit_test_setup_teardown(many_connections, setup, teardown),
		cmocka_unit_test_setup_teardown(socket_collision, setup, teardown),
		cmocka_unit_test_setup_teardown(transport_reset_event, setup, teardown),
		cmocka_unit_test_setup_teardown(restore_sends_transport_reset, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
