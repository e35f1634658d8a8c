/* Unit tests: the virtio-vsock datapath, driven from the driver side against
 * real host Unix sockets (vsock_fixture.h): stream and seqpacket round
 * trips, message boundaries and truncation, half-close, credit stall and
 * resume both ways. */
#include "vsock_fixture.h"

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

/* A guest message assembled across packets while earlier ones wait for a
 * slow host reader: when they drain and the buffer compacts, the open
 * record's offset must follow (it did not: the host got an empty message,
 * then garbage lengths, EMSGSIZE and a reset). */
static void seq_record_offset_after_compaction(void **state)
{
	struct fx *f = *state;
	int l = listen_at(f, 6000, SOCK_SEQPACKET), h;
	static uint8_t part[60000], got[200000];
	char small[1000];
	struct vsock_conn *c;
	int sz = 16384;
	ssize_t n;

	guest_connect(f, 3000, 6000, VIRTIO_VSOCK_TYPE_SEQPACKET);
	h = accept(l, NULL, NULL);
	assert_true(h >= 0);
	nonblock(h);
	c = vsock_conn_find(&f->vs, 6000, 3000);
	assert_non_null(c);
	/* A host reader that falls behind: a small send buffer stands for
	 * any EAGAIN (wmem_max without CAP_NET_ADMIN, a slow reader). */
	assert_int_equal(setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)), 0);
	memset(small, 's', sizeof(small));
	for (int i = 0; i < 64 && c->out.len - c->out.head < 3 * 1004; i++)
		send_pkt(f, VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_SEQPACKET, 3000, 6000,
			 VIRTIO_VSOCK_SEQ_EOM, small, sizeof(small));
	assert_true(c->out.len - c->out.head >= 3 * 1004);
	/* first packet of a 180000-byte message */
	memset(part, 'A', sizeof(part));
	send_pkt(f, VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_SEQPACKET, 3000, 6000, 0, part,
		 sizeof(part));
	/* the host reader catches up: the queued records go out */
	while (recv(h, got, sizeof(got), 0) > 0)
		;
	pump(f, 20);
	while (recv(h, got, sizeof(got), 0) > 0)
		;
	/* the second packet: buf_reserve compacts */
	send_pkt(f, VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_SEQPACKET, 3000, 6000, 0, part,
		 sizeof(part));
	n = recv(h, got, sizeof(got), 0);
	assert_int_equal(n, -1);
	assert_int_equal(f->vs.stats.host_gone, 0);
	/* the last packet: the host gets one message of 180000 bytes (a send
	 * buffer that takes it: a message larger than it is EMSGSIZE) */
	sz = 1 << 20;
	assert_int_equal(setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz)), 0);
	send_pkt(f, VIRTIO_VSOCK_OP_RW, VIRTIO_VSOCK_TYPE_SEQPACKET, 3000, 6000,
		 VIRTIO_VSOCK_SEQ_EOM, part, sizeof(part));
	for (int i = 0; i < 50 && (n = recv(h, got, sizeof(got), 0)) < 0; i++)
		pump(f, 5);
	assert_int_equal(n, 3 * sizeof(part));
	for (size_t i = 0; i < 3 * sizeof(part); i++)
		assert_int_equal(got[i], 'A');
	close(h);
	close(l);
}

/* A guest that keeps the tx queue full gets one budget per notification
 * (virtio_vsock.c BUDGET, 256) and a notify_again for the rest, so it
 * cannot hold the event loop. Short headers are dropped: no host work. */
static void tx_stops_after_budget(void **state)
{
	struct fx *f = *state;
	struct vdrv_ring *r = &f->v.rings[VSOCK_TXQ];

	for (unsigned int i = 0; i < RING; i++) {
		struct vdrv_buf b = { f->tx[0], 8, false };
		int head = vdrv_add(r, &b, 1, false);

		assert_true(head >= 0);
		vdrv_publish(r, (uint16_t)head);
	}
	vdrv_kick(&f->v, VSOCK_TXQ);
	assert_int_equal(f->vs.stats.drop_len, RING);
	assert_int_equal(f->v.tr.notify_again[VSOCK_TXQ], 1);
	vdrv_kick(&f->v, VSOCK_TXQ); /* what notify_again leads to: nothing left */
	assert_int_equal(f->v.tr.notify_again[VSOCK_TXQ], 1);
	assert_int_equal(vdrv_used_idx(r), RING);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(offers_seqpacket_and_cid, setup, teardown),
		cmocka_unit_test_setup_teardown(tx_stops_after_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(no_listener_gets_rst, setup, teardown),
		cmocka_unit_test_setup_teardown(stream_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(stream_half_close, setup, teardown),
		cmocka_unit_test_setup_teardown(seqpacket_boundaries, setup, teardown),
		cmocka_unit_test_setup_teardown(credit_stall_and_resume_guest_to_host, setup, teardown),
		cmocka_unit_test_setup_teardown(credit_stall_and_resume_host_to_guest, setup, teardown),
		cmocka_unit_test_setup_teardown(host_half_close, setup, teardown),
		cmocka_unit_test_setup_teardown(seq_record_offset_after_compaction, setup, teardown),
	};

	return cmocka_run_group_tests(tests, group_setup, NULL);
}
