/* libFuzzer target: the virtio-net transmit path, control queue and
 * receive path from a hostile driver. The input is byte 0 (bits 0-3:
 * which features to leave out; bit 4: on an event loop, whose round after
 * the kicks serves the tap fd's readiness), then guest memory from
 * 0x1000: for each of the three queues (rx 0, tx 1, ctrl 2) a 16-entry
 * descriptor table at 0x1000 * (q + 1), its avail ring 0x400 further and
 * its used ring at 0x800; buffers, frames, headers and commands from
 * 0x4000. The last bytes also arrive from the "tap" as one frame. The
 * device must never crash, touch memory outside guest RAM (ASan) or
 * hang. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "devices/virtio_net.h"
#include "util/event_loop.h"
#include "virtio_driver.h"

#define RAM   (1u << 20)
#define QSIZE 16u
#define TAIL  2048u

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len);

static int sock[2] = { -1, -1 };
static struct event_loop loop = { .epfd = -1 };

static void drain(int fd)
{
	static uint8_t buf[70000];

	while (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	static struct virtio_net n;
	struct virtio_net_params p = { .name = "fuzz", .pairs = 1, .csum_tso = true, .ufo = true,
				       .mac = { 2, 0, 0, 0, 0, 1 } };
	struct guest_mem mem;
	uint64_t f, drop[4] = { 1ULL << VIRTIO_F_IN_ORDER, 1ULL << VIRTIO_RING_F_EVENT_IDX,
				1ULL << VIRTIO_NET_F_MRG_RXBUF, 1ULL << VIRTIO_NET_F_CSUM };
	size_t body;
	bool on_loop;

	if (len < 1)
		return 0;
	if (sock[0] < 0 && socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sock) < 0)
		abort(); /* the harness failed, not the code under test */
	if (loop.epfd < 0 && event_loop_init(&loop) < 0)
		abort();
	on_loop = in[0] & 0x10;
	p.fds = &sock[0];
	if (guest_mem_init(&mem, RAM, RAM, RAM) < 0)
		return 0;
	body = len - 1 < RAM - 0x1000 ? len - 1 : RAM - 0x1000;
	guest_mem_write(&mem, 0x1000, in + 1, body);
	if (virtio_net_init(&n, &p, &mem, on_loop ? &loop : NULL) < 0)
		goto out_mem;
	f = n.dev.device_features;
	for (int i = 0; i < 4; i++)
		if (in[0] & (1u << i))
			f &= ~drop[i];
	vdrv_negotiate(&(struct vdrv){ .d = &n.dev }, f);
	for (uint16_t q = 0; q < 3; q++) {
		struct virtq *vq = &n.dev.queues[q];

		vq->size = QSIZE;
		vq->desc_gpa = 0x1000u * (q + 1u);
		vq->avail_gpa = vq->desc_gpa + 0x400;
		vq->used_gpa = vq->desc_gpa + 0x800;
		vq->ready = true;
	}
	virtio_dev_write_status(&n.dev, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				VIRTIO_CONFIG_S_FEATURES_OK | VIRTIO_CONFIG_S_DRIVER_OK);
	/* A frame from the host: the input's tail, header included. */
	if (len > 1 + 12)
		send(sock[1], in + len - (len - 1 < TAIL ? len - 1 : TAIL),
		     len - 1 < TAIL ? len - 1 : TAIL, MSG_DONTWAIT);
	virtio_dev_notify(&n.dev, 1);
	if (on_loop)
		event_loop_run_once(&loop, 0); /* rx if readable, EPOLLOUT */
	virtio_dev_notify(&n.dev, 2);
	virtio_net_poll(&n);
	virtio_dev_notify(&n.dev, 0);
	virtio_net_destroy(&n);
	if (on_loop) /* nothing of the device may be left to run */
		event_loop_run_once(&loop, 0);
	drain(sock[1]);
	drain(sock[0]);
out_mem:
	guest_mem_destroy(&mem);
	return 0;
}
