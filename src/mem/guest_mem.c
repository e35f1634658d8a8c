#include "mem/guest_mem.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#include "mem/region_map.h"

int guest_mem_create(struct guest_mem *mem)
{
	memset(mem, 0, sizeof(*mem));
	return mem_map_create(&mem->map);
}

/* Anonymous memory for `size` bytes of RAM whose start is GUEST_MEM_HUGE_ALIGN
 * aligned. KVM maps a guest page huge only where the guest-physical and the
 * host-virtual address agree modulo the huge page size (KVM's
 * kvm_mmu_max_mapping_level / memslot alignment check), and guest RAM starts
 * at 2 MiB-aligned addresses; Linux before 6.7 places anonymous mappings at
 * any 4 KiB boundary, which leaves every guest page 4 KiB in the nested page
 * table even when THP backs it. QEMU aligns its RAM the same way
 * (QEMU_VMALLOC_ALIGN). So reserve one huge page more and trim the ends. */
static void *mmap_ram_aligned(uint64_t size)
{
	const int flags = MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE;
	uint64_t extra = size >= GUEST_MEM_HUGE_ALIGN ? GUEST_MEM_HUGE_ALIGN : 0;
	uint8_t *p, *start;
	uint64_t head;

	/* MAP_NORESERVE: guest RAM is paid for as the guest touches it. */
	p = mmap(NULL, size + extra, PROT_READ | PROT_WRITE, flags, -1, 0);
	if (p == MAP_FAILED || !extra)
		return p;
	start = (uint8_t *)(((uintptr_t)p + GUEST_MEM_HUGE_ALIGN - 1) &
			    ~(uintptr_t)(GUEST_MEM_HUGE_ALIGN - 1));
	head = (uint64_t)(start - p);
	if (head)
		munmap(p, head);
	if (extra - head)
		munmap(start + size, extra - head);
	return start;
}

static int map_ram(struct guest_mem *mem, uint64_t gpa, uint64_t size)
{
	struct guest_mem_region *g = &mem->regions[mem->nregions];
	void *p = mmap_ram_aligned(size);
	int r;

	if (p == MAP_FAILED)
		return -errno;
	/* Guest RAM is never part of a core dump of skiff: it is the guest's. */
	madvise(p, size, MADV_DONTDUMP);
	/* Transparent huge pages, as QEMU asks for its RAM: loading the kernel
	 * and initrd then faults in a few 2 MiB pages instead of thousands of
	 * 4 KiB ones (bench/README.md: about half of skiff's start-up CPU
	 * time), and the guest gets fewer TLB misses. Advice only: ignored
	 * where THP is off. */
	madvise(p, size, MADV_HUGEPAGE);
	r = mem_map_add(mem->map, gpa, size, p, GUEST_MEM_RAM, true, &g->id);
	if (r < 0) {
		munmap(p, size);
		return r;
	}
	g->gpa = gpa;
	g->size = size;
	g->hva = p;
	g->kind = GUEST_MEM_RAM;
	mem->nregions++;
	return 0;
}

int guest_mem_init(struct guest_mem *mem, uint64_t ram_size, uint64_t hole_start,
		   uint64_t hole_end)
{
	uint64_t low = ram_size < hole_start ? ram_size : hole_start;
	int r;

	memset(mem, 0, sizeof(*mem));
	if (ram_size == 0 || (ram_size & 0xfff) || hole_end < hole_start)
		return -EINVAL;
	r = guest_mem_create(mem);
	if (r < 0)
		return r;
	mem->ram_size = ram_size;
	r = map_ram(mem, 0, low);
	if (r == 0 && ram_size > low)
		r = map_ram(mem, hole_end, ram_size - low);
	if (r < 0)
		guest_mem_destroy(mem);
	return r;
}

void guest_mem_destroy(struct guest_mem *mem)
{
	mem_map_destroy(mem->map); /* munmaps the RAM it owns */
	mem->map = NULL;
	mem->nregions = 0;
}

/* --- region changes */

int guest_mem_region_add(struct guest_mem *mem, uint64_t gpa, uint64_t size, void *hva,
			 enum guest_mem_kind kind, uint32_t *id)
{
	return mem->map ? mem_map_add(mem->map, gpa, size, hva, kind, false, id) : -EINVAL;
}

