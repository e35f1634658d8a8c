/* virtq: one split virtqueue (virtio 1.2 spec, 2.7 "Split Virtqueues").
 *
 * The first block of fields is the queue's configuration as the transport
 * sets it while the driver configures the queue (spec 4.1.4.3: queue_size,
 * queue_enable, queue_desc/driver/device). The rest is the device-side ring
 * state and the chain-walking API, owned by virtio/virtq.c.
 *
 * Threads: a queue is driven by one thread at a time (the device core calls
 * the device's queue_notify under dev->lock); nothing here locks.
 *
 * Usage by a device, per notification:
 *     virtq_disable_notify(vq);
 *     do {
 *         while ((r = virtq_pop(vq, segs, n, &c)) > 0)
 *             ... serve c ...; virtq_push(vq, &c, written);
 *         virtq_flush(vq); virtio_dev_signal_queue(dev, q);
 *         if (r < 0) { virtio_dev_needs_reset(dev); return; }
 *     } while (virtq_enable_notify(vq));
 *
 * Guest memory: the three rings are translated once, by virtq_start(), and
 * must stay mapped while the queue runs (whoever removes or moves guest RAM
 * resets or restarts the queue first, as vhost does with its memory table).
 * Buffers are translated on every pop through guest_mem_ptr(). */
#ifndef SKIFF_VIRTIO_VIRTQ_H
#define SKIFF_VIRTIO_VIRTQ_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_ring.h>

#include "mem/guest_mem.h"

/* Largest queue size the split ring allows (spec 2.7). */
#define VIRTQ_MAX_SIZE 32768

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
	uint16_t last_avail_idx;  /* next avail ring entry to pop */
	uint16_t used_idx;        /* next used ring slot to fill (published by virtq_flush) */
	/* VIRTIO_F_IN_ORDER: the head of the next chain. The driver uses
	 * descriptors in ring order (spec 2.7.5: starting from offset 0 in
	 * the table, wrapping at its end), so the device knows it without reading
	 * avail->ring (the vhost_net in-order series, patch 3). Saved. */
	uint16_t next_head;

	/* Set by virtq_start(); cleared by virtq_reset(). */
	bool started;
	bool event_idx;           /* VIRTIO_RING_F_EVENT_IDX negotiated */
	bool indirect;            /* VIRTIO_RING_F_INDIRECT_DESC negotiated */
	bool in_order;            /* VIRTIO_F_IN_ORDER negotiated */
	const struct guest_mem *mem;
	struct vring_desc *desc;  /* host views of the rings, checked at start */
	struct vring_avail *avail;
	struct vring_used *used;
	uint16_t shadow_avail_idx;  /* avail->idx as last read */
	uint16_t signalled_used;    /* used_idx when the driver was last considered for an interrupt */
	bool signalled_used_valid;
	/* In-order batch not yet written to the used ring (spec 2.7.9). */
	uint16_t batch_count;
	uint16_t batch_id;
	uint32_t batch_len;
};

/* One guest buffer, or the part of one that lies in one RAM region. */
struct virtq_seg {
	void *addr;       /* host pointer, valid for len bytes */
	uint32_t len;
	bool writable;    /* VRING_DESC_F_WRITE: device writes, driver reads */
};

/* What virtq_pop() found, besides the segments. Readable segments come
 * first (segs[0 .. nreadable-1]), then the writable ones. */
struct virtq_chain {
	uint16_t head;        /* id to give back to virtq_push() */
	uint16_t ndesc;       /* descriptors it takes in the table (1 when indirect) */
	uint16_t nsegs;
	uint16_t nreadable;
	uint32_t readable_len;  /* bytes the device may read */
	uint32_t writable_len;  /* bytes the device may write */
};

/* Set max_size and reset. max_size: 0 (absent) or a power of two <= 32768. */
void virtq_init(struct virtq *vq, uint16_t max_size);
/* Back to the reset values of spec 4.1.4.3 (size = max_size, not ready, no
 * addresses, no MSI-X vector) with all device-side state forgotten. */
void virtq_reset(struct virtq *vq);
/* Begin serving a configured queue under the negotiated features:
 * checks size (power of two, <= max_size), ring alignment (spec 2.7,
 * table in 2.7 "Virtqueue alignment"), and that each ring lies wholly in
 * guest RAM; keeps last_avail_idx, used_idx and next_head (restore).
 * 0, or -EINVAL when the driver's configuration is unusable. */
int virtq_start(struct virtq *vq, const struct guest_mem *mem, uint64_t features);

/* Take the next available descriptor chain.
 *
 * Contract (the guest is hostile; cf. bhyve's vq_getchain):
 *  - returns 1 and fills segs[0..c->nsegs-1] and *c; 0 when nothing is
 *    available; never blocks;
 *  - -EBADMSG, consuming nothing, when the ring or chain is malformed:
 *    avail->idx more than size ahead of last_avail_idx; head >= size; a
 *    next index >= size (or >= the indirect table's length); a chain
 *    longer than the queue size (which also catches loops, spec
 *    2.7.5.3.1/2.7.4.2); a readable descriptor after a writable one
 *    (2.7.4.2); INDIRECT without VIRTIO_RING_F_INDIRECT_DESC, with NEXT,
 *    or inside an indirect table (2.7.5.3.1); an indirect table whose
 *    length is 0 or not a multiple of 16 or that is not in guest RAM; a
 *    zero-length buffer; a buffer not wholly in guest RAM; a chain of
 *    more than 4 GiB - 1 (the used ring reports lengths in 32 bits);
 *  - -ENOBUFS, consuming nothing, when the chain is valid but needs more
 *    than max_segs segments (a buffer spanning adjacent RAM regions takes
 *    one segment per region);
 *  - -EINVAL when the queue is not started.
 * Each descriptor is read from guest memory exactly once. Every host
 * pointer returned came from guest_mem_ptr() for that exact range. The
 * caller treats -EBADMSG and -ENOBUFS as guest errors
 * (virtio_dev_needs_reset). */
int virtq_pop(struct virtq *vq, struct virtq_seg *segs, unsigned int max_segs,
	      struct virtq_chain *c);
/* Give back the chain popped last (not yet pushed), to pop it again later. */
void virtq_unpop(struct virtq *vq, const struct virtq_chain *c);

/* Return a popped chain to the driver with len bytes written (clamped to
 * c->writable_len). Not visible to the driver until virtq_flush().
 * With VIRTIO_F_IN_ORDER the caller pushes chains in the order it popped
 * them; consecutive pushes form one batch that takes ONE used ring entry
 * (the last chain's id and length, spec 2.7.9). A chain pushed with len <
 * its writable_len ends its batch, so that every buffer the driver infers
 * from a batch without its own entry was written in full. */
void virtq_push(struct virtq *vq, const struct virtq_chain *c, uint32_t len);
/* Publish pushed chains: write the pending in-order batch entry, then
 * used->idx with release semantics (spec 2.7.8). */
void virtq_flush(struct virtq *vq);
/* After virtq_flush(): does the driver want an interrupt for what was
 * published since the last call? VRING_AVAIL_F_NO_INTERRUPT without
 * EVENT_IDX (2.7.7), used_event with it (2.7.10). */
bool virtq_should_signal(struct virtq *vq);

/* Driver-to-device notification suppression (2.7.7, 2.7.10): disable
 * before draining; enable after, and pop again while it returns true
 * (buffers arrived before the driver could see notifications were on). */
void virtq_disable_notify(struct virtq *vq);
bool virtq_enable_notify(struct virtq *vq);

#endif
