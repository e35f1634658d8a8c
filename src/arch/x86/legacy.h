/* legacy: the small PC devices a Linux guest touches besides the UART.
 *  - i8042: just enough of the keyboard controller for the reset line
 *    (command 0xFE pulses CPU reset, as Linux's "reboot=k" path uses);
 *  - rtc: an MC146818 CMOS clock reading the host's UTC time;
 *  - acpi_pm: the hardware-reduced ACPI sleep control/status and reset
 *    registers the FADT points at (ACPI 6.5, 4.8.3.7 and 4.8.3.6);
 *  - pvpanic: QEMU's panic notification port (docs/specs/pvpanic.rst).
 * Each is one io_bus_ops with its state; none blocks. */
#ifndef SKIFF_ARCH_X86_LEGACY_H
#define SKIFF_ARCH_X86_LEGACY_H

#include <pthread.h>
#include <stdint.h>

#include "arch/x86/platform.h"
#include "bus/io_bus.h"

#define I8042_PORT_SPAN   5     /* 0x60..0x64 */
#define ACPI_PM_PORT_SPAN 3     /* sleep control, sleep status, reset */
#define ACPI_PM_SLEEP_CTL 0
#define ACPI_PM_SLEEP_STS 1
#define ACPI_PM_RESET     2
#define ACPI_PM_RESET_VALUE 0x1

struct legacy_i8042 {
	struct platform_hooks hooks;
};
extern const struct io_bus_ops legacy_i8042_ops;

struct legacy_rtc {
	pthread_mutex_t lock;
	uint8_t index;
};
extern const struct io_bus_ops legacy_rtc_ops; /* 2 ports: index, data */

struct legacy_acpi_pm {
	struct platform_hooks hooks;
};
extern const struct io_bus_ops legacy_acpi_pm_ops;

struct legacy_pvpanic {
	struct platform_hooks hooks;
};
extern const struct io_bus_ops legacy_pvpanic_ops; /* 1 port */

/* Binary-coded decimal, as the RTC reports time by default. */
uint8_t legacy_rtc_bcd(unsigned int v);

#endif
