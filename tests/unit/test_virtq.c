/* Unit tests: the split virtqueue (virtio/virtq.c) against rings built from
 * the driver side in fake guest memory: valid chains, every hostile case
 * the pop contract lists, in-order batching and event-idx suppression. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "support/virtio_driver.h"
#include "virtio/virtq.h"

#define F_INDIRECT (1ULL << VIRTIO_RING_F_INDIRECT_DESC)
#define F_EVENT    (1ULL << VIRTIO_RING_F_EVENT_IDX)
#define F_IN_ORDER (1ULL << VIRTIO_F_IN_ORDER)
#define MB (1ULL << 20)
#define NSEGS 64

struct fx {
	struct vdrv_mem m;
	struct vdrv_ring r;
	struct virtq vq;
	struct virtq_seg segs[NSEGS];
	struct virtq_chain c;
};

static struct fx *fx_new_split(uint16_t size, uint64_t features, uint64_t split)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(vdrv_mem_init(&f->m, split), 0);
	vdrv_ring_init(&f->r, &f->m, size, VDRV_RINGS);
	f->r.in_order = features & F_IN_ORDER;
	virtq_init(&f->vq, 1024);
	vdrv_ring_configure(&f->r, &f->vq);
	assert_int_equal(virtq_start(&f->vq, &f->m.mem, features), 0);
	return f;
}

static struct fx *fx_new(uint16_t size, uint64_t features)
{
	return fx_new_split(size, features, 0);
}

static void fx_free(struct fx *f)
{
	vdrv_mem_destroy(&f->m);
	free(f);
}

static int pop(struct fx *f)
{
	return virtq_pop(&f->vq, f->segs, NSEGS, &f->c);
}

/* Publish a chain of one readable and one writable buffer. */
static uint16_t add_rw(struct fx *f, uint32_t rlen, uint32_t wlen, bool indirect)
{
	struct vdrv_buf b[2] = {
		{ vdrv_alloc(&f->m, rlen), rlen, false },
		{ vdrv_alloc(&f->m, wlen), wlen, true },
	};
	int head = vdrv_add(&f->r, b, 2, indirect);

	assert_true(head >= 0);
	vdrv_publish(&f->r, (uint16_t)head);
	return (uint16_t)head;
}

static uint16_t add_w(struct fx *f, uint32_t wlen)
{
	struct vdrv_buf b = { vdrv_alloc(&f->m, wlen), wlen, true };
	int head = vdrv_add(&f->r, &b, 1, false);

	assert_true(head >= 0);
	vdrv_publish(&f->r, (uint16_t)head);
	return (uint16_t)head;
}

static void direct_chain(void **state)
{
	struct fx *f = fx_new(16, 0);
	struct vdrv_buf b[3] = {
		{ vdrv_alloc(&f->m, 10), 10, false },
		{ vdrv_alloc(&f->m, 20), 20, true },
		{ vdrv_alloc(&f->m, 30), 30, true },
	};
	int head = vdrv_add(&f->r, b, 3, false);

	(void)state;
	assert_int_equal(pop(f), 0);   /* nothing yet */
	vdrv_publish(&f->r, (uint16_t)head);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.head, head);
	assert_int_equal(f->c.nsegs, 3);
	assert_int_equal(f->c.nreadable, 1);
	assert_int_equal(f->c.ndesc, 3);
	assert_int_equal(f->c.readable_len, 10);
	assert_int_equal(f->c.writable_len, 50);
	for (int i = 0; i < 3; i++) {
		assert_ptr_equal(f->segs[i].addr, vdrv_host(&f->m, b[i].gpa, b[i].len));
		assert_int_equal(f->segs[i].len, b[i].len);
		assert_int_equal(f->segs[i].writable, b[i].write);
	}
	assert_int_equal(pop(f), 0);
	assert_int_equal(f->vq.last_avail_idx, 1);
	fx_free(f);
}

