/* bench/virtq: the virtqueue datapath in-process, through the device core,
 * with the test driver (tests/unit/support/virtio_driver.c) as the guest.
 *
 * Request shape: 1 readable descriptor (16-byte header) + 1 writable one
 * (16 bytes), like virtio-blk's header/status or virtio-rng. The driver
 * makes BATCH requests available, notifies only when the device asks
 * (avail_event / NO_NOTIFY), reaps every used buffer and keeps interrupts
 * enabled (used_event = next unseen entry); the device copies
 * the header into the writable buffer and completes it. Four variants:
 * IN_ORDER off/on x EVENT_IDX off/on.
 *
 *   build/bench/virtq [requests [repeats [variant]]]
 * prints requests/s (median of repeats), notifications and interrupts per
 * request. For instructions per request run it under
 * valgrind --tool=callgrind with two request counts and subtract (see
 * bench/README.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "support/virtio_driver.h"
#include "virtio/device.h"

#define QSIZE 256
#define BATCH 16
#define HDR   16

struct echo {
	struct virtio_dev d;
	uint64_t done;
};

static uint64_t echo_features(struct virtio_dev *d)
{
	(void)d;
	return 0;
}

static void echo_notify(struct virtio_dev *d, uint16_t q)
{
	struct virtq *vq = &d->queues[q];
	struct virtq_seg segs[4];
	struct virtq_chain c;
	int r;

	virtq_disable_notify(vq);
	do {
		while ((r = virtq_pop(vq, segs, 4, &c)) > 0) {
			if (c.nsegs == 2 && c.nreadable == 1)
				memcpy(segs[1].addr, segs[0].addr,
				       segs[0].len < segs[1].len ? segs[0].len : segs[1].len);
			virtq_push(vq, &c, c.writable_len);
			((struct echo *)d)->done++;
		}
		virtq_flush(vq);
		virtio_dev_signal_queue(d, q);
		if (r < 0) {
			virtio_dev_needs_reset(d);
			return;
		}
	} while (virtq_enable_notify(vq));
}

static const struct virtio_dev_ops echo_ops = {
	.name = "bench-echo",
	.device_id = 0,
	.num_queues = 1,
	.queue_max_size = QSIZE,
	.features = echo_features,
	.queue_notify = echo_notify,
};

/* Should the driver notify after moving avail idx from old to now? */
static int driver_must_kick(const struct vdrv_ring *r, bool event_idx, uint16_t old, uint16_t now)
{
	__atomic_thread_fence(__ATOMIC_SEQ_CST);   /* as Linux virtqueue_kick_prepare */
	if (event_idx)
		return vring_need_event(vdrv_avail_event(r), now, old);
	return !(vdrv_used_flags(r) & VRING_USED_F_NO_NOTIFY);
}

struct result {
	double secs;
	uint64_t kicks;
	unsigned int irqs;
};

static int run(uint64_t features, uint64_t n, struct result *res)
{
	struct vdrv_mem m;
	struct echo *e = calloc(1, sizeof(*e));
	struct vdrv *v = calloc(1, sizeof(*v));
	bool event_idx = features & (1ULL << VIRTIO_RING_F_EVENT_IDX);
	uint64_t issued = 0, reaped = 0, bufs;
	struct timespec t0, t1;
	struct vdrv_ring *r;

	if (!e || !v || vdrv_mem_init(&m, 0) < 0 ||
	    virtio_dev_init(&e->d, &echo_ops, &m.mem, NULL) < 0)
		return -1;
	vdrv_attach(v, &e->d, &m);
	if (!(vdrv_bring_up(v, (1ULL << VIRTIO_F_VERSION_1) | features, QSIZE) &
	      VIRTIO_CONFIG_S_DRIVER_OK))
		return -1;
	r = &v->rings[0];
	bufs = vdrv_alloc(&m, 2ULL * HDR * QSIZE);
	memset(res, 0, sizeof(*res));
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (reaped < n) {
		uint16_t old = r->avail_idx, id;
		uint32_t len;

		for (int i = 0; i < BATCH && issued < n; i++, issued++) {
			/* Buffers tied to the head, so they are free when it is. */
			uint16_t head = r->next_desc;
			struct vdrv_buf b[2] = {
				{ bufs + 2ULL * HDR * head, HDR, false },
				{ bufs + 2ULL * HDR * head + HDR, HDR, true },
			};
			int h = vdrv_add(r, b, 2, false);

			if (h < 0)
				break;
			vdrv_publish(r, (uint16_t)h);
		}
		if (r->avail_idx != old && driver_must_kick(r, event_idx, old, r->avail_idx)) {
			res->kicks++;
			vdrv_kick(v, 0);
		}
		while (vdrv_get_used(r, &id, &len) > 0)
			reaped++;
		/* Interrupts stay on, as Linux's virtqueue_enable_cb() leaves
		 * them: used_event = the next entry it has not seen (2.7.10). */
		if (event_idx)
			vdrv_set_used_event(r, r->last_used);
		if (virtio_dev_read_status(&e->d) & VIRTIO_CONFIG_S_NEEDS_RESET)
			return -1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	res->secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	res->irqs = v->tr.queue_irqs[0];
	virtio_dev_destroy(&e->d);
	vdrv_mem_destroy(&m);
	free(e);
	free(v);
	return 0;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	static const struct { const char *name; uint64_t f; } variants[] = {
		{ "plain", 0 },
		{ "event_idx", 1ULL << VIRTIO_RING_F_EVENT_IDX },
		{ "in_order", 1ULL << VIRTIO_F_IN_ORDER },
		{ "in_order+event_idx", (1ULL << VIRTIO_F_IN_ORDER) | (1ULL << VIRTIO_RING_F_EVENT_IDX) },
	};
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 2000000;
	int reps = argc > 2 ? atoi(argv[2]) : 5;
	const char *only = argc > 3 ? argv[3] : NULL;

	if (reps < 1 || reps > 99)
		reps = 5;
	printf("virtq bench: %llu requests (1 in + 1 out, %d per notification batch), "
	       "queue %d, median of %d\n", (unsigned long long)n, BATCH, QSIZE, reps);
	for (size_t i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
		double rate[99];
		struct result res;

		if (only && strcmp(only, variants[i].name))
			continue;
		for (int k = 0; k < reps; k++) {
			if (run(variants[i].f, n, &res) < 0) {
				fprintf(stderr, "virtq bench: %s failed\n", variants[i].name);
				return 1;
			}
			rate[k] = (double)n / res.secs;
		}
		qsort(rate, (size_t)reps, sizeof(double), cmp_double);
		printf("%-20s %8.2f Mreq/s  kicks/req %.3f  irqs/req %.3f\n", variants[i].name,
		       rate[reps / 2] / 1e6, (double)res.kicks / (double)n,
		       (double)res.irqs / (double)n);
	}
	return 0;
}
