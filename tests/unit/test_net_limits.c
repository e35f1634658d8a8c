/* Unit tests: virtio-net keeps to what was checked and negotiated when the
 * guest or the pairs change under it: the tap gets the tx header that was
 * checked even while the guest rewrites it, an unsegmented rx frame
 * longer than the MTU the driver accepted is dropped, and a frame held
 * for a pair the driver stops using is not delivered later. */
#include <pthread.h>

#include "net_fixture.h"

#include "devices/net_internal.h"

#define TXQ 1
#define FRAME 4000 /* longer than an MTU of 1500: only as TSO */

/* A second vCPU rewriting the header's gso_type between TCPV4 (valid:
 * HOST_TSO4 negotiated) and NONE (invalid for a 4000-byte frame). */
struct flipper {
	volatile uint8_t *gso_type;
	volatile bool stop;
};

static void *flip(void *arg)
{
	struct flipper *g = arg;

	for (unsigned int i = 0; !g->stop; i++)
		__atomic_store_n(g->gso_type, (i & 1) ? VIRTIO_NET_HDR_GSO_NONE
						     : VIRTIO_NET_HDR_GSO_TCPV4, __ATOMIC_RELAXED);
	return NULL;
}

static void tx_sends_the_header_it_checked(void **state)
{
	struct fx *f = *state;
	struct vdrv_ring *r = &f->v.rings[TXQ];
	uint64_t hg = vdrv_alloc(&f->m, NET_HDR_LEN), dg = vdrv_alloc(&f->m, FRAME);
	struct virtio_net_hdr_v1 *h = vdrv_host(&f->m, hg, NET_HDR_LEN);
	struct vdrv_buf b[2] = { { hg, NET_HDR_LEN, false }, { dg, FRAME, false } };
	static uint8_t got[NET_HDR_LEN + FRAME + 16];
	struct flipper g = { &h->gso_type, false };
	unsigned int sent = 0;
	pthread_t t;

	up(f, F(VIRTIO_F_VERSION_1) | F(VIRTIO_NET_F_CSUM) | F(VIRTIO_NET_F_HOST_TSO4));
	*h = (struct virtio_net_hdr_v1){
		.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM, .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
		.hdr_len = htole16(54), .gso_size = htole16(1448),
		.csum_start = htole16(34), .csum_offset = htole16(16),
	};
	assert_int_equal(pthread_create(&t, NULL, flip, &g), 0);
	for (unsigned int i = 0; i < 3000; i++) {
		uint16_t id;
		uint32_t len;
		ssize_t n;
		int head = vdrv_add(r, b, 2, false);

		assert_true(head >= 0);
		vdrv_publish(r, (uint16_t)head);
		vdrv_kick(&f->v, TXQ);
		assert_int_equal(vdrv_get_used(r, &id, &len), 1);
		n = recv(f->sock[0][1], got, sizeof(got), 0);
		if (n < 0)
			continue; /* it saw NONE: dropped */
		assert_int_equal(n, NET_HDR_LEN + FRAME);
		/* What reached the tap is what passed the check. */
		assert_int_equal(((struct virtio_net_hdr_v1 *)got)->gso_type,
				 VIRTIO_NET_HDR_GSO_TCPV4);
		sent++;
	}
	g.stop = true;
	pthread_join(t, NULL);
	assert_true(sent > 0);
	assert_int_equal(f->n.stats.tx_frames, sent);
	assert_int_equal(f->n.stats.tx_frames + f->n.stats.tx_dropped, 3000);
}

/* The device with VIRTIO_NET_F_MTU offered at 1500. */
static int setup_mtu(void **state)
{
	static struct fx f;
	int fds[1];
	struct virtio_net_params p = { .name = "test", .pairs = 1, .fds = fds,
				       .mac = { 0x02, 1, 2, 3, 4, 5 }, .csum_tso = true,
				       .mtu = 1500 };

	memset(&f, 0, sizeof(f));
	f.pairs = 1;
	assert_int_equal(socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, f.sock[0]), 0);
	fds[0] = f.sock[0][0];
	assert_int_equal(vdrv_mem_init(&f.m, 0), 0);
	assert_int_equal(virtio_net_init(&f.n, &p, &f.m.mem, NULL), 0);
	vdrv_attach(&f.v, &f.n.dev, &f.m);
	*state = &f;
	return 0;
}

