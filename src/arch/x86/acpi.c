/* acpi: RSDP, XSDT, FADT, DSDT and MADT for a hardware-reduced skiff PC.
 *
 * Layouts follow the ACPI Specification 6.5 (section numbers below; 6.4 numbers them the same),
 * written from the specification: the kernel UAPI has no ACPI headers, so the packed structures
 * are defined here and their sizes pinned with static_assert. Every structure is filled on the
 * stack and copied into the guest buffer with memcpy, so the buffer needs no alignment.
 */
#include "arch/x86/acpi.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include "arch/x86/aml.h"
#include "arch/x86/layout.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "ACPI tables are little-endian; this file stores host integers as they are"
#endif

/* Identification written into every table header and the RSDP. */
#define OEM_ID		"SKIFF "	/* 6 bytes, no NUL */
#define OEM_TABLE_ID	"SKIFFVM "	/* 8 bytes */
#define OEM_REVISION	1u
#define CREATOR_ID	"SKIF"		/* 4 bytes */
#define CREATOR_REVISION 1u
#define HYPERVISOR_VENDOR_ID "SKIFF\0\0\0" /* 8 bytes, FADT 6.0+ */

/* The legacy devices the DSDT and MADT describe (fixed by the PC layout skiff emulates). */
#define COM1_PORT	LAYOUT_PORT_COM1
#define COM1_NPORTS	8u
#define COM1_IRQ	LAYOUT_IRQ_COM1
#define PVPANIC_PORT	LAYOUT_PORT_PVPANIC

#define LAPIC_GPA	0xfee00000u
#define TABLE_ALIGN	16u

/* ---- Structures ---------------------------------------------------------------------------- */

/* 5.2.5.3 Root System Description Pointer (RSDP) Structure, revision 2. */
struct rsdp {
	char signature[8];		/* "RSD PTR " */
	uint8_t checksum;		/* over the first 20 bytes (the ACPI 1.0 part) */
	char oem_id[6];
	uint8_t revision;		/* 2: ACPI 2.0+ with XSDT */
	uint32_t rsdt_address;		/* 0: no RSDT, only the XSDT */
	uint32_t length;		/* 36 */
	uint64_t xsdt_address;
	uint8_t extended_checksum;	/* over all 36 bytes */
	uint8_t reserved[3];
} __attribute__((packed));
static_assert(sizeof(struct rsdp) == 36, "RSDP is 36 bytes (5.2.5.3)");
#define RSDP_V1_LEN 20u

/* 5.2.6 System Description Table Header. */
struct sdt_header {
	char signature[4];
	uint32_t length;		/* of the whole table, header included */
	uint8_t revision;
	uint8_t checksum;		/* all bytes of the table sum to 0 */
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	char creator_id[4];
	uint32_t creator_revision;
} __attribute__((packed));
static_assert(sizeof(struct sdt_header) == 36, "SDT header is 36 bytes (5.2.6)");
#define SDT_CHECKSUM_OFFSET 9u

/* 5.2.3.2 Generic Address Structure (GAS). */
struct gas {
	uint8_t space_id;		/* GAS_SPACE_* */
	uint8_t bit_width;
	uint8_t bit_offset;
	uint8_t access_size;		/* GAS_ACCESS_* */
	uint64_t address;
} __attribute__((packed));
static_assert(sizeof(struct gas) == 12, "GAS is 12 bytes (5.2.3.2)");
#define GAS_SPACE_SYSTEM_IO	1u
#define GAS_ACCESS_BYTE		1u

