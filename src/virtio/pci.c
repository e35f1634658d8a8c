#include "virtio/pci.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <linux/virtio_pci.h>

#include "util/container_of.h"
#include "util/log.h"
#define COMMON_SIZE sizeof(struct virtio_pci_common_cfg)
#define PCI_VENDOR_ID_REDHAT_QUMRANET 0x1af4u
#define VIRTIO_PCI_DEVICE_ID_BASE     0x1040u /* spec 4.1.2.1 */

/* ---- common configuration (spec 4.1.4.3) ------------------------------ */

/* The structure as the guest would read it now (little-endian, x86). */
static void common_image(struct virtio_pci *t, struct virtio_pci_common_cfg *c)
{
	struct virtio_dev *d = t->dev;
	struct virtq *q = virtio_dev_selected_queue(d);

	memset(c, 0, sizeof(*c));
	c->device_feature_select = d->device_feature_select;
	c->device_feature = virtio_dev_read_device_features(d);
	c->guest_feature_select = d->driver_feature_select;
	c->guest_feature = virtio_dev_read_driver_features(d);
	c->msix_config = t->config_vector;
	c->num_queues = d->ops->num_queues;
	c->device_status = virtio_dev_read_status(d);
	c->config_generation = (uint8_t)d->config_generation;
	c->queue_select = d->queue_select;
	if (q) { /* an out-of-range queue_select reads as a queue of size 0 */
		c->queue_size = q->size;
		c->queue_msix_vector = q->msix_vector;
		c->queue_enable = q->ready;
		c->queue_notify_off = d->queue_select;
		c->queue_desc_lo = (uint32_t)q->desc_gpa;
		c->queue_desc_hi = (uint32_t)(q->desc_gpa >> 32);
		c->queue_avail_lo = (uint32_t)q->avail_gpa;
		c->queue_avail_hi = (uint32_t)(q->avail_gpa >> 32);
		c->queue_used_lo = (uint32_t)q->used_gpa;
		c->queue_used_hi = (uint32_t)(q->used_gpa >> 32);
	}
}

#define TOUCHED(field) \
	(off < offsetof(struct virtio_pci_common_cfg, field) + sizeof(c.field) && \
	 offsetof(struct virtio_pci_common_cfg, field) < off + len)

static bool is_pow2(uint16_t v)
{
	return v && !(v & (v - 1));
}

/* Queue registers may change only while the queue is disabled and before
 * DRIVER_OK (4.1.4.3.2); later writes are the guest's error. */
static bool queue_writable(struct virtio_pci *t, struct virtq *q)
{
	if (q && !q->ready && !(t->dev->status & VIRTIO_CONFIG_S_DRIVER_OK))
		return true;
	atomic_fetch_add(&t->guest_errors, 1);
	return false;
}

/* The ring's size, alignment and place in guest RAM are checked when the
 * device starts it (virtq_start() at DRIVER_OK), which marks the device
 * DEVICE_NEEDS_RESET if they are unusable. */
static void queue_enable(struct virtq *q)
{
	q->ready = true;
}

