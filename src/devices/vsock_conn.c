/* vsock_conn: the connection table, lifetimes and host socket events; see
 * vsock_conn.h. */
#include "devices/vsock_conn.h"
#include "devices/vsock_conn_internal.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "util/container_of.h"
#include "util/log.h"

static unsigned int bucket(uint32_t host_port, uint32_t guest_port)
{
	uint32_t h = host_port * 2654435761u ^ guest_port * 40503u;

	return (h ^ (h >> 16)) % VSOCK_CONN_BUCKETS;
}

int vsock_conns_init(struct virtio_vsock *v)
{
	v->buckets = calloc(VSOCK_CONN_BUCKETS, sizeof(*v->buckets));
	v->next_host_port = VSOCK_HOST_PORT_BASE;
	return v->buckets ? 0 : -ENOMEM;
}

struct vsock_conn *vsock_conn_find(struct virtio_vsock *v, uint32_t host_port,
				   uint32_t guest_port)
{
	struct vsock_conn *c;

	if (!v->buckets)
		return NULL;
	for (c = v->buckets[bucket(host_port, guest_port)]; c; c = c->hnext)
		if (c->host_port == host_port && c->guest_port == guest_port &&
		    c->state != VSOCK_CONN_LINE)
			return c;
	return NULL;
}

void vsock_conn_insert(struct vsock_conn *c)
{
	struct vsock_conn **b = &c->v->buckets[bucket(c->host_port, c->guest_port)];

	c->hnext = *b;
	*b = c;
}

static void unhash(struct vsock_conn *c)
{
	struct vsock_conn **p = &c->v->buckets[bucket(c->host_port, c->guest_port)];

	for (; *p; p = &(*p)->hnext)
		if (*p == c) {
			*p = c->hnext;
			return;
		}
}

void vsock_conn_unready(struct vsock_conn *c)
{
	struct virtio_vsock *v = c->v;

	if (!c->ready)
		return;
	if (c->rprev)
		c->rprev->rnext = c->rnext;
	else
		v->ready_head = c->rnext;
	if (c->rnext)
		c->rnext->rprev = c->rprev;
	else
		v->ready_tail = c->rprev;
	c->rnext = c->rprev = NULL;
	c->ready = false;
}

void vsock_conn_close_fd(struct vsock_conn *c)
{
	if (c->fd < 0)
		return;
	if (c->v->dev.loop)
		event_loop_del(c->v->dev.loop, c->fd);
	close(c->fd);
	c->fd = -1;
}

void vsock_conn_kill(struct vsock_conn *c)
{
	struct virtio_vsock *v = c->v;

	vsock_conn_unready(c);
	unhash(c);
	vsock_conn_close_fd(c);
	free(c->out.data);
	free(c->msg);
	c->out.data = NULL;
	c->msg = NULL;
	v->nconns--;
	if (!v->dev.loop) {
		free(c);
		return;
	}
	/* A handler earlier in the loop's batch (a guest RST, another
	 * connection's rx run) or a vCPU thread's reset may kill c while the
	 * batch still holds c's event: free it after the batch. */
	c->dead = true;
	c->hnext = v->dead;
	v->dead = c;
}

void vsock_conns_reap(struct virtio_vsock *v)
{
	struct vsock_conn *c;

	pthread_mutex_lock(&v->dev.lock);
	c = v->dead;
	v->dead = NULL;
	pthread_mutex_unlock(&v->dev.lock);
	while (c) {
		struct vsock_conn *next = c->hnext;

		free(c);
		c = next;
	}
}

void vsock_conns_clear(struct virtio_vsock *v)
{
	if (!v->buckets)
		return;
	for (unsigned int i = 0; i < VSOCK_CONN_BUCKETS; i++)
		while (v->buckets[i])
			vsock_conn_kill(v->buckets[i]);
	v->rst_count = 0;
	v->tx_stalled = false;
}

void vsock_conns_debug(struct virtio_vsock *v)
{
	for (unsigned int i = 0; v->buckets && i < VSOCK_CONN_BUCKETS; i++)
		for (struct vsock_conn *c = v->buckets[i]; c; c = c->hnext)
			log_debug("vsock: conn %u<-%u state %u pending %#x rd %d eof %d hup %d ready %d "
				  "tx %u peer_fwd %u peer_alloc %u rx %u fwd %u out %u",
				  c->host_port, c->guest_port, c->state, c->pending, c->host_rd,
				  c->host_eof, c->host_hup, c->ready, c->tx_cnt, c->peer_fwd_cnt,
				  c->peer_buf_alloc, c->rx_cnt, c->fwd_cnt, c->out.len - c->out.head);
}

