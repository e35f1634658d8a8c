/* virtq: the device side of a split virtqueue (virtio 1.2 spec, 2.7).
 *
 * Memory ordering. The driver runs on other CPUs and writes the rings while
 * we read them, so every ring access is an explicit __atomic access, and the
 * barriers the spec asks for are spelled out where they are needed:
 *  - avail->idx is loaded with acquire before the ring entries and
 *    descriptors it covers are read (2.7.13.3: the driver writes those
 *    before it makes the index visible);
 *  - used ring entries are written before used->idx is stored with release
 *    (2.7.8, 2.7.14);
 *  - a full barrier separates publishing used->idx (or avail_event) from
 *    reading the driver's suppression fields (used_event, avail->flags,
 *    avail->idx), so that neither side can miss the other's update
 *    (2.7.7, 2.7.10; the same store-load pairing as Linux's
 *    virtqueue_kick_prepare on the driver side).
 * Descriptors are copied once into a local and only the copy is used, so a
 * guest rewriting a descriptor while we walk it cannot make us check one
 * value and use another. */
#include "virtio/virtq.h"

#include <endian.h>
#include <errno.h>
#include <string.h>
#include <linux/virtio_config.h>
#include <linux/virtio_pci.h>

/* Largest single chain length the used ring can report (le32). */
#define CHAIN_MAX_BYTES UINT32_MAX

void virtq_init(struct virtq *vq, uint16_t max_size)
{
	memset(vq, 0, sizeof(*vq));
	vq->max_size = max_size;
	virtq_reset(vq);
}

void virtq_reset(struct virtq *vq)
{
	uint16_t max = vq->max_size;

	memset(vq, 0, sizeof(*vq));
	vq->max_size = max;
	/* Spec 4.1.4.3: on reset queue_size holds the maximum the device
	 * supports and no MSI-X vector is assigned. */
	vq->size = max;
	vq->msix_vector = VIRTIO_MSI_NO_VECTOR;
}

static bool is_pow2(uint32_t v)
{
	return v && !(v & (v - 1));
}

/* Map one ring: wholly inside one RAM region and naturally aligned
 * (spec 2.7, "Virtqueue Part / Alignment": 16, 2 and 4 bytes). */
static void *map_ring(const struct guest_mem *mem, uint64_t gpa, uint64_t len,
		      uint64_t align)
{
	void *p;

	if (gpa & (align - 1))
		return NULL;
	p = guest_mem_ptr(mem, gpa, len);
	/* The host view must be as aligned as the guest address for the
	 * atomic accesses below; guest RAM is page-aligned host memory, so
	 * this only fails if mem/ ever hands out odd mappings. */
	if (p && ((uintptr_t)p & (align - 1)))
		return NULL;
	return p;
}

int virtq_start(struct virtq *vq, const struct guest_mem *mem, uint64_t features)
{
	uint64_t n = vq->size;

	vq->started = false;
	if (!vq->ready || !is_pow2(vq->size) || vq->size > vq->max_size)
		return -EINVAL;
	vq->mem = mem;
	/* Sizes per spec 2.7: desc 16*n; avail 6+2*n (flags, idx, ring,
	 * used_event); used 6+8*n (flags, idx, ring, avail_event). */
	vq->desc = map_ring(mem, vq->desc_gpa, 16 * n, 16);
	vq->avail = map_ring(mem, vq->avail_gpa, 6 + 2 * n, 2);
	vq->used = map_ring(mem, vq->used_gpa, 6 + 8 * n, 4);
	if (!vq->desc || !vq->avail || !vq->used)
		return -EINVAL;
	vq->event_idx = features & (1ULL << VIRTIO_RING_F_EVENT_IDX);
	vq->indirect = features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	vq->in_order = features & (1ULL << VIRTIO_F_IN_ORDER);
	vq->shadow_avail_idx = vq->last_avail_idx;
	vq->signalled_used_valid = false;
	vq->batch_count = 0;
	vq->next_head &= vq->size - 1;
	vq->started = true;
	return 0;
}