static void common_write(struct virtio_pci *t, uint64_t off, const uint8_t *data, uint32_t len)
{
	struct virtio_dev *d = t->dev;
	struct virtio_pci_common_cfg c;
	struct virtq *q;

	if (off + len > COMMON_SIZE)
		return;
	pthread_mutex_lock(&d->lock);
	common_image(t, &c);
	memcpy((uint8_t *)&c + off, data, len);
	q = virtio_dev_selected_queue(d);
	if (TOUCHED(device_feature_select))
		d->device_feature_select = c.device_feature_select;
	if (TOUCHED(guest_feature_select))
		d->driver_feature_select = c.guest_feature_select;
	if (TOUCHED(msix_config))
		t->config_vector = c.msix_config;
	if (TOUCHED(queue_select))
		d->queue_select = c.queue_select;
	if (TOUCHED(queue_size) && queue_writable(t, q)) {
		if (is_pow2(c.queue_size) && c.queue_size <= q->max_size)
			q->size = c.queue_size;
		else
			atomic_fetch_add(&t->guest_errors, 1);
	}
	if (TOUCHED(queue_msix_vector) && q)
		q->msix_vector = c.queue_msix_vector;
	if ((TOUCHED(queue_desc_lo) || TOUCHED(queue_desc_hi)) && queue_writable(t, q))
		q->desc_gpa = (uint64_t)c.queue_desc_hi << 32 | c.queue_desc_lo;
	if ((TOUCHED(queue_avail_lo) || TOUCHED(queue_avail_hi)) && queue_writable(t, q))
		q->avail_gpa = (uint64_t)c.queue_avail_hi << 32 | c.queue_avail_lo;
	if ((TOUCHED(queue_used_lo) || TOUCHED(queue_used_hi)) && queue_writable(t, q))
		q->used_gpa = (uint64_t)c.queue_used_hi << 32 | c.queue_used_lo;
	if (TOUCHED(queue_enable) && q) {
		/* Only 1 may be written (4.1.4.3.2); 0 needs VIRTIO_F_RING_RESET. */
		if (c.queue_enable == 1 && queue_writable(t, q))
			queue_enable(q);
		else if (c.queue_enable != 1)
			atomic_fetch_add(&t->guest_errors, 1);
	}
	pthread_mutex_unlock(&d->lock);

	/* Calls that take the device lock themselves. */
	if (TOUCHED(guest_feature))
		virtio_dev_write_driver_features(d, c.guest_feature);
	if (TOUCHED(device_status)) {
		virtio_dev_write_status(d, c.device_status);
		if (c.device_status == 0) { /* reset: vectors back to "none" (4.1.4.3) */
			t->config_vector = VIRTIO_MSI_NO_VECTOR;
			for (unsigned int i = 0; i < d->ops->num_queues; i++)
				d->queues[i].msix_vector = VIRTIO_MSI_NO_VECTOR;
		}
	}
}

static void common_read(struct virtio_pci *t, uint64_t off, uint8_t *data, uint32_t len)
{
	struct virtio_pci_common_cfg c;

	if (off + len > COMMON_SIZE) {
		memset(data, 0, len);
		return;
	}
	pthread_mutex_lock(&t->dev->lock);
	common_image(t, &c);
	pthread_mutex_unlock(&t->dev->lock);
	memcpy(data, (uint8_t *)&c + off, len);
}

/* ---- BAR 0 ----------------------------------------------------------------- */

static void bar0_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
	struct virtio_pci *t = opaque;

	memset(data, 0, len);
	if (off < VIRTIO_PCI_ISR_OFF)
		common_read(t, off, data, len);
	else if (off == VIRTIO_PCI_ISR_OFF)
		data[0] = virtio_dev_read_isr(t->dev);
	else if (off >= VIRTIO_PCI_DEVICE_OFF && off < VIRTIO_PCI_NOTIFY_OFF)
		virtio_dev_config_read(t->dev, (uint32_t)(off - VIRTIO_PCI_DEVICE_OFF), data, len);
}

static void bar0_write(void *opaque, uint64_t off, const uint8_t *data, uint32_t len)
{
	struct virtio_pci *t = opaque;

	if (off < VIRTIO_PCI_ISR_OFF) {
		common_write(t, off, data, len);
	} else if (off >= VIRTIO_PCI_DEVICE_OFF && off < VIRTIO_PCI_NOTIFY_OFF) {
		virtio_dev_config_write(t->dev, (uint32_t)(off - VIRTIO_PCI_DEVICE_OFF), data, len);
	} else if (off >= VIRTIO_PCI_NOTIFY_OFF) {
		uint64_t q = (off - VIRTIO_PCI_NOTIFY_OFF) / VIRTIO_PCI_NOTIFY_MULT;

		/* No ioeventfd: hand the kick to the event loop the same way. */
		if (q < t->dev->ops->num_queues)
			eventfd_write(t->kicks[q].efd, 1);
		else
			atomic_fetch_add(&t->guest_errors, 1);
	}
}

/* The kick eventfd is watched level-triggered: written here, it is ready
 * again at the next epoll_wait, which returns it with whatever else became
 * ready meanwhile, so the device's next pass comes after those. */
static void notify_again(void *ctx, uint16_t q)
{
	struct virtio_pci *t = ctx;

	if (t->kicks[q].efd >= 0 && !t->kicks[q].offloaded)
		eventfd_write(t->kicks[q].efd, 1);
}

