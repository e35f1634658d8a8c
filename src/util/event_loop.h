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

struct event_loop {
	int epfd;
};

int event_loop_init(struct event_loop *loop);
void event_loop_destroy(struct event_loop *loop);
/* Watch fd for events (EPOLLIN...), calling h->fn; h must outlive the
 * registration. 0 or -errno. */
int event_loop_add(struct event_loop *loop, int fd, uint32_t events, struct event_handler *h);
/* Change what fd (already added) is watched for. 0 or -errno. */
int event_loop_mod(struct event_loop *loop, int fd, uint32_t events, struct event_handler *h);
int event_loop_del(struct event_loop *loop, int fd);
/* Wait up to timeout_ms (-1: forever) and run the handlers of what fired.
 * Returns how many ran, or -errno (-EINTR is retried inside). */
int event_loop_run_once(struct event_loop *loop, int timeout_ms);

#endif
