/* vsock_pkt: the virtio-vsock packet header (virtio 1.2 spec 5.10.6,
 * struct virtio_vsock_hdr of <linux/virtio_vsock.h>) parsed from and
 * written to guest buffers, and the checks every guest packet passes
 * before the connection code sees it.
 *
 * Contract: vsock_pkt_check() takes a header already copied out of guest
 * memory (read once, so the guest cannot change it under us) and the
 * number of payload bytes the buffer really carries; it never touches
 * guest memory and returns what to do with the packet. Pure functions:
 * the fuzz target drives them directly. */
#ifndef SKIFF_DEVICES_VSOCK_PKT_H
#define SKIFF_DEVICES_VSOCK_PKT_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/virtio_vsock.h>

/* The host's CID (VMADDR_CID_HOST, <linux/vm_sockets.h>; spec 5.10.4). */
#define VSOCK_HOST_CID 2u
#define VSOCK_HDR_LEN ((uint32_t)sizeof(struct virtio_vsock_hdr))
/* Largest payload of one packet, as Linux's VIRTIO_VSOCK_MAX_PKT_BUF_SIZE
 * (include/linux/virtio_vsock.h, not UAPI): a guest never sends more, and
 * vhost-vsock drops larger packets the same way. */
#define VSOCK_MAX_PAYLOAD (64u * 1024)

/* A header in host byte order. */
struct vsock_pkt {
	uint64_t src_cid, dst_cid;
	uint32_t src_port, dst_port;
	uint32_t len;
	uint16_t type, op;
	uint32_t flags;
	uint32_t buf_alloc, fwd_cnt;
};

/* What to do with a packet the guest sent. */
enum vsock_verdict {
	VSOCK_PKT_OK = 0,        /* pass it to the connection code */
	VSOCK_PKT_DROP_LEN,      /* hdr.len exceeds the buffer or VSOCK_MAX_PAYLOAD: drop */
	VSOCK_PKT_DROP_ADDR,     /* src_cid is not the guest's (spec 5.10.6.3): drop */
	VSOCK_PKT_RST_TYPE,      /* unknown type, or SEQPACKET not negotiated: reply RST */
	VSOCK_PKT_RST_OP,        /* unknown op: reply RST */
	VSOCK_PKT_RST_DST,       /* dst_cid is not the host: reply RST (nobody there) */
};

/* Little-endian wire header -> host order. */
void vsock_pkt_decode(const struct virtio_vsock_hdr *h, struct vsock_pkt *p);
/* Host order -> wire header. */
void vsock_pkt_encode(const struct vsock_pkt *p, struct virtio_vsock_hdr *h);
/* Check p against the spec for a device receiving on its tx queue:
 * payload_avail is how many readable bytes follow the header in the
 * buffer. An RST packet is never answered with RST (5.10.6.4): callers
 * drop those instead of replying. */
enum vsock_verdict vsock_pkt_check(const struct vsock_pkt *p, uint32_t payload_avail,
				   uint64_t guest_cid, bool seqpacket);

#endif
