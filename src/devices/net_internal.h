/* net_internal: what the pieces of the virtio-net device (virtio_net.c:
 * device model and event loop; net_datapath.c: rx and tx; net_ctrl.c: the
 * control queue) call in each other. Every function runs with dev.lock
 * held, on the event loop thread unless said otherwise. */
#ifndef SKIFF_DEVICES_NET_INTERNAL_H
#define SKIFF_DEVICES_NET_INTERNAL_H

#include "devices/net_hdr.h"
#include "devices/virtio_net.h"

/* A pair's bounce buffer: a header and the largest frame, and some more
 * so that a longer (truncated) read shows as too long. */
#define NET_RXBUF_SIZE (NET_HDR_LEN + NET_MAX_FRAME + 64)

/* Queue indexes (5.1.2): rx of pair i at 2i, tx at 2i+1; the control
 * queue at 2 * max_virtqueue_pairs with VIRTIO_NET_F_MQ, else at 2. */
static inline uint16_t net_rxq(unsigned int pair) { return (uint16_t)(2 * pair); }
static inline uint16_t net_txq(unsigned int pair) { return (uint16_t)(2 * pair + 1); }
uint16_t net_ctrlq(const struct virtio_net *n);

/* The device is DRIVER_OK, not NEEDS_RESET, and serves pairs itself
 * (not vhost). */
bool net_userspace_live(const struct virtio_net *n);
/* Ask the event loop for what pair p waits on now (EPOLLIN for frames
 * when it can take them, EPOLLOUT when a write was refused). */
void net_pair_update_events(struct virtio_net *n, struct virtio_net_pair *p);
/* A rate limit needs wait_ns before the next frame: arm the timer. */
void net_throttle(struct virtio_net *n, uint64_t wait_ns);

/* Move frames from the fd into rx buffers / tx chains to the fd. */
void net_rx_run(struct virtio_net *n, struct virtio_net_pair *p);
void net_tx_run(struct virtio_net *n, struct virtio_net_pair *p);

/* Serve the control queue (5.1.6.5). */
void net_ctrl_run(struct virtio_net *n);
/* VIRTIO_NET_CTRL_MQ_VQ_PAIRS_SET: use pairs 0..k-1 (1 <= k <= pairs). */
void net_set_curr_pairs(struct virtio_net *n, unsigned int k);
/* Offloads the driver takes on rx (VIRTIO_NET_F_GUEST_* bits) to the tap. */
int net_apply_guest_offloads(struct virtio_net *n, uint64_t guest_features);

#endif