int guest_mem_region_del(struct guest_mem *mem, uint32_t id)
{
	return mem->map ? mem_map_del(mem->map, id) : -ENOENT;
}

int guest_mem_region_move(struct guest_mem *mem, uint32_t id, uint64_t new_gpa)
{
	return mem->map ? mem_map_move(mem->map, id, new_gpa) : -ENOENT;
}

int guest_mem_region_resize(struct guest_mem *mem, uint32_t id, uint64_t new_size)
{
	return mem->map ? mem_map_resize(mem->map, id, new_size) : -ENOENT;
}

int guest_mem_set_max_regions(struct guest_mem *mem, uint32_t max)
{
	return mem->map ? mem_map_set_max(mem->map, max) : -EINVAL;
}

int guest_mem_set_listener(struct guest_mem *mem, const struct guest_mem_listener *l)
{
	return mem->map ? mem_map_set_listener(mem->map, l) : -EINVAL;
}

/* --- lookups */

int guest_mem_find_gpa(const struct guest_mem *mem, uint64_t gpa, struct guest_mem_region *out)
{
	struct mem_map *m = mem->map;
	struct mem_region *r;

	if (!m)
		return -ENOENT;
	pthread_rwlock_rdlock(&m->lock);
	r = mem_map_lookup_gpa(m, gpa);
	if (r)
		*out = r->d;
	pthread_rwlock_unlock(&m->lock);
	return r ? 0 : -ENOENT;
}

int guest_mem_region_get(const struct guest_mem *mem, uint32_t id, struct guest_mem_region *out)
{
	struct mem_map *m = mem->map;
	struct mem_region *r;

	if (!m)
		return -ENOENT;
	pthread_rwlock_rdlock(&m->lock);
	r = mem_map_lookup_id(m, id);
	if (r)
		*out = r->d;
	pthread_rwlock_unlock(&m->lock);
	return r ? 0 : -ENOENT;
}

int guest_mem_find_hva(const struct guest_mem *mem, const void *hva, uint64_t len,
		       int (*fn)(const struct guest_mem_region *r, void *ctx), void *ctx)
{
	uint64_t start = (uint64_t)(uintptr_t)hva;
	struct mem_map *m = mem->map;
	int ret;

	if (len == 0 || start + len < start)
		return -EINVAL;
	if (!m)
		return 0;
	pthread_rwlock_rdlock(&m->lock);
	ret = mem_map_walk_hva(m, start, start + len, fn, ctx);
	pthread_rwlock_unlock(&m->lock);
	return ret;
}

struct first_hit {
	uint64_t hva;
	uint64_t gpa;
};

static int take_first(const struct guest_mem_region *r, void *ctx)
{
	struct first_hit *h = ctx;

	h->gpa = r->gpa + (h->hva - (uint64_t)(uintptr_t)r->hva);
	return 1;
}

int guest_mem_hva_to_gpa(const struct guest_mem *mem, const void *hva, uint64_t *gpa)
{
	struct first_hit h = { .hva = (uint64_t)(uintptr_t)hva };

	if (guest_mem_find_hva(mem, hva, 1, take_first, &h) != 1)
		return -ENOENT;
	*gpa = h.gpa;
	return 0;
}

uint32_t guest_mem_region_count(const struct guest_mem *mem)
{
	struct mem_map *m = mem->map;
	uint32_t n;

	if (!m)
		return 0;
	pthread_rwlock_rdlock(&m->lock);
	n = m->count;
	pthread_rwlock_unlock(&m->lock);
	return n;
}

int guest_mem_for_each(const struct guest_mem *mem,
		       int (*fn)(const struct guest_mem_region *r, void *ctx), void *ctx)
{
	struct mem_map *m = mem->map;
	int r;

	if (!m)
		return 0;
	pthread_rwlock_rdlock(&m->lock);
	r = mem_map_walk_hva(m, 0, UINT64_MAX, fn, ctx);
	pthread_rwlock_unlock(&m->lock);
	return r;
}

/* --- access */

/* The region holding all of [gpa, gpa+len) and allowing dir, and the offset
 * of gpa in it; NULL otherwise. Caller holds the read lock. Written so that
 * no sum can overflow: offset and len are compared against what is left of
 * the region. */
