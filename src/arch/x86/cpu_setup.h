/* cpu_setup: the boot vCPU's state for the Linux 64-bit boot protocol
 * (Documentation/arch/x86/boot.rst, "64-bit Boot Protocol"): long mode,
 * identity-mapped page tables covering the first 4 GiB, flat __BOOT_CS/__BOOT_DS
 * segments, interrupts off, RSI pointing at the zero page. */
#ifndef SKIFF_ARCH_X86_CPU_SETUP_H
#define SKIFF_ARCH_X86_CPU_SETUP_H

#include <stdint.h>
#include <linux/kvm.h>

#include "mem/guest_mem.h"

/* The MSRs every vCPU starts with, as PC firmware leaves them for Linux
 * (KVM's reset values differ): fast string operations on in
 * IA32_MISC_ENABLE, and MTRRs on with write-back as the default type.
 * Fills e[0..CPU_SETUP_BOOT_MSRS-1]. Pure: no ioctl. */
#define CPU_SETUP_BOOT_MSRS 2
void cpu_setup_boot_msrs(struct kvm_msr_entry e[CPU_SETUP_BOOT_MSRS]);

/* Write the boot GDT and identity page tables into guest memory
 * (LAYOUT_GDT, LAYOUT_PML4..). 0 or -EFAULT when RAM is too small. */
int cpu_setup_boot_tables(const struct guest_mem *mem);

/* Fill sregs (taking the vCPU's current sregs as the base) and regs for a
 * 64-bit entry at rip with the zero page at zero_page. Pure: no ioctl. */
void cpu_setup_long_mode(struct kvm_sregs *sregs, struct kvm_regs *regs,
			 uint64_t rip, uint64_t zero_page);

#endif