/* 5.2.9 Fixed ACPI Description Table (FADT), revision 6 (major 6, minor 5 in ACPI 6.5). */
struct fadt {
	struct sdt_header h;		/* "FACP" */
	uint32_t firmware_ctrl;		/* FACS; none on hardware-reduced */
	uint32_t dsdt;			/* 0: X_DSDT is used */
	uint8_t reserved0;
	uint8_t preferred_pm_profile;
	uint16_t sci_int;
	uint32_t smi_cmd;
	uint8_t acpi_enable;
	uint8_t acpi_disable;
	uint8_t s4bios_req;
	uint8_t pstate_cnt;
	uint32_t pm1a_evt_blk;
	uint32_t pm1b_evt_blk;
	uint32_t pm1a_cnt_blk;
	uint32_t pm1b_cnt_blk;
	uint32_t pm2_cnt_blk;
	uint32_t pm_tmr_blk;
	uint32_t gpe0_blk;
	uint32_t gpe1_blk;
	uint8_t pm1_evt_len;
	uint8_t pm1_cnt_len;
	uint8_t pm2_cnt_len;
	uint8_t pm_tmr_len;
	uint8_t gpe0_blk_len;
	uint8_t gpe1_blk_len;
	uint8_t gpe1_base;
	uint8_t cst_cnt;
	uint16_t p_lvl2_lat;
	uint16_t p_lvl3_lat;
	uint16_t flush_size;
	uint16_t flush_stride;
	uint8_t duty_offset;
	uint8_t duty_width;
	uint8_t day_alrm;
	uint8_t mon_alrm;
	uint8_t century;
	uint16_t iapc_boot_arch;	/* 5.2.9.3 IA-PC Boot Architecture Flags */
	uint8_t reserved1;
	uint32_t flags;			/* 5.2.9 Table 5.10 Fixed ACPI Description Table Fixed Feature Flags */
	struct gas reset_reg;
	uint8_t reset_value;
	uint16_t arm_boot_arch;
	uint8_t minor_version;
	uint64_t x_firmware_ctrl;
	uint64_t x_dsdt;
	struct gas x_pm1a_evt_blk;
	struct gas x_pm1b_evt_blk;
	struct gas x_pm1a_cnt_blk;
	struct gas x_pm1b_cnt_blk;
	struct gas x_pm2_cnt_blk;
	struct gas x_pm_tmr_blk;
	struct gas x_gpe0_blk;
	struct gas x_gpe1_blk;
	struct gas sleep_control_reg;
	struct gas sleep_status_reg;
	char hypervisor_vendor_id[8];
} __attribute__((packed));
static_assert(sizeof(struct fadt) == 276, "FADT revision 6 is 276 bytes (5.2.9)");
static_assert(offsetof(struct fadt, flags) == 112, "FADT Flags at 112");
static_assert(offsetof(struct fadt, reset_reg) == 116, "FADT RESET_REG at 116");
static_assert(offsetof(struct fadt, x_dsdt) == 140, "FADT X_DSDT at 140");
static_assert(offsetof(struct fadt, sleep_control_reg) == 244, "FADT SLEEP_CONTROL_REG at 244");
static_assert(offsetof(struct fadt, hypervisor_vendor_id) == 268, "FADT vendor id at 268");

#define FADT_REVISION		6u
#define FADT_MINOR_VERSION	5u
/* Fixed feature flags (5.2.9, Table 5.10). */
#define FADT_F_PWR_BUTTON	(1u << 4)	/* power button is not a fixed feature */
#define FADT_F_SLP_BUTTON	(1u << 5)	/* sleep button is not a fixed feature */
#define FADT_F_RESET_REG_SUP	(1u << 10)
#define FADT_F_HW_REDUCED_ACPI	(1u << 20)
/* IA-PC boot architecture flags (5.2.9.3, Table 5.11). */
#define IAPC_BOOT_VGA_NOT_PRESENT	(1u << 2)
#define IAPC_BOOT_MSI_NOT_SUPPORTED	(1u << 3)	/* never set: virtio-pci needs MSI-X */
#define IAPC_BOOT_PCIE_ASPM_CONTROLS	(1u << 4)

/* 5.2.12 Multiple APIC Description Table (MADT). */
struct madt {
	struct sdt_header h;		/* "APIC" */
	uint32_t local_apic_address;
	uint32_t flags;			/* bit 0 PCAT_COMPAT: 0, there is no 8259 pair */
} __attribute__((packed));
static_assert(sizeof(struct madt) == 44, "MADT header is 44 bytes (5.2.12)");
#define MADT_REVISION 5u

/* 5.2.12.2 Processor Local APIC Structure. */
struct madt_lapic {
	uint8_t type;			/* 0 */
	uint8_t length;			/* 8 */
	uint8_t acpi_processor_uid;
	uint8_t apic_id;
	uint32_t flags;			/* bit 0 Enabled */
} __attribute__((packed));
static_assert(sizeof(struct madt_lapic) == 8, "Processor Local APIC is 8 bytes (5.2.12.2)");
#define MADT_TYPE_LAPIC		0u
#define MADT_LAPIC_ENABLED	1u

