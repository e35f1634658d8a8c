/* io_bus: dispatch of guest port-I/O or MMIO accesses to the device that owns
 * the address. Ranges are registered during VM build (before any vCPU runs)
 * and looked up by binary search from vCPU threads; devices lock their own
 * state. An access no device claims reads as all-ones and is counted. */
#ifndef SKIFF_BUS_IO_BUS_H
#define SKIFF_BUS_IO_BUS_H

#include <stdatomic.h>
#include <stdint.h>

/* A device's handlers: offset is relative to the registered base; len is 1, 2,
 * 4 or 8 bytes; data is little-endian as in kvm_run (api.rst 5, KVM_EXIT_IO). */
struct io_bus_ops {
	void (*read)(void *opaque, uint64_t offset, uint8_t *data, uint32_t len);
	void (*write)(void *opaque, uint64_t offset, const uint8_t *data, uint32_t len);
};

struct io_bus_range {
	uint64_t base;
	uint64_t len;
	const struct io_bus_ops *ops;
	void *opaque;
};

#define IO_BUS_MAX_RANGES 64

struct io_bus {
	struct io_bus_range ranges[IO_BUS_MAX_RANGES]; /* sorted by base */
	unsigned int nranges;
	atomic_ulong unclaimed; /* accesses no device claimed */
};

/* Claim [base, base+len) for ops/opaque. -EEXIST if it overlaps a claimed
 * range, -ENOSPC when the bus is full, -EINVAL for len 0 or wrap-around. */
int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len,
		    const struct io_bus_ops *ops, void *opaque);

/* Dispatch one access. Returns 0 when a device claimed it, -ENOENT otherwise
 * (reads then return all-ones). An access straddling a range end is unclaimed. */
int io_bus_read(struct io_bus *bus, uint64_t addr, uint8_t *data, uint32_t len);
int io_bus_write(struct io_bus *bus, uint64_t addr, const uint8_t *data, uint32_t len);

#endif
