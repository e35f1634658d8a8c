/* acpi: the ACPI tables of a skiff PC (x86-64), written into guest memory before boot.
 *
 * The guest sees a hardware-reduced ACPI platform (ACPI 6.5 section 4.1): no SCI, no PM1/GPE
 * blocks, no FACS. What a Linux guest takes from these tables:
 *   - the CPUs (one enabled Processor Local APIC per vCPU) and the I/O APIC, from the MADT;
 *   - power-off: Linux writes SLP_TYP=5 (from \_S5 in the DSDT) with SLP_EN to the FADT's
 *     SLEEP_CONTROL_REG, that is the byte (5 << 2) | (1 << 5) = 0x34, after writing
 *     WAK_STS (0x80) to SLEEP_STATUS_REG;
 *   - reboot: Linux writes reset_value to the FADT's RESET_REG, but only with reboot=acpi on
 *     its command line: on a hardware-reduced platform its default is EFI reboot, which without
 *     EFI falls back to a jump to the BIOS reset vector and so, in skiff, most likely a triple
 *     fault (KVM_EXIT_SHUTDOWN), which the VMM should treat as a reset as well;
 *   - the COM1 UART (I/O 0x3f8, 8 ports, ISA IRQ 4), as device \_SB.COM1 in the DSDT.
 * The device models behind those ports live elsewhere (arch/x86 legacy devices).
 *
 * The tables are, in this order, each 16-byte aligned, starting at gpa:
 * RSDP, XSDT (-> FADT, MADT), FADT (-> DSDT), DSDT, MADT. They need well under
 * ACPI_TABLES_MAX_LEN bytes for any valid config.
 */
#ifndef SKIFF_ARCH_X86_ACPI_H
#define SKIFF_ARCH_X86_ACPI_H

#include <stddef.h>
#include <stdint.h>

/* Upper bound of what acpi_build_tables() writes, for any valid config (64 CPUs take ~1.2 KiB). */
#define ACPI_TABLES_MAX_LEN 4096u

/* Most vCPUs the MADT describes. Their local APIC ids are 0..ncpus-1. */
#define ACPI_MAX_CPUS 64u

struct acpi_config {
	unsigned int ncpus;        /* 1..64; local APIC ids 0..ncpus-1 */
	uint64_t ioapic_gpa;       /* 0xfec00000 */
	uint8_t ioapic_id;         /* e.g. ncpus (must not clash with APIC ids) */
	uint16_t sleep_ctl_port;   /* FADT SLEEP_CONTROL_REG (I/O, 8 bit) */
	uint16_t sleep_sts_port;   /* FADT SLEEP_STATUS_REG (I/O, 8 bit) */
	uint16_t reset_port;       /* FADT RESET_REG (I/O, 8 bit) */
	uint8_t reset_value;
};

/* Write RSDP, XSDT, FADT, DSDT, MADT into buf, the host view of guest physical range [gpa, gpa+len).
 * gpa must be 16-byte aligned. Returns 0 and sets *rsdp_gpa; -ENOSPC if len is too small;
 * -EINVAL for a bad config (ncpus 0 or > 64, ioapic id clash).
 *
 * Also -EINVAL for: cfg or rsdp_gpa NULL, buf NULL with len > 0, gpa not 16-byte aligned,
 * gpa + len wrapping around, ioapic_gpa above 4 GiB (the MADT field is 32 bits), and any of
 * the three ports 0 (Linux would then not offer ACPI power-off or reset). The ports may coincide.
 * Config errors are reported before -ENOSPC; on either, buf is left untouched.
 * On success only [0, needed) of buf is written (padding between tables is zeroed) and
 * *rsdp_gpa == gpa; the caller hands it to the guest (boot_params.acpi_rsdp_addr), or places
 * the tables in 0xe0000..0xfffff where Linux also scans for the RSDP.
 * The caller owns buf and checks that [gpa, gpa+len) is guest RAM that it reserves (e820). */
int acpi_build_tables(void *buf, size_t len, uint64_t gpa, const struct acpi_config *cfg,
		      uint64_t *rsdp_gpa);

#endif
