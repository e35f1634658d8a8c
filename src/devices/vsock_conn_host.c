/* vsock_conn, towards the host: packets from the guest (connection set-up,
 * data into the out buffer, shutdown, credit) and the out buffer's writes
 * to the host socket. See vsock_conn.h. */
#include "devices/vsock_conn.h"
#include "devices/vsock_conn_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int buf_reserve(struct vsock_buf *b, uint32_t n)
{
	uint32_t live = b->len - b->head, cap;
	uint8_t *p;

	if (b->cap - b->len >= n)
		return 0;
	if (b->head) {
		memmove(b->data, b->data + b->head, live);
		b->len = live;
		b->head = 0;
		if (b->cap - b->len >= n)
			return 0;
	}
	cap = b->cap ? b->cap : 4096;
	while (cap - live < n)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p)
		return -ENOMEM;
	b->data = p;
	b->cap = cap;
	return 0;
}

static int buf_append_iov(struct vsock_buf *b, const struct iovec *iov, int niov, size_t skip)
{
	for (int i = 0; i < niov; i++) {
		size_t n = iov[i].iov_len;
		const uint8_t *s = iov[i].iov_base;

		if (skip >= n) {
			skip -= n;
			continue;
		}
		s += skip;
		n -= skip;
		skip = 0;
		if (buf_reserve(b, (uint32_t)n) < 0)
			return -ENOMEM;
		memcpy(b->data + b->len, s, n);
		b->len += (uint32_t)n;
	}
	return 0;
}

static ssize_t send_iov(int fd, const struct iovec *iov, int niov)
{
	struct msghdr mh = { .msg_iov = (struct iovec *)iov, .msg_iovlen = (size_t)niov };
	ssize_t n;

	do
		n = sendmsg(fd, &mh, MSG_DONTWAIT | MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && errno == EWOULDBLOCK)
		return -EAGAIN;
	return n < 0 ? -errno : n;
}

/* Tell the guest about freed buffer space before it runs out of credit:
 * when less than half of buf_alloc is free as the guest sees it. */
static void maybe_credit_update(struct vsock_conn *c)
{
	if (c->fwd_cnt != c->fwd_reported &&
	    VSOCK_BUF_ALLOC - (c->rx_cnt - c->fwd_reported) < VSOCK_BUF_ALLOC / 2) {
		c->pending |= VSOCK_P_CREDIT_UPDATE;
		vsock_conn_wake(c);
	}
}

/* Both ways done (SHUTDOWN with both flags from the guest) and everything
 * it sent delivered: close our end and answer with RST (5.10.6.5). */
static void finish_close(struct vsock_conn *c)
{
	vsock_conn_close_fd(c);
	c->pending = VSOCK_P_RST;
	vsock_conn_wake(c);
}

/* Write buffered bytes (whole records for seqpacket) to the host socket.
 * false when the connection was reset. */
bool vsock_conn_flush_out(struct vsock_conn *c)
{
	struct vsock_buf *b = &c->out;

	while (c->fd >= 0 && b->len > b->head) {
		uint32_t rlen = b->len - b->head, hdr = 0;
		struct iovec iov;
		ssize_t n;

		if (c->type == VIRTIO_VSOCK_TYPE_SEQPACKET) {
			if (c->rec_open && b->head == c->rec_at)
				break; /* only an incomplete record is left */
			memcpy(&rlen, b->data + b->head, sizeof(rlen));
			hdr = sizeof(rlen);
		}
		iov = (struct iovec){ b->data + b->head + hdr, rlen };
		n = send_iov(c->fd, &iov, 1);
		if (n == -EAGAIN)
			break;
		if (n < 0) {
			c->v->stats.host_gone++;
			vsock_conn_reset(c);
			return false;
		}
		if (c->type == VIRTIO_VSOCK_TYPE_SEQPACKET)
			n = (ssize_t)rlen; /* a message goes whole or not at all */
		b->head += (uint32_t)n + hdr;
		c->fwd_cnt += (uint32_t)n;
	}
	if (b->head == b->len)
		b->head = b->len = 0;
	maybe_credit_update(c);
	if (b->len == 0 && c->fd >= 0) {
		if (c->closing) {
			finish_close(c);
		} else if (c->guest_no_send && !c->host_wr_shut) {
			shutdown(c->fd, SHUT_WR); /* half-close: the host peer reads EOF */
			c->host_wr_shut = true;
		}
	}
	return true;
}

