/* Unit tests: virtio-net driven from the driver side, each kick served at
 * once (no event loop); net_fixture.h has the device, the socketpairs
 * standing in for the tap, and the helpers. test_virtio_net_loop.c has
 * what needs the event loop. */
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "net_fixture.h"
/* ---- transmit --------------------------------------------------------- */

static void tx_reaches_host(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr_v1 h = { 0 };
	uint8_t got[2048];
	uint16_t id;
	uint32_t len;
	int head;

	up(f, all_features(f) & ~F(VIRTIO_F_IN_ORDER));
	head = post_tx(f, 1, &h, 1000, 7, 5); /* header split 5 + 7 */
	vdrv_kick(&f->v, 1);
	assert_int_equal(recv(f->sock[0][1], got, sizeof(got), 0), NET_HDR_LEN + 1000);
	for (uint32_t i = 0; i < 1000; i++)
		assert_int_equal(got[NET_HDR_LEN + i], pat(i, 7));
	assert_int_equal(vdrv_get_used(&f->v.rings[1], &id, &len), 1);
	assert_int_equal(id, head);
	assert_int_equal(len, 0);
	assert_int_equal(f->n.stats.tx_frames, 1);
	assert_int_equal(f->n.stats.tx_bytes, 1000);
}

static void tx_malformed_frames_dropped(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr_v1 bad_flags = { .flags = VIRTIO_NET_HDR_F_DATA_VALID };
	struct virtio_net_hdr_v1 gso_no_csum = { .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
						 .gso_size = htole16(1448) };
	struct virtio_net_hdr_v1 csum_out = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
					      .csum_start = htole16(90), .csum_offset = htole16(16) };
	struct virtio_net_hdr_v1 ok = { 0 };
	uint8_t got[4096];
	uint16_t id;
	uint32_t len;

	up(f, all_features(f) & ~F(VIRTIO_F_IN_ORDER));
	post_tx(f, 1, &bad_flags, 100, 1, 0);
	post_tx(f, 1, &gso_no_csum, 100, 1, 0);
	post_tx(f, 1, &csum_out, 100, 1, 0);          /* checksum past the frame */
	post_tx(f, 1, &ok, 1500 + 18 + 1, 1, 0);      /* longer than MTU, no GSO */
	post_tx(f, 1, &ok, 10, 1, 0);                 /* shorter than Ethernet */
	post_tx(f, 1, &ok, 64, 2, 0);                 /* the one good frame */
	vdrv_kick(&f->v, 1);
	assert_int_equal(recv(f->sock[0][1], got, sizeof(got), 0), NET_HDR_LEN + 64);
	assert_int_equal(got[NET_HDR_LEN + 3], pat(3, 2));
	assert_int_equal(recv(f->sock[0][1], got, sizeof(got), 0), -1);
	assert_int_equal(f->n.stats.tx_dropped, 5);
	assert_int_equal(f->n.stats.tx_frames, 1);
	for (int i = 0; i < 6; i++)
		assert_int_equal(vdrv_get_used(&f->v.rings[1], &id, &len), 1);
	assert_false(needs_reset(f)); /* a bad frame fails alone */
}

static void tx_gso_needs_its_feature(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr_v1 tso = { .flags = VIRTIO_NET_HDR_F_NEEDS_CSUM,
					 .gso_type = VIRTIO_NET_HDR_GSO_TCPV4,
					 .gso_size = htole16(1448), .csum_start = htole16(34),
					 .csum_offset = htole16(16) };

	assert_int_equal(net_hdr_check_tx(&tso, 20000, F(VIRTIO_NET_F_CSUM), 1500), -EBADMSG);
	assert_int_equal(net_hdr_check_tx(&tso, 20000, F(VIRTIO_NET_F_CSUM) |
					  F(VIRTIO_NET_F_HOST_TSO4), 1500), 0);
	assert_int_equal(net_hdr_check_tx(&tso, NET_MAX_FRAME + 1, F(VIRTIO_NET_F_CSUM) |
					  F(VIRTIO_NET_F_HOST_TSO4), 1500), -EMSGSIZE);
	tso.gso_type |= VIRTIO_NET_HDR_GSO_ECN;
	assert_int_equal(net_hdr_check_tx(&tso, 20000, F(VIRTIO_NET_F_CSUM) |
					  F(VIRTIO_NET_F_HOST_TSO4), 1500), -EBADMSG);
	(void)f;
}

