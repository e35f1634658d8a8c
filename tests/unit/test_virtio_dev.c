/* Unit tests: the virtio device core (virtio/device.c) with a small test
 * device, driven through the transport-side calls like virtio-pci would. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "support/virtio_driver.h"
#include "virtio/device.h"
#include "virtio/state.h"

#define F_V1       (1ULL << VIRTIO_F_VERSION_1)
#define F_INDIRECT (1ULL << VIRTIO_RING_F_INDIRECT_DESC)
#define F_EVENT    (1ULL << VIRTIO_RING_F_EVENT_IDX)
#define F_IN_ORDER (1ULL << VIRTIO_F_IN_ORDER)
#define F_DEV0     (1ULL << 0)    /* a device-specific bit */

#define S_ACK VIRTIO_CONFIG_S_ACKNOWLEDGE
#define S_DRV VIRTIO_CONFIG_S_DRIVER
#define S_FOK VIRTIO_CONFIG_S_FEATURES_OK
#define S_DOK VIRTIO_CONFIG_S_DRIVER_OK
#define S_NR  VIRTIO_CONFIG_S_NEEDS_RESET

/* Test device: two queues. Queue 0 completes each chain by writing 0xab
 * into its writable bytes; with hold set it keeps one chain in flight
 * instead (to reset mid-request). 8 bytes of config space. */
struct tdev {
	struct virtio_dev d;
	uint8_t config[8];
	unsigned int activations, resets, notifies;
	int activate_ret;
	bool hold;
	bool holding;
	struct virtq_chain held;
	uint32_t blob;   /* device state saved and restored */
};

static uint64_t tdev_features(struct virtio_dev *d)
{
	(void)d;
	return F_DEV0;
}

static void tdev_config_read(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len)
{
	memcpy(buf, ((struct tdev *)d)->config + off, len);
}

static void tdev_config_write(struct virtio_dev *d, uint32_t off, const void *buf, uint32_t len)
{
	memcpy(((struct tdev *)d)->config + off, buf, len);
}

static int tdev_activate(struct virtio_dev *d)
{
	struct tdev *t = (struct tdev *)d;

	t->activations++;
	return t->activate_ret;
}

static void tdev_reset(struct virtio_dev *d)
{
	struct tdev *t = (struct tdev *)d;

	t->resets++;
	t->holding = false;   /* drop in-flight work, complete nothing */
}

static void tdev_notify(struct virtio_dev *d, uint16_t q)
{
	struct tdev *t = (struct tdev *)d;
	struct virtq *vq = &d->queues[q];
	struct virtq_seg segs[16];
	struct virtq_chain c;
	int r;

	t->notifies++;
	while ((r = virtq_pop(vq, segs, 16, &c)) > 0) {
		if (t->hold) {
			t->held = c;
			t->holding = true;
			return;
		}
		for (unsigned int i = c.nreadable; i < c.nsegs; i++)
			memset(segs[i].addr, 0xab, segs[i].len);
		virtq_push(vq, &c, c.writable_len);
	}
	virtq_flush(vq);
	virtio_dev_signal_queue(d, q);
	if (r < 0)
		virtio_dev_needs_reset(d);
}

static int tdev_save(struct virtio_dev *d, void *buf, size_t *len)
{
	if (*len < sizeof(uint32_t))
		return -ENOSPC;
	memcpy(buf, &((struct tdev *)d)->blob, sizeof(uint32_t));
	*len = sizeof(uint32_t);
	return 0;
}

static int tdev_restore(struct virtio_dev *d, const void *buf, size_t len)
{
	if (len != sizeof(uint32_t))
		return -EINVAL;
	memcpy(&((struct tdev *)d)->blob, buf, len);
	return 0;
}

static const struct virtio_dev_ops tdev_ops = {
	.name = "test",
	.device_id = 42,
	.num_queues = 2,
	.queue_max_size = 64,
	.config_size = 8,
	.features = tdev_features,
	.config_read = tdev_config_read,
	.config_write = tdev_config_write,
	.activate = tdev_activate,
	.reset = tdev_reset,
	.queue_notify = tdev_notify,
	.save = tdev_save,
	.restore = tdev_restore,
};

struct fx {
	struct vdrv_mem m;
	struct tdev t;
	struct vdrv v;
};

static struct fx *fx_new(void)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(vdrv_mem_init(&f->m, 0), 0);
	assert_int_equal(virtio_dev_init(&f->t.d, &tdev_ops, &f->m.mem, NULL), 0);
	vdrv_attach(&f->v, &f->t.d, &f->m);
	return f;
}

