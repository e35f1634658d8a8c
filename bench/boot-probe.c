/* boot-probe: run one VMM command and time it from the outside.
 *
 *   boot-probe [--guest-mib N] [--stop-at TEXT] [--timeout S] -- CMD ARGS...
 *
 * Starts CMD with stdout+stderr on a pipe and SKIFF_BENCH_T0_NS set to the
 * CLOCK_MONOTONIC time taken just before exec. Watches the output for the
 * guest's marker line (SKIFF-GUEST-INIT-REACHED), samples the VMM's own
 * resident memory at that moment (Rss of every mapping except guest RAM,
 * recognised as mappings of at least --guest-mib MiB, from
 * /proc/PID/smaps), waits for CMD to exit (or kills it once a line contains
 * --stop-at) and prints one line:
 *   marker_ms=.. exit_ms=.. own_rss_kib=.. status=.. [startup fields]
 * where the startup fields are copied from a "skiff-startup:" line. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_ms(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

/* Sum Rss over mappings smaller than guest_kib (guest RAM excluded). */
static long own_rss_kib(pid_t pid, long guest_kib)
{
	char path[64], line[512];
	long size = 0, total = 0, v;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Size: %ld kB", &v) == 1)
			size = v;
		else if (sscanf(line, "Rss: %ld kB", &v) == 1 && size < guest_kib)
			total += v;
	}
	fclose(f);
	return total;
}

int main(int argc, char **argv)
{
	const char *stop_at = NULL;
	long guest_kib = 64 * 1024;
	double t0, marker = -1, timeout_s = 300;
	char startup[256] = "", line[4096];
	long rss = -1;
	int fds[2], status, i;
	pid_t pid;
	FILE *out;

	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++) {
		if (!strcmp(argv[i], "--guest-mib") && i + 1 < argc)
			guest_kib = atol(argv[++i]) * 1024;
		else if (!strcmp(argv[i], "--stop-at") && i + 1 < argc)
			stop_at = argv[++i];
		else if (!strcmp(argv[i], "--timeout") && i + 1 < argc)
			timeout_s = atof(argv[++i]);
	}
	if (i + 1 >= argc) {
		fprintf(stderr, "usage: boot-probe [--guest-mib N] [--stop-at TEXT] [--timeout S] -- CMD...\n");
		return 2;
	}
	if (pipe(fds) < 0)
		return 2;
	t0 = now_ms();
	pid = fork();
	if (pid == 0) {
		struct timespec t;
		char buf[32];

		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		close(fds[1]);
		clock_gettime(CLOCK_MONOTONIC, &t);
		snprintf(buf, sizeof(buf), "%lld", (long long)t.tv_sec * 1000000000LL + t.tv_nsec);
		setenv("SKIFF_BENCH_T0_NS", buf, 1);
		execvp(argv[i + 1], argv + i + 1);
		_exit(127);
	}
	close(fds[1]);
	alarm((unsigned int)timeout_s);
	out = fdopen(fds[0], "r");
	while (fgets(line, sizeof(line), out)) {
		if (marker < 0 && strstr(line, "SKIFF-GUEST-INIT-REACHED")) {
			marker = now_ms() - t0;
			rss = own_rss_kib(pid, guest_kib);
		}
		if (!strncmp(line, "skiff-startup: ", 15)) {
			snprintf(startup, sizeof(startup), "%.200s", line + 15);
			startup[strcspn(startup, "\n")] = 0;
			if (rss < 0)
				rss = own_rss_kib(pid, guest_kib);
		}
		if (stop_at && strstr(line, stop_at)) {
			kill(pid, SIGKILL);
			break;
		}
	}
	waitpid(pid, &status, 0);
	printf("marker_ms=%.1f exit_ms=%.1f own_rss_kib=%ld status=%d %s\n", marker,
	       now_ms() - t0, rss, WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
	       startup);
	return 0;
}
