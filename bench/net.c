/* bench/net: the virtio-net userspace datapath in-process, with the test
 * driver (tests/unit/support/virtio_driver.c) as the guest and a
 * SOCK_SEQPACKET socketpair as the tap, for what a Linux 6.1 guest cannot
 * show: VIRTIO_F_IN_ORDER on and off (its driver never negotiates it).
 *
 * tx: the driver posts BATCH frames (12-byte header + 64-byte frame, two
 * descriptors), kicks, the device writes each to the socket, the bench
 * reads them back and reaps the used ring. rx: the bench writes BATCH
 * frames into the socket, the device copies them into mergeable 2 KiB
 * buffers, the driver reaps and re-posts. Both with EVENT_IDX.
 *
 *   build/bench/net [frames [repeats [variant]]]   variant: tx-plain, tx-in_order,
 *                                                 rx-plain, rx-in_order
 * prints frames/s (median of repeats) per direction and variant. For
 * instructions per frame run it under valgrind --tool=callgrind (see
 * bench/README.md). Most of a frame's cost is the socket system call. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "devices/net_hdr.h"
#include "devices/virtio_net.h"
#include "support/virtio_driver.h"

#define QSIZE 256
#define BATCH 32
#define FRAME 64
#define RXBUF 2048

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int run(bool in_order, bool tx, uint64_t n, double *secs)
{
	struct vdrv_mem m;
	struct vdrv *v = calloc(1, sizeof(*v));
	struct virtio_net *net = calloc(1, sizeof(*net));
	int sv[2], fd;
	struct virtio_net_params p = { .name = "bench", .pairs = 1, .fds = &fd, .csum_tso = true };
	uint64_t f, done = 0, bufs;
	uint8_t frame[NET_HDR_LEN + FRAME] = { 0 }, got[4096];
	struct vdrv_ring *r;
	uint16_t id;
	uint32_t len;
	double t0;

	if (!v || !net || socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sv) < 0 ||
	    vdrv_mem_init(&m, 0) < 0)
		return -1;
	fd = sv[0];
	if (virtio_net_init(net, &p, &m.mem, NULL) < 0)
		return -1;
	vdrv_attach(v, &net->dev, &m);
	f = vdrv_device_features(v);
	if (!in_order)
		f &= ~(1ULL << VIRTIO_F_IN_ORDER);
	if (!(vdrv_bring_up(v, f, QSIZE) & VIRTIO_CONFIG_S_DRIVER_OK))
		return -1;
	r = &v->rings[tx ? 1 : 0];
	bufs = vdrv_alloc(&m, (uint64_t)RXBUF * QSIZE);
	if (!tx) /* fill the rx ring once; buffers are re-posted as reaped */
		for (int i = 0; i < QSIZE; i++) {
			uint16_t head = r->next_desc;
			struct vdrv_buf b = { bufs + (uint64_t)RXBUF * head, RXBUF, true };

			vdrv_publish(r, (uint16_t)vdrv_add(r, &b, 1, false));
		}
	t0 = now();
	while (done < n) {
		if (tx) {
			for (int i = 0; i < BATCH; i++) {
				uint16_t head = r->next_desc;
				uint64_t g = bufs + (uint64_t)RXBUF * head;
				struct vdrv_buf b[2] = { { g, NET_HDR_LEN, false },
							 { g + 64, FRAME, false } };
				int h = vdrv_add(r, b, 2, false);

				if (h < 0)
					break;
				vdrv_publish(r, (uint16_t)h);
			}
			vdrv_kick(v, 1);
			while (recv(sv[1], got, sizeof(got), 0) > 0)
				;
		} else {
			for (int i = 0; i < BATCH; i++)
				send(sv[1], frame, sizeof(frame), 0);
			virtio_net_poll(net);
		}
		while (vdrv_get_used(r, &id, &len) > 0) {
			done++;
			if (!tx) {
				struct vdrv_buf b = { bufs + (uint64_t)RXBUF * r->next_desc, RXBUF,
						      true };

				vdrv_publish(r, (uint16_t)vdrv_add(r, &b, 1, false));
			}
		}
		vdrv_set_used_event(r, r->last_used);
		if (virtio_dev_read_status(&net->dev) & VIRTIO_CONFIG_S_NEEDS_RESET)
			return -1;
	}
	*secs = now() - t0;
	virtio_net_destroy(net);
	vdrv_mem_destroy(&m);
	close(sv[0]);
	close(sv[1]);
	free(net);
	free(v);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 500000;
	int reps = argc > 2 ? atoi(argv[2]) : 5;
	const char *only = argc > 3 ? argv[3] : NULL;

	if (reps < 1 || reps > 99)
		reps = 5;
	printf("net bench: %llu frames of %d bytes per run, %d per batch, queue %d, median of %d\n",
	       (unsigned long long)n, FRAME, BATCH, QSIZE, reps);
	for (int tx = 1; tx >= 0; tx--)
		for (int io = 0; io < 2; io++) {
			double rate[99], s;
			char name[32];

			snprintf(name, sizeof(name), "%s-%s", tx ? "tx" : "rx", io ? "in_order" : "plain");
			if (only && strcmp(only, name))
				continue;
			for (int k = 0; k < reps; k++) {
				if (run(io, tx, n, &s) < 0) {
					fprintf(stderr, "net bench: run failed\n");
					return 1;
				}
				rate[k] = (double)n / s;
			}
			qsort(rate, (size_t)reps, sizeof(double), cmp);
			printf("%s %-9s %8.3f Mframes/s\n", tx ? "tx" : "rx",
			       io ? "in_order" : "plain", rate[reps / 2] / 1e6);
		}
	return 0;
}
