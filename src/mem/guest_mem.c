#include "mem/guest_mem.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

static int map_region(struct guest_mem *mem, uint64_t gpa, uint64_t size)
{
	struct guest_mem_region *r = &mem->regions[mem->nregions];
	/* MAP_NORESERVE: guest RAM is paid for as the guest touches it. */
	void *p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);

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
	r->gpa = gpa;
	r->size = size;
	r->hva = p;
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
	mem->ram_size = ram_size;
	r = map_region(mem, 0, low);
	if (r == 0 && ram_size > low)
		r = map_region(mem, hole_end, ram_size - low);
	if (r < 0)
		guest_mem_destroy(mem);
	return r;
}

void guest_mem_destroy(struct guest_mem *mem)
{
	for (unsigned int i = 0; i < mem->nregions; i++)
		munmap(mem->regions[i].hva, mem->regions[i].size);
	mem->nregions = 0;
}

void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len)
{
	for (unsigned int i = 0; i < mem->nregions; i++) {
		const struct guest_mem_region *r = &mem->regions[i];

		/* Written so that no sum can overflow: offset and len are both
		 * compared against what is left of the region. */
		if (gpa < r->gpa || gpa - r->gpa >= r->size)
			continue;
		if (len == 0 || len > r->size - (gpa - r->gpa))
			return NULL;
		return r->hva + (gpa - r->gpa);
	}
	return NULL;
}

int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *src, size_t len)
{
	void *p = guest_mem_ptr(mem, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(p, src, len);
	return 0;
}

int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *dst, size_t len)
{
	const void *p = guest_mem_ptr(mem, gpa, len);

	if (!p)
		return -EFAULT;
	memcpy(dst, p, len);
	return 0;
}
