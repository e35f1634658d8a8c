#include "kvm/kvm.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

/* ioctl() with -1/errno mapped to a negative errno. */
static int kvm_ioctl(int fd, unsigned long req, void *arg)
{
	int r = ioctl(fd, req, arg);

	return r < 0 ? -errno : r;
}

int kvm_sys_open(struct kvm_sys *sys)
{
	int fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	int r;

	if (fd < 0)
		return -errno;
	r = kvm_ioctl(fd, KVM_GET_API_VERSION, NULL);
	if (r != KVM_API_VERSION) {
		close(fd);
		return r < 0 ? r : -EPROTO;
	}
	r = kvm_ioctl(fd, KVM_GET_VCPU_MMAP_SIZE, NULL);
	if (r < 0) {
		close(fd);
		return r;
	}
	sys->fd = fd;
	sys->vcpu_mmap_size = r;
	return 0;
}

void kvm_sys_close(struct kvm_sys *sys)
{
	if (sys->fd >= 0)
		close(sys->fd);
	sys->fd = -1;
}

int kvm_sys_check_cap(const struct kvm_sys *sys, long cap)
{
	return kvm_vm_check_cap(sys->fd, cap); /* same ioctl on either fd */
}

int kvm_sys_supported_cpuid(const struct kvm_sys *sys, struct kvm_cpuid2 **out)
{
	/* api.rst 4.46: grow the buffer until KVM stops answering E2BIG. */
	for (unsigned int n = 64; n <= 4096; n *= 2) {
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + n * sizeof(c->entries[0]));
		int r;

		if (!c)
			return -ENOMEM;
		c->nent = n;
		r = kvm_ioctl(sys->fd, KVM_GET_SUPPORTED_CPUID, c);
		if (r == 0) {
			*out = c;
			return 0;
		}
		free(c);
		if (r != -E2BIG)
			return r;
	}
	return -E2BIG;
}

int kvm_vm_create(const struct kvm_sys *sys)
{
	int r;

	do
		r = ioctl(sys->fd, KVM_CREATE_VM, 0);
	while (r < 0 && errno == EINTR); /* api.rst 4.2: may be interrupted */
	return r < 0 ? -errno : r;
}

int kvm_vm_check_cap(int vm_fd, long cap)
{
	int r = ioctl(vm_fd, KVM_CHECK_EXTENSION, cap);

	return r < 0 ? -errno : r;
}

int kvm_vm_set_tss_addr(int vm_fd, uint64_t gpa)
{
	int r = ioctl(vm_fd, KVM_SET_TSS_ADDR, (unsigned long)gpa);

	return r < 0 ? -errno : 0;
}

int kvm_vm_set_identity_map_addr(int vm_fd, uint64_t gpa)
{
	return kvm_ioctl(vm_fd, KVM_SET_IDENTITY_MAP_ADDR, &gpa);
}

int kvm_vm_create_irqchip(int vm_fd)
{
	return kvm_ioctl(vm_fd, KVM_CREATE_IRQCHIP, NULL);
}

int kvm_vm_create_pit2(int vm_fd)
{
	/* The dummy speaker port lets the kernel own port 0x61 (PIT channel 2
	 * gate), which Linux reads while calibrating its clocks. */
	struct kvm_pit_config cfg = { .flags = KVM_PIT_SPEAKER_DUMMY };

	return kvm_ioctl(vm_fd, KVM_CREATE_PIT2, &cfg);
}

int kvm_vm_set_user_memory(int vm_fd, uint32_t slot, uint64_t gpa, uint64_t size,
			   void *hva, uint32_t flags)
{
	struct kvm_userspace_memory_region region = {
		.slot = slot,
		.flags = flags,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)hva,
	};

	return kvm_ioctl(vm_fd, KVM_SET_USER_MEMORY_REGION, &region);
}

int kvm_vm_irq_line(int vm_fd, uint32_t gsi, int level)
{
	struct kvm_irq_level irq = { .irq = gsi, .level = (uint32_t)level };

	return kvm_ioctl(vm_fd, KVM_IRQ_LINE, &irq);
}

/* KVM_MAX_IRQ_ROUTES in the kernel (include/linux/kvm_host.h), not in UAPI. */
#define KVM_ROUTES_LIMIT 4096u

int kvm_vm_set_gsi_routing(int vm_fd, const struct kvm_irq_routing_entry *entries, uint32_t n)
{
	struct kvm_irq_routing *table;
	int r;

	if (n > KVM_ROUTES_LIMIT)
		return -EINVAL;
	/* The ioctl takes a header followed by a flexible array. */
	table = calloc(1, sizeof(*table) + n * sizeof(table->entries[0]));
	if (!table)
		return -ENOMEM;
	table->nr = n;
	if (n)
		memcpy(table->entries, entries, n * sizeof(table->entries[0]));
	r = kvm_ioctl(vm_fd, KVM_SET_GSI_ROUTING, table);
	free(table);
	return r < 0 ? r : 0;
}

