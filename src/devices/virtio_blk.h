/* virtio_blk: a virtio block device (virtio 1.2 spec 5.2) on a raw image
 * file, with one or more request queues (VIRTIO_BLK_F_MQ). Requests are
 * parsed and run by blk_req on the io_uring engine (disk_io), off the vCPU
 * threads; completions come back on the event loop and are returned to the
 * driver in the order their chains were made available, which is what
 * VIRTIO_F_IN_ORDER promises (2.7.9) and costs nothing otherwise. */
#ifndef SKIFF_DEVICES_VIRTIO_BLK_H
#define SKIFF_DEVICES_VIRTIO_BLK_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_blk.h>

#include "devices/blk_req.h"
#include "virtio/device.h"

#define VIRTIO_BLK_QUEUE_SIZE 256
#define VIRTIO_BLK_MAX_QUEUES 8

/* Requests of one queue, in the order they were popped. */
struct virtio_blk_queue {
	struct blk_request *reqs;   /* VIRTIO_BLK_QUEUE_SIZE slots, a ring */
	struct virtq_chain *chains; /* the chain of each slot, for virtq_push */
	uint16_t head, count;       /* oldest in-flight slot, slots in use */
	bool stalled;               /* the disk queue was full: resume on completion */
	bool unflushed;             /* pushed, not yet published to the driver */
};

struct virtio_blk {
	struct virtio_dev dev;      /* first: the core's view */
	struct blk_disk disk;
	struct virtio_blk_config config;
	uint16_t num_queues;
	struct virtio_blk_queue queues[VIRTIO_BLK_MAX_QUEUES];
};

/* Open path as a disk with num_queues queues (1..VIRTIO_BLK_MAX_QUEUES).
 * serial: up to 20 bytes for GET_ID. Returns 0, or -errno from opening the
 * image (the caller names the file in its message), -EINVAL for an image
 * whose size is not a multiple of 512 bytes. */
int virtio_blk_init(struct virtio_blk *b, const char *path, bool readonly, const char *serial,
		    uint16_t num_queues, const struct guest_mem *mem, struct event_loop *loop);
void virtio_blk_destroy(struct virtio_blk *b);

#endif
