/* libFuzzer target: virtio-vsock's packet parser and connection state
 * machine, with real host Unix sockets on the other side.
 *
 * The input is a script of guest and host actions: guest packets (every
 * header field from the input, ports mostly folded onto a few values so
 * that connections really form, payloads up to 8 KiB), rx buffers posted
 * in odd sizes, host peers accepting, writing, reading and closing, host
 * clients speaking the CONNECT protocol, and event-loop turns. skiff must
 * never crash, touch memory outside guest RAM or its buffers (ASan), hang,
 * or hold more than its bounds (checked after each step). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "devices/virtio_vsock.h"
#include "devices/vsock_conn.h"
/* The guest-driver harness of the unit tests (rings in fake guest memory). */
#include "virtio_driver.h"

#define CID 3
#define RING 64
#define NLISTEN 4       /* host ports 1000..1003: two stream, two seqpacket */
#define NPEERS 16
#define MAX_STEPS 256

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len);

struct input {
	const uint8_t *p;
	size_t left;
};

static unsigned int take(struct input *x, unsigned int nbytes)
{
	unsigned int v = 0;

	for (unsigned int i = 0; i < nbytes; i++) {
		v = v << 8;
		if (x->left) {
			v |= *x->p++;
			x->left--;
		}
	}
	return v;
}

struct world {
	struct vdrv_mem m;
	struct vdrv v;
	struct event_loop loop;
	struct virtio_vsock vs;
	char path[64];
	int listen[NLISTEN];
	int peers[NPEERS];
	uint64_t tx, rx[RING];
	uint64_t rx_of_head[VDRV_RING_MAX];
	unsigned int rx_seq;
};

static int listen_at(const char *path, int type)
{
	struct sockaddr_un a = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	snprintf(a.sun_path, sizeof(a.sun_path), "%s", path);
	unlink(path);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 64) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static void add_peer(struct world *w, int fd)
{
	for (int i = 0; i < NPEERS; i++)
		if (w->peers[i] < 0) {
			w->peers[i] = fd;
			return;
		}
	close(fd);
}

static void guest_packet(struct world *w, struct input *x)
{
	struct vdrv_ring *r = &w->v.rings[VSOCK_TXQ];
	unsigned int ctl = take(x, 1);
	struct vsock_pkt p = {
		.src_cid = CID, .dst_cid = VSOCK_HOST_CID,
		.src_port = take(x, 1) % 8,
		.dst_port = 1000 + take(x, 1) % (NLISTEN + 1),
		.type = (uint16_t)(1 + take(x, 1) % 3),
		.op = (uint16_t)(take(x, 1) % 9),
		.flags = take(x, 1) % 4,
		.buf_alloc = take(x, 4),
		.fwd_cnt = take(x, 4),
	};
	uint32_t plen = take(x, 2) % 8192, hlen = VSOCK_HDR_LEN;
	struct virtio_vsock_hdr h;
	struct vdrv_buf b[3];
	unsigned int nb = 0;
	uint16_t id;
	uint32_t ulen;
	uint8_t *dst;
	int head;

	p.len = plen;
	if (ctl & 1) /* raw: every field as given */
		p = (struct vsock_pkt){ take(x, 4), take(x, 4), take(x, 4), take(x, 4), take(x, 4),
					(uint16_t)take(x, 2), (uint16_t)take(x, 2), take(x, 4),
					take(x, 4), take(x, 4) };
	if (ctl & 2) /* a length that disagrees with the buffer */
		p.len += take(x, 1);
	if (ctl & 4)
		hlen = take(x, 1) % VSOCK_HDR_LEN;
	vsock_pkt_encode(&p, &h);
	dst = vdrv_host(&w->m, w->tx, VSOCK_HDR_LEN + 8192);
	memcpy(dst, &h, sizeof(h));
	for (uint32_t i = 0; i < plen; i++)
		dst[VSOCK_HDR_LEN + i] = (uint8_t)(i * 13 + plen);
	if (ctl & 8) { /* header and payload in one buffer, as newer Linux */
		b[nb++] = (struct vdrv_buf){ w->tx, hlen + plen, false };
	} else {
		b[nb++] = (struct vdrv_buf){ w->tx, hlen ? hlen : 1, false };
		if (plen)
			b[nb++] = (struct vdrv_buf){ w->tx + VSOCK_HDR_LEN, plen, false };
	}
	if (ctl & 16) /* a stray writable buffer */
		b[nb++] = (struct vdrv_buf){ w->rx[0], 16, true };
	head = vdrv_add(r, b, nb, ctl & 32);
	if (head < 0)
		return;
	vdrv_publish(r, (uint16_t)head);
	vdrv_kick(&w->v, VSOCK_TXQ);
	while (vdrv_get_used(r, &id, &ulen) == 1)
		;
}

static void post_rx(struct world *w, struct input *x)
{
	struct vdrv_ring *r = &w->v.rings[VSOCK_RXQ];
	unsigned int n = take(x, 1) % 16, sz = take(x, 1);

	for (unsigned int i = 0; i < n; i++) {
		uint64_t g = w->rx[w->rx_seq++ % RING];
		uint32_t l = sz & 1 ? sz : 4096; /* mostly Linux's size, sometimes tiny */
		struct vdrv_buf b[2] = { { g, VSOCK_HDR_LEN, true }, { g + VSOCK_HDR_LEN, l, true } };
		int head = vdrv_add(r, b, sz & 2 ? 1 : 2, false);

		if (head < 0)
			break;
		w->rx_of_head[head] = g;
		vdrv_publish(r, (uint16_t)head);
	}
	vdrv_kick(&w->v, VSOCK_RXQ);
}

