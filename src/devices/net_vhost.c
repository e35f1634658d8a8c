/* vhost-net glue: see net_vhost.h. */
#include "devices/net_vhost.h"

#include <errno.h>
#include <string.h>
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

	return vhost_backend_ioctl(b, VHOST_NET_SET_BACKEND, &f);
}

/* Undo what this activation did to pair i, queue by queue (v->q): a vring
 * started now is unbound and stopped, its base read back into the queue;
 * an offloaded queue gets its kicks back. Nothing else: a vring not
 * started now still holds the base of an earlier activation, which
 * VHOST_GET_VRING_BASE would copy over the live queue's last_avail_idx. */
static void stop_pair(struct virtio_net *n, struct net_vhost *v, unsigned int i)
{
	for (unsigned int k = 0; k < 2; k++) {
		struct net_vhost_queue *s = &v->q[i][k];
		uint16_t q = (uint16_t)(2 * i + k);

		if (s->started) {
			set_backend(&v->be[i], k, -1);
			vhost_backend_stop_queue(&v->be[i], k, &n->dev.queues[q]);
			s->started = false;
		}
		/* At teardown the transport went first (vm_virtio_teardown). */
		if (s->offloaded && !n->destroying)
			virtio_dev_queue_reclaim(&n->dev, q);
		s->offloaded = false;
	}
}

/* vring 0 of a vhost-net device is its rx queue, 1 its tx (vhost/net.c,
 * VHOST_NET_VQ_RX / VHOST_NET_VQ_TX), which matches 5.1.2's order. On
 * failure v->q[i] says what stop_pair has to undo. */
static int start_pair(struct virtio_net *n, struct net_vhost *v, unsigned int i)
{
	struct vhost_backend *b = &v->be[i];
	int r = vhost_backend_set_features(b, n->dev.driver_features & b->features);

	if (r == 0)
		r = vhost_backend_set_mem_table(b, n->dev.mem);
	for (unsigned int k = 0; k < 2 && r == 0; k++) {
		struct net_vhost_queue *s = &v->q[i][k];
		uint16_t q = (uint16_t)(2 * i + k);
		int kick, call;

		r = virtio_dev_queue_offload(&n->dev, q, &kick, &call);
		if (r < 0)
			break;
		s->offloaded = true;
		r = vhost_backend_start_queue(b, k, &n->dev.queues[q], kick, call);
		if (r < 0)
			break;
		s->started = true;
		r = set_backend(b, k, n->pair[i].fd);
	}
	return r;
}

/* Both rings of pair i were set up by the driver and mapped at DRIVER_OK
 * (virtq_start). The driver sets its queues up before DRIVER_OK (3.1.1
 * step 7) and the transports refuse queue_enable after it, so a pair left
 * out now stays unusable until the next reset. */
static bool pair_set_up(const struct virtio_net *n, unsigned int i)
{
	return n->dev.queues[net_rxq(i)].started && n->dev.queues[net_txq(i)].started;
}

static int start_pairs(struct virtio_net *n, struct net_vhost *v)
{
	/* Without VIRTIO_NET_F_MQ the driver has pair 0 only and queue 2 is
	 * the control queue (5.1.2), which stays with skiff: it is never
	 * handed over. With MQ it comes after the last pair. */
	unsigned int pairs = virtio_dev_has_feature(&n->dev, VIRTIO_NET_F_MQ) ? v->pairs : 1;
	int r = 0;

	if (pairs > n->pairs)
		pairs = n->pairs;
	/* Pair 0 is what the driver uses until VQ_PAIRS_SET (5.1.6.5.5):
	 * without it there is nothing to offload, a refusal (the -EINVAL
	 * vhost_backend_start_queue gives for a queue not started). */
	if (!pair_set_up(n, 0))
		return -EINVAL;
	for (unsigned int i = 0; i < pairs && r == 0; i++) {
		if (pair_set_up(n, i))
			r = start_pair(n, v, i);
	}
	return r;
}

static int vhost_start(struct virtio_net *n)
{
	struct net_vhost *v = n->vhost;
	int r = start_pairs(n, v);

	if (r == 0) {
		n->vhost_on = true;
		return 0;
	}
	for (unsigned int i = 0; i < v->pairs; i++)
		stop_pair(n, v, i);
	/* The guest can make every activation fail (a queue without an MSI-X
	 * vector: -ENXIO from the transport) and reset in a loop: count each
	 * refusal, log the first of the device's life only. */
	n->stats.vhost_refused++;
	if (!v->refusal_logged) {
		v->refusal_logged = true;
		if (v->demanded)
			log_error("%s: vhost-net refused the queues: %s (later refusals are "
				  "counted, not logged)", n->name, strerror(-r));
		else
			log_error("%s: vhost-net refused the queues (%s): using the userspace "
				  "datapath (later refusals are counted, not logged)", n->name,
				  strerror(-r));
	}
	/* vhost=on: the activation fails (NEEDS_RESET); auto: the userspace
	 * datapath serves the queues. */
	return v->demanded ? r : 0;
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
