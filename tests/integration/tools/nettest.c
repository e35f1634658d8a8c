/* nettest: a deterministic TCP stream (and a UDP packet-rate probe) for the
 * virtio-net integration tests and bench/net, static so it runs in the
 * busybox guest and on the sandbox host alike.
 *
 *   nettest send HOST PORT BYTES     connect (retrying 30 s), send BYTES
 *   nettest recv HOST PORT           connect, read to EOF
 *   nettest serve-send PORT BYTES    accept one connection, send BYTES
 *   nettest serve-recv PORT          accept one connection, read to EOF
 *   nettest udp-send HOST PORT SIZE SECS   send SIZE-byte datagrams for SECS
 *   nettest udp-recv PORT SECS             count datagrams for SECS
 *
 * TCP modes print one line "NETTEST bytes=N sum=HEX secs=S mbps=R": the
 * sum is position-dependent over the whole stream, so a receiver's sum
 * equals the sender's only if every byte arrived, in order. The stream is
 * a 1 MiB pseudo-random block whose first word is XORed with the block
 * number, so it never repeats. UDP modes print "NETTEST pkts=N pps=R". */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BLOCK (1u << 20)

struct sum {
	uint64_t h;
	uint8_t carry[8];
	unsigned int n;
};

static uint64_t mix(uint64_t h, uint64_t w)
{
	return (h ^ w) * 0x100000001b3ULL + (h >> 29);
}

static void sum_update(struct sum *s, const uint8_t *p, size_t len)
{
	while (len && s->n) {
		s->carry[s->n++] = *p++;
		len--;
		if (s->n == 8) {
			uint64_t w;

			memcpy(&w, s->carry, 8);
			s->h = mix(s->h, w);
			s->n = 0;
		}
	}
	for (; len >= 8; p += 8, len -= 8) {
		uint64_t w;

		memcpy(&w, p, 8);
		s->h = mix(s->h, w);
	}
	memcpy(s->carry, p, len);
	s->n = (unsigned int)len;
}

static uint64_t sum_final(struct sum *s)
{
	for (unsigned int i = 0; i < s->n; i++)
		s->h = mix(s->h, s->carry[i]);
	return s->h;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void die(const char *what)
{
	fprintf(stderr, "nettest: %s: %s\n", what, strerror(errno));
	exit(1);
}

static struct sockaddr_in addr(const char *host, const char *port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(port)) };

	if (host && inet_pton(AF_INET, host, &a.sin_addr) != 1) {
		fprintf(stderr, "nettest: bad address %s\n", host);
		exit(1);
	}
	return a;
}

static int tcp_connect(const char *host, const char *port)
{
	struct sockaddr_in a = addr(host, port);
	double end = now() + 30;

	for (;;) {
		int fd = socket(AF_INET, SOCK_STREAM, 0);

		if (fd < 0)
			die("socket");
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0)
			return fd;
		close(fd);
		if (now() > end)
			die("connect");
		usleep(200000);
	}
}

static int tcp_accept(const char *port)
{
	struct sockaddr_in a = addr(NULL, port);
	int one = 1, l = socket(AF_INET, SOCK_STREAM, 0), fd;

	if (l < 0)
		die("socket");
	setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(l, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(l, 1) < 0)
		die("bind/listen");
	fd = accept(l, NULL, NULL);
	if (fd < 0)
		die("accept");
	close(l);
	return fd;
}

static void report(uint64_t bytes, struct sum *s, double t0)
{
	double secs = now() - t0;

	printf("NETTEST bytes=%llu sum=%016llx secs=%.3f mbps=%.1f\n", (unsigned long long)bytes,
	       (unsigned long long)sum_final(s), secs, secs > 0 ? bytes * 8 / secs / 1e6 : 0.0);
	fflush(stdout);
}

