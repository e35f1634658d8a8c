/* Unit tests: MSI-X (PCI 3.0 6.8.2) driven from the guest side (config
 * space and the table/PBA BAR), with KVM replaced by the recording fake. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <cmocka.h>

#include "bus/gsi.h"
#include "bus/io_bus.h"
#include "bus/msix.h"
#include "bus/pci.h"
#include "support/fake_gsi.h"

#define NVEC      4
#define TABLE_OFF 0x2000u
#define PBA_OFF   0x3000u

static struct {
	struct io_bus pio, mmio;
	struct pci_bus bus;
	struct fake_gsi fake;
	struct gsi_router router;
	struct pci_dev dev;
	struct msix msix;
	uint64_t bar;   /* where BAR0 is */
	int cap;
} W;

static const struct pci_dev_ids ids = { .vendor = 0x1af4, .device = 0x1042, .class_code = 0x010000 };

static int setup(void **state)
{
	(void)state;
	memset(&W.fake, 0, sizeof(W.fake));
	assert_int_equal(io_bus_init(&W.pio), 0);
	assert_int_equal(io_bus_init(&W.mmio), 0);
	assert_int_equal(pci_bus_init(&W.bus, &W.pio, &W.mmio, 0xc0000000ull, 0x10000000ull,
				      0xc000, 0x1000), 0);
	assert_int_equal(gsi_router_init(&W.router, &fake_gsi_backend, &W.fake), 0);
	pci_dev_init(&W.dev, &ids);
	assert_int_equal(pci_dev_add_bar(&W.dev, 0, PCI_BAR_MMIO32, 0x4000, false,
					 &msix_bar_ops, &W.msix), 0);
	assert_int_equal(msix_init(&W.msix, &W.dev, &W.router, NVEC, 0, TABLE_OFF, PBA_OFF), 0);
	assert_int_equal(pci_bus_add_dev(&W.bus, &W.dev, -1), 1);
	W.bar = W.dev.bars[0].addr;
	W.cap = pci_dev_find_cap(&W.dev, PCI_CAP_ID_MSIX, 0);
	assert_true(W.cap >= (int)PCI_CAP_START);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pci_bus_destroy(&W.bus);
	msix_destroy(&W.msix);
	/* every unbind was of an eventfd that was bound */
	assert_int_equal(W.fake.bad_deassigns, 0);
	gsi_router_destroy(&W.router);
	io_bus_destroy(&W.pio);
	io_bus_destroy(&W.mmio);
	return 0;
}

static void w32(uint64_t off, uint32_t v)
{
	uint8_t d[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };

	assert_int_equal(io_bus_write(&W.mmio, W.bar + off, d, 4), 0);
}

static uint32_t r32(uint64_t off)
{
	uint8_t d[4];

	assert_int_equal(io_bus_read(&W.mmio, W.bar + off, d, 4), 0);
	return (uint32_t)d[0] | (uint32_t)d[1] << 8 | (uint32_t)d[2] << 16 | (uint32_t)d[3] << 24;
}

static uint64_t entry(unsigned int v, unsigned int field)
{
	return TABLE_OFF + v * PCI_MSIX_ENTRY_SIZE + field;
}

/* Message Control, as the guest writes it: a config write under the bus lock. */
static void msg_ctrl(uint16_t v)
{
	uint8_t d[2] = { (uint8_t)v, (uint8_t)(v >> 8) };

	pthread_mutex_lock(&W.bus.lock);
	pci_dev_config_write(&W.dev, (unsigned int)W.cap + PCI_MSIX_FLAGS, d, 2);
	pthread_mutex_unlock(&W.bus.lock);
}

/* Program vector v's message as Linux does: masked, then address, data. */
static void program(unsigned int v, uint32_t addr, uint32_t data)
{
	w32(entry(v, PCI_MSIX_ENTRY_VECTOR_CTRL), PCI_MSIX_ENTRY_CTRL_MASKBIT);
	w32(entry(v, PCI_MSIX_ENTRY_LOWER_ADDR), addr);
	w32(entry(v, PCI_MSIX_ENTRY_UPPER_ADDR), 0);
	w32(entry(v, PCI_MSIX_ENTRY_DATA), data);
}

