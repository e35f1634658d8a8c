/* virtio-vsock (virtio 1.2 spec 5.10): see virtio_vsock.h. This file is
 * the device: its queues, the guest packets' way in (tx) and out (rx). */
#include "devices/virtio_vsock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <linux/virtio_ids.h>

#include "devices/vsock_conn.h"
#include "devices/vsock_unix.h"
#include "devices/vsock_vhost.h"
#include "util/container_of.h"
#include "util/log.h"

/* A packet is a header and at most 64 KiB: a chain is at most the queue
 * long (2.7.5.3.1) plus a few segments where a buffer crosses regions. */
#define MAX_SEGS (VIRTIO_VSOCK_QUEUE_SIZE + 8)
/* Packets moved per pass before the event loop gets to others; more
 * waits for virtio_dev_notify_again (a guest must not keep the loop). */
#define BUDGET 256

static struct virtio_vsock *to_vsock(struct virtio_dev *d)
{
	return container_of(d, struct virtio_vsock, dev);
}

static uint64_t vsock_features(struct virtio_dev *d)
{
	struct virtio_vsock *v = to_vsock(d);
	uint64_t f = 1ULL << VIRTIO_VSOCK_F_SEQPACKET;

	/* vhost-vsock serves SEQPACKET only where its kernel has it (5.16+). */
	return v->vhost ? f & vsock_vhost_features(v) : f;
}

static int vsock_activate(struct virtio_dev *d)
{
	struct virtio_vsock *v = to_vsock(d);
	int r = v->vhost ? vsock_vhost_start(v) : 0;

	if (r == 0 && v->reset_event_owed && virtio_vsock_transport_reset(v))
		v->reset_event_owed = false;
	return r;
}

/* Restore: the driver's connections died with the old host sockets (or the
 * old vhost instance); 5.10.6.7 has the device say so with an event. */
static int vsock_restore(struct virtio_dev *d, const void *buf, size_t len)
{
	(void)buf;
	(void)len;
	to_vsock(d)->reset_event_owed = true;
	return 0;
}

static void vsock_config_read(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len)
{
	struct virtio_vsock_config cfg = { .guest_cid = htole64(to_vsock(d)->guest_cid) };

	memcpy(buf, (uint8_t *)&cfg + off, len); /* the core bounds off + len */
}

void vsock_queue_rst(struct virtio_vsock *v, uint32_t host_port, uint32_t guest_port,
		     uint16_t type)
{
	/* Never full here: tx is not served while it is (see tx_run). */
	if (v->rst_count == VSOCK_RST_RING)
		return;
	v->rst[(v->rst_head + v->rst_count) % VSOCK_RST_RING] =
		(struct vsock_rst){ host_port, guest_port, type };
	v->rst_count++;
}

/* Copy n bytes at src into the chain's writable segments from offset off. */
static void put(const struct virtq_seg *segs, const struct virtq_chain *c, uint32_t off,
		const void *src, uint32_t n)
{
	const uint8_t *s = src;

	for (unsigned int i = c->nreadable; i < c->nsegs && n; i++) {
		uint32_t l = segs[i].len;

		if (off >= l) {
			off -= l;
			continue;
		}
		l -= off;
		if (l > n)
			l = n;
		memcpy((uint8_t *)segs[i].addr + off, s, l);
		s += l;
		n -= l;
		off = 0;
	}
}

/* iovecs of the segments of dir (writable or readable) after off bytes. */
static int iov_after(const struct virtq_seg *segs, unsigned int from, unsigned int to,
		     uint32_t off, struct iovec *iov)
{
	int k = 0;

	for (unsigned int i = from; i < to; i++) {
		if (off >= segs[i].len) {
			off -= segs[i].len;
			continue;
		}
		iov[k++] = (struct iovec){ (uint8_t *)segs[i].addr + off, segs[i].len - off };
		off = 0;
	}
	return k;
}

static void tx_run(struct virtio_vsock *v);

/* Give the guest what is pending: connection-less RSTs first, then one
 * packet per ready connection in turn. */
