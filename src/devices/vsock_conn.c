/* vsock_conn: see vsock_conn.h. */
#include "devices/vsock_conn.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util/container_of.h"
#include "util/log.h"

static unsigned int bucket(uint32_t host_port, uint32_t guest_port)
{
	uint32_t h = host_port * 2654435761u ^ guest_port * 40503u;

	return (h ^ (h >> 16)) % VSOCK_CONN_BUCKETS;
}

int vsock_conns_init(struct virtio_vsock *v)
{
	v->buckets = calloc(VSOCK_CONN_BUCKETS, sizeof(*v->buckets));
	v->next_host_port = VSOCK_HOST_PORT_BASE;
	return v->buckets ? 0 : -ENOMEM;
}

struct vsock_conn *vsock_conn_find(struct virtio_vsock *v, uint32_t host_port,
				   uint32_t guest_port)
{
	struct vsock_conn *c;

	if (!v->buckets)
		return NULL;
	for (c = v->buckets[bucket(host_port, guest_port)]; c; c = c->hnext)
		if (c->host_port == host_port && c->guest_port == guest_port &&
		    c->state != VSOCK_CONN_LINE)
			return c;
	return NULL;
}

void vsock_conn_insert(struct vsock_conn *c)
{
	struct vsock_conn **b = &c->v->buckets[bucket(c->host_port, c->guest_port)];

	c->hnext = *b;
	*b = c;
}

static void unhash(struct vsock_conn *c)
{
	struct vsock_conn **p = &c->v->buckets[bucket(c->host_port, c->guest_port)];

	for (; *p; p = &(*p)->hnext)
		if (*p == c) {
			*p = c->hnext;
			return;
		}
}

static void unready(struct vsock_conn *c)
{
	struct virtio_vsock *v = c->v;

	if (!c->ready)
		return;
	if (c->rprev)
		c->rprev->rnext = c->rnext;
	else
		v->ready_head = c->rnext;
	if (c->rnext)
		c->rnext->rprev = c->rprev;
	else
		v->ready_tail = c->rprev;
	c->rnext = c->rprev = NULL;
	c->ready = false;
}

static void close_fd(struct vsock_conn *c)
{
	if (c->fd < 0)
		return;
	if (c->v->dev.loop)
		event_loop_del(c->v->dev.loop, c->fd);
	close(c->fd);
	c->fd = -1;
}

void vsock_conn_kill(struct vsock_conn *c)
{
	struct virtio_vsock *v = c->v;

	unready(c);
	unhash(c);
	close_fd(c);
	free(c->out.data);
	free(c->msg);
	c->out.data = NULL;
	c->msg = NULL;
	v->nconns--;
	if (!v->dev.loop) {
		free(c);
		return;
	}
	/* A handler earlier in the loop's batch (a guest RST, another
	 * connection's rx run) or a vCPU thread's reset may kill c while the
	 * batch still holds c's event: free it after the batch. */
	c->dead = true;
	c->hnext = v->dead;
	v->dead = c;
}

void vsock_conns_reap(struct virtio_vsock *v)
{
	struct vsock_conn *c;

	pthread_mutex_lock(&v->dev.lock);
	c = v->dead;
	v->dead = NULL;
	pthread_mutex_unlock(&v->dev.lock);
	while (c) {
		struct vsock_conn *next = c->hnext;

		free(c);
		c = next;
	}
}

void vsock_conns_clear(struct virtio_vsock *v)
{
	if (!v->buckets)
		return;
	for (unsigned int i = 0; i < VSOCK_CONN_BUCKETS; i++)
		while (v->buckets[i])
			vsock_conn_kill(v->buckets[i]);
	v->rst_count = 0;
	v->tx_stalled = false;
}

void vsock_conns_debug(struct virtio_vsock *v)
{
	for (unsigned int i = 0; v->buckets && i < VSOCK_CONN_BUCKETS; i++)
		for (struct vsock_conn *c = v->buckets[i]; c; c = c->hnext)
			log_debug("vsock: conn %u<-%u state %u pending %#x rd %d eof %d hup %d ready %d "
				  "tx %u peer_fwd %u peer_alloc %u rx %u fwd %u out %u",
				  c->host_port, c->guest_port, c->state, c->pending, c->host_rd,
				  c->host_eof, c->host_hup, c->ready, c->tx_cnt, c->peer_fwd_cnt,
				  c->peer_buf_alloc, c->rx_cnt, c->fwd_cnt, c->out.len - c->out.head);
}