/* libc's writev, interposed for this test binary: the device's only
 * writev is a frame to its tap, so this sees what the driver could see of
 * the used ring at each send, mid-run. */
static const struct vdrv_ring *tx_watched;
static uint16_t tx_used_at_send[64];
static unsigned int tx_sends;

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	if (tx_watched && tx_sends < 64)
		tx_used_at_send[tx_sends++] = vdrv_used_idx(tx_watched);
	return syscall(SYS_writev, fd, iov, iovcnt);
}

/* Without IN_ORDER each sent chain is used (and signalled) before the
 * next is sent: a Linux driver reclaims tx buffers as it sends, and one
 * held back for a batch holds back its sender. */
static void tx_publishes_each_chain(void **state)
{
	struct fx *f = *state;
	struct vdrv_ring *r = &f->v.rings[1];
	struct virtio_net_hdr_v1 h = { 0 };
	uint8_t got[256];
	unsigned int irqs;

	/* Neither EVENT_IDX nor NO_INTERRUPT: every signal is an interrupt. */
	up(f, all_features(f) & ~(F(VIRTIO_F_IN_ORDER) | F(VIRTIO_RING_F_EVENT_IDX)));
	irqs = f->v.tr.queue_irqs[1];
	for (int i = 0; i < 5; i++)
		post_tx(f, 1, &h, 60, (uint8_t)i, 0);
	tx_watched = r;
	tx_sends = 0;
	vdrv_kick(&f->v, 1);
	tx_watched = NULL;
	assert_int_equal(tx_sends, 5);
	/* Chains 0..k-1 were used before frame k went out. */
	for (unsigned int k = 0; k < 5; k++)
		assert_int_equal(tx_used_at_send[k], k);
	for (int i = 0; i < 5; i++)
		assert_int_equal(recv(f->sock[0][1], got, sizeof(got), 0), NET_HDR_LEN + 60);
	assert_int_equal(vdrv_used_idx(r), 5);
	assert_int_equal(f->v.tr.queue_irqs[1], irqs + 5);
}

static void tx_in_order_one_used_entry(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr_v1 h = { 0 };
	struct vdrv_ring *r = &f->v.rings[1];
	int heads[5];
	uint8_t got[256];

	up(f, all_features(f));
	assert_true(virtio_dev_has_feature(&f->n.dev, VIRTIO_F_IN_ORDER));
	for (int i = 0; i < 5; i++)
		heads[i] = post_tx(f, 1, &h, 60, (uint8_t)i, 0);
	/* The device must take heads from the ring order, not the avail
	 * ring: scribble over the entries it has no need to read. */
	for (int i = 0; i < 5; i++)
		*(uint16_t *)vdrv_host(&f->m, r->avail + 4 + 2 * i, 2) = 0xbeef;
	vdrv_kick(&f->v, 1);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(recv(f->sock[0][1], got, sizeof(got), 0), NET_HDR_LEN + 60);
		assert_int_equal(got[NET_HDR_LEN], pat(0, (uint8_t)i));
	}
	/* 2.7.9: one used entry, the last buffer's id, used->idx moved by 5. */
	assert_int_equal(vdrv_used_idx(r), 5);
	assert_int_equal(vdrv_used_elem(r, 0).id, heads[4]);
	assert_false(needs_reset(f));
}

static void tx_loop_needs_reset(void **state)
{
	struct fx *f = *state;
	struct vdrv_ring *r = &f->v.rings[1];
	uint64_t g = vdrv_alloc(&f->m, 64);

	up(f, all_features(f) & ~F(VIRTIO_F_IN_ORDER));
	vdrv_set_desc(r, 0, g, 64, VRING_DESC_F_NEXT, 1);
	vdrv_set_desc(r, 1, g, 64, VRING_DESC_F_NEXT, 0); /* 0 -> 1 -> 0 ... */
	vdrv_publish(r, 0);
	vdrv_kick(&f->v, 1);
	assert_true(needs_reset(f));
	assert_true(f->n.dev.guest_errors >= 1);
	assert_int_equal(f->v.tr.config_irqs, 1);
}

