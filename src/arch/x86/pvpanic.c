#include "arch/x86/legacy.h"

#include <string.h>

/* QEMU docs/specs/pvpanic.rst: reading returns the supported events, the
 * guest writes bit 0 on panic and bit 1 on crash-dump load. */
#define PVPANIC_PANICKED    (1u << 0)
#define PVPANIC_CRASH_LOADED (1u << 1)

static void pvpanic_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
	(void)opaque;
	(void)off;
	memset(data, 0, len);
	data[0] = PVPANIC_PANICKED | PVPANIC_CRASH_LOADED;
}

static void pvpanic_write(void *opaque, uint64_t off, const uint8_t *data, uint32_t len)
{
	struct legacy_pvpanic *p = opaque;

	(void)off;
	(void)len;
	if (data[0] & (PVPANIC_PANICKED | PVPANIC_CRASH_LOADED))
		platform_raise(&p->hooks, PLATFORM_PANIC);
}

const struct io_bus_ops legacy_pvpanic_ops = {
	.read = pvpanic_read,
	.write = pvpanic_write,
};