static void drain_rx(struct world *w)
{
	uint16_t id;
	uint32_t len;

	while (vdrv_get_used(&w->v.rings[VSOCK_RXQ], &id, &len) == 1)
		if (len > VSOCK_HDR_LEN + 4096)
			abort(); /* the device wrote past a buffer */
}

static void host_step(struct world *w, unsigned int op, struct input *x)
{
	unsigned int j = take(x, 1);
	int *pf = &w->peers[j % NPEERS];
	uint8_t buf[4096];

	switch (op) {
	case 0: /* a listener accepts */
		if (w->listen[j % NLISTEN] >= 0) {
			int fd = accept4(w->listen[j % NLISTEN], NULL, NULL, SOCK_NONBLOCK);

			if (fd >= 0)
				add_peer(w, fd);
		}
		break;
	case 1: /* a peer writes */
		if (*pf >= 0) {
			unsigned int n = take(x, 2) % sizeof(buf);

			memset(buf, (int)j, n);
			(void)!send(*pf, buf, n, MSG_DONTWAIT | MSG_NOSIGNAL);
		}
		break;
	case 2: /* a peer reads */
		if (*pf >= 0)
			(void)!recv(*pf, buf, sizeof(buf), MSG_DONTWAIT);
		break;
	case 3: /* a peer closes or half-closes */
		if (*pf >= 0) {
			if (j & 0x80) {
				shutdown(*pf, j & 0x40 ? SHUT_WR : SHUT_RD);
			} else {
				close(*pf);
				*pf = -1;
			}
		}
		break;
	case 4: { /* a host client connects to PATH and says something */
		struct sockaddr_un a = { .sun_family = AF_UNIX };
		int fd = socket(AF_UNIX, (j & 1 ? SOCK_SEQPACKET : SOCK_STREAM) | SOCK_NONBLOCK, 0);
		char line[40];
		int n = j & 2 ? snprintf(line, sizeof(line), "CONNECT %u\n", take(x, 1) % 8)
			      : snprintf(line, sizeof(line), "%08x\n", take(x, 4));

		if (fd < 0)
			break;
		snprintf(a.sun_path, sizeof(a.sun_path), "%s%s", w->path, j & 1 ? ".seqpacket" : "");
		if (connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0) {
			(void)!send(fd, line, (size_t)(j & 4 ? n / 2 : n), MSG_NOSIGNAL);
			add_peer(w, fd);
		} else {
			close(fd);
		}
		break;
	}
	default:
		for (int i = 0; i < 4; i++)
			if (event_loop_run_once(&w->loop, 0) <= 0)
				break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *in, size_t len)
{
	static struct world w;
	struct input x = { in, len };
	char lp[96];

	memset(&w, 0, sizeof(w));
	snprintf(w.path, sizeof(w.path), "/tmp/skiff-fuzz-vsock-%d", (int)getpid());
	for (int i = 0; i < NPEERS; i++)
		w.peers[i] = -1;
	if (vdrv_mem_init(&w.m, 0) < 0)
		return 0;
	if (event_loop_init(&w.loop) < 0 ||
	    virtio_vsock_init(&w.vs, CID, w.path, &w.m.mem, &w.loop) < 0)
		abort(); /* the harness failed, not the code under test */
	for (int i = 0; i < NLISTEN; i++) {
		snprintf(lp, sizeof(lp), "%s_%d", w.path, 1000 + i);
		w.listen[i] = listen_at(lp, i < 2 ? SOCK_STREAM : SOCK_SEQPACKET);
	}
	vdrv_attach(&w.v, &w.vs.dev, &w.m);
	vdrv_bring_up(&w.v, vdrv_device_features(&w.v) & ~(take(&x, 1) & 1 ? 0 :
							   1ULL << VIRTIO_VSOCK_F_SEQPACKET), RING);
	w.tx = vdrv_alloc(&w.m, VSOCK_HDR_LEN + 8192 + 256);
	for (int i = 0; i < RING; i++)
		w.rx[i] = vdrv_alloc(&w.m, VSOCK_HDR_LEN + 4096 + 256);
	for (int step = 0; step < MAX_STEPS && x.left; step++) {
		unsigned int op = take(&x, 1) % 10;

		if (op < 3)
			guest_packet(&w, &x);
		else if (op == 3)
			post_rx(&w, &x);
		else if (op == 4)
			drain_rx(&w);
		else
			host_step(&w, op - 5, &x);
		if (w.vs.nconns > VSOCK_MAX_CONNS || w.vs.rst_count > VSOCK_RST_RING)
			abort();
	}
	virtio_vsock_destroy(&w.vs);
	for (int i = 0; i < NPEERS; i++)
		if (w.peers[i] >= 0)
			close(w.peers[i]);
	for (int i = 0; i < NLISTEN; i++) {
		if (w.listen[i] >= 0)
			close(w.listen[i]);
		snprintf(lp, sizeof(lp), "%s_%d", w.path, 1000 + i);
		unlink(lp);
	}
	event_loop_destroy(&w.loop);
	vdrv_mem_destroy(&w.m);
	return 0;
}