static void fx_free(struct fx *f)
{
	virtio_dev_destroy(&f->t.d);
	vdrv_mem_destroy(&f->m);
	free(f);
}

/* Queue one writable buffer of len on queue q and kick. */
static uint16_t request(struct fx *f, uint16_t q, uint32_t len)
{
	struct vdrv_buf b = { vdrv_alloc(&f->m, len), len, true };
	int head = vdrv_add(&f->v.rings[q], &b, 1, false);

	assert_true(head >= 0);
	vdrv_publish(&f->v.rings[q], (uint16_t)head);
	vdrv_kick(&f->v, q);
	return (uint16_t)head;
}

static void bad_ops_refused(void **state)
{
	struct virtio_dev d;
	struct virtio_dev_ops ops = tdev_ops;

	(void)state;
	ops.queue_max_size = 48;
	assert_int_equal(virtio_dev_init(&d, &ops, NULL, NULL), -EINVAL);
	ops = tdev_ops;
	ops.num_queues = VIRTIO_MAX_QUEUES + 1;
	assert_int_equal(virtio_dev_init(&d, &ops, NULL, NULL), -EINVAL);
	ops = tdev_ops;
	ops.features = NULL;
	assert_int_equal(virtio_dev_init(&d, &ops, NULL, NULL), -EINVAL);
}

static void features_offered(void **state)
{
	struct fx *f = fx_new();
	struct virtio_dev_ops ops = tdev_ops;
	struct virtio_dev d2;

	(void)state;
	assert_int_equal(vdrv_device_features(&f->v),
			 F_V1 | F_IN_ORDER | F_EVENT | F_INDIRECT | F_DEV0);
	f->t.d.device_feature_select = 2;
	assert_int_equal(virtio_dev_read_device_features(&f->t.d), 0);
	/* A device can mask the core's defaults, but not VERSION_1. */
	ops.features_mask = F_IN_ORDER | F_V1;
	assert_int_equal(virtio_dev_init(&d2, &ops, &f->m.mem, NULL), 0);
	assert_int_equal(d2.device_features, F_V1 | F_EVENT | F_INDIRECT | F_DEV0);
	virtio_dev_destroy(&d2);
	fx_free(f);
}

static void negotiation(void **state)
{
	struct fx *f = fx_new();
	struct virtio_dev *d = &f->t.d;

	(void)state;
	assert_int_equal(vdrv_negotiate(&f->v, F_V1 | F_EVENT), S_ACK | S_DRV | S_FOK);
	d->driver_feature_select = 1;
	assert_int_equal(virtio_dev_read_driver_features(d), F_V1 >> 32);
	assert_true(virtio_dev_has_feature(d, VIRTIO_RING_F_EVENT_IDX));
	assert_false(virtio_dev_has_feature(d, VIRTIO_F_IN_ORDER));
	assert_false(virtio_dev_has_feature(d, 99));
	/* Features are fixed after FEATURES_OK. */
	d->driver_feature_select = 0;
	virtio_dev_write_driver_features(d, 0);
	assert_true(virtio_dev_has_feature(d, VIRTIO_RING_F_EVENT_IDX));
	assert_int_equal(atomic_load(&d->guest_errors), 0);
	virtio_dev_write_driver_features(d, 1);
	assert_int_equal(atomic_load(&d->guest_errors), 1);

	/* Refused: a bit not offered; no VERSION_1. */
	assert_int_equal(vdrv_negotiate(&f->v, F_V1 | (1ULL << 50)), S_ACK | S_DRV);
	assert_int_equal(vdrv_negotiate(&f->v, F_EVENT), S_ACK | S_DRV);
	/* Refused: FEATURES_OK (and DRIVER_OK with it) before DRIVER. */
	virtio_dev_write_status(d, 0);
	virtio_dev_write_status(d, S_ACK | S_FOK | S_DOK);
	assert_int_equal(virtio_dev_read_status(d), S_ACK);
	assert_int_equal(f->t.activations, 0);
	fx_free(f);
}