static void indirect_chain(void **state)
{
	struct fx *f = fx_new(16, F_INDIRECT);
	struct vdrv_buf b[4] = {
		{ vdrv_alloc(&f->m, 8), 8, false },
		{ vdrv_alloc(&f->m, 8), 8, false },
		{ vdrv_alloc(&f->m, 100), 100, true },
		{ vdrv_alloc(&f->m, 4), 4, true },
	};
	int head = vdrv_add(&f->r, b, 4, true);

	(void)state;
	vdrv_publish(&f->r, (uint16_t)head);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.nsegs, 4);
	assert_int_equal(f->c.nreadable, 2);
	assert_int_equal(f->c.ndesc, 1);
	assert_int_equal(f->c.readable_len, 16);
	assert_int_equal(f->c.writable_len, 104);
	assert_ptr_equal(f->segs[2].addr, vdrv_host(&f->m, b[2].gpa, 100));
	fx_free(f);

	/* Not negotiated: refused. */
	f = fx_new(16, 0);
	add_rw(f, 8, 8, true);
	assert_int_equal(pop(f), -EBADMSG);
	fx_free(f);
}

/* Direct descriptors followed by one indirect one (2.7.5.3.1). */
static void direct_then_indirect(void **state)
{
	struct fx *f = fx_new(16, F_INDIRECT);
	uint64_t t = vdrv_alloc(&f->m, 32), buf = vdrv_alloc(&f->m, 64);
	struct vring_desc *tab = vdrv_host(&f->m, t, 32);

	(void)state;
	tab[0] = (struct vring_desc){ buf + 16, 16, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1 };
	tab[1] = (struct vring_desc){ buf + 32, 16, VRING_DESC_F_WRITE, 0 };
	vdrv_set_desc(&f->r, 0, buf, 16, VRING_DESC_F_NEXT, 1);
	vdrv_set_desc(&f->r, 1, t, 32, VRING_DESC_F_INDIRECT, 0);
	vdrv_publish(&f->r, 0);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.nsegs, 3);
	assert_int_equal(f->c.ndesc, 2);
	assert_int_equal(f->c.writable_len, 32);
	fx_free(f);
}

/* Publish head 0 whose chain the caller wrote, expect err, nothing consumed. */
static void expect_bad(struct fx *f, int err)
{
	vdrv_publish(&f->r, 0);
	assert_int_equal(pop(f), err);
	assert_int_equal(f->vq.last_avail_idx, 0);
	/* The same error again: a bad chain stays bad, nothing crashes. */
	assert_int_equal(pop(f), err);
}

static void loops_rejected(void **state)
{
	struct fx *f = fx_new(8, 0);
	uint64_t buf = vdrv_alloc(&f->m, 64);

	(void)state;
	vdrv_set_desc(&f->r, 0, buf, 8, VRING_DESC_F_NEXT, 0);   /* self loop */
	expect_bad(f, -EBADMSG);
	fx_free(f);

	f = fx_new(8, 0);
	buf = vdrv_alloc(&f->m, 64);
	vdrv_set_desc(&f->r, 0, buf, 8, VRING_DESC_F_NEXT, 1);
	vdrv_set_desc(&f->r, 1, buf, 8, VRING_DESC_F_NEXT, 2);
	vdrv_set_desc(&f->r, 2, buf, 8, VRING_DESC_F_NEXT, 0);
	expect_bad(f, -EBADMSG);
	fx_free(f);

	/* A loop inside an indirect table. */
	f = fx_new(8, F_INDIRECT);
	uint64_t t = vdrv_alloc(&f->m, 32);
	struct vring_desc *tab = vdrv_host(&f->m, t, 32);

	tab[0] = (struct vring_desc){ buf, 8, VRING_DESC_F_NEXT, 1 };
	tab[1] = (struct vring_desc){ buf, 8, VRING_DESC_F_NEXT, 0 };
	vdrv_set_desc(&f->r, 0, t, 32, VRING_DESC_F_INDIRECT, 0);
	expect_bad(f, -EBADMSG);
	fx_free(f);
}