static void tx_limit_leaves_chain_in_ring(void **state)
{
	struct fx *f = *state;
	struct virtio_net_limit tx = { .pps = 1 }; /* one frame per second */
	struct virtio_net_hdr_v1 h = { 0 };
	uint8_t got[256];

	teardown(state);
	make(f, 1, NULL, &tx);
	up(f, all_features(f) & ~F(VIRTIO_F_IN_ORDER));
	post_tx(f, 1, &h, 60, 1, 0);
	post_tx(f, 1, &h, 60, 2, 0);
	vdrv_kick(&f->v, 1);
	assert_int_equal(recv(f->sock[0][1], got, sizeof(got), 0), NET_HDR_LEN + 60);
	assert_int_equal(recv(f->sock[0][1], got, sizeof(got), 0), -1);
	assert_int_equal(vdrv_used_idx(&f->v.rings[1]), 1);  /* the second waits */
	assert_int_equal(f->n.stats.tx_throttled, 1);
	assert_int_equal(f->n.stats.tx_dropped, 0);
	fake_ns += 500000000ULL;                               /* half a token */
	virtio_net_poll(&f->n);
	assert_int_equal(vdrv_used_idx(&f->v.rings[1]), 1);
	fake_ns += 500000000ULL;
	virtio_net_poll(&f->n);
	assert_int_equal(recv(f->sock[0][1], got, sizeof(got), 0), NET_HDR_LEN + 60);
	assert_int_equal(got[NET_HDR_LEN], pat(0, 2));
	assert_int_equal(vdrv_used_idx(&f->v.rings[1]), 2);
}

/* ---- receive ---------------------------------------------------------- */

static void rx_single_buffer(void **state)
{
	struct fx *f = *state;
	uint64_t g;
	uint16_t id;
	uint32_t len;
	int head;
	uint8_t *p;

	up(f, all_features(f) & ~F(VIRTIO_NET_F_MRG_RXBUF) & ~F(VIRTIO_F_IN_ORDER));
	head = post_rx(f, 0, 1530, &g);
	host_send(f, 0, 100, 9);
	virtio_net_poll(&f->n);
	assert_int_equal(vdrv_get_used(&f->v.rings[0], &id, &len), 1);
	assert_int_equal(id, head);
	assert_int_equal(len, NET_HDR_LEN + 100);
	p = vdrv_host(&f->m, g, 1530);
	/* 5.1.6.3.2: num_buffers is 1 without mergeable buffers. */
	assert_int_equal(le16toh(((struct virtio_net_hdr_v1 *)p)->num_buffers), 1);
	for (uint32_t i = 0; i < 100; i++)
		assert_int_equal(p[NET_HDR_LEN + i], pat(i, 9));
	assert_true(f->v.tr.queue_irqs[0] >= 1);
	assert_int_equal(f->n.stats.rx_frames, 1);
}

static void rx_mergeable_buffers(void **state)
{
	struct fx *f = *state;
	uint64_t g[4];
	int heads[4];
	uint16_t id;
	uint32_t len, want[3] = { 1024, 1024, 3012 - 2048 }, off = 0;

	up(f, all_features(f) & ~F(VIRTIO_F_IN_ORDER));
	for (int i = 0; i < 4; i++)
		heads[i] = post_rx(f, 0, 1024, &g[i]);
	host_send(f, 0, 3000, 4);
	virtio_net_poll(&f->n);
	assert_int_equal(le16toh(((struct virtio_net_hdr_v1 *)vdrv_host(&f->m, g[0], 12))
				 ->num_buffers), 3);
	for (int i = 0; i < 3; i++) {
		uint8_t *p = vdrv_host(&f->m, g[i], 1024);

		assert_int_equal(vdrv_get_used(&f->v.rings[0], &id, &len), 1);
		assert_int_equal(id, heads[i]);
		assert_int_equal(len, want[i]);
		for (uint32_t k = (i == 0 ? NET_HDR_LEN : 0); k < len; k++)
			assert_int_equal(p[k], pat(off + k - NET_HDR_LEN, 4));
		off += len;
	}
	assert_int_equal(vdrv_get_used(&f->v.rings[0], &id, &len), 0); /* the 4th stays */
}

