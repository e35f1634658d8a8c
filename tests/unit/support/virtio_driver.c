/* virtio_driver: see virtio_driver.h. */
#include "virtio_driver.h"

#include <endian.h>
#include <errno.h>
#include <string.h>

int vdrv_mem_init(struct vdrv_mem *m, uint64_t split)
{
	m->brk = VDRV_HEAP;
	/* A hole of zero length at split gives two adjacent regions. */
	return guest_mem_init(&m->mem, VDRV_RAM, split ? split : VDRV_RAM,
			      split ? split : VDRV_RAM);
}

void vdrv_mem_destroy(struct vdrv_mem *m)
{
	guest_mem_destroy(&m->mem);
}

void *vdrv_host(struct vdrv_mem *m, uint64_t gpa, uint64_t len)
{
	return guest_mem_ptr(&m->mem, gpa, len);
}

uint64_t vdrv_alloc(struct vdrv_mem *m, uint64_t len)
{
	uint64_t gpa = m->brk;
	void *p = guest_mem_ptr(&m->mem, gpa, len);

	if (p)
		memset(p, 0, len);
	m->brk = (m->brk + len + 15) & ~15ULL;
	return gpa;
}

static void *at(const struct vdrv_ring *r, uint64_t gpa, uint64_t len)
{
	return guest_mem_ptr(&r->m->mem, gpa, len);
}

void vdrv_ring_init(struct vdrv_ring *r, struct vdrv_mem *m, uint16_t size, uint64_t base)
{
	memset(r, 0, sizeof(*r));
	r->m = m;
	r->size = size;
	r->free_desc = size;
	r->desc = base;
	r->avail = base + 16ULL * size;
	r->used = (r->avail + 6 + 2ULL * size + 3) & ~3ULL;
	memset(at(r, base, r->used + 6 + 8ULL * size - base), 0, r->used + 6 + 8ULL * size - base);
}

void vdrv_ring_configure(const struct vdrv_ring *r, struct virtq *vq)
{
	vq->size = r->size;
	vq->desc_gpa = r->desc;
	vq->avail_gpa = r->avail;
	vq->used_gpa = r->used;
	vq->ready = true;
}

static void put_desc(struct vring_desc *d, uint64_t addr, uint32_t len, uint16_t flags,
		     uint16_t next)
{
	d->addr = htole64(addr);
	d->len = htole32(len);
	d->flags = htole16(flags);
	d->next = htole16(next);
}

void vdrv_set_desc(struct vdrv_ring *r, uint16_t idx, uint64_t addr, uint32_t len,
		   uint16_t flags, uint16_t next)
{
	put_desc(at(r, r->desc + 16ULL * idx, 16), addr, len, flags, next);
}

int vdrv_add(struct vdrv_ring *r, const struct vdrv_buf *bufs, unsigned int n, bool indirect)
{
	unsigned int need = indirect ? 1 : n;
	uint16_t head = r->next_desc, mask = r->size - 1;
	uint32_t wlen = 0;

	if (n == 0 || need > r->free_desc)
		return -ENOSPC;
	for (unsigned int i = 0; i < n; i++)
		wlen += bufs[i].write ? bufs[i].len : 0;
	if (indirect) {
		uint64_t table = vdrv_alloc(r->m, 16ULL * n);
		struct vring_desc *t = at(r, table, 16ULL * n);

		for (unsigned int i = 0; i < n; i++)
			put_desc(&t[i], bufs[i].gpa, bufs[i].len,
				 (bufs[i].write ? VRING_DESC_F_WRITE : 0) |
				 (i + 1 < n ? VRING_DESC_F_NEXT : 0), (uint16_t)(i + 1));
		vdrv_set_desc(r, head, table, 16 * n, VRING_DESC_F_INDIRECT, 0);
	} else {
		for (unsigned int i = 0; i < n; i++)
			vdrv_set_desc(r, (head + i) & mask, bufs[i].gpa, bufs[i].len,
				      (bufs[i].write ? VRING_DESC_F_WRITE : 0) |
				      (i + 1 < n ? VRING_DESC_F_NEXT : 0),
				      (head + i + 1) & mask);
	}
	r->next_desc = (head + need) & mask;
	r->free_desc -= need;
	r->head_ndesc[head] = need;
	r->head_wlen[head] = wlen;
	return head;
}

