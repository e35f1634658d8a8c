/* virtio_devices: the VM's virtio devices, built from its configuration
 * (--disk, --rng, --console virtio, --net, --vsock), each behind its own virtio-pci
 * function on bus 0, with queue kicks bound to KVM ioeventfds. */
#ifndef SKIFF_VMM_VIRTIO_DEVICES_H
#define SKIFF_VMM_VIRTIO_DEVICES_H

#include <stdbool.h>

#include "devices/virtio_blk.h"
#include "devices/net_tap.h"
#include "devices/net_vhost.h"
#include "devices/virtio_console.h"
#include "devices/virtio_net.h"
#include "devices/virtio_rng.h"
#include "devices/virtio_vsock.h"
#include "virtio/pci.h"
#include "vmm/config.h"

struct vm;

struct vm_virtio {
	struct virtio_blk blk[VM_CONFIG_MAX_DISKS];
	struct virtio_pci blk_pci[VM_CONFIG_MAX_DISKS];
	unsigned int nblk;
	struct virtio_rng *rng;
	struct virtio_pci rng_pci;
	bool has_console;
	struct virtio_console console;
	struct virtio_pci console_pci;
	struct virtio_net net[VM_CONFIG_MAX_NETS];
	struct virtio_pci net_pci[VM_CONFIG_MAX_NETS];
	struct net_tap net_tap[VM_CONFIG_MAX_NETS];
	struct net_vhost net_vhost[VM_CONFIG_MAX_NETS];
	unsigned int nnet;
	bool has_vsock;
	struct virtio_vsock vsock;
	struct virtio_pci vsock_pci;
};

/* Create the devices cfg asks for and plug them into vm->pci. Returns 0, or
 * -errno after one line naming the option at fault (e.g. the disk image).
 * On failure what was built stays recorded for vm_virtio_teardown(). */
int vm_virtio_setup(struct vm *vm, struct vm_virtio *v);
/* Release everything; after the vCPUs stopped, before guest memory goes. */
void vm_virtio_teardown(struct vm_virtio *v);

#endif
