/* vhost-net glue: see net_vhost.h. */
#include "devices/net_vhost.h"

#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/vhost.h>

#include "devices/net_internal.h"
#include "util/log.h"

int net_vhost_open(struct net_vhost *v, unsigned int pairs, bool demanded)
{
	memset(v, 0, sizeof(*v));
	for (unsigned int i = 0; i < VIRTIO_NET_MAX_PAIRS; i++)
		v->be[i].fd = -1;
	if (pairs == 0 || pairs > VIRTIO_NET_MAX_PAIRS)
		return -EINVAL;
	v->demanded = demanded;
	v->features = ~0ULL;
	for (unsigned int i = 0; i < pairs; i++) {
		int r = vhost_backend_open(&v->be[i], "/dev/vhost-net");

		if (r < 0) {
			net_vhost_close(v);
			return r;
		}
		v->pairs = i + 1;
		v->features &= v->be[i].features;
	}
	/* The tap adds and strips the 12-byte header (IFF_VNET_HDR), so
	 * vhost must not: VHOST_NET_F_VIRTIO_NET_HDR stays off. */
	v->features &= ~(1ULL << VHOST_NET_F_VIRTIO_NET_HDR);
	return 0;
}

void net_vhost_close(struct net_vhost *v)
{
	for (unsigned int i = 0; i < v->pairs; i++)
		vhost_backend_close(&v->be[i]);
	v->pairs = 0;
}

static int set_backend(struct vhost_backend *b, unsigned int idx, int fd)
{
	struct vhost_vring_file f = { .index = idx, .fd = fd };

	return ioctl(b->fd, VHOST_NET_SET_BACKEND, &f) < 0 ? -errno : 0;
}

static void stop_pair(struct virtio_net *n, struct net_vhost *v, unsigned int i)
{
	if (!v->running[i])
		return;
	for (unsigned int k = 0; k < 2; k++) {
		uint16_t q = (uint16_t)(2 * i + k);

		set_backend(&v->be[i], k, -1);
		vhost_backend_stop_queue(&v->be[i], k, &n->dev.queues[q]);
		/* At teardown the transport went first (vm_virtio_teardown). */
		if (!n->destroying)
			virtio_dev_queue_reclaim(&n->dev, q);
	}
	v->running[i] = false;
}

/* vring 0 of a vhost-net device is its rx queue, 1 its tx (vhost/net.c,
 * VHOST_NET_VQ_RX / VHOST_NET_VQ_TX), which matches 5.1.2's order. */
static int start_pair(struct virtio_net *n, struct net_vhost *v, unsigned int i)
{
	struct vhost_backend *b = &v->be[i];
	int r = vhost_backend_set_features(b, n->dev.driver_features & b->features);

	if (r == 0)
		r = vhost_backend_set_mem_table(b, n->dev.mem);
	for (unsigned int k = 0; k < 2 && r == 0; k++) {
		uint16_t q = (uint16_t)(2 * i + k);
		int kick, call;

		r = virtio_dev_queue_offload(&n->dev, q, &kick, &call);
		if (r == 0) {
			v->running[i] = true; /* from here stop_pair undoes it */
			r = vhost_backend_start_queue(b, k, &n->dev.queues[q], kick, call);
		}
		if (r == 0)
			r = set_backend(b, k, n->pair[i].fd);
	}
	return r;
}

static int vhost_start(struct virtio_net *n)
{
	struct net_vhost *v = n->vhost;
	int r = 0;

	for (unsigned int i = 0; i < v->pairs && r == 0; i++)
		r = start_pair(n, v, i);
	if (r == 0) {
		n->vhost_on = true;
		return 0;
	}
	for (unsigned int i = 0; i < v->pairs; i++)
		stop_pair(n, v, i);
	if (v->demanded) {
		log_error("%s: vhost-net refused the queues: %s", n->name, strerror(-r));
		return r;
	}
	/* Say it once per activation, then serve the queues here. */
	log_error("%s: vhost-net refused the queues (%s): using the userspace datapath",
		  n->name, strerror(-r));
	return 0;
}

static void vhost_stop(struct virtio_net *n)
{
	struct net_vhost *v = n->vhost;

	for (unsigned int i = 0; i < v->pairs; i++)
		stop_pair(n, v, i);
	n->vhost_on = false;
}

void net_vhost_attach(struct net_vhost *v, struct virtio_net *n)
{
	n->vhost = v;
	n->vhost_start = vhost_start;
	n->vhost_stop = vhost_stop;
}