static void chain_longer_than_queue(void **state)
{
	/* An indirect table of size+1 linked entries, no loop. */
	struct fx *f = fx_new(8, F_INDIRECT);
	uint64_t buf = vdrv_alloc(&f->m, 64), t = vdrv_alloc(&f->m, 16 * 9);
	struct vring_desc *tab = vdrv_host(&f->m, t, 16 * 9);

	(void)state;
	for (int i = 0; i < 9; i++)
		tab[i] = (struct vring_desc){ buf, 8, i < 8 ? VRING_DESC_F_NEXT : 0,
					      (uint16_t)(i + 1) };
	vdrv_set_desc(&f->r, 0, t, 16 * 9, VRING_DESC_F_INDIRECT, 0);
	expect_bad(f, -EBADMSG);
	/* Exactly the queue size is fine. */
	tab[7].flags = 0;
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.nsegs, 8);
	fx_free(f);
}

static void indices_out_of_range(void **state)
{
	struct fx *f = fx_new(8, 0);
	uint64_t buf = vdrv_alloc(&f->m, 64);

	(void)state;
	/* next >= size */
	vdrv_set_desc(&f->r, 0, buf, 8, VRING_DESC_F_NEXT, 8);
	expect_bad(f, -EBADMSG);
	fx_free(f);

	/* head >= size */
	f = fx_new(8, 0);
	vdrv_publish(&f->r, 8);
	assert_int_equal(pop(f), -EBADMSG);
	fx_free(f);

	/* avail->idx more than size ahead; exactly size is allowed. */
	f = fx_new(8, 0);
	buf = vdrv_alloc(&f->m, 64);
	for (int i = 0; i < 8; i++)
		vdrv_set_desc(&f->r, (uint16_t)i, buf, 8, VRING_DESC_F_WRITE, 0);
	vdrv_set_avail_idx(&f->r, 9);
	assert_int_equal(pop(f), -EBADMSG);
	vdrv_set_avail_idx(&f->r, 0xffff);   /* "behind": as far ahead as 65535 */
	assert_int_equal(pop(f), -EBADMSG);
	vdrv_set_avail_idx(&f->r, 8);
	for (int i = 0; i < 8; i++)
		assert_int_equal(pop(f), 1);
	assert_int_equal(pop(f), 0);
	fx_free(f);
}

static void addresses_outside_ram(void **state)
{
	static const struct { uint64_t addr; uint32_t len; } bad[] = {
		{ VDRV_RAM, 1 },                 /* just past RAM */
		{ VDRV_RAM - 8, 16 },            /* crossing the end */
		{ UINT64_MAX - 4, 16 },          /* wrapping */
		{ 0x1000, 0 },                   /* zero length */
		{ 0, 0xffffffffu },              /* longer than RAM */
	};

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct fx *f = fx_new(8, 0);

		vdrv_set_desc(&f->r, 0, bad[i].addr, bad[i].len, VRING_DESC_F_WRITE, 0);
		expect_bad(f, -EBADMSG);
		fx_free(f);
	}
}

static void length_overflow(void **state)
{
	/* 256 buffers of all 16 MiB of RAM add up to 4 GiB, one byte more
	 * than a used length can say: refused by the sum check (each buffer
	 * alone maps). 255 of them are fine. */
	struct fx *f = fx_new(256, F_INDIRECT);
	uint64_t t = vdrv_alloc(&f->m, 16 * 256);
	struct vring_desc *tab = vdrv_host(&f->m, t, 16 * 256);
	static struct virtq_seg segs[256];

	(void)state;
	for (int i = 0; i < 256; i++)
		tab[i] = (struct vring_desc){ 0, VDRV_RAM, VRING_DESC_F_WRITE |
					      (i < 255 ? VRING_DESC_F_NEXT : 0), (uint16_t)(i + 1) };
	vdrv_set_desc(&f->r, 0, t, 16 * 256, VRING_DESC_F_INDIRECT, 0);
	vdrv_publish(&f->r, 0);
	assert_int_equal(virtq_pop(&f->vq, segs, 256, &f->c), -EBADMSG);
	tab[254].flags = VRING_DESC_F_WRITE;
	assert_int_equal(virtq_pop(&f->vq, segs, 256, &f->c), 1);
	assert_int_equal(f->c.writable_len, 255u * VDRV_RAM);
	fx_free(f);
}

