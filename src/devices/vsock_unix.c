/* vsock_unix: see vsock_unix.h. */
#include "devices/vsock_unix.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "devices/vsock_conn.h"
#include "util/container_of.h"

static int make_addr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(a->sun_path))
		return -ENAMETOOLONG;
	strcpy(a->sun_path, path);
	return 0;
}

/* Seqpacket messages go whole into the peer's queue, charged to the
 * sender's buffer: make room for the largest message we pass. FORCE
 * works as root (the sandbox); otherwise net.core.wmem_max caps it. */
static void size_buffers(int fd, int type)
{
	int sz = 2 * VSOCK_MAX_MSG + 65536;

	if (type != SOCK_SEQPACKET)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
}

int vsock_unix_connect(struct virtio_vsock *v, uint32_t port, uint16_t type)
{
	int st = type == VIRTIO_VSOCK_TYPE_SEQPACKET ? SOCK_SEQPACKET : SOCK_STREAM;
	struct sockaddr_un a;
	char path[VSOCK_SUN_PATH + 16];
	int fd, r;

	snprintf(path, sizeof(path), "%s_%u", v->path, port);
	r = make_addr(&a, path);
	if (r < 0)
		return r;
	fd = socket(AF_UNIX, st | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	size_buffers(fd, st);
	/* Non-blocking: a Unix connect completes at once or fails (EAGAIN
	 * when the listener's backlog is full), never blocks the loop. */
	if (connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		r = -errno;
		close(fd);
		return r;
	}
	return fd;
}

int vsock_unix_read_line(struct vsock_conn *c, uint32_t *port)
{
	char buf[sizeof(c->line) + 1], *end;
	unsigned long p;
	ssize_t n;
	size_t len;

	if (c->type == VIRTIO_VSOCK_TYPE_SEQPACKET) {
		/* One message: the line. */
		n = recv(c->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0)
			return errno == EAGAIN ? -EAGAIN : -EINVAL;
		if (n == 0 || (size_t)n >= sizeof(buf) - 1)
			return -EINVAL;
		len = (size_t)n;
	} else {
		/* Stream: read up to the newline only; what follows is data. */
		char *nl;

		n = recv(c->fd, buf, sizeof(buf) - 1, MSG_DONTWAIT | MSG_PEEK);
		if (n < 0)
			return errno == EAGAIN ? -EAGAIN : -EINVAL;
		if (n == 0)
			return -EINVAL;
		nl = memchr(buf, '\n', (size_t)n);
		if (!nl)
			return (size_t)n >= sizeof(c->line) ? -EINVAL : -EAGAIN;
		len = (size_t)(nl - buf) + 1;
		if (recv(c->fd, buf, len, MSG_DONTWAIT) != (ssize_t)len)
			return -EINVAL;
	}
	buf[len] = '\0';
	if (strncmp(buf, "CONNECT ", 8) || buf[8] < '0' || buf[8] > '9')
		return -EINVAL;
	p = strtoul(buf + 8, &end, 10);
	if (strcmp(end, "\n") || p > UINT32_MAX - 1)
		return -EINVAL;
	*port = (uint32_t)p;
	return 0;
}

static void on_accept(struct event_handler *h, uint32_t events)
{
	struct vsock_listener *l = container_of(h, struct vsock_listener, h);
	struct virtio_vsock *v = l->v;
	struct vsock_conn *c;

	(void)events;
	pthread_mutex_lock(&v->dev.lock);
	for (;;) {
		int fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

		if (fd < 0)
			break;
		/* Before the guest is up nothing can answer: refuse. */
		if (!(v->dev.status & VIRTIO_CONFIG_S_DRIVER_OK)) {
			close(fd);
			continue;
		}
		size_buffers(fd, l->type);
		c = vsock_conn_new(v, fd, l->type == SOCK_SEQPACKET ? VIRTIO_VSOCK_TYPE_SEQPACKET
								    : VIRTIO_VSOCK_TYPE_STREAM,
				   VSOCK_CONN_LINE);
		/* In the table under ports (0, 0), which lookups skip in LINE
		 * state, so that reset and teardown find it. Its first edge
		 * (the line) arrives through the loop. */
		if (c)
			vsock_conn_insert(c);
	}
	pthread_mutex_unlock(&v->dev.lock);
}

/* A listener at path already answering connects is another VM's. */
static bool live(const struct sockaddr_un *a, int type)
{
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
	bool yes;

	if (fd < 0)
		return false;
	yes = connect(fd, (const struct sockaddr *)a, sizeof(*a)) == 0;
	close(fd);
	return yes;
}

static int listen_one(struct virtio_vsock *v, struct vsock_listener *l, const char *path,
		      int type)
{
	struct sockaddr_un a;
	int r = make_addr(&a, path);

	if (r < 0)
		return r;
	if (live(&a, type))
		return -EADDRINUSE;
	unlink(path); /* stale, or not a socket: bind tells */
	l->fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return -errno;
	if (bind(l->fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l->fd, 4096) < 0) {
		r = -errno;
		close(l->fd);
		l->fd = -1;
		return r;
	}
	snprintf(l->path, sizeof(l->path), "%s", path);
	l->v = v;
	l->type = type;
	l->h.fn = on_accept;
	if (v->dev.loop && (r = event_loop_add(v->dev.loop, l->fd, EPOLLIN, &l->h)) < 0) {
		close(l->fd);
		l->fd = -1;
		unlink(path);
		return r;
	}
	return 0;
}

int vsock_unix_listen(struct virtio_vsock *v)
{
	char seq[VSOCK_SUN_PATH + 16];
	int r;

	if (strlen(v->path) > VSOCK_VSOCK_SUN_PATH)
		return -ENAMETOOLONG;
	snprintf(seq, sizeof(seq), "%s%s", v->path, VSOCK_UNIX_SEQ_SUFFIX);
	r = listen_one(v, &v->listen[0], v->path, SOCK_STREAM);
	if (r == 0) {
		r = listen_one(v, &v->listen[1], seq, SOCK_SEQPACKET);
		if (r < 0)
			vsock_unix_close(v);
	}
	return r;
}

void vsock_unix_close(struct virtio_vsock *v)
{
	for (int i = 0; i < 2; i++) {
		struct vsock_listener *l = &v->listen[i];

		if (l->fd < 0)
			continue;
		if (v->dev.loop)
			event_loop_del(v->dev.loop, l->fd);
		close(l->fd);
		unlink(l->path);
		l->fd = -1;
	}
}
