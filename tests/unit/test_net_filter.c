/* Unit tests: the virtio-net receive filter (net_filter.c) on its own, and
 * driven through the device's control queue with frames from the "tap"
 * (net_fixture.h): rx modes, the MAC table, VLANs, and reset. */
#include "net_fixture.h"

static const uint8_t own[6] = { 0x02, 1, 2, 3, 4, 5 };
static const uint8_t other[6] = { 0x02, 9, 9, 9, 9, 9 };
static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t mcast[6] = { 0x01, 0x00, 0x5e, 0x00, 0x00, 0x01 };

/* A 60-byte frame to dst, tagged with VLAN vid when vid >= 0. */
static uint32_t frame(uint8_t *buf, const uint8_t dst[6], int vid)
{
	memset(buf, 0, 60);
	memcpy(buf, dst, 6);
	memcpy(buf + 6, other, 6);
	if (vid >= 0) {
		buf[12] = 0x81;
		buf[13] = 0x00;
		buf[14] = (uint8_t)(vid >> 8);
		buf[15] = (uint8_t)vid;
	} else {
		buf[12] = 0x08; /* IPv4 */
	}
	return 60;
}

static bool accepts(const struct net_filter *f, const uint8_t dst[6], int vid)
{
	uint8_t buf[60];

	return net_filter_accepts(f, own, buf, frame(buf, dst, vid));
}

static void modes(void **state)
{
	struct net_filter f;

	(void)state;
	net_filter_reset(&f, true);
	/* Promiscuous from reset: everything, tagged or not. */
	assert_true(accepts(&f, other, -1));
	assert_true(accepts(&f, other, 7));
	assert_int_equal(net_filter_set_rx_mode(&f, VIRTIO_NET_CTRL_RX_PROMISC, false), 0);
	assert_true(accepts(&f, own, -1));
	assert_false(accepts(&f, other, -1));
	assert_true(accepts(&f, bcast, -1));
	assert_false(accepts(&f, mcast, -1));
	assert_int_equal(net_filter_set_rx_mode(&f, VIRTIO_NET_CTRL_RX_ALLMULTI, true), 0);
	assert_true(accepts(&f, mcast, -1));
	assert_int_equal(net_filter_set_rx_mode(&f, VIRTIO_NET_CTRL_RX_NOMULTI, true), 0);
	assert_false(accepts(&f, mcast, -1));
	assert_true(accepts(&f, bcast, -1)); /* broadcast is not "multi" here */
	assert_int_equal(net_filter_set_rx_mode(&f, VIRTIO_NET_CTRL_RX_NOBCAST, true), 0);
	assert_false(accepts(&f, bcast, -1));
	assert_int_equal(net_filter_set_rx_mode(&f, VIRTIO_NET_CTRL_RX_ALLUNI, true), 0);
	assert_true(accepts(&f, other, -1));
	assert_int_equal(net_filter_set_rx_mode(&f, VIRTIO_NET_CTRL_RX_NOUNI, true), 0);
	assert_false(accepts(&f, own, -1));
	assert_int_equal(net_filter_set_rx_mode(&f, VIRTIO_NET_CTRL_RX_NOBCAST + 1, true), -EINVAL);
	/* Too short to judge: left to the datapath's size checks. */
	assert_true(net_filter_accepts(&f, own, own, 6));
}