void vsock_rx_run(struct virtio_vsock *v)
{
	struct virtq *vq = &v->dev.queues[VSOCK_RXQ];
	struct virtq_seg segs[MAX_SEGS];
	struct iovec iov[MAX_SEGS];
	struct virtq_chain ch;
	bool pushed = false;
	unsigned int budget = BUDGET;
	int r = 0;

	if (v->in_rx || !(v->dev.status & VIRTIO_CONFIG_S_DRIVER_OK) || !vq->started ||
	    (v->dev.status & VIRTIO_CONFIG_S_NEEDS_RESET))
		return;
	v->in_rx = true;
	while ((v->rst_count || v->ready_head) && budget) {
		struct virtio_vsock_hdr wire;
		struct vsock_pkt p;
		uint32_t room;
		int niov, e = 1;

		r = virtq_pop(vq, segs, MAX_SEGS, &ch);
		if (r == 0) {
			if (virtq_enable_notify(vq))
				continue; /* buffers came in meanwhile */
			v->stats.rx_waits++;
			break;
		}
		if (r < 0)
			break;
		budget--;
		if (ch.writable_len < VSOCK_HDR_LEN) {
			/* No room for a header: give it back unused, count. */
			v->stats.drop_len++;
			virtq_push(vq, &ch, 0);
			pushed = true;
			continue;
		}
		room = ch.writable_len - VSOCK_HDR_LEN;
		if (v->rst_count) {
			struct vsock_rst *x = &v->rst[v->rst_head];

			p = (struct vsock_pkt){
				.src_cid = VSOCK_HOST_CID, .dst_cid = v->guest_cid,
				.src_port = x->host_port, .dst_port = x->guest_port,
				.type = x->type, .op = VIRTIO_VSOCK_OP_RST,
				.buf_alloc = VSOCK_BUF_ALLOC,
			};
			v->rst_head = (v->rst_head + 1) % VSOCK_RST_RING;
			v->rst_count--;
		} else {
			struct vsock_conn *c = v->ready_head;

			niov = iov_after(segs, ch.nreadable, ch.nsegs, VSOCK_HDR_LEN, iov);
			e = vsock_conn_emit(c, &p, iov, niov, room);
			if (e == 0) {
				virtq_unpop(vq, &ch);
				continue;
			}
			/* Round robin: c goes to the back if it has more. */
			if (e == 1 && v->ready_head == c && c->rnext) {
				v->ready_head = c->rnext;
				v->ready_head->rprev = NULL;
				c->rnext = NULL;
				c->rprev = v->ready_tail;
				v->ready_tail->rnext = c;
				v->ready_tail = c;
			}
		}
		vsock_pkt_encode(&p, &wire);
		put(segs, &ch, 0, &wire, VSOCK_HDR_LEN);
		virtq_push(vq, &ch, VSOCK_HDR_LEN + p.len);
		pushed = true;
		v->stats.rx_pkts++;
	}
	if (pushed) {
		virtq_flush(vq);
		virtio_dev_signal_queue(&v->dev, VSOCK_RXQ);
	}
	v->in_rx = false;
	if (r < 0) {
		virtio_dev_needs_reset(&v->dev);
		return;
	}
	if (!budget && (v->rst_count || v->ready_head))
		virtio_dev_notify_again(&v->dev, VSOCK_RXQ);
	if (v->tx_stalled && v->rst_count < VSOCK_RST_RING / 2)
		tx_run(v);
}

/* One packet from the guest. */
static void tx_packet(struct virtio_vsock *v, const struct virtq_seg *segs,
		      const struct virtq_chain *ch)
{
	struct virtio_vsock_hdr wire;
	struct vsock_pkt p;
	struct iovec iov[MAX_SEGS];
	uint32_t got = 0;
	int niov;

	v->stats.tx_pkts++;
	if (ch->readable_len < VSOCK_HDR_LEN) {
		v->stats.drop_len++;
		return;
	}
	/* The header is copied out once (it may span segments): what we
	 * check is what we use. */
	for (unsigned int i = 0; i < ch->nreadable && got < VSOCK_HDR_LEN; i++) {
		uint32_t n = segs[i].len < VSOCK_HDR_LEN - got ? segs[i].len : VSOCK_HDR_LEN - got;

		memcpy((uint8_t *)&wire + got, segs[i].addr, n);
		got += n;
	}
	vsock_pkt_decode(&wire, &p);
	switch (vsock_pkt_check(&p, ch->readable_len - VSOCK_HDR_LEN, v->guest_cid,
				virtio_dev_has_feature(&v->dev, VIRTIO_VSOCK_F_SEQPACKET))) {
	case VSOCK_PKT_OK:
		break;
	case VSOCK_PKT_DROP_LEN:
		v->stats.drop_len++;
		return;
	case VSOCK_PKT_DROP_ADDR:
		v->stats.drop_addr++;
		return;
	case VSOCK_PKT_RST_TYPE:
		v->stats.bad_type++;
		goto rst;
	case VSOCK_PKT_RST_OP:
		v->stats.bad_op++;
		goto rst;
	case VSOCK_PKT_RST_DST:
		v->stats.bad_dst++;
		goto rst;
	}
	v->stats.tx_ops[p.op & 7]++;
	if (p.op != VIRTIO_VSOCK_OP_RW)
		p.len = 0;
	/* Payload: the p.len bytes after the header. */
	niov = iov_after(segs, 0, ch->nreadable, VSOCK_HDR_LEN, iov);
	{
		uint32_t left = p.len;
		int k;

		for (k = 0; k < niov && left; k++) {
			if (iov[k].iov_len > left)
				iov[k].iov_len = left;
			left -= (uint32_t)iov[k].iov_len;
		}
		niov = k;
	}
	vsock_conn_from_guest(v, &p, iov, niov);
	return;
rst:
	/* Never answer an RST with one (5.10.6.4). */
	if (p.op != VIRTIO_VSOCK_OP_RST)
		vsock_queue_rst(v, p.dst_port, p.src_port, p.type);
}