/* 5.2.12.3 I/O APIC Structure. */
struct madt_ioapic {
	uint8_t type;			/* 1 */
	uint8_t length;			/* 12 */
	uint8_t ioapic_id;
	uint8_t reserved;
	uint32_t ioapic_address;
	uint32_t gsi_base;
} __attribute__((packed));
static_assert(sizeof(struct madt_ioapic) == 12, "I/O APIC is 12 bytes (5.2.12.3)");
#define MADT_TYPE_IOAPIC	1u

/* 5.2.12.5 Interrupt Source Override Structure. */
struct madt_iso {
	uint8_t type;			/* 2 */
	uint8_t length;			/* 10 */
	uint8_t bus;			/* 0: ISA */
	uint8_t source;			/* ISA IRQ */
	uint32_t gsi;
	uint16_t flags;			/* MPS INTI flags; 0: conforms to the bus (ISA: edge, high) */
} __attribute__((packed));
static_assert(sizeof(struct madt_iso) == 10, "Interrupt Source Override is 10 bytes (5.2.12.5)");
#define MADT_TYPE_ISO		2u

/* ---- Checksums and headers ------------------------------------------------------------------- */

/* The byte that makes p[0..n) sum to 0 mod 256 when stored in a byte that is 0 now. */
static uint8_t checksum_of(const uint8_t *p, size_t n)
{
	uint8_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum = (uint8_t)(sum + p[i]);
	return (uint8_t)(0u - sum);
}

static void sdt_header_init(struct sdt_header *h, const char sig[4], uint32_t length,
			    uint8_t revision)
{
	memset(h, 0, sizeof(*h));
	memcpy(h->signature, sig, sizeof(h->signature));
	h->length = length;
	h->revision = revision;
	memcpy(h->oem_id, OEM_ID, sizeof(h->oem_id));
	memcpy(h->oem_table_id, OEM_TABLE_ID, sizeof(h->oem_table_id));
	h->oem_revision = OEM_REVISION;
	memcpy(h->creator_id, CREATOR_ID, sizeof(h->creator_id));
	h->creator_revision = CREATOR_REVISION;
}

/* Set the checksum of the table at t, whose header already says its length and whose
 * checksum byte is still 0. */
static void sdt_finish(uint8_t *t, size_t length)
{
	t[SDT_CHECKSUM_OFFSET] = checksum_of(t, length);
}


/* The DSDT's definition block (5.2.11.1), without the table header:
 *
 *   Name (_S5, Package (4) { 5, 0, 0, 0 })
 *   Device (\_SB.COM1) {
 *       Name (_HID, EisaId ("PNP0501"))
 *       Name (_UID, Zero)
 *       Name (_CRS, ResourceTemplate () { IO (Decode16, 0x3F8, 0x3F8, 1, 8) IRQNoFlags () {4} })
 *   }
 *   Device (\_SB.PCI0) {
 *       Name (_HID, EisaId ("PNP0A03")), _UID 0, _SEG 0, _BBN 0
 *       Name (_CRS, bus 0, IO 0xCF8-0xCFF, IO windows 0-0xCF7 and 0xD00-0xFFFF,
 *                   memory window LAYOUT_PCI_MMIO_START..END)
 *   }
 *   Device (\_SB.PEVT) {
 *       Name (_HID, "QEMU0001")
 *       Name (_CRS, ResourceTemplate () { IO (Decode16, 0x505, 0x505, 1, 1) })
 *   }
 *
 * PEVT is QEMU's pvpanic device (QEMU docs/specs/pvpanic.rst), which Linux's pvpanic-mmio
 * driver binds by that _HID: a panicking guest writes to the port, and skiff exits with the
 * "guest panicked" status instead of seeing the reboot that panic=-1 then does.
 *
 * \_S5 (7.4.2 \_Sx System States): SLP_TYPa, SLP_TYPb, reserved, reserved. On a hardware-reduced
 * platform OSPM writes SLP_TYPa into bits 4:2 of SLEEP_CONTROL_REG with SLP_EN (bit 5)
 * (4.8.3.7 Sleep Control and Status Registers), so 5 gives the byte 0x34 skiff's device
 * decodes as "power off". Only S5 is offered: no S1-S4.
 */
