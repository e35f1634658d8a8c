/* io_bus: dispatch of guest port-I/O or MMIO accesses to the device that owns
 * the address. Ranges are looked up by binary search from vCPU threads;
 * devices lock their own state. An access no device claims reads as
 * all-ones and is counted.
 *
 * Ranges may change while vCPUs run (a PCI BAR the guest moves or whose
 * decoding it turns off): a rwlock guards the table, taken for reading only
 * around the lookup, so a handler may itself register or unregister ranges
 * on the same bus (a config write through port 0xCFC that moves an I/O BAR).
 * The price: an access looked up just before io_bus_unregister() returns
 * may still reach the old handler once. The ops and opaque of a range must
 * therefore stay valid until the vCPUs are stopped, not merely until
 * unregistered; for a BAR move that is true anyway (same device). */
#ifndef SKIFF_BUS_IO_BUS_H
#define SKIFF_BUS_IO_BUS_H

#include <pthread.h>
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

/* Legacy devices take a handful; PCI adds up to 6 BARs for each of 31 slots. */
#define IO_BUS_MAX_RANGES 256

struct io_bus {
	pthread_rwlock_t lock; /* guards ranges and nranges */
	struct io_bus_range ranges[IO_BUS_MAX_RANGES]; /* sorted by base */
	unsigned int nranges;
	atomic_ulong unclaimed; /* accesses no device claimed */
};

/* Initialise an empty bus. 0 or -errno (from pthread_rwlock_init).
 * (A zero-filled bus, as older callers make with calloc, is also empty and
 * usable with glibc, whose PTHREAD_RWLOCK_INITIALIZER is all zeros.) */
int io_bus_init(struct io_bus *bus);
void io_bus_destroy(struct io_bus *bus);

/* Claim [base, base+len) for ops/opaque. -EEXIST if it overlaps a claimed
 * range, -ENOSPC when the bus is full, -EINVAL for len 0 or wrap-around.
 * Safe while other threads dispatch. */
int io_bus_register(struct io_bus *bus, uint64_t base, uint64_t len,
		    const struct io_bus_ops *ops, void *opaque);

/* Release the range registered as exactly [base, base+len). 0, or -ENOENT
 * when no such range is registered. Safe while other threads dispatch (see
 * the note at the top about accesses already looked up). */
int io_bus_unregister(struct io_bus *bus, uint64_t base, uint64_t len);

/* Dispatch one access. Returns 0 when a device claimed it, -ENOENT otherwise
 * (reads then return all-ones). An access straddling a range end is unclaimed. */
int io_bus_read(struct io_bus *bus, uint64_t addr, uint8_t *data, uint32_t len);
int io_bus_write(struct io_bus *bus, uint64_t addr, const uint8_t *data, uint32_t len);

#endif
