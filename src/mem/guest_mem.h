/* guest_mem: the guest memory map and the one checked path into it.
 *
 * The map holds up to GUEST_MEM_MAX_REGIONS regions of guest-physical memory,
 * each backed by host memory: RAM, device memory (pmem, memory-backed PCI
 * BARs) and read-only ROM. Regions never overlap in guest-physical space but
 * may share host memory (aliases). Lookups by guest-physical address (an AVL
 * tree) and by host-virtual address (an augmented AVL interval tree) are
 * O(log n); slot ids come from a free list in O(1); memory grows with the
 * number of regions in use, never with the maximum (the design of KVM's
 * "scalable memslots" series).
 *
 * Device code reaches guest memory only through guest_mem_map()/unmap() (or
 * guest_mem_ptr/read/write built on the same lookup): a (gpa, len) that is
 * empty, wraps, is unmapped or crosses a region end yields NULL / -EFAULT,
 * never a stray pointer, and a write mapping of ROM is refused.
 *
 * Threads: lookups (map, unmap, ptr, read, write, find, dirty fetch) may run
 * concurrently on vCPU threads and the event loop; they take the map's
 * rwlock for reading for the duration of the lookup only. Region changes
 * (add, delete, move, resize, set_listener) take it for writing. The lock is
 * writer-preferring so rare region changes are not starved by a stream of
 * lookups; it is therefore not recursive: a listener or find callback must
 * not call back into guest_mem. A pointer from map/ptr stays valid after the
 * lookup because the map never frees host memory it did not allocate and
 * frees its own RAM only in guest_mem_destroy(); whoever deletes a region and
 * releases its backing memory must first stop the devices that map it (as
 * the VMM pauses vCPUs before hot-unplug). A move keeps the host memory, so
 * outstanding pointers stay valid across it. */
#ifndef SKIFF_MEM_GUEST_MEM_H
#define SKIFF_MEM_GUEST_MEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The RAM regions guest_mem_init() lays out: below and above the 32-bit hole. */
#define GUEST_MEM_RAM_REGIONS 2
/* Most regions one map holds: KVM's KVM_CAP_NR_MEMSLOTS on x86 (32767 minus
 * KVM's private slots). mem_kvm lowers it if the host's KVM says less. */
#define GUEST_MEM_MAX_REGIONS 32764
/* Granule of region alignment and of the dirty bitmap: a 4 KiB page. KVM
 * rejects slots whose gpa, size or host address are not page aligned
 * (api.rst 4.35 KVM_SET_USER_MEMORY_REGION). */
#define GUEST_MEM_PAGE_SHIFT 12
#define GUEST_MEM_PAGE_SIZE (1ULL << GUEST_MEM_PAGE_SHIFT)
/* Host alignment of guest RAM of at least this size: an x86 huge page, so
 * KVM can map it with 2 MiB pages (guest_mem.c says why). */
#define GUEST_MEM_HUGE_ALIGN (2ULL << 20)
/* uint64_t words of a dirty bitmap for a region of `size` bytes. */
#define GUEST_MEM_DIRTY_WORDS(size) ((((size) >> GUEST_MEM_PAGE_SHIFT) + 63) / 64)

enum guest_mem_kind {
	GUEST_MEM_RAM = 0,
	GUEST_MEM_DEVICE, /* memory-backed device region: pmem, PCI BAR */
	GUEST_MEM_ROM,    /* read-only to the guest (KVM_MEM_READONLY) and to devices */
};

enum guest_mem_dir {
	GUEST_MEM_READ = 1,
	GUEST_MEM_WRITE = 2,
	GUEST_MEM_RW = 3,
};

/* A region as callers see it: a value, copied out of the map. */
struct guest_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
	enum guest_mem_kind kind;
	uint32_t id; /* slot number, unique among live regions, reused after delete */
};

/* Who mirrors the map elsewhere (KVM's memslots: vmm/mem_kvm.h). Called with
 * the map write-locked, before the change is visible; a negative errno
 * refuses the change and the map rolls back to what it was. */
struct guest_mem_listener {
	int (*added)(void *ctx, const struct guest_mem_region *r);
	int (*removed)(void *ctx, const struct guest_mem_region *r);
	/* Same id, hva and size; only the gpa changes. */
	int (*moved)(void *ctx, const struct guest_mem_region *old_r,
		     const struct guest_mem_region *new_r);
	void *ctx;
};

struct mem_map;

struct guest_mem {
	/* The RAM layout guest_mem_init() made, for boot code (e820, kernel
	 * placement). A snapshot: the live map is `map`. */
	struct guest_mem_region regions[GUEST_MEM_RAM_REGIONS];
	unsigned int nregions;
	uint64_t ram_size;
	struct mem_map *map;
};

/* An empty map: 0 or -ENOMEM. */
int guest_mem_create(struct guest_mem *mem);
/* guest_mem_create(), then ram_size bytes of anonymous RAM below hole_start
 * and from hole_end up, added as GUEST_MEM_RAM regions (ids 0 and 1).
 * Returns 0, -ENOMEM when the host cannot map that much, -EINVAL for a size
 * that is zero or not page-aligned. */
int guest_mem_init(struct guest_mem *mem, uint64_t ram_size, uint64_t hole_start,
		   uint64_t hole_end);
/* Free the map and the RAM guest_mem_init() mapped. Tells no listener: the
 * KVM VM that mirrors the map is torn down with it. Safe on a zeroed or
 * already destroyed guest_mem. */
void guest_mem_destroy(struct guest_mem *mem);

