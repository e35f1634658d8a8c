#include "mem/dirty.h"

#include <errno.h>
#include <stdlib.h>

#include "mem/guest_mem.h"

static size_t words(uint64_t size)
{
	return GUEST_MEM_DIRTY_WORDS(size);
}

static _Atomic(uint64_t) *get_or_alloc(struct mem_dirty *d, uint64_t size)
{
	_Atomic(uint64_t) *b = atomic_load_explicit(&d->bits, memory_order_acquire);
	_Atomic(uint64_t) *expected = NULL;

	if (b)
		return b;
	/* calloc'ed zero bytes are a valid zero for a lock-free atomic word. */
	b = calloc(words(size), sizeof(*b));
	if (!b)
		return NULL;
	if (!atomic_compare_exchange_strong_explicit(&d->bits, &expected, b, memory_order_acq_rel,
						     memory_order_acquire)) {
		free(b); /* another thread installed one first */
		return expected;
	}
	return b;
}

int mem_dirty_alloc(struct mem_dirty *d, uint64_t size)
{
	return get_or_alloc(d, size) ? 0 : -ENOMEM;
}

int mem_dirty_mark(struct mem_dirty *d, uint64_t size, uint64_t off, uint64_t len)
{
	_Atomic(uint64_t) *b = get_or_alloc(d, size);
	uint64_t first = off >> GUEST_MEM_PAGE_SHIFT;
	uint64_t last = (off + (len - 1)) >> GUEST_MEM_PAGE_SHIFT; /* caller: off+len <= size */

	if (!b) {
		atomic_store_explicit(&d->all, true, memory_order_release);
		return -ENOMEM;
	}
	while (first <= last) {
		uint64_t w = first / 64, lo = first % 64;
		uint64_t hi = last / 64 == w ? last % 64 : 63;
		uint64_t mask = (hi == 63 ? ~0ULL : (1ULL << (hi + 1)) - 1) & ~((1ULL << lo) - 1);

		/* Skip the locked or when the bits are set already: the common
		 * case of a device rewriting the same buffer pages. */
		if ((atomic_load_explicit(&b[w], memory_order_relaxed) & mask) != mask)
			atomic_fetch_or_explicit(&b[w], mask, memory_order_relaxed);
		first = (w + 1) * 64;
	}
	return 0;
}

long mem_dirty_fetch(struct mem_dirty *d, uint64_t size, uint64_t *out, size_t nwords)
{
	_Atomic(uint64_t) *b = atomic_load_explicit(&d->bits, memory_order_acquire);
	size_t n = words(size);
	uint64_t pages = size >> GUEST_MEM_PAGE_SHIFT;
	long count = 0;
	bool all;

	if (nwords < n)
		return -ENOSPC;
	all = atomic_exchange_explicit(&d->all, false, memory_order_acq_rel);
	for (size_t i = 0; i < n; i++) {
		out[i] = b ? atomic_exchange_explicit(&b[i], 0, memory_order_relaxed) : 0;
		if (all)
			out[i] = ~0ULL;
	}
	if (all && pages % 64)
		out[n - 1] &= (1ULL << (pages % 64)) - 1;
	for (size_t i = 0; i < n; i++)
		count += __builtin_popcountll(out[i]);
	return count;
}

int mem_dirty_prepare_resize(struct mem_dirty *d, uint64_t old_size, uint64_t new_size,
			     void **tmp)
{
	_Atomic(uint64_t) *b = atomic_load_explicit(&d->bits, memory_order_acquire);
	size_t on = words(old_size), nn = words(new_size);
	uint64_t pages = new_size >> GUEST_MEM_PAGE_SHIFT;
	_Atomic(uint64_t) *nb;

	*tmp = NULL;
	if (!b)
		return 0;
	nb = calloc(nn, sizeof(*nb));
	if (!nb)
		return -ENOMEM;
	for (size_t i = 0; i < nn && i < on; i++)
		atomic_store_explicit(&nb[i], atomic_load_explicit(&b[i], memory_order_relaxed),
				      memory_order_relaxed);
	/* Pages past a shrunk end are gone; keep no bits for them. */
	if (nn <= on && pages % 64)
		atomic_fetch_and_explicit(&nb[nn - 1], (1ULL << (pages % 64)) - 1,
					  memory_order_relaxed);
	*tmp = nb;
	return 0;
}

void mem_dirty_commit_resize(struct mem_dirty *d, void *tmp)
{
	_Atomic(uint64_t) *old;

	if (!tmp)
		return;
	old = atomic_exchange_explicit(&d->bits, (_Atomic(uint64_t) *)tmp, memory_order_acq_rel);
	free(old);
}

void mem_dirty_abort_resize(void *tmp)
{
	free(tmp);
}

void mem_dirty_free(struct mem_dirty *d)
{
	free(atomic_exchange_explicit(&d->bits, NULL, memory_order_acq_rel));
	atomic_store_explicit(&d->all, false, memory_order_relaxed);
}