void vsock_conns_destroy(struct virtio_vsock *v)
{
	vsock_conns_clear(v);
	vsock_conns_reap(v);
	free(v->buckets);
	v->buckets = NULL;
}

/* Credit the guest gives us now (5.10.6.3); 0 if it shrank its buffer. */
static uint32_t peer_credit(const struct vsock_conn *c)
{
	uint32_t used = c->tx_cnt - c->peer_fwd_cnt;

	return used >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - used;
}

static bool has_work(const struct vsock_conn *c)
{
	if (c->pending)
		return true;
	if (c->state != VSOCK_CONN_ESTABLISHED || c->guest_no_rcv || c->closing)
		return false;
	if (!c->msg_have && (!c->host_rd || c->host_eof))
		return false;
	return peer_credit(c) > 0;
}

void vsock_conn_wake(struct vsock_conn *c)
{
	struct virtio_vsock *v = c->v;

	if (c->ready || !has_work(c))
		return;
	c->ready = true;
	c->rnext = NULL;
	c->rprev = v->ready_tail;
	if (v->ready_tail)
		v->ready_tail->rnext = c;
	else
		v->ready_head = c;
	v->ready_tail = c;
}

void vsock_conn_reset(struct vsock_conn *c)
{
	close_fd(c);
	c->out.head = c->out.len = 0;
	c->msg_have = false;
	c->closing = true;
	c->pending = VSOCK_P_RST;
	vsock_conn_wake(c);
}

static void event(struct event_handler *h, uint32_t events);

struct vsock_conn *vsock_conn_new(struct virtio_vsock *v, int fd, uint16_t type,
				  enum vsock_conn_state state)
{
	struct vsock_conn *c;

	if (v->nconns >= VSOCK_MAX_CONNS || !(c = calloc(1, sizeof(*c)))) {
		v->stats.conn_limit++;
		close(fd);
		return NULL;
	}
	c->h.fn = event;
	c->v = v;
	c->fd = fd;
	c->type = type;
	c->state = (uint8_t)state;
	v->nconns++;
	/* Edge-triggered: host_rd remembers "readable" until a read says
	 * EAGAIN, so no epoll_ctl per packet. */
	if (v->dev.loop && event_loop_add(v->dev.loop, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP |
					  EPOLLET, &c->h) < 0) {
		c->fd = -1;
		close(fd);
		free(c);
		v->nconns--;
		return NULL;
	}
	return c;
}

/* --- towards the host ---------------------------------------------------- */

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
	close_fd(c);
	c->pending = VSOCK_P_RST;
	vsock_conn_wake(c);
}

/* Write buffered bytes (whole records for seqpacket) to the host socket.
 * false when the connection was reset. */
static bool flush_out(struct vsock_conn *c)
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
		flush_out(c);
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
		flush_out(c); /* applies the half-close or the close once empty */
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

/* --- towards the guest --------------------------------------------------- */

static void header(const struct vsock_conn *c, struct vsock_pkt *p, uint16_t op)
{
	*p = (struct vsock_pkt){
		.src_cid = VSOCK_HOST_CID, .dst_cid = c->v->guest_cid,
		.src_port = c->host_port, .dst_port = c->guest_port,
		.type = c->type, .op = op,
		.buf_alloc = VSOCK_BUF_ALLOC, .fwd_cnt = c->fwd_cnt,
	};
}

/* iov limited to its first n bytes, into out (at most niov entries). */
static int trim_iov(const struct iovec *iov, int niov, size_t n, struct iovec *out)
{
	int k = 0;

	for (int i = 0; i < niov && n; i++, k++) {
		out[k] = iov[i];
		if (out[k].iov_len > n)
			out[k].iov_len = n;
		n -= out[k].iov_len;
	}
	return k;
}

/* Host read ended (0 bytes): we will send no more; with the peer gone
 * entirely (EPOLLHUP), we will not receive either (5.10.6.5). */
