/* Unit tests: the virtio-pci modern transport (spec 4.1) around a
 * virtio-rng device, with a recording GSI backend instead of KVM. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <cmocka.h>
#include <linux/virtio_pci.h>

#include "devices/virtio_rng.h"
#include "support/fake_gsi.h"
#include "support/virtio_driver.h"
#include "virtio/pci.h"

#define CC(field) offsetof(struct virtio_pci_common_cfg, field)

struct fx {
	struct fake_gsi fake;
	struct gsi_router router;
	struct vdrv_mem m;
	struct virtio_rng *rng;
	struct virtio_pci t;
};

static int setup(void **state)
{
	static struct fx f;

	memset(&f, 0, sizeof(f));
	assert_int_equal(gsi_router_init(&f.router, &fake_gsi_backend, &f.fake), 0);
	assert_int_equal(vdrv_mem_init(&f.m, 0), 0);
	assert_int_equal(virtio_rng_create(&f.m.mem, NULL, &f.rng), 0);
	assert_int_equal(virtio_pci_init(&f.t, &f.rng->dev, &f.router, NULL, NULL), 0);
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	virtio_pci_destroy(&f->t);
	virtio_rng_destroy(f->rng);
	vdrv_mem_destroy(&f->m);
	gsi_router_destroy(&f->router);
	return 0;
}

static uint32_t rd(struct fx *f, uint64_t off, uint32_t len)
{
	uint32_t v = 0;

	f->t.pci.bars[0].ops->read(f->t.pci.bars[0].opaque, off, (uint8_t *)&v, len);
	return v;
}

static void wr(struct fx *f, uint64_t off, uint32_t v, uint32_t len)
{
	f->t.pci.bars[0].ops->write(f->t.pci.bars[0].opaque, off, (uint8_t *)&v, len);
}

static void identity_and_caps(void **state)
{
	struct fx *f = *state;
	int types = 0, off = 0;

	assert_int_equal(pci_dev_cfg_get(&f->t.pci, PCI_VENDOR_ID, 2), 0x1af4);
	assert_int_equal(pci_dev_cfg_get(&f->t.pci, PCI_DEVICE_ID, 2), 0x1040 + 4);
	assert_true(pci_dev_cfg_get(&f->t.pci, PCI_REVISION_ID, 1) >= 1);
	/* the vendor capabilities of spec 4.1.4, each pointing into BAR 0 */
	while ((off = pci_dev_find_cap(&f->t.pci, PCI_CAP_ID_VNDR, (unsigned int)off)) > 0) {
		uint8_t type = (uint8_t)pci_dev_cfg_get(&f->t.pci, (unsigned int)off + 3, 1);

		types |= 1 << type;
		if (type != VIRTIO_PCI_CAP_PCI_CFG)
			assert_int_equal(pci_dev_cfg_get(&f->t.pci, (unsigned int)off + 4, 1), 0);
	}
	/* virtio-rng has no device config, so no DEVICE_CFG (type 4) */
	assert_int_equal(types, (1 << 1) | (1 << 2) | (1 << 3) | (1 << 5));
	assert_true(pci_dev_find_cap(&f->t.pci, PCI_CAP_ID_MSIX, 0) > 0);
}

static void common_config(void **state)
{
	struct fx *f = *state;

	/* features across the two 32-bit halves; VERSION_1 is bit 32 */
	wr(f, CC(device_feature_select), 1, 4);
	assert_true(rd(f, CC(device_feature), 4) & 1);
	assert_int_equal(rd(f, CC(num_queues), 2), 1);
	/* vectors start as NO_VECTOR (4.1.4.3) */
	assert_int_equal(rd(f, CC(msix_config), 2), VIRTIO_MSI_NO_VECTOR);
	assert_int_equal(rd(f, CC(queue_msix_vector), 2), VIRTIO_MSI_NO_VECTOR);
	/* queue size: a power of two up to the maximum, else ignored */
	assert_int_equal(rd(f, CC(queue_size), 2), VIRTIO_RNG_QUEUE_SIZE);
	wr(f, CC(queue_size), 100, 2);
	assert_int_equal(rd(f, CC(queue_size), 2), VIRTIO_RNG_QUEUE_SIZE);
	wr(f, CC(queue_size), 64, 2);
	assert_int_equal(rd(f, CC(queue_size), 2), 64);
	/* a 64-bit address written as two halves */
	wr(f, CC(queue_desc_lo), 0x12345000, 4);
	wr(f, CC(queue_desc_hi), 0x1, 4);
	assert_int_equal(f->rng->dev.queues[0].desc_gpa, 0x112345000ULL);
	/* a queue_select beyond the queues reads as size 0 */
	wr(f, CC(queue_select), 5, 2);
	assert_int_equal(rd(f, CC(queue_size), 2), 0);
	wr(f, CC(queue_size), 64, 2); /* ignored, counted */
	assert_true(f->t.guest_errors > 0);
	/* status write 0 resets, vectors back to NO_VECTOR */
	wr(f, CC(queue_select), 0, 2);
	wr(f, CC(queue_msix_vector), 0, 2);
	wr(f, CC(msix_config), 1, 2);
	wr(f, CC(device_status), VIRTIO_CONFIG_S_ACKNOWLEDGE, 1);
	assert_int_equal(rd(f, CC(device_status), 1), VIRTIO_CONFIG_S_ACKNOWLEDGE);
	wr(f, CC(device_status), 0, 1);
	assert_int_equal(rd(f, CC(device_status), 1), 0);
	assert_int_equal(rd(f, CC(msix_config), 2), VIRTIO_MSI_NO_VECTOR);
	assert_int_equal(rd(f, CC(queue_msix_vector), 2), VIRTIO_MSI_NO_VECTOR);
}