static void dsdt_aml(struct aml *a)
{
	static const uint64_t s5[4] = { 5, 0, 0, 0 };
	size_t dev;

	aml_name(a, "_S5_");
	aml_package_of_integers(a, s5, 4);

	dev = aml_device_begin(a, "\\_SB_.COM1");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0501");
	aml_name(a, "_UID");
	aml_integer(a, 0);
	aml_name(a, "_CRS");
	aml_crs_io_irq(a, COM1_PORT, COM1_NPORTS, COM1_IRQ);
	aml_device_end(a, dev);

	dev = aml_device_begin(a, "\\_SB_.PCI0");
	aml_name(a, "_HID");
	aml_eisaid(a, "PNP0A03");
	aml_name(a, "_UID");
	aml_integer(a, 0);
	aml_name(a, "_SEG");
	aml_integer(a, 0);
	aml_name(a, "_BBN");
	aml_integer(a, 0);
	aml_name(a, "_CRS");
	aml_crs_pci_root(a);
	aml_device_end(a, dev);

	dev = aml_device_begin(a, "\\_SB_.PEVT");
	aml_name(a, "_HID");
	aml_string(a, "QEMU0001");
	aml_name(a, "_CRS");
	aml_crs_io(a, PVPANIC_PORT, 1);
	aml_device_end(a, dev);
}

/* ---- Tables -------------------------------------------------------------------------------- */

struct layout {
	size_t xsdt, fadt, dsdt, madt, total;
	size_t xsdt_len, dsdt_len, madt_len;
};

static size_t align_up(size_t v)
{
	return (v + TABLE_ALIGN - 1) & ~(size_t)(TABLE_ALIGN - 1);
}

#define XSDT_ENTRIES 2u		/* FADT, MADT; the DSDT hangs off the FADT */

static void layout_tables(const struct acpi_config *cfg, size_t dsdt_aml_len, struct layout *l)
{
	l->xsdt_len = sizeof(struct sdt_header) + XSDT_ENTRIES * sizeof(uint64_t);
	l->dsdt_len = sizeof(struct sdt_header) + dsdt_aml_len;
	l->madt_len = sizeof(struct madt) + cfg->ncpus * sizeof(struct madt_lapic) +
		      sizeof(struct madt_ioapic) + sizeof(struct madt_iso);

	l->xsdt = align_up(sizeof(struct rsdp));
	l->fadt = align_up(l->xsdt + l->xsdt_len);
	l->dsdt = align_up(l->fadt + sizeof(struct fadt));
	l->madt = align_up(l->dsdt + l->dsdt_len);
	l->total = l->madt + l->madt_len;
}

/* 5.2.5 Root System Description Pointer: revision 2, pointing at the XSDT only. */
static void write_rsdp(uint8_t *b, uint64_t xsdt_gpa)
{
	struct rsdp r;

	memset(&r, 0, sizeof(r));
	memcpy(r.signature, "RSD PTR ", sizeof(r.signature));
	memcpy(r.oem_id, OEM_ID, sizeof(r.oem_id));
	r.revision = 2;
	r.length = sizeof(r);
	r.xsdt_address = xsdt_gpa;
	r.checksum = checksum_of((const uint8_t *)&r, RSDP_V1_LEN);
	r.extended_checksum = checksum_of((const uint8_t *)&r, sizeof(r));
	memcpy(b, &r, sizeof(r));
}

/* 5.2.8 Extended System Description Table (XSDT): 64-bit pointers to the other tables. */
static void write_xsdt(uint8_t *t, size_t len, const uint64_t *entries, size_t n)
{
	struct sdt_header h;

	sdt_header_init(&h, "XSDT", (uint32_t)len, 1);
	memcpy(t, &h, sizeof(h));
	memcpy(t + sizeof(h), entries, n * sizeof(*entries));
	sdt_finish(t, len);
}

static struct gas gas_io8(uint16_t port)
{
	struct gas g = {
		.space_id = GAS_SPACE_SYSTEM_IO,
		.bit_width = 8,
		.bit_offset = 0,
		.access_size = GAS_ACCESS_BYTE,
		.address = port,
	};

