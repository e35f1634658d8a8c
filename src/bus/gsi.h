/* gsi: the VM's interrupt routing table and its allocator of GSIs.
 *
 * GSIs 0..23 are the in-kernel irqchip's pins (IOAPIC 0..23, PIC 0..15),
 * routed as KVM routes them by default. Devices that signal MSIs (an MSI-X
 * vector, msix.h) take a GSI above those from gsi_alloc(), give it an MSI
 * route (address/data) and bind an eventfd to it (irqfd): a write to that
 * eventfd, from any thread, then makes KVM deliver the message.
 *
 * KVM_SET_GSI_ROUTING (api.rst 4.52) replaces the whole table, KVM's
 * default irqchip routes included, so every commit re-sends the irqchip pin
 * entries along with all MSI routes. Committing is an ioctl that waits for
 * an SRCU grace period: callers commit when a route changes, never per
 * interrupt.
 *
 * The KVM calls go through struct gsi_backend so tests can record them;
 * gsi_kvm_backend is the real one. All functions are thread-safe (one mutex
 * per router; it is the innermost lock: msix -> gsi). */
#ifndef SKIFF_BUS_GSI_H
#define SKIFF_BUS_GSI_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/kvm.h>

#define GSI_IRQCHIP_PINS 24u   /* IOAPIC pins, GSIs 0..23 */
#define GSI_PIC_PINS     16u   /* GSIs 0..15 also reach the PICs */
#define GSI_MAX          1024u /* GSIs 0..GSI_MAX-1; KVM allows 4096 routes */

struct gsi_backend {
	/* Replace the routing table with e[0..n) (KVM_SET_GSI_ROUTING). */
	int (*set_routing)(void *ctx, const struct kvm_irq_routing_entry *e, uint32_t n);
	/* Bind (assign) or unbind eventfd efd to gsi (KVM_IRQFD, api.rst 4.75). */
	int (*irqfd)(void *ctx, int efd, uint32_t gsi, bool assign);
};

/* The KVM implementation; its ctx is a pointer to the VM fd (int *). */
extern const struct gsi_backend gsi_kvm_backend;

struct gsi_msi_route {
	bool valid;
	uint32_t address_lo, address_hi, data;
};

struct gsi_router {
	const struct gsi_backend *ops;
	void *ctx;
	pthread_mutex_t lock;
	uint64_t used[GSI_MAX / 64];          /* allocated GSIs (pins always) */
	struct gsi_msi_route msi[GSI_MAX];    /* by GSI */
	/* Commit buffer: irqchip entries (24 IOAPIC + 16 PIC) + MSI routes. */
	struct kvm_irq_routing_entry table[GSI_IRQCHIP_PINS + GSI_PIC_PINS + GSI_MAX];
	unsigned long commits;                /* routing tables sent */
};

/* ops/ctx as above. 0 or -errno. Nothing is sent to KVM until the first MSI
 * route is set: until then KVM's default table is the same. */
int gsi_router_init(struct gsi_router *r, const struct gsi_backend *ops, void *ctx);
void gsi_router_destroy(struct gsi_router *r);

/* A free GSI >= GSI_IRQCHIP_PINS, or -ENOSPC. */
int gsi_alloc(struct gsi_router *r);
/* Release gsi (from gsi_alloc): its MSI route goes (committed if it had
 * one). The caller has unbound its irqfd. Pins and unallocated GSIs are
 * ignored. */
void gsi_free(struct gsi_router *r, uint32_t gsi);

/* Route allocated gsi to the MSI (address, data) (api.rst 4.52, type
 * KVM_IRQ_ROUTING_MSI) and commit the table, unless it is unchanged.
 * 0, -EINVAL for a GSI not allocated, or the backend's -errno (the route is
 * then left as it was). */
int gsi_set_msi(struct gsi_router *r, uint32_t gsi, uint64_t address, uint32_t data);

/* Bind/unbind eventfd efd to gsi (backend irqfd). 0 or -errno. */
int gsi_irqfd_assign(struct gsi_router *r, int efd, uint32_t gsi);
int gsi_irqfd_deassign(struct gsi_router *r, int efd, uint32_t gsi);

#endif
