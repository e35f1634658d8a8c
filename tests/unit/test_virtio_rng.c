/* Unit tests: virtio-rng (devices/virtio_rng.c) through the device core,
 * driven from the guest side in fake memory. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <linux/virtio_ids.h>

#include "devices/virtio_rng.h"
#include "support/virtio_driver.h"

#define F_V1       (1ULL << VIRTIO_F_VERSION_1)
#define F_INDIRECT (1ULL << VIRTIO_RING_F_INDIRECT_DESC)
#define F_EVENT    (1ULL << VIRTIO_RING_F_EVENT_IDX)
#define F_IN_ORDER (1ULL << VIRTIO_F_IN_ORDER)
#define MB (1ULL << 20)

struct fx {
	struct vdrv_mem m;
	struct virtio_rng *rng;
	struct vdrv v;
};

static struct fx *fx_new(uint64_t features, uint64_t split)
{
	struct fx *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_int_equal(vdrv_mem_init(&f->m, split), 0);
	assert_int_equal(virtio_rng_create(&f->m.mem, NULL, &f->rng), 0);
	vdrv_attach(&f->v, &f->rng->dev, &f->m);
	assert_int_equal(vdrv_bring_up(&f->v, F_V1 | features, 64) & VIRTIO_CONFIG_S_DRIVER_OK,
			 VIRTIO_CONFIG_S_DRIVER_OK);
	return f;
}

static void fx_free(struct fx *f)
{
	virtio_rng_destroy(f->rng);
	vdrv_mem_destroy(&f->m);
	free(f);
}

static bool all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return false;
	return true;
}

static void identity(void **state)
{
	struct fx *f = fx_new(0, 0);

	(void)state;
	assert_int_equal(f->rng->dev.ops->device_id, VIRTIO_ID_RNG);
	assert_int_equal(f->rng->dev.ops->num_queues, 1);
	/* No device features (5.4.3), the core's ring features only. */
	assert_int_equal(vdrv_device_features(&f->v),
			 F_V1 | F_INDIRECT | F_EVENT | F_IN_ORDER);
	fx_free(f);
}

static void fills(uint64_t features)
{
	struct fx *f = fx_new(features, 0);
	static const uint32_t sizes[] = { 16, 64, 1, 4096, 33 };
	uint64_t gpa[5];
	uint16_t head[5], id;
	uint32_t len;

	for (int i = 0; i < 5; i++) {
		struct vdrv_buf b = { vdrv_alloc(&f->m, sizes[i]), sizes[i], true };

		gpa[i] = b.gpa;
		head[i] = (uint16_t)vdrv_add(&f->v.rings[0], &b, 1, false);
		vdrv_publish(&f->v.rings[0], head[i]);
	}
	vdrv_kick(&f->v, 0);
	for (int i = 0; i < 5; i++) {
		assert_int_equal(vdrv_get_used(&f->v.rings[0], &id, &len), 1);
		assert_int_equal(id, head[i]);
		assert_int_equal(len, sizes[i]);
		if (sizes[i] >= 16)
			assert_false(all_zero(vdrv_host(&f->m, gpa[i], sizes[i]), sizes[i]));
	}
	assert_int_equal(vdrv_get_used(&f->v.rings[0], &id, &len), 0);
	assert_int_equal(f->v.tr.queue_irqs[0], 1);   /* one interrupt for the lot */
	assert_int_equal(f->rng->requests, 5);
	assert_int_equal(f->rng->bytes, 16 + 64 + 1 + 4096 + 33);
	if (features & F_IN_ORDER)   /* one used entry for the batch (2.7.9) */
		assert_int_equal(vdrv_used_elem(&f->v.rings[0], 0).id, head[4]);
	fx_free(f);
}

static void fills_in_order(void **state)
{
	(void)state;
	fills(F_IN_ORDER | F_EVENT);
}

static void fills_not_in_order(void **state)
{
	(void)state;
	fills(0);
}

static void indirect_and_spanning(void **state)
{
	struct fx *f = fx_new(F_INDIRECT, 8 * MB);
	struct vdrv_buf b[3] = {
		{ vdrv_alloc(&f->m, 100), 100, true },
		{ 8 * MB - 50, 100, true },           /* across two RAM regions */
		{ vdrv_alloc(&f->m, 7), 7, true },
	};
	uint16_t id;
	uint32_t len;

	(void)state;
	vdrv_publish(&f->v.rings[0], (uint16_t)vdrv_add(&f->v.rings[0], b, 3, true));
	vdrv_kick(&f->v, 0);
	assert_int_equal(vdrv_get_used(&f->v.rings[0], &id, &len), 1);
	assert_int_equal(len, 207);
	assert_false(all_zero(vdrv_host(&f->m, 8 * MB, 50), 50));
	fx_free(f);
}

static void large_buffer_capped(void **state)
{
	struct fx *f = fx_new(F_IN_ORDER, 0);
	struct vdrv_buf b = { vdrv_alloc(&f->m, 1 * MB), 1 * MB, true };
	uint16_t id;
	uint32_t len;

	(void)state;
	vdrv_publish(&f->v.rings[0], (uint16_t)vdrv_add(&f->v.rings[0], &b, 1, false));
	vdrv_kick(&f->v, 0);
	assert_int_equal(vdrv_get_used(&f->v.rings[0], &id, &len), 1);
	assert_int_equal(len, VIRTIO_RNG_MAX_PER_REQUEST);
	fx_free(f);
}

static void readable_buffers_ignored(void **state)
{
	struct fx *f = fx_new(0, 0);
	struct vdrv_buf b = { vdrv_alloc(&f->m, 32), 32, false };
	uint16_t id;
	uint32_t len;

	(void)state;
	vdrv_publish(&f->v.rings[0], (uint16_t)vdrv_add(&f->v.rings[0], &b, 1, false));
	vdrv_kick(&f->v, 0);
	assert_int_equal(vdrv_get_used(&f->v.rings[0], &id, &len), 1);
	assert_int_equal(len, 0);
	assert_true(all_zero(vdrv_host(&f->m, b.gpa, 32), 32));   /* not written */
	fx_free(f);
}

static void malformed_chain(void **state)
{
	struct fx *f = fx_new(0, 0);
	struct virtio_dev *d = &f->rng->dev;

	(void)state;
	vdrv_set_desc(&f->v.rings[0], 0, VDRV_RAM - 4, 16, VRING_DESC_F_WRITE, 0);
	vdrv_publish(&f->v.rings[0], 0);
	vdrv_kick(&f->v, 0);
	assert_true(virtio_dev_read_status(d) & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_int_equal(f->v.tr.config_irqs, 1);
	assert_int_equal(atomic_load(&d->guest_errors), 1);
	assert_int_equal(vdrv_used_idx(&f->v.rings[0]), 0);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(identity),
		cmocka_unit_test(fills_in_order),
		cmocka_unit_test(fills_not_in_order),
		cmocka_unit_test(indirect_and_spanning),
		cmocka_unit_test(large_buffer_capped),
		cmocka_unit_test(readable_buffers_ignored),
		cmocka_unit_test(malformed_chain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