static void status_machine(void **state)
{
	struct fx *f = fx_new();
	struct virtio_dev *d = &f->t.d;

	(void)state;
	/* DRIVER_OK without FEATURES_OK is ignored and counted. */
	virtio_dev_write_status(d, S_ACK | S_DRV | S_DOK);
	assert_int_equal(virtio_dev_read_status(d), S_ACK | S_DRV);
	assert_int_equal(atomic_load(&d->guest_errors), 1);
	/* The driver cannot set NEEDS_RESET itself. */
	virtio_dev_write_status(d, S_ACK | S_DRV | S_NR);
	assert_int_equal(virtio_dev_read_status(d), S_ACK | S_DRV);

	assert_int_equal(vdrv_bring_up(&f->v, F_V1, 16), S_ACK | S_DRV | S_FOK | S_DOK);
	assert_int_equal(f->t.activations, 1);
	assert_true(d->queues[0].started);
	assert_true(d->queues[1].started);
	/* Clearing a bit other than by writing 0 is ignored and counted. */
	virtio_dev_write_status(d, S_ACK | S_DRV | S_DOK);
	assert_int_equal(virtio_dev_read_status(d), S_ACK | S_DRV | S_FOK | S_DOK);
	assert_int_equal(atomic_load(&d->guest_errors), 2);
	/* Writing DRIVER_OK again does not activate twice. */
	virtio_dev_write_status(d, S_ACK | S_DRV | S_FOK | S_DOK);
	assert_int_equal(f->t.activations, 1);

	/* Reset: everything back, ops->reset called. */
	d->queues[0].msix_vector = 3;
	virtio_dev_write_status(d, 0);
	assert_int_equal(f->t.resets, 2);   /* negotiate's reset, and this one */
	assert_int_equal(virtio_dev_read_status(d), 0);
	assert_int_equal(d->driver_features, 0);
	assert_false(d->queues[0].ready);
	assert_false(d->queues[0].started);
	assert_int_equal(d->queues[0].size, 64);
	assert_int_equal(d->queues[0].msix_vector, 0xffff);
	assert_int_equal(d->queues[0].desc_gpa, 0);
	fx_free(f);
}

static void activation_failures(void **state)
{
	struct fx *f = fx_new();
	struct virtio_dev *d = &f->t.d;

	(void)state;
	f->t.activate_ret = -ENOMEM;
	assert_int_equal(vdrv_bring_up(&f->v, F_V1, 16),
			 S_ACK | S_DRV | S_FOK | S_DOK | S_NR);
	assert_int_equal(f->v.tr.config_irqs, 1);

	/* A ring outside RAM: the device never activates. */
	f->t.activate_ret = 0;
	f->t.activations = 0;
	vdrv_negotiate(&f->v, F_V1);
	vdrv_setup_queue(&f->v, 0, 16);
	d->queues[0].used_gpa = VDRV_RAM;
	assert_int_equal(vdrv_driver_ok(&f->v), S_ACK | S_DRV | S_FOK | S_DOK | S_NR);
	assert_int_equal(f->t.activations, 0);
	/* Only a reset clears NEEDS_RESET. */
	virtio_dev_write_status(d, S_ACK | S_DRV | S_FOK | S_DOK);
	assert_true(virtio_dev_read_status(d) & S_NR);
	virtio_dev_write_status(d, 0);
	assert_int_equal(virtio_dev_read_status(d), 0);
	fx_free(f);
}

static void config_space(void **state)
{
	struct fx *f = fx_new();
	struct virtio_dev *d = &f->t.d;
	uint8_t buf[16];

	(void)state;
	memcpy(f->t.config, "\x01\x02\x03\x04\x05\x06\x07\x08", 8);
	virtio_dev_config_read(d, 4, buf, 8);   /* half in range */
	assert_memory_equal(buf, "\x05\x06\x07\x08\0\0\0\0", 8);
	memset(buf, 0xff, sizeof(buf));
	virtio_dev_config_read(d, 8, buf, 4);
	assert_memory_equal(buf, "\0\0\0\0", 4);
	virtio_dev_config_read(d, UINT32_MAX, buf, 4);   /* no wrap-around */
	assert_memory_equal(buf, "\0\0\0\0", 4);
	assert_int_equal(atomic_load(&d->guest_errors), 0);

	virtio_dev_config_write(d, 6, "\xaa\xbb\xcc\xdd", 4);
	assert_memory_equal(f->t.config, "\x01\x02\x03\x04\x05\x06\xaa\xbb", 8);
	assert_int_equal(atomic_load(&d->guest_errors), 1);
	virtio_dev_config_write(d, UINT32_MAX - 1, "\xaa\xbb\xcc\xdd", 4);
	assert_memory_equal(f->t.config, "\x01\x02\x03\x04\x05\x06\xaa\xbb", 8);
	assert_int_equal(atomic_load(&d->guest_errors), 2);

	/* Device-side change: generation bumps; interrupt only once live. */
	virtio_dev_config_changed(d);
	assert_int_equal(d->config_generation, 1);
	assert_int_equal(f->v.tr.config_irqs, 0);
	vdrv_bring_up(&f->v, F_V1, 16);
	virtio_dev_config_changed(d);
	assert_int_equal(d->config_generation, 2);
	assert_int_equal(f->v.tr.config_irqs, 1);
	assert_int_equal(virtio_dev_read_isr(d), 2);
	assert_int_equal(virtio_dev_read_isr(d), 0);   /* read clears */
	fx_free(f);
}

