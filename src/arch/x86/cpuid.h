/* cpuid: per-vCPU CPUID, derived from KVM_GET_SUPPORTED_CPUID (api.rst 4.46).
 * Sets the APIC ids and a one-socket topology of ncpus cores, one thread each,
 * and marks the hypervisor bit. The KVM paravirt leaves (0x40000000..) come
 * from KVM as they are. Pure: operates on a copy the caller owns. */
#ifndef SKIFF_ARCH_X86_CPUID_H
#define SKIFF_ARCH_X86_CPUID_H

#include <linux/kvm.h>

/* Adjust c in place for the vCPU with the given APIC id among ncpus. */
void cpuid_adjust(struct kvm_cpuid2 *c, unsigned int apic_id, unsigned int ncpus);

/* Copy a kvm_cpuid2 with its entries; NULL on allocation failure. */
struct kvm_cpuid2 *cpuid_dup(const struct kvm_cpuid2 *c);

#endif
