/* virtio device core: the transport-independent half of a virtio device
 * (virtio 1.2 spec, section 2 "Basic Facilities of a Virtio Device" and
 * 3 "General Initialization And Device Operation").
 *
 * A device (devices/virtio_blk.c, ...) is a const struct virtio_dev_ops plus
 * its own state embedding struct virtio_dev. A transport (virtio/pci.c)
 * turns guest register accesses into the calls below and delivers the
 * interrupts the core asks for through struct virtio_transport.
 *
 * Threads: transport calls (status, features, queue setup, config) come
 * from vCPU threads and take dev->lock. Queue notifications arrive on the
 * event loop (ioeventfd) via virtio_dev_notify(). Devices complete requests
 * from the event loop or their own workers and signal through
 * virtio_dev_signal_queue(), which is safe from any thread.
 *
 * Guest-caused errors never abort: a malformed ring puts the device into
 * DEVICE_NEEDS_RESET (virtio_dev_needs_reset) and counts the event. */
#ifndef SKIFF_VIRTIO_DEVICE_H
#define SKIFF_VIRTIO_DEVICE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_config.h>
#include <linux/virtio_ring.h>

#include "mem/guest_mem.h"
#include "util/event_loop.h"
#include "virtio/virtq.h"

#define VIRTIO_MAX_QUEUES 64

struct virtio_dev;

/* What a transport provides to the core. Both may be called from any thread. */
struct virtio_transport {
	/* Interrupt the driver for used buffers on queue q (MSI-X vector of q,
	 * or the ISR/INTx path with ISR bit 0). */
	void (*signal_queue)(void *ctx, uint16_t q);
	/* Interrupt the driver for a configuration change (ISR bit 1). */
	void (*signal_config)(void *ctx);
	/* Optional, for datapaths outside skiff (vhost): hand queue q's
	 * notifications over. *kick_fd is the eventfd the driver's kicks of q
	 * land in, which the transport stops reading; *call_fd an eventfd
	 * whose write interrupts the driver for q (the queue's MSI-X irqfd).
	 * Both stay owned by the transport. 0 or -errno. */
	int (*queue_offload)(void *ctx, uint16_t q, int *kick_fd, int *call_fd);
	/* Undo queue_offload: kicks of q reach the device's queue_notify again. */
	void (*queue_reclaim)(void *ctx, uint16_t q);
	/* Call the device's queue_notify for q once more, from the event
	 * loop's next round, as if the driver had kicked (the PCI transport
	 * writes q's kick eventfd). */
	void (*notify_again)(void *ctx, uint16_t q);
	void *ctx;
};

/* What a device provides. Every callback is optional except features. */
struct virtio_dev_ops {
	const char *name;          /* "virtio-blk", for messages */
	uint16_t device_id;        /* VIRTIO_ID_* (linux/virtio_ids.h) */
	uint16_t num_queues;       /* fixed at creation, <= VIRTIO_MAX_QUEUES */
	uint16_t queue_max_size;   /* power of two, <= 32768 (spec 2.7) */
	uint32_t config_size;      /* bytes of device-specific config space */

	/* Device feature bits offered (the core adds VERSION_1, IN_ORDER,
	 * RING_EVENT_IDX and RING_INDIRECT_DESC unless the device masks them in
	 * features_mask below). */
	uint64_t (*features)(struct virtio_dev *d);
	/* Bits of the core's defaults this device must not offer. */
	uint64_t features_mask;
	/* Read/write device config space; off+len is within config_size
	 * (the core checks). Writes only where the device spec allows. */
	void (*config_read)(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len);
	void (*config_write)(struct virtio_dev *d, uint32_t off, const void *buf, uint32_t len);
	/* DRIVER_OK was set: start serving the enabled queues. 0 or -errno
	 * (then the core sets DEVICE_NEEDS_RESET). */
	int (*activate)(struct virtio_dev *d);
	/* The driver reset the device (status 0) or the core did: stop, drop
	 * in-flight work (completing nothing to the guest), forget state. */
	void (*reset)(struct virtio_dev *d);
	/* The driver notified queue q (called on the event loop thread). */
	void (*queue_notify)(struct virtio_dev *d, uint16_t q);
	/* Device-specific snapshot state: save writes at most *len bytes into
	 * buf and sets *len; restore takes what save wrote. 0 or -errno. */
	int (*save)(struct virtio_dev *d, void *buf, size_t *len);
	int (*restore)(struct virtio_dev *d, const void *buf, size_t len);
};

struct virtio_dev {
	const struct virtio_dev_ops *ops;
	const struct guest_mem *mem;
	struct event_loop *loop;
	struct virtio_transport transport;
	pthread_mutex_t lock;

	uint64_t device_features;   /* offered */
	uint64_t driver_features;   /* accepted by the driver */
	uint32_t device_feature_select, driver_feature_select;
	uint8_t status;             /* VIRTIO_CONFIG_S_* */
	atomic_uint isr;            /* ISR status bits (legacy/INTx path) */
	uint32_t config_generation;
	uint16_t queue_select;
	struct virtq queues[VIRTIO_MAX_QUEUES];

	atomic_ulong guest_errors;  /* malformed requests seen (counted, not logged) */
};