static void notify_dispatch(void **state)
{
	struct fx *f = fx_new();
	struct virtio_dev *d = &f->t.d;
	uint16_t id;
	uint32_t len;

	(void)state;
	vdrv_kick(&f->v, 0);   /* not live: ignored */
	assert_int_equal(f->t.notifies, 0);
	vdrv_bring_up(&f->v, F_V1, 16);
	vdrv_kick(&f->v, 5);   /* no such queue */
	vdrv_kick(&f->v, VIRTIO_MAX_QUEUES + 3);
	assert_int_equal(f->t.notifies, 0);
	uint16_t h = request(f, 0, 32);
	assert_int_equal(f->t.notifies, 1);
	assert_int_equal(vdrv_get_used(&f->v.rings[0], &id, &len), 1);
	assert_int_equal(id, h);
	assert_int_equal(len, 32);
	assert_int_equal(f->v.tr.queue_irqs[0], 1);
	assert_int_equal(virtio_dev_read_isr(d), 1);

	/* A queue the driver left disabled is not served. */
	vdrv_negotiate(&f->v, F_V1);
	vdrv_setup_queue(&f->v, 0, 16);
	vdrv_driver_ok(&f->v);
	f->t.notifies = 0;
	vdrv_kick(&f->v, 1);
	assert_int_equal(f->t.notifies, 0);
	fx_free(f);
}

static void malformed_ring_needs_reset(void **state)
{
	struct fx *f = fx_new();
	struct virtio_dev *d = &f->t.d;

	(void)state;
	vdrv_bring_up(&f->v, F_V1, 16);
	vdrv_set_desc(&f->v.rings[0], 0, 0x1000, 8, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 0);
	vdrv_publish(&f->v.rings[0], 0);
	vdrv_kick(&f->v, 0);
	assert_true(virtio_dev_read_status(d) & S_NR);
	assert_int_equal(f->v.tr.config_irqs, 1);
	assert_int_equal(atomic_load(&d->guest_errors), 1);
	/* Stopped until reset: further kicks do nothing. */
	vdrv_kick(&f->v, 0);
	assert_int_equal(f->t.notifies, 1);
	/* Reset and bring up again: works. */
	vdrv_bring_up(&f->v, F_V1, 16);
	request(f, 0, 8);
	assert_int_equal(vdrv_used_idx(&f->v.rings[0]), 1);
	fx_free(f);
}

static void reset_mid_request(void **state)
{
	struct fx *f = fx_new();
	struct virtio_dev *d = &f->t.d;

	(void)state;
	vdrv_bring_up(&f->v, F_V1 | F_IN_ORDER, 16);
	f->t.hold = true;
	request(f, 0, 8);
	assert_true(f->t.holding);
	virtio_dev_write_status(d, 0);
	assert_false(f->t.holding);   /* the device dropped it */
	assert_int_equal(vdrv_used_idx(&f->v.rings[0]), 0);   /* completed nothing */
	assert_int_equal(d->queues[0].last_avail_idx, 0);
	assert_int_equal(d->queues[0].next_head, 0);
	/* The driver starts over on fresh rings. */
	f->t.hold = false;
	vdrv_bring_up(&f->v, F_V1 | F_IN_ORDER, 16);
	uint16_t h = request(f, 0, 8);
	assert_int_equal(h, 0);
	assert_int_equal(vdrv_used_idx(&f->v.rings[0]), 1);
	assert_int_equal(vdrv_used_elem(&f->v.rings[0], 0).id, 0);
	fx_free(f);
}

static void signal_suppression(void **state)
{
	struct fx *f = fx_new();

	(void)state;
	vdrv_bring_up(&f->v, F_V1, 16);
	request(f, 0, 8);
	assert_int_equal(f->v.tr.queue_irqs[0], 1);
	vdrv_set_avail_flags(&f->v.rings[0], VRING_AVAIL_F_NO_INTERRUPT);
	request(f, 0, 8);
	assert_int_equal(f->v.tr.queue_irqs[0], 1);

	vdrv_bring_up(&f->v, F_V1 | F_EVENT, 16);
	request(f, 0, 8);
	assert_int_equal(f->v.tr.queue_irqs[0], 2);
	vdrv_set_used_event(&f->v.rings[0], 2);
	request(f, 0, 8);   /* used idx 2: entry 1 is not the one asked for */
	assert_int_equal(f->v.tr.queue_irqs[0], 2);
	request(f, 0, 8);   /* entry 2 used */
	assert_int_equal(f->v.tr.queue_irqs[0], 3);
	/* Signalling with nothing new does nothing. */
	virtio_dev_signal_queue(&f->t.d, 0);
	virtio_dev_signal_queue(&f->t.d, 9);
	assert_int_equal(f->v.tr.queue_irqs[0], 3);
	fx_free(f);
}