static void host_eof(struct vsock_conn *c)
{
	struct pollfd pf = { .fd = c->fd, .events = 0 };

	/* The edge telling EPOLLHUP may not have been handled yet. */
	if (poll(&pf, 1, 0) == 1 && (pf.revents & POLLHUP))
		c->host_hup = true;
	c->host_eof = true;
	c->host_rd = false;
	c->pending |= VSOCK_P_SHUTDOWN;
	c->shut_flags = VIRTIO_VSOCK_SHUTDOWN_SEND | (c->host_hup ? VIRTIO_VSOCK_SHUTDOWN_RCV : 0);
}

/* A seqpacket message from the host into c->msg. false: nothing now. */
static bool take_msg(struct vsock_conn *c)
{
	ssize_t n;

	do
		n = recv(c->fd, NULL, 0, MSG_PEEK | MSG_TRUNC | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		c->host_rd = false;
		return false;
	}
	if (n <= 0) { /* EOF (a zero-length message reads the same) or error */
		if (n < 0)
			c->host_hup = true;
		host_eof(c);
		return false;
	}
	if ((size_t)n > VSOCK_MAX_MSG) {
		c->v->stats.oversize++;
		vsock_conn_reset(c);
		return false;
	}
	if ((uint32_t)n > c->msg_cap) {
		uint8_t *m = realloc(c->msg, (size_t)n);

		if (!m) {
			vsock_conn_reset(c);
			return false;
		}
		c->msg = m;
		c->msg_cap = (uint32_t)n;
	}
	c->msg_len = (uint32_t)recv(c->fd, c->msg, (size_t)n, MSG_DONTWAIT);
	if (c->msg_len != (uint32_t)n) {
		c->v->stats.host_gone++;
		vsock_conn_reset(c);
		return false;
	}
	c->msg_off = 0;
	c->msg_have = true;
	return true;
}

/* Data for the guest: 1 when a packet was made. */
static int emit_data(struct vsock_conn *c, struct vsock_pkt *p, const struct iovec *iov,
		     int niov, uint32_t room)
{
	uint32_t credit = peer_credit(c), want = room;
	struct iovec t[VIRTIO_VSOCK_QUEUE_SIZE + 8];
	ssize_t n;
	int k;

	if (c->state != VSOCK_CONN_ESTABLISHED || c->guest_no_rcv || c->closing || c->fd < 0)
		return 0;
	if (!c->msg_have && (!c->host_rd || c->host_eof))
		return 0;
	if (credit == 0) {
		/* Wait for the guest's CREDIT_UPDATE: Linux sends one by itself
		 * once its reader consumed nearly buf_alloc since its last report
		 * (virtio_transport_stream_do_dequeue), which running out of
		 * credit guarantees. Asking (CREDIT_REQUEST) would reset that
		 * report early and turn the stream into a ping-pong of small
		 * grants; vhost-vsock never asks either. */
		c->v->stats.credit_stalls++;
		return 0;
	}
	if (want > credit)
		want = credit;
	if (want > VSOCK_MAX_PAYLOAD)
		want = VSOCK_MAX_PAYLOAD;
	if (niov > (int)(sizeof(t) / sizeof(t[0])))
		niov = (int)(sizeof(t) / sizeof(t[0]));
	if (c->type == VIRTIO_VSOCK_TYPE_SEQPACKET) {
		uint32_t left;

		if (!c->msg_have && !take_msg(c))
			return 0;
		left = c->msg_len - c->msg_off;
		if (want > left)
			want = left;
		k = trim_iov(iov, niov, want, t);
		for (int i = 0, off = 0; i < k; off += (int)t[i].iov_len, i++)
			memcpy(t[i].iov_base, c->msg + c->msg_off + off, t[i].iov_len);
		header(c, p, VIRTIO_VSOCK_OP_RW);
		p->len = want;
		c->msg_off += want;
		if (c->msg_off == c->msg_len) {
			/* Every host message is one record: the guest sees the
			 * boundary (EOM) and MSG_EOR (EOR). */
			p->flags = VIRTIO_VSOCK_SEQ_EOM | VIRTIO_VSOCK_SEQ_EOR;
			c->msg_have = false;
		}
		c->tx_cnt += want;
		return 1;
	}
	k = trim_iov(iov, niov, want, t);
	do
		n = readv(c->fd, t, k);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
		c->host_rd = false;
		return 0;
	}
	if (n <= 0) {
		if (n < 0)
			c->host_hup = true;
		host_eof(c);
		return 0;
	}
	/* A short read does not prove the socket empty: a read that takes
	 * the last bytes after the peer's shutdown returns them short, and
	 * the EOF (whose edge has fired already) only shows on the next read.
	 * host_rd is cleared on EAGAIN alone. */
	header(c, p, VIRTIO_VSOCK_OP_RW);
	p->len = (uint32_t)n;
	c->tx_cnt += (uint32_t)n;
	return 1;
}

