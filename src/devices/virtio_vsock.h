/* virtio_vsock: the virtio socket device (virtio 1.2 spec 5.10) with
 * SOCK_STREAM and SOCK_SEQPACKET (VIRTIO_VSOCK_F_SEQPACKET, the
 * "virtio/vsock: introduce SOCK_SEQPACKET support" series).
 *
 * Two backends:
 *  - userspace (socket=PATH), Firecracker's hybrid vsock: a guest connect
 *    to CID 2 port P reaches the host Unix socket "PATH_P" (a stream
 *    socket for SOCK_STREAM, a SOCK_SEQPACKET socket for seqpacket); a host
 *    process connecting to PATH (stream) or PATH.seqpacket (seqpacket) and
 *    sending "CONNECT <port>\n" reaches a guest listener on that port and
 *    gets "OK <hostport>\n" once the guest accepted (vsock_unix.h).
 *    Connections live in vsock_conn.c; all host sockets are on the event
 *    loop, edge-triggered and non-blocking;
 *  - vhost (vhost=on): rx and tx run in the kernel's vhost-vsock
 *    (vsock_vhost.h); skiff keeps only the event queue.
 *
 * Bounds: skiff buffers at most VSOCK_BUF_ALLOC bytes per connection
 * towards the host (the credit it advertises, 5.10.6.3) plus one
 * seqpacket message towards the guest; at most VSOCK_MAX_CONNS
 * connections. A guest that ignores credit gets RST and is counted.
 * Guest faults are counted in struct vsock_stats, never logged per event.
 *
 * Threads: everything runs on the event loop under dev.lock. */
#ifndef SKIFF_DEVICES_VIRTIO_VSOCK_H
#define SKIFF_DEVICES_VIRTIO_VSOCK_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/un.h>

#include "devices/vsock_pkt.h"
#include "util/event_loop.h"
#include "virtio/device.h"

#define VSOCK_RXQ 0   /* spec 5.10.2: rx, tx, event */
#define VSOCK_TXQ 1
#define VSOCK_EVQ 2
#define VIRTIO_VSOCK_QUEUE_SIZE 256u
/* Credit skiff gives each connection (its buf_alloc): 2 MiB, so that a
 * guest can send a 1 MiB seqpacket message (Linux refuses messages larger
 * than the peer's buf_alloc with EMSGSIZE). */
#define VSOCK_BUF_ALLOC (2u << 20)
/* Largest seqpacket message taken from a host peer (one per connection). */
#define VSOCK_MAX_MSG VSOCK_BUF_ALLOC
#define VSOCK_MAX_CONNS 4096u
#define VSOCK_CONN_BUCKETS 4096u
/* RSTs for packets that match no connection wait here for rx buffers;
 * while it is full the tx queue is not served (as vhost-vsock stops when
 * its replies outnumber the queue), so a guest cannot make it grow. */
#define VSOCK_RST_RING 128u
/* First port skiff gives host-initiated connections, as Firecracker. */
#define VSOCK_HOST_PORT_BASE (1u << 30)
/* sun_path of struct sockaddr_un (108 on Linux). */
#define VSOCK_SUN_PATH sizeof(((struct sockaddr_un *)0)->sun_path)

struct vsock_stats {
	uint64_t tx_pkts;          /* packets the guest sent */
	uint64_t rx_pkts;          /* packets given to the guest */
	uint64_t drop_len;         /* len disagreeing with the buffer, short header */
	uint64_t drop_addr;        /* wrong src_cid */
	uint64_t bad_type, bad_op, bad_dst; /* answered with RST */
	uint64_t no_conn;          /* packets for no connection (RST replied) */
	uint64_t no_listener;      /* REQUEST with nobody at PATH_P */
	uint64_t conn_limit;       /* REQUEST beyond VSOCK_MAX_CONNS */
	uint64_t credit_violations;/* guest sent beyond our buf_alloc: RST */
	uint64_t late_data;        /* RW after the guest's SHUTDOWN(SEND): dropped */
	uint64_t host_gone;        /* host peer failed or left mid-stream/message */
	uint64_t oversize;         /* host seqpacket message over VSOCK_MAX_MSG: RST */
	uint64_t bad_connect;      /* host client with a malformed CONNECT line */
	uint64_t credit_stalls;    /* times the guest's credit ran out towards it */
	uint64_t rx_waits;         /* packets waited for guest rx buffers */
	uint64_t tx_ops[8];        /* checked guest packets by op (debug) */
};