void vdrv_publish(struct vdrv_ring *r, uint16_t head)
{
	struct vring_avail *a = at(r, r->avail, 6 + 2ULL * r->size);

	r->order[r->avail_idx & (r->size - 1)] = head;
	a->ring[r->avail_idx & (r->size - 1)] = htole16(head);
	r->avail_idx++;
	/* The entry before the index (spec 2.7.13.3). */
	__atomic_store_n(&a->idx, htole16(r->avail_idx), __ATOMIC_RELEASE);
}

void vdrv_set_avail_idx(struct vdrv_ring *r, uint16_t idx)
{
	struct vring_avail *a = at(r, r->avail, 4);

	__atomic_store_n(&a->idx, htole16(idx), __ATOMIC_RELEASE);
}

uint16_t vdrv_used_idx(const struct vdrv_ring *r)
{
	const struct vring_used *u = at(r, r->used, 4);

	return le16toh(__atomic_load_n(&u->idx, __ATOMIC_ACQUIRE));
}

struct vring_used_elem vdrv_used_elem(const struct vdrv_ring *r, uint16_t slot)
{
	const struct vring_used *u = at(r, r->used, 6 + 8ULL * r->size);
	struct vring_used_elem e = u->ring[slot & (r->size - 1)];

	e.id = le32toh(e.id);
	e.len = le32toh(e.len);
	return e;
}

static void release(struct vdrv_ring *r, uint16_t head)
{
	r->free_desc += r->head_ndesc[head];
	r->last_used++;
}

int vdrv_get_used(struct vdrv_ring *r, uint16_t *id, uint32_t *len)
{
	if (r->in_order && r->in_batch) {
		/* Still inside a batch: buffers follow avail order. */
		*id = r->order[r->last_used & (r->size - 1)];
		*len = *id == r->batch_last ? r->batch_len : r->head_wlen[*id];
		r->in_batch = *id != r->batch_last;
		release(r, *id);
		return 1;
	}
	if (vdrv_used_idx(r) == r->last_used)
		return 0;
	struct vring_used_elem e = vdrv_used_elem(r, r->last_used);

	if (!r->in_order) {
		*id = (uint16_t)e.id;
		*len = e.len;
		release(r, *id);
		return 1;
	}
	r->batch_last = (uint16_t)e.id;
	r->batch_len = e.len;
	r->in_batch = true;
	return vdrv_get_used(r, id, len);
}

uint16_t vdrv_used_flags(const struct vdrv_ring *r)
{
	const struct vring_used *u = at(r, r->used, 4);

	return le16toh(u->flags);
}

uint16_t vdrv_avail_event(const struct vdrv_ring *r)
{
	const uint16_t *p = at(r, r->used + 4 + 8ULL * r->size, 2);

	return le16toh(*p);
}

void vdrv_set_used_event(struct vdrv_ring *r, uint16_t v)
{
	uint16_t *p = at(r, r->avail + 4 + 2ULL * r->size, 2);

	*p = htole16(v);
}

void vdrv_set_avail_flags(struct vdrv_ring *r, uint16_t v)
{
	uint16_t *p = at(r, r->avail, 2);

	*p = htole16(v);
}

static void rec_queue(void *ctx, uint16_t q)
{
	struct vdrv_transport *t = ctx;

	if (q < VIRTIO_MAX_QUEUES)
		t->queue_irqs[q]++;
}

static void rec_config(void *ctx)
{
	struct vdrv_transport *t = ctx;

	t->config_irqs++;
}

static void rec_notify_again(void *ctx, uint16_t q)
{
	struct vdrv_transport *t = ctx;

	if (q < VIRTIO_MAX_QUEUES)
		t->notify_again[q]++;
}

