/* net_hdr: the virtio-net header that precedes every frame on the rings
 * and on the tap (virtio 1.2 spec 5.1.6, struct virtio_net_hdr_v1: 12
 * bytes once VIRTIO_F_VERSION_1 is negotiated, 5.1.6.1), and the frame
 * size limits the device enforces. Pure functions of their arguments, so
 * the unit tests and the fuzz target call them directly. */
#ifndef SKIFF_DEVICES_NET_HDR_H
#define SKIFF_DEVICES_NET_HDR_H

#include <stdint.h>
#include <linux/virtio_net.h>

#define NET_HDR_LEN ((uint32_t)sizeof(struct virtio_net_hdr_v1))
/* Ethernet header plus one 802.1Q tag on top of the MTU (Linux's
 * virtio_net GOOD_PACKET_LEN is ETH_HLEN + VLAN_HLEN + ETH_DATA_LEN). */
#define NET_ETH_OVERHEAD 18u
/* Largest frame with GSO: a 64 KiB segment (Linux GSO_LEGACY_MAX_SIZE) and
 * its Ethernet header, as Firecracker and Linux size their buffers. */
#define NET_MAX_FRAME (65536u + 14u)
#define NET_DEFAULT_MTU 1500u

/* Check the header of a frame the driver transmits (5.1.6.2.1 driver
 * requirements) against the negotiated features: flags only NEEDS_CSUM,
 * and only with VIRTIO_NET_F_CSUM, its csum_start + csum_offset + 2 inside
 * the frame; a known gso_type whose HOST_* feature was negotiated, with
 * NEEDS_CSUM and a non-zero gso_size; ECN only with HOST_ECN. Then the
 * size: at least an Ethernet header, at most NET_MAX_FRAME, and without
 * GSO at most mtu + NET_ETH_OVERHEAD.
 * Returns 0, -EBADMSG (malformed) or -EMSGSIZE (too long). */
int net_hdr_check_tx(const struct virtio_net_hdr_v1 *h, uint32_t frame_len, uint64_t features,
		     uint32_t mtu);

/* Largest frame (without the header) the driver can take under features:
 * NET_MAX_FRAME when it accepts GSO frames (GUEST_TSO4/TSO6/UFO), else
 * mtu + NET_ETH_OVERHEAD. */
uint32_t net_rx_frame_max(uint64_t features, uint32_t mtu);

#endif
