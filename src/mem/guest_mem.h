/* guest_mem: guest physical RAM and the one checked path into it.
 * RAM is anonymous host memory, split around the 32-bit MMIO hole
 * (arch/x86/layout.h). Device code reaches guest memory only through
 * guest_mem_ptr(), which rejects ranges that overflow, are unmapped or cross
 * a region end: a guest-supplied (gpa, len) never yields a stray pointer. */
#ifndef SKIFF_MEM_GUEST_MEM_H
#define SKIFF_MEM_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

#define GUEST_MEM_MAX_REGIONS 2

struct guest_mem_region {
	uint64_t gpa;
	uint64_t size;
	uint8_t *hva;
};

struct guest_mem {
	struct guest_mem_region regions[GUEST_MEM_MAX_REGIONS];
	unsigned int nregions;
	uint64_t ram_size;
};

/* Lay out ram_size bytes of RAM below hole_start and from hole_end up, and map
 * them. Returns 0, -ENOMEM when the host cannot map that much, -EINVAL for a
 * size that is zero or not page-aligned. */
int guest_mem_init(struct guest_mem *mem, uint64_t ram_size, uint64_t hole_start,
		   uint64_t hole_end);
void guest_mem_destroy(struct guest_mem *mem);

/* Host pointer for guest range [gpa, gpa+len) when it lies wholly inside one
 * RAM region; NULL otherwise (including len == 0 and gpa+len overflow). */
void *guest_mem_ptr(const struct guest_mem *mem, uint64_t gpa, uint64_t len);

/* Copy between host and guest through guest_mem_ptr(): 0 or -EFAULT. */
int guest_mem_write(const struct guest_mem *mem, uint64_t gpa, const void *src, size_t len);
int guest_mem_read(const struct guest_mem *mem, uint64_t gpa, void *dst, size_t len);

#endif
