/* virtio-net userspace datapath: frames between the host fd of a queue
 * pair and its receiveq/transmitq (virtio 1.2 spec 5.1.6). Runs on the
 * event loop with dev.lock held (see net_internal.h). */
#include <endian.h>
#include <errno.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "devices/net_hdr.h"
#include "devices/net_internal.h"

/* Segments a chain may take: a chain is at most the queue long (2.7.5.3.1),
 * a buffer spanning adjacent RAM regions adds a few. */
#define MAX_SEGS (VIRTIO_NET_QUEUE_SIZE + 8)
/* Frames moved per wake-up before the event loop gets to others. */
#define BUDGET 256
/* Used buffers are published (and the driver interrupted, as EVENT_IDX
 * allows) at least every PUBLISH_FRAMES frames and after any frame of
 * PUBLISH_BYTES or more: a guest whose TCP stack waits for tx completions
 * (Linux's TCP small queues) or that could already process rx frames must
 * not wait for a whole budget, while small frames still share an in-order
 * used entry and an interrupt. Without IN_ORDER a transmitted chain is
 * published at once, as QEMU does: Linux reclaims used tx buffers on each
 * send (free_old_xmit_skbs), so a used entry held back for a batch holds
 * back the sender until an interrupt comes. */
#define PUBLISH_FRAMES 32
#define PUBLISH_BYTES 2048

/* The fd failing this way means the tap is gone (deleted, or its device
 * unregistered: tun returns EBADFD for a detached file). */
static bool host_gone(int err)
{
	return err == EBADFD || err == EIO || err == ENODEV || err == ENXIO || err == EPIPE ||
	       err == ECONNRESET;
}

static bool pair_live(const struct virtio_net *n, const struct virtio_net_pair *p)
{
	return net_userspace_live(n) && p->idx < n->curr_pairs && !n->link_gone;
}

/* ---- transmit (5.1.6.2) ----------------------------------------------- */

/* Send one chain. 0: done with it (sent or dropped, counted); -EAGAIN: the
 * fd is full; -EBUSY: rate limited; -EPIPE: the host side is gone. */
static int tx_one(struct virtio_net *n, struct virtio_net_pair *p, const struct virtq_seg *segs,
		  const struct virtq_chain *c)
{
	struct iovec iov[MAX_SEGS + 1];
	struct virtio_net_hdr_v1 h;
	uint32_t frame, got = 0;
	unsigned int niov = 1;
	ssize_t w;

	/* The header may be split over descriptors (5.1.6.2: "any layout"):
	 * gather it, checked against the readable bytes. */
	for (unsigned int i = 0; i < c->nreadable && got < NET_HDR_LEN; i++) {
		uint32_t k = segs[i].len < NET_HDR_LEN - got ? segs[i].len : NET_HDR_LEN - got;

		memcpy((uint8_t *)&h + got, segs[i].addr, k);
		got += k;
	}
	if (got < NET_HDR_LEN) {
		n->stats.tx_dropped++;
		atomic_fetch_add(&n->dev.guest_errors, 1);
		return 0;
	}
	frame = c->readable_len - NET_HDR_LEN;
	if (net_hdr_check_tx(&h, frame, n->dev.driver_features,
			     n->mtu ? n->mtu : NET_DEFAULT_MTU) < 0) {
		n->stats.tx_dropped++;
		atomic_fetch_add(&n->dev.guest_errors, 1);
		return 0;
	}
	if (n->tx_limit && !rate_limiter_take(&n->tx_rl, frame, n->now_ns())) {
		n->stats.tx_throttled++;
		net_throttle(n, rate_limiter_wait_ns(&n->tx_rl, frame, n->now_ns()));
		return -EBUSY;
	}
	/* The tap gets the header that was checked, not the guest's copy,
	 * which the guest may have rewritten since; the frame follows. */
	iov[0] = (struct iovec){ &h, NET_HDR_LEN };
	for (uint32_t i = 0, hdr_left = NET_HDR_LEN; i < c->nreadable; i++) {
		uint32_t skip = segs[i].len < hdr_left ? segs[i].len : hdr_left;

		hdr_left -= skip;
		if (skip < segs[i].len)
			iov[niov++] = (struct iovec){ (uint8_t *)segs[i].addr + skip,
						      segs[i].len - skip };
	}
	do
		w = writev(p->fd, iov, (int)niov);
	while (w < 0 && errno == EINTR);
	if (w < 0 && (errno == EAGAIN || errno == ENOBUFS))
		return -EAGAIN; /* the limiter already charged it: a rare overcharge */
	if (w < 0 && host_gone(errno)) {
		virtio_net_link_gone(n, errno);
		return -EPIPE;
	}
	if (w < 0) {
		/* The kernel refused this frame (EINVAL: a header tun rejects). */
		n->stats.tx_errors++;
		return 0;
	}
	n->stats.tx_frames++;
	n->stats.tx_bytes += frame;
	return 0;
}

