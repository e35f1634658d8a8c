/* Unit tests: the guest memory map's structure (trees, id table, listener)
 * against a brute-force model. Host addresses are never dereferenced here,
 * so they are made-up page-aligned numbers. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mem/guest_mem.h"

#define PAGE GUEST_MEM_PAGE_SIZE
#define FAKE_HVA(x) ((void *)(uintptr_t)(0x100000000000ULL + (x)))

/* xorshift64*: a fixed seed makes every failure reproducible. */
static uint64_t rnd(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

struct model {
	int live;
	uint64_t gpa, size, hva;
};

#define MODEL_MAX 256
#define GPA_PAGES 512  /* a small space, so that overlaps are frequent */
#define HVA_PAGES 256  /* smaller still, so that aliases are frequent */

static int model_overlaps(const struct model *m, int skip, uint64_t gpa, uint64_t size)
{
	for (int i = 0; i < MODEL_MAX; i++)
		if (m[i].live && i != skip && gpa < m[i].gpa + m[i].size && m[i].gpa < gpa + size)
			return 1;
	return 0;
}

static int model_count(const struct model *m)
{
	int n = 0;

	for (int i = 0; i < MODEL_MAX; i++)
		n += m[i].live;
	return n;
}

struct hva_count {
	int n;
	uint64_t last_hva;
	int ordered;
};

static int count_hva(const struct guest_mem_region *r, void *ctx)
{
	struct hva_count *c = ctx;

	if ((uint64_t)(uintptr_t)r->hva < c->last_hva)
		c->ordered = 0;
	c->last_hva = (uint64_t)(uintptr_t)r->hva;
	c->n++;
	return 0;
}

static void compare_lookups(struct guest_mem *mem, const struct model *m, uint64_t *seed)
{
	for (int k = 0; k < 64; k++) {
		uint64_t gpa = rnd(seed) % ((GPA_PAGES + 8) * PAGE);
		uint64_t hva = rnd(seed) % ((HVA_PAGES + 8) * PAGE);
		uint64_t len = 1 + rnd(seed) % (4 * PAGE);
		struct guest_mem_region r;
		struct hva_count c = { 0, 0, 1 };
		int want = -1, nh = 0;

		for (int i = 0; i < MODEL_MAX; i++) {
			if (!m[i].live)
				continue;
			if (gpa >= m[i].gpa && gpa < m[i].gpa + m[i].size)
				want = i;
			if (hva < m[i].hva + m[i].size && m[i].hva < hva + len)
				nh++;
		}
		if (want < 0) {
			assert_int_equal(guest_mem_find_gpa(mem, gpa, &r), -ENOENT);
		} else {
			assert_int_equal(guest_mem_find_gpa(mem, gpa, &r), 0);
			assert_int_equal(r.id, want);
			assert_int_equal(r.gpa, m[want].gpa);
		}
		assert_int_equal(guest_mem_find_hva(mem, FAKE_HVA(hva), len, count_hva, &c), nh);
		assert_int_equal(c.n, nh);
		assert_true(c.ordered);
	}
}

/* Thousands of random adds, deletes, moves and resizes; after each, the
 * result must be the model's, and the trees must stay valid. */
static void random_ops_match_model(void **state)
{
	static struct model m[MODEL_MAX];
	struct guest_mem mem;
	uint64_t seed = 0x5eed1234abcdULL;

	(void)state;
	memset(m, 0, sizeof(m));
	assert_int_equal(guest_mem_create(&mem), 0);
	for (int op = 0; op < 20000; op++) {
		uint64_t gpa = (rnd(&seed) % GPA_PAGES) * PAGE;
		uint64_t size = (1 + rnd(&seed) % 8) * PAGE;
		uint64_t hva = (rnd(&seed) % HVA_PAGES) * PAGE;
		int id = (int)(rnd(&seed) % MODEL_MAX), ret, want;
		uint32_t got;

		switch (rnd(&seed) % 4) {
		case 0: /* add */
			want = model_overlaps(m, -1, gpa, size) ? -EEXIST : 0;
			if (model_count(m) == MODEL_MAX)
				break;
			ret = guest_mem_region_add(&mem, gpa, size, FAKE_HVA(hva), GUEST_MEM_RAM,
						   &got);
			assert_int_equal(ret, want);
			if (ret == 0) {
				assert_true(got < MODEL_MAX);
				assert_false(m[got].live);
				m[got] = (struct model){ 1, gpa, size, hva };
			}
			break;
		case 1: /* delete */
			ret = guest_mem_region_del(&mem, (uint32_t)id);
			assert_int_equal(ret, m[id].live ? 0 : -ENOENT);
			m[id].live = 0;
			break;
		case 2: /* move */
			want = !m[id].live ? -ENOENT :
			       model_overlaps(m, id, gpa, m[id].size) ? -EEXIST : 0;
			assert_int_equal(guest_mem_region_move(&mem, (uint32_t)id, gpa), want);
			if (want == 0)
				m[id].gpa = gpa;
			break;
		case 3: /* resize */
			want = !m[id].live ? -ENOENT :
			       model_overlaps(m, id, m[id].gpa, size) ? -EEXIST : 0;
			assert_int_equal(guest_mem_region_resize(&mem, (uint32_t)id, size), want);
			if (want == 0)
				m[id].size = size;
			break;
		}
		assert_int_equal(guest_mem_region_count(&mem), model_count(m));
		if (op % 50 == 0) {
			assert_int_equal(guest_mem_check(&mem), 0);
			compare_lookups(&mem, m, &seed);
		}
	}
	assert_int_equal(guest_mem_check(&mem), 0);
	guest_mem_destroy(&mem);
}

/* The full KVM_CAP_NR_MEMSLOTS, then one more, then every boundary. */
static void max_regions(void **state)
{
	struct guest_mem mem;
	struct guest_mem_region r;
	uint32_t id;

	(void)state;
	assert_int_equal(guest_mem_create(&mem), 0);
	for (uint64_t i = 0; i < GUEST_MEM_MAX_REGIONS; i++) {
		/* every other page, in a scrambled order */
		uint64_t slot = (i * 7919) % GUEST_MEM_MAX_REGIONS;

		assert_int_equal(guest_mem_region_add(&mem, 2 * slot * PAGE, PAGE,
						      FAKE_HVA(slot * PAGE), GUEST_MEM_RAM, &id), 0);
		assert_int_equal(id, i);
	}
	assert_int_equal(guest_mem_region_count(&mem), GUEST_MEM_MAX_REGIONS);
	assert_int_equal(guest_mem_region_add(&mem, 1ULL << 40, PAGE, FAKE_HVA(0),
					      GUEST_MEM_RAM, &id), -ENOSPC);
	assert_int_equal(guest_mem_check(&mem), 0);
	for (uint64_t s = 0; s < GUEST_MEM_MAX_REGIONS; s++) {
		uint64_t gpa = 2 * s * PAGE;
		uint64_t g;

		assert_int_equal(guest_mem_find_gpa(&mem, gpa, &r), 0);
		assert_int_equal(r.gpa, gpa);
		assert_int_equal(guest_mem_find_gpa(&mem, gpa + PAGE - 1, &r), 0);
		assert_int_equal(r.gpa, gpa);
		assert_int_equal(guest_mem_find_gpa(&mem, gpa + PAGE, &r), -ENOENT);
		assert_int_equal(guest_mem_hva_to_gpa(&mem, FAKE_HVA(s * PAGE + 5), &g), 0);
		assert_int_equal(g, gpa + 5);
	}
	assert_int_equal(guest_mem_set_max_regions(&mem, 100), -EBUSY);
	guest_mem_destroy(&mem);
}

/* Aliases: three regions over overlapping host memory. */
static void overlap_by_hva(void **state)
{
	struct guest_mem mem;
	struct hva_count c = { 0, 0, 1 };
	uint64_t g;

	(void)state;
	assert_int_equal(guest_mem_create(&mem), 0);
	assert_int_equal(guest_mem_region_add(&mem, 0, 16 * PAGE, FAKE_HVA(0), GUEST_MEM_RAM,
					      NULL), 0);
	assert_int_equal(guest_mem_region_add(&mem, 64 * PAGE, 4 * PAGE, FAKE_HVA(8 * PAGE),
					      GUEST_MEM_ROM, NULL), 0);
	assert_int_equal(guest_mem_region_add(&mem, 128 * PAGE, 16 * PAGE, FAKE_HVA(0),
					      GUEST_MEM_DEVICE, NULL), 0);
	assert_int_equal(guest_mem_find_hva(&mem, FAKE_HVA(9 * PAGE), 1, count_hva, &c), 3);
	assert_int_equal(guest_mem_find_hva(&mem, FAKE_HVA(12 * PAGE), 1, count_hva, &c), 2);
	assert_int_equal(guest_mem_find_hva(&mem, FAKE_HVA(16 * PAGE - 1), 1, count_hva, &c), 2);
	assert_int_equal(guest_mem_find_hva(&mem, FAKE_HVA(16 * PAGE), 1, count_hva, &c), 0);
	assert_int_equal(guest_mem_find_hva(&mem, FAKE_HVA(15 * PAGE), 2 * PAGE, count_hva, &c),
			 2);
	assert_int_equal(guest_mem_find_hva(&mem, FAKE_HVA(0), 0, count_hva, &c), -EINVAL);
	assert_int_equal(guest_mem_find_hva(&mem, (void *)(uintptr_t)UINT64_MAX, 2, count_hva,
					    &c), -EINVAL);
	/* lowest host address first, then lowest id */
	assert_int_equal(guest_mem_hva_to_gpa(&mem, FAKE_HVA(9 * PAGE), &g), 0);
	assert_int_equal(g, 9 * PAGE);
	assert_int_equal(guest_mem_hva_to_gpa(&mem, FAKE_HVA(16 * PAGE), &g), -ENOENT);
	assert_int_equal(guest_mem_check(&mem), 0);
	guest_mem_destroy(&mem);
}

static void bad_ranges(void **state)
{
	struct guest_mem mem;

	(void)state;
	assert_int_equal(guest_mem_create(&mem), 0);
	assert_int_equal(guest_mem_region_add(&mem, 0, 0, FAKE_HVA(0), GUEST_MEM_RAM, NULL),
			 -EINVAL);
	assert_int_equal(guest_mem_region_add(&mem, 1, PAGE, FAKE_HVA(0), GUEST_MEM_RAM, NULL),
			 -EINVAL);
	assert_int_equal(guest_mem_region_add(&mem, 0, PAGE + 1, FAKE_HVA(0), GUEST_MEM_RAM,
					      NULL), -EINVAL);
	assert_int_equal(guest_mem_region_add(&mem, 0, PAGE, FAKE_HVA(8), GUEST_MEM_RAM, NULL),
			 -EINVAL);
	assert_int_equal(guest_mem_region_add(&mem, UINT64_MAX - PAGE + 1, PAGE, FAKE_HVA(0),
					      GUEST_MEM_RAM, NULL), -EINVAL);
	assert_int_equal(guest_mem_region_add(&mem, 0, PAGE, FAKE_HVA(0), (enum guest_mem_kind)7,
					      NULL), -EINVAL);
	assert_int_equal(guest_mem_region_add(&mem, 0, PAGE, FAKE_HVA(0), GUEST_MEM_RAM, NULL),
			 0);
	assert_int_equal(guest_mem_region_move(&mem, 0, UINT64_MAX - PAGE + 1), -EINVAL);
	assert_int_equal(guest_mem_region_move(&mem, 0, 3), -EINVAL);
	assert_int_equal(guest_mem_region_resize(&mem, 0, 0), -EINVAL);
	assert_int_equal(guest_mem_region_del(&mem, 1), -ENOENT);
	assert_int_equal(guest_mem_region_del(&mem, UINT32_MAX), -ENOENT);
	guest_mem_destroy(&mem);
}

/* Freed ids come back before new ones, so KVM slot numbers stay dense. */
static void id_reuse(void **state)
{
	struct guest_mem mem;
	uint32_t id;

	(void)state;
	assert_int_equal(guest_mem_create(&mem), 0);
	for (uint32_t i = 0; i < 10; i++) {
		assert_int_equal(guest_mem_region_add(&mem, i * PAGE, PAGE, FAKE_HVA(0),
						      GUEST_MEM_RAM, &id), 0);
		assert_int_equal(id, i);
	}
	assert_int_equal(guest_mem_region_del(&mem, 3), 0);
	assert_int_equal(guest_mem_region_del(&mem, 7), 0);
	assert_int_equal(guest_mem_region_add(&mem, 3 * PAGE, PAGE, FAKE_HVA(0), GUEST_MEM_RAM,
					      &id), 0);
	assert_int_equal(id, 7);
	assert_int_equal(guest_mem_region_add(&mem, 7 * PAGE, PAGE, FAKE_HVA(0), GUEST_MEM_RAM,
					      &id), 0);
	assert_int_equal(id, 3);
	assert_int_equal(guest_mem_region_add(&mem, 10 * PAGE, PAGE, FAKE_HVA(0), GUEST_MEM_RAM,
					      &id), 0);
	assert_int_equal(id, 10);
	assert_int_equal(guest_mem_check(&mem), 0);
	guest_mem_destroy(&mem);
}

/* A fake KVM: records the calls and refuses the ones it is told to. */
struct fake {
	int adds, removes, moves;
	int add_budget; /* adds accepted before refusing; < 0: all */
	int fail_next_add, fail_remove, fail_move;
	struct guest_mem_region last;
};

static int f_added(void *ctx, const struct guest_mem_region *r)
{
	struct fake *f = ctx;

	f->adds++;
	if (f->fail_next_add) {
		f->fail_next_add = 0;
		return -EIO;
	}
	if (f->add_budget == 0)
		return -EIO;
	if (f->add_budget > 0)
		f->add_budget--;
	f->last = *r;
	return 0;
}

static int f_removed(void *ctx, const struct guest_mem_region *r)
{
	struct fake *f = ctx;

	f->removes++;
	if (f->fail_remove)
		return -EBUSY;
	f->last = *r;
	return 0;
}

static int f_moved(void *ctx, const struct guest_mem_region *o, const struct guest_mem_region *n)
{
	struct fake *f = ctx;

	/* KVM can only move a slot: same id, size and host memory. */
	assert_int_equal(o->id, n->id);
	assert_int_equal(o->size, n->size);
	assert_ptr_equal(o->hva, n->hva);
	f->moves++;
	if (f->fail_move)
		return -EINVAL;
	f->last = *n;
	return 0;
}

static void listener_rollback(void **state)
{
	struct fake f = { .add_budget = 1 };
	struct guest_mem_listener l = { f_added, f_removed, f_moved, &f };
	struct guest_mem mem;
	struct guest_mem_region r;
	uint32_t id;

	(void)state;
	assert_int_equal(guest_mem_create(&mem), 0);
	assert_int_equal(guest_mem_region_add(&mem, 0, PAGE, FAKE_HVA(0), GUEST_MEM_RAM, &id), 0);
	assert_int_equal(guest_mem_region_add(&mem, 8 * PAGE, PAGE, FAKE_HVA(0), GUEST_MEM_RAM,
					      &id), 0);
	/* attach replays both in gpa order; refusing the second undoes the first */
	assert_int_equal(guest_mem_set_listener(&mem, &l), -EIO);
	assert_int_equal(f.adds, 2);
	assert_int_equal(f.removes, 1);
	assert_int_equal(f.last.gpa, 0);
	f = (struct fake){ .add_budget = -1 };
	assert_int_equal(guest_mem_set_listener(&mem, &l), 0);
	assert_int_equal(f.adds, 2);

	/* add refused: nothing left behind, the id is handed out again */
	f.fail_next_add = 1;
	assert_int_equal(guest_mem_region_add(&mem, 16 * PAGE, PAGE, FAKE_HVA(0), GUEST_MEM_ROM,
					      &id), -EIO);
	assert_int_equal(guest_mem_region_count(&mem), 2);
	assert_int_equal(guest_mem_find_gpa(&mem, 16 * PAGE, &r), -ENOENT);
	assert_int_equal(guest_mem_region_add(&mem, 16 * PAGE, PAGE, FAKE_HVA(0), GUEST_MEM_ROM,
					      &id), 0);
	assert_int_equal(id, 2);
	assert_int_equal(f.last.kind, GUEST_MEM_ROM);

	/* delete refused: still there */
	f.fail_remove = 1;
	assert_int_equal(guest_mem_region_del(&mem, 2), -EBUSY);
	assert_int_equal(guest_mem_find_gpa(&mem, 16 * PAGE, &r), 0);
	f.fail_remove = 0;

	/* move refused: still at its old address, the new one free */
	f.fail_move = 1;
	assert_int_equal(guest_mem_region_move(&mem, 2, 32 * PAGE), -EINVAL);
	assert_int_equal(guest_mem_find_gpa(&mem, 16 * PAGE, &r), 0);
	assert_int_equal(guest_mem_find_gpa(&mem, 32 * PAGE, &r), -ENOENT);
	f.fail_move = 0;
	assert_int_equal(guest_mem_region_move(&mem, 2, 32 * PAGE), 0);
	assert_int_equal(f.last.gpa, 32 * PAGE);
	assert_int_equal(guest_mem_find_gpa(&mem, 32 * PAGE, &r), 0);
	assert_int_equal(r.id, 2);
	assert_int_equal(guest_mem_find_gpa(&mem, 16 * PAGE, &r), -ENOENT);
	/* a move onto another region never reaches the listener */
	assert_int_equal(guest_mem_region_move(&mem, 2, 8 * PAGE), -EEXIST);
	assert_int_equal(f.moves, 2);

	/* resize = removed + added(new); new size refused -> old size re-added */
	f.fail_next_add = 1;
	assert_int_equal(guest_mem_region_resize(&mem, 0, 4 * PAGE), -EIO);
	assert_int_equal(f.last.size, PAGE);
	assert_int_equal(guest_mem_region_get(&mem, 0, &r), 0);
	assert_int_equal(r.size, PAGE);
	assert_int_equal(guest_mem_find_gpa(&mem, 2 * PAGE, &r), -ENOENT);
	assert_int_equal(guest_mem_region_resize(&mem, 0, 4 * PAGE), 0);
	assert_int_equal(f.last.size, 4 * PAGE);
	assert_int_equal(guest_mem_find_gpa(&mem, 3 * PAGE, &r), 0);
	/* both sizes refused -> dropped, as the listener no longer has it */
	f.add_budget = 0;
	assert_int_equal(guest_mem_region_resize(&mem, 0, 2 * PAGE), -EIO);
	assert_int_equal(guest_mem_region_get(&mem, 0, &r), -ENOENT);
	assert_int_equal(guest_mem_find_gpa(&mem, 0, &r), -ENOENT);
	assert_int_equal(guest_mem_region_count(&mem), 2);
	assert_int_equal(guest_mem_check(&mem), 0);

	/* detached: later changes tell nobody */
	assert_int_equal(guest_mem_set_listener(&mem, NULL), 0);
	assert_int_equal(guest_mem_region_resize(&mem, 1, 2 * PAGE), 0);
	assert_int_equal(guest_mem_region_add(&mem, 0, PAGE, FAKE_HVA(0), GUEST_MEM_RAM, &id), 0);
	assert_int_equal(id, 0);
	assert_int_equal(guest_mem_check(&mem), 0);
	guest_mem_destroy(&mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(random_ops_match_model),
		cmocka_unit_test(max_regions),
		cmocka_unit_test(overlap_by_hva),
		cmocka_unit_test(bad_ranges),
		cmocka_unit_test(id_reuse),
		cmocka_unit_test(listener_rollback),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