static void wrong_direction_order(void **state)
{
	struct fx *f = fx_new(8, F_INDIRECT);
	uint64_t buf = vdrv_alloc(&f->m, 64);

	(void)state;
	vdrv_set_desc(&f->r, 0, buf, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	vdrv_set_desc(&f->r, 1, buf, 8, 0, 0);
	expect_bad(f, -EBADMSG);
	fx_free(f);

	/* Writable direct descriptor, then a readable one in an indirect table. */
	f = fx_new(8, F_INDIRECT);
	buf = vdrv_alloc(&f->m, 64);
	uint64_t t = vdrv_alloc(&f->m, 16);
	struct vring_desc *tab = vdrv_host(&f->m, t, 16);

	tab[0] = (struct vring_desc){ buf, 8, 0, 0 };
	vdrv_set_desc(&f->r, 0, buf, 8, VRING_DESC_F_WRITE | VRING_DESC_F_NEXT, 1);
	vdrv_set_desc(&f->r, 1, t, 16, VRING_DESC_F_INDIRECT, 0);
	expect_bad(f, -EBADMSG);
	fx_free(f);
}

static void bad_indirect_tables(void **state)
{
	struct fx *f;
	uint64_t buf, t;
	struct vring_desc *tab;

	(void)state;
	/* nested */
	f = fx_new(8, F_INDIRECT);
	buf = vdrv_alloc(&f->m, 64);
	t = vdrv_alloc(&f->m, 32);
	tab = vdrv_host(&f->m, t, 32);
	tab[0] = (struct vring_desc){ t, 32, VRING_DESC_F_INDIRECT, 0 };
	vdrv_set_desc(&f->r, 0, t, 32, VRING_DESC_F_INDIRECT, 0);
	expect_bad(f, -EBADMSG);
	fx_free(f);

	/* INDIRECT with NEXT; length not a multiple of 16; zero length;
	 * table outside RAM; next beyond the table. */
	f = fx_new(8, F_INDIRECT);
	buf = vdrv_alloc(&f->m, 64);
	t = vdrv_alloc(&f->m, 32);
	tab = vdrv_host(&f->m, t, 32);
	tab[0] = (struct vring_desc){ buf, 8, VRING_DESC_F_NEXT, 2 };
	tab[1] = (struct vring_desc){ buf, 8, 0, 0 };
	vdrv_set_desc(&f->r, 1, buf, 8, 0, 0);
	vdrv_set_desc(&f->r, 0, t, 32, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 1);
	expect_bad(f, -EBADMSG);
	vdrv_set_desc(&f->r, 0, t, 24, VRING_DESC_F_INDIRECT, 0);
	assert_int_equal(pop(f), -EBADMSG);
	vdrv_set_desc(&f->r, 0, t, 0, VRING_DESC_F_INDIRECT, 0);
	assert_int_equal(pop(f), -EBADMSG);
	vdrv_set_desc(&f->r, 0, VDRV_RAM - 16, 32, VRING_DESC_F_INDIRECT, 0);
	assert_int_equal(pop(f), -EBADMSG);
	vdrv_set_desc(&f->r, 0, t, 32, VRING_DESC_F_INDIRECT, 0);
	assert_int_equal(pop(f), -EBADMSG);    /* tab[0].next == 2 >= 2 entries */
	tab[0].next = 1;
	assert_int_equal(pop(f), 1);
	fx_free(f);
}

static void too_many_segments(void **state)
{
	struct fx *f = fx_new(8, 0);
	struct vdrv_buf b[4];

	(void)state;
	for (int i = 0; i < 4; i++)
		b[i] = (struct vdrv_buf){ vdrv_alloc(&f->m, 8), 8, true };
	vdrv_publish(&f->r, (uint16_t)vdrv_add(&f->r, b, 4, false));
	assert_int_equal(virtq_pop(&f->vq, f->segs, 3, &f->c), -ENOBUFS);
	assert_int_equal(f->vq.last_avail_idx, 0);
	assert_int_equal(virtq_pop(&f->vq, f->segs, 4, &f->c), 1);
	fx_free(f);
}

static void buffer_spanning_regions(void **state)
{
	/* Two adjacent RAM regions at 8 MiB with separate host mappings. */
	struct fx *f = fx_new_split(8, 0, 8 * MB);
	uint64_t gpa = 8 * MB - 100;

	(void)state;
	vdrv_set_desc(&f->r, 0, gpa, 300, VRING_DESC_F_WRITE, 0);
	vdrv_publish(&f->r, 0);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.nsegs, 2);
	assert_int_equal(f->c.writable_len, 300);
	assert_ptr_equal(f->segs[0].addr, vdrv_host(&f->m, gpa, 100));
	assert_int_equal(f->segs[0].len, 100);
	assert_ptr_equal(f->segs[1].addr, vdrv_host(&f->m, 8 * MB, 200));
	assert_int_equal(f->segs[1].len, 200);
	fx_free(f);
}

