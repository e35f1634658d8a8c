/* Unit tests: port-I/O / MMIO dispatch. */
#include <errno.h>
#include <pthread.h>
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
	assert_int_equal(io_bus_init(&bus), 0);
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
	io_bus_destroy(&bus);
}

static void dispatch(void **state)
{
	static struct io_bus bus;
	struct rec a = { 0 }, b = { 0 };
	uint8_t d[4] = { 0x42, 0, 0, 0 };

	(void)state;
	assert_int_equal(io_bus_init(&bus), 0);
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
	io_bus_destroy(&bus);
}

/* The bus as older callers make it (calloc) still works. */
static void zero_filled_bus(void **state)
{
	static struct io_bus bus;
	struct rec a = { 0 };
	uint8_t d = 0;

	(void)state;
	memset(&bus, 0, sizeof(bus));
	assert_int_equal(io_bus_register(&bus, 0x10, 1, &rec_ops, &a), 0);
	assert_int_equal(io_bus_read(&bus, 0x10, &d, 1), 0);
	assert_int_equal(d, 0x5a);
}

static void unregister(void **state)
{
	static struct io_bus bus;
	struct rec a = { 0 }, b = { 0 };
	uint8_t d = 0;

	(void)state;
	assert_int_equal(io_bus_init(&bus), 0);
	assert_int_equal(io_bus_register(&bus, 0x1000, 0x100, &rec_ops, &a), 0);
	assert_int_equal(io_bus_register(&bus, 0x2000, 0x100, &rec_ops, &b), 0);
	assert_int_equal(io_bus_register(&bus, 0x3000, 0x100, &rec_ops, &b), 0);
	/* only an exact (base, len) match goes */
	assert_int_equal(io_bus_unregister(&bus, 0x2000, 0x80), -ENOENT);
	assert_int_equal(io_bus_unregister(&bus, 0x2001, 0x100), -ENOENT);
	assert_int_equal(io_bus_unregister(&bus, 0x2000, 0x100), 0);
	assert_int_equal(io_bus_unregister(&bus, 0x2000, 0x100), -ENOENT);
	assert_int_equal(bus.nranges, 2);
	assert_int_equal(io_bus_read(&bus, 0x2010, &d, 1), -ENOENT);
	assert_int_equal(d, 0xff);
	/* neighbours still dispatch, the hole can be claimed again */
	assert_int_equal(io_bus_read(&bus, 0x10ff, &d, 1), 0);
	assert_int_equal(io_bus_read(&bus, 0x3000, &d, 1), 0);
	assert_int_equal(io_bus_register(&bus, 0x1100, 0x1f00, &rec_ops, &b), 0);
	assert_int_equal(io_bus_read(&bus, 0x2010, &d, 1), 0);
	assert_int_equal(b.off, 0xf10);
	io_bus_destroy(&bus);
}

/* A handler that moves its own range (as a PCI config write moving an I/O
 * BAR does) must not deadlock on the bus lock. */
struct mover {
	struct io_bus *bus;
	const struct io_bus_ops *ops;
	uint64_t base;
};

static void mover_write(void *o, uint64_t off, const uint8_t *data, uint32_t len)
{
	struct mover *m = o;

	(void)off;
	(void)len;
	assert_int_equal(io_bus_unregister(m->bus, m->base, 4), 0);
	m->base = data[0];
	assert_int_equal(io_bus_register(m->bus, m->base, 4, m->ops, m), 0);
}

static const struct io_bus_ops mover_ops = { NULL, mover_write };

static void handler_changes_bus(void **state)
{
	static struct io_bus bus;
	struct mover m = { &bus, &mover_ops, 0x40 };
	uint8_t d = 0x80;

	(void)state;
	assert_int_equal(io_bus_init(&bus), 0);
	assert_int_equal(io_bus_register(&bus, 0x40, 4, &mover_ops, &m), 0);
	assert_int_equal(io_bus_write(&bus, 0x42, &d, 1), 0);
	assert_int_equal(m.base, 0x80);
	assert_int_equal(io_bus_write(&bus, 0x42, &d, 1), -ENOENT);
	d = 0x20;
	assert_int_equal(io_bus_write(&bus, 0x83, &d, 1), 0);
	assert_int_equal(m.base, 0x20);
	/* a handler-less direction is unclaimed, not a crash */
	assert_int_equal(io_bus_read(&bus, 0x20, &d, 1), -ENOENT);
	io_bus_destroy(&bus);
}

/* Readers on several threads while another thread keeps adding and
 * removing ranges around them: every access sees either the device
 * (0x5a) or nothing (all-ones), never a torn table. */
struct race {
	struct io_bus *bus;
	atomic_int stop;
	atomic_ulong hits, misses, bad;
};

static void const_read(void *o, uint64_t off, uint8_t *data, uint32_t len)
{
	(void)o;
	(void)off;
	memset(data, 0x5a, len);
}

static const struct io_bus_ops const_ops = { const_read, NULL };

static void *race_reader(void *arg)
{
	struct race *rc = arg;
	uint64_t addr = 0x1000;

	while (!atomic_load(&rc->stop)) {
		uint8_t d[4];

		addr = 0x1000 + ((addr * 7 + 0x30) & 0x1ffc);
		if (io_bus_read(rc->bus, addr, d, 4) == 0) {
			atomic_fetch_add(&rc->hits, 1);
			if (memcmp(d, "\x5a\x5a\x5a\x5a", 4))
				atomic_fetch_add(&rc->bad, 1);
		} else {
			atomic_fetch_add(&rc->misses, 1);
			if (memcmp(d, "\xff\xff\xff\xff", 4))
				atomic_fetch_add(&rc->bad, 1);
		}
	}
	return NULL;
}

static void concurrent_lookup(void **state)
{
	static struct io_bus bus;
	static struct race rc;
	pthread_t t[3];

	(void)state;
	assert_int_equal(io_bus_init(&bus), 0);
	rc.bus = &bus;
	/* fixed ranges the readers always find */
	for (unsigned int i = 0; i < 16; i++)
		assert_int_equal(io_bus_register(&bus, 0x1000 + i * 0x200, 0x100, &const_ops, NULL), 0);
	for (unsigned int i = 0; i < 3; i++)
		assert_int_equal(pthread_create(&t[i], NULL, race_reader, &rc), 0);
	/* Keep changing the bus until the readers have really run alongside
	 * (on a loaded machine they may not be scheduled for a while). */
	for (unsigned int round = 0; round < 20000 || atomic_load(&rc.hits) < 1000; round++) {
		uint64_t base = 0x1100 + (round % 16) * 0x200;

		assert_int_equal(io_bus_register(&bus, base, 0x100, &const_ops, NULL), 0);
		assert_int_equal(io_bus_unregister(&bus, base, 0x100), 0);
	}
	atomic_store(&rc.stop, 1);
	for (unsigned int i = 0; i < 3; i++)
		pthread_join(t[i], NULL);
	assert_int_equal(atomic_load(&rc.bad), 0);
	assert_true(atomic_load(&rc.hits) > 0);
	assert_int_equal(bus.nranges, 16);
	io_bus_destroy(&bus);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(register_rules),
		cmocka_unit_test(dispatch),
		cmocka_unit_test(zero_filled_bus),
		cmocka_unit_test(unregister),
		cmocka_unit_test(handler_changes_bus),
		cmocka_unit_test(concurrent_lookup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
