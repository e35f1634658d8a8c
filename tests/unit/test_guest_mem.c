/* Unit tests: guest RAM layout, the checked access path (map/unmap, ROM,
 * bounds) and the dirty bitmap. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "mem/guest_mem.h"

#define MB (1ULL << 20)

static void layout_around_hole(void **state)
{
	struct guest_mem m;

	(void)state;
	assert_int_equal(guest_mem_init(&m, 64 * MB, 32 * MB, 48 * MB), 0);
	assert_int_equal(m.nregions, 2);
	assert_int_equal(m.regions[0].gpa, 0);
	assert_int_equal(m.regions[0].size, 32 * MB);
	assert_int_equal(m.regions[1].gpa, 48 * MB);
	assert_int_equal(m.regions[1].size, 32 * MB);
	/* host addresses huge-page aligned, as guest-physical ones are */
	assert_int_equal((uintptr_t)m.regions[0].hva % GUEST_MEM_HUGE_ALIGN, 0);
	assert_int_equal((uintptr_t)m.regions[1].hva % GUEST_MEM_HUGE_ALIGN, 0);
	guest_mem_destroy(&m);

	assert_int_equal(guest_mem_init(&m, 16 * MB, 32 * MB, 48 * MB), 0);
	assert_int_equal(m.nregions, 1);
	guest_mem_destroy(&m);

	/* A size that is no multiple of 2 MiB, which even Linux 6.7+ places at
	 * any 4 KiB boundary: the start is aligned all the same. */
	assert_int_equal(guest_mem_init(&m, 3 * MB + 4096, 32 * MB, 48 * MB), 0);
	assert_int_equal((uintptr_t)m.regions[0].hva % GUEST_MEM_HUGE_ALIGN, 0);
	assert_int_equal(guest_mem_write(&m, 3 * MB, "end", 4), 0);
	guest_mem_destroy(&m);

	assert_int_equal(guest_mem_init(&m, 0, 32 * MB, 48 * MB), -EINVAL);
	assert_int_equal(guest_mem_init(&m, 4097, 32 * MB, 48 * MB), -EINVAL);
}

static void ptr_bounds(void **state)
{
	struct guest_mem m;
	uint8_t buf[16] = { 0 };

	(void)state;
	assert_int_equal(guest_mem_init(&m, 64 * MB, 32 * MB, 48 * MB), 0);
	assert_non_null(guest_mem_ptr(&m, 0, 1));
	assert_non_null(guest_mem_ptr(&m, 32 * MB - 16, 16));
	assert_ptr_equal(guest_mem_ptr(&m, 4096, 1), m.regions[0].hva + 4096);
	assert_ptr_equal(guest_mem_ptr(&m, 48 * MB + 5, 1), m.regions[1].hva + 5);
	/* crossing the end of a region, even into the next one */
	assert_null(guest_mem_ptr(&m, 32 * MB - 16, 17));
	assert_null(guest_mem_ptr(&m, 80 * MB - 1, 2));
	/* inside the hole and beyond RAM */
	assert_null(guest_mem_ptr(&m, 40 * MB, 1));
	assert_null(guest_mem_ptr(&m, 80 * MB, 1));
	/* zero length and wrap-around */
	assert_null(guest_mem_ptr(&m, 0, 0));
	assert_null(guest_mem_ptr(&m, 16, UINT64_MAX));
	assert_null(guest_mem_ptr(&m, UINT64_MAX, 2));
	assert_null(guest_mem_ptr(&m, 48 * MB, UINT64_MAX - 48 * MB + 2));

	assert_int_equal(guest_mem_write(&m, 100, "hello", 5), 0);
	assert_int_equal(guest_mem_read(&m, 100, buf, 5), 0);
	assert_memory_equal(buf, "hello", 5);
	assert_int_equal(guest_mem_write(&m, 32 * MB - 2, "hello", 5), -EFAULT);
	assert_int_equal(guest_mem_read(&m, 40 * MB, buf, 1), -EFAULT);
	guest_mem_destroy(&m);
}

#define PAGE GUEST_MEM_PAGE_SIZE