struct vsock_rst {
	uint32_t host_port, guest_port;
	uint16_t type;
};

struct vsock_conn;
struct vsock_vhost;

struct vsock_listener {
	struct event_handler h;
	struct virtio_vsock *v;
	int fd;
	int type;                  /* SOCK_STREAM or SOCK_SEQPACKET */
	char path[VSOCK_SUN_PATH];
};

struct virtio_vsock {
	struct virtio_dev dev;     /* first: the core's view */
	struct virtio_dev_ops ops; /* per device: vhost masks features */
	uint64_t guest_cid;
	struct vsock_stats stats;

	/* userspace backend */
	char path[VSOCK_SUN_PATH];
	struct vsock_listener listen[2]; /* PATH (stream), PATH.seqpacket */
	struct vsock_conn **buckets;   /* by (host_port, guest_port) */
	struct vsock_conn *ready_head, *ready_tail; /* have packets for the guest */
	/* Killed while the event loop runs: freed after its batch (reap),
	 * since the batch may still hold an event for them. */
	struct vsock_conn *dead;
	struct event_after reap;
	unsigned int nconns;
	uint32_t next_host_port;
	struct vsock_rst rst[VSOCK_RST_RING];
	unsigned int rst_head, rst_count;
	bool tx_stalled;               /* tx left unserved while rst[] was full */
	bool in_rx;                    /* rx_run is on the stack */
	bool reset_event_owed;         /* restored: TRANSPORT_RESET still to send */

	struct vsock_vhost *vhost;     /* vhost=on */
};

/* Userspace backend: guest_cid in 3..0xfffffffe (the option parser
 * checks), path the Unix socket prefix (shorter than VSOCK_SUN_PATH less
 * the "_PORT" and ".seqpacket" suffixes). Listens on PATH and
 * PATH.seqpacket; a live listener already there is a collision: -EADDRINUSE
 * (a stale socket file is replaced). loop may be NULL in tests that do not
 * use host sockets. 0 or -errno. */
int virtio_vsock_init(struct virtio_vsock *v, uint64_t guest_cid, const char *path,
		      const struct guest_mem *mem, struct event_loop *loop);
/* vhost backend: opens /dev/vhost-vsock and claims guest_cid
 * (-EADDRINUSE when another VM has it). 0 or -errno. */
int virtio_vsock_init_vhost(struct virtio_vsock *v, uint64_t guest_cid,
			    const struct guest_mem *mem, struct event_loop *loop);
/* Stop the vhost datapath and give its queues back to the transport; call
 * before the transport is destroyed (it owns the kick eventfds). No-op for
 * the userspace backend or when stopped. */
void virtio_vsock_stop(struct virtio_vsock *v);
void virtio_vsock_destroy(struct virtio_vsock *v);

/* Tell the driver every connection is gone (VIRTIO_VSOCK_EVENT_TRANSPORT_RESET,
 * spec 5.10.6.7) and drop them on our side. Returns true when an event
 * buffer was there to take it. A restored device does this by itself once
 * it runs again (host sockets do not survive a snapshot), as soon as the
 * driver has an event buffer posted. */
bool virtio_vsock_transport_reset(struct virtio_vsock *v);

/* Internal to the vsock files (virtio_vsock.c, vsock_conn.c, vsock_unix.c). */
/* Serve the rx queue: give the guest pending packets while it has buffers. */
void vsock_rx_run(struct virtio_vsock *v);
/* Queue an RST for a packet that matches no connection. */
void vsock_queue_rst(struct virtio_vsock *v, uint32_t host_port, uint32_t guest_port,
		     uint16_t type);

#endif
