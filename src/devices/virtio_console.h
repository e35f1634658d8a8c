/* virtio_console: a virtio console (virtio 1.2 spec 5.3) with one port and
 * no multiport, which Linux makes hvc0. Transmitted bytes go to out_fd on
 * the event loop; received bytes are handed in by virtio_console_receive()
 * and land in the buffers the driver posted on the receive queue. */
#ifndef SKIFF_DEVICES_VIRTIO_CONSOLE_H
#define SKIFF_DEVICES_VIRTIO_CONSOLE_H

#include <stddef.h>
#include <stdint.h>

#include "virtio/device.h"

#define VIRTIO_CONSOLE_QUEUE_SIZE 64

struct virtio_console {
	struct virtio_dev dev;      /* first: the core's view */
	int out_fd;
	/* Called (device lock held) when the driver posted receive buffers,
	 * so the owner can feed input it is holding back. */
	void (*rx_room)(void *ctx);
	void *rx_room_ctx;
	unsigned long tx_errors;    /* bytes the host side could not take */
};

int virtio_console_init(struct virtio_console *c, int out_fd, const struct guest_mem *mem,
			struct event_loop *loop);
void virtio_console_destroy(struct virtio_console *c);
/* Copy up to len bytes into posted receive buffers; returns how many were
 * taken (0 when the driver has none posted or is not ready). Any thread. */
size_t virtio_console_receive(struct virtio_console *c, const uint8_t *buf, size_t len);

#endif
