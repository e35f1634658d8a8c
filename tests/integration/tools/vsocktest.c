/* vsocktest: one static program for both ends of skiff's vsock tests and
 * benchmark, in the guest (AF_VSOCK) and on the host (AF_UNIX for the
 * userspace backend, AF_VSOCK for vhost-vsock).
 *
 * Addresses:
 *   vsock:CID:PORT     AF_VSOCK (CID "any" to listen on every CID)
 *   unix:PATH          AF_UNIX at PATH (a host listener: skiff's PATH_PORT)
 *   hybrid:PATH:PORT   skiff's host-initiated protocol: connect to PATH
 *                      (PATH.seqpacket for seqpacket), send "CONNECT PORT\n",
 *                      expect "OK <hostport>\n"
 * Commands (TYPE is stream or seqpacket):
 *   server ADDR TYPE     accept one connection and run the check protocol
 *   client ADDR TYPE     connect and run it
 *      the client sends first, the server checks, then the server sends and
 *      the client checks: stream = 4 MiB of a seeded pattern, compared by
 *      checksum and byte by byte; seqpacket = messages of 1 B .. 1 MiB, each
 *      received whole into a larger buffer (no MSG_TRUNC, exact length,
 *      exact content), then one 1000-byte message read into 100 bytes must
 *      give 100 bytes and MSG_TRUNC, and the next message must be whole.
 *   refused ADDR TYPE    connect must fail with ECONNRESET/ECONNREFUSED
 *   many-server ADDR N   accept N connections, echo 4 bytes on each
 *   many ADDR N          N concurrent connections, each echoes its index
 *   bench-server ADDR TYPE, bench ADDR TYPE BYTES MSGSIZE
 *      the client sends BYTES (in MSGSIZE messages for seqpacket) and
 *      prints MBPS= and MSGS_PER_S= once the server confirmed it got all.
 * Exit status 0 on success; one line on stderr on failure. Every run ends
 * within a time limit (alarm). */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <linux/vm_sockets.h>

#define STREAM_BYTES (4u << 20)
#define BIG (1u << 20)
#define BUFSZ (4u << 20)

static const uint32_t sizes[] = { 1, 2, 3, 7, 100, 1000, 4095, 4096, 4097, 8192, 65535,
				  65536, 65537, 131072, 262144, 500000, 1048575, 1048576 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

static void die(const char *what)
{
	fprintf(stderr, "vsocktest: %s: %s\n", what, strerror(errno));
	exit(1);
}

static void fail(const char *what)
{
	fprintf(stderr, "vsocktest: %s\n", what);
	exit(1);
}

static uint8_t pat(uint32_t seed, uint64_t i)
{
	uint64_t x = (i + 1 + (uint64_t)seed * 0x100000001ull) * 0x9e3779b97f4a7c15ull;

	return (uint8_t)(x >> 32 ^ x >> 17);
}

struct addr {
	int family;
	union {
		struct sockaddr_un un;
		struct sockaddr_vm vm;
	} sa;
	socklen_t len;
	int hybrid_port;   /* >= 0: hybrid CONNECT */
};

static int sock_type(const char *t)
{
	if (!strcmp(t, "stream"))
		return SOCK_STREAM;
	if (!strcmp(t, "seqpacket"))
		return SOCK_SEQPACKET;
	fail("TYPE must be stream or seqpacket");
	return -1;
}

static void parse_addr(const char *s, int type, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	a->hybrid_port = -1;
	if (!strncmp(s, "vsock:", 6)) {
		const char *p = s + 6, *colon = strchr(p, ':');

		if (!colon)
			fail("vsock:CID:PORT");
		a->family = AF_VSOCK;
		a->sa.vm.svm_family = AF_VSOCK;
		a->sa.vm.svm_cid = !strncmp(p, "any", 3) ? VMADDR_CID_ANY : (unsigned)atoi(p);
		a->sa.vm.svm_port = (unsigned)strtoul(colon + 1, NULL, 10);
		a->len = sizeof(a->sa.vm);
	} else if (!strncmp(s, "unix:", 5) || !strncmp(s, "hybrid:", 7)) {
		bool hy = s[0] == 'h';
		char path[256];
		const char *p = s + (hy ? 7 : 5);

		snprintf(path, sizeof(path), "%s", p);
		if (hy) {
			char *colon = strrchr(path, ':');

			if (!colon)
				fail("hybrid:PATH:PORT");
			*colon = '\0';
			a->hybrid_port = atoi(colon + 1);
			if (type == SOCK_SEQPACKET)
				strncat(path, ".seqpacket", sizeof(path) - strlen(path) - 1);
		}
		a->family = AF_UNIX;
		a->sa.un.sun_family = AF_UNIX;
		if (strlen(path) >= sizeof(a->sa.un.sun_path))
			fail("path too long");
		strcpy(a->sa.un.sun_path, path);
		a->len = sizeof(a->sa.un);
	} else {
		fail("address must be vsock:, unix: or hybrid:");
	}
}

/* Buffers large enough for 1 MiB messages either way. */
static void size_socket(int fd, const struct addr *a)
{
	if (a->family == AF_VSOCK) {
		unsigned long long b = 4ull << 20;

		setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_BUFFER_MAX_SIZE, &b, sizeof(b));
		setsockopt(fd, AF_VSOCK, SO_VM_SOCKETS_BUFFER_SIZE, &b, sizeof(b));
	} else {
		int sz = 8 << 20;

		if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	}
}