static void start_checks(void **state)
{
	struct vdrv_mem m;
	struct vdrv_ring r;
	struct virtq vq;

	(void)state;
	assert_int_equal(vdrv_mem_init(&m, 0), 0);
	vdrv_ring_init(&r, &m, 8, VDRV_RINGS);
	virtq_init(&vq, 16);
	assert_int_equal(vq.size, 16);
	assert_int_equal(vq.msix_vector, 0xffff);
	struct virtq_chain c;
	assert_int_equal(virtq_pop(&vq, NULL, 0, &c), -EINVAL);   /* not started */
	vdrv_ring_configure(&r, &vq);
	vq.ready = false;
	assert_int_equal(virtq_start(&vq, &m.mem, 0), -EINVAL);
	vdrv_ring_configure(&r, &vq);
	vq.size = 12;
	assert_int_equal(virtq_start(&vq, &m.mem, 0), -EINVAL);
	vq.size = 32;   /* > max_size */
	assert_int_equal(virtq_start(&vq, &m.mem, 0), -EINVAL);
	vq.size = 8;
	vq.desc_gpa += 8;   /* misaligned */
	assert_int_equal(virtq_start(&vq, &m.mem, 0), -EINVAL);
	vdrv_ring_configure(&r, &vq);
	vq.used_gpa = VDRV_RAM - 8;   /* not wholly in RAM */
	assert_int_equal(virtq_start(&vq, &m.mem, 0), -EINVAL);
	vdrv_ring_configure(&r, &vq);
	assert_int_equal(virtq_start(&vq, &m.mem, 0), 0);
	virtq_reset(&vq);
	assert_false(vq.started);
	assert_false(vq.ready);
	assert_int_equal(vq.size, 16);
	vdrv_mem_destroy(&m);
}

static void not_in_order_one_entry_each(void **state)
{
	struct fx *f = fx_new(8, 0);
	int h[3];
	struct vdrv_buf b = { vdrv_alloc(&f->m, 16), 16, true };
	uint16_t id;
	uint32_t len;

	(void)state;
	for (int i = 0; i < 3; i++)
		h[i] = vdrv_add(&f->r, &b, 1, false);
	/* Made available out of table order. */
	vdrv_publish(&f->r, (uint16_t)h[2]);
	vdrv_publish(&f->r, (uint16_t)h[0]);
	vdrv_publish(&f->r, (uint16_t)h[1]);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pop(f), 1);
		virtq_push(&f->vq, &f->c, (uint32_t)(i + 1));
	}
	assert_int_equal(vdrv_used_idx(&f->r), 0);   /* not published before flush */
	virtq_flush(&f->vq);
	assert_int_equal(vdrv_used_idx(&f->r), 3);
	assert_int_equal(vdrv_used_elem(&f->r, 0).id, h[2]);
	assert_int_equal(vdrv_used_elem(&f->r, 1).id, h[0]);
	assert_int_equal(vdrv_used_elem(&f->r, 2).id, h[1]);
	assert_int_equal(vdrv_used_elem(&f->r, 2).len, 3);
	assert_int_equal(vdrv_get_used(&f->r, &id, &len), 1);
	assert_int_equal(id, h[2]);
	/* A length beyond the writable bytes is clamped. */
	add_w(f, 16);
	assert_int_equal(pop(f), 1);
	virtq_push(&f->vq, &f->c, 1000);
	virtq_flush(&f->vq);
	assert_int_equal(vdrv_used_elem(&f->r, 3).len, 16);
	fx_free(f);
}