static void rw_from_guest(struct vsock_conn *c, const struct vsock_pkt *p,
			  const struct iovec *iov, int niov)
{
	struct virtio_vsock *v = c->v;
	struct vsock_buf *b = &c->out;
	size_t done = 0;

	if (c->guest_no_send || c->closing || c->fd < 0) {
		v->stats.late_data++;
		return;
	}
	/* 5.10.6.3: the sender must not exceed buf_alloc - (rx_cnt -
	 * fwd_cnt); records' length fields and empty messages are bounded
	 * too, so that no guest makes the buffer grow past a fixed size. */
	if ((uint64_t)(c->rx_cnt - c->fwd_cnt) + p->len > VSOCK_BUF_ALLOC ||
	    b->len - b->head > 2 * VSOCK_BUF_ALLOC) {
		v->stats.credit_violations++;
		vsock_conn_reset(c);
		return;
	}
	c->rx_cnt += p->len;
	if (c->type == VIRTIO_VSOCK_TYPE_STREAM) {
		if (b->len == b->head && p->len) {
			ssize_t n = send_iov(c->fd, iov, niov);

			if (n < 0 && n != -EAGAIN) {
				v->stats.host_gone++;
				vsock_conn_reset(c);
				return;
			}
			done = n < 0 ? 0 : (size_t)n;
			c->fwd_cnt += (uint32_t)done;
		}
	} else {
		bool eom = p->flags & VIRTIO_VSOCK_SEQ_EOM;
		uint32_t rec_shift;

		/* One whole message and nothing queued: straight through. */
		if (eom && !c->rec_open && b->len == b->head) {
			ssize_t n = send_iov(c->fd, iov, niov);

			if (n < 0 && n != -EAGAIN) {
				v->stats.host_gone++;
				vsock_conn_reset(c);
				return;
			}
			if (n >= 0) {
				c->fwd_cnt += p->len;
				maybe_credit_update(c);
				return;
			}
		}
		if (!c->rec_open) {
			uint32_t zero = 0;

			if (buf_reserve(b, sizeof(zero)) < 0)
				goto nomem;
			c->rec_at = b->len;
			memcpy(b->data + b->len, &zero, sizeof(zero));
			b->len += sizeof(zero);
			c->rec_open = true;
		}
		/* Room for the append may move the live bytes to the front
		 * (buf_reserve): the open record's offset moves with them. */
		rec_shift = b->head;
		if (buf_append_iov(b, iov, niov, 0) < 0)
			goto nomem;
		c->rec_at -= rec_shift - b->head;
		if (eom) {
			uint32_t rlen = b->len - c->rec_at - (uint32_t)sizeof(rlen);

			memcpy(b->data + c->rec_at, &rlen, sizeof(rlen));
			c->rec_open = false;
		}
		vsock_conn_flush_out(c);
		return;
	}
	if (done < p->len && buf_append_iov(b, iov, niov, done) < 0)
		goto nomem;
	if (done)
		maybe_credit_update(c);
	return;
nomem:
	c->v->stats.host_gone++;
	vsock_conn_reset(c);
}

static void established(struct vsock_conn *c)
{
	char ok[32];
	int n = snprintf(ok, sizeof(ok), "OK %u\n", c->host_port);
	struct iovec iov = { ok, (size_t)n };

	c->state = VSOCK_CONN_ESTABLISHED;
	c->host_rd = true; /* the client may have written after its line */
	if (send_iov(c->fd, &iov, 1) != n) {
		c->v->stats.host_gone++;
		vsock_conn_reset(c);
	}
}

static void new_guest_conn(struct virtio_vsock *v, const struct vsock_pkt *p)
{
	struct vsock_conn *c;
	int fd = vsock_unix_connect(v, p->dst_port, p->type);

	if (fd < 0) {
		v->stats.no_listener++;
		vsock_queue_rst(v, p->dst_port, p->src_port, p->type);
		return;
	}
	c = vsock_conn_new(v, fd, p->type, VSOCK_CONN_ESTABLISHED);
	if (!c) {
		vsock_queue_rst(v, p->dst_port, p->src_port, p->type);
		return;
	}
	c->host_port = p->dst_port;
	c->guest_port = p->src_port;
	c->peer_buf_alloc = p->buf_alloc;
	c->peer_fwd_cnt = p->fwd_cnt;
	c->host_rd = true;
	c->pending = VSOCK_P_RESPONSE;
	vsock_conn_insert(c);
	vsock_conn_wake(c);
}

void vsock_conn_from_guest(struct virtio_vsock *v, const struct vsock_pkt *p,
			   const struct iovec *iov, int niov)
{
	struct vsock_conn *c = vsock_conn_find(v, p->dst_port, p->src_port);

	if (!c) {
		if (p->op == VIRTIO_VSOCK_OP_REQUEST) {
			new_guest_conn(v, p);
		} else if (p->op != VIRTIO_VSOCK_OP_RST) {
			/* 5.10.6.4: a packet for no connection gets RST. */
			v->stats.no_conn++;
			vsock_queue_rst(v, p->dst_port, p->src_port, p->type);
		}
		return;
	}
	if (p->op == VIRTIO_VSOCK_OP_RST) {
		vsock_conn_kill(c);
		return;
	}
	if (c->pending & VSOCK_P_RST)
		return; /* already aborting: the RST is on its way */
	if (p->type != c->type) {
		v->stats.bad_type++;
		vsock_conn_reset(c);
		return;
	}
	/* Every packet carries the sender's credit (5.10.6.3). */
	c->peer_buf_alloc = p->buf_alloc;
	c->peer_fwd_cnt = p->fwd_cnt;
	switch (p->op) {
	case VIRTIO_VSOCK_OP_REQUEST:
		vsock_conn_reset(c); /* a second REQUEST on a live connection */
		break;
	case VIRTIO_VSOCK_OP_RESPONSE:
		if (c->state == VSOCK_CONN_REQUESTED)
			established(c);
		else
			vsock_conn_reset(c);
		break;
	case VIRTIO_VSOCK_OP_SHUTDOWN:
		if (p->flags & VIRTIO_VSOCK_SHUTDOWN_RCV && !c->guest_no_rcv && c->fd >= 0) {
			c->guest_no_rcv = true;
			shutdown(c->fd, SHUT_RD);
		}
		if (p->flags & VIRTIO_VSOCK_SHUTDOWN_SEND)
			c->guest_no_send = true;
		if (c->guest_no_rcv && c->guest_no_send)
			c->closing = true;
		vsock_conn_flush_out(c); /* applies the half-close or the close once empty */
		break;
	case VIRTIO_VSOCK_OP_RW:
		if (c->state != VSOCK_CONN_ESTABLISHED)
			vsock_conn_reset(c);
		else
			rw_from_guest(c, p, iov, niov);
		break;
	case VIRTIO_VSOCK_OP_CREDIT_REQUEST:
		c->pending |= VSOCK_P_CREDIT_UPDATE;
		break;
	default: /* CREDIT_UPDATE: taken above */
		break;
	}
	vsock_conn_wake(c);
}