static void mac_table(void **state)
{
	struct net_filter f;
	uint8_t many[NET_FILTER_MACS + 1][6];

	(void)state;
	net_filter_reset(&f, false);
	net_filter_set_rx_mode(&f, VIRTIO_NET_CTRL_RX_PROMISC, false);
	assert_int_equal(net_filter_set_macs(&f, &other, 1, &mcast, 1), 0);
	assert_true(accepts(&f, other, -1));
	assert_true(accepts(&f, mcast, -1));
	assert_true(accepts(&f, own, -1));
	/* A multicast address in the unicast list (or the reverse): refused,
	 * the table as it was. */
	assert_int_equal(net_filter_set_macs(&f, &mcast, 1, NULL, 0), -EINVAL);
	assert_int_equal(net_filter_set_macs(&f, NULL, 0, &other, 1), -EINVAL);
	assert_true(accepts(&f, other, -1));
	assert_int_equal(net_filter_set_macs(&f, NULL, 0, NULL, 0), 0);
	assert_false(accepts(&f, other, -1));
	assert_false(accepts(&f, mcast, -1));
	/* More multicast addresses than fit: all multicast, no unicast more. */
	for (int i = 0; i <= NET_FILTER_MACS; i++) {
		memcpy(many[i], mcast, 6);
		many[i][5] = (uint8_t)(i + 2);
	}
	assert_int_equal(net_filter_set_macs(&f, NULL, 0, many, NET_FILTER_MACS + 1), 0);
	assert_true(accepts(&f, mcast, -1));
	assert_false(accepts(&f, other, -1));
	/* The two lists share the table: 1 + 64 overflows the second. */
	assert_int_equal(net_filter_set_macs(&f, &other, 1, many, NET_FILTER_MACS), 0);
	assert_true(f.multi_overflow);
	assert_false(f.uni_overflow);
	/* A list the caller did not read (NULL, count given) overflows. */
	assert_int_equal(net_filter_set_macs(&f, NULL, 1000, NULL, 0), 0);
	assert_true(accepts(&f, other, -1));
	assert_false(accepts(&f, mcast, -1));
}

static void vlans(void **state)
{
	struct net_filter f;

	(void)state;
	net_filter_reset(&f, true);
	net_filter_set_rx_mode(&f, VIRTIO_NET_CTRL_RX_PROMISC, false);
	assert_true(accepts(&f, own, -1)); /* untagged frames always pass */
	assert_false(accepts(&f, own, 5));
	assert_int_equal(net_filter_vlan(&f, 5, true), 0);
	assert_true(accepts(&f, own, 5));
	assert_false(accepts(&f, other, 5)); /* the MAC still counts */
	assert_false(accepts(&f, own, 4095));
	assert_int_equal(net_filter_vlan(&f, 4095, true), 0);
	assert_true(accepts(&f, own, 4095));
	assert_int_equal(net_filter_vlan(&f, 5, false), 0);
	assert_false(accepts(&f, own, 5));
	assert_int_equal(net_filter_vlan(&f, 4096, true), -EINVAL);
	/* Without CTRL_VLAN negotiated, tags are not looked at. */
	net_filter_reset(&f, false);
	net_filter_set_rx_mode(&f, VIRTIO_NET_CTRL_RX_PROMISC, false);
	assert_true(accepts(&f, own, 5));
}

/* ---- through the device ---------------------------------------------- */

/* Send one control command whose header and data lie in two readable
 * descriptors, split after split bytes of the data (0: one descriptor
 * for everything). The ack byte. */
static uint8_t ctrl_split(struct fx *f, uint8_t class, uint8_t cmd, const void *data,
			  uint32_t len, uint32_t split)
{
	uint64_t hg = vdrv_alloc(&f->m, 2 + len), ag = vdrv_alloc(&f->m, 1);
	uint8_t *hp = vdrv_host(&f->m, hg, 2 + len), *ap = vdrv_host(&f->m, ag, 1);
	struct vdrv_buf b[3];
	unsigned int n = 0;
	uint16_t id, q = 2; /* one pair: the control queue is queue 2 */
	uint32_t ulen;
	int head;

	hp[0] = class;
	hp[1] = cmd;
	memcpy(hp + 2, data, len);
	*ap = 0xaa;
	if (split && split < len) {
		b[n++] = (struct vdrv_buf){ hg, 2 + split, false };
		b[n++] = (struct vdrv_buf){ hg + 2 + split, len - split, false };
	} else {
		b[n++] = (struct vdrv_buf){ hg, 2 + len, false };
	}
	b[n++] = (struct vdrv_buf){ ag, 1, true };
	head = vdrv_add(&f->v.rings[q], b, n, false);
	assert_true(head >= 0);
	vdrv_publish(&f->v.rings[q], (uint16_t)head);
	vdrv_kick(&f->v, q);
	assert_int_equal(vdrv_get_used(&f->v.rings[q], &id, &ulen), 1);
	assert_int_equal(ulen, 1);
	return *ap;
}