	return g;
}

/* 5.2.9 FADT for a hardware-reduced platform (4.1): everything about PM1/PM2/GPE blocks, SCI,
 * SMI and the PM timer stays 0; FACS is absent (both FIRMWARE_CTRL fields 0, allowed when
 * HW_REDUCED_ACPI is set). Power-off and reset go through the three I/O registers.
 *
 * Flags, as Firecracker and Cloud Hypervisor set them: HW_REDUCED_ACPI; PWR_BUTTON and
 * SLP_BUTTON, which say "no fixed-feature button" (a hardware-reduced platform has none);
 * RESET_REG_SUP so Linux can reboot through RESET_REG (it does so with reboot=acpi). Cloud Hypervisor also sets TMR_VAL_EXT,
 * which describes a PM timer we do not have, so skiff leaves it clear.
 *
 * IAPC_BOOT_ARCH (5.2.9.3): VGA not present (Linux then skips VGA probing) and PCIe ASPM
 * controls (OSPM must not touch ASPM; there is none to manage), as Firecracker sets them.
 * Unlike Firecracker, MSI_NOT_SUPPORTED stays clear: skiff's virtio-pci devices use MSI-X.
 * 8042 stays clear too, so Linux does not probe for a keyboard controller (reboot goes through
 * RESET_REG instead), and CMOS_RTC_NOT_PRESENT stays clear because skiff emulates the RTC. */
static void write_fadt(uint8_t *t, const struct acpi_config *cfg, uint64_t dsdt_gpa)
{
	struct fadt f;

	memset(&f, 0, sizeof(f));
	sdt_header_init(&f.h, "FACP", sizeof(f), FADT_REVISION);
	f.iapc_boot_arch = IAPC_BOOT_VGA_NOT_PRESENT | IAPC_BOOT_PCIE_ASPM_CONTROLS;
	f.flags = FADT_F_HW_REDUCED_ACPI | FADT_F_RESET_REG_SUP | FADT_F_PWR_BUTTON |
		  FADT_F_SLP_BUTTON;
	f.reset_reg = gas_io8(cfg->reset_port);
	f.reset_value = cfg->reset_value;
	f.minor_version = FADT_MINOR_VERSION;
	f.x_dsdt = dsdt_gpa;
	f.sleep_control_reg = gas_io8(cfg->sleep_ctl_port);
	f.sleep_status_reg = gas_io8(cfg->sleep_sts_port);
	memcpy(f.hypervisor_vendor_id, HYPERVISOR_VENDOR_ID, sizeof(f.hypervisor_vendor_id));
	memcpy(t, &f, sizeof(f));
	sdt_finish(t, sizeof(f));
}

/* 5.2.11.1 Differentiated System Description Table (DSDT), revision 2: integers are 64 bits. */
static int write_dsdt(uint8_t *t, size_t len)
{
	struct sdt_header h;
	struct aml a = {
		.p = t + sizeof(h),
		.cap = len - sizeof(h),
	};

	dsdt_aml(&a);
	if (a.err || a.len != a.cap)
		return -EINVAL;		/* the sizing pass and this one disagree: our bug */
	sdt_header_init(&h, "DSDT", (uint32_t)len, 2);
	memcpy(t, &h, sizeof(h));
	sdt_finish(t, len);
	return 0;
}

/* 5.2.12 MADT: one enabled Processor Local APIC per vCPU (ACPI processor UID = APIC id = index),
 * then the I/O APIC with GSI base 0, then one Interrupt Source Override.
 *
 * Interrupt source overrides: the MADT says ISA IRQ n is GSI n unless overridden. KVM's in-kernel
 * IOAPIC with its default GSI routing (kvm_setup_default_irq_routing) wires GSI n to IOAPIC pin n,
 * including the in-kernel PIT on IRQ0 -> pin 0, so the classic IRQ0 -> GSI2 override that QEMU
 * emits (QEMU's own routing table sends GSI 0 to pin 2) would be wrong here; Firecracker and Cloud
 * Hypervisor emit none for IRQ0. (If skiff ever replaces the routing table with
 * KVM_SET_GSI_ROUTING, for MSI, it must keep GSI n -> pin n for n < 24.) Linux in hardware-reduced
 * mode does not use the PIT anyway: it installs the null legacy PIC and skips timer_init.
 * That null PIC is also why the one override exists: with nr_legacy_irqs() == 0, Linux sets up no
 * identity mappings for ISA IRQs 0-15, so the 8250 driver's fixed IRQ 4 would have no IOAPIC pin.
 * An identity override IRQ4 -> GSI4 (flags 0: conforms to ISA, edge, active high) gives it one;
 * Cloud Hypervisor emits the same entry for its COM1. */