static const struct io_bus_ops bar0_ops = { .read = bar0_read, .write = bar0_write };

static void on_kick(struct event_handler *h, uint32_t events)
{
	struct virtio_pci_queue_kick *k = container_of(h, struct virtio_pci_queue_kick, handler);
	eventfd_t v;

	(void)events;
	if (eventfd_read(k->efd, &v) == 0)
		virtio_dev_notify(k->t->dev, k->q);
}

/* BAR 0 moved: move the queues' ioeventfds with it. Each queue remembers
 * its own binding, so one refused assign neither leaves others stale at an
 * old address nor stops the MMIO fallback for that queue. */
static void bar_moved(struct pci_dev *pd, void *opaque, unsigned int bar, uint64_t addr,
		      bool mapped)
{
	struct virtio_pci *t = opaque;
	uint16_t nq = t->dev->ops->num_queues;

	(void)pd;
	if (bar != 0 || !t->notify.assign)
		return;
	for (uint16_t q = 0; q < nq; q++) {
		struct virtio_pci_queue_kick *k = &t->kicks[q];

		if (k->assigned) {
			t->notify.deassign(t->notify.ctx, k->efd, k->gpa, 0);
			k->assigned = false;
		}
		if (mapped) {
			k->gpa = addr + VIRTIO_PCI_NOTIFY_OFF + q * VIRTIO_PCI_NOTIFY_MULT;
			k->assigned = t->notify.assign(t->notify.ctx, k->efd, k->gpa, 0) == 0;
		}
	}
}

static const struct pci_dev_ops dev_ops = { .bar_moved = bar_moved };

/* ---- interrupts ------------------------------------------------------------ */

static void signal_vector(struct virtio_pci *t, uint16_t v)
{
	if (msix_signal(&t->msix, v) < 0)
		atomic_fetch_add(&t->lost_interrupts, 1);
}

/* A vhost backend takes over q: its kicks leave the event loop (vhost
 * polls the same eventfd, bound to the notify address by KVM), its
 * interrupts go straight to the vector's irqfd. */
static int queue_offload(void *ctx, uint16_t q, int *kick_fd, int *call_fd)
{
	struct virtio_pci *t = ctx;
	struct virtio_pci_queue_kick *k = &t->kicks[q];
	int call = msix_vector_irqfd(&t->msix, t->dev->queues[q].msix_vector);

	if (call < 0)
		return -ENXIO; /* no vector: vhost could not interrupt the driver */
	if (!k->offloaded && t->loop) {
		int r = event_loop_del(t->loop, k->efd);

		if (r < 0)
			return r;
	}
	k->offloaded = true;
	*kick_fd = k->efd;
	*call_fd = call;
	return 0;
}

static void queue_reclaim(void *ctx, uint16_t q)
{
	struct virtio_pci *t = ctx;
	struct virtio_pci_queue_kick *k = &t->kicks[q];

	if (!k->offloaded)
		return;
	if (t->loop && event_loop_add(t->loop, k->efd, EPOLLIN, &k->handler) < 0) {
		log_error("%s: queue %u: cannot watch its kicks again", t->dev->ops->name, q);
		return;
	}
	k->offloaded = false;
	/* Kicks that came while vhost stopped are in the counter: serve them. */
	eventfd_write(k->efd, 1);
}

static void signal_queue(void *ctx, uint16_t q)
{
	struct virtio_pci *t = ctx;

	signal_vector(t, t->dev->queues[q].msix_vector);
}

static void signal_config(void *ctx)
{
	struct virtio_pci *t = ctx;

	atomic_fetch_or(&t->dev->isr, VIRTIO_PCI_ISR_CONFIG);
	signal_vector(t, t->config_vector);
}

/* ---- PCI_CFG access capability (4.1.4.9) ---------------------------------- */

/* The driver picks bar/offset/length in the capability, then reads or
 * writes pci_cfg_data: we carry the access out on that BAR's registers. */
