/* cpuid: per-vCPU CPUID, derived from KVM_GET_SUPPORTED_CPUID (api.rst 4.46).
 * Sets the APIC ids and a one-socket topology of ncpus cores, one thread each,
 * and marks the hypervisor bit. The KVM paravirt leaves (0x40000000..) come
 * from KVM as they are. Pure: operates on a copy the caller owns. */
#ifndef SKIFF_ARCH_X86_CPUID_H
#define SKIFF_ARCH_X86_CPUID_H

#include <linux/kvm.h>

/* Adjust c in place for the vCPU with the given APIC id among ncpus. */
void cpuid_adjust(struct kvm_cpuid2 *c, unsigned int apic_id, unsigned int ncpus);

/* Offer the TSC-deadline LAPIC timer (CPUID.1:ECX[24]). KVM's in-kernel
 * LAPIC emulates it, but kernels before 6.14 leave the bit out of
 * KVM_GET_SUPPORTED_CPUID: api.rst says to check KVM_CAP_TSC_DEADLINE_TIMER
 * and set it, as QEMU and Firecracker do. Without it a Linux guest falls
 * back to the one-shot LAPIC timer, reprogrammed through TMICT. */
void cpuid_set_tsc_deadline(struct kvm_cpuid2 *c);

/* Copy a kvm_cpuid2 with its entries; NULL on allocation failure. */
struct kvm_cpuid2 *cpuid_dup(const struct kvm_cpuid2 *c);

#endif
