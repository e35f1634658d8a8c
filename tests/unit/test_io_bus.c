/* Unit tests: port-I/O / MMIO dispatch. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "bus/io_bus.h"

struct rec {
	uint64_t off;
	uint32_t len;
	uint8_t last;
	int reads, writes;
};

static void rec_read(void *o, uint64_t off, uint8_t *data, uint32_t len)
{
	struct rec *r = o;

	r->off = off;
	r->len = len;
	r->reads++;
	memset(data, 0x5a, len);
}

static void rec_write(void *o, uint64_t off, const uint8_t *data, uint32_t len)
{
	struct rec *r = o;

	r->off = off;
	r->len = len;
	r->last = data[0];
	r->writes++;
}

static const struct io_bus_ops rec_ops = { rec_read, rec_write };

static void register_rules(void **state)
{
	static struct io_bus bus;
	struct rec a, b;

	(void)state;
	memset(&bus, 0, sizeof(bus));
	assert_int_equal(io_bus_register(&bus, 0x3f8, 8, &rec_ops, &a), 0);
	assert_int_equal(io_bus_register(&bus, 0x60, 5, &rec_ops, &b), 0);
	assert_int_equal(io_bus_register(&bus, 0x3f0, 9, &rec_ops, &b), -EEXIST);
	assert_int_equal(io_bus_register(&bus, 0x3ff, 1, &rec_ops, &b), -EEXIST);
	assert_int_equal(io_bus_register(&bus, 0x3fa, 1, &rec_ops, &b), -EEXIST);
	assert_int_equal(io_bus_register(&bus, 0x400, 0, &rec_ops, &b), -EINVAL);
	assert_int_equal(io_bus_register(&bus, UINT64_MAX, 2, &rec_ops, &b), -EINVAL);
	assert_int_equal(io_bus_register(&bus, 0x400, 1, &rec_ops, &b), 0);
	for (unsigned int i = 3; i < IO_BUS_MAX_RANGES; i++)
		assert_int_equal(io_bus_register(&bus, 0x1000 + i * 16, 16, &rec_ops, &b), 0);
	assert_int_equal(io_bus_register(&bus, 0x9000, 1, &rec_ops, &b), -ENOSPC);
	for (unsigned int i = 1; i < bus.nranges; i++)
		assert_true(bus.ranges[i - 1].base < bus.ranges[i].base);
}

static void dispatch(void **state)
{
	static struct io_bus bus;
	struct rec a = { 0 }, b = { 0 };
	uint8_t d[4] = { 0x42, 0, 0, 0 };

	(void)state;
	memset(&bus, 0, sizeof(bus));
	assert_int_equal(io_bus_register(&bus, 0x3f8, 8, &rec_ops, &a), 0);
	assert_int_equal(io_bus_register(&bus, 0x60, 5, &rec_ops, &b), 0);
	assert_int_equal(io_bus_write(&bus, 0x3fb, d, 1), 0);
	assert_int_equal(a.off, 3);
	assert_int_equal(a.last, 0x42);
	assert_int_equal(io_bus_read(&bus, 0x64, d, 1), 0);
	assert_int_equal(b.off, 4);
	assert_int_equal(d[0], 0x5a);
	/* unclaimed: reads all-ones and counts */
	assert_int_equal(io_bus_read(&bus, 0x80, d, 4), -ENOENT);
	assert_memory_equal(d, "\xff\xff\xff\xff", 4);
	assert_int_equal(io_bus_write(&bus, 0x80, d, 1), -ENOENT);
	/* straddling the end of a range is not delivered */
	assert_int_equal(io_bus_read(&bus, 0x3fe, d, 4), -ENOENT);
	assert_int_equal(bus.unclaimed, 3);
	assert_int_equal(a.reads, 0);
	assert_int_equal(a.writes, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(register_rules),
		cmocka_unit_test(dispatch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
