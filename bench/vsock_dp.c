/* bench/vsock_dp: the userspace vsock datapath in process, no guest: a
 * driver built with the test harness (tests/unit/support) posts rx buffers
 * the way Linux does (4 KiB each) and reports credit as Linux does, while a
 * host thread writes BYTES into the Unix socket a guest connect opened
 * (host -> guest), then the driver sends BYTES in 64 KiB packets (guest ->
 * host) which the host thread reads. Prints MB/s both ways: skiff's own
 * cost per byte, for comparing changes (run under callgrind for
 * instruction counts). Usage: vsock_dp [MiB] */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "devices/virtio_vsock.h"
#include "support/virtio_driver.h"

#define CID 3
#define RING 256
#define RXBUF 4096

static uint64_t bytes;
static int host_fd;

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void *host_writer(void *arg)
{
	static char buf[65536];
	uint64_t done = 0;

	(void)arg;
	memset(buf, 'h', sizeof(buf));
	while (done < bytes) {
		ssize_t n = write(host_fd, buf, sizeof(buf));

		if (n <= 0)
			break;
		done += (uint64_t)n;
	}
	return NULL;
}

static void *host_reader(void *arg)
{
	static char buf[1 << 20];
	uint64_t done = 0;

	(void)arg;
	while (done < bytes) {
		ssize_t n = read(host_fd, buf, sizeof(buf));

		if (n <= 0)
			break;
		done += (uint64_t)n;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static struct vdrv_mem m;
	static struct vdrv v;
	static struct virtio_vsock vs;
	static uint64_t rx_of_head[VDRV_RING_MAX];
	struct event_loop loop;
	char dir[] = "/tmp/skiff-vdp-XXXXXX", path[64], lpath[80];
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	uint64_t got = 0, tx, rxb[RING];
	uint32_t fwd = 0, reported = 0, alloc = 4u << 20;
	pthread_t th;
	double t0, t1;
	int l;

	bytes = (argc > 1 ? strtoull(argv[1], NULL, 0) : 256) << 20;
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof(path), "%s/v", dir);
	snprintf(lpath, sizeof(lpath), "%s_5000", path);
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", lpath);
	l = socket(AF_UNIX, SOCK_STREAM, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 4) < 0)
		return 1;
	if (vdrv_mem_init(&m, 0) < 0 || event_loop_init(&loop) < 0 ||
	    virtio_vsock_init(&vs, CID, path, &m.mem, &loop) < 0)
		return 1;
	vdrv_attach(&v, &vs.dev, &m);
	vdrv_bring_up(&v, vdrv_device_features(&v), RING);
	tx = vdrv_alloc(&m, VSOCK_HDR_LEN + 65536);
	for (int i = 0; i < RING; i++)
		rxb[i] = vdrv_alloc(&m, VSOCK_HDR_LEN + RXBUF);

	/* connect */
	{
		struct vsock_pkt p = { .src_cid = CID, .dst_cid = 2, .src_port = 1, .dst_port = 5000,
				       .type = 1, .op = VIRTIO_VSOCK_OP_REQUEST, .buf_alloc = alloc };
		struct virtio_vsock_hdr h;
		struct vdrv_buf b = { tx, VSOCK_HDR_LEN, false };
		uint16_t id;
		uint32_t len;
		int head;

		vsock_pkt_encode(&p, &h);
		memcpy(vdrv_host(&m, tx, sizeof(h)), &h, sizeof(h));
		head = vdrv_add(&v.rings[1], &b, 1, false);
		vdrv_publish(&v.rings[1], (uint16_t)head);
		vdrv_kick(&v, 1);
		while (vdrv_get_used(&v.rings[1], &id, &len) == 1)
			;
		host_fd = accept(l, NULL, NULL);
	}
	/* host -> guest */
	pthread_create(&th, NULL, host_writer, NULL);
	t0 = now();
	{
		unsigned int seq = 0, posted = 0;

		while (got < bytes) {
			struct vdrv_ring *r = &v.rings[0];
			uint16_t id;
			uint32_t len;

			while (posted < RING / 2) {
				uint64_t g = rxb[seq++ % RING];
				struct vdrv_buf b[2] = { { g, VSOCK_HDR_LEN, true },
							 { g + VSOCK_HDR_LEN, RXBUF, true } };
				int head = vdrv_add(r, b, 2, false);

				if (head < 0)
					break;
				rx_of_head[head] = g;
				vdrv_publish(r, (uint16_t)head);
				posted++;
			}
			vdrv_kick(&v, 0);
			event_loop_run_once(&loop, 1);
			while (vdrv_get_used(r, &id, &len) == 1) {
				struct virtio_vsock_hdr h;
				struct vsock_pkt p;

				posted--;
				memcpy(&h, vdrv_host(&m, rx_of_head[id], sizeof(h)), sizeof(h));
				vsock_pkt_decode(&h, &p);
				if (p.op == VIRTIO_VSOCK_OP_RW)
					got += p.len;
				/* the guest reads at once and, as Linux does
				 * (virtio_transport_stream_do_dequeue), reports what
				 * it read when less than 64 KiB of its buffer is free
				 * as the sender sees it, or when asked */
				fwd = (uint32_t)got;
				if (p.op == VIRTIO_VSOCK_OP_CREDIT_REQUEST ||
				    alloc - (fwd - reported) < 65536) {
					struct vsock_pkt q = { .src_cid = CID, .dst_cid = 2,
							       .src_port = 1, .dst_port = 5000,
							       .type = 1,
							       .op = VIRTIO_VSOCK_OP_CREDIT_UPDATE,
							       .buf_alloc = alloc, .fwd_cnt = fwd };
					struct vdrv_buf b = { tx, VSOCK_HDR_LEN, false };
					int head;

					reported = fwd;
					vsock_pkt_encode(&q, &h);
					memcpy(vdrv_host(&m, tx, sizeof(h)), &h, sizeof(h));
					head = vdrv_add(&v.rings[1], &b, 1, false);
					vdrv_publish(&v.rings[1], (uint16_t)head);
					vdrv_kick(&v, 1);
					while (vdrv_get_used(&v.rings[1], &id, &len) == 1)
						;
				}
			}
		}
	}
	t1 = now();
	pthread_join(th, NULL);
	printf("host->guest: %.0f MB/s (%llu MiB, 4 KiB rx buffers)\n", (double)bytes / (t1 - t0) / 1e6,
	       (unsigned long long)(bytes >> 20));

	/* guest -> host */
	pthread_create(&th, NULL, host_reader, NULL);
	t0 = now();
	{
		uint64_t sent = 0;
		uint32_t peer_fwd = 0;

		while (sent < bytes) {
			struct vsock_pkt p = { .src_cid = CID, .dst_cid = 2, .src_port = 1,
					       .dst_port = 5000, .type = 1, .op = VIRTIO_VSOCK_OP_RW,
					       .len = 65536, .buf_alloc = alloc, .fwd_cnt = fwd };
			struct virtio_vsock_hdr h;
			struct vdrv_buf b[2] = { { tx, VSOCK_HDR_LEN, false },
						 { tx + VSOCK_HDR_LEN, 65536, false } };
			uint16_t id;
			uint32_t len;
			int head;

			/* keep to skiff's credit: wait for its updates */
			while ((uint32_t)sent - peer_fwd + 65536 > VSOCK_BUF_ALLOC) {
				event_loop_run_once(&loop, 1);
				while (vdrv_get_used(&v.rings[0], &id, &len) == 1) {
					struct vsock_pkt q;

					memcpy(&h, vdrv_host(&m, rx_of_head[id], sizeof(h)), sizeof(h));
					vsock_pkt_decode(&h, &q);
					peer_fwd = q.fwd_cnt;
				}
				{
					struct vdrv_ring *r = &v.rings[0];
					uint64_t g = rxb[0];
					struct vdrv_buf rb[2] = { { g, VSOCK_HDR_LEN, true },
								  { g + VSOCK_HDR_LEN, RXBUF, true } };
					int hh = vdrv_add(r, rb, 2, false);

					if (hh >= 0) {
						rx_of_head[hh] = g;
						vdrv_publish(r, (uint16_t)hh);
						vdrv_kick(&v, 0);
					}
				}
			}
			vsock_pkt_encode(&p, &h);
			memcpy(vdrv_host(&m, tx, sizeof(h)), &h, sizeof(h));
			head = vdrv_add(&v.rings[1], b, 2, false);
			vdrv_publish(&v.rings[1], (uint16_t)head);
			vdrv_kick(&v, 1);
			while (vdrv_get_used(&v.rings[1], &id, &len) == 1)
				;
			sent += 65536;
		}
		while (vs.nconns && pthread_tryjoin_np(th, NULL) != 0)
			event_loop_run_once(&loop, 1);
	}
	t1 = now();
	printf("guest->host: %.0f MB/s (64 KiB packets)\n", (double)bytes / (t1 - t0) / 1e6);
	virtio_vsock_destroy(&vs);
	unlink(lpath);
	rmdir(dir);
	return 0;
}
