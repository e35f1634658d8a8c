#include "devices/virtio_blk.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "util/container_of.h"
#define BLK_MAX_CHAIN_SEGS (BLK_SEG_MAX + 2) /* header + data + status */
/* Passes over a queue (each at most VIRTIO_BLK_QUEUE_SIZE requests) per
 * notification before the event loop gets to others. */
#define BLK_ROUNDS 4

static struct virtio_blk *to_blk(struct virtio_dev *d)
{
	return container_of(d, struct virtio_blk, dev);
}

static uint64_t blk_features(struct virtio_dev *d)
{
	struct virtio_blk *b = to_blk(d);
	uint64_t f = 1ULL << VIRTIO_BLK_F_SEG_MAX | 1ULL << VIRTIO_BLK_F_BLK_SIZE |
		     1ULL << VIRTIO_BLK_F_FLUSH;

	if (b->num_queues > 1)
		f |= 1ULL << VIRTIO_BLK_F_MQ;
	if (b->disk.io.readonly)
		f |= 1ULL << VIRTIO_BLK_F_RO; /* the guest sees a read-only disk */
	else
		f |= 1ULL << VIRTIO_BLK_F_DISCARD | 1ULL << VIRTIO_BLK_F_WRITE_ZEROES;
	return f;
}

static void blk_config_read(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len)
{
	memcpy(buf, (uint8_t *)&to_blk(d)->config + off, len);
}

/* Publish what was pushed on queue qi and interrupt the driver. */
static void publish(struct virtio_blk *b, uint16_t qi)
{
	if (!b->queues[qi].unflushed)
		return;
	b->queues[qi].unflushed = false;
	virtq_flush(&b->dev.queues[qi]);
	virtio_dev_signal_queue(&b->dev, qi);
}

/* Push finished requests at the head of q's order back to the driver: in
 * order, so an in-order batch is never reported before an earlier buffer.
 * Publishing waits for the caller (publish()), so that requests finishing
 * together share one used entry under VIRTIO_F_IN_ORDER and one interrupt. */
static void complete_in_order(struct virtio_blk *b, uint16_t qi)
{
	struct virtio_blk_queue *q = &b->queues[qi];
	struct virtq *vq = &b->dev.queues[qi];

	while (q->count && q->reqs[q->head].done) {
		struct blk_request *r = &q->reqs[q->head];

		/* Orphans were in flight across a reset: their chain belongs to
		 * the old ring, so they only free their slot. */
		if (!r->orphan) {
			virtq_push(vq, &q->chains[q->head], r->used_len);
			q->unflushed = true;
		}
		q->head = (uint16_t)((q->head + 1) % VIRTIO_BLK_QUEUE_SIZE);
		q->count--;
	}
}

/* Pop and start requests until the ring is empty or we must wait.
 * Returns -1 when the device was marked DEVICE_NEEDS_RESET. */
static int fill(struct virtio_blk *b, uint16_t qi)
{
	struct virtio_blk_queue *q = &b->queues[qi];
	struct virtq *vq = &b->dev.queues[qi];
	struct virtq_seg segs[BLK_MAX_CHAIN_SEGS];
	struct iovec iov[BLK_MAX_CHAIN_SEGS];

	q->stalled = false;
	while (q->count < VIRTIO_BLK_QUEUE_SIZE) {
		uint16_t slot = (uint16_t)((q->head + q->count) % VIRTIO_BLK_QUEUE_SIZE);
		struct virtq_chain *c = &q->chains[slot];
		struct blk_request *r = &q->reqs[slot];
		int n = virtq_pop(vq, segs, BLK_MAX_CHAIN_SEGS, c), s;

		if (n == 0)
			break;
		if (n < 0) {
			virtio_dev_needs_reset(&b->dev);
			break;
		}
		for (unsigned int i = 0; i < c->nsegs; i++)
			iov[i] = (struct iovec){ segs[i].addr, segs[i].len };
		r->done = false;
		r->orphan = false;
		r->queue = qi;
		s = blk_req_start(&b->disk, r, iov, c->nsegs, c->nreadable);
		if (s == -EAGAIN) {
			virtq_unpop(vq, c);
			q->stalled = true;
			break;
		}
		if (s == -EPROTO) { /* no status byte: nothing can be answered */
			virtio_dev_needs_reset(&b->dev);
			break;
		}
		r->done = s == 1;
		q->count++;
	}
	/* Every slot in flight: a hostile driver can still have made more
	 * chains available (reusing heads), and looking again before a
	 * completion frees a slot would spin; completions resume the queue. */
	if (q->count == VIRTIO_BLK_QUEUE_SIZE)
		q->stalled = true;
	/* Whatever was queued goes to the kernel, even when the ring turned
	 * out malformed further on: those requests must still complete. */
	disk_io_submit(&b->disk.io);
	return (b->dev.status & VIRTIO_CONFIG_S_NEEDS_RESET) ? -1 : 0;
}

static void blk_queue_notify(struct virtio_dev *d, uint16_t qi)
{
	struct virtio_blk *b = to_blk(d);
	struct virtq *vq = &d->queues[qi];

	unsigned int rounds = 0;

	if (qi >= b->num_queues)
		return;
	virtq_disable_notify(vq);
	do {
		if (fill(b, qi) < 0)
			return;
		complete_in_order(b, qi);
		publish(b, qi);
		if (!b->queues[qi].stalled && ++rounds == BLK_ROUNDS) {
			/* Requests that complete at once (refused ones) free
			 * their slots in the same round: a driver that keeps
			 * sending them must not keep the event loop. */
			virtio_dev_notify_again(d, qi);
			return;
		}
	} while (!b->queues[qi].stalled && virtq_enable_notify(vq));
}