static void write_madt(uint8_t *t, size_t len, const struct acpi_config *cfg)
{
	struct madt m;
	struct madt_ioapic io = {
		.type = MADT_TYPE_IOAPIC,
		.length = sizeof(io),
		.ioapic_id = cfg->ioapic_id,
		.ioapic_address = (uint32_t)cfg->ioapic_gpa,
		.gsi_base = 0,
	};
	struct madt_iso iso = {
		.type = MADT_TYPE_ISO,
		.length = sizeof(iso),
		.bus = 0,
		.source = COM1_IRQ,
		.gsi = COM1_IRQ,
		.flags = 0,
	};
	size_t off = sizeof(m);

	memset(&m, 0, sizeof(m));
	sdt_header_init(&m.h, "APIC", (uint32_t)len, MADT_REVISION);
	m.local_apic_address = LAPIC_GPA;
	m.flags = 0;
	memcpy(t, &m, sizeof(m));
	for (unsigned int i = 0; i < cfg->ncpus; i++) {
		struct madt_lapic l = {
			.type = MADT_TYPE_LAPIC,
			.length = sizeof(l),
			.acpi_processor_uid = (uint8_t)i,
			.apic_id = (uint8_t)i,
			.flags = MADT_LAPIC_ENABLED,
		};

		memcpy(t + off, &l, sizeof(l));
		off += sizeof(l);
	}
	memcpy(t + off, &io, sizeof(io));
	off += sizeof(io);
	memcpy(t + off, &iso, sizeof(iso));
	sdt_finish(t, len);
}

static int check_config(const struct acpi_config *cfg)
{
	if (cfg->ncpus == 0 || cfg->ncpus > ACPI_MAX_CPUS)
		return -EINVAL;
	if (cfg->ioapic_id < cfg->ncpus)	/* APIC ids share one space with local APIC ids */
		return -EINVAL;
	if (cfg->ioapic_gpa > UINT32_MAX)
		return -EINVAL;
	/* Linux registers ACPI power-off only if both sleep registers have a non-zero address
	 * (acpi_sleep_state_supported() on hardware-reduced platforms), and ACPICA treats a zero
	 * RESET_REG address as "no reset register": port 0 would silently lose both. */
	if (!cfg->sleep_ctl_port || !cfg->sleep_sts_port || !cfg->reset_port)
		return -EINVAL;
	return 0;
}

int acpi_build_tables(void *buf, size_t len, uint64_t gpa, const struct acpi_config *cfg,
		      uint64_t *rsdp_gpa)
{
	struct aml sizing = { 0 };
	struct layout l;
	uint64_t entries[XSDT_ENTRIES];
	uint8_t *b = buf;
	int err;

	if (!cfg || !rsdp_gpa || (!buf && len > 0))
		return -EINVAL;
	if (gpa % TABLE_ALIGN != 0 || len > UINT64_MAX - gpa)
		return -EINVAL;
	err = check_config(cfg);
	if (err)
		return err;

	dsdt_aml(&sizing);
	if (sizing.err)
		return -EINVAL;
	layout_tables(cfg, sizing.len, &l);
	if (l.total > len)
		return -ENOSPC;

	memset(b, 0, l.total);
	err = write_dsdt(b + l.dsdt, l.dsdt_len);
	if (err)
		return err;
	write_fadt(b + l.fadt, cfg, gpa + l.dsdt);
	write_madt(b + l.madt, l.madt_len, cfg);
	entries[0] = gpa + l.fadt;
	entries[1] = gpa + l.madt;
	write_xsdt(b + l.xsdt, l.xsdt_len, entries, XSDT_ENTRIES);
	write_rsdp(b, gpa + l.xsdt);
	*rsdp_gpa = gpa;
	return 0;
}