static int rec_offload(void *ctx, uint16_t q, int *kick_fd, int *call_fd)
{
	struct vdrv_transport *t = ctx;

	if (q >= VIRTIO_MAX_QUEUES)
		return -EINVAL;
	t->offloads[q]++;
	if (t->offload_err[q])
		return t->offload_err[q];
	*kick_fd = VDRV_KICK_FD(q);
	*call_fd = VDRV_CALL_FD(q);
	return 0;
}

static void rec_reclaim(void *ctx, uint16_t q)
{
	struct vdrv_transport *t = ctx;

	if (q < VIRTIO_MAX_QUEUES)
		t->reclaims[q]++;
}

void vdrv_transport_init(struct vdrv_transport *t)
{
	memset(t, 0, sizeof(*t));
	t->t.signal_queue = rec_queue;
	t->t.signal_config = rec_config;
	t->t.notify_again = rec_notify_again;
	t->t.ctx = t;
}

void vdrv_attach(struct vdrv *v, struct virtio_dev *d, struct vdrv_mem *m)
{
	memset(v, 0, sizeof(*v));
	v->d = d;
	v->m = m;
	vdrv_transport_init(&v->tr);
	d->transport = v->tr.t;
}

void vdrv_lend_queues(struct vdrv *v)
{
	v->tr.t.queue_offload = rec_offload;
	v->tr.t.queue_reclaim = rec_reclaim;
	v->d->transport = v->tr.t;
}

uint64_t vdrv_device_features(struct vdrv *v)
{
	uint64_t f;

	v->d->device_feature_select = 0;
	f = virtio_dev_read_device_features(v->d);
	v->d->device_feature_select = 1;
	f |= (uint64_t)virtio_dev_read_device_features(v->d) << 32;
	return f;
}

uint8_t vdrv_negotiate(struct vdrv *v, uint64_t features)
{
	struct virtio_dev *d = v->d;

	virtio_dev_write_status(d, 0);
	virtio_dev_write_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE);
	virtio_dev_write_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER);
	d->driver_feature_select = 0;
	virtio_dev_write_driver_features(d, (uint32_t)features);
	d->driver_feature_select = 1;
	virtio_dev_write_driver_features(d, (uint32_t)(features >> 32));
	virtio_dev_write_status(d, VIRTIO_CONFIG_S_ACKNOWLEDGE | VIRTIO_CONFIG_S_DRIVER |
				   VIRTIO_CONFIG_S_FEATURES_OK);
	return virtio_dev_read_status(d);
}

void vdrv_setup_queue(struct vdrv *v, uint16_t q, uint16_t size)
{
	struct vdrv_ring *r = &v->rings[q];
	struct virtq *vq;

	v->d->queue_select = q;
	vq = virtio_dev_selected_queue(v->d);
	if (!vq || q >= VDRV_MAX_QUEUES)
		return;
	vdrv_ring_init(r, v->m, size, VDRV_RINGS + 0x10000ULL * q);
	r->in_order = virtio_dev_has_feature(v->d, VIRTIO_F_IN_ORDER);
	vdrv_ring_configure(r, vq);
}

uint8_t vdrv_driver_ok(struct vdrv *v)
{
	virtio_dev_write_status(v->d, virtio_dev_read_status(v->d) | VIRTIO_CONFIG_S_DRIVER_OK);
	return virtio_dev_read_status(v->d);
}

uint8_t vdrv_bring_up(struct vdrv *v, uint64_t features, uint16_t size)
{
	uint8_t s = vdrv_negotiate(v, features);

	if (!(s & VIRTIO_CONFIG_S_FEATURES_OK))
		return s;
	for (uint16_t q = 0; q < v->d->ops->num_queues && q < VDRV_MAX_QUEUES; q++)
		vdrv_setup_queue(v, q, size);
	return vdrv_driver_ok(v);
}

void vdrv_kick(struct vdrv *v, uint16_t q)
{
	virtio_dev_notify(v->d, q);
}
