/* blk_req: one virtio-blk request (virtio 1.2 spec 5.2.6 "Device
 * Operation"), from a descriptor chain to the disk and back: parses the
 * header however the driver split it across descriptors, checks every
 * sector range against the capacity, runs the operation on disk_io and
 * writes the status byte. Transport- and queue-agnostic: the caller turns
 * the chain into iovecs (readable ones first, as spec 2.7.4.2 requires) and
 * gets the request back through complete().
 *
 * Guest mistakes get the status the spec gives them (IOERR or UNSUPP);
 * only a chain without a writable status byte cannot be answered, and is
 * reported so the caller can mark the device DEVICE_NEEDS_RESET. */
#ifndef SKIFF_DEVICES_BLK_REQ_H
#define SKIFF_DEVICES_BLK_REQ_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>
#include <linux/virtio_blk.h>

#include "devices/disk_io.h"

#define BLK_SECTOR_SHIFT 9
/* Data segments per request we accept; advertised as seg_max. */
#define BLK_SEG_MAX 126
/* Largest discard / write-zeroes range, in sectors (advertised). */
#define BLK_MAX_DISCARD_SECTORS (1u << 22)

struct blk_disk {
	struct disk_io io;
	uint64_t sectors;                    /* capacity */
	char serial[VIRTIO_BLK_ID_BYTES];    /* GET_ID answer, NUL-padded */
	unsigned long guest_errors;          /* requests answered IOERR/UNSUPP */
};

struct blk_request {
	struct disk_io_req io;   /* disk_io's callback; keep first */
	/* Set by the owner: called once the status byte is written, for a
	 * request that blk_req_start() queued (returned 0). */
	void (*complete)(struct blk_request *r);
	struct blk_disk *disk;
	uint8_t *status;         /* where the status byte goes */
	uint32_t used_len;       /* bytes written into device-writable buffers */
	uint32_t expect;         /* bytes the disk operation must transfer */
	struct iovec data[BLK_SEG_MAX];
	/* Owner's bookkeeping, untouched here. */
	uint16_t queue;
	bool done;
	bool orphan;             /* its device was reset while it was in flight */
};

/* Start the request in seg[0..nseg) of which the first nreadable are
 * device-readable. Returns:
 *   1        finished at once (status written; complete() is not called),
 *   0        queued on disk->io (complete() runs when it finishes),
 *   -EAGAIN  the disk's queue is full; nothing was written, retry later,
 *   -EPROTO  no writable status byte: cannot be answered (device needs reset). */
int blk_req_start(struct blk_disk *disk, struct blk_request *r, const struct iovec *seg,
		  unsigned int nseg, unsigned int nreadable);

/* Fill the device config (spec 5.2.4) for this disk. */
void blk_req_config(const struct blk_disk *disk, uint16_t num_queues,
		    struct virtio_blk_config *cfg);

#endif
