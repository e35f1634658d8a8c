/* net_filter: the receive filter a virtio-net driver programs through the
 * control queue (virtio 1.2 spec 5.1.6.5.1 rx modes, 5.1.6.5.2 MAC table,
 * 5.1.6.5.3 VLAN table), and the decision it makes per received frame.
 * Pure state and functions, so the unit tests and the fuzz target call
 * them directly; the device (net_ctrl.c, net_datapath.c) owns one. */
#ifndef SKIFF_DEVICES_NET_FILTER_H
#define SKIFF_DEVICES_NET_FILTER_H

#include <stdbool.h>
#include <stdint.h>

/* Addresses the MAC table holds, unicast and multicast together (QEMU's
 * MAC_TABLE_ENTRIES): a longer list turns into "accept all" for its kind,
 * as the spec allows (5.1.6.5.2, note: "silently switch to allmulti or
 * promiscuous mode if it is given too many addresses"). */
#define NET_FILTER_MACS 64
#define NET_FILTER_VLANS 4096 /* 802.1Q VIDs */

struct net_filter {
	bool promisc, allmulti, alluni, nomulti, nouni, nobcast;
	bool vlan_filter;        /* VIRTIO_NET_F_CTRL_VLAN negotiated */
	bool uni_overflow, multi_overflow;
	unsigned int n_uni, n_multi;
	uint8_t macs[NET_FILTER_MACS][6]; /* unicast first, then multicast */
	uint64_t vlans[NET_FILTER_VLANS / 64];
};

/* The state at device reset: promiscuous, as QEMU starts (a driver that
 * never sets a mode receives everything), an empty MAC table (5.1.6.5.2
 * "MUST have an empty MAC filtering table on reset") and no VLAN, so with
 * vlan_filter every tagged frame is dropped until the driver adds its VID. */
void net_filter_reset(struct net_filter *f, bool vlan_filter);

/* VIRTIO_NET_CTRL_RX command cmd (PROMISC ... NOBCAST) to on. 0, or
 * -EINVAL for an unknown command. The caller checks that the feature
 * (CTRL_RX, or CTRL_RX_EXTRA for commands 2 to 5) was negotiated. */
int net_filter_set_rx_mode(struct net_filter *f, uint8_t cmd, bool on);

/* VIRTIO_NET_CTRL_MAC_TABLE_SET: the unicast list (n_uni addresses at uni)
 * and the multicast list replace the table; a list that does not fit
 * overflows (accept all of its kind). -EINVAL, table unchanged, when an
 * address is of the wrong kind (the driver's lists are "non-multicast"
 * then "multicast" addresses, 5.1.6.5.2). A list may be NULL with a
 * non-zero count when it was too long for the caller to read: it
 * overflows. */
int net_filter_set_macs(struct net_filter *f, const uint8_t (*uni)[6], uint32_t n_uni,
			const uint8_t (*multi)[6], uint32_t n_multi);

/* VIRTIO_NET_CTRL_VLAN_ADD / _DEL of vid. 0, or -EINVAL for vid >= 4096. */
int net_filter_vlan(struct net_filter *f, uint16_t vid, bool add);

/* Whether the driver wants frame (len bytes from its Ethernet header)
 * whose destination is not filtered away: own_mac is the device's
 * current MAC. A frame shorter than an Ethernet header is not judged
 * here (true): the datapath's size checks drop it. */
bool net_filter_accepts(const struct net_filter *f, const uint8_t own_mac[6],
			const uint8_t *frame, uint32_t len);

#endif
