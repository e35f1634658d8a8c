/* virtio device core: feature negotiation, the status state machine,
 * config space, notifications and interrupts, save/restore (virtio 1.2
 * spec, sections 2.1-2.5 and 3.1). See device.h for the contracts. */
#include "virtio/device.h"

#include <errno.h>
#include <string.h>

#include "virtio/state.h"

#define S_ACK         VIRTIO_CONFIG_S_ACKNOWLEDGE
#define S_DRIVER      VIRTIO_CONFIG_S_DRIVER
#define S_FEATURES_OK VIRTIO_CONFIG_S_FEATURES_OK
#define S_DRIVER_OK   VIRTIO_CONFIG_S_DRIVER_OK
#define S_NEEDS_RESET VIRTIO_CONFIG_S_NEEDS_RESET

/* ISR status bits (spec 4.1.4.5). */
#define ISR_QUEUE  0x1
#define ISR_CONFIG 0x2

static void lock(struct virtio_dev *d)
{
	pthread_mutex_lock(&d->lock);
}

static void unlock(struct virtio_dev *d)
{
	pthread_mutex_unlock(&d->lock);
}

static void guest_error(struct virtio_dev *d)
{
	atomic_fetch_add(&d->guest_errors, 1);
}

int virtio_dev_init(struct virtio_dev *d, const struct virtio_dev_ops *ops,
		    const struct guest_mem *mem, struct event_loop *loop)
{
	pthread_mutexattr_t attr;
	int r;

	if (!ops || !ops->features || ops->num_queues == 0 ||
	    ops->num_queues > VIRTIO_MAX_QUEUES || ops->queue_max_size == 0 ||
	    ops->queue_max_size > VIRTQ_MAX_SIZE ||
	    (ops->queue_max_size & (ops->queue_max_size - 1)))
		return -EINVAL;
	memset(d, 0, sizeof(*d));
	d->ops = ops;
	d->mem = mem;
	d->loop = loop;
	pthread_mutexattr_init(&attr);
	pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_RECURSIVE);
	r = pthread_mutex_init(&d->lock, &attr);
	pthread_mutexattr_destroy(&attr);
	if (r)
		return -r;
	for (unsigned int i = 0; i < VIRTIO_MAX_QUEUES; i++)
		virtq_init(&d->queues[i], i < ops->num_queues ? ops->queue_max_size : 0);
	d->device_features = ops->features(d) | (1ULL << VIRTIO_F_VERSION_1) |
			     (VIRTIO_DEV_CORE_FEATURES & ~ops->features_mask);
	return 0;
}

void virtio_dev_destroy(struct virtio_dev *d)
{
	pthread_mutex_destroy(&d->lock);
}

/* Device reset (spec 2.4), from a status write of 0 or restore. */
static void reset_locked(struct virtio_dev *d)
{
	if (d->ops->reset)
		d->ops->reset(d);
	for (unsigned int i = 0; i < d->ops->num_queues; i++)
		virtq_reset(&d->queues[i]);
	d->driver_features = 0;
	d->device_feature_select = 0;
	d->driver_feature_select = 0;
	d->queue_select = 0;
	d->status = 0;
	atomic_store(&d->isr, 0);
}

uint32_t virtio_dev_read_device_features(struct virtio_dev *d)
{
	uint32_t v = 0;

	lock(d);
	if (d->device_feature_select < 2)
		v = (uint32_t)(d->device_features >> (32 * d->device_feature_select));
	unlock(d);
	return v;
}

void virtio_dev_write_driver_features(struct virtio_dev *d, uint32_t v)
{
	unsigned int shift;

	lock(d);
	shift = 32 * (d->driver_feature_select & 1);
	/* Spec 3.1.1: features are fixed once FEATURES_OK is set; select
	 * values beyond the 64 bits skiff knows hold nothing. */
	if ((d->status & S_FEATURES_OK) || d->driver_feature_select >= 2) {
		if (v)
			guest_error(d);
	} else {
		d->driver_features &= ~(0xffffffffULL << shift);
		d->driver_features |= (uint64_t)v << shift;
	}
	unlock(d);
}

uint32_t virtio_dev_read_driver_features(struct virtio_dev *d)
{
	uint32_t v = 0;

	lock(d);
	if (d->driver_feature_select < 2)
		v = (uint32_t)(d->driver_features >> (32 * d->driver_feature_select));
	unlock(d);
	return v;
}

/* Spec 3.1.1 step 5-6 and 2.2: the device refuses FEATURES_OK for a feature
 * set it did not offer; skiff is modern-only, so VERSION_1 is required. */
static bool features_acceptable(const struct virtio_dev *d)
{
	return !(d->driver_features & ~d->device_features) &&
	       (d->driver_features & (1ULL << VIRTIO_F_VERSION_1));
}

static int start_queues(struct virtio_dev *d)
{
	for (unsigned int i = 0; i < d->ops->num_queues; i++) {
		struct virtq *vq = &d->queues[i];

		if (vq->ready && virtq_start(vq, d->mem, d->driver_features) < 0)
			return -EINVAL;
	}
	return 0;
}

