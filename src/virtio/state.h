/* virtio_dev_state: what virtio_dev_save() records of a device and
 * virtio_dev_restore() puts back (snapshots, migration).
 *
 * A plain fixed-size record of fixed-width fields, in host byte order,
 * written and read by the same skiff build on the same host architecture;
 * the snapshot layer frames it (length, checksum). Restore treats it as
 * untrusted input: magic, version, device id, queue count and every queue
 * size are checked before anything is applied. */
#ifndef SKIFF_VIRTIO_STATE_H
#define SKIFF_VIRTIO_STATE_H

#include <stdint.h>

#include "virtio/device.h"

#define VIRTIO_DEV_STATE_MAGIC   0x56495254u   /* "VIRT" */
#define VIRTIO_DEV_STATE_VERSION 1u
/* Room for a device's own blob (ops->save). */
#define VIRTIO_DEV_STATE_BLOB_MAX 4096u

struct virtio_queue_state {
	uint64_t desc_gpa, avail_gpa, used_gpa;
	uint16_t size;
	uint16_t msix_vector;
	uint16_t last_avail_idx;
	uint16_t used_idx;
	uint16_t next_head;     /* VIRTIO_F_IN_ORDER: head of the next chain */
	uint8_t ready;
	uint8_t pad[5];
};

struct virtio_dev_state {
	uint32_t magic;
	uint32_t version;
	uint16_t device_id;
	uint16_t num_queues;
	uint8_t status;
	uint8_t isr;
	uint16_t queue_select;
	uint32_t device_feature_select, driver_feature_select;
	uint32_t config_generation;
	uint64_t device_features;
	uint64_t driver_features;
	struct virtio_queue_state queues[VIRTIO_MAX_QUEUES];
	uint32_t blob_len;
	uint8_t blob[VIRTIO_DEV_STATE_BLOB_MAX];
};

#endif
