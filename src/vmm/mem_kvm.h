/* mem_kvm: mirror the guest memory map into KVM's memslots.
 *
 * Each region becomes the KVM slot with the region's id (ids are reused, so
 * slot numbers stay below KVM_CAP_NR_MEMSLOTS). Region changes map onto
 * KVM_SET_USER_MEMORY_REGION (Documentation/virt/kvm/api.rst 4.35):
 * added = create the slot (ROM with KVM_MEM_READONLY, so guest writes exit
 * as MMIO), removed = memory_size 0, moved = same slot, hva and size with a
 * new guest_phys_addr (KVM moves an existing slot in place: "it may be moved
 * in the guest physical memory space ... but it may not be resized"). */
#ifndef SKIFF_VMM_MEM_KVM_H
#define SKIFF_VMM_MEM_KVM_H

#include "mem/guest_mem.h"

/* The listener for VM fd vm_fd (kept in ctx; the fd must outlive it). */
struct guest_mem_listener mem_kvm_listener(int vm_fd);
/* Limit the map to the host's KVM_CAP_NR_MEMSLOTS and attach the listener,
 * which adds every existing region to KVM. 0 or a negative errno (the
 * ioctl's, or -EBUSY when the map already holds more regions than KVM has
 * slots); on error no slot stays registered. */
int mem_kvm_attach(struct guest_mem *mem, int vm_fd);

#endif