static void rx_mergeable_in_order_batch(void **state)
{
	struct fx *f = *state;
	struct vdrv_ring *r = &f->v.rings[0];
	int heads[4];

	up(f, all_features(f));
	for (int i = 0; i < 4; i++)
		heads[i] = post_rx(f, 0, 1024, NULL);
	host_send(f, 0, 2500, 4);
	virtio_net_poll(&f->n);
	/* Three buffers, two full and one short: one used entry (2.7.9). */
	assert_int_equal(vdrv_used_idx(r), 3);
	assert_int_equal(vdrv_used_elem(r, 0).id, heads[2]);
	assert_int_equal(vdrv_used_elem(r, 0).len, 2512 - 2048);
}

static void rx_waits_for_buffers(void **state)
{
	struct fx *f = *state;
	uint16_t id;
	uint32_t len;

	up(f, all_features(f) & ~F(VIRTIO_F_IN_ORDER));
	host_send(f, 0, 200, 1);
	virtio_net_poll(&f->n);                       /* no buffers: held */
	assert_int_equal(f->n.stats.rx_frames, 0);
	assert_int_equal(f->n.stats.rx_dropped, 0);
	post_rx(f, 0, 1024, NULL);
	vdrv_kick(&f->v, 0);                          /* the driver adds one */
	assert_int_equal(vdrv_get_used(&f->v.rings[0], &id, &len), 1);
	assert_int_equal(len, NET_HDR_LEN + 200);
	assert_int_equal(f->n.stats.rx_frames, 1);
}

/* The host sends a frame of drop_len, then one of keep_len (pattern
 * seed): the first is dropped and counted, the second fills the buffer. */
static void expect_drop_then_deliver(struct fx *f, uint32_t drop_len, uint32_t keep_len,
				     uint8_t seed)
{
	uint16_t id;
	uint32_t len;

	host_send(f, 0, drop_len, 1);
	host_send(f, 0, keep_len, seed);
	virtio_net_poll(&f->n);
	assert_int_equal(f->n.stats.rx_dropped, 1);
	assert_int_equal(vdrv_get_used(&f->v.rings[0], &id, &len), 1);
	assert_int_equal(len, NET_HDR_LEN + keep_len);
}

static void rx_too_big_dropped(void **state)
{
	struct fx *f = *state;

	/* No GUEST_TSO/UFO: nothing longer than the MTU + 18 may reach it. */
	up(f, (all_features(f) & ~F(VIRTIO_F_IN_ORDER)) &
	      ~(F(VIRTIO_NET_F_GUEST_TSO4) | F(VIRTIO_NET_F_GUEST_TSO6) |
		F(VIRTIO_NET_F_GUEST_UFO) | F(VIRTIO_NET_F_GUEST_ECN)));
	post_rx(f, 0, 4096, NULL);
	expect_drop_then_deliver(f, 1519, 1518, 2);
}

static void rx_buffer_too_small_dropped(void **state)
{
	struct fx *f = *state;
	uint64_t g;

	/* Without mergeable buffers one buffer must hold the frame: the
	 * frame is dropped, the buffer stays for the next. */
	up(f, all_features(f) & ~F(VIRTIO_NET_F_MRG_RXBUF) & ~F(VIRTIO_F_IN_ORDER));
	post_rx(f, 0, 512, &g);
	expect_drop_then_deliver(f, 1000, 300, 3);
	assert_int_equal(((uint8_t *)vdrv_host(&f->m, g, 512))[NET_HDR_LEN + 1], pat(1, 3));
	assert_false(needs_reset(f));
}

static void rx_limit_holds_frames(void **state)
{
	struct fx *f = *state;
	struct virtio_net_limit rx = { .pps = 1 };

	teardown(state);
	make(f, 1, &rx, NULL);
	up(f, all_features(f) & ~F(VIRTIO_F_IN_ORDER));
	for (int i = 0; i < 3; i++)
		post_rx(f, 0, 2048, NULL);
	host_send(f, 0, 100, 1);
	host_send(f, 0, 100, 2);
	virtio_net_poll(&f->n);
	assert_int_equal(f->n.stats.rx_frames, 1);
	assert_true(f->n.stats.rx_throttled >= 1);
	fake_ns += 1000000000ULL;
	virtio_net_poll(&f->n);
	assert_int_equal(f->n.stats.rx_frames, 2);
	assert_int_equal(f->n.stats.rx_dropped, 0);
}