static uint16_t load16(const uint16_t *p)
{
	return le16toh(__atomic_load_n(p, __ATOMIC_RELAXED));
}

static void store16(uint16_t *p, uint16_t v)
{
	__atomic_store_n(p, htole16(v), __ATOMIC_RELAXED);
}

static uint16_t *used_event(struct virtq *vq)
{
	return &vq->avail->ring[vq->size];
}

static uint16_t *avail_event(struct virtq *vq)
{
	return (uint16_t *)&vq->used->ring[vq->size];
}

/* Copy one descriptor out of guest memory, once (see the top comment). */
static void read_desc(const void *src, struct vring_desc *d)
{
	memcpy(d, src, sizeof(*d));
	/* The copy is an output of this empty asm, so the compiler cannot
	 * replace later uses of *d by fresh loads from src (no double fetch);
	 * unlike a "memory" clobber it leaves everything else in registers. */
	__asm__ __volatile__("" : "+m"(*d));
	d->addr = le64toh(d->addr);
	d->len = le32toh(d->len);
	d->flags = le16toh(d->flags);
	d->next = le16toh(d->next);
}

/* What a walk has collected so far. */
struct walk {
	struct virtq_seg *segs;
	unsigned int max_segs;
	struct virtq_chain *c;
	uint64_t total;        /* readable + writable bytes */
	unsigned int ndesc;    /* buffer descriptors seen, direct and indirect */
};

/* Largest prefix of [gpa, gpa+len) that lies in one region, for a buffer
 * that guest_mem_ptr() refused whole: it may span adjacent regions. Only
 * the public guest_mem_ptr() is used, so a prefix of length L maps iff
 * every shorter one does and a binary search finds the longest. */
static uint32_t mappable_prefix(const struct guest_mem *mem, uint64_t gpa, uint32_t len)
{
	/* lo maps (or is 0), nothing longer than hi does. 64-bit so that
	 * hi - lo + 1 cannot wrap for len = 4 GiB - 1. */
	uint64_t lo = 0, hi = len;

	while (lo < hi) {
		uint64_t mid = lo + (hi - lo + 1) / 2;

		if (guest_mem_ptr(mem, gpa, mid))
			lo = mid;
		else
			hi = mid - 1;
	}
	return (uint32_t)lo;
}

static int add_buffer(struct virtq *vq, struct walk *w, const struct vring_desc *d)
{
	bool writable = d->flags & VRING_DESC_F_WRITE;
	struct virtq_chain *c = w->c;
	uint64_t gpa = d->addr;
	uint32_t len = d->len;

	/* Spec 2.7.5.3.1/2.7.4.2: a chain is no longer than the queue. */
	if (++w->ndesc > vq->size)
		return -EBADMSG;
	/* Spec 2.7.4.2: device-readable descriptors precede writable ones. */
	if (!writable && c->nsegs > c->nreadable)
		return -EBADMSG;
	/* A zero-length buffer says nothing useful and is refused, as QEMU
	 * refuses it ("zero sized buffers are not allowed"). */
	if (len == 0)
		return -EBADMSG;
	w->total += len;
	if (w->total > CHAIN_MAX_BYTES)
		return -EBADMSG;
	while (len) {
		void *p = guest_mem_ptr(vq->mem, gpa, len);
		uint32_t part = len;

		if (!p) {
			part = mappable_prefix(vq->mem, gpa, len);
			if (part == 0)
				return -EBADMSG;
			p = guest_mem_ptr(vq->mem, gpa, part);
		}
		if (c->nsegs >= w->max_segs)
			return -ENOBUFS;
		w->segs[c->nsegs++] = (struct virtq_seg){ p, part, writable };
		gpa += part;
		len -= part;
	}
	if (writable)
		c->writable_len += d->len;
	else {
		c->nreadable = c->nsegs;
		c->readable_len += d->len;
	}
	return 0;
}