static int irqfd(int vm_fd, int efd, uint32_t gsi, uint32_t flags)
{
	struct kvm_irqfd req = { .fd = (uint32_t)efd, .gsi = gsi, .flags = flags };

	return kvm_ioctl(vm_fd, KVM_IRQFD, &req);
}

int kvm_vm_irqfd_assign(int vm_fd, int efd, uint32_t gsi)
{
	return irqfd(vm_fd, efd, gsi, 0);
}

int kvm_vm_irqfd_deassign(int vm_fd, int efd, uint32_t gsi)
{
	return irqfd(vm_fd, efd, gsi, KVM_IRQFD_FLAG_DEASSIGN);
}

static int ioeventfd(int vm_fd, int efd, uint64_t addr, uint32_t len, bool pio,
		     const uint64_t *datamatch, uint32_t flags)
{
	struct kvm_ioeventfd req = {
		.addr = addr,
		.len = len,
		.fd = efd,
		.flags = flags | (pio ? KVM_IOEVENTFD_FLAG_PIO : 0) |
			 (datamatch ? KVM_IOEVENTFD_FLAG_DATAMATCH : 0),
		.datamatch = datamatch ? *datamatch : 0,
	};

	return kvm_ioctl(vm_fd, KVM_IOEVENTFD, &req);
}

int kvm_vm_ioeventfd_assign(int vm_fd, int efd, uint64_t addr, uint32_t len, bool pio,
			    const uint64_t *datamatch)
{
	return ioeventfd(vm_fd, efd, addr, len, pio, datamatch, 0);
}

int kvm_vm_ioeventfd_deassign(int vm_fd, int efd, uint64_t addr, uint32_t len, bool pio,
			      const uint64_t *datamatch)
{
	return ioeventfd(vm_fd, efd, addr, len, pio, datamatch, KVM_IOEVENTFD_FLAG_DEASSIGN);
}

int kvm_vcpu_create(int vm_fd, unsigned int id)
{
	int r = ioctl(vm_fd, KVM_CREATE_VCPU, (unsigned long)id);

	return r < 0 ? -errno : r;
}

struct kvm_run *kvm_vcpu_map_run(const struct kvm_sys *sys, int vcpu_fd)
{
	void *p = mmap(NULL, (size_t)sys->vcpu_mmap_size, PROT_READ | PROT_WRITE,
		       MAP_SHARED, vcpu_fd, 0);

	return p == MAP_FAILED ? NULL : p;
}

void kvm_vcpu_unmap_run(const struct kvm_sys *sys, struct kvm_run *run)
{
	if (run)
		munmap(run, (size_t)sys->vcpu_mmap_size);
}

int kvm_vcpu_run(int vcpu_fd)
{
	return kvm_ioctl(vcpu_fd, KVM_RUN, NULL);
}

int kvm_vcpu_set_cpuid(int vcpu_fd, const struct kvm_cpuid2 *cpuid)
{
	return kvm_ioctl(vcpu_fd, KVM_SET_CPUID2, (void *)cpuid);
}

int kvm_vcpu_get_regs(int vcpu_fd, struct kvm_regs *regs)
{
	return kvm_ioctl(vcpu_fd, KVM_GET_REGS, regs);
}

int kvm_vcpu_set_regs(int vcpu_fd, const struct kvm_regs *regs)
{
	return kvm_ioctl(vcpu_fd, KVM_SET_REGS, (void *)regs);
}

int kvm_vcpu_get_sregs(int vcpu_fd, struct kvm_sregs *sregs)
{
	return kvm_ioctl(vcpu_fd, KVM_GET_SREGS, sregs);
}

int kvm_vcpu_set_sregs(int vcpu_fd, const struct kvm_sregs *sregs)
{
	return kvm_ioctl(vcpu_fd, KVM_SET_SREGS, (void *)sregs);
}

int kvm_vcpu_set_msrs(int vcpu_fd, const struct kvm_msrs *msrs)
{
	int r = kvm_ioctl(vcpu_fd, KVM_SET_MSRS, (void *)msrs);

	/* KVM_SET_MSRS returns how many it set; fewer than asked is a failure. */
	if (r >= 0 && (uint32_t)r != msrs->nmsrs)
		return -EINVAL;
	return r < 0 ? r : 0;
}
