/* virtio_net: a virtio network device (virtio 1.2 spec 5.1) whose frames
 * go to and come from host fds that carry one frame per read/write behind
 * a 12-byte struct virtio_net_hdr_v1: tap fds with IFF_VNET_HDR
 * (devices/net_tap.h) in skiff, a socketpair in the unit tests.
 *
 * Queues: receiveq/transmitq pairs 0..pairs-1 at 2i and 2i+1, the control
 * queue after the last pair (5.1.2). Userspace datapath: everything runs on
 * the event loop (tap readiness, queue kicks, a rate-limit timerfd), never
 * on a vCPU thread; rx copies each frame from a per-pair bounce buffer into
 * the guest's buffers (mergeable when VIRTIO_NET_F_MRG_RXBUF), tx writes a
 * chain's readable buffers to the fd with one writev. The offloaded
 * datapath (vhost-net, devices/net_vhost.h) takes the rx/tx queues and
 * leaves the control queue and config space here.
 *
 * Guest errors: a frame with a malformed header, or longer than the MTU
 * allows (5.1.6.2.1), is dropped and counted; an incoming frame larger than
 * the guest's buffers can take is dropped and counted; a malformed ring
 * puts the device in DEVICE_NEEDS_RESET. Host errors: the fd failing with
 * EBADFD/EIO/ENODEV/ENXIO (tap deleted) takes the link down
 * (VIRTIO_NET_S_LINK_UP clear, config interrupt), logged once; the VM runs on. */
#ifndef SKIFF_DEVICES_VIRTIO_NET_H
#define SKIFF_DEVICES_VIRTIO_NET_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_net.h>

#include "devices/net_filter.h"
#include "util/token_bucket.h"
#include "virtio/device.h"

#define VIRTIO_NET_QUEUE_SIZE 256
#define VIRTIO_NET_MAX_PAIRS 16

/* What the device asks of its host side besides reading and writing the
 * fds; both optional (a socketpair needs neither). */
struct virtio_net_backend {
	/* Offloads (TUN_F_* of linux/if_tun.h) the guest accepts on rx. */
	int (*set_offload)(void *ctx, unsigned int tun_flags);
	/* Queue pair i is used by the driver (or no longer): steer to it. */
	int (*enable_queue)(void *ctx, unsigned int pair, bool enable);
	/* Optional (NULL: none): gone_fd turns readable when the host side
	 * may have gone away (net_tap_watch), host_gone then says whether it
	 * has. How a deleted tap is noticed while nothing else is polled on
	 * its fds (vhost-net, or no rx buffers). */
	bool (*host_gone)(void *ctx);
	int gone_fd;
	void *ctx;
};

struct virtio_net_limit {
	uint64_t bw, bw_burst;     /* bytes/s, one-time extra bytes; 0 = unlimited */
	uint64_t pps, pps_burst;   /* frames/s, one-time extra frames */
};

struct virtio_net_params {
	const char *name;          /* for the one-line messages: "--net tap=skt0" */
	const int *fds;            /* one per queue pair, non-blocking */
	unsigned int pairs;        /* 1..VIRTIO_NET_MAX_PAIRS */
	uint8_t mac[6];
	unsigned int mtu;          /* 0: VIRTIO_NET_F_MTU not offered, 1500 assumed */
	bool csum_tso;             /* the host side takes checksum/TSO offloads */
	bool ufo;                  /* ... and UFO */
	struct virtio_net_limit rx, tx;
	struct virtio_net_backend backend;
	/* Offloaded datapath: features the vhost backend allows (queue and
	 * header bits); 0 = userspace datapath. */
	uint64_t vhost_features;
};

struct virtio_net_stats {
	uint64_t rx_frames, rx_bytes, tx_frames, tx_bytes;
	uint64_t rx_dropped;       /* larger than the guest's MTU/buffers */
	uint64_t rx_filtered;      /* not for the driver's MACs, modes or VLANs */
	uint64_t tx_dropped;       /* malformed header, too long, link down, unused pair */
	uint64_t tx_errors;        /* the host refused the frame */
	uint64_t ctrl_errors;      /* control commands refused (VIRTIO_NET_ERR) */
	uint64_t rx_throttled, tx_throttled; /* times a rate limit made a queue wait */
	uint64_t vhost_refused;    /* activations vhost-net refused (only the first is logged) */
};

struct virtio_net;

struct virtio_net_pair {
	struct virtio_net *n;
	unsigned int idx;
	int fd;
	struct event_handler handler;
	bool registered;           /* fd in the event loop */
	uint32_t events;           /* EPOLL* bits asked for */
	bool rx_stalled;           /* waiting for the driver to post rx buffers */
	bool tx_blocked;           /* the fd said EAGAIN: waiting for EPOLLOUT */
	uint8_t *rxbuf;            /* bounce buffer: header + one frame */
	uint32_t rx_len;           /* bytes of a frame held in rxbuf (0: none) */
	bool rx_charged;           /* ... already taken from the rx rate limit */
};

struct virtio_net {
	struct virtio_dev dev;     /* first: the core's view */
	struct virtio_dev_ops ops; /* per device: the queue count varies */
	struct virtio_net_config config;
	uint8_t mac[6];            /* the configured MAC, config's again at reset */
	struct net_filter filter;  /* what the driver asked to receive */
	char name[64];
	unsigned int pairs, curr_pairs;
	unsigned int mtu;
	bool csum_tso, ufo;
	uint64_t vhost_features;
	struct virtio_net_backend backend;
	struct virtio_net_pair pair[VIRTIO_NET_MAX_PAIRS];
	bool link_gone;            /* the host side failed: link down for good */
	bool rx_limit, tx_limit;   /* a rate limit is configured */
	struct rate_limiter rx_rl, tx_rl;
	bool rx_throttled, tx_throttled;
	int timer_fd;              /* rate-limit wake-up; -1 without a loop or limits */
	struct event_handler timer_handler;
	struct event_handler gone_handler; /* backend.gone_fd, when watched */
	bool gone_watched;
	uint64_t (*now_ns)(void);  /* CLOCK_MONOTONIC; tests may replace it */
	/* Offloaded datapath hooks (devices/net_vhost.c); NULL in userspace. */
	int (*vhost_start)(struct virtio_net *n);
	void (*vhost_stop)(struct virtio_net *n);
	void *vhost;
	bool vhost_on;             /* vhost serves the rx/tx queues now */
	bool destroying;           /* the transport may be gone: no reclaim */
	struct virtio_net_stats stats;
};

/* Set up n from p (the fds stay the caller's). 0, or -EINVAL (bad
 * pairs), -ENOMEM, -errno (timerfd, event loop). */
int virtio_net_init(struct virtio_net *n, const struct virtio_net_params *p,
		    const struct guest_mem *mem, struct event_loop *loop);
void virtio_net_destroy(struct virtio_net *n);

/* Serve every active pair as if its fd were readable and writable and the
 * rate-limit timer had fired: what the event loop does, for tests and
 * after a restore. */
void virtio_net_poll(struct virtio_net *n);

/* The host side is gone: link down, logged once. Any thread. */
void virtio_net_link_gone(struct virtio_net *n, int err);

/* The stable default MAC for tap `name`, device `index`: a hash of both,
 * locally administered and unicast (first octet: bit 1 set, bit 0 clear;
 * IEEE 802, 8.2). */
void virtio_net_default_mac(const char *name, unsigned int index, uint8_t mac[6]);

#endif
