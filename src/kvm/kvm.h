/* kvm: thin, typed wrappers of the KVM ioctls (Documentation/virt/kvm/api.rst).
 * The only module that issues KVM ioctls. Every function returns 0 (or a
 * non-negative value where stated) or a negative errno; none of them logs, the
 * caller knows the context and logs once. */
#ifndef SKIFF_KVM_KVM_H
#define SKIFF_KVM_KVM_H

#include <stdint.h>
#include <linux/kvm.h>

struct kvm_sys {
	int fd;            /* /dev/kvm */
	int vcpu_mmap_size;
};

/* Open /dev/kvm and check KVM_GET_API_VERSION == 12 (api.rst 4.1).
 * -ENOENT/-EACCES when the device is missing or not ours, -EPROTO on another API version. */
int kvm_sys_open(struct kvm_sys *sys);
void kvm_sys_close(struct kvm_sys *sys);
/* KVM_CHECK_EXTENSION on the system fd: >= 0 value of the capability. */
int kvm_sys_check_cap(const struct kvm_sys *sys, long cap);
/* KVM_GET_SUPPORTED_CPUID into a freshly allocated array; caller frees *out. */
int kvm_sys_supported_cpuid(const struct kvm_sys *sys, struct kvm_cpuid2 **out);

/* VM-level calls: fd is the VM fd from kvm_vm_create(). */
int kvm_vm_create(const struct kvm_sys *sys);
int kvm_vm_check_cap(int vm_fd, long cap);
int kvm_vm_set_tss_addr(int vm_fd, uint64_t gpa);
int kvm_vm_set_identity_map_addr(int vm_fd, uint64_t gpa);
int kvm_vm_create_irqchip(int vm_fd);
int kvm_vm_create_pit2(int vm_fd);
int kvm_vm_set_user_memory(int vm_fd, uint32_t slot, uint64_t gpa, uint64_t size,
			   void *hva, uint32_t flags);
/* KVM_IRQ_LINE: drive an in-kernel irqchip input (GSI) to level 0 or 1. */
int kvm_vm_irq_line(int vm_fd, uint32_t gsi, int level);

/* vCPU-level calls. */
int kvm_vcpu_create(int vm_fd, unsigned int id);
/* mmap the shared kvm_run structure of a vCPU; NULL on failure (errno set). */
struct kvm_run *kvm_vcpu_map_run(const struct kvm_sys *sys, int vcpu_fd);
void kvm_vcpu_unmap_run(const struct kvm_sys *sys, struct kvm_run *run);
int kvm_vcpu_run(int vcpu_fd);
int kvm_vcpu_set_cpuid(int vcpu_fd, const struct kvm_cpuid2 *cpuid);
int kvm_vcpu_get_regs(int vcpu_fd, struct kvm_regs *regs);
int kvm_vcpu_set_regs(int vcpu_fd, const struct kvm_regs *regs);
int kvm_vcpu_get_sregs(int vcpu_fd, struct kvm_sregs *sregs);
int kvm_vcpu_set_sregs(int vcpu_fd, const struct kvm_sregs *sregs);
int kvm_vcpu_set_msrs(int vcpu_fd, const struct kvm_msrs *msrs);

#endif
