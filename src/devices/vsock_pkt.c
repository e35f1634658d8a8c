/* vsock_pkt: see vsock_pkt.h. */
#include "devices/vsock_pkt.h"

#include <endian.h>

void vsock_pkt_decode(const struct virtio_vsock_hdr *h, struct vsock_pkt *p)
{
	p->src_cid = le64toh(h->src_cid);
	p->dst_cid = le64toh(h->dst_cid);
	p->src_port = le32toh(h->src_port);
	p->dst_port = le32toh(h->dst_port);
	p->len = le32toh(h->len);
	p->type = le16toh(h->type);
	p->op = le16toh(h->op);
	p->flags = le32toh(h->flags);
	p->buf_alloc = le32toh(h->buf_alloc);
	p->fwd_cnt = le32toh(h->fwd_cnt);
}

void vsock_pkt_encode(const struct vsock_pkt *p, struct virtio_vsock_hdr *h)
{
	h->src_cid = htole64(p->src_cid);
	h->dst_cid = htole64(p->dst_cid);
	h->src_port = htole32(p->src_port);
	h->dst_port = htole32(p->dst_port);
	h->len = htole32(p->len);
	h->type = htole16(p->type);
	h->op = htole16(p->op);
	h->flags = htole32(p->flags);
	h->buf_alloc = htole32(p->buf_alloc);
	h->fwd_cnt = htole32(p->fwd_cnt);
}

enum vsock_verdict vsock_pkt_check(const struct vsock_pkt *p, uint32_t payload_avail,
				   uint64_t guest_cid, bool seqpacket)
{
	/* The length must agree with the buffer (5.10.6.6: "len" is the
	 * payload that follows the header); only RW carries payload, but a
	 * control packet with a stray length is dropped too, as vhost does. */
	if (p->len > payload_avail || p->len > VSOCK_MAX_PAYLOAD)
		return VSOCK_PKT_DROP_LEN;
	/* 5.10.6.3: the driver's packets carry its own CID as src_cid. */
	if (p->src_cid != guest_cid)
		return VSOCK_PKT_DROP_ADDR;
	/* 5.10.6.4: "unknown type ... reply with RST"; SEQPACKET only when
	 * VIRTIO_VSOCK_F_SEQPACKET was negotiated (5.10.3). */
	if (p->type != VIRTIO_VSOCK_TYPE_STREAM &&
	    !(p->type == VIRTIO_VSOCK_TYPE_SEQPACKET && seqpacket))
		return VSOCK_PKT_RST_TYPE;
	if (p->op < VIRTIO_VSOCK_OP_REQUEST || p->op > VIRTIO_VSOCK_OP_CREDIT_REQUEST)
		return VSOCK_PKT_RST_OP;
	if (p->dst_cid != VSOCK_HOST_CID)
		return VSOCK_PKT_RST_DST;
	return VSOCK_PKT_OK;
}