/* host_send with a header of the host's choosing. */
static void host_send_hdr(struct fx *f, uint8_t gso_type, uint32_t len)
{
	static uint8_t buf[NET_HDR_LEN + 9000];

	memset(buf, 0, NET_HDR_LEN + len);
	((struct virtio_net_hdr_v1 *)buf)->gso_type = gso_type;
	if (gso_type != VIRTIO_NET_HDR_GSO_NONE)
		((struct virtio_net_hdr_v1 *)buf)->gso_size = htole16(1448);
	assert_int_equal(send(f->sock[0][1], buf, NET_HDR_LEN + len, 0), NET_HDR_LEN + len);
}

static void rx_unsegmented_frame_over_mtu_dropped(void **state)
{
	struct fx *f = *state;
	uint16_t id;
	uint32_t len;

	/* GUEST_TSO4 taken: TSO frames may be long, plain ones not (5.1.4.1:
	 * with VIRTIO_NET_F_MTU the driver sized for mtu). */
	up(f, all_features(f) & ~F(VIRTIO_F_IN_ORDER));
	assert_true(virtio_dev_has_feature(&f->n.dev, VIRTIO_NET_F_MTU));
	assert_true(virtio_dev_has_feature(&f->n.dev, VIRTIO_NET_F_GUEST_TSO4));
	post_rx(f, 0, 16384, NULL);
	host_send_hdr(f, VIRTIO_NET_HDR_GSO_NONE, 1519);
	host_send_hdr(f, VIRTIO_NET_HDR_GSO_TCPV4, 8000);
	virtio_net_poll(&f->n);
	assert_int_equal(f->n.stats.rx_dropped, 1);
	assert_int_equal(vdrv_get_used(&f->v.rings[0], &id, &len), 1);
	assert_int_equal(len, NET_HDR_LEN + 8000);
	/* At the MTU it passes. */
	post_rx(f, 0, 16384, NULL);
	host_send_hdr(f, VIRTIO_NET_HDR_GSO_NONE, 1518);
	virtio_net_poll(&f->n);
	assert_int_equal(vdrv_get_used(&f->v.rings[0], &id, &len), 1);
	assert_int_equal(len, NET_HDR_LEN + 1518);
	assert_int_equal(f->n.stats.rx_dropped, 1);
}

static void rx_frame_held_for_unused_pair_dropped(void **state)
{
	struct fx *f = *state;
	uint16_t id;
	uint32_t len;

	up(f, all_features(f) & ~F(VIRTIO_F_IN_ORDER));
	net_set_curr_pairs(&f->n, 2);
	/* No rx buffers on pair 1: the frame waits in the device. */
	host_send(f, 1, 100, 1);
	virtio_net_poll(&f->n);
	assert_int_equal(f->n.pair[1].rx_len, NET_HDR_LEN + 100);
	net_set_curr_pairs(&f->n, 1);
	assert_int_equal(f->n.pair[1].rx_len, 0);
	assert_int_equal(f->n.stats.rx_dropped, 1);
	/* In use again, pair 1 delivers what comes now, not the old frame. */
	net_set_curr_pairs(&f->n, 2);
	post_rx(f, 2, 2048, NULL);
	host_send(f, 1, 200, 2);
	virtio_net_poll(&f->n);
	assert_int_equal(vdrv_get_used(&f->v.rings[2], &id, &len), 1);
	assert_int_equal(len, NET_HDR_LEN + 200);
	assert_int_equal(f->n.stats.rx_frames, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(tx_sends_the_header_it_checked, setup1, teardown),
		cmocka_unit_test_setup_teardown(rx_unsegmented_frame_over_mtu_dropped, setup_mtu,
						teardown),
		cmocka_unit_test_setup_teardown(rx_frame_held_for_unused_pair_dropped, setup2,
						teardown),
	};

	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