static void capability_and_reset_state(void **state)
{
	(void)state;
	assert_int_equal(pci_dev_cfg_get(&W.dev, (unsigned int)W.cap + PCI_MSIX_FLAGS, 2), NVEC - 1);
	assert_int_equal(pci_dev_cfg_get(&W.dev, (unsigned int)W.cap + PCI_MSIX_TABLE, 4), TABLE_OFF | 0);
	assert_int_equal(pci_dev_cfg_get(&W.dev, (unsigned int)W.cap + PCI_MSIX_PBA, 4), PBA_OFF | 0);
	/* Table Size and offsets are read-only; only Enable and Function Mask stick */
	msg_ctrl(0xffff);
	assert_int_equal(pci_dev_cfg_get(&W.dev, (unsigned int)W.cap + PCI_MSIX_FLAGS, 2),
			 PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL | (NVEC - 1));
	assert_true(msix_enabled(&W.msix));
	msg_ctrl(0);
	assert_false(msix_enabled(&W.msix));
	/* every vector starts masked; reserved control bits read 0 */
	for (unsigned int v = 0; v < NVEC; v++)
		assert_int_equal(r32(entry(v, PCI_MSIX_ENTRY_VECTOR_CTRL)), 1);
	w32(entry(1, PCI_MSIX_ENTRY_VECTOR_CTRL), 0xfffffffeu);
	assert_int_equal(r32(entry(1, PCI_MSIX_ENTRY_VECTOR_CTRL)), 0);
	/* one GSI above the irqchip pins and one irqfd per vector */
	assert_int_equal(W.fake.assigns, NVEC);
	for (unsigned int v = 0; v < NVEC; v++) {
		assert_true(W.msix.vec[v].gsi >= (int)GSI_IRQCHIP_PINS);
		assert_int_equal(fake_gsi_bound_gsi(&W.fake, W.msix.vec[v].efd), W.msix.vec[v].gsi);
		for (unsigned int u = 0; u < v; u++)
			assert_int_not_equal(W.msix.vec[u].gsi, W.msix.vec[v].gsi);
	}
	/* disabled: the caller must use INTx; nothing goes pending */
	assert_int_equal(msix_signal(&W.msix, 0), -ENODEV);
	assert_int_equal(r32(PBA_OFF), 0);
	assert_int_equal(msix_signal(&W.msix, NVEC), -EINVAL);
	assert_int_equal(msix_signal(&W.msix, 0xffff), -EINVAL);
	assert_int_equal(W.fake.set_calls, 0);
}

