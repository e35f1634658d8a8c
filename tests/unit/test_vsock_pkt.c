/* Unit tests: the virtio-vsock header codec and the checks every guest
 * packet passes (devices/vsock_pkt), field by field. */
#include <endian.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "devices/vsock_pkt.h"

#define CID 3

static struct vsock_pkt good(void)
{
	return (struct vsock_pkt){
		.src_cid = CID, .dst_cid = VSOCK_HOST_CID, .src_port = 1024, .dst_port = 80,
		.len = 10, .type = VIRTIO_VSOCK_TYPE_STREAM, .op = VIRTIO_VSOCK_OP_RW,
		.buf_alloc = 4096, .fwd_cnt = 7,
	};
}

static void codec_is_little_endian_and_round_trips(void **state)
{
	struct vsock_pkt p = good(), q;
	struct virtio_vsock_hdr h, h2;
	uint8_t raw[44];

	(void)state;
	assert_int_equal(sizeof(h), 44); /* spec 5.10.6 */
	p.src_cid = 0x0102030405060708ull;
	vsock_pkt_encode(&p, &h);
	memcpy(raw, &h, sizeof(raw));
	assert_int_equal(raw[0], 0x08); /* le64 src_cid */
	assert_int_equal(raw[7], 0x01);
	assert_int_equal(raw[24], 10);  /* le32 len at offset 24 */
	assert_int_equal(raw[28], VIRTIO_VSOCK_TYPE_STREAM);
	assert_int_equal(raw[30], VIRTIO_VSOCK_OP_RW);
	vsock_pkt_decode(&h, &q);
	assert_true(q.src_cid == p.src_cid && q.dst_cid == p.dst_cid && q.src_port == p.src_port &&
		    q.dst_port == p.dst_port && q.len == p.len && q.type == p.type &&
		    q.op == p.op && q.flags == p.flags && q.buf_alloc == p.buf_alloc &&
		    q.fwd_cnt == p.fwd_cnt);
	vsock_pkt_encode(&q, &h2);
	assert_memory_equal(&h, &h2, sizeof(h));
}

static void checks(void **state)
{
	struct vsock_pkt p = good();

	(void)state;
	assert_int_equal(vsock_pkt_check(&p, 10, CID, false), VSOCK_PKT_OK);
	assert_int_equal(vsock_pkt_check(&p, 100, CID, false), VSOCK_PKT_OK);
	/* length beyond the buffer, or beyond 64 KiB */
	assert_int_equal(vsock_pkt_check(&p, 9, CID, false), VSOCK_PKT_DROP_LEN);
	p.len = VSOCK_MAX_PAYLOAD + 1;
	assert_int_equal(vsock_pkt_check(&p, UINT32_MAX, CID, false), VSOCK_PKT_DROP_LEN);
	p = good();
	/* another VM's CID */
	p.src_cid = CID + 1;
	assert_int_equal(vsock_pkt_check(&p, 10, CID, false), VSOCK_PKT_DROP_ADDR);
	p = good();
	/* SEQPACKET only when negotiated; unknown types never */
	p.type = VIRTIO_VSOCK_TYPE_SEQPACKET;
	assert_int_equal(vsock_pkt_check(&p, 10, CID, false), VSOCK_PKT_RST_TYPE);
	assert_int_equal(vsock_pkt_check(&p, 10, CID, true), VSOCK_PKT_OK);
	p.type = 0;
	assert_int_equal(vsock_pkt_check(&p, 10, CID, true), VSOCK_PKT_RST_TYPE);
	p.type = 3;
	assert_int_equal(vsock_pkt_check(&p, 10, CID, true), VSOCK_PKT_RST_TYPE);
	p = good();
	/* ops 1..7 only */
	p.op = VIRTIO_VSOCK_OP_INVALID;
	assert_int_equal(vsock_pkt_check(&p, 10, CID, false), VSOCK_PKT_RST_OP);
	p.op = VIRTIO_VSOCK_OP_CREDIT_REQUEST + 1;
	assert_int_equal(vsock_pkt_check(&p, 10, CID, false), VSOCK_PKT_RST_OP);
	for (uint16_t op = VIRTIO_VSOCK_OP_REQUEST; op <= VIRTIO_VSOCK_OP_CREDIT_REQUEST; op++) {
		p.op = op;
		assert_int_equal(vsock_pkt_check(&p, 10, CID, false), VSOCK_PKT_OK);
	}
	p = good();
	/* to someone other than the host */
	p.dst_cid = CID;
	assert_int_equal(vsock_pkt_check(&p, 10, CID, false), VSOCK_PKT_RST_DST);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(codec_is_little_endian_and_round_trips),
		cmocka_unit_test(checks),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