void vsock_conns_destroy(struct virtio_vsock *v)
{
	vsock_conns_clear(v);
	vsock_conns_reap(v);
	free(v->buckets);
	v->buckets = NULL;
}

static bool has_work(const struct vsock_conn *c)
{
	if (c->pending)
		return true;
	if (c->state != VSOCK_CONN_ESTABLISHED || c->guest_no_rcv || c->closing)
		return false;
	if (!c->msg_have && (!c->host_rd || c->host_eof))
		return false;
	return vsock_conn_peer_credit(c) > 0;
}

void vsock_conn_wake(struct vsock_conn *c)
{
	struct virtio_vsock *v = c->v;

	if (c->ready || !has_work(c))
		return;
	c->ready = true;
	c->rnext = NULL;
	c->rprev = v->ready_tail;
	if (v->ready_tail)
		v->ready_tail->rnext = c;
	else
		v->ready_head = c;
	v->ready_tail = c;
}

void vsock_conn_reset(struct vsock_conn *c)
{
	vsock_conn_close_fd(c);
	c->out.head = c->out.len = 0;
	c->msg_have = false;
	c->closing = true;
	c->pending = VSOCK_P_RST;
	vsock_conn_wake(c);
}

static void event(struct event_handler *h, uint32_t events);

struct vsock_conn *vsock_conn_new(struct virtio_vsock *v, int fd, uint16_t type,
				  enum vsock_conn_state state)
{
	struct vsock_conn *c;

	if (v->nconns >= VSOCK_MAX_CONNS || !(c = calloc(1, sizeof(*c)))) {
		v->stats.conn_limit++;
		close(fd);
		return NULL;
	}
	c->h.fn = event;
	c->v = v;
	c->fd = fd;
	c->type = type;
	c->state = (uint8_t)state;
	v->nconns++;
	/* Edge-triggered: host_rd remembers "readable" until a read says
	 * EAGAIN, so no epoll_ctl per packet. */
	if (v->dev.loop && event_loop_add(v->dev.loop, fd, EPOLLIN | EPOLLOUT | EPOLLRDHUP |
					  EPOLLET, &c->h) < 0) {
		c->fd = -1;
		close(fd);
		free(c);
		v->nconns--;
		return NULL;
	}
	return c;
}

/* --- host socket events -------------------------------------------------- */

static void event(struct event_handler *h, uint32_t events)
{
	struct vsock_conn *c = container_of(h, struct vsock_conn, h);
	struct virtio_vsock *v = c->v;

	pthread_mutex_lock(&v->dev.lock);
	if (c->dead) { /* killed earlier in this batch (vsock_conn_kill) */
		pthread_mutex_unlock(&v->dev.lock);
		return;
	}
	if (events & EPOLLHUP)
		c->host_hup = true;
	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		c->host_rd = true;
	if (c->state == VSOCK_CONN_LINE) {
		uint32_t port;
		int r = c->host_rd ? vsock_unix_read_line(c, &port) : -EAGAIN;

		if (r == -EAGAIN && !(events & (EPOLLHUP | EPOLLERR))) {
			c->host_rd = false;
		} else if (r < 0) {
			v->stats.bad_connect++;
			vsock_conn_kill(c);
		} else {
			unhash(c); /* from (0, 0) to its real ports */
			c->guest_port = port;
			/* Ports from 2^30 up, skipping any in use; never
			 * VMADDR_PORT_ANY (-1). */
			do {
				c->host_port = v->next_host_port;
				v->next_host_port = v->next_host_port >= UINT32_MAX - 1
						    ? VSOCK_HOST_PORT_BASE : v->next_host_port + 1;
			} while (vsock_conn_find(v, c->host_port, port));
			c->state = VSOCK_CONN_REQUESTED;
			c->pending = VSOCK_P_REQUEST;
			c->peer_buf_alloc = 0;
			vsock_conn_insert(c);
			vsock_conn_wake(c);
		}
	} else {
		if (events & EPOLLOUT)
			vsock_conn_flush_out(c);
		vsock_conn_wake(c);
	}
	vsock_rx_run(v);
	pthread_mutex_unlock(&v->dev.lock);
}