/* ---- control queue, link, config -------------------------------------- */

/* Send a control command on queue q; returns the ack byte. */
static uint8_t ctrl(struct fx *f, uint16_t q, uint8_t class, uint8_t cmd, const void *data,
		    uint32_t len)
{
	uint64_t hg = vdrv_alloc(&f->m, 2 + len), ag = vdrv_alloc(&f->m, 1);
	uint8_t *hp = vdrv_host(&f->m, hg, 2 + len), *ap = vdrv_host(&f->m, ag, 1);
	struct vdrv_buf b[2] = { { hg, 2 + len, false }, { ag, 1, true } };
	uint16_t id;
	uint32_t ulen;
	int head;

	hp[0] = class;
	hp[1] = cmd;
	if (len)
		memcpy(hp + 2, data, len);
	*ap = 0xaa;
	head = vdrv_add(&f->v.rings[q], b, 2, false);
	vdrv_publish(&f->v.rings[q], (uint16_t)head);
	vdrv_kick(&f->v, q);
	assert_int_equal(vdrv_get_used(&f->v.rings[q], &id, &ulen), 1);
	assert_int_equal(ulen, 1);
	return *ap;
}

static void ctrl_mq_and_mac(void **state)
{
	struct fx *f = *state;
	uint16_t two = htole16(2), three = htole16(3), zero = 0;
	uint8_t mac[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee }, cfg[6];
	uint64_t off = htole64(F(VIRTIO_NET_F_GUEST_CSUM)), bad = htole64(F(VIRTIO_NET_F_MQ));
	uint16_t cq = 4; /* 2 * max_virtqueue_pairs (5.1.2) */

	up(f, all_features(f));
	assert_true(virtio_dev_has_feature(&f->n.dev, VIRTIO_NET_F_MQ));
	assert_int_equal(f->n.curr_pairs, 1);
	assert_int_equal(ctrl(f, cq, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &two, 2),
			 VIRTIO_NET_OK);
	assert_int_equal(f->n.curr_pairs, 2);
	assert_int_equal(ctrl(f, cq, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &three, 2),
			 VIRTIO_NET_ERR);
	assert_int_equal(ctrl(f, cq, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &zero, 2),
			 VIRTIO_NET_ERR);
	assert_int_equal(ctrl(f, cq, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &two, 1),
			 VIRTIO_NET_ERR);                      /* short data */
	assert_int_equal(f->n.curr_pairs, 2);
	assert_int_equal(ctrl(f, cq, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, mac, 6),
			 VIRTIO_NET_OK);
	virtio_dev_config_read(&f->n.dev, 0, cfg, 6);
	assert_memory_equal(cfg, mac, 6);
	assert_int_equal(ctrl(f, cq, VIRTIO_NET_CTRL_GUEST_OFFLOADS,
			      VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, &off, 8), VIRTIO_NET_OK);
	assert_int_equal(ctrl(f, cq, VIRTIO_NET_CTRL_GUEST_OFFLOADS,
			      VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET, &bad, 8), VIRTIO_NET_ERR);
	assert_int_equal(ctrl(f, cq, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &two, 2),
			 VIRTIO_NET_ERR);                      /* one byte, not two */
	assert_int_equal(ctrl(f, cq, 77, 0, NULL, 0), VIRTIO_NET_ERR);
	assert_int_equal(f->n.stats.ctrl_errors, 6);
	assert_false(needs_reset(f));
}

static void ctrl_second_pair_carries_frames(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr_v1 h = { 0 };
	uint16_t two = htole16(2), id;
	uint32_t len;
	uint8_t got[256];

	up(f, all_features(f) & ~F(VIRTIO_F_IN_ORDER));
	/* Before VQ_PAIRS_SET only pair 0 is served: pair 1's tx chain is
	 * given back unsent. */
	post_tx(f, 3, &h, 60, 1, 0);
	vdrv_kick(&f->v, 3);
	assert_int_equal(recv(f->sock[1][1], got, sizeof(got), 0), -1);
	assert_int_equal(ctrl(f, 4, VIRTIO_NET_CTRL_MQ, VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET, &two, 2),
			 VIRTIO_NET_OK);
	post_tx(f, 3, &h, 60, 2, 0);
	vdrv_kick(&f->v, 3);
	assert_int_equal(recv(f->sock[1][1], got, sizeof(got), 0), NET_HDR_LEN + 60);
	post_rx(f, 2, 2048, NULL);
	host_send(f, 1, 80, 5);
	virtio_net_poll(&f->n);
	assert_int_equal(vdrv_get_used(&f->v.rings[2], &id, &len), 1);
	assert_int_equal(len, NET_HDR_LEN + 80);
}