/* Features the core offers on every device unless ops->features_mask
 * removes them (VERSION_1 is always offered: skiff's devices are modern). */
#define VIRTIO_DEV_CORE_FEATURES ((1ULL << VIRTIO_F_IN_ORDER) | \
				  (1ULL << VIRTIO_RING_F_EVENT_IDX) | \
				  (1ULL << VIRTIO_RING_F_INDIRECT_DESC))

/* Set up d for ops on mem; the transport fills d->transport before the
 * guest runs. 0 or -EINVAL for bad ops (no features callback, no queues
 * or more than VIRTIO_MAX_QUEUES, a queue_max_size that is not a power of
 * two <= 32768), or -errno from pthread.
 * Locking: d->lock is recursive. The core holds it around every ops
 * callback and transport callback, and every public call here takes it,
 * so a device may call back into the core from its callbacks. */
int virtio_dev_init(struct virtio_dev *d, const struct virtio_dev_ops *ops,
		    const struct guest_mem *mem, struct event_loop *loop);
void virtio_dev_destroy(struct virtio_dev *d);

/* Transport side (common configuration, spec 4.1.4.3). */
uint32_t virtio_dev_read_device_features(struct virtio_dev *d);   /* at device_feature_select */
void virtio_dev_write_driver_features(struct virtio_dev *d, uint32_t v); /* at driver_feature_select */
uint32_t virtio_dev_read_driver_features(struct virtio_dev *d);
/* Status writes follow spec 3.1.1: 0 resets; FEATURES_OK is refused (left
 * clear) when the driver accepted features not offered or lacks VERSION_1;
 * DRIVER_OK activates the device. */
void virtio_dev_write_status(struct virtio_dev *d, uint8_t status);
uint8_t virtio_dev_read_status(struct virtio_dev *d);
/* Reading ISR clears it (spec 4.1.4.5). */
uint8_t virtio_dev_read_isr(struct virtio_dev *d);
/* Device config space; out-of-range bytes read as zero and writes to them
 * are ignored and counted. */
void virtio_dev_config_read(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len);
void virtio_dev_config_write(struct virtio_dev *d, uint32_t off, const void *buf, uint32_t len);

/* The selected queue (queue_select); NULL when out of range. */
struct virtq *virtio_dev_selected_queue(struct virtio_dev *d);

/* A notification for queue q arrived (event loop). Ignored unless the
 * device is DRIVER_OK and the queue enabled. */
void virtio_dev_notify(struct virtio_dev *d, uint16_t q);

/* A device that spent its budget on queue q with more chains available
 * stops there and calls this, with q's notifications left off: it is
 * notified again after the event loop served everything else that was
 * ready. A guest that keeps refilling a ring must not hold the event loop
 * (and every other device on it) for ever: kicks are not level-triggered,
 * so without this the device could not stop early. No-op where the
 * transport has no notify_again (the device is then kicked by the driver
 * only). */
void virtio_dev_notify_again(struct virtio_dev *d, uint16_t q);

/* Used buffers were added to queue q: interrupt the driver unless event
 * suppression (VIRTIO_RING_F_EVENT_IDX / NO_INTERRUPT flag) says not to. */
void virtio_dev_signal_queue(struct virtio_dev *d, uint16_t q);

/* Mark DEVICE_NEEDS_RESET and tell the driver (config interrupt), count
 * the guest error. The device stops processing until reset. */
void virtio_dev_needs_reset(struct virtio_dev *d);

bool virtio_dev_has_feature(const struct virtio_dev *d, unsigned int bit);

/* Serve queue q outside skiff (vhost): the transport's kick and call
 * eventfds for it (see struct virtio_transport). -ENOTSUP where the
 * transport cannot (the unit-test harness, MMIO kicks only); the device
 * then serves q itself. virtio_dev_queue_reclaim() gives the kicks back;
 * a device calls it when it stops the offload (reset, fallback). */
int virtio_dev_queue_offload(struct virtio_dev *d, uint16_t q, int *kick_fd, int *call_fd);
void virtio_dev_queue_reclaim(struct virtio_dev *d, uint16_t q);

/* The device changed its config space: bump config_generation (spec
 * 2.5.1, so a driver reading across the change retries) and, once the
 * driver is up, send a configuration change notification. Any thread. */
void virtio_dev_config_changed(struct virtio_dev *d);

/* Snapshot of the core state (features, status, queues) plus the device's
 * own blob; see virtio/state.h for the layout. Save flushes any pending
 * used entries first and returns 0 or -errno from ops->save (-ENOSPC when
 * it does not fit). Restore is for a device just initialised with the same
 * ops: it checks s (-EINVAL: wrong magic/version/device/queue count,
 * features not offered here, a bad queue size or ring address), resets the
 * device, applies s, hands the blob to ops->restore and, when s says
 * DRIVER_OK, restarts the ready queues and calls ops->activate. The next
 * virtio_dev_signal_queue() always interrupts (what the driver saw is
 * unknown). */
struct virtio_dev_state;
int virtio_dev_save(struct virtio_dev *d, struct virtio_dev_state *s);
int virtio_dev_restore(struct virtio_dev *d, const struct virtio_dev_state *s);

#endif
