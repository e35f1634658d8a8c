/* virtio-net header checks: see net_hdr.h. */
#include "devices/net_hdr.h"

#include <endian.h>
#include <errno.h>
#include <stdbool.h>

static bool has(uint64_t features, unsigned int bit)
{
	return features & (1ULL << bit);
}

int net_hdr_check_tx(const struct virtio_net_hdr_v1 *h, uint32_t frame_len, uint64_t features,
		     uint32_t mtu)
{
	uint8_t gso = h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN;
	unsigned int need;

	/* 5.1.6.2.1: DATA_VALID and RSC_INFO are the device's to set. */
	if (h->flags & ~VIRTIO_NET_HDR_F_NEEDS_CSUM)
		return -EBADMSG;
	if (h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
		uint32_t start = le16toh(h->csum_start), off = le16toh(h->csum_offset);

		/* "If VIRTIO_NET_F_CSUM is not negotiated, the driver MUST set
		 * flags to zero"; the checksum itself is 2 bytes at start+off. */
		if (!has(features, VIRTIO_NET_F_CSUM) || start + off + 2 > frame_len)
			return -EBADMSG;
	}
	switch (gso) {
	case VIRTIO_NET_HDR_GSO_NONE: need = 0; break;
	case VIRTIO_NET_HDR_GSO_TCPV4: need = VIRTIO_NET_F_HOST_TSO4; break;
	case VIRTIO_NET_HDR_GSO_TCPV6: need = VIRTIO_NET_F_HOST_TSO6; break;
	case VIRTIO_NET_HDR_GSO_UDP: need = VIRTIO_NET_F_HOST_UFO; break;
	default: return -EBADMSG;
	}
	if (gso != VIRTIO_NET_HDR_GSO_NONE) {
		/* 5.1.6.2.1: GSO needs the matching HOST_* feature, and the
		 * driver "MUST also set the VIRTIO_NET_HDR_F_NEEDS_CSUM bit". */
		if (!has(features, need) || !(h->flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) ||
		    le16toh(h->gso_size) == 0)
			return -EBADMSG;
	}
	if ((h->gso_type & VIRTIO_NET_HDR_GSO_ECN) &&
	    (gso == VIRTIO_NET_HDR_GSO_NONE || !has(features, VIRTIO_NET_F_HOST_ECN)))
		return -EBADMSG;
	if (frame_len < 14)
		return -EBADMSG; /* not even an Ethernet header */
	if (frame_len > NET_MAX_FRAME ||
	    (gso == VIRTIO_NET_HDR_GSO_NONE && frame_len > mtu + NET_ETH_OVERHEAD))
		return -EMSGSIZE;
	return 0;
}

uint32_t net_rx_frame_max(uint64_t features, uint32_t mtu)
{
	if (has(features, VIRTIO_NET_F_GUEST_TSO4) || has(features, VIRTIO_NET_F_GUEST_TSO6) ||
	    has(features, VIRTIO_NET_F_GUEST_UFO))
		return NET_MAX_FRAME;
	return mtu + NET_ETH_OVERHEAD;
}
