/* fake_gsi: a struct gsi_backend that records what would go to KVM
 * (routing tables, irqfd binds) instead of issuing ioctls. */
#ifndef SKIFF_TESTS_FAKE_GSI_H
#define SKIFF_TESTS_FAKE_GSI_H

#include <stdbool.h>
#include <stdint.h>

#include "bus/gsi.h"

#define FAKE_GSI_MAX_IRQFDS 256

struct fake_gsi {
	unsigned int set_calls;
	struct kvm_irq_routing_entry table[GSI_IRQCHIP_PINS + GSI_PIC_PINS + GSI_MAX];
	uint32_t n;                       /* entries of the last table */
	struct { int efd; uint32_t gsi; bool bound; } irqfds[FAKE_GSI_MAX_IRQFDS];
	unsigned int nirqfds, assigns, deassigns;
	unsigned int bad_deassigns;       /* of an eventfd not bound there */
	int fail_routing;                 /* returned by set_routing when non-zero */
};

extern const struct gsi_backend fake_gsi_backend; /* ctx: struct fake_gsi * */

/* The entry of the last table for gsi with type (KVM_IRQ_ROUTING_*) and,
 * for IRQCHIP, that chip; NULL when absent. */
const struct kvm_irq_routing_entry *fake_gsi_find(const struct fake_gsi *f, uint32_t gsi,
						  uint32_t type, uint32_t chip);
/* The GSI efd is bound to, or -1. */
int fake_gsi_bound_gsi(const struct fake_gsi *f, int efd);
/* Read and reset an eventfd's counter (non-blocking): 0 when nothing. */
uint64_t fake_gsi_take(int efd);

#endif