static int do_connect(const struct addr *a, int type)
{
	int fd = socket(a->family, type, 0);

	if (fd < 0)
		die("socket");
	size_socket(fd, a);
	if (connect(fd, (const struct sockaddr *)&a->sa, a->len) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	if (a->hybrid_port >= 0) {
		char line[64];
		int n = snprintf(line, sizeof(line), "CONNECT %d\n", a->hybrid_port), got = 0;

		if (write(fd, line, (size_t)n) != n)
			die("write CONNECT");
		/* Read the answer up to its newline only (stream: data follows). */
		while (got < (int)sizeof(line) - 1) {
			ssize_t r = recv(fd, line + got, type == SOCK_SEQPACKET ? sizeof(line) - 1 : 1, 0);

			if (r <= 0) {
				errno = ECONNRESET;
				close(fd);
				return -1;
			}
			got += (int)r;
			if (line[got - 1] == '\n')
				break;
		}
		line[got] = '\0';
		if (strncmp(line, "OK ", 3))
			fail("no OK after CONNECT");
	}
	return fd;
}

static int do_listen(const struct addr *a, int type, int backlog)
{
	int fd = socket(a->family, type, 0);

	if (fd < 0)
		die("socket");
	size_socket(fd, a);
	if (a->family == AF_UNIX)
		unlink(a->sa.un.sun_path);
	if (bind(fd, (const struct sockaddr *)&a->sa, a->len) < 0)
		die("bind");
	if (listen(fd, backlog) < 0)
		die("listen");
	return fd;
}

static void write_all(int fd, const uint8_t *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			die("write");
		p += w;
		n -= (size_t)w;
	}
}

