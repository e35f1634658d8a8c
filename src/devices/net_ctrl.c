/* virtio-net control queue (virtio 1.2 spec 5.1.6.5): each request is a
 * readable struct virtio_net_ctrl_hdr (class, command) with the command's
 * data, then one writable ack byte, VIRTIO_NET_OK or VIRTIO_NET_ERR.
 * Served here in both datapaths (vhost-net has no control queue). */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "devices/net_internal.h"

#define MAX_SEGS 16
#define MAX_DATA 64 /* the longest command served (8 bytes) and then some */

/* Offloads VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET may switch (5.1.6.5.6.1). */
#define GUEST_OFFLOADS ((1ULL << VIRTIO_NET_F_GUEST_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_TSO4) | \
			(1ULL << VIRTIO_NET_F_GUEST_TSO6) | (1ULL << VIRTIO_NET_F_GUEST_ECN) | \
			(1ULL << VIRTIO_NET_F_GUEST_UFO))

/* Run one command on its data (len bytes). VIRTIO_NET_OK or _ERR. */
static uint8_t command(struct virtio_net *n, uint8_t class, uint8_t cmd, const uint8_t *data,
		       uint32_t len)
{
	struct virtio_dev *d = &n->dev;

	if (class == VIRTIO_NET_CTRL_MQ && cmd == VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET &&
	    virtio_dev_has_feature(d, VIRTIO_NET_F_MQ) && len == 2) {
		uint16_t k = (uint16_t)(data[0] | data[1] << 8);

		/* 5.1.6.5.5: between VQ_PAIRS_MIN and max_virtqueue_pairs. */
		if (k < VIRTIO_NET_CTRL_MQ_VQ_PAIRS_MIN || k > n->pairs)
			return VIRTIO_NET_ERR;
		net_set_curr_pairs(n, k);
		return VIRTIO_NET_OK;
	}
	if (class == VIRTIO_NET_CTRL_MAC && cmd == VIRTIO_NET_CTRL_MAC_ADDR_SET &&
	    virtio_dev_has_feature(d, VIRTIO_NET_F_CTRL_MAC_ADDR) && len == 6) {
		/* 5.1.6.5.2: the new default MAC, also what config reads. */
		memcpy(n->config.mac, data, 6);
		return VIRTIO_NET_OK;
	}
	if (class == VIRTIO_NET_CTRL_GUEST_OFFLOADS && cmd == VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET &&
	    virtio_dev_has_feature(d, VIRTIO_NET_F_CTRL_GUEST_OFFLOADS) && len == 8) {
		uint64_t want;

		memcpy(&want, data, 8);
		want = le64toh(want);
		/* 5.1.6.5.6.2: only offloads that were negotiated. */
		if (want & ~(d->driver_features & GUEST_OFFLOADS))
			return VIRTIO_NET_ERR;
		return net_apply_guest_offloads(n, want) == 0 ? VIRTIO_NET_OK : VIRTIO_NET_ERR;
	}
	return VIRTIO_NET_ERR; /* a class, command or length not served */
}

void net_ctrl_run(struct virtio_net *n)
{
	uint16_t q = net_ctrlq(n);
	struct virtq *vq = &n->dev.queues[q];
	struct virtq_seg segs[MAX_SEGS];
	struct virtq_chain c;
	int r;

	if (!vq->started)
		return;
	virtq_disable_notify(vq);
	do {
		while ((r = virtq_pop(vq, segs, MAX_SEGS, &c)) > 0) {
			uint8_t buf[MAX_DATA], ack = VIRTIO_NET_ERR;
			uint32_t got = 0;

			if (c.nsegs == c.nreadable) {
				/* No ack byte: nothing can be answered. */
				virtq_push(vq, &c, 0);
				r = -EPROTO;
				break;
			}
			for (unsigned int i = 0; i < c.nreadable && got < sizeof(buf); i++) {
				uint32_t k = segs[i].len < sizeof(buf) - got ? segs[i].len
									     : (uint32_t)sizeof(buf) - got;

				memcpy(buf + got, segs[i].addr, k);
				got += k;
			}
			if (got >= sizeof(struct virtio_net_ctrl_hdr) && c.readable_len <= sizeof(buf))
				ack = command(n, buf[0], buf[1], buf + 2, got - 2);
			if (ack != VIRTIO_NET_OK)
				n->stats.ctrl_errors++;
			*(uint8_t *)segs[c.nreadable].addr = ack;
			virtq_push(vq, &c, 1);
		}
		virtq_flush(vq);
		virtio_dev_signal_queue(&n->dev, q);
		if (r < 0) {
			virtio_dev_needs_reset(&n->dev);
			return;
		}
	} while (virtq_enable_notify(vq));
}
