#include "bus/io_bus.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

int io_bus_init(struct io_bus *bus)
{
	memset(bus, 0, sizeof(*bus));
	return -pthread_rwlock_init(&bus->lock, NULL);
}

void io_bus_destroy(struct io_bus *bus)
{
	pthread_rwlock_destroy(&bus->lock);
}

int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len,
		    const struct io_bus_ops *ops, void *opaque)
{
	unsigned int i;
	int r = 0;

	if (len == 0 || base + len < base)
		return -EINVAL;
	pthread_rwlock_wrlock(&bus->lock);
	for (i = 0; i < bus->nranges && bus->ranges[i].base < base; i++)
		;
	if (bus->nranges == IO_BUS_MAX_RANGES)
		r = -ENOSPC;
	else if (i > 0 && bus->ranges[i - 1].base + bus->ranges[i - 1].len > base)
		r = -EEXIST;
	else if (i < bus->nranges && base + len > bus->ranges[i].base)
		r = -EEXIST;
	if (r == 0) {
		memmove(&bus->ranges[i + 1], &bus->ranges[i],
			(bus->nranges - i) * sizeof(bus->ranges[0]));
		bus->ranges[i] = (struct io_bus_range){ base, len, ops, opaque };
		bus->nranges++;
	}
	pthread_rwlock_unlock(&bus->lock);
	return r;
}

int io_bus_unregister(struct io_bus *bus, uint64_t base, uint64_t len)
{
	int r = -ENOENT;

	pthread_rwlock_wrlock(&bus->lock);
	for (unsigned int i = 0; i < bus->nranges; i++) {
		if (bus->ranges[i].base != base)
			continue;
		if (bus->ranges[i].len == len) {
			memmove(&bus->ranges[i], &bus->ranges[i + 1],
				(bus->nranges - i - 1) * sizeof(bus->ranges[0]));
			bus->nranges--;
			r = 0;
		}
		break;
	}
	pthread_rwlock_unlock(&bus->lock);
	return r;
}

/* Copy the range that claims [addr, addr+len) into *out. The copy is what
 * lets handlers run without the lock (see io_bus.h). */
static bool find(struct io_bus *bus, uint64_t addr, uint32_t len, struct io_bus_range *out)
{
	unsigned int lo = 0, hi;
	bool found = false;

	pthread_rwlock_rdlock(&bus->lock);
	hi = bus->nranges;
	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct io_bus_range *r = &bus->ranges[mid];

		if (addr < r->base) {
			hi = mid;
		} else if (addr - r->base >= r->len) {
			lo = mid + 1;
		} else {
			found = len <= r->len - (addr - r->base);
			if (found)
				*out = *r;
			break;
		}
	}
	pthread_rwlock_unlock(&bus->lock);
	return found;
}

int io_bus_read(struct io_bus *bus, uint64_t addr, uint8_t *data, uint32_t len)
{
	struct io_bus_range r;

	if (!find(bus, addr, len, &r) || !r.ops->read) {
		memset(data, 0xff, len);
		atomic_fetch_add_explicit(&bus->unclaimed, 1, memory_order_relaxed);
		return -ENOENT;
	}
	r.ops->read(r.opaque, addr - r.base, data, len);
	return 0;
}

int io_bus_write(struct io_bus *bus, uint64_t addr, const uint8_t *data, uint32_t len)
{
	struct io_bus_range r;

	if (!find(bus, addr, len, &r) || !r.ops->write) {
		atomic_fetch_add_explicit(&bus->unclaimed, 1, memory_order_relaxed);
		return -ENOENT;
	}
	r.ops->write(r.opaque, addr - r.base, data, len);
	return 0;
}
