#include "mem/region_map.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "util/container_of.h"

static struct mem_region *gpa_region(const struct mem_avl_node *n)
{
	return n ? container_of(n, struct mem_region, gpa_node) : NULL;
}

static struct mem_region *hva_region(const struct mem_avl_node *n)
{
	return n ? container_of(n, struct mem_region, hva_node) : NULL;
}

static uint64_t hva_start(const struct mem_region *r)
{
	return (uint64_t)(uintptr_t)r->d.hva;
}

static uint64_t hva_end(const struct mem_region *r)
{
	return hva_start(r) + r->d.size; /* checked not to wrap at add/resize */
}

static int gpa_cmp(const struct mem_avl_node *a, const struct mem_avl_node *b)
{
	uint64_t x = gpa_region(a)->d.gpa, y = gpa_region(b)->d.gpa;

	return x < y ? -1 : x > y;
}

/* Host ranges may start at the same address (aliases): the id breaks ties so
 * that the order is total, as mem_avl requires. */
static int hva_cmp(const struct mem_avl_node *a, const struct mem_avl_node *b)
{
	const struct mem_region *x = hva_region(a), *y = hva_region(b);

	if (hva_start(x) != hva_start(y))
		return hva_start(x) < hva_start(y) ? -1 : 1;
	return x->d.id < y->d.id ? -1 : x->d.id > y->d.id;
}

static void hva_update(struct mem_avl_node *n)
{
	struct mem_region *r = hva_region(n);
	uint64_t e = hva_end(r);

	if (n->left && hva_region(n->left)->hva_max_end > e)
		e = hva_region(n->left)->hva_max_end;
	if (n->right && hva_region(n->right)->hva_max_end > e)
		e = hva_region(n->right)->hva_max_end;
	r->hva_max_end = e;
}

static const struct mem_avl_ops gpa_ops = { .cmp = gpa_cmp };
static const struct mem_avl_ops hva_ops = { .cmp = hva_cmp, .update = hva_update };

