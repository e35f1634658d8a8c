/* region_map: the data structure behind guest_mem (internal to mem/).
 *
 * Regions are individually allocated and indexed three ways, as in KVM's
 * scalable memslots: an AVL tree by gpa (regions do not overlap there), an
 * AVL interval tree by hva augmented with the highest end in each subtree
 * (aliases may overlap there), and an id table with a free list. Every
 * change is O(log n) plus amortised O(1) for the id table, which doubles as
 * it fills: nothing is sized for GUEST_MEM_MAX_REGIONS up front.
 *
 * Locking: mem_map_add/del/move/resize/set_listener/set_max take the write
 * lock themselves; the lookup helpers expect the caller to hold the read
 * (or write) lock. */
#ifndef SKIFF_MEM_REGION_MAP_H
#define SKIFF_MEM_REGION_MAP_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "mem/avl.h"
#include "mem/dirty.h"
#include "mem/guest_mem.h"

struct mem_region {
	struct mem_avl_node gpa_node;
	struct mem_avl_node hva_node;
	uint64_t hva_max_end; /* highest hva + size in this node's hva subtree */
	struct guest_mem_region d;
	/* Bytes mmap'ed by guest_mem_init, munmap'ed when the region goes;
	 * 0 when the caller owns the host memory. */
	uint64_t owned_size;
	struct mem_dirty dirty;
};

struct mem_map {
	pthread_rwlock_t lock;
	struct mem_avl_node *gpa_root, *hva_root;
	/* Last region found by gpa: devices hit the same region again and
	 * again (KVM keeps the same "lru slot" cache). Cleared on every change
	 * under the write lock; readers only store regions they found. */
	_Atomic(struct mem_region *) last;
	struct mem_region **by_id; /* [cap]; NULL where free */
	uint32_t *free_ids;        /* [cap]; a stack of ids below next_id */
	uint32_t cap, next_id, nfree, count, max;
	struct guest_mem_listener listener;
	bool has_listener;
};

int mem_map_create(struct mem_map **out);
void mem_map_destroy(struct mem_map *m);

int mem_map_add(struct mem_map *m, uint64_t gpa, uint64_t size, void *hva,
		enum guest_mem_kind kind, bool owned, uint32_t *id);
int mem_map_del(struct mem_map *m, uint32_t id);
int mem_map_move(struct mem_map *m, uint32_t id, uint64_t new_gpa);
int mem_map_resize(struct mem_map *m, uint32_t id, uint64_t new_size);
int mem_map_set_listener(struct mem_map *m, const struct guest_mem_listener *l);
int mem_map_set_max(struct mem_map *m, uint32_t max);

/* Lookups: caller holds the lock. NULL when none. */
struct mem_region *mem_map_lookup_gpa(struct mem_map *m, uint64_t gpa);
struct mem_region *mem_map_lookup_id(struct mem_map *m, uint32_t id);
/* fn for each region intersecting [start, end) in hva order; stops at and
 * returns fn's first non-zero value, else the number of regions visited. */
int mem_map_walk_hva(struct mem_map *m, uint64_t start, uint64_t end,
		     int (*fn)(const struct guest_mem_region *r, void *ctx), void *ctx);
int mem_map_check(struct mem_map *m);

#endif
