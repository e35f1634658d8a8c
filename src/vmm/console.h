/* console: the host side of the guest console. Feeds stdin into the UART
 * (pausing while its receive FIFO is full), puts a terminal in raw mode, and
 * turns SIGINT/SIGTERM/SIGHUP/SIGQUIT into a clean stop (exit 128+signal).
 * Everything runs on the main thread's event loop. */
#ifndef SKIFF_VMM_CONSOLE_H
#define SKIFF_VMM_CONSOLE_H

#include <signal.h>

#include "util/event_loop.h"

struct vm;

struct console {
	struct vm *vm;
	int in_fd;
	int in_watched;         /* stdin is in the epoll set */
	int in_eof;
	int room_efd;           /* the UART signals room in its FIFO */
	int sig_fd;
	struct event_handler in_handler, room_handler, sig_handler, stop_handler;
};

/* Start serving the console for vm; term is the set of signals to handle
 * (already blocked). 0 or -errno (logged). */
int console_start(struct console *c, struct vm *vm, const sigset_t *term);
/* Stop and restore the terminal. */
void console_stop(struct console *c);

#endif