static struct mem_region *lookup_range(struct mem_map *m, uint64_t gpa, uint64_t len,
				       enum guest_mem_dir dir, uint64_t *off)
{
	struct mem_region *r;

	if (len == 0 || (dir & ~GUEST_MEM_RW) || !(dir & GUEST_MEM_RW))
		return NULL;
	r = mem_map_lookup_gpa(m, gpa);
	if (!r || len > r->d.size - (gpa - r->d.gpa))
		return NULL;
	if ((dir & GUEST_MEM_WRITE) && r->d.kind == GUEST_MEM_ROM)
		return NULL;
	*off = gpa - r->d.gpa;
	return r;
}

void *guest_mem_map(const struct guest_mem *mem, uint64_t gpa, uint64_t len,
		    enum guest_mem_dir dir)
{
	struct mem_map *m = mem->map;
	struct mem_region *r;
	uint8_t *p = NULL;
	uint64_t off;

	if (!m)
		return NULL;
	pthread_rwlock_rdlock(&m->lock);
	r = lookup_range(m, gpa, len, dir, &off);
	if (r)
		p = r->d.hva + off;
	pthread_rwlock_unlock(&m->lock);
	return p;
}

int guest_mem_unmap(const struct guest_mem *mem, uint64_t gpa, uint64_t len, bool dirty)
{
	struct mem_map *m = mem->map;
	struct mem_region *r;
	uint64_t off;
	int ret = -EFAULT;

	/* A read mapping holds nothing: unmapping it is free. */
	if (!dirty)
		return 0;
	if (!m)
		return -EFAULT;
	pthread_rwlock_rdlock(&m->lock);
	r = lookup_range(m, gpa, len, GUEST_MEM_WRITE, &off);
	if (r)
		ret = mem_dirty_mark(&r->dirty, r->d.size, off, len);
	pthread_rwlock_unlock(&m->lock);
	return ret;
}

void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	return guest_mem_map(mem, gpa, len, GUEST_MEM_WRITE);
}

int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *src, size_t len)
{
	struct mem_map *m = mem->map;
	struct mem_region *r;
	uint64_t off;
	int ret = -EFAULT;

	if (!m)
		return -EFAULT;
	/* One lookup for copy and dirty mark; the read lock held across the
	 * copy only delays region changes, never other readers. */
	pthread_rwlock_rdlock(&m->lock);
	r = lookup_range(m, gpa, len, GUEST_MEM_WRITE, &off);
	if (r) {
		memcpy(r->d.hva + off, src, len);
		/* A failed bitmap allocation marks the whole region dirty: the
		 * write itself succeeded. */
		mem_dirty_mark(&r->dirty, r->d.size, off, len);
		ret = 0;
	}
	pthread_rwlock_unlock(&m->lock);
	return ret;
}

int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *dst, size_t len)
{
	const void *p = guest_mem_map(mem, gpa, len, GUEST_MEM_READ);

	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}

/* --- dirty log */

int guest_mem_dirty_log_enable(struct guest_mem *mem, uint32_t id)
{
	struct mem_map *m = mem->map;
	struct mem_region *r;
	int ret = -ENOENT;

	if (!m)
		return -ENOENT;
	pthread_rwlock_rdlock(&m->lock);
	r = mem_map_lookup_id(m, id);
	if (r)
		ret = mem_dirty_alloc(&r->dirty, r->d.size);
	pthread_rwlock_unlock(&m->lock);
	return ret;
}

long guest_mem_dirty_fetch(const struct guest_mem *mem, uint32_t id, uint64_t *out, size_t nwords)
{
	struct mem_map *m = mem->map;
	struct mem_region *r;
	long ret = -ENOENT;

	if (!m)
		return -ENOENT;
	pthread_rwlock_rdlock(&m->lock);
	r = mem_map_lookup_id(m, id);
	if (r)
		ret = mem_dirty_fetch(&r->dirty, r->d.size, out, nwords);
	pthread_rwlock_unlock(&m->lock);
	return ret;
}

int guest_mem_check(const struct guest_mem *mem)
{
	return mem->map ? mem_map_check(mem->map) : 0;
}