static void enabled_queue_is_frozen(void **state)
{
	struct fx *f = *state;
	unsigned long before;

	wr(f, CC(queue_select), 0, 2);
	wr(f, CC(queue_size), 64, 2);
	wr(f, CC(queue_enable), 1, 2);
	assert_int_equal(rd(f, CC(queue_enable), 2), 1);
	before = f->t.guest_errors;
	wr(f, CC(queue_size), 32, 2);
	wr(f, CC(queue_desc_lo), 0x5000, 4);
	wr(f, CC(queue_enable), 0, 2); /* 0 may not be written without RING_RESET */
	assert_int_equal(rd(f, CC(queue_size), 2), 64);
	assert_int_equal(rd(f, CC(queue_enable), 2), 1);
	assert_int_equal(f->t.guest_errors, before + 3);
}

static void notify_and_isr(void **state)
{
	struct fx *f = *state;

	/* without ioeventfd the MMIO write hands the kick to the queue's eventfd */
	wr(f, VIRTIO_PCI_NOTIFY_OFF, 0, 2);
	assert_int_equal(fake_gsi_take(f->t.kicks[0].efd), 1);
	wr(f, VIRTIO_PCI_NOTIFY_OFF + 4 * 7, 0, 2); /* no such queue */
	assert_true(f->t.guest_errors > 0);
	/* a config interrupt sets ISR bit 1; reading ISR clears it (4.1.4.5) */
	f->rng->dev.transport.signal_config(f->rng->dev.transport.ctx);
	assert_int_equal(rd(f, VIRTIO_PCI_ISR_OFF, 1) & VIRTIO_PCI_ISR_CONFIG, VIRTIO_PCI_ISR_CONFIG);
	assert_int_equal(rd(f, VIRTIO_PCI_ISR_OFF, 1), 0);
	/* MSI-X is disabled until the driver enables it: the signal is lost, counted */
	assert_true(f->t.lost_interrupts >= 1);
}

/* The PCI_CFG capability gives access to BAR 0 through config space. */
static void pci_cfg_window(void **state)
{
	struct fx *f = *state;
	unsigned int cap = f->t.cfg_cap_off;
	uint8_t v[4] = { 0 };
	uint32_t x;

	pci_dev_cfg_set(&f->t.pci, cap + offsetof(struct virtio_pci_cap, bar), 0, 1);
	pci_dev_cfg_set(&f->t.pci, cap + offsetof(struct virtio_pci_cap, offset), CC(num_queues), 4);
	pci_dev_cfg_set(&f->t.pci, cap + offsetof(struct virtio_pci_cap, length), 2, 4);
	pci_dev_config_read(&f->t.pci, cap + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data), v, 4);
	memcpy(&x, v, 4);
	assert_int_equal(x & 0xffff, 1);
	/* a bad length is refused and counted */
	pci_dev_cfg_set(&f->t.pci, cap + offsetof(struct virtio_pci_cap, length), 3, 4);
	pci_dev_config_read(&f->t.pci, cap + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data), v, 4);
	assert_true(f->t.guest_errors > 0);
}

/* A vhost backend takes a queue over: it gets the queue's kick eventfd
 * and its vector's irqfd, and kicks stop reaching the event loop until the
 * queue is reclaimed. */
static void queue_offload_and_reclaim(void **state)
{
	struct fx *f = *state;
	struct event_loop loop;
	struct virtio_pci t;
	int kick = -1, call = -1;

	/* a transport of its own, on a real event loop, in place of the fixture's */
	virtio_pci_destroy(&f->t);
	assert_int_equal(event_loop_init(&loop), 0);
	assert_int_equal(virtio_pci_init(&t, &f->rng->dev, &f->router, &loop, NULL), 0);
	/* without an MSI-X vector the backend could not interrupt the driver */
	assert_int_equal(virtio_dev_queue_offload(&f->rng->dev, 0, &kick, &call), -ENXIO);
	assert_int_equal(virtio_dev_queue_offload(&f->rng->dev, 1, &kick, &call), -EINVAL);
	f->rng->dev.queues[0].msix_vector = 1;
	assert_int_equal(virtio_dev_queue_offload(&f->rng->dev, 0, &kick, &call), 0);
	assert_int_equal(kick, t.kicks[0].efd);
	assert_int_equal(call, t.msix.vec[1].efd);
	assert_int_not_equal(call, -1);
	/* a kick now waits in the eventfd for the backend, no handler runs */
	assert_int_equal(eventfd_write(kick, 1), 0);
	assert_int_equal(event_loop_run_once(&loop, 0), 0);
	/* offloading twice is harmless */
	assert_int_equal(virtio_dev_queue_offload(&f->rng->dev, 0, &kick, &call), 0);
	/* reclaimed: the loop serves the kick (and the one left pending) again */
	virtio_dev_queue_reclaim(&f->rng->dev, 0);
	assert_int_equal(event_loop_run_once(&loop, 0), 1);
	assert_int_equal(eventfd_write(kick, 1), 0);
	assert_int_equal(event_loop_run_once(&loop, 0), 1);
	virtio_pci_destroy(&t);
	event_loop_destroy(&loop);
	/* put the fixture's transport back for teardown */
	assert_int_equal(virtio_pci_init(&f->t, &f->rng->dev, &f->router, NULL, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(identity_and_caps, setup, teardown),
		cmocka_unit_test_setup_teardown(common_config, setup, teardown),
		cmocka_unit_test_setup_teardown(enabled_queue_is_frozen, setup, teardown),
		cmocka_unit_test_setup_teardown(notify_and_isr, setup, teardown),
		cmocka_unit_test_setup_teardown(pci_cfg_window, setup, teardown),
		cmocka_unit_test_setup_teardown(queue_offload_and_reclaim, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
