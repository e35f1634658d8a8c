/* vsock_conn_internal: what the three parts of a vsock connection
 * (vsock_conn.c: table, lifetime, host socket events; vsock_conn_host.c:
 * towards the host; vsock_conn_guest.c: towards the guest) call in each
 * other. v->dev.lock held, as for vsock_conn.h. */
#ifndef SKIFF_DEVICES_VSOCK_CONN_INTERNAL_H
#define SKIFF_DEVICES_VSOCK_CONN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/vsock_conn.h"

/* Credit the guest gives us now (5.10.6.3); 0 if it shrank its buffer. */
static inline uint32_t vsock_conn_peer_credit(const struct vsock_conn *c)
{
	uint32_t used = c->tx_cnt - c->peer_fwd_cnt;

	return used >= c->peer_buf_alloc ? 0 : c->peer_buf_alloc - used;
}

/* Take c off the ready list (it has nothing for the guest now). */
void vsock_conn_unready(struct vsock_conn *c);
/* Unregister and close the host socket, if still open. */
void vsock_conn_close_fd(struct vsock_conn *c);
/* Write buffered bytes (whole records for seqpacket) to the host socket.
 * false when that reset the connection. */
bool vsock_conn_flush_out(struct vsock_conn *c);

#endif