static void cfg_cap_access(struct pci_dev *pd, void *opaque, uint32_t off, uint32_t len,
			   bool write)
{
	struct virtio_pci *t = opaque;
	unsigned int base = t->cfg_cap_off;
	uint32_t bar = pci_dev_cfg_get(pd, base + offsetof(struct virtio_pci_cap, bar), 1);
	uint32_t boff = pci_dev_cfg_get(pd, base + offsetof(struct virtio_pci_cap, offset), 4);
	uint32_t blen = pci_dev_cfg_get(pd, base + offsetof(struct virtio_pci_cap, length), 4);
	unsigned int data_off = base + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data);
	uint8_t buf[4];

	if (off + len <= offsetof(struct virtio_pci_cfg_cap, pci_cfg_data))
		return; /* a write to the cap's own fields */
	if (bar != 0 || (blen != 1 && blen != 2 && blen != 4) ||
	    boff >= VIRTIO_PCI_BAR0_SIZE || blen > VIRTIO_PCI_BAR0_SIZE - boff) {
		atomic_fetch_add(&t->guest_errors, 1);
		return;
	}
	if (write) {
		for (uint32_t i = 0; i < blen; i++)
			buf[i] = (uint8_t)pci_dev_cfg_get(pd, data_off + i, 1);
		bar0_write(t, boff, buf, blen);
	} else {
		bar0_read(t, boff, buf, blen);
		for (uint32_t i = 0; i < blen; i++)
			pci_dev_cfg_set(pd, data_off + i, buf[i], 1);
	}
}

static void cfg_cap_write(struct pci_dev *pd, void *opaque, uint32_t off, uint32_t len)
{
	cfg_cap_access(pd, opaque, off, len, true);
}

static void cfg_cap_read(struct pci_dev *pd, void *opaque, uint32_t off, uint32_t len)
{
	cfg_cap_access(pd, opaque, off, len, false);
}

static const struct pci_cap_ops cfg_cap_ops = { .write = cfg_cap_write, .read = cfg_cap_read };

/* ---- setup ------------------------------------------------------------------ */

static uint32_t class_of(uint16_t device_id)
{
	switch (device_id) {
	case 1: return 0x020000;  /* network */
	case 2: return 0x010000;  /* SCSI storage (Linux does not care) */
	case 3: return 0x078000;  /* simple communication: console */
	default: return 0x00ff00; /* unclassified */
	}
}

static int add_cap(struct virtio_pci *t, uint8_t type, uint32_t off, uint32_t len)
{
	struct virtio_pci_cap cap = {
		.cap_len = sizeof(cap), .cfg_type = type, .bar = 0, .offset = off, .length = len,
	};

	return pci_dev_add_vendor_cap(&t->pci, &cap, sizeof(cap), NULL, NULL, NULL);
}

static int build_caps(struct virtio_pci *t)
{
	uint16_t nq = t->dev->ops->num_queues;
	struct virtio_pci_notify_cap notify = {
		.cap = { .cap_len = sizeof(notify), .cfg_type = VIRTIO_PCI_CAP_NOTIFY_CFG,
			 .bar = 0, .offset = VIRTIO_PCI_NOTIFY_OFF,
			 .length = nq * VIRTIO_PCI_NOTIFY_MULT },
		.notify_off_multiplier = VIRTIO_PCI_NOTIFY_MULT,
	};
	struct virtio_pci_cfg_cap cfg = {
		.cap = { .cap_len = sizeof(cfg), .cfg_type = VIRTIO_PCI_CAP_PCI_CFG },
	};
	uint8_t cfg_wmask[sizeof(cfg)];
	int r;

	/* In the PCI_CFG capability the driver writes bar, offset, length and
	 * the data window (4.1.4.9). */
	memset(cfg_wmask, 0, sizeof(cfg_wmask));
	cfg_wmask[offsetof(struct virtio_pci_cap, bar)] = 0xff;
	memset(cfg_wmask + offsetof(struct virtio_pci_cap, offset), 0xff, 8);
	memset(cfg_wmask + offsetof(struct virtio_pci_cfg_cap, pci_cfg_data), 0xff, 4);

	if ((r = add_cap(t, VIRTIO_PCI_CAP_COMMON_CFG, VIRTIO_PCI_COMMON_OFF, COMMON_SIZE)) < 0 ||
	    (r = add_cap(t, VIRTIO_PCI_CAP_ISR_CFG, VIRTIO_PCI_ISR_OFF, 1)) < 0 ||
	    (t->dev->ops->config_size &&
	     (r = add_cap(t, VIRTIO_PCI_CAP_DEVICE_CFG, VIRTIO_PCI_DEVICE_OFF,
			  t->dev->ops->config_size)) < 0) ||
	    (r = pci_dev_add_vendor_cap(&t->pci, &notify, sizeof(notify), NULL, NULL, NULL)) < 0)
		return r;
	r = pci_dev_add_vendor_cap(&t->pci, &cfg, sizeof(cfg), cfg_wmask, &cfg_cap_ops, t);
	if (r < 0)
		return r;
	t->cfg_cap_off = (uint8_t)r;
	return 0;
}