/* Give every available chain back unsent: the link is down or the pair is
 * not in use, and the driver must not wait for them forever. */
static void tx_drain(struct virtio_net *n, struct virtq *vq, uint16_t q)
{
	struct virtq_seg segs[MAX_SEGS];
	struct virtq_chain c;
	unsigned int budget = BUDGET;
	int r = 0;

	while (budget && (r = virtq_pop(vq, segs, MAX_SEGS, &c)) > 0) {
		n->stats.tx_dropped++;
		virtq_push(vq, &c, 0);
		budget--;
	}
	virtq_flush(vq);
	virtio_dev_signal_queue(&n->dev, q);
	if (r < 0)
		virtio_dev_needs_reset(&n->dev);
	else if (!budget)
		virtio_dev_notify_again(&n->dev, q); /* as in net_tx_run */
}

void net_tx_run(struct virtio_net *n, struct virtio_net_pair *p)
{
	uint16_t q = net_txq(p->idx);
	struct virtq *vq = &n->dev.queues[q];
	struct virtq_seg segs[MAX_SEGS];
	struct virtq_chain c;
	unsigned int budget = BUDGET;
	int r, s = 0;

	if (!net_userspace_live(n) || !vq->started)
		return;
	if (n->link_gone || p->idx >= n->curr_pairs) {
		tx_drain(n, vq, q);
		return;
	}
	if (p->tx_blocked || n->tx_throttled)
		return;
	virtq_disable_notify(vq);
	for (;;) {
		unsigned int unpublished = 0;
		unsigned int publish_frames = vq->in_order ? PUBLISH_FRAMES : 1;

		while (budget && (r = virtq_pop(vq, segs, MAX_SEGS, &c)) > 0) {
			s = tx_one(n, p, segs, &c);
			if (s < 0 && s != -EPIPE) {
				/* Left in the ring for later (not dropped). */
				virtq_unpop(vq, &c);
				break;
			}
			virtq_push(vq, &c, 0);
			budget--;
			if (s == -EPIPE)
				break;
			if (++unpublished >= publish_frames || c.readable_len >= PUBLISH_BYTES) {
				virtq_flush(vq);
				virtio_dev_signal_queue(&n->dev, q);
				unpublished = 0;
			}
		}
		virtq_flush(vq);
		virtio_dev_signal_queue(&n->dev, q);
		if (r < 0) {
			virtio_dev_needs_reset(&n->dev);
			return;
		}
		if (s == -EPIPE) {
			tx_drain(n, vq, q); /* the link is down: give the rest back */
			return;
		}
		if (s == -EAGAIN)
			p->tx_blocked = true;
		if (s == -EBUSY)
			n->tx_throttled = true;
		if (s < 0) {
			/* Woken by EPOLLOUT or the timer, not by the driver:
			 * notifications stay off until then. */
			net_pair_update_events(n, p);
			return;
		}
		if (!budget) {
			/* More may be there, and a guest that keeps the ring
			 * full must not keep the event loop: come back after
			 * the loop served the rest, notifications still off. */
			virtio_dev_notify_again(&n->dev, q);
			return;
		}
		if (!virtq_enable_notify(vq))
			return;
		virtq_disable_notify(vq);
	}
}

/* ---- receive (5.1.6.3, 5.1.6.4) --------------------------------------- */

/* Copy len bytes of src into the writable segments of a chain. */
static void copy_to_chain(const struct virtq_seg *segs, const struct virtq_chain *c,
			  const uint8_t *src, uint32_t len)
{
	for (unsigned int i = c->nreadable; i < c->nsegs && len; i++) {
		uint32_t k = segs[i].len < len ? segs[i].len : len;

		memcpy(segs[i].addr, src, k);
		src += k;
		len -= k;
	}
}