static void ctrl_without_ack_needs_reset(void **state)
{
	struct fx *f = *state;
	uint64_t g = vdrv_alloc(&f->m, 4);
	struct vdrv_buf b = { g, 4, false };
	int head;

	up(f, all_features(f));
	head = vdrv_add(&f->v.rings[2], &b, 1, false);
	vdrv_publish(&f->v.rings[2], (uint16_t)head);
	vdrv_kick(&f->v, 2);
	assert_true(needs_reset(f));
}

static void host_gone_takes_link_down(void **state)
{
	struct fx *f = *state;
	struct virtio_net_hdr_v1 h = { 0 };
	uint16_t status;
	unsigned int irqs;

	up(f, all_features(f) & ~F(VIRTIO_F_IN_ORDER));
	virtio_dev_config_read(&f->n.dev, 6, &status, 2);
	assert_int_equal(le16toh(status) & VIRTIO_NET_S_LINK_UP, VIRTIO_NET_S_LINK_UP);
	irqs = f->v.tr.config_irqs;
	close(f->sock[0][1]);
	f->sock[0][1] = -1;
	post_tx(f, 1, &h, 60, 1, 0);
	vdrv_kick(&f->v, 1);
	virtio_dev_config_read(&f->n.dev, 6, &status, 2);
	assert_int_equal(le16toh(status) & VIRTIO_NET_S_LINK_UP, 0);
	assert_int_equal(f->v.tr.config_irqs, irqs + 1);
	assert_true(f->n.link_gone);
	/* The device keeps working for the guest: later frames come back. */
	post_tx(f, 1, &h, 60, 2, 0);
	vdrv_kick(&f->v, 1);
	assert_int_equal(vdrv_used_idx(&f->v.rings[1]), 2);
	assert_false(needs_reset(f));
}

static void features_and_config(void **state)
{
	struct fx *f = *state;
	uint64_t feats = all_features(f);
	uint8_t mac[6];
	uint16_t pairs;

	assert_true(feats & F(VIRTIO_NET_F_MAC));
	assert_true(feats & F(VIRTIO_NET_F_STATUS));
	assert_true(feats & F(VIRTIO_NET_F_CTRL_VQ));
	assert_true(feats & F(VIRTIO_NET_F_MRG_RXBUF));
	assert_true(feats & F(VIRTIO_F_IN_ORDER));
	assert_false(feats & F(VIRTIO_NET_F_MQ));   /* one pair */
	assert_false(feats & F(VIRTIO_NET_F_MTU));  /* no mtu= given */
	virtio_dev_config_read(&f->n.dev, 0, mac, 6);
	assert_int_equal(mac[0], 0x02);
	virtio_dev_config_read(&f->n.dev, 8, &pairs, 2);
	assert_int_equal(le16toh(pairs), 1);
}

static void vhost_masks_ring_features(void **state)
{
	struct fx *f = *state;
	int fds[1] = { f->sock[0][0] };
	struct virtio_net_params p = { .name = "v", .pairs = 1, .fds = fds, .csum_tso = true,
				       .vhost_features = F(VIRTIO_F_VERSION_1) |
							 F(VIRTIO_RING_F_EVENT_IDX) |
							 F(VIRTIO_RING_F_INDIRECT_DESC) };
	struct virtio_net n;
	uint64_t feats;

	assert_int_equal(virtio_net_init(&n, &p, &f->m.mem, NULL), 0);
	feats = n.dev.device_features;
	assert_false(feats & F(VIRTIO_F_IN_ORDER));      /* the 6.1 vhost-net has none */
	assert_false(feats & F(VIRTIO_NET_F_MRG_RXBUF)); /* not in vhost_features */
	assert_true(feats & F(VIRTIO_RING_F_EVENT_IDX));
	assert_true(feats & F(VIRTIO_NET_F_HOST_TSO4));  /* the tap's offloads stay */
	assert_true(feats & F(VIRTIO_NET_F_CTRL_VQ));    /* served by skiff */
	virtio_net_destroy(&n);
}