/* First byte, last byte and one past, for every kind of region. */
static void map_boundaries(void **state)
{
	static uint8_t rom[4 * 4096] __attribute__((aligned(4096)));
	struct guest_mem m;
	uint32_t id;

	(void)state;
	assert_int_equal(guest_mem_init(&m, 64 * MB, 32 * MB, 48 * MB), 0);
	assert_int_equal(guest_mem_region_add(&m, 40 * MB, sizeof(rom), rom, GUEST_MEM_ROM, &id),
			 0);
	assert_int_equal(id, 2);
	assert_ptr_equal(guest_mem_map(&m, 40 * MB, 1, GUEST_MEM_READ), rom);
	assert_ptr_equal(guest_mem_map(&m, 40 * MB + sizeof(rom) - 1, 1, GUEST_MEM_READ),
			 rom + sizeof(rom) - 1);
	assert_null(guest_mem_map(&m, 40 * MB + sizeof(rom), 1, GUEST_MEM_READ));
	assert_null(guest_mem_map(&m, 40 * MB - 1, 1, GUEST_MEM_READ));
	assert_null(guest_mem_map(&m, 40 * MB - 1, 2, GUEST_MEM_READ));
	assert_null(guest_mem_map(&m, 40 * MB, sizeof(rom) + 1, GUEST_MEM_READ));
	assert_non_null(guest_mem_map(&m, 40 * MB, sizeof(rom), GUEST_MEM_READ));
	/* RAM: last byte below the hole, first above it */
	assert_ptr_equal(guest_mem_map(&m, 32 * MB - 1, 1, GUEST_MEM_RW),
			 m.regions[0].hva + 32 * MB - 1);
	assert_null(guest_mem_map(&m, 32 * MB, 1, GUEST_MEM_RW));
	assert_ptr_equal(guest_mem_map(&m, 48 * MB, 1, GUEST_MEM_RW), m.regions[1].hva);
	assert_null(guest_mem_map(&m, 48 * MB - 1, 1, GUEST_MEM_RW));
	assert_null(guest_mem_map(&m, 80 * MB, 1, GUEST_MEM_READ));
	/* empty, wrapping and nonsense directions */
	assert_null(guest_mem_map(&m, 0, 0, GUEST_MEM_READ));
	assert_null(guest_mem_map(&m, UINT64_MAX, 1, GUEST_MEM_READ));
	assert_null(guest_mem_map(&m, UINT64_MAX, 2, GUEST_MEM_READ));
	assert_null(guest_mem_map(&m, 4096, UINT64_MAX, GUEST_MEM_READ));
	assert_null(guest_mem_map(&m, 4096, UINT64_MAX - 4095, GUEST_MEM_READ));
	assert_null(guest_mem_map(&m, 4096, 1, (enum guest_mem_dir)0));
	assert_null(guest_mem_map(&m, 4096, 1, (enum guest_mem_dir)4));
	guest_mem_destroy(&m);
}

static void rom_refuses_writes(void **state)
{
	static uint8_t rom[4096] __attribute__((aligned(4096))) = { 0xaa };
	struct guest_mem m;
	uint8_t b = 0;
	uint64_t bits[1];

	(void)state;
	assert_int_equal(guest_mem_init(&m, 16 * MB, 32 * MB, 48 * MB), 0);
	assert_int_equal(guest_mem_region_add(&m, 0xfffff000, sizeof(rom), rom, GUEST_MEM_ROM,
					      NULL), 0);
	assert_null(guest_mem_map(&m, 0xfffff000, 1, GUEST_MEM_WRITE));
	assert_null(guest_mem_map(&m, 0xfffff000, 1, GUEST_MEM_RW));
	assert_null(guest_mem_ptr(&m, 0xfffff000, 1));
	assert_int_equal(guest_mem_write(&m, 0xfffff000, "x", 1), -EFAULT);
	assert_int_equal(guest_mem_unmap(&m, 0xfffff000, 1, true), -EFAULT);
	assert_int_equal(guest_mem_read(&m, 0xfffff000, &b, 1), 0);
	assert_int_equal(b, 0xaa);
	assert_int_equal(guest_mem_dirty_fetch(&m, 1, bits, 1), 0);
	guest_mem_destroy(&m);
}

