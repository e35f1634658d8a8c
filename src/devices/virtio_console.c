#include "devices/virtio_console.h"

#include <errno.h>
#include <linux/virtio_console.h>
#include <linux/virtio_ids.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

#include "util/container_of.h"
#define RXQ 0 /* receiveq of port 0 (spec 5.3.2) */
#define TXQ 1 /* transmitq of port 0 */
#define MAX_SEGS 16
/* Output chains served per pass before the event loop gets to others;
 * more waits for virtio_dev_notify_again. */
#define BUDGET 64

static struct virtio_console *to_console(struct virtio_dev *d)
{
	return container_of(d, struct virtio_console, dev);
}

static uint64_t console_features(struct virtio_dev *d)
{
	(void)d;
	return 0; /* one port, no size, no emergency write */
}

static void console_config_read(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len)
{
	(void)d;
	(void)off;
	memset(buf, 0, len); /* cols/rows/max_nr_ports are only valid with features */
}

static void write_all(struct virtio_console *c, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(c->out_fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			c->tx_errors += n;
			return;
		}
		p += w;
		n -= (size_t)w;
	}
}

/* Called with the device lock held, on the event loop. */
static void transmit(struct virtio_console *c)
{
	struct virtq *vq = &c->dev.queues[TXQ];
	struct virtq_seg segs[MAX_SEGS];
	struct virtq_chain ch;
	unsigned int budget = BUDGET;
	int r = 0;

	virtq_disable_notify(vq);
	do {
		while (budget && (r = virtq_pop(vq, segs, MAX_SEGS, &ch)) > 0) {
			for (unsigned int i = 0; i < ch.nreadable; i++)
				write_all(c, segs[i].addr, segs[i].len);
			virtq_push(vq, &ch, 0);
			budget--;
		}
		virtq_flush(vq);
		virtio_dev_signal_queue(&c->dev, TXQ);
		if (r < 0) {
			virtio_dev_needs_reset(&c->dev);
			return;
		}
		if (!budget) {
			virtio_dev_notify_again(&c->dev, TXQ);
			return;
		}
	} while (virtq_enable_notify(vq));
}

static void console_queue_notify(struct virtio_dev *d, uint16_t q)
{
	struct virtio_console *c = to_console(d);

	if (q == TXQ)
		transmit(c);
	else if (q == RXQ && c->rx_room)
		c->rx_room(c->rx_room_ctx);
}

size_t virtio_console_receive(struct virtio_console *c, const uint8_t *buf, size_t len)
{
	struct virtq *vq = &c->dev.queues[RXQ];
	struct virtq_seg segs[MAX_SEGS];
	struct virtq_chain ch;
	size_t done = 0;
	unsigned int budget = BUDGET;
	int r = 0;

	pthread_mutex_lock(&c->dev.lock);
	if (!(c->dev.status & VIRTIO_CONFIG_S_DRIVER_OK) || !vq->started) {
		pthread_mutex_unlock(&c->dev.lock);
		return 0;
	}
	while (done < len && budget-- && (r = virtq_pop(vq, segs, MAX_SEGS, &ch)) > 0) {
		uint32_t put = 0;

		for (unsigned int i = ch.nreadable; i < ch.nsegs && done < len; i++) {
			size_t n = segs[i].len < len - done ? segs[i].len : len - done;

			memcpy(segs[i].addr, buf + done, n);
			done += n;
			put += (uint32_t)n;
		}
		virtq_push(vq, &ch, put);
	}
	virtq_flush(vq);
	virtio_dev_signal_queue(&c->dev, RXQ);
	if (r < 0)
		virtio_dev_needs_reset(&c->dev);
	else if (done < len && r > 0)
		/* The budget ran out (buffers that took nothing): the rest is
		 * offered again through rx_room on the next round. */
		virtio_dev_notify_again(&c->dev, RXQ);
	pthread_mutex_unlock(&c->dev.lock);
	return done;
}

static const struct virtio_dev_ops console_ops = {
	.name = "virtio-console",
	.device_id = VIRTIO_ID_CONSOLE,
	.num_queues = 2,
	.queue_max_size = VIRTIO_CONSOLE_QUEUE_SIZE,
	.config_size = sizeof(struct virtio_console_config),
	.features = console_features,
	.config_read = console_config_read,
	.queue_notify = console_queue_notify,
};

int virtio_console_init(struct virtio_console *c, int out_fd, const struct guest_mem *mem,
			struct event_loop *loop)
{
	memset(c, 0, sizeof(*c));
	c->out_fd = out_fd;
	return virtio_dev_init(&c->dev, &console_ops, mem, loop);
}

void virtio_console_destroy(struct virtio_console *c)
{
	virtio_dev_destroy(&c->dev);
}
