/* vsock_vhost: see vsock_vhost.h. */
#include "devices/vsock_vhost.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <linux/vhost.h>

#include "virtio/vhost.h"

struct vsock_vhost {
	struct vhost_backend b;
	bool started[2];
};

int vsock_vhost_open(struct virtio_vsock *v, uint64_t cid)
{
	struct vsock_vhost *vh = calloc(1, sizeof(*vh));
	int r;

	if (!vh)
		return -ENOMEM;
	r = vhost_backend_open(&vh->b, "/dev/vhost-vsock");
	if (r == 0 && ioctl(vh->b.fd, VHOST_VSOCK_SET_GUEST_CID, &cid) < 0) {
		r = -errno;   /* EADDRINUSE: another VM has this CID */
		vhost_backend_close(&vh->b);
	}
	if (r < 0) {
		free(vh);
		return r;
	}
	v->vhost = vh;
	return 0;
}

void vsock_vhost_close(struct virtio_vsock *v)
{
	if (!v->vhost)
		return;
	vsock_vhost_stop(v);
	vhost_backend_close(&v->vhost->b);
	free(v->vhost);
	v->vhost = NULL;
}

uint64_t vsock_vhost_features(const struct virtio_vsock *v)
{
	return v->vhost->b.features;
}

int vsock_vhost_start(struct virtio_vsock *v)
{
	struct vsock_vhost *vh = v->vhost;
	int running = 1, r;

	r = vhost_backend_set_features(&vh->b, v->dev.driver_features);
	if (r == 0)
		r = vhost_backend_set_mem_table(&vh->b, v->dev.mem);
	/* vhost-vsock has two vrings: 0 rx, 1 tx (its VSOCK_VQ_RX/TX). */
	for (uint16_t q = VSOCK_RXQ; r == 0 && q <= VSOCK_TXQ; q++) {
		int kick, call;

		r = virtio_dev_queue_offload(&v->dev, q, &kick, &call);
		if (r < 0)
			break;
		r = vhost_backend_start_queue(&vh->b, q, &v->dev.queues[q], kick, call);
		if (r < 0) {
			virtio_dev_queue_reclaim(&v->dev, q);
			break;
		}
		vh->started[q] = true;
	}
	if (r == 0 && ioctl(vh->b.fd, VHOST_VSOCK_SET_RUNNING, &running) < 0)
		r = -errno;
	if (r < 0)
		vsock_vhost_stop(v);
	return r;
}

void vsock_vhost_stop(struct virtio_vsock *v)
{
	struct vsock_vhost *vh = v->vhost;
	int running = 0;

	if (!vh || (!vh->started[0] && !vh->started[1]))
		return;
	ioctl(vh->b.fd, VHOST_VSOCK_SET_RUNNING, &running);
	for (uint16_t q = VSOCK_RXQ; q <= VSOCK_TXQ; q++) {
		if (!vh->started[q])
			continue;
		vhost_backend_stop_queue(&vh->b, q, &v->dev.queues[q]);
		virtio_dev_queue_reclaim(&v->dev, q);
		vh->started[q] = false;
	}
}
