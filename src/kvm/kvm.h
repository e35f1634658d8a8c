/* kvm: thin, typed wrappers of the KVM ioctls (Documentation/virt/kvm/api.rst).
 * The only module that issues KVM ioctls. Every function returns 0 (or a
 * non-negative value where stated) or a negative errno; none of them logs, the
 * caller knows the context and logs once. */
#ifndef SKIFF_KVM_KVM_H
#define SKIFF_KVM_KVM_H

#include <stdbool.h>
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

/* KVM_SET_GSI_ROUTING (api.rst 4.52): replace the VM's whole GSI routing
 * table with entries[0..n). The table replaces KVM's default one too, so a
 * caller that adds MSI routes must repeat the irqchip pin entries it wants
 * to keep. -EINVAL for n above the kernel's KVM_MAX_IRQ_ROUTES (4096) or a bad entry. */
int kvm_vm_set_gsi_routing(int vm_fd, const struct kvm_irq_routing_entry *entries, uint32_t n);
/* KVM_IRQFD (api.rst 4.75): from now on a write to eventfd efd injects gsi
 * (edge; an MSI route delivers the message). Deassign undoes exactly that
 * (efd, gsi) pair. */
int kvm_vm_irqfd_assign(int vm_fd, int efd, uint32_t gsi);
int kvm_vm_irqfd_deassign(int vm_fd, int efd, uint32_t gsi);
/* KVM_IOEVENTFD (api.rst 4.59): a guest write of len bytes (1, 2, 4 or 8;
 * 0 for "any length", MMIO without datamatch only) at addr in port space
 * (pio) or memory space signals efd instead of exiting to userspace. With
 * datamatch non-NULL only writes of that value do. Deassign takes the same
 * arguments as the assign it undoes. */
int kvm_vm_ioeventfd_assign(int vm_fd, int efd, uint64_t addr, uint32_t len, bool pio,
			    const uint64_t *datamatch);
int kvm_vm_ioeventfd_deassign(int vm_fd, int efd, uint64_t addr, uint32_t len, bool pio,
			      const uint64_t *datamatch);

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