/* A vhost backend that refuses at activation (here: no fd, as when the
 * transport cannot lend its eventfds): without vhost=on the userspace
 * datapath serves the queues; with vhost=on the device fails. */
static void vhost_refusal_falls_back_unless_demanded(void **state)
{
	struct fx *f = *state;
	struct net_vhost v;
	struct virtio_net_hdr_v1 h = { 0 };
	uint8_t got[256];

	memset(&v, 0, sizeof(v));
	v.pairs = 1;
	v.be[0].fd = -1;
	v.be[0].features = ~0ULL;
	net_vhost_attach(&v, &f->n);
	up(f, all_features(f) & ~F(VIRTIO_F_IN_ORDER));
	assert_false(f->n.vhost_on);
	post_tx(f, 1, &h, 60, 3, 0);
	vdrv_kick(&f->v, 1);
	assert_int_equal(recv(f->sock[0][1], got, sizeof(got), 0), NET_HDR_LEN + 60);

	v.demanded = true;
	vdrv_bring_up(&f->v, all_features(f) & ~F(VIRTIO_F_IN_ORDER), QSZ);
	assert_true(needs_reset(f));
	assert_false(f->n.vhost_on);
	f->n.vhost = NULL;
	f->n.vhost_start = NULL;
	f->n.vhost_stop = NULL;
}

static void default_mac_is_stable_local_unicast(void **state)
{
	uint8_t a[6], b[6], c[6];

	(void)state;
	virtio_net_default_mac("skt0", 0, a);
	virtio_net_default_mac("skt0", 0, b);
	virtio_net_default_mac("skt0", 1, c);
	assert_memory_equal(a, b, 6);
	assert_memory_not_equal(a, c, 6);
	assert_int_equal(a[0] & 3, 2); /* locally administered, unicast */
	assert_int_equal(c[0] & 3, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(tx_reaches_host, setup1, teardown),
		cmocka_unit_test_setup_teardown(tx_malformed_frames_dropped, setup1, teardown),
		cmocka_unit_test_setup_teardown(tx_gso_needs_its_feature, setup1, teardown),
		cmocka_unit_test_setup_teardown(tx_publishes_each_chain, setup1, teardown),
		cmocka_unit_test_setup_teardown(tx_in_order_one_used_entry, setup1, teardown),
		cmocka_unit_test_setup_teardown(tx_loop_needs_reset, setup1, teardown),
		cmocka_unit_test_setup_teardown(tx_limit_leaves_chain_in_ring, setup1, teardown),
		cmocka_unit_test_setup_teardown(rx_single_buffer, setup1, teardown),
		cmocka_unit_test_setup_teardown(rx_mergeable_buffers, setup1, teardown),
		cmocka_unit_test_setup_teardown(rx_mergeable_in_order_batch, setup1, teardown),
		cmocka_unit_test_setup_teardown(rx_waits_for_buffers, setup1, teardown),
		cmocka_unit_test_setup_teardown(rx_too_big_dropped, setup1, teardown),
		cmocka_unit_test_setup_teardown(rx_buffer_too_small_dropped, setup1, teardown),
		cmocka_unit_test_setup_teardown(rx_limit_holds_frames, setup1, teardown),
		cmocka_unit_test_setup_teardown(ctrl_mq_and_mac, setup2, teardown),
		cmocka_unit_test_setup_teardown(ctrl_second_pair_carries_frames, setup2, teardown),
		cmocka_unit_test_setup_teardown(ctrl_without_ack_needs_reset, setup1, teardown),
		cmocka_unit_test_setup_teardown(host_gone_takes_link_down, setup1, teardown),
		cmocka_unit_test_setup_teardown(features_and_config, setup1, teardown),
		cmocka_unit_test_setup_teardown(vhost_masks_ring_features, setup1, teardown),
		cmocka_unit_test_setup_teardown(vhost_refusal_falls_back_unless_demanded, setup1,
						teardown),
		cmocka_unit_test(default_mac_is_stable_local_unicast),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
