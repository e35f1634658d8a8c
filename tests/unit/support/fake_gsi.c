#include "fake_gsi.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

static int fake_set_routing(void *ctx, const struct kvm_irq_routing_entry *e, uint32_t n)
{
	struct fake_gsi *f = ctx;

	f->set_calls++;
	if (f->fail_routing)
		return f->fail_routing;
	if (n > sizeof(f->table) / sizeof(f->table[0]))
		return -EINVAL;
	memcpy(f->table, e, n * sizeof(*e));
	f->n = n;
	return 0;
}

static int fake_irqfd(void *ctx, int efd, uint32_t gsi, bool assign)
{
	struct fake_gsi *f = ctx;

	if (assign) {
		for (unsigned int i = 0; i < f->nirqfds; i++) {
			if (f->irqfds[i].bound && f->irqfds[i].efd == efd)
				return -EBUSY; /* KVM refuses a second bind of one eventfd */
			if (f->irqfds[i].efd == efd && f->irqfds[i].gsi == gsi) {
				f->irqfds[i].bound = true; /* bound again */
				f->assigns++;
				return 0;
			}
		}
		if (f->nirqfds == FAKE_GSI_MAX_IRQFDS)
			return -ENOSPC;
		f->irqfds[f->nirqfds].efd = efd;
		f->irqfds[f->nirqfds].gsi = gsi;
		f->irqfds[f->nirqfds].bound = true;
		f->nirqfds++;
		f->assigns++;
		return 0;
	}
	for (unsigned int i = 0; i < f->nirqfds; i++) {
		if (f->irqfds[i].bound && f->irqfds[i].efd == efd && f->irqfds[i].gsi == gsi) {
			f->irqfds[i].bound = false;
			f->deassigns++;
			return 0;
		}
	}
	f->bad_deassigns++;
	return -ENOENT;
}

const struct gsi_backend fake_gsi_backend = {
	.set_routing = fake_set_routing,
	.irqfd = fake_irqfd,
};

const struct kvm_irq_routing_entry *fake_gsi_find(const struct fake_gsi *f, uint32_t gsi,
						  uint32_t type, uint32_t chip)
{
	for (uint32_t i = 0; i < f->n; i++) {
		const struct kvm_irq_routing_entry *e = &f->table[i];

		if (e->gsi == gsi && e->type == type &&
		    (type != KVM_IRQ_ROUTING_IRQCHIP || e->u.irqchip.irqchip == chip))
			return e;
	}
	return NULL;
}

int fake_gsi_bound_gsi(const struct fake_gsi *f, int efd)
{
	for (unsigned int i = 0; i < f->nirqfds; i++)
		if (f->irqfds[i].bound && f->irqfds[i].efd == efd)
			return (int)f->irqfds[i].gsi;
	return -1;
}

uint64_t fake_gsi_take(int efd)
{
	uint64_t v = 0;

	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}
