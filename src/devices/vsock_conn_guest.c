/* vsock_conn, towards the guest: the next packet a connection owes the
 * guest (control packets, stream bytes, seqpacket messages), within the
 * guest's credit. See vsock_conn.h. */
#include "devices/vsock_conn.h"
#include "devices/vsock_conn_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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
	uint32_t credit = vsock_conn_peer_credit(c), want = room;
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
	vsock_conn_unready(c);
	return 0;
sent:
	/* Any packet tells the guest our credit. */
	c->pending &= ~VSOCK_P_CREDIT_UPDATE;
	c->fwd_reported = c->fwd_cnt;
	return 1;
}
