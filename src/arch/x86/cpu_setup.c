#include "arch/x86/cpu_setup.h"

#include <errno.h>
#include <string.h>

#include "arch/x86/layout.h"

#define X86_CR0_PE   (1ULL << 0)
#define X86_CR0_ET   (1ULL << 4)
#define X86_CR0_NE   (1ULL << 5)
#define X86_CR0_PG   (1ULL << 31)
#define X86_CR4_PAE  (1ULL << 5)
#define EFER_LME     (1ULL << 8)
#define EFER_LMA     (1ULL << 10)

#define PTE_PRESENT  (1ULL << 0)
#define PTE_RW       (1ULL << 1)
#define PTE_PS       (1ULL << 7)

/* SDM vol. 4 table 2-2 "IA32_MISC_ENABLE": fast strings bit 0, BTS and
 * PEBS unavailable bits 11 and 12; vol. 3A 12.11.2.1 "IA32_MTRR_DEF_TYPE
 * MSR": type in bits 7:0 (6 = WB), E (MTRRs on) bit 11. */
#define MSR_IA32_MISC_ENABLE        0x1a0
#define MISC_ENABLE_FAST_STRING     (1ULL << 0)
#define MISC_ENABLE_BTS_UNAVAIL     (1ULL << 11)
#define MISC_ENABLE_PEBS_UNAVAIL    (1ULL << 12)
#define MSR_IA32_MTRR_DEF_TYPE      0x2ff
#define MTRR_DEF_TYPE_E             (1ULL << 11)
#define MTRR_TYPE_WB                6ULL

/* boot.rst: __BOOT_CS is selector 0x10, __BOOT_DS 0x18. */
#define GDT_CODE_SEL 0x10
#define GDT_DATA_SEL 0x18

/* A flat descriptor: base 0, limit 4 GiB (granularity 4 KiB). flags holds the
 * access byte (bits 0-7) and the G/DB/L nibble (bits 12-15), as in the SDM
 * vol. 3A 3.4.5 "Segment Descriptors". */
static uint64_t gdt_entry(uint16_t flags)
{
	uint64_t limit = 0xfffff;

	return ((uint64_t)(flags & 0xf0ff) << 40) | ((limit & 0xf0000) << 32) | (limit & 0xffff);
}

int cpu_setup_boot_tables(const struct guest_mem *mem)
{
	const uint64_t gdt[4] = {
		0, 0,
		gdt_entry(0xa09b), /* 64-bit code: G, L, present, exec/read, accessed */
		gdt_entry(0xc093), /* data: G, DB, present, read/write, accessed */
	};
	uint64_t *pml4 = guest_mem_ptr(mem, LAYOUT_PML4, 4096);
	uint64_t *pdpt = guest_mem_ptr(mem, LAYOUT_PDPT, 4096);
	uint64_t *pd = guest_mem_ptr(mem, LAYOUT_PD, 4 * 4096);

	if (!pml4 || !pdpt || !pd || guest_mem_write(mem, LAYOUT_GDT, gdt, sizeof(gdt)) < 0)
		return -EFAULT;
	memset(pml4, 0, 4096);
	memset(pdpt, 0, 4096);
	pml4[0] = LAYOUT_PDPT | PTE_PRESENT | PTE_RW;
	for (uint64_t i = 0; i < 4; i++)
		pdpt[i] = (LAYOUT_PD + i * 4096) | PTE_PRESENT | PTE_RW;
	/* 2048 2-MiB pages: the identity map of the first 4 GiB. */
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | PTE_PRESENT | PTE_RW | PTE_PS;
	return 0;
}

static void flat_segment(struct kvm_segment *s, uint16_t selector, int code)
{
	*s = (struct kvm_segment){
		.base = 0,
		.limit = 0xffffffff,
		.selector = selector,
		.type = code ? 0xb : 0x3, /* execute/read accessed; read/write accessed */
		.present = 1,
		.dpl = 0,
		.db = code ? 0 : 1,
		.s = 1,
		.l = code ? 1 : 0,
		.g = 1,
	};
}

void cpu_setup_long_mode(struct kvm_sregs *sregs, struct kvm_regs *regs,
			 uint64_t rip, uint64_t zero_page)
{
	flat_segment(&sregs->cs, GDT_CODE_SEL, 1);
	flat_segment(&sregs->ds, GDT_DATA_SEL, 0);
	sregs->es = sregs->fs = sregs->gs = sregs->ss = sregs->ds;
	sregs->gdt.base = LAYOUT_GDT;
	sregs->gdt.limit = 4 * 8 - 1;
	sregs->cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG;
	sregs->cr3 = LAYOUT_PML4;
	sregs->cr4 = X86_CR4_PAE;
	sregs->efer = EFER_LME | EFER_LMA;

	memset(regs, 0, sizeof(*regs));
	regs->rflags = 0x2; /* bit 1 is reserved as one; IF clear */
	regs->rip = rip;
	regs->rsi = zero_page;
}

void cpu_setup_boot_msrs(struct kvm_msr_entry e[CPU_SETUP_BOOT_MSRS])
{
	memset(e, 0, CPU_SETUP_BOOT_MSRS * sizeof(e[0]));
	/* KVM resets IA32_MISC_ENABLE to BTS and PEBS unavailable, without
	 * fast strings (x86.c, kvm_vcpu_reset); Linux on Intel then turns off
	 * REP_GOOD and ERMS ("Disabled fast string operations", cpu/intel.c),
	 * so its memcpy and memset leave rep movsb/stosb for slower loops.
	 * KVM's value plus fast strings. */
	e[0].index = MSR_IA32_MISC_ENABLE;
	e[0].data = MISC_ENABLE_FAST_STRING | MISC_ENABLE_BTS_UNAVAIL | MISC_ENABLE_PEBS_UNAVAIL;
	/* With E clear all memory is UC (SDM 12.11.2.1) and Linux skips PAT
	 * set-up ("x86/PAT: MTRRs disabled"), leaving no write-combining.
	 * Default WB and no ranges: MMIO gets UC- from the guest's PAT. */
	e[1].index = MSR_IA32_MTRR_DEF_TYPE;
	e[1].data = MTRR_DEF_TYPE_E | MTRR_TYPE_WB;
}