/* The host sends a frame to dst (tagged with vid >= 0); whether the
 * guest got it. */
static bool delivered(struct fx *f, const uint8_t dst[6], int vid)
{
	uint8_t buf[NET_HDR_LEN + 60] = { 0 };
	uint64_t before = f->n.stats.rx_frames;
	uint16_t id;
	uint32_t len;

	post_rx(f, 0, 1530, NULL);
	frame(buf + NET_HDR_LEN, dst, vid);
	assert_int_equal(send(f->sock[0][1], buf, sizeof(buf), 0), (ssize_t)sizeof(buf));
	virtio_net_poll(&f->n);
	if (f->n.stats.rx_frames == before)
		return false;
	assert_int_equal(vdrv_get_used(&f->v.rings[0], &id, &len), 1);
	return true;
}

/* MAC_TABLE_SET data: le32 count and addresses, twice. */
static uint32_t table(uint8_t *out, const uint8_t (*uni)[6], uint32_t nu,
		      const uint8_t (*multi)[6], uint32_t nm)
{
	uint32_t k = htole32(nu), at = 0;

	memcpy(out + at, &k, 4);
	at += 4;
	if (nu)
		memcpy(out + at, uni, 6 * (size_t)nu);
	at += 6 * nu;
	k = htole32(nm);
	memcpy(out + at, &k, 4);
	at += 4;
	if (nm)
		memcpy(out + at, multi, 6 * (size_t)nm);
	return at + 6 * nm;
}

static void device_filters_what_the_driver_asked(void **state)
{
	struct fx *f = *state;
	uint8_t off = 0, on = 1, t[4 + 6 + 4 + 6 * (NET_FILTER_MACS + 1)], many[NET_FILTER_MACS + 1][6];
	uint16_t vid5 = htole16(5), vid_bad = htole16(4096);
	uint32_t len, errors;

	up(f, all_features(f) & ~(F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_F_IN_ORDER)));
	assert_true(virtio_dev_has_feature(&f->n.dev, VIRTIO_NET_F_CTRL_RX));
	assert_true(virtio_dev_has_feature(&f->n.dev, VIRTIO_NET_F_CTRL_VLAN));
	assert_true(delivered(f, other, -1)); /* promiscuous until told */
	assert_int_equal(ctrl_split(f, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &off, 1, 0),
			 VIRTIO_NET_OK);
	assert_false(delivered(f, other, -1));
	assert_int_equal(f->n.stats.rx_filtered, 1);
	assert_true(delivered(f, own, -1));
	assert_true(delivered(f, bcast, -1));
	assert_false(delivered(f, mcast, -1));
	/* The table, split mid-address over two descriptors. */
	len = table(t, &other, 1, &mcast, 1);
	assert_int_equal(ctrl_split(f, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, t, len, 7),
			 VIRTIO_NET_OK);
	assert_true(delivered(f, mcast, -1));
	assert_true(delivered(f, other, -1));
	errors = (uint32_t)f->n.stats.ctrl_errors;
	/* Lengths that do not match the counts, a count past the data. */
	assert_int_equal(ctrl_split(f, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, t,
				    len - 1, 0), VIRTIO_NET_ERR);
	t[len] = 0;
	assert_int_equal(ctrl_split(f, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, t,
				    len + 1, 0), VIRTIO_NET_ERR);
	memset(t, 0xff, 4); /* 4294967295 unicast addresses */
	assert_int_equal(ctrl_split(f, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, t, len,
				    0), VIRTIO_NET_ERR);
	assert_int_equal(f->n.stats.ctrl_errors, errors + 3);
	assert_true(delivered(f, other, -1)); /* the table as it was */
	/* Too many multicast addresses: all multicast. */
	for (int i = 0; i <= NET_FILTER_MACS; i++) {
		memcpy(many[i], mcast, 6);
		many[i][5] = (uint8_t)(i + 2);
	}
	len = table(t, NULL, 0, many, NET_FILTER_MACS + 1);
	assert_int_equal(ctrl_split(f, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, t, len,
				    100), VIRTIO_NET_OK);
	assert_true(delivered(f, mcast, -1));
	assert_false(delivered(f, other, -1));
	/* VLANs. */
	assert_false(delivered(f, own, 5));
	assert_int_equal(ctrl_split(f, VIRTIO_NET_CTRL_VLAN, VIRTIO_NET_CTRL_VLAN_ADD, &vid5, 2, 1),
			 VIRTIO_NET_OK);
	assert_true(delivered(f, own, 5));
	assert_int_equal(ctrl_split(f, VIRTIO_NET_CTRL_VLAN, VIRTIO_NET_CTRL_VLAN_ADD, &vid_bad, 2,
				    0), VIRTIO_NET_ERR);
	assert_int_equal(ctrl_split(f, VIRTIO_NET_CTRL_VLAN, VIRTIO_NET_CTRL_VLAN_DEL, &vid5, 1, 0),
			 VIRTIO_NET_ERR); /* short */
	/* Extra modes. */
	assert_int_equal(ctrl_split(f, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_NOBCAST, &on, 1, 0),
			 VIRTIO_NET_OK);
	assert_false(delivered(f, bcast, -1));
	assert_int_equal(ctrl_split(f, VIRTIO_NET_CTRL_RX, 6, &on, 1, 0), VIRTIO_NET_ERR);
	assert_false(needs_reset(f));
}

