/* console: the host side of the guest console. Feeds stdin into the guest's
 * console device (the UART, or virtio-console) through a sink that takes
 * what fits; the rest waits here, with stdin unwatched, until the device
 * reports room (console_room()). Puts a terminal in raw mode, and
 * turns SIGINT/SIGTERM/SIGHUP/SIGQUIT into a clean stop (exit 128+signal).
 * Everything runs on the main thread's event loop. */
#ifndef SKIFF_VMM_CONSOLE_H
#define SKIFF_VMM_CONSOLE_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "util/event_loop.h"

struct vm;

/* Where input goes: receive() takes up to len bytes and returns how many
 * it took (0 when the guest is not ready for more). */
struct console_sink {
	size_t (*receive)(void *ctx, const uint8_t *buf, size_t len);
	void *ctx;
};

#define CONSOLE_PENDING 256

struct console {
	struct vm *vm;
	struct console_sink sink;
	uint8_t pending[CONSOLE_PENDING]; /* read from stdin, not yet taken */
	size_t npending;
	int in_fd;
	int in_watched;         /* stdin is in the epoll set */
	int in_eof;
	int room_efd;           /* the UART signals room in its FIFO */
	int sig_fd;
	struct event_handler in_handler, room_handler, sig_handler, stop_handler;
};

/* Start serving the console for vm; term is the set of signals to handle
 * (already blocked). 0 or -errno (logged). */
int console_start(struct console *c, struct vm *vm, const sigset_t *term,
		  struct console_sink sink);
/* The device has room for input again. Any thread (writes an eventfd). */
void console_room(void *console);
/* Stop and restore the terminal. */
void console_stop(struct console *c);

#endif
