/* vsock_vhost: virtio-vsock's rx and tx queues in the kernel's vhost-vsock
 * (drivers/vhost/vsock.c; ioctls in <linux/vhost.h>). Host processes then
 * reach the guest with AF_VSOCK directly. skiff keeps the event queue.
 *
 * vsock_vhost_open() claims the guest CID at start-up
 * (VHOST_VSOCK_SET_GUEST_CID: -EADDRINUSE when another VM holds it);
 * activate hands the two queues over through virtio_dev_queue_offload()
 * and sets the backend running; stop takes them back (reset, destroy).
 * Generic vhost steps are virtio/vhost.h's. */
#ifndef SKIFF_DEVICES_VSOCK_VHOST_H
#define SKIFF_DEVICES_VSOCK_VHOST_H

#include <stdint.h>

#include "devices/virtio_vsock.h"

/* Open /dev/vhost-vsock and claim cid. 0 or -errno (-ENOENT: no vhost-vsock
 * on this host; -EADDRINUSE: the CID is taken). */
int vsock_vhost_open(struct virtio_vsock *v, uint64_t cid);
void vsock_vhost_close(struct virtio_vsock *v);
/* Feature bits vhost-vsock can serve (VHOST_GET_FEATURES). */
uint64_t vsock_vhost_features(const struct virtio_vsock *v);
/* DRIVER_OK: features, memory table, rx/tx vrings, running. 0 or -errno. */
int vsock_vhost_start(struct virtio_vsock *v);
/* Stop the vrings (bringing their indexes back) and give the kicks back. */
void vsock_vhost_stop(struct virtio_vsock *v);

#endif
