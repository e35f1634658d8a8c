/* net_tap: the host side of a virtio-net device, a Linux tap interface
 * (Documentation/networking/tuntap.rst). Each queue pair gets its own
 * non-blocking tap fd (IFF_MULTI_QUEUE when there is more than one), all
 * with IFF_VNET_HDR and a 12-byte header (TUNSETVNETHDRSZ), so every
 * read/write is one frame preceded by struct virtio_net_hdr_v1, exactly
 * what the guest's rings carry. */
#ifndef SKIFF_DEVICES_NET_TAP_H
#define SKIFF_DEVICES_NET_TAP_H

#include <stdbool.h>
#include <net/if.h>

#define NET_TAP_MAX_QUEUES 16

struct net_tap {
	char name[IFNAMSIZ];
	int fds[NET_TAP_MAX_QUEUES];
	unsigned int nfds;
	bool multi_queue;
	bool offload_tso;   /* TUNSETOFFLOAD took CSUM|TSO4|TSO6|TSO_ECN */
	bool offload_ufo;   /* ... and CSUM|UFO */
	int ifindex;        /* the interface the fds are attached to */
	int watch_fd;       /* rtnetlink link events; -1 when not watching */
};

/* Attach to tap `name` with `queues` fds, creating it when it does not
 * exist and skiff may (CAP_NET_ADMIN). 0, or -errno with one line logged
 * naming what (`what`, e.g. "--net tap=skt0") and why: -EPERM (no
 * permission), -EBUSY (in use), -EINVAL (exists with other flags, e.g.
 * not multi_queue), -ENOENT (no /dev/net/tun). */
int net_tap_open(struct net_tap *t, const char *name, unsigned int queues, const char *what);
void net_tap_close(struct net_tap *t);
/* Set the offloads (TUN_F_*) the guest can take. 0 or -errno. */
int net_tap_set_offload(struct net_tap *t, unsigned int tun_flags);
/* Attach or detach queue i (TUNSETQUEUE), so the kernel steers frames only
 * to the queue pairs the driver uses. No-op on a single-queue tap. */
int net_tap_enable_queue(struct net_tap *t, unsigned int i, bool enable);

/* Deleting the tap detaches its fds, but tun wakes pollers only with
 * EPOLLIN: an epoll set that waits for nothing else on the fd (vhost-net
 * moving the frames, or no rx buffers) never hears of it. net_tap_watch
 * opens an rtnetlink socket on the link group (rtnetlink(7),
 * RTMGRP_LINK) whose fd (t->watch_fd) is readable on link events; after
 * it is, net_tap_gone drains it and says whether the tap is gone, which
 * it tells by its first fd failing (not by the message alone: a lost
 * message, ENOBUFS, must not hide a deletion). 0 or -errno. */
int net_tap_watch(struct net_tap *t);
bool net_tap_gone(struct net_tap *t);

#endif