/* Put the frame held in p->rxbuf (header included) into rx buffers.
 * 1: delivered; 0: not enough buffers yet (nothing consumed); -EMSGSIZE:
 * it can never fit (dropped, counted); -EBADMSG: the ring is malformed. */
static int rx_deliver(struct virtio_net *n, struct virtio_net_pair *p, struct virtq *vq)
{
	struct virtq_seg first[MAX_SEGS], segs[MAX_SEGS];
	struct virtq_chain chains[VIRTIO_NET_QUEUE_SIZE];
	bool mrg = virtio_dev_has_feature(&n->dev, VIRTIO_NET_F_MRG_RXBUF);
	uint32_t len = p->rx_len, off, used[VIRTIO_NET_QUEUE_SIZE];
	/* The num_buffers field is rewritten below, so rxbuf is ours. */
	struct virtio_net_hdr_v1 *h = (struct virtio_net_hdr_v1 *)p->rxbuf;
	unsigned int k = 0;
	int r;

	r = virtq_pop(vq, first, MAX_SEGS, &chains[0]);
	if (r <= 0)
		return r < 0 ? -EBADMSG : 0;
	/* 5.1.6.3.1: receive buffers are device-writable; one that is not
	 * (or is shorter than a header) is the driver's error. */
	if (chains[0].writable_len < NET_HDR_LEN) {
		virtq_unpop(vq, &chains[0]);
		return -EBADMSG;
	}
	used[0] = len < chains[0].writable_len ? len : chains[0].writable_len;
	off = used[0];
	while (off < len && mrg) {
		if (++k == VIRTIO_NET_QUEUE_SIZE || k >= vq->size) {
			r = -EMSGSIZE; /* more than the whole ring: never fits */
			break;
		}
		r = virtq_pop(vq, segs, MAX_SEGS, &chains[k]);
		if (r <= 0 || chains[k].writable_len == 0) {
			if (r > 0) {
				virtq_unpop(vq, &chains[k]);
				r = -EBADMSG;
			}
			break;
		}
		used[k] = len - off < chains[k].writable_len ? len - off : chains[k].writable_len;
		copy_to_chain(segs, &chains[k], p->rxbuf + off, used[k]);
		off += used[k];
		r = 1;
	}
	if (off < len) {
		/* Not all of it fits: give the buffers back, newest first. */
		for (unsigned int i = k + 1; i-- > 0;)
			if (i < k || r == 1)
				virtq_unpop(vq, &chains[i]);
		if (!mrg || r == -EMSGSIZE)
			return -EMSGSIZE; /* 5.1.6.3.1: one buffer must hold it */
		return r < 0 ? -EBADMSG : 0;
	}
	/* 5.1.6.4: num_buffers is the count of buffers used; 1 without
	 * VIRTIO_NET_F_MRG_RXBUF (5.1.6.3.2 "MUST set num_buffers to 1"). */
	h->num_buffers = htole16((uint16_t)(k + 1));
	copy_to_chain(first, &chains[0], p->rxbuf, used[0]);
	for (unsigned int i = 0; i <= k; i++)
		virtq_push(vq, &chains[i], used[i]);
	return 1;
}

/* A frame the tap did not segment (gso_type NONE) longer than the MTU the
 * driver accepted (VIRTIO_NET_F_MTU, 5.1.4.1: it does not expect larger
 * ones), whatever GSO it takes. Without F_MTU the guest may raise its MTU
 * as it likes, and only its buffers bound what it gets. */
static bool rx_over_mtu(const struct virtio_net *n, const struct virtio_net_pair *p,
			uint32_t frame)
{
	const struct virtio_net_hdr_v1 *h = (const struct virtio_net_hdr_v1 *)p->rxbuf;

	return n->mtu && virtio_dev_has_feature(&n->dev, VIRTIO_NET_F_MTU) &&
	       (h->gso_type & ~VIRTIO_NET_HDR_GSO_ECN) == VIRTIO_NET_HDR_GSO_NONE &&
	       frame > n->mtu + NET_ETH_OVERHEAD;
}

