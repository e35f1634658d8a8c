/* disk_io: asynchronous I/O on a raw disk image file through io_uring
 * (liburing). Requests are queued from the event loop thread, handed to
 * the kernel by disk_io_submit(), and completed on the event loop when the
 * ring's eventfd fires, so no guest I/O ever blocks a vCPU thread or the
 * loop itself. Why io_uring rather than a thread pool: one syscall submits a
 * whole batch of virtqueue requests, completions need no locking, and
 * flush/discard/write-zeroes map to single operations (IORING_OP_FSYNC with
 * DATASYNC, IORING_OP_FALLOCATE).
 *
 * Single-threaded: every call but disk_io_open() runs on the event loop. */
#ifndef SKIFF_DEVICES_DISK_IO_H
#define SKIFF_DEVICES_DISK_IO_H

#include <liburing.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "util/event_loop.h"

/* A request; the caller owns it until done() is called with the result:
 * bytes transferred for read/write (check it against what was asked),
 * 0 for flush/discard/write-zeroes, or -errno. */
struct disk_io_req {
	void (*done)(struct disk_io_req *req, int res);
};

struct disk_io {
	int fd;
	bool readonly;
	uint64_t size;            /* bytes */
	unsigned int depth;       /* most requests in flight */
	unsigned int inflight;    /* queued or submitted, not yet completed */
	unsigned int unsubmitted; /* queued since the last disk_io_submit() */
	struct io_uring ring;
	int efd;                  /* completions signal this eventfd */
	struct event_loop *loop;
	struct event_handler handler;
	/* Optional: called after disk_io_reap() ran a batch of callbacks, so
	 * the owner can publish their results together. */
	void (*reaped)(struct disk_io *io);
};

/* Open path (O_RDWR, or O_RDONLY when readonly) and set up a ring of depth
 * entries; when loop is not NULL completions are reaped on it. Returns 0,
 * or -errno from open/io_uring_queue_init (logged by the caller). */
int disk_io_open(struct disk_io *io, const char *path, bool readonly, unsigned int depth,
		 struct event_loop *loop);
/* Wait for in-flight requests (their callbacks run), then free everything. */
void disk_io_close(struct disk_io *io);

/* Queue a request. -EAGAIN when depth requests are in flight (retry after a
 * completion), -EROFS for writes to a read-only image. Nothing reaches the
 * kernel before disk_io_submit(). */
int disk_io_readv(struct disk_io *io, uint64_t off, const struct iovec *iov, int iovcnt,
		  struct disk_io_req *req);
int disk_io_writev(struct disk_io *io, uint64_t off, const struct iovec *iov, int iovcnt,
		   struct disk_io_req *req);
/* fdatasync: completes once everything completed before it is durable. */
int disk_io_flush(struct disk_io *io, struct disk_io_req *req);
/* Deallocate (punch a hole) or zero a byte range, keeping the file size. */
int disk_io_discard(struct disk_io *io, uint64_t off, uint64_t len, struct disk_io_req *req);
int disk_io_write_zeroes(struct disk_io *io, uint64_t off, uint64_t len,
			 struct disk_io_req *req);

/* Hand queued requests to the kernel. 0 or -errno. */
int disk_io_submit(struct disk_io *io);
/* Run the callbacks of completed requests; with wait, block for at least
 * one when any is in flight. Returns how many completed, or -errno. */
int disk_io_reap(struct disk_io *io, bool wait);

#endif
