#include "vmm/terminal.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* Process-wide by nature: the terminal outlives any VM object, and the
 * fatal-signal path has nothing else to reach it through. */
static struct termios saved;
static int saved_fd = -1;

void terminal_restore(void)
{
	if (saved_fd >= 0)
		tcsetattr(saved_fd, TCSANOW, &saved);
	saved_fd = -1;
}

static void fatal_signal(int sig)
{
	terminal_restore();
	signal(sig, SIG_DFL);
	raise(sig);
}

int terminal_raw_enter(int fd)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };
	struct termios raw;

	if (!isatty(fd))
		return 0;
	if (tcgetattr(fd, &saved) < 0)
		return -errno;
	raw = saved;
	/* Every key, Ctrl-C included, belongs to the guest. */
	cfmakeraw(&raw);
	if (tcsetattr(fd, TCSANOW, &raw) < 0)
		return -errno;
	saved_fd = fd;
	atexit(terminal_restore);
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		signal(fatal[i], fatal_signal);
	return 0;
}
