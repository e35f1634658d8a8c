#include "arch/x86/legacy.h"

#include <string.h>

#define I8042_STATUS_OFF 4     /* port 0x64 */
#define I8042_CMD_RESET  0xfe  /* pulse output line 0: CPU reset */

static void i8042_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
	(void)opaque;
	(void)off;
	/* Status 0: input and output buffers empty, so a driver waiting to send
	 * a command proceeds and one waiting for data gives up. */
	memset(data, 0, len);
}

static void i8042_write(void *opaque, uint64_t off, const uint8_t *data, uint32_t len)
{
	struct legacy_i8042 *k = opaque;

	(void)len;
	if (off == I8042_STATUS_OFF && data[0] == I8042_CMD_RESET)
		platform_raise(&k->hooks, PLATFORM_RESET);
}

const struct io_bus_ops legacy_i8042_ops = {
	.read = i8042_read,
	.write = i8042_write,
};