static void save_restore_round_trip(void **state)
{
	struct fx *f = fx_new(), *g;
	struct virtio_dev_state *s = calloc(1, sizeof(*s)), *s2 = calloc(1, sizeof(*s2));
	struct virtio_dev *d = &f->t.d;
	uint16_t id;
	uint32_t len;

	(void)state;
	vdrv_bring_up(&f->v, F_V1 | F_IN_ORDER | F_EVENT, 16);
	d->queues[1].msix_vector = 7;
	for (int i = 0; i < 5; i++)
		request(f, 0, 8);
	f->t.blob = 0xfeedf00d;
	assert_int_equal(virtio_dev_save(d, s), 0);
	assert_int_equal(s->blob_len, 4);

	/* A second device on the same guest memory takes over. */
	g = calloc(1, sizeof(*g));
	assert_non_null(g);
	g->m = f->m;
	assert_int_equal(virtio_dev_init(&g->t.d, &tdev_ops, &g->m.mem, NULL), 0);
	assert_int_equal(virtio_dev_restore(&g->t.d, s), 0);
	assert_int_equal(g->t.blob, 0xfeedf00d);
	assert_int_equal(g->t.activations, 1);
	assert_int_equal(virtio_dev_save(&g->t.d, s2), 0);
	assert_memory_equal(s, s2, sizeof(*s));
	assert_int_equal(g->t.d.queues[0].last_avail_idx, 5);
	assert_int_equal(g->t.d.queues[0].next_head, 5);
	assert_int_equal(g->t.d.queues[1].msix_vector, 7);

	/* The driver carries on against the restored device. */
	for (int i = 0; i < 5; i++)
		assert_int_equal(vdrv_get_used(&f->v.rings[0], &id, &len), 1);
	f->v.d = &g->t.d;
	g->t.d.transport = f->v.tr.t;
	uint16_t h = request(f, 0, 8);
	assert_int_equal(h, 5);
	assert_int_equal(vdrv_get_used(&f->v.rings[0], &id, &len), 1);
	assert_int_equal(id, 5);
	assert_int_equal(vdrv_used_idx(&f->v.rings[0]), 6);

	/* Bad records are refused and change nothing. */
	*s2 = *s;
	s2->magic ^= 1;
	assert_int_equal(virtio_dev_restore(&g->t.d, s2), -EINVAL);
	*s2 = *s;
	s2->device_id = 1;
	assert_int_equal(virtio_dev_restore(&g->t.d, s2), -EINVAL);
	*s2 = *s;
	s2->queues[1].size = 24;
	assert_int_equal(virtio_dev_restore(&g->t.d, s2), -EINVAL);
	*s2 = *s;
	s2->driver_features |= 1ULL << 50;
	assert_int_equal(virtio_dev_restore(&g->t.d, s2), -EINVAL);
	*s2 = *s;
	s2->blob_len = VIRTIO_DEV_STATE_BLOB_MAX + 1;
	assert_int_equal(virtio_dev_restore(&g->t.d, s2), -EINVAL);
	assert_int_equal(g->t.d.queues[0].last_avail_idx, 6);
	/* A ring address outside RAM: refused, device left reset. */
	*s2 = *s;
	s2->queues[0].desc_gpa = VDRV_RAM;
	assert_int_equal(virtio_dev_restore(&g->t.d, s2), -EINVAL);
	assert_int_equal(virtio_dev_read_status(&g->t.d), 0);

	virtio_dev_destroy(&g->t.d);
	free(g);
	free(s);
	free(s2);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_ops_refused),
		cmocka_unit_test(features_offered),
		cmocka_unit_test(negotiation),
		cmocka_unit_test(status_machine),
		cmocka_unit_test(activation_failures),
		cmocka_unit_test(config_space),
		cmocka_unit_test(notify_dispatch),
		cmocka_unit_test(malformed_ring_needs_reset),
		cmocka_unit_test(reset_mid_request),
		cmocka_unit_test(signal_suppression),
		cmocka_unit_test(save_restore_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
