/* Unit tests: the event loop (util/event_loop): handlers run for the fds
 * that are ready, with the events asked for; mod and del change that;
 * after hooks run after every round, handlers or not. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include <cmocka.h>

#include "util/container_of.h"
#include "util/event_loop.h"

/* What ran, in order: 'a'/'b' the fd handlers, 'x'/'y' after hooks. */
static char trace[32];
static unsigned int ntrace;

static void note(char c)
{
	if (ntrace < sizeof(trace) - 1)
		trace[ntrace++] = c;
	trace[ntrace] = '\0';
}

struct watch {
	struct event_handler h;
	int fd;
	char tag;
	uint32_t events;           /* the last call's */
};

static void watch_event(struct event_handler *h, uint32_t events)
{
	struct watch *w = container_of(h, struct watch, h);
	eventfd_t v;

	if (events & EPOLLIN)
		eventfd_read(w->fd, &v);
	w->events = events;
	note(w->tag);
}

struct hook {
	struct event_after a;
	char tag;
};

static void hook_run(struct event_after *a)
{
	note(container_of(a, struct hook, a)->tag);
}

struct fx {
	struct event_loop loop;
	struct watch a, b;
	struct hook x, y;
};

static int setup(void **state)
{
	static struct fx f;

	f = (struct fx){ 0 };
	ntrace = 0;
	trace[0] = '\0';
	assert_int_equal(event_loop_init(&f.loop), 0);
	f.a = (struct watch){ .h.fn = watch_event, .fd = eventfd(0, EFD_NONBLOCK), .tag = 'a' };
	f.b = (struct watch){ .h.fn = watch_event, .fd = eventfd(0, EFD_NONBLOCK), .tag = 'b' };
	assert_true(f.a.fd >= 0 && f.b.fd >= 0);
	f.x = (struct hook){ .a.fn = hook_run, .tag = 'x' };
	f.y = (struct hook){ .a.fn = hook_run, .tag = 'y' };
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	close(f->a.fd);
	close(f->b.fd);
	event_loop_destroy(&f->loop);
	return 0;
}

/* Only ready fds' handlers run, with the events that fired; a round with
 * nothing ready returns 0 after its timeout. */
static void ready_fds_run(void **state)
{
	struct fx *f = *state;

	assert_int_equal(event_loop_add(&f->loop, f->a.fd, EPOLLIN, &f->a.h), 0);
	assert_int_equal(event_loop_add(&f->loop, f->b.fd, EPOLLIN, &f->b.h), 0);
	assert_int_equal(event_loop_add(&f->loop, f->a.fd, EPOLLIN, &f->a.h), -EEXIST);
	assert_int_equal(event_loop_run_once(&f->loop, 0), 0);
	eventfd_write(f->b.fd, 1);
	assert_int_equal(event_loop_run_once(&f->loop, 1000), 1);
	assert_string_equal(trace, "b");
	assert_int_equal(f->b.events, EPOLLIN);
	eventfd_write(f->a.fd, 1);
	eventfd_write(f->b.fd, 1);
	assert_int_equal(event_loop_run_once(&f->loop, 1000), 2);
	assert_int_equal(ntrace, 3);
	assert_int_equal(event_loop_run_once(&f->loop, 0), 0);
}

/* mod to no events silences an fd without losing what is pending; mod to
 * EPOLLOUT reports writability; del forgets it. */
static void mod_and_del(void **state)
{
	struct fx *f = *state;

	assert_int_equal(event_loop_add(&f->loop, f->a.fd, EPOLLIN, &f->a.h), 0);
	assert_int_equal(event_loop_mod(&f->loop, f->a.fd, 0, &f->a.h), 0);
	eventfd_write(f->a.fd, 1);
	assert_int_equal(event_loop_run_once(&f->loop, 0), 0);
	assert_int_equal(event_loop_mod(&f->loop, f->a.fd, EPOLLIN, &f->a.h), 0);
	assert_int_equal(event_loop_run_once(&f->loop, 1000), 1);
	assert_int_equal(f->a.events, EPOLLIN);

	assert_int_equal(event_loop_mod(&f->loop, f->a.fd, EPOLLOUT, &f->a.h), 0);
	assert_int_equal(event_loop_run_once(&f->loop, 1000), 1);
	assert_int_equal(f->a.events, EPOLLOUT);

	assert_int_equal(event_loop_del(&f->loop, f->a.fd), 0);
	assert_int_equal(event_loop_del(&f->loop, f->a.fd), -ENOENT);
	assert_int_equal(event_loop_mod(&f->loop, f->a.fd, EPOLLIN, &f->a.h), -ENOENT);
	eventfd_write(f->a.fd, 1);
	assert_int_equal(event_loop_run_once(&f->loop, 0), 0);
	assert_string_equal(trace, "aa");
}

/* After hooks run once per round, after its handlers, also in a round
 * that only timed out; a removed hook no longer runs. */
static void after_hooks(void **state)
{
	struct fx *f = *state;

	assert_int_equal(event_loop_add(&f->loop, f->a.fd, EPOLLIN, &f->a.h), 0);
	event_loop_add_after(&f->loop, &f->x.a);
	event_loop_add_after(&f->loop, &f->y.a);
	eventfd_write(f->a.fd, 1);
	assert_int_equal(event_loop_run_once(&f->loop, 1000), 1);
	assert_int_equal(ntrace, 3);
	assert_int_equal(trace[0], 'a');
	assert_true((trace[1] == 'x' && trace[2] == 'y') || (trace[1] == 'y' && trace[2] == 'x'));

	ntrace = 0;
	event_loop_del_after(&f->loop, &f->x.a);
	event_loop_del_after(&f->loop, &f->x.a); /* not there: nothing */
	assert_int_equal(event_loop_run_once(&f->loop, 0), 0);
	assert_string_equal(trace, "y");
	event_loop_del_after(&f->loop, &f->y.a);
	assert_int_equal(event_loop_run_once(&f->loop, 0), 0);
	assert_string_equal(trace, "y");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(ready_fds_run, setup, teardown),
		cmocka_unit_test_setup_teardown(mod_and_del, setup, teardown),
		cmocka_unit_test_setup_teardown(after_hooks, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
