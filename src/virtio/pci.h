/* virtio-pci: the modern virtio PCI transport (virtio 1.2 spec, 4.1) for one
 * struct virtio_dev. The function has IDs 1AF4:1040+device_id (4.1.2), a
 * 64-bit memory BAR 0 holding the common, ISR, device and notification
 * structures, a BAR 2 holding the MSI-X table and PBA, and the five
 * vendor capabilities that point at them (4.1.4), PCI_CFG access included.
 *
 * Queue notifications: each queue has its own 4-byte notify address
 * (notify_off_multiplier 4, queue_notify_off = queue index), bound to an
 * eventfd through KVM ioeventfd when notify ops are given, so a guest kick
 * wakes the event loop without a vCPU exit; without them the MMIO handler
 * writes the eventfd itself. Either way device code runs on the event loop.
 * Interrupts are MSI-X only: Linux's virtio_pci always asks for it; a
 * driver that leaves MSI-X disabled gets no interrupts (counted). */
#ifndef SKIFF_VIRTIO_PCI_H
#define SKIFF_VIRTIO_PCI_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus/msix.h"
#include "bus/pci.h"
#include "util/event_loop.h"
#include "virtio/device.h"

/* Binding notify addresses to eventfds (KVM_IOEVENTFD in skiff). */
struct virtio_pci_notify_ops {
	int (*assign)(void *ctx, int efd, uint64_t gpa, uint32_t len);
	int (*deassign)(void *ctx, int efd, uint64_t gpa, uint32_t len);
	void *ctx;
};

struct virtio_pci_queue_kick {
	struct event_handler handler;
	struct virtio_pci *t;
	uint16_t q;
	int efd;
	bool assigned;                      /* bound as an ioeventfd at gpa */
	bool offloaded;                     /* read by vhost, not the event loop */
	uint64_t gpa;
};

struct virtio_pci {
	struct pci_dev pci;
	struct msix msix;
	struct virtio_dev *dev;
	struct event_loop *loop;
	struct virtio_pci_notify_ops notify;
	uint16_t config_vector;             /* msix_config */
	struct virtio_pci_queue_kick kicks[VIRTIO_MAX_QUEUES];
	uint8_t cfg_cap_off;                /* VIRTIO_PCI_CAP_PCI_CFG offset */
	atomic_ulong guest_errors;          /* writes the spec forbids, counted */
	atomic_ulong lost_interrupts;       /* signals while MSI-X was disabled */
};

/* Build the PCI function for dev (already virtio_dev_init'ed) and set
 * dev->transport. notify may be NULL. 0 or -errno. The caller then plugs
 * t->pci into the bus with pci_bus_add_dev(). */
int virtio_pci_init(struct virtio_pci *t, struct virtio_dev *dev, struct gsi_router *router,
		    struct event_loop *loop, const struct virtio_pci_notify_ops *notify);
void virtio_pci_destroy(struct virtio_pci *t);

/* BAR 0 layout, for tests. */
#define VIRTIO_PCI_COMMON_OFF  0x0000u
#define VIRTIO_PCI_ISR_OFF     0x1000u
#define VIRTIO_PCI_DEVICE_OFF  0x2000u
#define VIRTIO_PCI_NOTIFY_OFF  0x3000u
#define VIRTIO_PCI_BAR0_SIZE   0x4000u
#define VIRTIO_PCI_NOTIFY_MULT 4u
#define VIRTIO_PCI_MSIX_BAR    2u
#define VIRTIO_PCI_BAR2_SIZE   0x1000u

#endif
