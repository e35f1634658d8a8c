/* event_loop: one epoll set and the handlers of its file descriptors.
 * The VMM's main thread runs it; devices and backends register the fds they
 * wait on (ioeventfds, sockets, timers) so nothing blocks a vCPU thread. */
#ifndef SKIFF_UTIL_EVENT_LOOP_H
#define SKIFF_UTIL_EVENT_LOOP_H

#include <stdint.h>

struct event_handler {
	/* events: the EPOLL* bits that fired. */
	void (*fn)(struct event_handler *h, uint32_t events);
};

/* Run on the loop's thread after each batch of handlers: the place to free
 * objects whose fds were removed during the batch, since a handler later
 * in the same batch, or one another thread's removal raced with, may
 * still be about to run for them. */
struct event_after {
	void (*fn)(struct event_after *a);
	struct event_after *next;
};

struct event_loop {
	int epfd;
	struct event_after *after;
};

int event_loop_init(struct event_loop *loop);
void event_loop_destroy(struct event_loop *loop);
/* Watch fd for events (EPOLLIN...), calling h->fn; h must outlive the
 * registration. 0 or -errno. */
int event_loop_add(struct event_loop *loop, int fd, uint32_t events, struct event_handler *h);
/* Change what fd (already added) is watched for. 0 or -errno. */
int event_loop_mod(struct event_loop *loop, int fd, uint32_t events, struct event_handler *h);
int event_loop_del(struct event_loop *loop, int fd);
/* Run a->fn after every batch from now on; before the loop runs, from
 * the thread that will run it. */
void event_loop_add_after(struct event_loop *loop, struct event_after *a);
/* Stop running a (from the loop's thread, or once the loop stopped). */
void event_loop_del_after(struct event_loop *loop, struct event_after *a);
/* Wait up to timeout_ms (-1: forever), run the handlers of what fired,
 * then the after hooks. Returns how many handlers ran, or -errno (-EINTR
 * is retried inside). */
int event_loop_run_once(struct event_loop *loop, int timeout_ms);

#endif
