/* Unit tests: guest RAM layout and the checked access path. */
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
	guest_mem_destroy(&m);

	assert_int_equal(guest_mem_init(&m, 16 * MB, 32 * MB, 48 * MB), 0);
	assert_int_equal(m.nregions, 1);
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(layout_around_hole),
		cmocka_unit_test(ptr_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