int vsock_conn_emit(struct vsock_conn *c, struct vsock_pkt *p, const struct iovec *iov,
		    int niov, uint32_t room)
{
	int r;

	if (c->pending & VSOCK_P_RST) {
		header(c, p, VIRTIO_VSOCK_OP_RST);
		vsock_conn_kill(c);
		return 2;
	}
	if (c->pending & (VSOCK_P_REQUEST | VSOCK_P_RESPONSE)) {
		uint16_t op = c->pending & VSOCK_P_REQUEST ? VIRTIO_VSOCK_OP_REQUEST
							    : VIRTIO_VSOCK_OP_RESPONSE;

		c->pending &= ~(VSOCK_P_REQUEST | VSOCK_P_RESPONSE);
		header(c, p, op);
		goto sent;
	}
	r = emit_data(c, p, iov, niov, room);
	if (c->pending & VSOCK_P_RST)
		return vsock_conn_emit(c, p, iov, niov, room);
	if (r)
		goto sent;
	if (c->pending & VSOCK_P_SHUTDOWN) {
		c->pending &= ~VSOCK_P_SHUTDOWN;
		header(c, p, VIRTIO_VSOCK_OP_SHUTDOWN);
		p->flags = c->shut_flags;
		goto sent;
	}
	if (c->pending & VSOCK_P_CREDIT_UPDATE) {
		header(c, p, VIRTIO_VSOCK_OP_CREDIT_UPDATE);
		goto sent;
	}
	unready(c);
	return 0;
sent:
	/* Any packet tells the guest our credit. */
	c->pending &= ~VSOCK_P_CREDIT_UPDATE;
	c->fwd_reported = c->fwd_cnt;
	return 1;
}

/* --- host socket events -------------------------------------------------- */

static void event(struct event_handler *h, uint32_t events)
{
	struct vsock_conn *c = container_of(h, struct vsock_conn, h);
	struct virtio_vsock *v = c->v;

	pthread_mutex_lock(&v->dev.lock);
	if (c->dead) { /* killed earlier in this batch (vsock_conn_kill) */
		pthread_mutex_unlock(&v->dev.lock);
		return;
	}
	if (events & EPOLLHUP)
		c->host_hup = true;
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->host_rd = true;
	if (c->state == VSOCK_CONN_LINE) {
		uint32_t port;
		int r = c->host_rd ? vsock_unix_read_line(c, &port) : -EAGAIN;

		if (r == -EAGAIN && !(events & (EPOLLHUP | EPOLLERR))) {
			c->host_rd = false;
		} else if (r < 0) {
			v->stats.bad_connect++;
			vsock_conn_kill(c);
		} else {
			unhash(c); /* from (0, 0) to its real ports */
			c->guest_port = port;
			/* Ports from 2^30 up, skipping any in use; never
			 * VMADDR_PORT_ANY (-1). */
			do {
				c->host_port = v->next_host_port;
				v->next_host_port = v->next_host_port >= UINT32_MAX - 1
						    ? VSOCK_HOST_PORT_BASE : v->next_host_port + 1;
			} while (vsock_conn_find(v, c->host_port, port));
			c->state = VSOCK_CONN_REQUESTED;
			c->pending = VSOCK_P_REQUEST;
			c->peer_buf_alloc = 0;
			vsock_conn_insert(c);
			vsock_conn_wake(c);
		}
	} else {
		if (events & EPOLLOUT)
			flush_out(c);
		vsock_conn_wake(c);
	}
	vsock_rx_run(v);
	pthread_mutex_unlock(&v->dev.lock);
}