static void do_send(int fd, uint64_t total)
{
	static uint8_t block[BLOCK];
	uint64_t x = 0x9e3779b97f4a7c15ULL, sent = 0, blk = 0;
	struct sum s = { .h = 0 };
	double t0 = now();

	for (size_t i = 0; i < BLOCK; i += 8) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
		memcpy(block + i, &x, 8);
	}
	while (sent < total) {
		uint64_t first, w = 0;
		size_t len = total - sent < BLOCK ? (size_t)(total - sent) : BLOCK, off = 0;

		memcpy(&first, block, 8);
		w = first ^ blk;
		memcpy(block, &w, 8);
		sum_update(&s, block, len);
		while (off < len) {
			ssize_t k = write(fd, block + off, len - off);

			if (k < 0 && errno == EINTR)
				continue;
			if (k <= 0)
				die("write");
			off += (size_t)k;
		}
		memcpy(block, &first, 8);
		sent += len;
		blk++;
	}
	/* Wait for the receiver's EOF: it closes only after it has read ours,
	 * so every byte reached it before this sender reports (and its VM may
	 * power off). */
	shutdown(fd, SHUT_WR);
	for (;;) {
		uint8_t drain[256];
		ssize_t k = read(fd, drain, sizeof(drain));

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			break;
	}
	report(sent, &s, t0);
}

static void do_recv(int fd)
{
	static uint8_t buf[BLOCK];
	struct sum s = { .h = 0 };
	uint64_t got = 0;
	double t0 = 0;

	for (;;) {
		ssize_t k = read(fd, buf, sizeof(buf));

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			die("read");
		if (k == 0)
			break;
		if (!got)
			t0 = now();
		sum_update(&s, buf, (size_t)k);
		got += (uint64_t)k;
	}
	report(got, &s, t0 ? t0 : now());
}

static void udp_send(const char *host, const char *port, size_t size, double secs)
{
	struct sockaddr_in a = addr(host, port);
	static uint8_t buf[65536];
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	uint64_t n = 0;
	double end = now() + secs, t0 = now();

	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("udp socket");
	if (size > sizeof(buf))
		size = sizeof(buf);
	while (now() < end)
		for (int i = 0; i < 64; i++)
			if (send(fd, buf, size, 0) > 0)
				n++;
	printf("NETTEST pkts=%llu pps=%.0f\n", (unsigned long long)n, n / (now() - t0));
}

static void udp_recv(const char *port, double secs)
{
	struct sockaddr_in a = addr(NULL, port);
	struct timeval tv = { .tv_sec = 1 };
	static uint8_t buf[65536];
	int fd = socket(AF_INET, SOCK_DGRAM, 0), rcv = 4 << 20;
	uint64_t n = 0;
	double t0 = 0, last = 0, end = now() + secs;

	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0)
		die("udp bind");
	setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (now() < end) {
		if (recv(fd, buf, sizeof(buf), 0) < 0) {
			if (n)
				break; /* a second of silence after traffic: done */
			continue;
		}
		last = now();
		if (!n++)
			t0 = last;
	}
	printf("NETTEST pkts=%llu pps=%.0f\n", (unsigned long long)n,
	       n > 1 && last > t0 ? (n - 1) / (last - t0) : 0.0);
}

int main(int argc, char **argv)
{
	const char *m = argc > 1 ? argv[1] : "";

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (!strcmp(m, "send") && argc == 5)
		do_send(tcp_connect(argv[2], argv[3]), strtoull(argv[4], NULL, 0));
	else if (!strcmp(m, "recv") && argc == 4)
		do_recv(tcp_connect(argv[2], argv[3]));
	else if (!strcmp(m, "serve-send") && argc == 4)
		do_send(tcp_accept(argv[2]), strtoull(argv[3], NULL, 0));
	else if (!strcmp(m, "serve-recv") && argc == 3)
		do_recv(tcp_accept(argv[2]));
	else if (!strcmp(m, "udp-send") && argc == 6)
		udp_send(argv[2], argv[3], strtoul(argv[4], NULL, 0), atof(argv[5]));
	else if (!strcmp(m, "udp-recv") && argc == 4)
		udp_recv(argv[2], atof(argv[3]));
	else {
		fprintf(stderr, "usage: nettest send HOST PORT BYTES | recv HOST PORT | "
				"serve-send PORT BYTES | serve-recv PORT |\n"
				"       udp-send HOST PORT SIZE SECS | udp-recv PORT SECS\n");
		return 2;
	}
	return 0;
}
