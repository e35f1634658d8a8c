/* irq: an interrupt line a device drives, without knowing who delivers it
 * (KVM_IRQ_LINE into the in-kernel irqchip in skiff, a recorder in tests). */
#ifndef SKIFF_BUS_IRQ_H
#define SKIFF_BUS_IRQ_H

struct irq_line {
	/* Drive line gsi to level (0 or 1); returns 0 or a negative errno. */
	int (*set)(void *ctx, unsigned int gsi, int level);
	void *ctx;
	unsigned int gsi;
};

static inline int irq_line_set(const struct irq_line *l, int level)
{
	return l->set ? l->set(l->ctx, l->gsi, level) : 0;
}

#endif