int virtio_pci_init(struct virtio_pci *t, struct virtio_dev *dev, struct gsi_router *router,
		    struct event_loop *loop, const struct virtio_pci_notify_ops *notify)
{
	uint16_t nq = dev->ops->num_queues;
	struct pci_dev_ids ids = {
		.vendor = PCI_VENDOR_ID_REDHAT_QUMRANET,
		.device = (uint16_t)(VIRTIO_PCI_DEVICE_ID_BASE + dev->ops->device_id),
		.class_code = class_of(dev->ops->device_id),
		.revision = 1, /* 4.1.2.1: modern-only devices have revision >= 1 */
		.subsystem_vendor = PCI_VENDOR_ID_REDHAT_QUMRANET,
		.subsystem = 0x1100,
	};
	int r;

	memset(t, 0, sizeof(*t));
	t->dev = dev;
	t->loop = loop;
	t->config_vector = VIRTIO_MSI_NO_VECTOR;
	if (notify)
		t->notify = *notify;
	for (uint16_t q = 0; q < VIRTIO_MAX_QUEUES; q++)
		t->kicks[q].efd = -1;
	for (uint16_t q = 0; q < nq; q++) {
		struct virtio_pci_queue_kick *k = &t->kicks[q];

		dev->queues[q].msix_vector = VIRTIO_MSI_NO_VECTOR;
		k->t = t;
		k->q = q;
		k->handler.fn = on_kick;
		k->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (k->efd < 0 || (loop && event_loop_add(loop, k->efd, EPOLLIN, &k->handler) < 0)) {
			r = -errno;
			goto fail;
		}
	}
	pci_dev_init(&t->pci, &ids);
	pci_dev_set_ops(&t->pci, &dev_ops, t);
	if ((r = pci_dev_add_bar(&t->pci, 0, PCI_BAR_MMIO64, VIRTIO_PCI_BAR0_SIZE, false,
				 &bar0_ops, t)) < 0 ||
	    (r = pci_dev_add_bar(&t->pci, VIRTIO_PCI_MSIX_BAR, PCI_BAR_MMIO32,
				 VIRTIO_PCI_BAR2_SIZE, false, &msix_bar_ops, &t->msix)) < 0 ||
	    (r = build_caps(t)) < 0)
		goto fail;
	/* One vector per queue plus the configuration vector. */
	r = msix_init(&t->msix, &t->pci, router, (uint16_t)(nq + 1), VIRTIO_PCI_MSIX_BAR, 0,
		      VIRTIO_PCI_BAR2_SIZE / 2);
	if (r < 0)
		goto fail;
	dev->transport = (struct virtio_transport){
		.signal_queue = signal_queue, .signal_config = signal_config,
		.queue_offload = queue_offload, .queue_reclaim = queue_reclaim,
		.notify_again = notify_again, .ctx = t,
	};
	return 0;
fail:
	for (uint16_t q = 0; q < nq; q++) {
		if (t->kicks[q].efd >= 0) {
			if (loop)
				event_loop_del(loop, t->kicks[q].efd);
			close(t->kicks[q].efd);
		}
	}
	t->dev = NULL; /* nothing for virtio_pci_destroy() to undo */
	return r;
}

void virtio_pci_destroy(struct virtio_pci *t)
{
	msix_destroy(&t->msix);
	for (uint16_t q = 0; q < t->dev->ops->num_queues; q++) {
		if (t->kicks[q].efd < 0)
			continue;
		if (t->loop && !t->kicks[q].offloaded)
			event_loop_del(t->loop, t->kicks[q].efd);
		close(t->kicks[q].efd);
		t->kicks[q].efd = -1;
	}
}
