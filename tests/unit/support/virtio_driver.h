/* virtio_driver: the driver side of virtqueues and devices, in fake guest
 * memory, for unit tests, the fuzz corpus and benchmarks (like
 * virtio-queue's mock.rs). It writes rings and descriptors the way a guest
 * driver does (virtio 1.2 spec 2.7.13, 3.1.1) and reads back what the
 * device wrote. Nothing here checks results: callers assert.
 *
 * Layout of vdrv_mem: RAM from 0; rings where the caller says; buffers and
 * indirect tables from a bump allocator starting at VDRV_HEAP. */
#ifndef TESTS_VIRTIO_DRIVER_H
#define TESTS_VIRTIO_DRIVER_H

#include <stdbool.h>
#include <stdint.h>

#include "mem/guest_mem.h"
#include "virtio/device.h"
#include "virtio/virtq.h"

#define VDRV_RAM   (16u << 20)
#define VDRV_HEAP  (4u << 20)
#define VDRV_MAX_QUEUES 8
#define VDRV_RING_MAX 1024            /* largest ring the harness drives */
#define VDRV_RINGS 0x100000u          /* queue q's rings at VDRV_RINGS + q * 64 KiB */

struct vdrv_mem {
	struct guest_mem mem;
	uint64_t brk;
};

/* 16 MiB of guest RAM in one region (or two adjacent regions at split
 * when split != 0, to test buffers spanning regions). 0 or -errno. */
int vdrv_mem_init(struct vdrv_mem *m, uint64_t split);
void vdrv_mem_destroy(struct vdrv_mem *m);
/* Bump-allocate len bytes (aligned to 16) of zeroed guest memory. */
uint64_t vdrv_alloc(struct vdrv_mem *m, uint64_t len);
void *vdrv_host(struct vdrv_mem *m, uint64_t gpa, uint64_t len);

/* One buffer of a chain as the driver sees it. */
struct vdrv_buf {
	uint64_t gpa;
	uint32_t len;
	bool write;
};

struct vdrv_ring {
	struct vdrv_mem *m;
	uint16_t size;
	uint64_t desc, avail, used;
	bool in_order;       /* read used entries per batch (2.7.9) */
	uint16_t avail_idx;  /* next avail index the driver writes */
	uint16_t next_desc;  /* descriptors are handed out in ring order (2.7.5) */
	uint16_t free_desc;
	uint16_t last_used;
	/* Per head: descriptors taken, writable bytes; and heads in avail order. */
	uint16_t head_ndesc[VDRV_RING_MAX];
	uint32_t head_wlen[VDRV_RING_MAX];
	uint16_t order[VDRV_RING_MAX];
	uint16_t batch_last;  /* in-order: id of the batch being returned */
	uint32_t batch_len;
	bool in_batch;
};

/* Lay the three rings out contiguously from base (aligned as spec 2.7
 * asks) and zero them. */
void vdrv_ring_init(struct vdrv_ring *r, struct vdrv_mem *m, uint16_t size, uint64_t base);
/* Copy the ring's configuration into vq (size, addresses, ready). */
void vdrv_ring_configure(const struct vdrv_ring *r, struct virtq *vq);
/* Write a chain of n buffers into the descriptor table (as one indirect
 * table if indirect) without making it available. The head, or -ENOSPC. */
int vdrv_add(struct vdrv_ring *r, const struct vdrv_buf *bufs, unsigned int n, bool indirect);
/* Write descriptor idx of the table as given: for hostile chains. */
void vdrv_set_desc(struct vdrv_ring *r, uint16_t idx, uint64_t addr, uint32_t len,
		   uint16_t flags, uint16_t next);
/* Put head in the avail ring and publish avail->idx (release). */
void vdrv_publish(struct vdrv_ring *r, uint16_t head);
/* Store avail->idx directly (hostile tests). */
void vdrv_set_avail_idx(struct vdrv_ring *r, uint16_t idx);
/* Next used buffer: 1 with *id, *len; 0 when none. With in_order, one used
 * entry stands for a batch: the buffers before the entry's id report their
 * full writable length, the last one the entry's length. */
int vdrv_get_used(struct vdrv_ring *r, uint16_t *id, uint32_t *len);
uint16_t vdrv_used_idx(const struct vdrv_ring *r);
struct vring_used_elem vdrv_used_elem(const struct vdrv_ring *r, uint16_t slot);
uint16_t vdrv_used_flags(const struct vdrv_ring *r);
uint16_t vdrv_avail_event(const struct vdrv_ring *r);
void vdrv_set_used_event(struct vdrv_ring *r, uint16_t v);
void vdrv_set_avail_flags(struct vdrv_ring *r, uint16_t v);

/* A recording fake transport. It lends no queues (virtio_dev_queue_offload
 * says -ENOTSUP) unless vdrv_lend_queues() says so. */
struct vdrv_transport {
	struct virtio_transport t;
	unsigned int queue_irqs[VIRTIO_MAX_QUEUES];
	unsigned int config_irqs;
	unsigned int notify_again[VIRTIO_MAX_QUEUES]; /* virtio_dev_notify_again calls */
	/* With vdrv_lend_queues(): calls of queue_offload and queue_reclaim
	 * per queue, and what queue_offload answers for q (0, or -errno as
	 * the PCI transport's -ENXIO for a queue without an MSI-X vector). */
	unsigned int offloads[VIRTIO_MAX_QUEUES], reclaims[VIRTIO_MAX_QUEUES];
	int offload_err[VIRTIO_MAX_QUEUES];
};
void vdrv_transport_init(struct vdrv_transport *t);

/* The kick and call "eventfds" a lent queue q gets: numbers that name q,
 * never open files (only a fake backend sees them). */
#define VDRV_KICK_FD(q) (1000 + (int)(q))
#define VDRV_CALL_FD(q) (2000 + (int)(q))

/* A driver bound to one device: recording transport, one ring per queue. */
struct vdrv {
	struct virtio_dev *d;
	struct vdrv_mem *m;
	struct vdrv_transport tr;
	struct vdrv_ring rings[VDRV_MAX_QUEUES];
};

/* Attach to d and install the recording transport. */
void vdrv_attach(struct vdrv *v, struct virtio_dev *d, struct vdrv_mem *m);
/* After vdrv_attach: the transport lends queues (queue_offload,
 * queue_reclaim), recording each call in v->tr. */
void vdrv_lend_queues(struct vdrv *v);
/* Spec 3.1.1 steps 1-6: reset, ACKNOWLEDGE, DRIVER, write features,
 * FEATURES_OK. Returns the status read back (FEATURES_OK clear = refused). */
uint8_t vdrv_negotiate(struct vdrv *v, uint64_t features);
/* Step 7 for queue q: select, size (<= VDRV_RING_MAX), ring addresses
 * (VDRV_RINGS + q * 64 KiB), enable, as the PCI transport would. */
void vdrv_setup_queue(struct vdrv *v, uint16_t q, uint16_t size);
/* Step 8: DRIVER_OK. Returns the status read back. */
uint8_t vdrv_driver_ok(struct vdrv *v);
/* negotiate + every queue of the device at size + DRIVER_OK. */
uint8_t vdrv_bring_up(struct vdrv *v, uint64_t features, uint16_t size);
/* The device offers these features (both 32-bit halves read). */
uint64_t vdrv_device_features(struct vdrv *v);
/* Notify queue q (what an ioeventfd write ends in). */
void vdrv_kick(struct vdrv *v, uint16_t q);

#endif