static void programming_routes_and_delivers(void **state)
{
	const struct kvm_irq_routing_entry *e;
	int gsi = W.msix.vec[2].gsi;

	(void)state;
	msg_ctrl(PCI_MSIX_FLAGS_ENABLE);
	program(2, 0xfee01003u, 0x4041); /* address bits 1:0 are dropped */
	assert_int_equal(W.fake.set_calls, 0); /* masked: no commit yet */
	assert_int_equal(r32(entry(2, PCI_MSIX_ENTRY_LOWER_ADDR)), 0xfee01000u);
	assert_int_equal(r32(entry(2, PCI_MSIX_ENTRY_DATA)), 0x4041);
	w32(entry(2, PCI_MSIX_ENTRY_VECTOR_CTRL), 0);
	assert_int_equal(W.fake.set_calls, 1);
	e = fake_gsi_find(&W.fake, (uint32_t)gsi, KVM_IRQ_ROUTING_MSI, 0);
	assert_non_null(e);
	assert_int_equal(e->u.msi.address_lo, 0xfee01000u);
	assert_int_equal(e->u.msi.address_hi, 0);
	assert_int_equal(e->u.msi.data, 0x4041);
	/* KVM's default pin routes are kept: 24 IOAPIC, 16 PIC, plus ours */
	assert_int_equal(W.fake.n, 24 + 16 + 1);
	e = fake_gsi_find(&W.fake, 3, KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQCHIP_PIC_MASTER);
	assert_non_null(e);
	assert_int_equal(e->u.irqchip.pin, 3);
	e = fake_gsi_find(&W.fake, 10, KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQCHIP_PIC_SLAVE);
	assert_non_null(e);
	assert_int_equal(e->u.irqchip.pin, 2);
	e = fake_gsi_find(&W.fake, 23, KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQCHIP_IOAPIC);
	assert_non_null(e);
	assert_int_equal(e->u.irqchip.pin, 23);
	assert_null(fake_gsi_find(&W.fake, 20, KVM_IRQ_ROUTING_IRQCHIP, KVM_IRQCHIP_PIC_MASTER));
	/* signal: the vector's eventfd, once per signal */
	assert_int_equal(msix_signal(&W.msix, 2), 0);
	assert_int_equal(msix_signal(&W.msix, 2), 0);
	assert_int_equal(fake_gsi_take(W.msix.vec[2].efd), 2);
	assert_int_equal(fake_gsi_take(W.msix.vec[0].efd), 0);
	/* unchanged reprogramming commits nothing; a change while unmasked
	 * is followed at once */
	w32(entry(2, PCI_MSIX_ENTRY_DATA), 0x4041);
	assert_int_equal(W.fake.set_calls, 1);
	w32(entry(2, PCI_MSIX_ENTRY_DATA), 0x4042);
	assert_int_equal(W.fake.set_calls, 2);
	assert_int_equal(fake_gsi_find(&W.fake, (uint32_t)gsi, KVM_IRQ_ROUTING_MSI, 0)->u.msi.data, 0x4042);
	/* a second vector adds its route next to the first */
	program(0, 0xfee00000u, 0x4030);
	w32(entry(0, PCI_MSIX_ENTRY_VECTOR_CTRL), 0);
	assert_int_equal(W.fake.n, 24 + 16 + 2);
	/* 8-byte accesses: address and data+control in two qwords */
	{
		uint8_t q[8] = { 0x00, 0x20, 0xe0, 0xfe, 0, 0, 0, 0 };
		uint8_t q2[8] = { 0x50, 0x40, 0, 0, 0, 0, 0, 0 };   /* data 0x4050, unmasked */

		assert_int_equal(io_bus_write(&W.mmio, W.bar + entry(3, 0), q, 8), 0);
		assert_int_equal(io_bus_write(&W.mmio, W.bar + entry(3, 8), q2, 8), 0);
		e = fake_gsi_find(&W.fake, (uint32_t)W.msix.vec[3].gsi, KVM_IRQ_ROUTING_MSI, 0);
		assert_non_null(e);
		assert_int_equal(e->u.msi.address_lo, 0xfee02000u);
		assert_int_equal(e->u.msi.data, 0x4050);
		assert_int_equal(io_bus_read(&W.mmio, W.bar + entry(3, 8), q, 8), 0);
		assert_memory_equal(q, q2, 8);
	}
}

static void mask_pends_and_unmask_delivers(void **state)
{
	int efd = W.msix.vec[1].efd;

	(void)state;
	msg_ctrl(PCI_MSIX_FLAGS_ENABLE);
	program(1, 0xfee00000u, 0x4031);
	/* masked: pending bit instead of a message */
	assert_int_equal(msix_signal(&W.msix, 1), 1);
	assert_int_equal(msix_signal(&W.msix, 1), 1);
	assert_int_equal(fake_gsi_take(efd), 0);
	assert_int_equal(r32(PBA_OFF), 1u << 1);
	/* the PBA is read-only */
	w32(PBA_OFF, 0);
	assert_int_equal(r32(PBA_OFF), 1u << 1);
	assert_true(W.msix.guest_errors > 0);
	/* unmask: one message for what was pending, bit cleared */
	w32(entry(1, PCI_MSIX_ENTRY_VECTOR_CTRL), 0);
	assert_int_equal(fake_gsi_take(efd), 1);
	assert_int_equal(r32(PBA_OFF), 0);
	assert_non_null(fake_gsi_find(&W.fake, (uint32_t)W.msix.vec[1].gsi, KVM_IRQ_ROUTING_MSI, 0));
	/* masking again and unmasking with nothing pending sends nothing */
	w32(entry(1, PCI_MSIX_ENTRY_VECTOR_CTRL), 1);
	w32(entry(1, PCI_MSIX_ENTRY_VECTOR_CTRL), 0);
	assert_int_equal(fake_gsi_take(efd), 0);
	assert_int_equal(msix_signal(&W.msix, 1), 0);
	assert_int_equal(fake_gsi_take(efd), 1);
}