static void read_all(int fd, uint8_t *p, size_t n)
{
	while (n) {
		ssize_t r = read(fd, p, n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("read");
		if (r == 0)
			fail("unexpected EOF");
		p += r;
		n -= (size_t)r;
	}
}

static uint8_t *buf;

static void stream_send(int fd, uint32_t seed)
{
	for (uint64_t i = 0; i < STREAM_BYTES; i++)
		buf[i] = pat(seed, i);
	write_all(fd, buf, STREAM_BYTES);
}

static void stream_check(int fd, uint32_t seed)
{
	uint64_t sum = 0, want = 0;

	read_all(fd, buf, STREAM_BYTES);
	for (uint64_t i = 0; i < STREAM_BYTES; i++) {
		sum = sum * 31 + buf[i];
		want = want * 31 + pat(seed, i);
		if (buf[i] != pat(seed, i)) {
			fprintf(stderr, "vsocktest: stream byte %llu differs\n", (unsigned long long)i);
			exit(1);
		}
	}
	if (sum != want)
		fail("stream checksum differs");
	printf("STREAM_SUM=%016llx\n", (unsigned long long)sum);
}

static void seq_send(int fd, uint32_t seed)
{
	for (unsigned int k = 0; k < NSIZES; k++) {
		for (uint32_t i = 0; i < sizes[k]; i++)
			buf[i] = pat(seed + k, i);
		if (send(fd, buf, sizes[k], 0) != (ssize_t)sizes[k])
			die("send message");
	}
	/* for the receiver's truncation check */
	memset(buf, 'T', 1000);
	if (send(fd, buf, 1000, 0) != 1000 || send(fd, "after", 5, 0) != 5)
		die("send");
}

static ssize_t recv_msg(int fd, void *p, size_t cap, int *flags)
{
	struct iovec iov = { p, cap };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	do
		n = recvmsg(fd, &mh, 0);
	while (n < 0 && errno == EINTR);
	*flags = mh.msg_flags;
	return n;
}

static void seq_check(int fd, uint32_t seed)
{
	int flags;
	ssize_t n;

	for (unsigned int k = 0; k < NSIZES; k++) {
		n = recv_msg(fd, buf, BUFSZ, &flags);
		if (n != (ssize_t)sizes[k]) {
			fprintf(stderr, "vsocktest: message %u: %zd bytes, want %u (%s)\n", k, n,
				sizes[k], n < 0 ? strerror(errno) : "boundary lost");
			exit(1);
		}
		if (flags & MSG_TRUNC)
			fail("MSG_TRUNC on a whole message");
		for (uint32_t i = 0; i < sizes[k]; i++)
			if (buf[i] != pat(seed + k, i)) {
				fprintf(stderr, "vsocktest: message %u byte %u differs\n", k, i);
				exit(1);
			}
	}
	n = recv_msg(fd, buf, 100, &flags);
	if (n != 100 || !(flags & MSG_TRUNC))
		fail("a 1000-byte message read into 100 bytes: want 100 and MSG_TRUNC");
	n = recv_msg(fd, buf, BUFSZ, &flags);
	if (n != 5 || memcmp(buf, "after", 5) || (flags & MSG_TRUNC))
		fail("the message after a truncated one is not whole");
	printf("SEQ_MESSAGES=%zu\n", NSIZES + 2);
}

static void protocol(int fd, int type, bool client)
{
	void (*snd)(int, uint32_t) = type == SOCK_STREAM ? stream_send : seq_send;
	void (*chk)(int, uint32_t) = type == SOCK_STREAM ? stream_check : seq_check;

	if (client) {
		snd(fd, 1);
		chk(fd, 2);
	} else {
		chk(fd, 1);
		snd(fd, 2);
		/* wait for the peer to finish reading before closing */
		if (type == SOCK_STREAM) {
			shutdown(fd, SHUT_WR);
			while (read(fd, buf, 1) > 0)
				;
		} else {
			char c;

			recv(fd, &c, 1, 0);
		}
	}
	printf("PROTOCOL=ok\n");
}

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void raise_nofile(void)
{
	struct rlimit rl = { 65536, 65536 };

	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

int main(int argc, char **argv)
{
	struct addr a;
	int type = SOCK_STREAM, fd, l;

	alarm(argc > 5 ? 600 : 300);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 4)
		fail("usage: vsocktest server|client|refused|many|many-server|bench|bench-server ADDR ...");
	if (strncmp(argv[1], "many", 4))
		type = sock_type(argv[3]);
	parse_addr(argv[2], type, &a);
	buf = malloc(BUFSZ);
	if (!buf)
		die("malloc");
	if (!strcmp(argv[1], "server") || !strcmp(argv[1], "bench-server")) {
		l = do_listen(&a, type, 16);
		fd = accept(l, NULL, NULL);
		if (fd < 0)
			die("accept");
		size_socket(fd, &a); /* AF_UNIX does not inherit the listener's */
		if (argv[1][0] == 's') {
			protocol(fd, type, false);
		} else { /* bench: count bytes to EOF, then confirm */
			uint64_t total = 0;
			ssize_t n;

			while ((n = read(fd, buf, BUFSZ)) > 0)
				total += (uint64_t)n;
			if (write(fd, &total, sizeof(total)) != sizeof(total))
				die("write");
			printf("BENCH_BYTES=%llu\n", (unsigned long long)total);
		}
		return 0;
	}
	if (!strcmp(argv[1], "client")) {
		fd = do_connect(&a, type);
		if (fd < 0)
			die("connect");
		protocol(fd, type, true);
		if (type == SOCK_SEQPACKET)
			send(fd, "x", 1, 0);
		return 0;
	}
	if (!strcmp(argv[1], "refused")) {
		fd = do_connect(&a, type);
		if (fd >= 0)
			fail("connect succeeded with nobody listening");
		if (errno != ECONNRESET && errno != ECONNREFUSED)
			die("connect failed, but not with a reset");
		printf("REFUSED=%s\n", errno == ECONNRESET ? "reset" : "refused");
		return 0;
	}
	if (!strcmp(argv[1], "many-server") || !strcmp(argv[1], "many")) {
		int n = atoi(argv[3]);
		int *fds = calloc((size_t)n, sizeof(int));

		raise_nofile();
		alarm(150); /* a hang is a failure line, not a stuck boot */
		if (!fds)
			die("calloc");
		if (argv[1][4] == '-') {
			l = do_listen(&a, SOCK_STREAM, 4096);
			for (int i = 0; i < n; i++)
				if ((fds[i] = accept(l, NULL, NULL)) < 0)
					die("accept");
			for (int i = 0; i < n; i++) {
				uint32_t v;

				read_all(fds[i], (uint8_t *)&v, 4);
				write_all(fds[i], (uint8_t *)&v, 4);
			}
		} else {
			for (int i = 0; i < n; i++) {
				uint32_t v = (uint32_t)i;

				if ((fds[i] = do_connect(&a, SOCK_STREAM)) < 0) {
					fprintf(stderr, "vsocktest: connection %d: %s\n", i, strerror(errno));
					return 1;
				}
				write_all(fds[i], (uint8_t *)&v, 4);
			}
			for (int i = 0; i < n; i++) {
				uint32_t v;

				read_all(fds[i], (uint8_t *)&v, 4);
				if (v != (uint32_t)i)
					fail("a connection echoed another's index");
			}
			printf("MANY=%d\n", n);
		}
		for (int i = 0; i < n; i++)
			close(fds[i]);
		return 0;
	}
	if (!strcmp(argv[1], "bench") && argc >= 6) {
		uint64_t bytes = strtoull(argv[4], NULL, 0), msg = strtoull(argv[5], NULL, 0), done = 0;
		uint64_t total = 0, msgs = 0;
		double t0, t;

		if (msg == 0 || msg > BUFSZ)
			fail("MSGSIZE from 1 to 4 MiB");
		fd = do_connect(&a, type);
		if (fd < 0)
			die("connect");
		memset(buf, 0x5a, BUFSZ);
		t0 = now();
		while (done < bytes) {
			size_t n = (size_t)(bytes - done < msg ? bytes - done : msg);

			if (type == SOCK_SEQPACKET) {
				if (send(fd, buf, n, 0) != (ssize_t)n)
					die("send");
				msgs++;
			} else {
				write_all(fd, buf, n);
			}
			done += n;
		}
		shutdown(fd, SHUT_WR); /* the server's read ends */
		read_all(fd, (uint8_t *)&total, sizeof(total));
		t = now() - t0;
		if (total != bytes)
			fail("the server counted another byte total");
		printf("MBPS=%.1f\n", (double)bytes / t / 1e6);
		if (msgs)
			printf("MSGS_PER_S=%.0f\n", (double)msgs / t);
		return 0;
	}
	fail("unknown command");
	return 1;
}
