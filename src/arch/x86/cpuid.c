#include "arch/x86/cpuid.h"

#include <stdlib.h>
#include <string.h>

/* Bits and fields cited from the Intel SDM vol. 2A "CPUID" and AMD APM vol. 3
 * appendix E. */
#define CPUID1_ECX_TSC_DEADLINE (1u << 24)
#define CPUID1_ECX_HYPERVISOR (1u << 31)
#define CPUID1_EDX_HTT        (1u << 28)
#define LEVEL_TYPE_SMT        1u
#define LEVEL_TYPE_CORE       2u

static unsigned int order_base_2(unsigned int n)
{
	unsigned int s = 0;

	while ((1u << s) < n)
		s++;
	return s;
}

/* Leaves 0xB and 0x1F: extended topology, SMT level then core level. */
static void set_ext_topology(struct kvm_cpuid_entry2 *e, unsigned int apic_id,
			     unsigned int ncpus)
{
	e->edx = apic_id;
	switch (e->index) {
	case 0:
		e->eax = 0;
		e->ebx = 1;
		e->ecx = (LEVEL_TYPE_SMT << 8) | e->index;
		break;
	case 1:
		e->eax = order_base_2(ncpus);
		e->ebx = ncpus;
		e->ecx = (LEVEL_TYPE_CORE << 8) | e->index;
		break;
	default:
		e->eax = e->ebx = 0;
		e->ecx = e->index; /* level type 0: no more levels */
		break;
	}
}

void cpuid_adjust(struct kvm_cpuid2 *c, unsigned int apic_id, unsigned int ncpus)
{
	for (unsigned int i = 0; i < c->nent; i++) {
		struct kvm_cpuid_entry2 *e = &c->entries[i];

		switch (e->function) {
		case 1:
			/* EBX[31:24] initial APIC id, [23:16] logical processors. */
			e->ebx = (e->ebx & 0xffff) | (apic_id << 24) | ((ncpus & 0xff) << 16);
			e->ecx |= CPUID1_ECX_HYPERVISOR;
			if (ncpus > 1)
				e->edx |= CPUID1_EDX_HTT;
			else
				e->edx &= ~CPUID1_EDX_HTT;
			break;
		case 4:
			/* EAX[31:26] cores per package - 1; [25:14] threads sharing
			 * this cache - 1: private L1/L2, the L3 shared by all. */
			if ((e->eax & 0x1f) == 0)
				break;
			e->eax &= 0x3fff;
			e->eax |= (ncpus - 1) << 26;
			if (((e->eax >> 5) & 7) >= 3)
				e->eax |= (ncpus - 1) << 14;
			break;
		case 0xb:
		case 0x1f:
			set_ext_topology(e, apic_id, ncpus);
			break;
		case 0x80000008:
			/* AMD: ECX[15:12] APIC id size, [7:0] cores - 1. */
			e->ecx = (e->ecx & ~0xf0ffu) | (order_base_2(ncpus) << 12) | (ncpus - 1);
			break;
		case 0x8000001e:
			/* AMD extended APIC id; one thread per core. */
			e->eax = apic_id;
			e->ebx = (e->ebx & ~0xffffu) | (apic_id & 0xff);
			break;
		default:
			break;
		}
	}
}

void cpuid_set_tsc_deadline(struct kvm_cpuid2 *c)
{
	for (unsigned int i = 0; i < c->nent; i++)
		if (c->entries[i].function == 1)
			c->entries[i].ecx |= CPUID1_ECX_TSC_DEADLINE;
}

struct kvm_cpuid2 *cpuid_dup(const struct kvm_cpuid2 *c)
{
	size_t sz = sizeof(*c) + c->nent * sizeof(c->entries[0]);
	struct kvm_cpuid2 *d = malloc(sz);

	if (d)
		memcpy(d, c, sz);
	return d;
}
