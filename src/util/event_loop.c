#include "util/event_loop.h"

#include <errno.h>
#include <sys/epoll.h>
#include <unistd.h>

#define EVENTS_PER_WAIT 16

int event_loop_init(struct event_loop *loop)
{
	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	loop->after = NULL;
	return loop->epfd < 0 ? -errno : 0;
}

void event_loop_destroy(struct event_loop *loop)
{
	if (loop->epfd >= 0)
		close(loop->epfd);
	loop->epfd = -1;
}

int event_loop_add(struct event_loop *loop, int fd, uint32_t events, struct event_handler *h)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };

	return epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

int event_loop_mod(struct event_loop *loop, int fd, uint32_t events, struct event_handler *h)
{
	struct epoll_event ev = { .events = events, .data.ptr = h };

	return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

int event_loop_del(struct event_loop *loop, int fd)
{
	return epoll_ctl(loop->epfd, EPOLL_CTL_DEL, fd, NULL) < 0 ? -errno : 0;
}

void event_loop_add_after(struct event_loop *loop, struct event_after *a)
{
	a->next = loop->after;
	loop->after = a;
}

void event_loop_del_after(struct event_loop *loop, struct event_after *a)
{
	for (struct event_after **p = &loop->after; *p; p = &(*p)->next)
		if (*p == a) {
			*p = a->next;
			return;
		}
}

int event_loop_run_once(struct event_loop *loop, int timeout_ms)
{
	struct epoll_event evs[EVENTS_PER_WAIT];
	int n;

	do
		n = epoll_wait(loop->epfd, evs, EVENTS_PER_WAIT, timeout_ms);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	for (int i = 0; i < n; i++) {
		struct event_handler *h = evs[i].data.ptr;

		h->fn(h, evs[i].events);
	}
	for (struct event_after *a = loop->after; a; a = a->next)
		a->fn(a);
	return n;
}
