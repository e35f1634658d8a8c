/* virtio-net receive filter (virtio 1.2 spec 5.1.6.5.1-5.1.6.5.3). */
#include <errno.h>
#include <string.h>
#include <linux/virtio_net.h>

#include "devices/net_filter.h"

#define ETH_HLEN 14
#define ETH_P_8021Q 0x8100

void net_filter_reset(struct net_filter *f, bool vlan_filter)
{
	memset(f, 0, sizeof(*f));
	f->promisc = true;
	f->vlan_filter = vlan_filter;
}

int net_filter_set_rx_mode(struct net_filter *f, uint8_t cmd, bool on)
{
	bool *mode[] = {
		[VIRTIO_NET_CTRL_RX_PROMISC] = &f->promisc,
		[VIRTIO_NET_CTRL_RX_ALLMULTI] = &f->allmulti,
		[VIRTIO_NET_CTRL_RX_ALLUNI] = &f->alluni,
		[VIRTIO_NET_CTRL_RX_NOMULTI] = &f->nomulti,
		[VIRTIO_NET_CTRL_RX_NOUNI] = &f->nouni,
		[VIRTIO_NET_CTRL_RX_NOBCAST] = &f->nobcast,
	};

	if (cmd >= sizeof(mode) / sizeof(mode[0]))
		return -EINVAL;
	*mode[cmd] = on;
	return 0;
}

/* IEEE 802 (8.2): bit 0 of the first octet is the group bit. */
static bool is_multicast(const uint8_t mac[6])
{
	return mac[0] & 1;
}

int net_filter_set_macs(struct net_filter *f, const uint8_t (*uni)[6], uint32_t n_uni,
			const uint8_t (*multi)[6], uint32_t n_multi)
{
	bool uni_over = n_uni > NET_FILTER_MACS || (n_uni && !uni);
	bool multi_over = n_multi > NET_FILTER_MACS - (uni_over ? 0 : n_uni) || (n_multi && !multi);

	for (uint32_t i = 0; !uni_over && i < n_uni; i++)
		if (is_multicast(uni[i]))
			return -EINVAL;
	for (uint32_t i = 0; !multi_over && i < n_multi; i++)
		if (!is_multicast(multi[i]))
			return -EINVAL;
	f->uni_overflow = uni_over;
	f->multi_overflow = multi_over;
	f->n_uni = uni_over ? 0 : n_uni;
	f->n_multi = multi_over ? 0 : n_multi;
	if (f->n_uni)
		memcpy(f->macs, uni, 6 * (size_t)f->n_uni);
	if (f->n_multi)
		memcpy(f->macs + f->n_uni, multi, 6 * (size_t)f->n_multi);
	return 0;
}

int net_filter_vlan(struct net_filter *f, uint16_t vid, bool add)
{
	if (vid >= NET_FILTER_VLANS)
		return -EINVAL;
	if (add)
		f->vlans[vid / 64] |= 1ULL << (vid % 64);
	else
		f->vlans[vid / 64] &= ~(1ULL << (vid % 64));
	return 0;
}

static bool in_table(const struct net_filter *f, unsigned int from, unsigned int n,
		     const uint8_t *mac)
{
	for (unsigned int i = from; i < from + n; i++)
		if (!memcmp(f->macs[i], mac, 6))
			return true;
	return false;
}

bool net_filter_accepts(const struct net_filter *f, const uint8_t own_mac[6],
			const uint8_t *frame, uint32_t len)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };

	if (f->promisc || len < ETH_HLEN)
		return true;
	/* 5.1.6.5.3: with VLAN filtering, a tagged frame only for a VID the
	 * driver added (802.1Q: TPID 0x8100, then 12 bits of VID). */
	if (f->vlan_filter && len >= ETH_HLEN + 4 && frame[12] == ETH_P_8021Q >> 8 &&
	    frame[13] == (ETH_P_8021Q & 0xff)) {
		uint16_t vid = (uint16_t)((frame[14] << 8 | frame[15]) & 0xfff);

		if (!(f->vlans[vid / 64] & (1ULL << (vid % 64))))
			return false;
	}
	if (is_multicast(frame)) {
		if (!memcmp(frame, bcast, 6))
			return !f->nobcast;
		if (f->nomulti)
			return false;
		return f->allmulti || f->multi_overflow || in_table(f, f->n_uni, f->n_multi, frame);
	}
	if (f->nouni)
		return false;
	/* 5.1.6.5.2: the device's own MAC or one in the table. */
	return f->alluni || f->uni_overflow || !memcmp(frame, own_mac, 6) ||
	       in_table(f, 0, f->n_uni, frame);
}