static void in_order_batches(void **state)
{
	struct fx *f = fx_new(8, F_IN_ORDER);
	uint16_t h[5], id;
	uint32_t len;

	(void)state;
	for (int i = 0; i < 3; i++)
		h[i] = add_rw(f, 4, 16, false);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pop(f), 1);
		assert_int_equal(f->c.head, h[i]);
		virtq_push(&f->vq, &f->c, 16);
	}
	virtq_flush(&f->vq);
	/* One entry for the batch of three: slot 0, id of the last, used idx 3. */
	assert_int_equal(vdrv_used_idx(&f->r), 3);
	assert_int_equal(vdrv_used_elem(&f->r, 0).id, h[2]);
	assert_int_equal(vdrv_used_elem(&f->r, 0).len, 16);
	assert_int_equal(vdrv_used_elem(&f->r, 1).id, 0);
	assert_int_equal(vdrv_used_elem(&f->r, 1).len, 0);
	assert_int_equal(vdrv_used_elem(&f->r, 2).len, 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(vdrv_get_used(&f->r, &id, &len), 1);
		assert_int_equal(id, h[i]);
		assert_int_equal(len, 16);
	}
	assert_int_equal(vdrv_get_used(&f->r, &id, &len), 0);

	/* A buffer written in part ends its batch with its own entry. */
	h[3] = add_rw(f, 4, 16, false);   /* wraps the table: heads 6, 0 */
	h[4] = add_rw(f, 4, 16, false);
	assert_int_equal(h[3], 6);
	assert_int_equal(h[4], 0);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.head, h[3]);
	virtq_push(&f->vq, &f->c, 5);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.head, h[4]);
	virtq_push(&f->vq, &f->c, 16);
	virtq_flush(&f->vq);
	assert_int_equal(vdrv_used_idx(&f->r), 5);
	assert_int_equal(vdrv_used_elem(&f->r, 3).id, h[3]);
	assert_int_equal(vdrv_used_elem(&f->r, 3).len, 5);
	assert_int_equal(vdrv_used_elem(&f->r, 4).id, h[4]);
	assert_int_equal(vdrv_get_used(&f->r, &id, &len), 1);
	assert_int_equal(len, 5);
	assert_int_equal(vdrv_get_used(&f->r, &id, &len), 1);
	assert_int_equal(id, h[4]);
	fx_free(f);
}

static void in_order_skips_avail_ring(void **state)
{
	struct fx *f = fx_new(8, F_IN_ORDER | F_INDIRECT);
	struct vring_avail *a = vdrv_host(&f->m, f->r.avail, 4 + 16);
	uint16_t h0 = add_rw(f, 4, 4, false), h1 = add_rw(f, 4, 4, true);

	(void)state;
	/* The device must not need these: scribble over them. */
	a->ring[0] = 7;
	a->ring[1] = 0xffff;
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.head, h0);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.head, h1);
	assert_int_equal(h1, 2);
	assert_int_equal(f->vq.next_head, 3);   /* the indirect chain took one */
	/* Unpop gives the same chain again. */
	virtq_unpop(&f->vq, &f->c);
	assert_int_equal(pop(f), 1);
	assert_int_equal(f->c.head, h1);
	fx_free(f);
}

static void index_wraparound(void **state)
{
	struct fx *f = fx_new(4, 0);
	uint16_t id;
	uint32_t len;

	(void)state;
	f->vq.last_avail_idx = f->vq.used_idx = 65534;
	f->vq.shadow_avail_idx = 65534;
	f->r.avail_idx = f->r.last_used = 65534;
	for (int i = 0; i < 6; i++) {
		uint16_t h = add_w(f, 8);

		assert_int_equal(pop(f), 1);
		assert_int_equal(f->c.head, h);
		virtq_push(&f->vq, &f->c, 8);
		virtq_flush(&f->vq);
		assert_int_equal(vdrv_get_used(&f->r, &id, &len), 1);
		assert_int_equal(id, h);
	}
	assert_int_equal(vdrv_used_idx(&f->r), 4);
	fx_free(f);
}

static void complete_one(struct fx *f)
{
	add_w(f, 8);
	assert_int_equal(pop(f), 1);
	virtq_push(&f->vq, &f->c, 8);
	virtq_flush(&f->vq);
}

