/* vsock_conn: one connection of the userspace vsock backend, between a
 * guest socket (guest_port) and a host Unix socket (fd), and the table of
 * them keyed by (host_port, guest_port) (virtio 1.2 spec 5.10.6).
 *
 * State machine (5.10.6.4, 5.10.6.5):
 *   host-initiated: LINE (reading "CONNECT <port>\n") -> REQUESTED (REQUEST
 *   sent) -> ESTABLISHED on RESPONSE ("OK <hostport>\n" written), or gone
 *   on RST; guest-initiated: REQUEST -> connect(PATH_P) -> ESTABLISHED and
 *   RESPONSE, or RST when nobody listens. SHUTDOWN flags half-close each
 *   direction (shutdown(2) on the host socket once buffered bytes are out);
 *   both flags from the guest end the connection with an RST from us once
 *   what it sent reached the host. An RST either way closes the host socket.
 *
 * Credit (5.10.6.3): the guest may have at most VSOCK_BUF_ALLOC bytes in
 * flight towards the host (rx_cnt - fwd_cnt); more is a violation (RST,
 * counted). Towards the guest skiff sends at most peer_buf_alloc -
 * (tx_cnt - peer_fwd_cnt) bytes and then waits for the guest's
 * CREDIT_UPDATE (it answers CREDIT_REQUEST, never sends one). Host
 * sockets are read only when the guest has credit
 * and rx buffers, so a slow guest reader stalls the host writer through
 * the socket, and a slow host reader stalls the guest through credit.
 *
 * All calls: event loop thread, v->dev.lock held. */
#ifndef SKIFF_DEVICES_VSOCK_CONN_H
#define SKIFF_DEVICES_VSOCK_CONN_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "devices/virtio_vsock.h"
#include "devices/vsock_pkt.h"

enum vsock_conn_state {
	VSOCK_CONN_LINE,        /* host client: reading its CONNECT line */
	VSOCK_CONN_REQUESTED,   /* REQUEST to the guest, awaiting RESPONSE */
	VSOCK_CONN_ESTABLISHED,
};

/* Bytes waiting for the host socket: [head, len) of data. Seqpacket
 * connections store records: a uint32_t length, then the message. */
struct vsock_buf {
	uint8_t *data;
	uint32_t head, len, cap;
};

struct vsock_conn {
	struct event_handler h;
	struct virtio_vsock *v;
	int fd;
	uint16_t type;                   /* VIRTIO_VSOCK_TYPE_* */
	uint8_t state;
	uint32_t host_port, guest_port;
	struct vsock_conn *hnext;        /* hash chain; once dead, the dead list */
	bool dead;                       /* killed, waiting for the reap */
	struct vsock_conn *rnext, *rprev;/* ready list */
	bool ready;

	unsigned int pending;            /* VSOCK_P_* control packets owed to the guest */
	uint32_t shut_flags;             /* flags of the SHUTDOWN owed */
	bool host_rd, host_eof, host_hup, host_wr_shut;
	bool guest_no_send, guest_no_rcv, closing;
	/* towards the guest */
	uint32_t peer_buf_alloc, peer_fwd_cnt, tx_cnt;
	uint8_t *msg;                    /* seqpacket message from the host */
	uint32_t msg_len, msg_off, msg_cap;
	bool msg_have;
	/* towards the host */
	uint32_t rx_cnt, fwd_cnt, fwd_reported;
	struct vsock_buf out;
	bool rec_open;                   /* seqpacket: a record is being assembled */
	uint32_t rec_at;                 /* its length field's offset in out */
	char line[32];
	uint8_t line_len;
};

#define VSOCK_P_RST 1u
#define VSOCK_P_REQUEST 2u
#define VSOCK_P_RESPONSE 4u
#define VSOCK_P_CREDIT_UPDATE 8u
#define VSOCK_P_SHUTDOWN 32u

/* Table set-up and teardown (kills every connection). 0 or -ENOMEM. */
int vsock_conns_init(struct virtio_vsock *v);
void vsock_conns_clear(struct virtio_vsock *v);
void vsock_conns_destroy(struct virtio_vsock *v);
/* With SKIFF_DEBUG: one line per live connection (its credit and flags). */
void vsock_conns_debug(struct virtio_vsock *v);

/* A new connection around host socket fd (owned from now on, registered
 * on the loop); not yet in the table. NULL on -ENOMEM or a full table
 * (fd closed, counted). */
struct vsock_conn *vsock_conn_new(struct virtio_vsock *v, int fd, uint16_t type,
				  enum vsock_conn_state state);
/* Enter c in the table under its ports. */
void vsock_conn_insert(struct vsock_conn *c);
struct vsock_conn *vsock_conn_find(struct virtio_vsock *v, uint32_t host_port,
				   uint32_t guest_port);
/* Close now, wherever c is, and free: at once without an event loop, else
 * after the loop's current batch (vsock_conns_reap), which may still hold
 * an event for c; its handler then sees c->dead and does nothing. */
void vsock_conn_kill(struct vsock_conn *c);
/* Free the dead connections (an event_after hook: after a batch). */
void vsock_conns_reap(struct virtio_vsock *v);
/* Abort: drop buffers, close the host socket, owe the guest an RST. */
void vsock_conn_reset(struct vsock_conn *c);
/* Put c on the ready list if it has something for the guest. */
void vsock_conn_wake(struct vsock_conn *c);

/* A checked packet p from the guest with its payload (p->len bytes in
 * iov). */
void vsock_conn_from_guest(struct virtio_vsock *v, const struct vsock_pkt *p,
			   const struct iovec *iov, int niov);

/* Next packet of c for the guest: header in *p, payload written into iov
 * (room bytes at most). Returns 0 when c has nothing now (it leaves the
 * ready list), 1 for a packet, 2 for a packet after which c is freed. */
int vsock_conn_emit(struct vsock_conn *c, struct vsock_pkt *p, const struct iovec *iov,
		    int niov, uint32_t room);

/* Host-socket side of a client in LINE state (vsock_unix.c): parse
 * "CONNECT <port>\n". 0 parsed, -EAGAIN need more, -EINVAL malformed. */
int vsock_unix_read_line(struct vsock_conn *c, uint32_t *port);
/* Guest-initiated REQUEST: connect to PATH_<dst_port>. fd or -errno. */
int vsock_unix_connect(struct virtio_vsock *v, uint32_t port, uint16_t type);

#endif
