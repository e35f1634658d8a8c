/* layout: where skiff puts things in the guest's physical address space.
 * Low memory follows the PC conventions Linux expects (Documentation/arch/
 * x86/boot.rst, "Memory layout"); device memory lives in the 32-bit hole. */
#ifndef SKIFF_ARCH_X86_LAYOUT_H
#define SKIFF_ARCH_X86_LAYOUT_H

#define LAYOUT_GDT           0x500ULL     /* boot GDT, 4 entries */
#define LAYOUT_ZERO_PAGE     0x7000ULL    /* struct boot_params */
#define LAYOUT_PML4          0x9000ULL    /* identity page tables: PML4, */
#define LAYOUT_PDPT          0xa000ULL    /* one PDPT, */
#define LAYOUT_PD            0xb000ULL    /* four PDs of 2 MiB pages = 4 GiB */
#define LAYOUT_CMDLINE       0x20000ULL
#define LAYOUT_CMDLINE_MAX   0x10000ULL
#define LAYOUT_EBDA          0x9fc00ULL   /* end of usable conventional RAM */
#define LAYOUT_BIOS_START    0xe0000ULL   /* ACPI tables; reserved in e820 */
#define LAYOUT_BIOS_END      0x100000ULL
#define LAYOUT_KERNEL        0x100000ULL  /* protected-mode kernel, 1 MiB */

#define LAYOUT_HOLE_START    0xc0000000ULL /* 32-bit MMIO hole: 3 GiB..4 GiB */
#define LAYOUT_HOLE_END      0x100000000ULL
#define LAYOUT_IDENTITY_MAP  0xfffbc000ULL /* KVM_SET_IDENTITY_MAP_ADDR (VMX) */
#define LAYOUT_TSS           0xfffbd000ULL /* KVM_SET_TSS_ADDR, 3 pages */
#define LAYOUT_IOAPIC        0xfec00000ULL
/* PCI BARs are assigned from here, clear of the IOAPIC, LAPIC, TSS and
 * identity map at the top of the hole. */
#define LAYOUT_PCI_MMIO_START 0xc0000000ULL
#define LAYOUT_PCI_MMIO_END   0xfc000000ULL
#define LAYOUT_LAPIC         0xfee00000ULL

/* Port-I/O devices (arch/x86 legacy). */
#define LAYOUT_PORT_COM1     0x3f8
#define LAYOUT_IRQ_COM1      4
#define LAYOUT_PORT_I8042    0x60        /* data 0x60, command/status 0x64 */
#define LAYOUT_PORT_RTC      0x70        /* index 0x70, data 0x71 */
#define LAYOUT_PORT_PM       0x600       /* ACPI sleep ctl, sleep sts, reset */
#define LAYOUT_PORT_PVPANIC  0x505
#define LAYOUT_PORT_PCI_CONFIG 0xcf8     /* CONFIG_ADDRESS, CONFIG_DATA at 0xcfc */
#define LAYOUT_PCI_IO_START  0xc000      /* I/O BARs, as PC firmware places them */
#define LAYOUT_PCI_IO_END    0x10000

#endif