/* --- Region changes (rare; write lock). All return 0 or a negative errno:
 * -EINVAL  gpa, size or hva not page aligned, size 0, a range that wraps,
 *          an unknown kind;
 * -EEXIST  the guest-physical range overlaps another region (KVM's answer);
 * -ENOSPC  the map is full; -ENOENT no region with that id;
 * -ENOMEM; or the listener's error, after which the map is as before. */
int guest_mem_region_add(struct guest_mem *mem, uint64_t gpa, uint64_t size, void *hva,
			 enum guest_mem_kind kind, uint32_t *id);
int guest_mem_region_del(struct guest_mem *mem, uint32_t id);
/* New guest-physical address, same host memory: guest-visible contents stay. */
int guest_mem_region_move(struct guest_mem *mem, uint32_t id, uint64_t new_gpa);
/* New size, same gpa and hva; the caller's host mapping must cover it. Told
 * to the listener as removed + added (KVM cannot resize a slot). If the
 * listener refuses both the new and the old size, the region is deleted so
 * that the map still matches the listener, and the first error is returned. */
int guest_mem_region_resize(struct guest_mem *mem, uint32_t id, uint64_t new_size);
/* Lower (or raise, up to GUEST_MEM_MAX_REGIONS) how many regions fit:
 * -EINVAL out of range, -EBUSY below the number in use. */
int guest_mem_set_max_regions(struct guest_mem *mem, uint32_t max);
/* Attach (or with NULL, detach) the listener. Attaching replays `added` for
 * every region in gpa order; if one fails, those already added are removed
 * again, no listener is attached and its error is returned. */
int guest_mem_set_listener(struct guest_mem *mem, const struct guest_mem_listener *l);

/* --- Lookups (read lock; any thread). */
/* The region containing gpa: 0 or -ENOENT. */
int guest_mem_find_gpa(const struct guest_mem *mem, uint64_t gpa, struct guest_mem_region *out);
/* The region with this id: 0 or -ENOENT. */
int guest_mem_region_get(const struct guest_mem *mem, uint32_t id, struct guest_mem_region *out);
/* Call fn for every region whose host memory intersects [hva, hva+len), in
 * hva order, until fn returns non-zero (which is then returned). Returns the
 * number of regions visited otherwise; -EINVAL if len is 0 or the range
 * wraps. fn runs under the read lock: it must not call into guest_mem. */
int guest_mem_find_hva(const struct guest_mem *mem, const void *hva, uint64_t len,
		       int (*fn)(const struct guest_mem_region *r, void *ctx), void *ctx);
/* The guest-physical address of hva in the region with the lowest host
 * address containing it: 0 or -ENOENT. */
int guest_mem_hva_to_gpa(const struct guest_mem *mem, const void *hva, uint64_t *gpa);
/* Number of regions in the map. */
uint32_t guest_mem_region_count(const struct guest_mem *mem);
/* Call fn for every region (in host-address order) until fn returns
 * non-zero, which is then returned; else the number of regions. For
 * mirroring the whole map elsewhere (vhost's memory table). fn runs under
 * the read lock: it must not call into guest_mem. */
int guest_mem_for_each(const struct guest_mem *mem,
		       int (*fn)(const struct guest_mem_region *r, void *ctx), void *ctx);

/* --- Access (the guest mapping interface; read lock during lookup only). */
/* Host pointer for [gpa, gpa+len) when it lies wholly inside one region that
 * allows dir (ROM refuses GUEST_MEM_WRITE); NULL otherwise, including
 * len == 0, gpa+len overflow and a range crossing a region end. */
void *guest_mem_map(const struct guest_mem *mem, uint64_t gpa, uint64_t len,
		    enum guest_mem_dir dir);
/* End a mapping from guest_mem_map(). With dirty, the pages of [gpa, gpa+len)
 * are marked in the region's dirty bitmap (allocated on first use). Returns 0;
 * -EFAULT if the range is no longer inside one writable region (nothing
 * marked); -ENOMEM if the bitmap could not be allocated, in which case the
 * whole region will be reported dirty, so no write is ever lost. */
int guest_mem_unmap(const struct guest_mem *mem, uint64_t gpa, uint64_t len, bool dirty);

/* Host pointer for [gpa, gpa+len) inside one writable region (RAM or device
 * memory); NULL otherwise, as guest_mem_map(). Not dirty-tracked: for boot
 * time set-up; devices use map/unmap. */
void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);
/* Copy between host and guest: 0 or -EFAULT (any region that is not wholly
 * inside one region, and writes to ROM). Writes are marked dirty. */
int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *src, size_t len);
int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *dst, size_t len);

/* --- Dirty log of device writes (VMM side; KVM logs guest writes itself). */
/* Allocate region id's bitmap now, so that marking never allocates while a
 * migration runs: 0, -ENOENT, -ENOMEM. */
int guest_mem_dirty_log_enable(struct guest_mem *mem, uint32_t id);
/* Copy region id's dirty bitmap (bit n = page n of the region) into out and
 * clear it, word by word atomically, so no concurrent mark is lost. out has
 * nwords >= GUEST_MEM_DIRTY_WORDS(size). Returns the number of dirty pages,
 * -ENOENT, or -ENOSPC when out is too small. */
long guest_mem_dirty_fetch(const struct guest_mem *mem, uint32_t id, uint64_t *out, size_t nwords);

/* Check every invariant of the map (tree order, balance and augmentation,
 * no gpa overlap, the id table): 0 or -EINVAL. O(n), for tests. */
int guest_mem_check(const struct guest_mem *mem);

#endif
