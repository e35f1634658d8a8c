#include "vmm/console.h"

#include <errno.h>
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

#define container_of(p, type, member) ((type *)((char *)(p) - offsetof(type, member)))

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

static void on_input(struct event_handler *h, uint32_t events)
{
	struct console *c = container_of(h, struct console, in_handler);
	uint8_t buf[SERIAL_RX_FIFO];
	size_t room = serial_rx_room(&c->vm->serial);
	ssize_t n;

	(void)events;
	if (room == 0) {
		watch_input(c, 0); /* resume when the guest drains the FIFO */
		return;
	}
	n = read(c->in_fd, buf, room < sizeof(buf) ? room : sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		watch_input(c, 0);
		c->in_eof = 1;
		return;
	}
	serial_receive(&c->vm->serial, buf, (size_t)n);
}

static void on_room(struct event_handler *h, uint32_t events)
{
	struct console *c = container_of(h, struct console, room_handler);
	eventfd_t v;

	(void)events;
	eventfd_read(c->room_efd, &v);
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

/* Called on a vCPU thread when the guest empties the UART's FIFO. */
static void rx_room(void *ctx)
{
	struct console *c = ctx;

	eventfd_write(c->room_efd, 1);
}

int console_start(struct console *c, struct vm *vm, const sigset_t *term)
{
	int r;

	memset(c, 0, sizeof(*c));
	c->vm = vm;
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
	vm->serial.rx_room = rx_room;
	vm->serial.rx_room_ctx = c;
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