static void reset_forgets_the_driver_settings(void **state)
{
	struct fx *f = *state;
	uint8_t off = 0, mac[6] = { 0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee }, cfg[6];

	up(f, all_features(f) & ~(F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_F_IN_ORDER)));
	assert_int_equal(ctrl_split(f, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &off, 1, 0),
			 VIRTIO_NET_OK);
	assert_int_equal(ctrl_split(f, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_ADDR_SET, mac, 6, 3),
			 VIRTIO_NET_OK);
	assert_true(delivered(f, mac, -1));
	assert_false(delivered(f, own, -1));
	/* A second bring-up resets the device first (3.1.1). */
	up(f, all_features(f) & ~(F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_F_IN_ORDER)));
	virtio_dev_config_read(&f->n.dev, 0, cfg, 6);
	assert_memory_equal(cfg, own, 6);
	assert_true(delivered(f, other, -1)); /* promiscuous again */
}

/* Without CTRL_RX the filter commands fail and nothing is filtered. */
static void without_ctrl_rx(void **state)
{
	struct fx *f = *state;
	uint8_t off = 0, t[16];
	uint32_t len = table(t, NULL, 0, NULL, 0);

	up(f, all_features(f) & ~(F(VIRTIO_NET_F_MRG_RXBUF) | F(VIRTIO_F_IN_ORDER) |
				  F(VIRTIO_NET_F_CTRL_RX) | F(VIRTIO_NET_F_CTRL_RX_EXTRA) |
				  F(VIRTIO_NET_F_CTRL_VLAN)));
	assert_int_equal(ctrl_split(f, VIRTIO_NET_CTRL_RX, VIRTIO_NET_CTRL_RX_PROMISC, &off, 1, 0),
			 VIRTIO_NET_ERR);
	assert_int_equal(ctrl_split(f, VIRTIO_NET_CTRL_MAC, VIRTIO_NET_CTRL_MAC_TABLE_SET, t, len,
				    0), VIRTIO_NET_ERR);
	assert_true(delivered(f, other, -1));
	assert_true(delivered(f, own, 5));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(modes),
		cmocka_unit_test(mac_table),
		cmocka_unit_test(vlans),
		cmocka_unit_test_setup_teardown(device_filters_what_the_driver_asked, setup1, teardown),
		cmocka_unit_test_setup_teardown(reset_forgets_the_driver_settings, setup1, teardown),
		cmocka_unit_test_setup_teardown(without_ctrl_rx, setup1, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