static void function_mask(void **state)
{
	(void)state;
	msg_ctrl(PCI_MSIX_FLAGS_ENABLE);
	program(0, 0xfee00000u, 0x4030);
	program(3, 0xfee00000u, 0x4033);
	w32(entry(0, PCI_MSIX_ENTRY_VECTOR_CTRL), 0);
	/* vector 3 stays masked on its own */
	msg_ctrl(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	assert_int_equal(msix_signal(&W.msix, 0), 1);
	assert_int_equal(msix_signal(&W.msix, 3), 1);
	assert_int_equal(r32(PBA_OFF), (1u << 0) | (1u << 3));
	assert_int_equal(fake_gsi_take(W.msix.vec[0].efd), 0);
	/* the per-vector mask bit reads as written under the function mask */
	assert_int_equal(r32(entry(0, PCI_MSIX_ENTRY_VECTOR_CTRL)), 0);
	/* function unmask: vector 0 fires, vector 3 (still masked) keeps pending */
	msg_ctrl(PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(fake_gsi_take(W.msix.vec[0].efd), 1);
	assert_int_equal(fake_gsi_take(W.msix.vec[3].efd), 0);
	assert_int_equal(r32(PBA_OFF), 1u << 3);
	w32(entry(3, PCI_MSIX_ENTRY_VECTOR_CTRL), 0);
	assert_int_equal(fake_gsi_take(W.msix.vec[3].efd), 1);
	assert_int_equal(r32(PBA_OFF), 0);
	/* disable: signals are refused, the table keeps its contents */
	msg_ctrl(0);
	assert_int_equal(msix_signal(&W.msix, 0), -ENODEV);
	assert_int_equal(r32(entry(3, PCI_MSIX_ENTRY_DATA)), 0x4033);
}

static void route_failure_is_counted(void **state)
{
	(void)state;
	msg_ctrl(PCI_MSIX_FLAGS_ENABLE);
	program(0, 0xfee00000u, 0x4030);
	W.fake.fail_routing = -EINVAL;
	w32(entry(0, PCI_MSIX_ENTRY_VECTOR_CTRL), 0);
	assert_int_equal(W.msix.route_errors, 1);
	assert_int_equal(msix_signal(&W.msix, 0), -EINVAL);
	assert_int_equal(fake_gsi_take(W.msix.vec[0].efd), 0);
	W.fake.fail_routing = 0;
	assert_int_equal(msix_signal(&W.msix, 0), 0);
	assert_int_equal(fake_gsi_take(W.msix.vec[0].efd), 1);
}

static void odd_accesses(void **state)
{
	uint8_t d[8];

	(void)state;
	/* 1- and 2-byte and misaligned accesses: ignored, all-ones, counted */
	assert_int_equal(io_bus_read(&W.mmio, W.bar + entry(0, 0), d, 2), 0);
	assert_memory_equal(d, "\xff\xff", 2);
	assert_int_equal(io_bus_read(&W.mmio, W.bar + entry(0, 4), d, 8), 0);
	assert_memory_equal(d, "\xff\xff\xff\xff\xff\xff\xff\xff", 8);
	assert_int_equal(io_bus_write(&W.mmio, W.bar + entry(0, 12), (const uint8_t *)"\0", 1), 0);
	assert_int_equal(r32(entry(0, 12)), 1);
	assert_int_equal(W.msix.guest_errors, 3);
	/* past the table's end and outside table/PBA: all-ones */
	assert_int_equal(r32(entry(NVEC, 0)), 0xffffffffu);
	assert_int_equal(r32(0), 0xffffffffu);
	assert_int_equal(msix_read(&W.msix, 0x100, d, 4), -ENOENT);
	assert_int_equal(msix_write(&W.msix, 0x100, d, 4), -ENOENT);
}

static void bad_layouts(void **state)
{
	static struct pci_dev d;
	static struct msix m;

	(void)state;
	pci_dev_init(&d, &ids);
	assert_int_equal(pci_dev_add_bar(&d, 0, PCI_BAR_MMIO32, 0x1000, false, &msix_bar_ops, &m), 0);
	assert_int_equal(pci_dev_add_bar(&d, 1, PCI_BAR_IO, 64, false, &msix_bar_ops, &m), 0);
	assert_int_equal(msix_init(&m, &d, &W.router, 0, 0, 0, 0x800), -EINVAL);
	assert_int_equal(msix_init(&m, &d, &W.router, 2049, 0, 0, 0x800), -EINVAL);
	assert_int_equal(msix_init(&m, &d, &W.router, 4, 1, 0, 0x20), -EINVAL);   /* I/O BAR */
	assert_int_equal(msix_init(&m, &d, &W.router, 4, 2, 0, 0x800), -EINVAL);  /* no BAR */
	assert_int_equal(msix_init(&m, &d, &W.router, 4, 0, 4, 0x800), -EINVAL);  /* misaligned */
	assert_int_equal(msix_init(&m, &d, &W.router, 4, 0, 0, 0x38), -EINVAL);   /* overlap */
	assert_int_equal(msix_init(&m, &d, &W.router, 4, 0, 0xff8, 0), -EINVAL);  /* outside */
	assert_int_equal(msix_init(&m, &d, &W.router, 4, 0, 0, 0xffc), -EINVAL);
	assert_int_equal(msix_init(&m, &d, &W.router, 256, 0, 0, 0xff8), -EINVAL);
	/* table and PBA sharing a BAR with nothing between them is fine */
	assert_int_equal(msix_init(&m, &d, &W.router, 4, 0, 0, 0x40), 0);
	msix_destroy(&m);
	assert_int_equal(d.ncaps, 1);
}

/* A vector whose eventfd vhost writes (msix_vector_irqfd): the eventfd is
 * KVM's irqfd only while the vector can fire, so a masked vector sends
 * nothing, and what vhost signalled meanwhile is pending (6.8.2.10). */
static void external_writer_is_masked(void **state)
{
	int efd, gsi;

	(void)state;
	msg_ctrl(PCI_MSIX_FLAGS_ENABLE);
	program(2, 0xfee00000u, 0x4032);
	program(0, 0xfee00000u, 0x4030);
	efd = msix_vector_irqfd(&W.msix, 2);
	gsi = W.msix.vec[2].gsi;
	assert_int_equal(efd, W.msix.vec[2].efd);
	/* masked as handed out: KVM no longer listens to it */
	assert_int_equal(fake_gsi_bound_gsi(&W.fake, efd), -1);
	/* vhost signals: the PBA shows it pending, the count is taken */
	assert_int_equal(eventfd_write(efd, 1), 0);
	assert_int_equal(r32(PBA_OFF), 1u << 2);
	assert_int_equal(fake_gsi_take(efd), 0);
	/* unmask: bound again on a committed route, and the pending message goes */
	w32(entry(2, PCI_MSIX_ENTRY_VECTOR_CTRL), 0);
	assert_int_equal(fake_gsi_bound_gsi(&W.fake, efd), gsi);
	assert_non_null(fake_gsi_find(&W.fake, (uint32_t)gsi, KVM_IRQ_ROUTING_MSI, 0));
	assert_int_equal(fake_gsi_take(efd), 1);
	assert_int_equal(r32(PBA_OFF), 0);
	/* masked again: a signal nobody read yet is sent on unmask */
	w32(entry(2, PCI_MSIX_ENTRY_VECTOR_CTRL), 1);
	assert_int_equal(fake_gsi_bound_gsi(&W.fake, efd), -1);
	assert_int_equal(eventfd_write(efd, 1), 0);
	w32(entry(2, PCI_MSIX_ENTRY_VECTOR_CTRL), 0);
	assert_int_equal(fake_gsi_bound_gsi(&W.fake, efd), gsi);
	assert_int_equal(fake_gsi_take(efd), 1);
	/* nothing signalled while masked: nothing sent on unmask */
	w32(entry(2, PCI_MSIX_ENTRY_VECTOR_CTRL), 1);
	w32(entry(2, PCI_MSIX_ENTRY_VECTOR_CTRL), 0);
	assert_int_equal(fake_gsi_take(efd), 0);
	/* the function mask and MSI-X Enable count as much as the vector's bit */
	msg_ctrl(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	assert_int_equal(fake_gsi_bound_gsi(&W.fake, efd), -1);
	msg_ctrl(PCI_MSIX_FLAGS_ENABLE);
	assert_int_equal(fake_gsi_bound_gsi(&W.fake, efd), gsi);
	msg_ctrl(0);
	assert_int_equal(fake_gsi_bound_gsi(&W.fake, efd), -1);
	/* skiff's own vectors stay bound: msix_signal() masks them itself */
	assert_int_equal(fake_gsi_bound_gsi(&W.fake, W.msix.vec[0].efd), W.msix.vec[0].gsi);
	assert_int_equal(msix_vector_irqfd(&W.msix, NVEC), -EINVAL);
	/* teardown unbinds only what is bound (its bad_deassigns check) */
}

static void destroy_releases(void **state)
{
	static struct pci_dev d;
	static struct msix m;
	unsigned int before = W.fake.deassigns;
	int gsis[2];

	(void)state;
	pci_dev_init(&d, &ids);
	assert_int_equal(pci_dev_add_bar(&d, 0, PCI_BAR_MMIO32, 0x1000, false, &msix_bar_ops, &m), 0);
	assert_int_equal(msix_init(&m, &d, &W.router, 2, 0, 0, 0x800), 0);
	gsis[0] = m.vec[0].gsi;
	gsis[1] = m.vec[1].gsi;
	msix_destroy(&m);
	assert_int_equal(W.fake.deassigns, before + 2);
	/* the GSIs are free again, lowest first */
	assert_int_equal(gsi_alloc(&W.router), gsis[0] < gsis[1] ? gsis[0] : gsis[1]);
}

static void gsi_allocator(void **state)
{
	struct gsi_router r;
	struct fake_gsi *f = &W.fake;
	int n = 0, g;

	(void)state;
	assert_int_equal(gsi_router_init(&r, &fake_gsi_backend, f), 0);
	while ((g = gsi_alloc(&r)) >= 0) {
		assert_true(g >= (int)GSI_IRQCHIP_PINS && g < (int)GSI_MAX);
		n++;
	}
	assert_int_equal(g, -ENOSPC);
	assert_int_equal(n, GSI_MAX - GSI_IRQCHIP_PINS);
	/* pins cannot be routed as MSIs or freed */
	assert_int_equal(gsi_set_msi(&r, 5, 0xfee00000u, 0), -EINVAL);
	gsi_free(&r, 5);
	assert_int_equal(gsi_alloc(&r), -ENOSPC);
	/* freeing a routed GSI drops its route from the next table */
	f->set_calls = 0;
	assert_int_equal(gsi_set_msi(&r, 100, 0xfee00000u, 0x41), 0);
	assert_non_null(fake_gsi_find(f, 100, KVM_IRQ_ROUTING_MSI, 0));
	gsi_free(&r, 100);
	assert_int_equal(f->set_calls, 2);
	assert_null(fake_gsi_find(f, 100, KVM_IRQ_ROUTING_MSI, 0));
	assert_int_equal(gsi_set_msi(&r, 100, 0xfee00000u, 0x41), -EINVAL);
	assert_int_equal(gsi_alloc(&r), 100);
	/* a refused commit leaves the old route */
	assert_int_equal(gsi_set_msi(&r, 100, 0xfee00000u, 0x41), 0);
	f->fail_routing = -ENOMEM;
	assert_int_equal(gsi_set_msi(&r, 100, 0xfee00000u, 0x42), -ENOMEM);
	f->fail_routing = 0;
	assert_int_equal(r.msi[100].data, 0x41);
	gsi_router_destroy(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(capability_and_reset_state, setup, teardown),
		cmocka_unit_test_setup_teardown(programming_routes_and_delivers, setup, teardown),
		cmocka_unit_test_setup_teardown(mask_pends_and_unmask_delivers, setup, teardown),
		cmocka_unit_test_setup_teardown(function_mask, setup, teardown),
		cmocka_unit_test_setup_teardown(route_failure_is_counted, setup, teardown),
		cmocka_unit_test_setup_teardown(odd_accesses, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_layouts, setup, teardown),
		cmocka_unit_test_setup_teardown(external_writer_is_masked, setup, teardown),
		cmocka_unit_test_setup_teardown(destroy_releases, setup, teardown),
		cmocka_unit_test_setup_teardown(gsi_allocator, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