static void tx_run(struct virtio_vsock *v)
{
	struct virtq *vq = &v->dev.queues[VSOCK_TXQ];
	struct virtq_seg segs[MAX_SEGS];
	struct virtq_chain ch;
	unsigned int budget = BUDGET;
	int r = 0;

	if (!vq->started || (v->dev.status & VIRTIO_CONFIG_S_NEEDS_RESET))
		return;
	v->tx_stalled = false;
	virtq_disable_notify(vq);
	do {
		while (budget && (r = virtq_pop(vq, segs, MAX_SEGS, &ch)) > 0) {
			tx_packet(v, segs, &ch);
			virtq_push(vq, &ch, 0);
			budget--;
			if (v->rst_count == VSOCK_RST_RING) {
				/* Replies wait for rx buffers: stop taking
				 * packets that could need more (vhost-vsock's
				 * vhost_vsock_more_replies). */
				v->tx_stalled = true;
				break;
			}
		}
		virtq_flush(vq);
		virtio_dev_signal_queue(&v->dev, VSOCK_TXQ);
		if (r < 0) {
			virtio_dev_needs_reset(&v->dev);
			return;
		}
		vsock_rx_run(v);
		if (!budget && !v->tx_stalled) {
			virtio_dev_notify_again(&v->dev, VSOCK_TXQ);
			return;
		}
	} while (!v->tx_stalled && virtq_enable_notify(vq));
}

static void vsock_queue_notify(struct virtio_dev *d, uint16_t q)
{
	struct virtio_vsock *v = to_vsock(d);

	if (q == VSOCK_TXQ)
		tx_run(v);
	else if (q == VSOCK_RXQ)
		vsock_rx_run(v);
	else if (q == VSOCK_EVQ && v->reset_event_owed && virtio_vsock_transport_reset(v))
		v->reset_event_owed = false;
	/* otherwise event buffers wait for virtio_vsock_transport_reset() */
}

static void vsock_reset(struct virtio_dev *d)
{
	struct virtio_vsock *v = to_vsock(d);

	/* The driver's sockets are gone with its queues. */
	if (v->vhost)
		vsock_vhost_stop(v);
	else
		vsock_conns_clear(v);
}

bool virtio_vsock_transport_reset(struct virtio_vsock *v)
{
	struct virtq *vq = &v->dev.queues[VSOCK_EVQ];
	struct virtq_seg segs[8];
	struct virtq_chain ch;
	bool sent = false;

	pthread_mutex_lock(&v->dev.lock);
	vsock_conns_clear(v);
	if ((v->dev.status & VIRTIO_CONFIG_S_DRIVER_OK) && vq->started) {
		int r = virtq_pop(vq, segs, 8, &ch);

		if (r > 0 && ch.writable_len >= sizeof(struct virtio_vsock_event)) {
			struct virtio_vsock_event ev = {
				.id = htole32(VIRTIO_VSOCK_EVENT_TRANSPORT_RESET),
			};

			put(segs, &ch, 0, &ev, sizeof(ev));
			virtq_push(vq, &ch, sizeof(ev));
			sent = true;
		} else if (r > 0) {
			virtq_push(vq, &ch, 0);
		} else if (r < 0) {
			virtio_dev_needs_reset(&v->dev);
		}
		virtq_flush(vq);
		virtio_dev_signal_queue(&v->dev, VSOCK_EVQ);
	}
	pthread_mutex_unlock(&v->dev.lock);
	return sent;
}

static const struct virtio_dev_ops vsock_ops = {
	.name = "virtio-vsock",
	.device_id = VIRTIO_ID_VSOCK,
	.num_queues = 3,
	.queue_max_size = VIRTIO_VSOCK_QUEUE_SIZE,
	.config_size = sizeof(struct virtio_vsock_config),
	.features = vsock_features,
	.config_read = vsock_config_read,
	.activate = vsock_activate,
	.reset = vsock_reset,
	.restore = vsock_restore,
	.queue_notify = vsock_queue_notify,
};

