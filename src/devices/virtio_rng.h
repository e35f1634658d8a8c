/* virtio-rng: an entropy source for the guest (virtio 1.2 spec, 5.4).
 *
 * One request queue. The driver posts device-writable buffers; the device
 * fills them from getrandom(2) on the event loop thread (queue
 * notifications arrive there) and returns them. No feature bits, no config
 * space, no device state beyond the core's. */
#ifndef SKIFF_DEVICES_VIRTIO_RNG_H
#define SKIFF_DEVICES_VIRTIO_RNG_H

#include <stdint.h>

#include "virtio/device.h"

/* Most bytes given per buffer: spec 5.4.6.1 lets the device use less than a
 * buffer's length, and this bounds the time one request takes on the event
 * loop however large the guest's buffer. */
#define VIRTIO_RNG_MAX_PER_REQUEST 65536u
/* Queue size offered (spec 5.4.2: one queue, "requestq"). */
#define VIRTIO_RNG_QUEUE_SIZE 256u

struct virtio_rng {
	struct virtio_dev dev;   /* first: the transport sees only this */
	uint64_t bytes;          /* random bytes handed to the guest */
	uint64_t requests;       /* buffers completed */
};

/* Create a virtio-rng device on guest memory mem, notified on loop.
 * *out is freed with virtio_rng_destroy(). 0, -ENOMEM or -errno. */
int virtio_rng_create(const struct guest_mem *mem, struct event_loop *loop,
		      struct virtio_rng **out);
void virtio_rng_destroy(struct virtio_rng *rng);

#endif