/* Spec 2.7.5.3: walk an indirect table, which ends the chain. */
static int walk_indirect(struct virtq *vq, struct walk *w, const struct vring_desc *ind)
{
	const struct vring_desc *table;
	uint32_t entries, i = 0, steps = 0;
	struct vring_desc d;
	int r;

	if (!vq->indirect || (ind->flags & VRING_DESC_F_NEXT))
		return -EBADMSG;
	if (ind->len == 0 || ind->len % sizeof(struct vring_desc))
		return -EBADMSG;
	table = guest_mem_ptr(vq->mem, ind->addr, ind->len);
	if (!table)
		return -EBADMSG;
	entries = ind->len / sizeof(struct vring_desc);
	for (;;) {
		/* A loop inside the table revisits an entry within entries
		 * steps; the queue-size bound in add_buffer also applies. */
		if (++steps > entries)
			return -EBADMSG;
		read_desc(&table[i], &d);
		if (d.flags & VRING_DESC_F_INDIRECT)
			return -EBADMSG;   /* nested (2.7.5.3.1) */
		r = add_buffer(vq, w, &d);
		if (r < 0)
			return r;
		if (!(d.flags & VRING_DESC_F_NEXT))
			return 0;
		i = d.next;
		if (i >= entries)
			return -EBADMSG;
	}
}

/* Has the driver made buffers available beyond last_avail_idx? Reads
 * avail->idx (acquire) only when the cached copy is used up. -EBADMSG if
 * the driver claims more than a ring's worth (2.7.6: idx only ever runs
 * ahead of what the device has seen by at most the queue size). */
static int avail_pending(struct virtq *vq)
{
	uint16_t idx;

	if (vq->shadow_avail_idx != vq->last_avail_idx)
		return 1;
	/* Acquire: the ring entries and descriptors behind idx are read
	 * only after it (2.7.13.3). */
	idx = le16toh(__atomic_load_n(&vq->avail->idx, __ATOMIC_ACQUIRE));
	if ((uint16_t)(idx - vq->last_avail_idx) > vq->size)
		return -EBADMSG;
	vq->shadow_avail_idx = idx;
	return idx != vq->last_avail_idx;
}

int virtq_pop(struct virtq *vq, struct virtq_seg *segs, unsigned int max_segs,
	      struct virtq_chain *c)
{
	struct walk w = { .segs = segs, .max_segs = max_segs, .c = c };
	uint16_t mask = vq->size - 1, head, i;
	unsigned int ndesc = 0;
	struct vring_desc d;
	int r;

	if (!vq->started)
		return -EINVAL;
	r = avail_pending(vq);
	if (r <= 0)
		return r;
	if (vq->in_order)
		head = vq->next_head;   /* no avail->ring read (see virtq.h) */
	else
		head = load16(&vq->avail->ring[vq->last_avail_idx & mask]);
	if (head >= vq->size)
		return -EBADMSG;
	memset(c, 0, sizeof(*c));
	c->head = head;
	for (i = head;;) {
		/* Each step takes a table entry; more steps than entries
		 * means a loop (add_buffer also bounds buffers). */
		if (++ndesc > vq->size)
			return -EBADMSG;
		read_desc(&vq->desc[i], &d);
		if (d.flags & VRING_DESC_F_INDIRECT) {
			r = walk_indirect(vq, &w, &d);
			if (r < 0)
				return r;
			break;
		}
		r = add_buffer(vq, &w, &d);
		if (r < 0)
			return r;
		if (!(d.flags & VRING_DESC_F_NEXT))
			break;
		i = d.next;
		if (i >= vq->size)
			return -EBADMSG;
	}
	c->ndesc = ndesc;
	vq->last_avail_idx++;
	if (vq->in_order)
		vq->next_head = (head + ndesc) & mask;
	return 1;
}