int mem_map_create(struct mem_map **out)
{
	struct mem_map *m = calloc(1, sizeof(*m));
	pthread_rwlockattr_t attr;
	int r;

	*out = NULL;
	if (!m)
		return -ENOMEM;
	/* Writer-preferring (see guest_mem.h): region changes must not wait
	 * behind an endless stream of vCPU lookups. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(&attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	r = pthread_rwlock_init(&m->lock, &attr);
	pthread_rwlockattr_destroy(&attr);
	if (r) {
		free(m);
		return -r;
	}
	m->max = GUEST_MEM_MAX_REGIONS;
	*out = m;
	return 0;
}

static void free_region(struct mem_region *r)
{
	if (r->owned_size)
		munmap(r->d.hva, r->owned_size);
	mem_dirty_free(&r->dirty);
	free(r);
}

void mem_map_destroy(struct mem_map *m)
{
	if (!m)
		return;
	for (uint32_t i = 0; i < m->next_id; i++)
		if (m->by_id[i])
			free_region(m->by_id[i]);
	free(m->by_id);
	free(m->free_ids);
	pthread_rwlock_destroy(&m->lock);
	free(m);
}

/* --- the id table: O(1) amortised, grows by doubling up to max. */

static int id_alloc(struct mem_map *m, uint32_t *id)
{
	if (m->nfree) {
		*id = m->free_ids[--m->nfree];
		return 0;
	}
	if (m->next_id == m->cap) {
		uint32_t cap = m->cap ? m->cap * 2 : 8;
		struct mem_region **b;
		uint32_t *f;

		if (cap > GUEST_MEM_MAX_REGIONS)
			cap = GUEST_MEM_MAX_REGIONS;
		if (cap <= m->cap)
			return -ENOSPC;
		b = realloc(m->by_id, cap * sizeof(*b));
		if (!b)
			return -ENOMEM;
		m->by_id = b;
		f = realloc(m->free_ids, cap * sizeof(*f));
		if (!f)
			return -ENOMEM; /* by_id just stays larger than needed */
		m->free_ids = f;
		m->cap = cap;
	}
	*id = m->next_id++;
	m->by_id[*id] = NULL;
	return 0;
}

static void id_free(struct mem_map *m, uint32_t id)
{
	m->by_id[id] = NULL;
	m->free_ids[m->nfree++] = id;
}

struct mem_region *mem_map_lookup_id(struct mem_map *m, uint32_t id)
{
	return id < m->next_id ? m->by_id[id] : NULL;
}

/* --- lookups */

struct mem_region *mem_map_lookup_gpa(struct mem_map *m, uint64_t gpa)
{
	struct mem_region *r = atomic_load_explicit(&m->last, memory_order_relaxed);
	const struct mem_avl_node *n = m->gpa_root;

	if (r && gpa >= r->d.gpa && gpa - r->d.gpa < r->d.size)
		return r;
	/* Regions do not overlap, so only one can start at or below gpa and
	 * still contain it: the last one starting at or below gpa. */
	while (n) {
		r = gpa_region(n);
		if (gpa < r->d.gpa) {
			n = n->left;
		} else if (gpa - r->d.gpa < r->d.size) {
			if (atomic_load_explicit(&m->last, memory_order_relaxed) != r)
				atomic_store_explicit(&m->last, r, memory_order_relaxed);
			return r;
		} else {
			n = n->right;
		}
	}
	return NULL;
}

/* Any region overlapping [gpa, gpa+size) in the gpa tree (size > 0 and no
 * wrap, checked by the caller). The only candidate is the last region that
 * starts before the end: earlier ones end at or before its start. */
static bool gpa_overlaps(const struct mem_map *m, uint64_t gpa, uint64_t size)
{
	const struct mem_avl_node *n = m->gpa_root;
	const struct mem_region *best = NULL;
	uint64_t end = gpa + size;

	while (n) {
		const struct mem_region *r = gpa_region(n);

		if (r->d.gpa < end) {
			best = r;
			n = n->right;
		} else {
			n = n->left;
		}
	}
	return best && best->d.gpa + best->d.size > gpa;
}

static int walk_hva(const struct mem_avl_node *n, uint64_t start, uint64_t end,
		    int (*fn)(const struct guest_mem_region *r, void *ctx), void *ctx, int *count)
{
	const struct mem_region *r;
	int ret;

	/* Nothing in this subtree reaches start: prune (the augmentation). */
	if (!n || hva_region(n)->hva_max_end <= start)
		return 0;
	ret = walk_hva(n->left, start, end, fn, ctx, count);
	if (ret)
		return ret;
	r = hva_region(n);
	if (hva_start(r) >= end)
		return 0; /* this node and everything right of it start too late */
	if (hva_end(r) > start) {
		(*count)++;
		if ((ret = fn(&r->d, ctx)))
			return ret;
	}
	return walk_hva(n->right, start, end, fn, ctx, count);
}

int mem_map_walk_hva(struct mem_map *m, uint64_t start, uint64_t end,
		     int (*fn)(const struct guest_mem_region *r, void *ctx), void *ctx)
{
	int count = 0;
	int ret = walk_hva(m->hva_root, start, end, fn, ctx, &count);

	return ret ? ret : count;
}

/* --- changes */

static bool aligned(uint64_t v)
{
	return (v & (GUEST_MEM_PAGE_SIZE - 1)) == 0;
}

/* KVM's own checks on a slot (api.rst 4.35 and __kvm_set_memory_region):
 * page-aligned gpa, size and host address, no wrap in either space. */
static bool range_ok(uint64_t gpa, uint64_t size, uint64_t hva)
{
	return size && aligned(gpa) && aligned(size) && aligned(hva) &&
	       gpa + size > gpa && hva + size > hva;
}

static void link_region(struct mem_map *m, struct mem_region *r)
{
	m->gpa_root = mem_avl_insert(m->gpa_root, &r->gpa_node, &gpa_ops);
	m->hva_root = mem_avl_insert(m->hva_root, &r->hva_node, &hva_ops);
}

static void unlink_region(struct mem_map *m, struct mem_region *r)
{
	m->gpa_root = mem_avl_remove(m->gpa_root, &r->gpa_node, &gpa_ops);
	m->hva_root = mem_avl_remove(m->hva_root, &r->hva_node, &hva_ops);
}

static int notify_added(struct mem_map *m, const struct guest_mem_region *d)
{
	return m->has_listener && m->listener.added ? m->listener.added(m->listener.ctx, d) : 0;
}

static int notify_removed(struct mem_map *m, const struct guest_mem_region *d)
{
	return m->has_listener && m->listener.removed ? m->listener.removed(m->listener.ctx, d) : 0;
}

static int add_locked(struct mem_map *m, uint64_t gpa, uint64_t size, void *hva,
		      enum guest_mem_kind kind, bool owned, uint32_t *id)
{
	struct mem_region *r;
	int ret;

	if (!range_ok(gpa, size, (uint64_t)(uintptr_t)hva) || (unsigned int)kind > GUEST_MEM_ROM)
		return -EINVAL;
	if (m->count >= m->max)
		return -ENOSPC;
	if (gpa_overlaps(m, gpa, size))
		return -EEXIST;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	ret = id_alloc(m, &r->d.id);
	if (ret < 0) {
		free(r);
		return ret;
	}
	r->d.gpa = gpa;
	r->d.size = size;
	r->d.hva = hva;
	r->d.kind = kind;
	ret = notify_added(m, &r->d);
	if (ret < 0) {
		id_free(m, r->d.id);
		free(r);
		return ret;
	}
	r->owned_size = owned ? size : 0;
	m->by_id[r->d.id] = r;
	link_region(m, r);
	m->count++;
	if (id)
		*id = r->d.id;
	return 0;
}

int mem_map_add(struct mem_map *m, uint64_t gpa, uint64_t size, void *hva,
		enum guest_mem_kind kind, bool owned, uint32_t *id)
{
	int ret;

	pthread_rwlock_wrlock(&m->lock);
	ret = add_locked(m, gpa, size, hva, kind, owned, id);
	pthread_rwlock_unlock(&m->lock);
	return ret;
}

int mem_map_del(struct mem_map *m, uint32_t id)
{
	struct mem_region *r;
	int ret = -ENOENT;

	pthread_rwlock_wrlock(&m->lock);
	r = mem_map_lookup_id(m, id);
	if (r)
		ret = notify_removed(m, &r->d);
	if (r && ret == 0) {
		unlink_region(m, r);
		id_free(m, id);
		m->count--;
		atomic_store_explicit(&m->last, NULL, memory_order_relaxed);
		free_region(r);
	}
	pthread_rwlock_unlock(&m->lock);
	return ret;
}

static int move_locked(struct mem_map *m, struct mem_region *r, uint64_t new_gpa)
{
	struct guest_mem_region nd = r->d;
	int ret = 0;

	if (!range_ok(new_gpa, r->d.size, (uint64_t)(uintptr_t)r->d.hva))
		return -EINVAL;
	if (new_gpa == r->d.gpa)
		return 0;
	nd.gpa = new_gpa;
	/* Out of the gpa tree while checking, so it cannot overlap itself. */
	m->gpa_root = mem_avl_remove(m->gpa_root, &r->gpa_node, &gpa_ops);
	if (gpa_overlaps(m, new_gpa, r->d.size))
		ret = -EEXIST;
	else if (m->has_listener && m->listener.moved)
		ret = m->listener.moved(m->listener.ctx, &r->d, &nd);
	if (ret == 0)
		r->d.gpa = new_gpa;
	m->gpa_root = mem_avl_insert(m->gpa_root, &r->gpa_node, &gpa_ops);
	return ret;
}

int mem_map_move(struct mem_map *m, uint32_t id, uint64_t new_gpa)
{
	struct mem_region *r;
	int ret = -ENOENT;

	pthread_rwlock_wrlock(&m->lock);
	atomic_store_explicit(&m->last, NULL, memory_order_relaxed);
	r = mem_map_lookup_id(m, id);
	if (r)
		ret = move_locked(m, r, new_gpa);
	pthread_rwlock_unlock(&m->lock);
	return ret;
}

static int resize_locked(struct mem_map *m, struct mem_region *r, uint64_t new_size)
{
	struct guest_mem_region old = r->d;
	void *bits;
	int ret, undo;

	if (!range_ok(r->d.gpa, new_size, (uint64_t)(uintptr_t)r->d.hva) ||
	    (r->owned_size && new_size > r->owned_size))
		return -EINVAL; /* our own mapping cannot grow under the guest */
	if (new_size == r->d.size)
		return 0;
	unlink_region(m, r);
	ret = gpa_overlaps(m, r->d.gpa, new_size) ? -EEXIST : 0;
	if (ret == 0)
		ret = mem_dirty_prepare_resize(&r->dirty, old.size, new_size, &bits);
	if (ret < 0) {
		link_region(m, r);
		return ret;
	}
	/* KVM cannot resize a slot in place (api.rst 4.35: "it may be moved
	 * in the guest physical memory space, or its flags may be modified,
	 * but it may not be resized"): delete it and add it again. */
	ret = notify_removed(m, &old);
	if (ret == 0) {
		r->d.size = new_size;
		ret = notify_added(m, &r->d);
		if (ret < 0) {
			r->d.size = old.size;
			undo = notify_added(m, &old);
			if (undo < 0) {
				/* Neither size is mirrored: drop the region so
				 * the map still matches the listener. */
				mem_dirty_abort_resize(bits);
				id_free(m, r->d.id);
				m->count--;
				free_region(r);
				return ret;
			}
		}
	}
	if (ret == 0)
		mem_dirty_commit_resize(&r->dirty, bits);
	else
		mem_dirty_abort_resize(bits);
	link_region(m, r);
	return ret;
}

int mem_map_resize(struct mem_map *m, uint32_t id, uint64_t new_size)
{
	struct mem_region *r;
	int ret = -ENOENT;

	pthread_rwlock_wrlock(&m->lock);
	atomic_store_explicit(&m->last, NULL, memory_order_relaxed);
	r = mem_map_lookup_id(m, id);
	if (r)
		ret = resize_locked(m, r, new_size);
	pthread_rwlock_unlock(&m->lock);
	return ret;
}

int mem_map_set_max(struct mem_map *m, uint32_t max)
{
	int ret = 0;

	if (max == 0 || max > GUEST_MEM_MAX_REGIONS)
		return -EINVAL;
	pthread_rwlock_wrlock(&m->lock);
	if (max < m->count)
		ret = -EBUSY;
	else
		m->max = max;
	pthread_rwlock_unlock(&m->lock);
	return ret;
}

/* Replay `added` in gpa order, stopping at the first failure (*failed). */
static int replay(struct mem_map *m, const struct mem_avl_node *n,
		  const struct mem_region **failed)
{
	int ret;

	if (!n)
		return 0;
	if ((ret = replay(m, n->left, failed)) < 0)
		return ret;
	if ((ret = m->listener.added(m->listener.ctx, &gpa_region(n)->d)) < 0) {
		*failed = gpa_region(n);
		return ret;
	}
	return replay(m, n->right, failed);
}

/* Undo a replay: remove every region before `failed` in gpa order. */
static bool unreplay(struct mem_map *m, const struct mem_avl_node *n,
		     const struct mem_region *failed)
{
	if (!n)
		return true;
	if (!unreplay(m, n->left, failed) || gpa_region(n) == failed)
		return false;
	if (m->listener.removed)
		m->listener.removed(m->listener.ctx, &gpa_region(n)->d);
	return unreplay(m, n->right, failed);
}

int mem_map_set_listener(struct mem_map *m, const struct guest_mem_listener *l)
{
	const struct mem_region *failed = NULL;
	int ret = 0;

	pthread_rwlock_wrlock(&m->lock);
	m->has_listener = false;
	if (l) {
		m->listener = *l;
		if (l->added)
			ret = replay(m, m->gpa_root, &failed);
		if (ret < 0)
			unreplay(m, m->gpa_root, failed);
		else
			m->has_listener = true;
	}
	pthread_rwlock_unlock(&m->lock);
	return ret;
}

/* --- invariants, for tests */

static int check_hva(const struct mem_avl_node *n)
{
	const struct mem_region *r;
	uint64_t e;

	if (!n)
		return 0;
	if (check_hva(n->left) < 0 || check_hva(n->right) < 0)
		return -EINVAL;
	r = hva_region(n);
	e = hva_end(r);
	if (n->left && hva_region(n->left)->hva_max_end > e)
		e = hva_region(n->left)->hva_max_end;
	if (n->right && hva_region(n->right)->hva_max_end > e)
		e = hva_region(n->right)->hva_max_end;
	return r->hva_max_end == e ? 0 : -EINVAL;
}

static int check_gpa_disjoint(const struct mem_avl_node *n, uint64_t *next_free, bool *any)
{
	const struct mem_region *r;

	if (!n)
		return 0;
	if (check_gpa_disjoint(n->left, next_free, any) < 0)
		return -EINVAL;
	r = gpa_region(n);
	if (*any && r->d.gpa < *next_free)
		return -EINVAL;
	*next_free = r->d.gpa + r->d.size;
	*any = true;
	return check_gpa_disjoint(n->right, next_free, any);
}

int mem_map_check(struct mem_map *m)
{
	uint64_t next_free = 0;
	uint32_t live = 0;
	bool any = false;
	int ret = 0;

	pthread_rwlock_rdlock(&m->lock);
	if (mem_avl_check(m->gpa_root, &gpa_ops) != (long)m->count ||
	    mem_avl_check(m->hva_root, &hva_ops) != (long)m->count ||
	    check_hva(m->hva_root) < 0 || check_gpa_disjoint(m->gpa_root, &next_free, &any) < 0 ||
	    m->next_id > m->cap || m->nfree > m->next_id || m->count > m->max)
		ret = -EINVAL;
	for (uint32_t i = 0; ret == 0 && i < m->next_id; i++) {
		if (!m->by_id[i])
			continue;
		live++;
		if (m->by_id[i]->d.id != i)
			ret = -EINVAL;
	}
	for (uint32_t i = 0; ret == 0 && i < m->nfree; i++)
		if (m->free_ids[i] >= m->next_id || m->by_id[m->free_ids[i]])
			ret = -EINVAL;
	if (ret == 0 && (live != m->count || live + m->nfree != m->next_id))
		ret = -EINVAL;
	pthread_rwlock_unlock(&m->lock);
	return ret;
}
