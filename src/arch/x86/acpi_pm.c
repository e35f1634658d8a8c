#include "arch/x86/legacy.h"

#include <string.h>

/* ACPI 6.5, 4.8.3.7 "Sleep Control and Status Registers": SLP_TYPx in bits
 * 2-4 and SLP_EN in bit 5. The DSDT's \_S5 package gives S5 the type 5. */
#define SLP_TYP_SHIFT 2
#define SLP_TYP_MASK  0x7
#define SLP_EN        (1u << 5)
#define SLP_TYP_S5    5

static void acpi_pm_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
	(void)opaque;
	(void)off;
	/* Sleep status: WAK_STS never set, since a sleeping guest never wakes. */
	memset(data, 0, len);
}

static void acpi_pm_write(void *opaque, uint64_t off, const uint8_t *data, uint32_t len)
{
	struct legacy_acpi_pm *pm = opaque;
	uint8_t v = data[0];

	(void)len;
	if (off == ACPI_PM_SLEEP_CTL && (v & SLP_EN) &&
	    ((v >> SLP_TYP_SHIFT) & SLP_TYP_MASK) == SLP_TYP_S5)
		platform_raise(&pm->hooks, PLATFORM_POWEROFF);
	else if (off == ACPI_PM_RESET && v == ACPI_PM_RESET_VALUE)
		platform_raise(&pm->hooks, PLATFORM_RESET);
}

const struct io_bus_ops legacy_acpi_pm_ops = {
	.read = acpi_pm_read,
	.write = acpi_pm_write,
};
