/* virtio-rng (virtio 1.2 spec, 5.4): see virtio_rng.h. */
#include "devices/virtio_rng.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>
#include <linux/virtio_ids.h>

/* Segments one request may take: a chain is at most the queue size long
 * (2.7.5.3.1); a buffer spanning adjacent RAM regions adds a few. */
#define RNG_MAX_SEGS (VIRTIO_RNG_QUEUE_SIZE + 8)
/* Requests served per pass (at most 64 KiB each) before the event loop
 * gets to others; more waits for virtio_dev_notify_again. */
#define RNG_BUDGET 64

static struct virtio_rng *to_rng(struct virtio_dev *d)
{
	return (struct virtio_rng *)d;
}

static uint64_t rng_features(struct virtio_dev *d)
{
	(void)d;
	return 0;   /* 5.4.3: none */
}

/* Fill up to max bytes of p. Returns the bytes written, or -errno when none
 * could be (-EAGAIN: the host pool is not initialised yet). */
static ssize_t fill(void *p, size_t len)
{
	size_t done = 0;

	while (done < len) {
		/* GRND_NONBLOCK: never stall the event loop on a host whose
		 * pool is still uninitialised (early boot). */
		ssize_t n = getrandom((char *)p + done, len - done, GRND_NONBLOCK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return done ? (ssize_t)done : -errno;
		done += (size_t)n;
	}
	return (ssize_t)done;
}

/* Serve one chain; the number of bytes written, or <0 to retry later. */
static ssize_t serve(const struct virtq_seg *segs, const struct virtq_chain *c)
{
	size_t budget = VIRTIO_RNG_MAX_PER_REQUEST, written = 0;

	/* 5.4.6.2 has the driver post only writable buffers; readable ones
	 * are skipped, not trusted. */
	for (unsigned int i = c->nreadable; i < c->nsegs && budget; i++) {
		size_t want = segs[i].len < budget ? segs[i].len : budget;
		ssize_t n = fill(segs[i].addr, want);

		if (n < 0)
			return written ? (ssize_t)written : n;
		written += (size_t)n;
		budget -= (size_t)n;
		if ((size_t)n < want)
			break;
	}
	return (ssize_t)written;
}

static void rng_notify(struct virtio_dev *d, uint16_t q)
{
	struct virtio_rng *rng = to_rng(d);
	struct virtq *vq = &d->queues[q];
	struct virtq_seg segs[RNG_MAX_SEGS];
	struct virtq_chain c;
	unsigned int budget = RNG_BUDGET;
	int r = 0;

	virtq_disable_notify(vq);
	do {
		while (budget && (r = virtq_pop(vq, segs, RNG_MAX_SEGS, &c)) > 0) {
			ssize_t n = c.writable_len ? serve(segs, &c) : 0;

			if (n < 0) {
				/* No entropy yet: leave the buffer for the next
				 * notification rather than returning nothing
				 * (5.4.6.1 asks for at least one byte). */
				virtq_unpop(vq, &c);
				virtq_flush(vq);
				virtio_dev_signal_queue(d, q);
				virtq_enable_notify(vq);
				return;
			}
			virtq_push(vq, &c, (uint32_t)n);
			rng->bytes += (uint64_t)n;
			rng->requests++;
			budget--;
		}
		virtq_flush(vq);
		virtio_dev_signal_queue(d, q);
		if (r < 0) {
			virtio_dev_needs_reset(d);
			return;
		}
		if (!budget) {
			virtio_dev_notify_again(d, q);
			return;
		}
	} while (virtq_enable_notify(vq));
}

static const struct virtio_dev_ops rng_ops = {
	.name = "virtio-rng",
	.device_id = VIRTIO_ID_RNG,
	.num_queues = 1,
	.queue_max_size = VIRTIO_RNG_QUEUE_SIZE,
	.config_size = 0,
	.features = rng_features,
	.queue_notify = rng_notify,
};

int virtio_rng_create(const struct guest_mem *mem, struct event_loop *loop,
		      struct virtio_rng **out)
{
	struct virtio_rng *rng = calloc(1, sizeof(*rng));
	int r;

	if (!rng)
		return -ENOMEM;
	r = virtio_dev_init(&rng->dev, &rng_ops, mem, loop);
	if (r < 0) {
		free(rng);
		return r;
	}
	*out = rng;
	return 0;
}

void virtio_rng_destroy(struct virtio_rng *rng)
{
	if (!rng)
		return;
	virtio_dev_destroy(&rng->dev);
	free(rng);
}
