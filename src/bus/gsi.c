#include "bus/gsi.h"

#include <errno.h>
#include <string.h>

#include "kvm/kvm.h"

static int kvm_set_routing(void *ctx, const struct kvm_irq_routing_entry *e, uint32_t n)
{
	return kvm_vm_set_gsi_routing(*(int *)ctx, e, n);
}

static int kvm_irqfd(void *ctx, int efd, uint32_t gsi, bool assign)
{
	int vm_fd = *(int *)ctx;

	return assign ? kvm_vm_irqfd_assign(vm_fd, efd, gsi) : kvm_vm_irqfd_deassign(vm_fd, efd, gsi);
}

const struct gsi_backend gsi_kvm_backend = {
	.set_routing = kvm_set_routing,
	.irqfd = kvm_irqfd,
};

static bool is_used(const struct gsi_router *r, uint32_t gsi)
{
	return gsi < GSI_MAX && (r->used[gsi / 64] >> (gsi % 64)) & 1;
}

int gsi_router_init(struct gsi_router *r, const struct gsi_backend *ops, void *ctx)
{
	memset(r, 0, sizeof(*r));
	r->ops = ops;
	r->ctx = ctx;
	/* The irqchip pins are never handed out. */
	r->used[0] = (1ull << GSI_IRQCHIP_PINS) - 1;
	return -pthread_mutex_init(&r->lock, NULL);
}

void gsi_router_destroy(struct gsi_router *r)
{
	pthread_mutex_destroy(&r->lock);
}

static struct kvm_irq_routing_entry irqchip_entry(uint32_t gsi, uint32_t chip, uint32_t pin)
{
	struct kvm_irq_routing_entry e = { .gsi = gsi, .type = KVM_IRQ_ROUTING_IRQCHIP };

	e.u.irqchip.irqchip = chip;
	e.u.irqchip.pin = pin;
	return e;
}

/* Build and send the whole table (lock held). The irqchip part repeats
 * KVM's default routing (virt/kvm/irqchip.c and arch/x86/kvm/irq_comm.c,
 * default_routing[]): GSI n -> IOAPIC pin n for n < 24, and for n < 16 also
 * the master (n < 8) or slave PIC pin n % 8. */
static int commit(struct gsi_router *r)
{
	uint32_t n = 0;

	for (uint32_t gsi = 0; gsi < GSI_IRQCHIP_PINS; gsi++) {
		r->table[n++] = irqchip_entry(gsi, KVM_IRQCHIP_IOAPIC, gsi);
		if (gsi < GSI_PIC_PINS)
			r->table[n++] = irqchip_entry(gsi, gsi < 8 ? KVM_IRQCHIP_PIC_MASTER
							      : KVM_IRQCHIP_PIC_SLAVE, gsi % 8);
	}
	for (uint32_t gsi = GSI_IRQCHIP_PINS; gsi < GSI_MAX; gsi++) {
		const struct gsi_msi_route *m = &r->msi[gsi];
		struct kvm_irq_routing_entry e = { .gsi = gsi, .type = KVM_IRQ_ROUTING_MSI };

		if (!m->valid)
			continue;
		e.u.msi.address_lo = m->address_lo;
		e.u.msi.address_hi = m->address_hi;
		e.u.msi.data = m->data;
		r->table[n++] = e;
	}
	r->commits++;
	return r->ops->set_routing(r->ctx, r->table, n);
}

int gsi_alloc(struct gsi_router *r)
{
	int gsi = -ENOSPC;

	pthread_mutex_lock(&r->lock);
	for (uint32_t g = GSI_IRQCHIP_PINS; g < GSI_MAX; g++) {
		if (!is_used(r, g)) {
			r->used[g / 64] |= 1ull << (g % 64);
			r->msi[g].valid = false;
			gsi = (int)g;
			break;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return gsi;
}

void gsi_free(struct gsi_router *r, uint32_t gsi)
{
	if (gsi < GSI_IRQCHIP_PINS || gsi >= GSI_MAX)
		return;
	pthread_mutex_lock(&r->lock);
	if (is_used(r, gsi)) {
		r->used[gsi / 64] &= ~(1ull << (gsi % 64));
		if (r->msi[gsi].valid) {
			r->msi[gsi].valid = false;
			/* A stale route only costs a table slot; nothing to report. */
			(void)commit(r);
		}
	}
	pthread_mutex_unlock(&r->lock);
}

static bool same_route(const struct gsi_msi_route *a, const struct gsi_msi_route *b)
{
	return a->valid == b->valid && a->address_lo == b->address_lo &&
	       a->address_hi == b->address_hi && a->data == b->data;
}

int gsi_set_msi(struct gsi_router *r, uint32_t gsi, uint64_t address, uint32_t data)
{
	struct gsi_msi_route want = {
		.valid = true,
		.address_lo = (uint32_t)address,
		.address_hi = (uint32_t)(address >> 32),
		.data = data,
	};
	struct gsi_msi_route old;
	int ret = 0;

	if (gsi < GSI_IRQCHIP_PINS || gsi >= GSI_MAX)
		return -EINVAL;
	pthread_mutex_lock(&r->lock);
	if (!is_used(r, gsi)) {
		ret = -EINVAL;
	} else if (!same_route(&r->msi[gsi], &want)) {
		old = r->msi[gsi];
		r->msi[gsi] = want;
		ret = commit(r);
		if (ret < 0)
			r->msi[gsi] = old;
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

int gsi_irqfd_assign(struct gsi_router *r, int efd, uint32_t gsi)
{
	return r->ops->irqfd(r->ctx, efd, gsi, true);
}

int gsi_irqfd_deassign(struct gsi_router *r, int efd, uint32_t gsi)
{
	return r->ops->irqfd(r->ctx, efd, gsi, false);
}