/* DRIVER_OK (spec 3.1.1 step 8): the queues are configured; check and map
 * them, then let the device start. */
static void activate_locked(struct virtio_dev *d)
{
	int r = start_queues(d);

	if (r == 0 && d->ops->activate)
		r = d->ops->activate(d);
	if (r < 0)
		virtio_dev_needs_reset(d);
}

void virtio_dev_write_status(struct virtio_dev *d, uint8_t v)
{
	uint8_t old, now;

	lock(d);
	old = d->status;
	if (v == 0) {
		reset_locked(d);
		unlock(d);
		return;
	}
	/* DEVICE_NEEDS_RESET is the device's to set (2.1.1). */
	now = (v & ~S_NEEDS_RESET) | (old & S_NEEDS_RESET);
	/* 2.1.2: the driver never clears a bit except by writing 0. */
	if (old & ~now) {
		guest_error(d);
		unlock(d);
		return;
	}
	if ((now & S_FEATURES_OK) && !(old & S_FEATURES_OK) &&
	    (!(now & S_DRIVER) || !(now & S_ACK) || !features_acceptable(d))) {
		/* Refused: the driver re-reads status, sees FEATURES_OK
		 * clear and gives up (3.1.1 step 6). */
		now &= ~(S_FEATURES_OK | S_DRIVER_OK);
	}
	if ((now & S_DRIVER_OK) && !(old & S_DRIVER_OK) && !(now & S_FEATURES_OK)) {
		guest_error(d);
		now &= ~S_DRIVER_OK;
	}
	d->status = now;
	if ((now & S_DRIVER_OK) && !(old & S_DRIVER_OK) && !(now & S_NEEDS_RESET))
		activate_locked(d);
	unlock(d);
}

uint8_t virtio_dev_read_status(struct virtio_dev *d)
{
	uint8_t v;

	lock(d);
	v = d->status;
	unlock(d);
	return v;
}

uint8_t virtio_dev_read_isr(struct virtio_dev *d)
{
	return (uint8_t)atomic_exchange(&d->isr, 0);
}

/* The part of [off, off+len) inside config space, as [off, off+*in). */
static uint32_t config_span(const struct virtio_dev *d, uint32_t off, uint32_t len)
{
	uint32_t size = d->ops->config_size;

	if (off >= size)
		return 0;
	return len < size - off ? len : size - off;
}

void virtio_dev_config_read(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len)
{
	uint32_t in = config_span(d, off, len);

	memset(buf, 0, len);
	if (in == 0 || !d->ops->config_read)
		return;
	lock(d);
	d->ops->config_read(d, off, buf, in);
	unlock(d);
}

void virtio_dev_config_write(struct virtio_dev *d, uint32_t off, const void *buf, uint32_t len)
{
	uint32_t in = config_span(d, off, len);

	if (in < len)
		guest_error(d);
	if (in == 0 || !d->ops->config_write)
		return;
	lock(d);
	d->ops->config_write(d, off, buf, in);
	unlock(d);
}

struct virtq *virtio_dev_selected_queue(struct virtio_dev *d)
{
	return d->queue_select < d->ops->num_queues ? &d->queues[d->queue_select] : NULL;
}

/* May queue q be served now? Caller holds the lock. */
static bool queue_live(const struct virtio_dev *d, uint16_t q)
{
	return q < d->ops->num_queues && d->queues[q].started &&
	       (d->status & S_DRIVER_OK) && !(d->status & S_NEEDS_RESET);
}

void virtio_dev_notify(struct virtio_dev *d, uint16_t q)
{
	lock(d);
	if (queue_live(d, q) && d->ops->queue_notify)
		d->ops->queue_notify(d, q);
	unlock(d);
}

void virtio_dev_notify_again(struct virtio_dev *d, uint16_t q)
{
	if (q < d->ops->num_queues && d->transport.notify_again)
		d->transport.notify_again(d->transport.ctx, q);
}

void virtio_dev_signal_queue(struct virtio_dev *d, uint16_t q)
{
	lock(d);
	/* After NEEDS_RESET the used entries already published may still be
	 * signalled: the driver reads them before it resets. */
	if (q < d->ops->num_queues && d->queues[q].started && (d->status & S_DRIVER_OK) &&
	    virtq_should_signal(&d->queues[q])) {
		atomic_fetch_or(&d->isr, ISR_QUEUE);
		if (d->transport.signal_queue)
			d->transport.signal_queue(d->transport.ctx, q);
	}
	unlock(d);
}

static void signal_config_locked(struct virtio_dev *d)
{
	atomic_fetch_or(&d->isr, ISR_CONFIG);
	if (d->transport.signal_config)
		d->transport.signal_config(d->transport.ctx);
}

void virtio_dev_needs_reset(struct virtio_dev *d)
{
	guest_error(d);
	lock(d);
	if (!(d->status & S_NEEDS_RESET)) {
		d->status |= S_NEEDS_RESET;
		/* 2.1.2: with DRIVER_OK set, tell the driver. */
		if (d->status & S_DRIVER_OK)
			signal_config_locked(d);
	}
	unlock(d);
}