/* Read the next frame into p->rxbuf. 1: got one; 2: one was read and
 * dropped; 0: none (EAGAIN); -EPIPE: the host side is gone. */
static int rx_read(struct virtio_net *n, struct virtio_net_pair *p)
{
	uint32_t max = net_rx_frame_max(n->dev.driver_features, n->mtu ? n->mtu : NET_DEFAULT_MTU);
	ssize_t len;

	do
		len = read(p->fd, p->rxbuf, NET_RXBUF_SIZE);
	while (len < 0 && errno == EINTR);
	if ((len < 0 && host_gone(errno)) || len == 0) {
		/* A tap never reads 0 bytes; a socket does at end of file. */
		virtio_net_link_gone(n, len == 0 ? EPIPE : errno);
		return -EPIPE;
	}
	if (len < 0)
		return 0;
	/* A frame the guest never agreed to take (larger than its MTU, or a
	 * GSO frame it has no offload for): dropped, counted. */
	if ((uint32_t)len < NET_HDR_LEN + 14 || (uint32_t)len - NET_HDR_LEN > max ||
	    rx_over_mtu(n, p, (uint32_t)len - NET_HDR_LEN)) {
		n->stats.rx_dropped++;
		return 2;
	}
	/* 5.1.6.5.1-5.1.6.5.3: only what the driver asked to receive. */
	if (!net_filter_accepts(&n->filter, n->config.mac, p->rxbuf + NET_HDR_LEN,
				(uint32_t)len - NET_HDR_LEN)) {
		n->stats.rx_filtered++;
		return 2;
	}
	p->rx_len = (uint32_t)len;
	return 1;
}

void net_rx_run(struct virtio_net *n, struct virtio_net_pair *p)
{
	uint16_t q = net_rxq(p->idx);
	struct virtq *vq = &n->dev.queues[q];
	unsigned int frames = 0, budget = BUDGET;
	int r;

	if (!pair_live(n, p) || !vq->started || n->rx_throttled)
		goto out;
	virtq_disable_notify(vq);
	while (budget--) {
		if (!p->rx_len) {
			if (n->rx_limit) {
				/* Nothing is read while the bucket is empty:
				 * frames wait in the tap, not here. */
				uint64_t wait = rate_limiter_wait_ns(&n->rx_rl, 1, n->now_ns());

				if (wait) {
					n->rx_throttled = true;
					n->stats.rx_throttled++;
					net_throttle(n, wait);
					break;
				}
			}
			r = rx_read(n, p);
			if (r == 2)
				continue;
			if (r <= 0)
				break;
			p->rx_charged = !n->rx_limit;
		}
		if (!p->rx_charged) {
			uint32_t bytes = p->rx_len - NET_HDR_LEN;

			if (!rate_limiter_take(&n->rx_rl, bytes, n->now_ns())) {
				/* Held until the limit lets it go. */
				n->rx_throttled = true;
				n->stats.rx_throttled++;
				net_throttle(n, rate_limiter_wait_ns(&n->rx_rl, bytes, n->now_ns()));
				break;
			}
			p->rx_charged = true;
		}
		r = rx_deliver(n, p, vq);
		if (r == -EBADMSG) {
			virtio_dev_needs_reset(&n->dev);
			break;
		}
		if (r == 0) {
			/* No room: ask for a kick when the driver adds buffers,
			 * and look once more in case it just did. */
			if (!virtq_enable_notify(vq)) {
				p->rx_stalled = true;
				break;
			}
			virtq_disable_notify(vq);
			continue;
		}
		if (r == 1) {
			n->stats.rx_frames++;
			n->stats.rx_bytes += p->rx_len - NET_HDR_LEN;
			if (++frames >= PUBLISH_FRAMES || p->rx_len >= PUBLISH_BYTES) {
				virtq_flush(vq);
				virtio_dev_signal_queue(&n->dev, q);
				frames = 0;
			}
		} else {
			n->stats.rx_dropped++;
		}
		p->rx_len = 0;
	}
	if (frames) {
		virtq_flush(vq);
		virtio_dev_signal_queue(&n->dev, q);
	}
	/* Kicks are wanted only while stalled (notifications were turned on
	 * above then); otherwise the tap's readiness drives rx. */
out:
	net_pair_update_events(n, p);
}
