#include "vmm/mem_kvm.h"

#include <stdint.h>

#include "kvm/kvm.h"

static int vm_fd_of(void *ctx)
{
	return (int)(intptr_t)ctx;
}

static uint32_t slot_flags(const struct guest_mem_region *r)
{
	return r->kind == GUEST_MEM_ROM ? KVM_MEM_READONLY : 0;
}

static int added(void *ctx, const struct guest_mem_region *r)
{
	return kvm_vm_set_user_memory(vm_fd_of(ctx), r->id, r->gpa, r->size, r->hva,
				      slot_flags(r));
}

static int removed(void *ctx, const struct guest_mem_region *r)
{
	/* api.rst 4.35: "Deleting a slot is done by passing zero for memory_size". */
	return kvm_vm_set_user_memory(vm_fd_of(ctx), r->id, r->gpa, 0, r->hva, slot_flags(r));
}

static int moved(void *ctx, const struct guest_mem_region *old_r,
		 const struct guest_mem_region *new_r)
{
	/* Same slot, userspace_addr and size, new guest_phys_addr: KVM's
	 * KVM_MR_MOVE. Contents stay, since the host memory is the same;
	 * KVM rejects a changed userspace_addr on an existing slot. */
	(void)old_r;
	return kvm_vm_set_user_memory(vm_fd_of(ctx), new_r->id, new_r->gpa, new_r->size,
				      new_r->hva, slot_flags(new_r));
}

struct guest_mem_listener mem_kvm_listener(int vm_fd)
{
	struct guest_mem_listener l = {
		.added = added,
		.removed = removed,
		.moved = moved,
		.ctx = (void *)(intptr_t)vm_fd,
	};

	return l;
}

int mem_kvm_attach(struct guest_mem *mem, int vm_fd)
{
	struct guest_mem_listener l = mem_kvm_listener(vm_fd);
	int n = kvm_vm_check_cap(vm_fd, KVM_CAP_NR_MEMSLOTS);
	int r;

	/* Older KVMs may not report the capability: keep the map's default. */
	if (n > 0 && n < GUEST_MEM_MAX_REGIONS) {
		r = guest_mem_set_max_regions(mem, (uint32_t)n);
		if (r < 0)
			return r;
	}
	return guest_mem_set_listener(mem, &l);
}
