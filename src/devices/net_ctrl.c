/* virtio-net control queue (virtio 1.2 spec 5.1.6.5): each request is a
 * readable struct virtio_net_ctrl_hdr (class, command) with the command's
 * data, then one writable ack byte, VIRTIO_NET_OK or VIRTIO_NET_ERR.
 * Served here in both datapaths (vhost-net has no control queue). */
#include <endian.h>
#include <errno.h>
#include <string.h>

#include "devices/net_internal.h"

#define MAX_SEGS 16
#define MAX_DATA 8 /* the longest fixed-size command data (GUEST_OFFLOADS_SET) */
/* Commands served per notification before other work on the event loop. */
#define CTRL_BUDGET 64

/* Offloads VIRTIO_NET_CTRL_GUEST_OFFLOADS_SET may switch (5.1.6.5.6.1). */
#define GUEST_OFFLOADS ((1ULL << VIRTIO_NET_F_GUEST_CSUM) | (1ULL << VIRTIO_NET_F_GUEST_TSO4) | \
			(1ULL << VIRTIO_NET_F_GUEST_TSO6) | (1ULL << VIRTIO_NET_F_GUEST_ECN) | \
			(1ULL << VIRTIO_NET_F_GUEST_UFO))

/* A request's readable bytes (header, then command data). */
struct request {
	const struct virtq_seg *segs;
	const struct virtq_chain *c;
};

/* Copy len bytes from offset off of the request's readable bytes; false
 * (nothing copied) when they are not all there. */
static bool request_read(const struct request *rq, uint64_t off, void *dst, uint32_t len)
{
	uint8_t *out = dst;

	if (off + len > rq->c->readable_len)
		return false;
	for (unsigned int i = 0; i < rq->c->nreadable && len; i++) {
		uint32_t l = rq->segs[i].len;

		if (off >= l) {
			off -= l;
			continue;
		}
		uint32_t k = l - (uint32_t)off < len ? l - (uint32_t)off : len;

		memcpy(out, (const uint8_t *)rq->segs[i].addr + off, k);
		out += k;
		len -= k;
		off = 0;
	}
	return true;
}

/* VIRTIO_NET_CTRL_MAC_TABLE_SET (5.1.6.5.2): le32 count, that many unicast
 * addresses, le32 count, that many multicast ones, and nothing more. A
 * list longer than the table is not read: it overflows. */
static uint8_t mac_table_set(struct virtio_net *n, const struct request *rq)
{
	uint8_t uni[NET_FILTER_MACS][6], multi[NET_FILTER_MACS][6];
	uint32_t n_uni, n_multi;
	uint64_t at;

	if (!request_read(rq, 2, &n_uni, 4))
		return VIRTIO_NET_ERR;
	n_uni = le32toh(n_uni);
	at = 6 + 6ULL * n_uni;
	if (!request_read(rq, at, &n_multi, 4))
		return VIRTIO_NET_ERR;
	n_multi = le32toh(n_multi);
	if (at + 4 + 6ULL * n_multi != rq->c->readable_len)
		return VIRTIO_NET_ERR;
	bool uni_fits = n_uni <= NET_FILTER_MACS, multi_fits = n_multi <= NET_FILTER_MACS;

	if (uni_fits)
		request_read(rq, 6, uni, 6 * n_uni);
	if (multi_fits)
		request_read(rq, at + 4, multi, 6 * n_multi);
	return net_filter_set_macs(&n->filter, uni_fits ? uni : NULL, n_uni,
				   multi_fits ? multi : NULL, n_multi) == 0
		       ? VIRTIO_NET_OK
		       : VIRTIO_NET_ERR;
}

/* Run one command whose data (len bytes) is in data. VIRTIO_NET_OK or _ERR. */
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
	/* 5.1.6.5.1: one byte, 0 off, anything else on; commands 2 to 5
	 * (ALLUNI ... NOBCAST) need CTRL_RX_EXTRA. */
	if (class == VIRTIO_NET_CTRL_RX && virtio_dev_has_feature(d, VIRTIO_NET_F_CTRL_RX) &&
	    len == 1 &&
	    (cmd <= VIRTIO_NET_CTRL_RX_ALLMULTI ||
	     virtio_dev_has_feature(d, VIRTIO_NET_F_CTRL_RX_EXTRA)))
		return net_filter_set_rx_mode(&n->filter, cmd, data[0] != 0) == 0 ? VIRTIO_NET_OK
										  : VIRTIO_NET_ERR;
	/* 5.1.6.5.3: a le16 VLAN id. */
	if (class == VIRTIO_NET_CTRL_VLAN && virtio_dev_has_feature(d, VIRTIO_NET_F_CTRL_VLAN) &&
	    len == 2 && (cmd == VIRTIO_NET_CTRL_VLAN_ADD || cmd == VIRTIO_NET_CTRL_VLAN_DEL))
		return net_filter_vlan(&n->filter, (uint16_t)(data[0] | data[1] << 8),
				       cmd == VIRTIO_NET_CTRL_VLAN_ADD) == 0
			       ? VIRTIO_NET_OK
			       : VIRTIO_NET_ERR;
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

/* The ack for one request. */
static uint8_t request_run(struct virtio_net *n, const struct request *rq)
{
	struct virtio_net_ctrl_hdr h;
	uint8_t data[MAX_DATA];
	uint32_t len;

	if (!request_read(rq, 0, &h, sizeof(h)))
		return VIRTIO_NET_ERR;
	if (h.class == VIRTIO_NET_CTRL_MAC && h.cmd == VIRTIO_NET_CTRL_MAC_TABLE_SET)
		return virtio_dev_has_feature(&n->dev, VIRTIO_NET_F_CTRL_RX) ? mac_table_set(n, rq)
									    : VIRTIO_NET_ERR;
	len = rq->c->readable_len - (uint32_t)sizeof(h);
	if (len > sizeof(data) || !request_read(rq, sizeof(h), data, len))
		return VIRTIO_NET_ERR;
	return command(n, h.class, h.cmd, data, len);
}

void net_ctrl_run(struct virtio_net *n)
{
	uint16_t q = net_ctrlq(n);
	struct virtq *vq = &n->dev.queues[q];
	struct virtq_seg segs[MAX_SEGS];
	struct virtq_chain c;
	unsigned int budget = CTRL_BUDGET;
	int r = 0;

	if (!vq->started)
		return;
	virtq_disable_notify(vq);
	do {
		while (budget && (r = virtq_pop(vq, segs, MAX_SEGS, &c)) > 0) {
			struct request rq = { segs, &c };
			uint8_t ack;

			if (c.nsegs == c.nreadable) {
				/* No ack byte: nothing can be answered. */
				virtq_push(vq, &c, 0);
				r = -EPROTO;
				break;
			}
			ack = request_run(n, &rq);
			if (ack != VIRTIO_NET_OK)
				n->stats.ctrl_errors++;
			*(uint8_t *)segs[c.nreadable].addr = ack;
			virtq_push(vq, &c, 1);
			budget--;
		}
		virtq_flush(vq);
		virtio_dev_signal_queue(&n->dev, q);
		if (r < 0) {
			virtio_dev_needs_reset(&n->dev);
			return;
		}
		if (!budget) {
			/* A driver that never stops sending commands must not
			 * keep the event loop (virtio_dev_notify_again). */
			virtio_dev_notify_again(&n->dev, q);
			return;
		}
	} while (virtq_enable_notify(vq));
}