void virtq_unpop(struct virtq *vq, const struct virtq_chain *c)
{
	vq->last_avail_idx--;
	if (vq->in_order)
		vq->next_head = c->head;
}

static void put_used(struct virtq *vq, uint16_t id, uint32_t len)
{
	struct vring_used_elem *e = &vq->used->ring[vq->used_idx & (vq->size - 1)];

	__atomic_store_n(&e->id, htole32(id), __ATOMIC_RELAXED);
	__atomic_store_n(&e->len, htole32(len), __ATOMIC_RELAXED);
}

/* Spec 2.7.9: one used entry, at the slot of the batch's first buffer,
 * with the id and length of its last; used_idx skips the whole batch. */
static void write_batch(struct virtq *vq)
{
	put_used(vq, vq->batch_id, vq->batch_len);
	vq->used_idx += vq->batch_count;
	vq->batch_count = 0;
}

void virtq_push(struct virtq *vq, const struct virtq_chain *c, uint32_t len)
{
	if (len > c->writable_len)
		len = c->writable_len;
	if (!vq->in_order) {
		put_used(vq, c->head, len);
		vq->used_idx++;
		return;
	}
	vq->batch_id = c->head;
	vq->batch_len = len;
	vq->batch_count++;
	/* A driver learns the lengths of a batch's other buffers from
	 * nothing but their descriptors, so only a buffer written in full
	 * may have its entry left out. */
	if (len < c->writable_len)
		write_batch(vq);
}

void virtq_flush(struct virtq *vq)
{
	if (!vq->started)
		return;
	if (vq->batch_count)
		write_batch(vq);
	/* Release: the used elements above are visible before the index
	 * that hands them to the driver (2.7.8). */
	__atomic_store_n(&vq->used->idx, htole16(vq->used_idx), __ATOMIC_RELEASE);
}

bool virtq_should_signal(struct virtq *vq)
{
	uint16_t old = vq->signalled_used, now = vq->used_idx;
	bool valid = vq->signalled_used_valid;

	if (!vq->started)
		return false;
	/* Full barrier: the used->idx store must be visible before we read
	 * the driver's suppression fields, or the driver could publish a new
	 * used_event we miss while it misses our index (2.7.7, 2.7.10). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vq->signalled_used = now;
	vq->signalled_used_valid = true;
	if (valid && old == now)
		return false;   /* nothing new since the last decision */
	if (vq->event_idx)
		/* 2.7.10: interrupt iff used idx moved past used_event. After
		 * start or restore we do not know what the driver saw: signal. */
		return !valid || vring_need_event(load16(used_event(vq)), now, old);
	/* 2.7.7: without EVENT_IDX the flag is a hint; honour it. */
	return !(load16(&vq->avail->flags) & VRING_AVAIL_F_NO_INTERRUPT);
}

void virtq_disable_notify(struct virtq *vq)
{
	if (!vq->started)
		return;
	/* With EVENT_IDX the driver notifies only when avail->idx passes
	 * avail_event, which we leave behind: nothing to write (2.7.10). */
	if (!vq->event_idx)
		store16(&vq->used->flags, VRING_USED_F_NO_NOTIFY);
}

bool virtq_enable_notify(struct virtq *vq)
{
	if (!vq->started)
		return false;
	if (vq->event_idx)
		/* Notify me when you make entry last_avail_idx available. */
		store16(avail_event(vq), vq->last_avail_idx);
	else
		store16(&vq->used->flags, 0);
	/* Full barrier: our write above must be visible before we look at
	 * avail->idx again, so a buffer added meanwhile is either seen here
	 * or notified (2.7.10). */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vq->shadow_avail_idx = vq->last_avail_idx;   /* force a re-read */
	return avail_pending(vq) != 0;   /* a malformed idx: let pop report it */
}