/* Unmapping a written range marks every page it touches, and only those. */
static void dirty_bitmap(void **state)
{
	struct guest_mem m;
	uint64_t bits[GUEST_MEM_DIRTY_WORDS(32 * MB)];
	uint8_t *p;

	(void)state;
	assert_int_equal(guest_mem_init(&m, 64 * MB, 32 * MB, 48 * MB), 0);
	/* nothing written yet: no bitmap, nothing dirty */
	assert_int_equal(guest_mem_dirty_fetch(&m, 0, bits, GUEST_MEM_DIRTY_WORDS(32 * MB)), 0);
	assert_int_equal(guest_mem_dirty_fetch(&m, 0, bits, 1), -ENOSPC);
	assert_int_equal(guest_mem_dirty_fetch(&m, 9, bits, 1), -ENOENT);

	/* two bytes straddling pages 0 and 1 */
	p = guest_mem_map(&m, PAGE - 1, 2, GUEST_MEM_WRITE);
	assert_non_null(p);
	p[0] = p[1] = 1;
	assert_int_equal(guest_mem_unmap(&m, PAGE - 1, 2, true), 0);
	/* pages 63..64 cross a bitmap word; 100..102 end exactly at a page */
	assert_int_equal(guest_mem_unmap(&m, 63 * PAGE + 5, PAGE, true), 0);
	assert_int_equal(guest_mem_unmap(&m, 100 * PAGE, 3 * PAGE, true), 0);
	/* a read unmap or a clean one marks nothing */
	assert_int_equal(guest_mem_unmap(&m, 200 * PAGE, PAGE, false), 0);
	assert_int_equal(guest_mem_unmap(&m, 32 * MB - 1, 2, true), -EFAULT);
	assert_int_equal(guest_mem_dirty_fetch(&m, 0, bits, GUEST_MEM_DIRTY_WORDS(32 * MB)), 7);
	assert_int_equal(bits[0], 0x8000000000000003ULL);
	assert_int_equal(bits[1], 0x1ULL | (0x7ULL << 36));
	/* fetch cleared it */
	assert_int_equal(guest_mem_dirty_fetch(&m, 0, bits, GUEST_MEM_DIRTY_WORDS(32 * MB)), 0);
	/* guest_mem_write marks too, in the region it lands in */
	assert_int_equal(guest_mem_write(&m, 48 * MB + PAGE, "hi", 2), 0);
	assert_int_equal(guest_mem_dirty_fetch(&m, 1, bits, GUEST_MEM_DIRTY_WORDS(32 * MB)), 1);
	assert_int_equal(bits[0], 2);
	/* the whole region, last page included */
	assert_int_equal(guest_mem_dirty_log_enable(&m, 1), 0);
	assert_int_equal(guest_mem_unmap(&m, 48 * MB, 32 * MB, true), 0);
	assert_int_equal(guest_mem_dirty_fetch(&m, 1, bits, GUEST_MEM_DIRTY_WORDS(32 * MB)),
			 (32 * MB) / PAGE);
	assert_int_equal(bits[GUEST_MEM_DIRTY_WORDS(32 * MB) - 1], UINT64_MAX);
	guest_mem_destroy(&m);
}

/* Moving a region keeps its host memory: what the guest saw moves with it. */
static void move_keeps_contents(void **state)
{
	static uint8_t dev[2 * 4096] __attribute__((aligned(4096)));
	struct guest_mem m;
	uint32_t id;
	char buf[4] = { 0 };
	uint64_t bits[1];

	(void)state;
	assert_int_equal(guest_mem_init(&m, 16 * MB, 32 * MB, 48 * MB), 0);
	assert_int_equal(guest_mem_region_add(&m, 40 * MB, sizeof(dev), dev, GUEST_MEM_DEVICE, &id),
			 0);
	assert_int_equal(guest_mem_write(&m, 40 * MB + PAGE, "pmem", 4), 0);
	assert_int_equal(guest_mem_region_move(&m, id, 44 * MB), 0);
	assert_int_equal(guest_mem_read(&m, 44 * MB + PAGE, buf, 4), 0);
	assert_memory_equal(buf, "pmem", 4);
	assert_int_equal(guest_mem_read(&m, 40 * MB + PAGE, buf, 4), -EFAULT);
	/* the dirty bits belong to the region, not to an address */
	assert_int_equal(guest_mem_dirty_fetch(&m, id, bits, 1), 1);
	assert_int_equal(bits[0], 2);
	/* growing past the host memory we own is refused for RAM */
	assert_int_equal(guest_mem_region_resize(&m, 0, 32 * MB), -EINVAL);
	assert_int_equal(guest_mem_region_resize(&m, 0, 8 * MB), 0);
	assert_null(guest_mem_map(&m, 8 * MB, 1, GUEST_MEM_READ));
	assert_int_equal(guest_mem_check(&m), 0);
	guest_mem_destroy(&m);
	guest_mem_destroy(&m); /* twice is harmless */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(layout_around_hole),
		cmocka_unit_test(ptr_bounds),
		cmocka_unit_test(map_boundaries),
		cmocka_unit_test(rom_refuses_writes),
		cmocka_unit_test(dirty_bitmap),
		cmocka_unit_test(move_keeps_contents),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
