/* dirty: the VMM-side dirty bitmap of one region, one bit per 4 KiB page,
 * recording what devices wrote (guest_mem_unmap(dirty)); KVM's own dirty log
 * covers what the guest's CPUs wrote. Like KVM's dirty-log bitmaps it is
 * read with fetch-and-clear, one atomic exchange per 64 pages, so a page
 * marked during the fetch lands in this fetch or the next, never nowhere.
 *
 * Contract: mark and fetch may run concurrently from any thread (the map's
 * read lock keeps the region alive); alloc may race with mark (compare and
 * swap decides); resize and free need the map's write lock. */
#ifndef SKIFF_MEM_DIRTY_H
#define SKIFF_MEM_DIRTY_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct mem_dirty {
	_Atomic(_Atomic(uint64_t) *) bits; /* NULL until first needed */
	/* Set when a mark could not allocate the bitmap: the next fetch reports
	 * every page dirty instead of losing a write. */
	atomic_bool all;
};

/* Make sure the bitmap for a region of size bytes exists: 0 or -ENOMEM. */
int mem_dirty_alloc(struct mem_dirty *d, uint64_t size);
/* Mark the pages of [off, off+len) (len > 0, inside the region): 0, or
 * -ENOMEM after setting `all`. */
int mem_dirty_mark(struct mem_dirty *d, uint64_t size, uint64_t off, uint64_t len);
/* Fetch and clear into out[nwords]: number of dirty pages or -ENOSPC. */
long mem_dirty_fetch(struct mem_dirty *d, uint64_t size, uint64_t *out, size_t nwords);
/* Resize in two steps so a failed region resize can roll back: prepare
 * allocates the new bitmap with the old bits copied (*tmp stays NULL when
 * there is no bitmap), then commit installs it or abort drops it. */
int mem_dirty_prepare_resize(struct mem_dirty *d, uint64_t old_size, uint64_t new_size,
			     void **tmp);
void mem_dirty_commit_resize(struct mem_dirty *d, void *tmp);
void mem_dirty_abort_resize(void *tmp);
void mem_dirty_free(struct mem_dirty *d);

#endif