void virtio_dev_config_changed(struct virtio_dev *d)
{
	lock(d);
	d->config_generation++;
	if (d->status & S_DRIVER_OK)
		signal_config_locked(d);
	unlock(d);
}

bool virtio_dev_has_feature(const struct virtio_dev *d, unsigned int bit)
{
	return bit < 64 && (d->driver_features & (1ULL << bit));
}

int virtio_dev_queue_offload(struct virtio_dev *d, uint16_t q, int *kick_fd, int *call_fd)
{
	if (q >= d->ops->num_queues)
		return -EINVAL;
	if (!d->transport.queue_offload)
		return -ENOTSUP;
	return d->transport.queue_offload(d->transport.ctx, q, kick_fd, call_fd);
}

void virtio_dev_queue_reclaim(struct virtio_dev *d, uint16_t q)
{
	if (q < d->ops->num_queues && d->transport.queue_reclaim)
		d->transport.queue_reclaim(d->transport.ctx, q);
}

int virtio_dev_save(struct virtio_dev *d, struct virtio_dev_state *s)
{
	size_t len = sizeof(s->blob);
	int r = 0;

	memset(s, 0, sizeof(*s));
	lock(d);
	s->magic = VIRTIO_DEV_STATE_MAGIC;
	s->version = VIRTIO_DEV_STATE_VERSION;
	s->device_id = d->ops->device_id;
	s->num_queues = d->ops->num_queues;
	s->status = d->status;
	s->isr = (uint8_t)atomic_load(&d->isr);
	s->queue_select = d->queue_select;
	s->device_feature_select = d->device_feature_select;
	s->driver_feature_select = d->driver_feature_select;
	s->config_generation = d->config_generation;
	s->device_features = d->device_features;
	s->driver_features = d->driver_features;
	for (unsigned int i = 0; i < d->ops->num_queues; i++) {
		struct virtq *vq = &d->queues[i];
		struct virtio_queue_state *qs = &s->queues[i];

		/* A pending in-order batch belongs to the guest already. */
		virtq_flush(vq);
		*qs = (struct virtio_queue_state){
			.desc_gpa = vq->desc_gpa, .avail_gpa = vq->avail_gpa,
			.used_gpa = vq->used_gpa, .size = vq->size,
			.msix_vector = vq->msix_vector,
			.last_avail_idx = vq->last_avail_idx, .used_idx = vq->used_idx,
			.next_head = vq->next_head, .ready = vq->ready,
		};
	}
	if (d->ops->save) {
		r = d->ops->save(d, s->blob, &len);
		if (r == 0 && len > sizeof(s->blob))
			r = -ENOSPC;
		s->blob_len = r == 0 ? (uint32_t)len : 0;
	}
	unlock(d);
	return r;
}

static int check_state(const struct virtio_dev *d, const struct virtio_dev_state *s)
{
	if (s->magic != VIRTIO_DEV_STATE_MAGIC || s->version != VIRTIO_DEV_STATE_VERSION ||
	    s->device_id != d->ops->device_id || s->num_queues != d->ops->num_queues ||
	    (s->driver_features & ~d->device_features) ||
	    s->blob_len > sizeof(s->blob) || (s->blob_len && !d->ops->restore))
		return -EINVAL;
	for (unsigned int i = 0; i < s->num_queues; i++) {
		uint16_t size = s->queues[i].size;

		if (size == 0 || size > d->ops->queue_max_size || (size & (size - 1)))
			return -EINVAL;
	}
	return 0;
}

int virtio_dev_restore(struct virtio_dev *d, const struct virtio_dev_state *s)
{
	int r = check_state(d, s);

	if (r < 0)
		return r;
	lock(d);
	reset_locked(d);
	d->status = s->status;
	atomic_store(&d->isr, s->isr);
	d->queue_select = s->queue_select;
	d->device_feature_select = s->device_feature_select;
	d->driver_feature_select = s->driver_feature_select;
	d->config_generation = s->config_generation;
	d->driver_features = s->driver_features;
	for (unsigned int i = 0; i < s->num_queues; i++) {
		const struct virtio_queue_state *qs = &s->queues[i];
		struct virtq *vq = &d->queues[i];

		vq->desc_gpa = qs->desc_gpa;
		vq->avail_gpa = qs->avail_gpa;
		vq->used_gpa = qs->used_gpa;
		vq->size = qs->size;
		vq->msix_vector = qs->msix_vector;
		vq->ready = qs->ready;
		vq->last_avail_idx = qs->last_avail_idx;
		vq->used_idx = qs->used_idx;
		vq->next_head = qs->next_head;
	}
	if (d->ops->restore)
		r = d->ops->restore(d, s->blob, s->blob_len);
	if (r == 0 && (d->status & S_DRIVER_OK) && !(d->status & S_NEEDS_RESET)) {
		r = start_queues(d);
		if (r == 0 && d->ops->activate)
			r = d->ops->activate(d);
	}
	if (r < 0)
		reset_locked(d);
	unlock(d);
	return r;
}
