/* net_vhost: the offloaded datapath of virtio-net. One /dev/vhost-net per
 * queue pair, each bound to that pair's tap fd (VHOST_NET_SET_BACKEND),
 * serves the pair's receiveq and transmitq in the kernel; kicks and
 * interrupts go between KVM and vhost directly (virtio_dev_queue_offload).
 * skiff keeps the control queue, config space and link state
 * (Documentation/virt/... and include/uapi/linux/vhost.h). */
#ifndef SKIFF_DEVICES_NET_VHOST_H
#define SKIFF_DEVICES_NET_VHOST_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/virtio_net.h"
#include "virtio/vhost.h"

/* What the current activation did to one queue of a pair, so that a stop
 * (reset, or a failed start) undoes exactly that. */
struct net_vhost_queue {
	bool offloaded;            /* virtio_dev_queue_offload() took its kicks */
	bool started;              /* its vring runs in the backend */
};

struct net_vhost {
	struct vhost_backend be[VIRTIO_NET_MAX_PAIRS];
	unsigned int pairs;
	bool demanded;             /* vhost=on: a refusal at activation is fatal */
	bool refusal_logged;       /* the first refusal was logged; later ones are counted */
	struct net_vhost_queue q[VIRTIO_NET_MAX_PAIRS][2]; /* [pair][0 rx, 1 tx] */
	uint64_t features;         /* offered by every backend */
};

/* Open one backend per pair. 0 with v->features set, or -errno (nothing
 * left open, nothing logged: the caller says whether it falls back). */
int net_vhost_open(struct net_vhost *v, unsigned int pairs, bool demanded);
void net_vhost_close(struct net_vhost *v);
/* Let n's activation start v (n was initialised with
 * params.vhost_features = v->features). */
void net_vhost_attach(struct net_vhost *v, struct virtio_net *n);

#endif