static void used_suppression_event_idx(void **state)
{
	struct fx *f = fx_new(16, F_EVENT);

	(void)state;
	complete_one(f);
	assert_true(virtq_should_signal(&f->vq));   /* first: state unknown */
	assert_false(virtq_should_signal(&f->vq));  /* nothing new */
	vdrv_set_used_event(&f->r, 4);   /* interrupt when used idx passes 4 */
	complete_one(f);                 /* used idx 2 */
	assert_false(virtq_should_signal(&f->vq));
	complete_one(f);
	complete_one(f);                 /* used idx 4 */
	assert_false(virtq_should_signal(&f->vq));
	complete_one(f);                 /* used idx 5: entry 4 used */
	assert_true(virtq_should_signal(&f->vq));
	/* The NO_INTERRUPT flag means nothing with EVENT_IDX. */
	vdrv_set_avail_flags(&f->r, VRING_AVAIL_F_NO_INTERRUPT);
	vdrv_set_used_event(&f->r, 5);
	complete_one(f);
	assert_true(virtq_should_signal(&f->vq));
	fx_free(f);
}

static void used_suppression_flag(void **state)
{
	struct fx *f = fx_new(16, 0);

	(void)state;
	complete_one(f);
	assert_true(virtq_should_signal(&f->vq));
	vdrv_set_avail_flags(&f->r, VRING_AVAIL_F_NO_INTERRUPT);
	vdrv_set_used_event(&f->r, 1);   /* ignored without EVENT_IDX */
	complete_one(f);
	assert_false(virtq_should_signal(&f->vq));
	vdrv_set_avail_flags(&f->r, 0);
	complete_one(f);
	assert_true(virtq_should_signal(&f->vq));
	assert_false(virtq_should_signal(&f->vq));
	fx_free(f);
}

static void avail_suppression(void **state)
{
	struct fx *f = fx_new(16, F_EVENT);

	(void)state;
	add_w(f, 8);
	add_w(f, 8);
	virtq_disable_notify(&f->vq);
	assert_int_equal(vdrv_used_flags(&f->r), 0);   /* EVENT_IDX: flag unused */
	assert_int_equal(pop(f), 1);
	assert_int_equal(pop(f), 1);
	assert_false(virtq_enable_notify(&f->vq));
	assert_int_equal(vdrv_avail_event(&f->r), 2);  /* notify me at entry 2 */
	add_w(f, 8);   /* the driver raced in a buffer */
	assert_true(virtq_enable_notify(&f->vq));
	fx_free(f);

	f = fx_new(16, 0);
	virtq_disable_notify(&f->vq);
	assert_int_equal(vdrv_used_flags(&f->r), VRING_USED_F_NO_NOTIFY);
	assert_false(virtq_enable_notify(&f->vq));
	assert_int_equal(vdrv_used_flags(&f->r), 0);
	add_w(f, 8);
	assert_true(virtq_enable_notify(&f->vq));
	/* A malformed avail idx shows up as "more work", for pop to report. */
	vdrv_set_avail_idx(&f->r, 100);
	assert_true(virtq_enable_notify(&f->vq));
	assert_int_equal(pop(f), -EBADMSG);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(direct_chain),
		cmocka_unit_test(indirect_chain),
		cmocka_unit_test(direct_then_indirect),
		cmocka_unit_test(loops_rejected),
		cmocka_unit_test(chain_longer_than_queue),
		cmocka_unit_test(indices_out_of_range),
		cmocka_unit_test(addresses_outside_ram),
		cmocka_unit_test(length_overflow),
		cmocka_unit_test(wrong_direction_order),
		cmocka_unit_test(bad_indirect_tables),
		cmocka_unit_test(too_many_segments),
		cmocka_unit_test(buffer_spanning_regions),
		cmocka_unit_test(start_checks),
		cmocka_unit_test(not_in_order_one_entry_each),
		cmocka_unit_test(in_order_batches),
		cmocka_unit_test(in_order_skips_avail_ring),
		cmocka_unit_test(index_wraparound),
		cmocka_unit_test(used_suppression_event_idx),
		cmocka_unit_test(used_suppression_flag),
		cmocka_unit_test(avail_suppression),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
