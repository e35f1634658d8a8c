/* Tap backend: see net_tap.h. */
#include "devices/net_tap.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/virtio_net.h>

#include "util/log.h"

static int open_one(const char *name, bool multi, const char *what)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC), hdr, r;

	if (fd < 0) {
		r = -errno;
		log_error("%s: /dev/net/tun: %s", what, strerror(-r));
		return r;
	}
	memset(&ifr, 0, sizeof(ifr));
	/* IFF_NO_PI: no packet-information prefix; IFF_VNET_HDR: a virtio-net
	 * header on every frame (tuntap.rst, "Multiqueue tuntap interface"
	 * for IFF_MULTI_QUEUE). */
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR | (multi ? IFF_MULTI_QUEUE : 0);
	strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		r = -errno;
		if (r == -EPERM)
			log_error("%s: no permission to open or create the tap (needs its owner "
				  "or CAP_NET_ADMIN)", what);
		else if (r == -EBUSY)
			log_error("%s: the tap is in use by another process", what);
		else if (r == -EINVAL)
			log_error("%s: the tap exists with other flags%s", what,
				  multi ? " (queues=N needs 'ip tuntap add ... multi_queue')"
					: " (a multi_queue tap needs queues=N)");
		else
			log_error("%s: cannot attach to the tap: %s", what, strerror(-r));
		close(fd);
		return r;
	}
	/* No send-buffer cap on frames the guest transmits: the tun socket's
	 * default (wmem_default) would make writes of a few 64 KiB TSO frames
	 * in flight fail with EAGAIN; QEMU sets INT_MAX the same way. */
	hdr = INT_MAX;
	ioctl(fd, TUNSETSNDBUF, &hdr);
	/* VIRTIO_F_VERSION_1 headers are always 12 bytes (5.1.6.1). */
	hdr = (int)sizeof(struct virtio_net_hdr_v1);
	if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) < 0) {
		r = -errno;
		log_error("%s: the tap refuses a %d-byte virtio-net header: %s", what, hdr,
			  strerror(-r));
		close(fd);
		return r;
	}
	return fd;
}

int net_tap_open(struct net_tap *t, const char *name, unsigned int queues, const char *what)
{
	memset(t, 0, sizeof(*t));
	t->watch_fd = -1;
	for (unsigned int i = 0; i < NET_TAP_MAX_QUEUES; i++)
		t->fds[i] = -1;
	if (queues == 0 || queues > NET_TAP_MAX_QUEUES || strlen(name) >= IFNAMSIZ)
		return -EINVAL;
	strcpy(t->name, name);
	t->multi_queue = queues > 1;
	for (unsigned int i = 0; i < queues; i++) {
		int fd = open_one(name, t->multi_queue, what);

		if (fd < 0) {
			net_tap_close(t);
			return fd;
		}
		t->fds[t->nfds++] = fd;
	}
	/* Probe the offloads the way QEMU's tap_probe_has_ufo does: the tap
	 * refuses (EINVAL) the flags its kernel cannot do. */
	t->offload_tso = ioctl(t->fds[0], TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6 |
			       TUN_F_TSO_ECN) == 0;
	t->offload_ufo = ioctl(t->fds[0], TUNSETOFFLOAD, TUN_F_CSUM | TUN_F_UFO) == 0;
	ioctl(t->fds[0], TUNSETOFFLOAD, 0);
	t->ifindex = (int)if_nametoindex(name);
	return 0;
}

void net_tap_close(struct net_tap *t)
{
	for (unsigned int i = 0; i < t->nfds; i++)
		if (t->fds[i] >= 0)
			close(t->fds[i]);
	t->nfds = 0;
	if (t->watch_fd >= 0)
		close(t->watch_fd);
	t->watch_fd = -1;
}

int net_tap_set_offload(struct net_tap *t, unsigned int tun_flags)
{
	if (t->nfds == 0)
		return -EBADF;
	return ioctl(t->fds[0], TUNSETOFFLOAD, tun_flags) < 0 ? -errno : 0;
}

int net_tap_enable_queue(struct net_tap *t, unsigned int i, bool enable)
{
	struct ifreq ifr;

	if (!t->multi_queue || i >= t->nfds)
		return 0;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = enable ? IFF_ATTACH_QUEUE : IFF_DETACH_QUEUE;
	if (ioctl(t->fds[i], TUNSETQUEUE, &ifr) < 0)
		return errno == EINVAL ? 0 : -errno; /* EINVAL: already in that state */
	return 0;
}

int net_tap_watch(struct net_tap *t)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK, .nl_groups = RTMGRP_LINK };
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int r = -errno;

		close(fd);
		return r;
	}
	t->watch_fd = fd;
	return 0;
}

/* Whether the drained messages may concern this tap: its RTM_DELLINK, or
 * messages lost to an overrun. */
static bool drain_link_events(struct net_tap *t)
{
	char buf[8192] __attribute__((aligned(NLMSG_ALIGNTO)));
	bool maybe = false;

	for (;;) {
		ssize_t len = recv(t->watch_fd, buf, sizeof(buf), 0);

		if (len < 0 && errno == ENOBUFS) {
			maybe = true; /* the socket overran: look anyway */
			continue;
		}
		if (len < 0 && errno == EINTR)
			continue;
		if (len <= 0)
			return maybe; /* EAGAIN: drained */
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; NLMSG_OK(h, len);
		     h = NLMSG_NEXT(h, len)) {
			const struct ifinfomsg *ifi = NLMSG_DATA(h);

			if (h->nlmsg_type == RTM_DELLINK &&
			    h->nlmsg_len >= NLMSG_LENGTH(sizeof(*ifi)) && ifi->ifi_index == t->ifindex)
				maybe = true;
		}
	}
}

bool net_tap_gone(struct net_tap *t)
{
	uint8_t b;

	if (t->watch_fd < 0 || t->nfds == 0 || !drain_link_events(t))
		return false;
	/* A detached tun file fails reads with EBADFD (tun.c, tun_chr_read_iter);
	 * a zero-length read consumes no frame. */
	return read(t->fds[0], &b, 0) < 0 && errno != EAGAIN && errno != EINTR;
}
