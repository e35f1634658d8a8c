/* terminal: raw mode for the console on a tty, restored on every exit path
 * (normal return, exit(), and fatal signals). */
#ifndef SKIFF_VMM_TERMINAL_H
#define SKIFF_VMM_TERMINAL_H

/* Put fd in raw mode when it is a terminal; no-op otherwise. 0 or -errno. */
int terminal_raw_enter(int fd);
/* Restore what terminal_raw_enter() changed; safe to call many times. */
void terminal_restore(void);

#endif
