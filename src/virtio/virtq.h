/* virtq: one split virtqueue (virtio 1.2 spec, 2.7 "Split Virtqueues").
 *
 * The first block of fields is the queue's configuration as the transport
 * sets it while the driver configures the queue (spec 4.1.4.3: queue_size,
 * queue_enable, queue_desc/driver/device). The rest is the device-side ring
 * state and the chain-walking API, owned by virtio/virtq.c. */
#ifndef SKIFF_VIRTIO_VIRTQ_H
#define SKIFF_VIRTIO_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>

#include "mem/guest_mem.h"

struct virtq {
	/* Configuration (transport-visible). */
	uint16_t max_size;     /* what the device supports; 0 = queue absent */
	uint16_t size;         /* what the driver chose: power of two <= max_size */
	bool ready;            /* queue_enable */
	uint64_t desc_gpa;     /* descriptor table */
	uint64_t avail_gpa;    /* driver area */
	uint64_t used_gpa;     /* device area */
	uint16_t msix_vector;  /* transport's interrupt vector for this queue */

	/* Device-side state (virtio/virtq.c). */
	uint16_t last_avail_idx;
	uint16_t used_idx;
};

#endif