/* disk_io finished a request (event loop thread). */
static void request_complete(struct blk_request *r)
{
	struct blk_disk *disk = r->disk;
	struct virtio_blk *b = container_of(disk, struct virtio_blk, disk);

	pthread_mutex_lock(&b->dev.lock);
	r->done = true;
	complete_in_order(b, r->queue);
	pthread_mutex_unlock(&b->dev.lock);
}

/* A batch of disk completions was handled: publish, and resume queues that
 * waited for room in the disk's queue. */
static void requests_reaped(struct disk_io *io)
{
	struct virtio_blk *b = container_of(io, struct virtio_blk, disk.io);

	pthread_mutex_lock(&b->dev.lock);
	for (uint16_t qi = 0; qi < b->num_queues; qi++) {
		publish(b, qi);
		if (b->queues[qi].stalled && (b->dev.status & VIRTIO_CONFIG_S_DRIVER_OK))
			blk_queue_notify(&b->dev, qi);
	}
	pthread_mutex_unlock(&b->dev.lock);
}

static void blk_reset(struct virtio_dev *d)
{
	struct virtio_blk *b = to_blk(d);

	/* Disk operations in flight cannot be recalled from io_uring, and their
	 * request slots stay theirs until they complete: mark them orphans,
	 * which free their slot without touching the new ring. */
	for (uint16_t i = 0; i < b->num_queues; i++) {
		struct virtio_blk_queue *q = &b->queues[i];

		for (uint16_t k = 0; k < q->count; k++)
			q->reqs[(q->head + k) % VIRTIO_BLK_QUEUE_SIZE].orphan = true;
		q->stalled = false;
		q->unflushed = false;
	}
}

static const struct virtio_dev_ops blk_ops_template = {
	.name = "virtio-blk",
	.device_id = 2, /* VIRTIO_ID_BLOCK */
	.queue_max_size = VIRTIO_BLK_QUEUE_SIZE,
	.config_size = sizeof(struct virtio_blk_config),
	.features = blk_features,
	.config_read = blk_config_read,
	.reset = blk_reset,
	.queue_notify = blk_queue_notify,
};

int virtio_blk_init(struct virtio_blk *b, const char *path, bool readonly, const char *serial,
		    uint16_t num_queues, const struct guest_mem *mem, struct event_loop *loop)
{
	struct virtio_dev_ops *ops;
	int r;

	memset(b, 0, sizeof(*b));
	if (num_queues == 0 || num_queues > VIRTIO_BLK_MAX_QUEUES)
		return -EINVAL;
	b->num_queues = num_queues;
	r = disk_io_open(&b->disk.io, path, readonly, VIRTIO_BLK_QUEUE_SIZE * num_queues, loop);
	if (r < 0)
		return r;
	if (b->disk.io.size % 512) {
		disk_io_close(&b->disk.io);
		return -EINVAL;
	}
	b->disk.sectors = b->disk.io.size / 512;
	b->disk.io.reaped = requests_reaped;
	/* GET_ID gives 20 bytes, NUL-padded and not NUL-terminated when full. */
	memcpy(b->disk.serial, serial, strnlen(serial, sizeof(b->disk.serial)));
	for (uint16_t i = 0; i < num_queues; i++) {
		b->queues[i].reqs = calloc(VIRTIO_BLK_QUEUE_SIZE, sizeof(*b->queues[i].reqs));
		b->queues[i].chains = calloc(VIRTIO_BLK_QUEUE_SIZE, sizeof(*b->queues[i].chains));
		if (!b->queues[i].reqs || !b->queues[i].chains) {
			virtio_blk_destroy(b);
			return -ENOMEM;
		}
		for (unsigned int j = 0; j < VIRTIO_BLK_QUEUE_SIZE; j++)
			b->queues[i].reqs[j].complete = request_complete;
	}
	blk_req_config(&b->disk, num_queues, &b->config);
	/* The ops carry the queue count, which is per device. */
	ops = malloc(sizeof(*ops));
	if (!ops) {
		virtio_blk_destroy(b);
		return -ENOMEM;
	}
	*ops = blk_ops_template;
	ops->num_queues = num_queues;
	r = virtio_dev_init(&b->dev, ops, mem, loop);
	if (r < 0) {
		free(ops);
		virtio_blk_destroy(b);
	}
	return r;
}

void virtio_blk_destroy(struct virtio_blk *b)
{
	/* First: closing waits for in-flight requests, whose completions
	 * still take the device lock. */
	disk_io_close(&b->disk.io);
	if (b->dev.ops) {
		virtio_dev_destroy(&b->dev);
		free((void *)b->dev.ops);
		b->dev.ops = NULL;
	}
	for (uint16_t i = 0; i < VIRTIO_BLK_MAX_QUEUES; i++) {
		free(b->queues[i].reqs);
		free(b->queues[i].chains);
		b->queues[i].reqs = NULL;
		b->queues[i].chains = NULL;
	}
}
