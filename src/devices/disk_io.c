#include "devices/disk_io.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util/container_of.h"

static void on_completion(struct event_handler *h, uint32_t events)
{
	struct disk_io *io = container_of(h, struct disk_io, handler);
	eventfd_t v;

	(void)events;
	eventfd_read(io->efd, &v);
	disk_io_reap(io, false);
}

int disk_io_open(struct disk_io *io, const char *path, bool readonly, unsigned int depth,
		 struct event_loop *loop)
{
	struct stat st;
	int r;

	memset(io, 0, sizeof(*io));
	io->efd = -1;
	io->readonly = readonly;
	io->depth = depth;
	io->loop = loop;
	io->fd = open(path, (readonly ? O_RDONLY : O_RDWR) | O_CLOEXEC);
	if (io->fd < 0)
		return -errno;
	if (fstat(io->fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		r = S_ISDIR(st.st_mode) ? -EISDIR : -EINVAL;
		goto fail_fd;
	}
	io->size = (uint64_t)st.st_size;
	r = io_uring_queue_init(depth, &io->ring, 0);
	if (r < 0)
		goto fail_fd;
	io->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (io->efd < 0) {
		r = -errno;
		goto fail_ring;
	}
	r = io_uring_register_eventfd(&io->ring, io->efd);
	if (r == 0 && loop) {
		io->handler.fn = on_completion;
		r = event_loop_add(loop, io->efd, EPOLLIN, &io->handler);
	}
	if (r < 0)
		goto fail_efd;
	return 0;
fail_efd:
	close(io->efd);
fail_ring:
	io_uring_queue_exit(&io->ring);
fail_fd:
	close(io->fd);
	io->fd = -1;
	return r;
}

void disk_io_close(struct disk_io *io)
{
	if (io->fd < 0)
		return;
	disk_io_submit(io);
	while (io->inflight > 0 && disk_io_reap(io, true) >= 0)
		;
	if (io->loop)
		event_loop_del(io->loop, io->efd);
	close(io->efd);
	io_uring_queue_exit(&io->ring);
	close(io->fd);
	io->fd = -1;
}

/* A free submission entry for req, or NULL (-EAGAIN) when depth is reached. */
static struct io_uring_sqe *get_sqe(struct disk_io *io, struct disk_io_req *req)
{
	struct io_uring_sqe *sqe;

	if (io->inflight >= io->depth)
		return NULL;
	sqe = io_uring_get_sqe(&io->ring);
	if (!sqe)
		return NULL;
	io_uring_sqe_set_data(sqe, req);
	io->inflight++;
	io->unsubmitted++;
	return sqe;
}

int disk_io_readv(struct disk_io *io, uint64_t off, const struct iovec *iov, int iovcnt,
		  struct disk_io_req *req)
{
	struct io_uring_sqe *sqe = get_sqe(io, req);

	if (!sqe)
		return -EAGAIN;
	io_uring_prep_readv(sqe, io->fd, iov, (unsigned int)iovcnt, off);
	return 0;
}

int disk_io_writev(struct disk_io *io, uint64_t off, const struct iovec *iov, int iovcnt,
		   struct disk_io_req *req)
{
	struct io_uring_sqe *sqe;

	if (io->readonly)
		return -EROFS;
	sqe = get_sqe(io, req);
	if (!sqe)
		return -EAGAIN;
	io_uring_prep_writev(sqe, io->fd, iov, (unsigned int)iovcnt, off);
	return 0;
}

int disk_io_flush(struct disk_io *io, struct disk_io_req *req)
{
	struct io_uring_sqe *sqe = get_sqe(io, req);

	if (!sqe)
		return -EAGAIN;
	io_uring_prep_fsync(sqe, io->fd, IORING_FSYNC_DATASYNC);
	/* Drain: the sync starts only after every earlier request completed,
	 * so a flush covers all writes the guest saw complete before it. */
	sqe->flags |= IOSQE_IO_DRAIN;
	return 0;
}

static int queue_fallocate(struct disk_io *io, int mode, uint64_t off, uint64_t len,
			   struct disk_io_req *req)
{
	struct io_uring_sqe *sqe;

	if (io->readonly)
		return -EROFS;
	sqe = get_sqe(io, req);
	if (!sqe)
		return -EAGAIN;
	io_uring_prep_fallocate(sqe, io->fd, mode, (off_t)off, (off_t)len);
	return 0;
}

int disk_io_discard(struct disk_io *io, uint64_t off, uint64_t len, struct disk_io_req *req)
{
	return queue_fallocate(io, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, off, len, req);
}

int disk_io_write_zeroes(struct disk_io *io, uint64_t off, uint64_t len,
			 struct disk_io_req *req)
{
	return queue_fallocate(io, FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE, off, len, req);
}

int disk_io_submit(struct disk_io *io)
{
	int r;

	if (io->unsubmitted == 0)
		return 0;
	do
		r = io_uring_submit(&io->ring);
	while (r == -EINTR);
	if (r < 0)
		return r;
	io->unsubmitted -= (unsigned int)r < io->unsubmitted ? (unsigned int)r : io->unsubmitted;
	return 0;
}

int disk_io_reap(struct disk_io *io, bool wait)
{
	struct io_uring_cqe *cqe;
	int n = 0, r;

	if (wait && io->inflight > 0) {
		/* Waiting for requests the kernel never got would hang. */
		r = disk_io_submit(io);
		if (r < 0)
			return r;
		do
			r = io_uring_wait_cqe(&io->ring, &cqe);
		while (r == -EINTR);
		if (r < 0)
			return r;
	}
	while (io_uring_peek_cqe(&io->ring, &cqe) == 0) {
		struct disk_io_req *req = io_uring_cqe_get_data(cqe);
		int res = cqe->res;

		io_uring_cqe_seen(&io->ring, cqe);
		io->inflight--;
		n++;
		req->done(req, res);
	}
	if (n > 0 && io->reaped)
		io->reaped(io);
	return n;
}
