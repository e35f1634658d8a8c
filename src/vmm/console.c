#include "vmm/console.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "util/log.h"
#include "vmm/exit_status.h"
#include "vmm/terminal.h"
#include "vmm/vm.h"

#include "util/container_of.h"

static void watch_input(struct console *c, int on)
{
	if (c->in_eof || on == c->in_watched)
		return;
	if (on) {
		/* A regular file or /dev/null cannot be polled (EPERM): then
		 * there is simply no console input. */
		if (event_loop_add(&c->vm->loop, c->in_fd, EPOLLIN, &c->in_handler) < 0) {
			c->in_eof = 1;
			return;
		}
	} else {
		event_loop_del(&c->vm->loop, c->in_fd);
	}
	c->in_watched = on;
}

/* Hand pending input to the device; true when all of it was taken. */
static bool flush_pending(struct console *c)
{
	size_t n = c->npending ? c->sink.receive(c->sink.ctx, c->pending, c->npending) : 0;

	memmove(c->pending, c->pending + n, c->npending - n);
	c->npending -= n;
	return c->npending == 0;
}

static void on_input(struct event_handler *h, uint32_t events)
{
	struct console *c = container_of(h, struct console, in_handler);
	ssize_t n;

	(void)events;
	if (!flush_pending(c)) {
		watch_input(c, 0); /* resume when the device reports room */
		return;
	}
	n = read(c->in_fd, c->pending, sizeof(c->pending));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		watch_input(c, 0);
		c->in_eof = 1;
		return;
	}
	c->npending = (size_t)n;
	if (!flush_pending(c))
		watch_input(c, 0);
}

static void on_room(struct event_handler *h, uint32_t events)
{
	struct console *c = container_of(h, struct console, room_handler);
	eventfd_t v;

	(void)events;
	eventfd_read(c->room_efd, &v);
	if (flush_pending(c))
		watch_input(c, 1);
}

static void on_signal(struct event_handler *h, uint32_t events)
{
	struct console *c = container_of(h, struct console, sig_handler);
	struct signalfd_siginfo si;

	(void)events;
	if (read(c->sig_fd, &si, sizeof(si)) != sizeof(si))
		return;
	vm_request_stop(c->vm, EXIT_SIGNAL_BASE + (int)si.ssi_signo,
			"stopped by signal %s", strsignal((int)si.ssi_signo));
}

static void on_stop(struct event_handler *h, uint32_t events)
{
	(void)h;
	(void)events;
	/* Nothing to do: waking the loop is the point; it checks `stopping`. */
}

void console_room(void *console)
{
	struct console *c = console;

	eventfd_write(c->room_efd, 1);
}

int console_start(struct console *c, struct vm *vm, const sigset_t *term,
		  struct console_sink sink)
{
	int r;

	memset(c, 0, sizeof(*c));
	c->vm = vm;
	c->sink = sink;
	c->in_fd = STDIN_FILENO;
	c->room_efd = c->sig_fd = -1;
	c->in_handler.fn = on_input;
	c->room_handler.fn = on_room;
	c->sig_handler.fn = on_signal;
	c->stop_handler.fn = on_stop;
	c->room_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	c->sig_fd = signalfd(-1, term, SFD_CLOEXEC | SFD_NONBLOCK);
	if (c->room_efd < 0 || c->sig_fd < 0) {
		r = -errno;
		log_error("console setup failed: %s", strerror(-r));
		console_stop(c);
		return r;
	}
	if ((r = event_loop_add(&vm->loop, c->room_efd, EPOLLIN, &c->room_handler)) < 0 ||
	    (r = event_loop_add(&vm->loop, c->sig_fd, EPOLLIN, &c->sig_handler)) < 0 ||
	    (r = event_loop_add(&vm->loop, vm->stop_efd, EPOLLIN, &c->stop_handler)) < 0) {
		log_error("console setup failed: %s", strerror(-r));
		console_stop(c);
		return r;
	}
	if (terminal_raw_enter(c->in_fd) < 0)
		log_debug("stdin is a terminal but raw mode failed; continuing cooked");
	watch_input(c, 1);
	return 0;
}

void console_stop(struct console *c)
{
	terminal_restore();
	if (c->room_efd >= 0)
		close(c->room_efd);
	if (c->sig_fd >= 0)
		close(c->sig_fd);
	c->room_efd = c->sig_fd = -1;
}
