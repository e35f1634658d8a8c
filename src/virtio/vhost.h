/* vhost: the generic half of handing virtqueues to a kernel vhost backend
 * (/dev/vhost-net, /dev/vhost-vsock), per Documentation/virt/... and
 * include/uapi/linux/vhost.h: ownership, feature negotiation, the guest
 * memory table and each vring's size, base, addresses and eventfds.
 * Device-specific ioctls (VHOST_NET_SET_BACKEND, VHOST_VSOCK_SET_GUEST_CID,
 * VHOST_VSOCK_SET_RUNNING) stay with the device's own glue.
 *
 * The backend reads and writes the rings and buffers itself, through the
 * host addresses of the memory table, so skiff must not pop a queue while it
 * is started here. Kicks and interrupts go straight between KVM and the
 * kernel: the kick eventfd is the queue's ioeventfd and the call eventfd
 * the MSI-X vector's irqfd (virtio_dev_queue_offload()).
 *
 * Every function returns 0 or -errno and logs nothing: the device names
 * itself and its option when it reports the failure. */
#ifndef SKIFF_VIRTIO_VHOST_H
#define SKIFF_VIRTIO_VHOST_H

#include <stdint.h>

#include "mem/guest_mem.h"
#include "virtio/virtq.h"

struct vhost_backend {
	int fd;              /* the /dev/vhost-* file; -1 when closed */
	uint64_t features;   /* what VHOST_GET_FEATURES offered */
	/* ioctl(2) on fd, as 0 or -errno; NULL (what open sets): the real
	 * one. A unit test puts a fake kernel here, as the build machines
	 * have no /dev/vhost-*. */
	int (*ioctl)(struct vhost_backend *b, unsigned long req, void *arg);
};

/* Open path (e.g. "/dev/vhost-net"), become its owner (VHOST_SET_OWNER)
 * and read its features. -ENOENT when the device node is missing, -EACCES,
 * or the ioctl's -errno; nothing is left open on failure. */
int vhost_backend_open(struct vhost_backend *b, const char *path);
/* Close (stopping every vring); safe on a closed backend. */
void vhost_backend_close(struct vhost_backend *b);

/* One ioctl on the open backend (b->ioctl when set): 0 or -errno. For the
 * device-specific requests of the device's glue. */
int vhost_backend_ioctl(struct vhost_backend *b, unsigned long req, void *arg);

/* VHOST_SET_FEATURES: the bits the driver accepted, limited to what the
 * backend offered (-EINVAL otherwise, before any ioctl). */
int vhost_backend_set_features(struct vhost_backend *b, uint64_t features);

/* VHOST_SET_MEM_TABLE with every region of mem (gpa, size, host address).
 * -E2BIG when the kernel takes fewer regions (vhost's max_mem_regions
 * module parameter, 64 by default). Call again after the map changes. */
int vhost_backend_set_mem_table(struct vhost_backend *b, const struct guest_mem *mem);

/* Start vring idx from vq, which virtq_start() has checked and translated:
 * VHOST_SET_VRING_NUM (vq->size), _BASE (vq->last_avail_idx: where the
 * device left off), _ADDR (the rings' host addresses), _KICK and _CALL.
 * The backend reads used->idx from the ring itself. */
int vhost_backend_start_queue(struct vhost_backend *b, unsigned int idx, const struct virtq *vq,
			      int kick_fd, int call_fd);
/* Stop vring idx (VHOST_GET_VRING_BASE) and bring vq's device-side indexes
 * up to where the backend left them (last_avail_idx, used_idx), so skiff or
 * a snapshot can carry on from there. */
int vhost_backend_stop_queue(struct vhost_backend *b, unsigned int idx, struct virtq *vq);

#endif