static void base_init(struct virtio_vsock *v, uint64_t guest_cid)
{
	memset(v, 0, sizeof(*v));
	v->guest_cid = guest_cid;
	v->ops = vsock_ops;
	v->listen[0].fd = v->listen[1].fd = -1;
}

static void reap_after_batch(struct event_after *a)
{
	vsock_conns_reap(container_of(a, struct virtio_vsock, reap));
}

int virtio_vsock_init(struct virtio_vsock *v, uint64_t guest_cid, const char *path,
		      const struct guest_mem *mem, struct event_loop *loop)
{
	int r;

	base_init(v, guest_cid);
	if (strlen(path) > VSOCK_VSOCK_SUN_PATH)
		return -ENAMETOOLONG;
	strcpy(v->path, path);
	r = vsock_conns_init(v);
	if (r == 0)
		r = virtio_dev_init(&v->dev, &v->ops, mem, loop);
	if (r < 0) {
		vsock_conns_destroy(v);
		return r;
	}
	r = vsock_unix_listen(v);
	if (r < 0) {
		virtio_dev_destroy(&v->dev);
		vsock_conns_destroy(v);
		v->dev.ops = NULL;
		return r;
	}
	if (loop) {
		v->reap.fn = reap_after_batch;
		event_loop_add_after(loop, &v->reap);
	}
	return 0;
}

int virtio_vsock_init_vhost(struct virtio_vsock *v, uint64_t guest_cid,
			    const struct guest_mem *mem, struct event_loop *loop)
{
	int r;

	base_init(v, guest_cid);
	r = vsock_vhost_open(v, guest_cid);
	if (r < 0)
		return r;
	/* Offer only what the kernel's datapath serves: vhost-vsock has no
	 * VIRTIO_F_IN_ORDER (VHOST_VSOCK_FEATURES in drivers/vhost/vsock.c). */
	v->ops.features_mask = VIRTIO_DEV_CORE_FEATURES & ~vsock_vhost_features(v);
	r = vsock_conns_init(v);
	if (r == 0)
		r = virtio_dev_init(&v->dev, &v->ops, mem, loop);
	if (r < 0) {
		vsock_conns_destroy(v);
		vsock_vhost_close(v);
	}
	return r;
}

void virtio_vsock_stop(struct virtio_vsock *v)
{
	if (!v->dev.ops)
		return;
	pthread_mutex_lock(&v->dev.lock);
	vsock_vhost_stop(v);
	pthread_mutex_unlock(&v->dev.lock);
}

void virtio_vsock_destroy(struct virtio_vsock *v)
{
	const struct vsock_stats *s = &v->stats;

	if (!v->dev.ops)
		return;
	log_debug("vsock: tx %llu rx %llu pkts; dropped len %llu addr %llu; rst type %llu op %llu "
		  "dst %llu noconn %llu nolistener %llu limit %llu credit %llu; late %llu hostgone "
		  "%llu oversize %llu badconnect %llu; credit stalls %llu rx waits %llu",
		  (unsigned long long)s->tx_pkts, (unsigned long long)s->rx_pkts,
		  (unsigned long long)s->drop_len, (unsigned long long)s->drop_addr,
		  (unsigned long long)s->bad_type, (unsigned long long)s->bad_op,
		  (unsigned long long)s->bad_dst, (unsigned long long)s->no_conn,
		  (unsigned long long)s->no_listener, (unsigned long long)s->conn_limit,
		  (unsigned long long)s->credit_violations, (unsigned long long)s->late_data,
		  (unsigned long long)s->host_gone, (unsigned long long)s->oversize,
		  (unsigned long long)s->bad_connect, (unsigned long long)s->credit_stalls,
		  (unsigned long long)s->rx_waits);
	log_debug("vsock: guest ops req %llu resp %llu rst %llu shut %llu rw %llu cupd %llu creq %llu",
		  (unsigned long long)s->tx_ops[1], (unsigned long long)s->tx_ops[2],
		  (unsigned long long)s->tx_ops[3], (unsigned long long)s->tx_ops[4],
		  (unsigned long long)s->tx_ops[5], (unsigned long long)s->tx_ops[6],
		  (unsigned long long)s->tx_ops[7]);
	vsock_conns_debug(v);
	vsock_vhost_close(v);
	vsock_unix_close(v);
	if (v->reap.fn)
		event_loop_del_after(v->dev.loop, &v->reap);
	vsock_conns_destroy(v);
	virtio_dev_destroy(&v->dev);
	v->dev.ops = NULL;
}
