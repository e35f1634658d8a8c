#include "bus/io_bus.h"

#include <errno.h>
#include <string.h>

int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len,
		    const struct io_bus_ops *ops, void *opaque)
{
	unsigned int i;

	if (len == 0 || base + len < base)
		return -EINVAL;
	if (bus->nranges == IO_BUS_MAX_RANGES)
		return -ENOSPC;
	for (i = 0; i < bus->nranges && bus->ranges[i].base < base; i++)
		;
	if (i > 0 && bus->ranges[i - 1].base + bus->ranges[i - 1].len > base)
		return -EEXIST;
	if (i < bus->nranges && base + len > bus->ranges[i].base)
		return -EEXIST;
	memmove(&bus->ranges[i + 1], &bus->ranges[i],
		(bus->nranges - i) * sizeof(bus->ranges[0]));
	bus->ranges[i] = (struct io_bus_range){ base, len, ops, opaque };
	bus->nranges++;
	return 0;
}

static const struct io_bus_range *find(const struct io_bus *bus, uint64_t addr, uint32_t len)
{
	unsigned int lo = 0, hi = bus->nranges;

	while (lo < hi) {
		unsigned int mid = lo + (hi - lo) / 2;
		const struct io_bus_range *r = &bus->ranges[mid];

		if (addr < r->base) {
			hi = mid;
		} else if (addr - r->base >= r->len) {
			lo = mid + 1;
		} else {
			return len <= r->len - (addr - r->base) ? r : NULL;
		}
	}
	return NULL;
}

int io_bus_read(struct io_bus *bus, uint64_t addr, uint8_t *data, uint32_t len)
{
	const struct io_bus_range *r = find(bus, addr, len);

	if (!r || !r->ops->read) {
		memset(data, 0xff, len);
		atomic_fetch_add_explicit(&bus->unclaimed, 1, memory_order_relaxed);
		return -ENOENT;
	}
	r->ops->read(r->opaque, addr - r->base, data, len);
	return 0;
}

int io_bus_write(struct io_bus *bus, uint64_t addr, const uint8_t *data, uint32_t len)
{
	const struct io_bus_range *r = find(bus, addr, len);

	if (!r || !r->ops->write) {
		atomic_fetch_add_explicit(&bus->unclaimed, 1, memory_order_relaxed);
		return -ENOENT;
	}
	r->ops->write(r->opaque, addr - r->base, data, len);
	return 0;
}
