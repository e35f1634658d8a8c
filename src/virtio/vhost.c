/* vhost: see vhost.h. */
#include "virtio/vhost.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>
#include <linux/vhost.h>

int vhost_backend_open(struct vhost_backend *b, const char *path)
{
	uint64_t features;
	int fd = open(path, O_RDWR | O_CLOEXEC);
	int r;

	b->fd = -1;
	b->features = 0;
	b->ioctl = NULL;
	if (fd < 0)
		return -errno;
	/* The owner is the process whose memory the table describes
	 * (vhost.h: "Set current process as the (exclusive) owner"). */
	if (ioctl(fd, VHOST_SET_OWNER) < 0 || ioctl(fd, VHOST_GET_FEATURES, &features) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	b->fd = fd;
	b->features = features;
	return 0;
}

void vhost_backend_close(struct vhost_backend *b)
{
	if (b->fd >= 0)
		close(b->fd);
	b->fd = -1;
}

int vhost_backend_ioctl(struct vhost_backend *b, unsigned long req, void *arg)
{
	if (b->ioctl)
		return b->ioctl(b, req, arg);
	return ioctl(b->fd, req, arg) < 0 ? -errno : 0;
}

int vhost_backend_set_features(struct vhost_backend *b, uint64_t features)
{
	if (features & ~b->features)
		return -EINVAL;
	return vhost_backend_ioctl(b, VHOST_SET_FEATURES, &features);
}

struct table_fill {
	struct vhost_memory *table;
	uint32_t cap;
};

static int add_region(const struct guest_mem_region *r, void *ctx)
{
	struct table_fill *f = ctx;
	struct vhost_memory_region *v;

	if (f->table->nregions == f->cap)
		return -E2BIG; /* the map grew between the count and the walk */
	v = &f->table->regions[f->table->nregions++];
	v->guest_phys_addr = r->gpa;
	v->memory_size = r->size;
	v->userspace_addr = (uint64_t)(uintptr_t)r->hva;
	v->flags_padding = 0;
	return 0;
}

int vhost_backend_set_mem_table(struct vhost_backend *b, const struct guest_mem *mem)
{
	uint32_t n = guest_mem_region_count(mem);
	struct table_fill f = { .cap = n };
	int r;

	f.table = calloc(1, sizeof(*f.table) + (size_t)n * sizeof(f.table->regions[0]));
	if (!f.table)
		return -ENOMEM;
	r = guest_mem_for_each(mem, add_region, &f);
	if (r >= 0)
		r = vhost_backend_ioctl(b, VHOST_SET_MEM_TABLE, f.table);
	free(f.table);
	return r;
}

int vhost_backend_start_queue(struct vhost_backend *b, unsigned int idx, const struct virtq *vq,
			      int kick_fd, int call_fd)
{
	struct vhost_vring_state num = { .index = idx, .num = vq->size };
	struct vhost_vring_state base = { .index = idx, .num = vq->last_avail_idx };
	struct vhost_vring_addr addr = {
		.index = idx,
		.desc_user_addr = (uint64_t)(uintptr_t)vq->desc,
		.avail_user_addr = (uint64_t)(uintptr_t)vq->avail,
		.used_user_addr = (uint64_t)(uintptr_t)vq->used,
	};
	struct vhost_vring_file kick = { .index = idx, .fd = kick_fd };
	struct vhost_vring_file call = { .index = idx, .fd = call_fd };
	int r;

	if (!vq->started)
		return -EINVAL;
	r = vhost_backend_ioctl(b, VHOST_SET_VRING_NUM, &num);
	if (r == 0)
		r = vhost_backend_ioctl(b, VHOST_SET_VRING_BASE, &base);
	if (r == 0)
		r = vhost_backend_ioctl(b, VHOST_SET_VRING_ADDR, &addr);
	if (r == 0)
		r = vhost_backend_ioctl(b, VHOST_SET_VRING_CALL, &call);
	if (r == 0)
		r = vhost_backend_ioctl(b, VHOST_SET_VRING_KICK, &kick);
	return r;
}

int vhost_backend_stop_queue(struct vhost_backend *b, unsigned int idx, struct virtq *vq)
{
	struct vhost_vring_state base = { .index = idx };
	struct vhost_vring_file kick = { .index = idx, .fd = -1 };
	/* Unbinding the kick first stops the backend polling the ring; the
	 * base it then reports is final (vhost_vring_ioctl, GET_VRING_BASE). */
	int r = vhost_backend_ioctl(b, VHOST_SET_VRING_KICK, &kick);

	if (r == 0)
		r = vhost_backend_ioctl(b, VHOST_GET_VRING_BASE, &base);
	if (r < 0)
		return r;
	vq->last_avail_idx = (uint16_t)base.num;
	vq->shadow_avail_idx = vq->last_avail_idx;
	if (vq->used) {
		/* The backend published used->idx (spec 2.7.8) itself. */
		vq->used_idx = __atomic_load_n(&vq->used->idx, __ATOMIC_ACQUIRE);
		vq->signalled_used_valid = false;
	}
	return 0;
}
