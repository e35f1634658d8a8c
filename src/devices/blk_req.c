#include "devices/blk_req.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

#include "util/iov.h"

#define SECTOR_SIZE (1u << BLK_SECTOR_SHIFT)

static int finish(struct blk_request *r, uint8_t status)
{
	if (status != VIRTIO_BLK_S_OK)
		r->disk->guest_errors++;
	*r->status = status;
	r->used_len += 1;
	return 1;
}

static void io_done(struct disk_io_req *req, int res)
{
	struct blk_request *r = (struct blk_request *)req;
	/* A short transfer is an error too: the guest asked for all of it. */
	uint8_t status = (res < 0 || (uint32_t)res != r->expect) ? VIRTIO_BLK_S_IOERR
								 : VIRTIO_BLK_S_OK;

	if (status != VIRTIO_BLK_S_OK)
		r->used_len = 0; /* nothing valid was read */
	finish(r, status);
	r->complete(r);
}

/* Is [sector, sector + bytes/512) inside the disk? Overflow-safe. */
static bool in_range(const struct blk_disk *disk, uint64_t sector, uint64_t bytes)
{
	uint64_t n = bytes >> BLK_SECTOR_SHIFT;

	return sector <= disk->sectors && n <= disk->sectors - sector;
}

static int rw(struct blk_request *r, bool write, uint64_t sector, const struct iovec *seg,
	      unsigned int nseg, size_t off, size_t len)
{
	int n, q;

	if (len % SECTOR_SIZE || !in_range(r->disk, sector, len))
		return finish(r, VIRTIO_BLK_S_IOERR);
	if (write && r->disk->io.readonly)
		return finish(r, VIRTIO_BLK_S_IOERR); /* read-only disk, spec 5.2.6.2 */
	if (len == 0)
		return finish(r, VIRTIO_BLK_S_OK);
	n = iov_slice(seg, nseg, off, len, r->data, BLK_SEG_MAX);
	if (n < 0)
		return finish(r, VIRTIO_BLK_S_IOERR);
	r->expect = (uint32_t)len;
	r->io.done = io_done;
	q = write ? disk_io_writev(&r->disk->io, sector << BLK_SECTOR_SHIFT, r->data, n, &r->io)
		  : disk_io_readv(&r->disk->io, sector << BLK_SECTOR_SHIFT, r->data, n, &r->io);
	if (q == 0 && !write)
		r->used_len = (uint32_t)len;
	return q;
}

/* DISCARD and WRITE_ZEROES carry one struct virtio_blk_discard_write_zeroes
 * (we advertise max_*_seg = 1; spec 5.2.6.2). */
static int discard_or_zero(struct blk_request *r, uint32_t type, const struct iovec *seg,
			   unsigned int nseg, size_t off, size_t len)
{
	struct virtio_blk_discard_write_zeroes range;
	uint64_t sector, bytes;
	uint32_t flags;
	int q;

	if (len != sizeof(range) || iov_to_buf(seg, nseg, off, &range, sizeof(range)) != len)
		return finish(r, VIRTIO_BLK_S_UNSUPP);
	sector = range.sector;
	bytes = (uint64_t)range.num_sectors << BLK_SECTOR_SHIFT;
	flags = range.flags;
	/* Unknown flag bits, or UNMAP on a discard, are not supported. */
	if ((flags & ~VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP) ||
	    (type == VIRTIO_BLK_T_DISCARD && flags))
		return finish(r, VIRTIO_BLK_S_UNSUPP);
	if (range.num_sectors > BLK_MAX_DISCARD_SECTORS || !in_range(r->disk, sector, bytes))
		return finish(r, VIRTIO_BLK_S_IOERR);
	if (r->disk->io.readonly)
		return finish(r, VIRTIO_BLK_S_IOERR);
	r->expect = 0;
	r->io.done = io_done;
	q = type == VIRTIO_BLK_T_DISCARD
		? disk_io_discard(&r->disk->io, sector << BLK_SECTOR_SHIFT, bytes, &r->io)
		: disk_io_write_zeroes(&r->disk->io, sector << BLK_SECTOR_SHIFT, bytes, &r->io);
	return q;
}

int blk_req_start(struct blk_disk *disk, struct blk_request *r, const struct iovec *seg,
		  unsigned int nseg, unsigned int nreadable)
{
	struct virtio_blk_outhdr hdr;
	size_t rlen = iov_length(seg, nreadable);
	size_t wlen = iov_length(seg + nreadable, nseg - nreadable);
	const struct iovec *wseg = seg + nreadable, *last;
	unsigned int nw = nseg - nreadable;
	int q;

	r->disk = disk;
	r->used_len = 0;
	r->expect = 0;
	if (wlen == 0)
		return -EPROTO;
	/* The status byte is the last byte of the last writable descriptor. */
	last = &wseg[nw - 1];
	while (last->iov_len == 0)
		last--;
	r->status = (uint8_t *)last->iov_base + last->iov_len - 1;
	wlen -= 1;

	if (rlen < sizeof(hdr) || iov_to_buf(seg, nreadable, 0, &hdr, sizeof(hdr)) != sizeof(hdr))
		return finish(r, VIRTIO_BLK_S_IOERR);
	switch (hdr.type) {
	case VIRTIO_BLK_T_IN:
		q = rw(r, false, hdr.sector, wseg, nw, 0, wlen);
		break;
	case VIRTIO_BLK_T_OUT:
		q = rw(r, true, hdr.sector, seg, nreadable, sizeof(hdr), rlen - sizeof(hdr));
		break;
	case VIRTIO_BLK_T_FLUSH:
		r->io.done = io_done;
		q = disk_io_flush(&disk->io, &r->io);
		break;
	case VIRTIO_BLK_T_GET_ID: {
		size_t n = wlen < VIRTIO_BLK_ID_BYTES ? wlen : VIRTIO_BLK_ID_BYTES;

		r->used_len = (uint32_t)iov_from_buf(wseg, nw, 0, disk->serial, n);
		return finish(r, VIRTIO_BLK_S_OK);
	}
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		q = discard_or_zero(r, hdr.type, seg, nreadable, sizeof(hdr), rlen - sizeof(hdr));
		break;
	default:
		return finish(r, VIRTIO_BLK_S_UNSUPP);
	}
	if (q == -EAGAIN)
		r->used_len = 0;
	else if (q == -EROFS)
		return finish(r, VIRTIO_BLK_S_IOERR);
	else if (q < 0 && q != -EAGAIN)
		return finish(r, VIRTIO_BLK_S_IOERR);
	return q;
}

void blk_req_config(const struct blk_disk *disk, uint16_t num_queues,
		    struct virtio_blk_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->capacity = disk->sectors;
	cfg->seg_max = BLK_SEG_MAX;
	cfg->blk_size = SECTOR_SIZE;
	cfg->num_queues = num_queues;
	cfg->max_discard_sectors = BLK_MAX_DISCARD_SECTORS;
	cfg->max_discard_seg = 1;
	cfg->discard_sector_alignment = 1;
	cfg->max_write_zeroes_sectors = BLK_MAX_DISCARD_SECTORS;
	cfg->max_write_zeroes_seg = 1;
	cfg->write_zeroes_may_unmap = 1;
}
