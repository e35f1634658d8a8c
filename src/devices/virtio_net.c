/* virtio-net device model: features, config space, activation and reset,
 * the event-loop handlers of the host fds and the rate-limit timer, link
 * state (virtio 1.2 spec 5.1). See virtio_net.h. */
#include "devices/virtio_net.h"

#include <endian.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>
#include <linux/if_tun.h>
#include <linux/virtio_ids.h>

#include "devices/net_hdr.h"
#include "devices/net_internal.h"
#include "util/container_of.h"
#include "util/log.h"

#define NSEC 1000000000ULL

static struct virtio_net *to_net(struct virtio_dev *d)
{
	return container_of(d, struct virtio_net, dev);
}

static uint64_t clock_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * NSEC + (uint64_t)ts.tv_nsec;
}

static uint64_t bit(unsigned int b)
{
	return 1ULL << b;
}

uint16_t net_ctrlq(const struct virtio_net *n)
{
	return (uint16_t)(virtio_dev_has_feature(&n->dev, VIRTIO_NET_F_MQ) ? 2 * n->pairs : 2);
}

bool net_userspace_live(const struct virtio_net *n)
{
	return !n->vhost_on && (n->dev.status & VIRTIO_CONFIG_S_DRIVER_OK) &&
	       !(n->dev.status & VIRTIO_CONFIG_S_NEEDS_RESET);
}

static uint64_t net_features(struct virtio_dev *d)
{
	struct virtio_net *n = to_net(d);
	/* 5.1.3: what skiff serves itself: the MAC, link status, the control
	 * queue with MAC, receive-filter, VLAN and offload commands,
	 * multiqueue, the MTU. The filter applies on the userspace datapath;
	 * vhost-net delivers every frame the tap has, as under QEMU. */
	uint64_t f = bit(VIRTIO_NET_F_MAC) | bit(VIRTIO_NET_F_STATUS) | bit(VIRTIO_NET_F_CTRL_VQ) |
		     bit(VIRTIO_NET_F_CTRL_MAC_ADDR) | bit(VIRTIO_NET_F_CTRL_RX) |
		     bit(VIRTIO_NET_F_CTRL_RX_EXTRA) | bit(VIRTIO_NET_F_CTRL_VLAN) |
		     bit(VIRTIO_NET_F_MRG_RXBUF);

	if (n->pairs > 1)
		f |= bit(VIRTIO_NET_F_MQ);
	if (n->mtu)
		f |= bit(VIRTIO_NET_F_MTU);
	/* Offloads are the tap's (IFF_VNET_HDR): the same with vhost-net,
	 * which passes the header through (as QEMU offers them). */
	if (n->csum_tso)
		f |= bit(VIRTIO_NET_F_CSUM) | bit(VIRTIO_NET_F_GUEST_CSUM) |
		     bit(VIRTIO_NET_F_HOST_TSO4) | bit(VIRTIO_NET_F_HOST_TSO6) |
		     bit(VIRTIO_NET_F_HOST_ECN) | bit(VIRTIO_NET_F_GUEST_TSO4) |
		     bit(VIRTIO_NET_F_GUEST_TSO6) | bit(VIRTIO_NET_F_GUEST_ECN) |
		     bit(VIRTIO_NET_F_CTRL_GUEST_OFFLOADS);
	if (n->csum_tso && n->ufo)
		f |= bit(VIRTIO_NET_F_HOST_UFO) | bit(VIRTIO_NET_F_GUEST_UFO);
	/* vhost-net lays out the rx header itself: mergeable buffers only
	 * if it can. */
	if (n->vhost_features && !(n->vhost_features & bit(VIRTIO_NET_F_MRG_RXBUF)))
		f &= ~bit(VIRTIO_NET_F_MRG_RXBUF);
	return f;
}

static void net_config_read(struct virtio_dev *d, uint32_t off, void *buf, uint32_t len)
{
	memcpy(buf, (uint8_t *)&to_net(d)->config + off, len);
}

/* 5.1.4: every field is read-only for a VERSION_1 driver (the MAC changes
 * through VIRTIO_NET_CTRL_MAC_ADDR_SET): writes are counted, not applied. */
static void net_config_write(struct virtio_dev *d, uint32_t off, const void *buf, uint32_t len)
{
	(void)off;
	(void)buf;
	(void)len;
	atomic_fetch_add(&d->guest_errors, 1);
}

static void set_registered(struct virtio_net *n, struct virtio_net_pair *p, bool on)
{
	if (!n->dev.loop || p->fd < 0 || p->registered == on)
		return;
	if (on) {
		p->events = 0;
		p->registered = event_loop_add(n->dev.loop, p->fd, 0, &p->handler) == 0;
	} else {
		event_loop_del(n->dev.loop, p->fd);
		p->registered = false;
	}
}

void net_pair_update_events(struct virtio_net *n, struct virtio_net_pair *p)
{
	uint32_t want = 0;

	if (!p->registered)
		return;
	if (net_userspace_live(n) && p->idx < n->curr_pairs && !n->link_gone) {
		if (!p->rx_stalled && !n->rx_throttled)
			want |= EPOLLIN;
		if (p->tx_blocked)
			want |= EPOLLOUT;
	}
	/* With nothing asked for, a deleted tap stays unnoticed here (tun
	 * wakes pollers with EPOLLIN only): backend.host_gone covers that. */
	if (want != p->events && event_loop_mod(n->dev.loop, p->fd, want, &p->handler) == 0)
		p->events = want;
}

void net_throttle(struct virtio_net *n, uint64_t wait_ns)
{
	struct itimerspec its = { 0 };

	if (n->timer_fd < 0)
		return;
	if (wait_ns < 1000)
		wait_ns = 1000; /* 0 would disarm the timer */
	its.it_value.tv_sec = (time_t)(wait_ns / NSEC);
	its.it_value.tv_nsec = (long)(wait_ns % NSEC);
	/* A single timer for both directions: arming it again for the later
	 * direction may wake the other early, which then waits again. */
	timerfd_settime(n->timer_fd, 0, &its, NULL);
}

void virtio_net_poll(struct virtio_net *n)
{
	pthread_mutex_lock(&n->dev.lock);
	n->rx_throttled = false;
	n->tx_throttled = false;
	for (unsigned int i = 0; i < n->curr_pairs && net_userspace_live(n); i++) {
		n->pair[i].tx_blocked = false;
		net_tx_run(n, &n->pair[i]);
		net_rx_run(n, &n->pair[i]);
	}
	pthread_mutex_unlock(&n->dev.lock);
}

static void timer_event(struct event_handler *h, uint32_t events)
{
	struct virtio_net *n = container_of(h, struct virtio_net, timer_handler);
	uint64_t ticks;

	(void)events;
	if (read(n->timer_fd, &ticks, sizeof(ticks)) < 0)
		return; /* spurious wake-up: EAGAIN */
	pthread_mutex_lock(&n->dev.lock);
	n->rx_throttled = false;
	n->tx_throttled = false;
	for (unsigned int i = 0; i < n->curr_pairs && net_userspace_live(n); i++) {
		if (!n->pair[i].tx_blocked)
			net_tx_run(n, &n->pair[i]);
		net_rx_run(n, &n->pair[i]);
	}
	pthread_mutex_unlock(&n->dev.lock);
}

/* The backend says its host side may have changed (event loop). */
static void gone_event(struct event_handler *h, uint32_t events)
{
	struct virtio_net *n = container_of(h, struct virtio_net, gone_handler);

	(void)events;
	if (n->backend.host_gone(n->backend.ctx))
		virtio_net_link_gone(n, ENODEV);
}

/* The fd of pair p is ready, or failed (event loop). */
static void pair_event(struct event_handler *h, uint32_t events)
{
	struct virtio_net_pair *p = container_of(h, struct virtio_net_pair, handler);
	struct virtio_net *n = p->n;
	uint8_t b;

	pthread_mutex_lock(&n->dev.lock);
	if (events & (EPOLLERR | EPOLLHUP)) {
		/* A zero-length read tells a deleted tap (EBADFD) from a
		 * transient condition without consuming a frame. */
		if (read(p->fd, &b, 0) < 0 && errno != EAGAIN && errno != EINTR) {
			virtio_net_link_gone(n, errno);
			pthread_mutex_unlock(&n->dev.lock);
			return;
		}
	}
	if (net_userspace_live(n) && p->idx < n->curr_pairs) {
		if (events & EPOLLOUT) {
			p->tx_blocked = false;
			net_tx_run(n, p);
		}
		if (events & EPOLLIN)
			net_rx_run(n, p);
	}
	net_pair_update_events(n, p);
	pthread_mutex_unlock(&n->dev.lock);
}

void virtio_net_link_gone(struct virtio_net *n, int err)
{
	pthread_mutex_lock(&n->dev.lock);
	if (!n->link_gone) {
		n->link_gone = true;
		n->config.status &= htole16((uint16_t)~VIRTIO_NET_S_LINK_UP);
		log_error("%s: the host side failed (%s): link down, the VM keeps running",
			  n->name, strerror(err));
		for (unsigned int i = 0; i < n->pairs; i++)
			set_registered(n, &n->pair[i], false);
		/* 5.1.4.2: a status change comes with a config interrupt. */
		virtio_dev_config_changed(&n->dev);
	}
	pthread_mutex_unlock(&n->dev.lock);
}

int net_apply_guest_offloads(struct virtio_net *n, uint64_t g)
{
	unsigned int tun = 0;

	/* linux/if_tun.h: TUN_F_* say what the reader (the guest) accepts. */
	if (g & bit(VIRTIO_NET_F_GUEST_CSUM)) {
		tun |= TUN_F_CSUM;
		if (g & bit(VIRTIO_NET_F_GUEST_TSO4))
			tun |= TUN_F_TSO4;
		if (g & bit(VIRTIO_NET_F_GUEST_TSO6))
			tun |= TUN_F_TSO6;
		if ((g & bit(VIRTIO_NET_F_GUEST_ECN)) && (tun & (TUN_F_TSO4 | TUN_F_TSO6)))
			tun |= TUN_F_TSO_ECN;
		if (g & bit(VIRTIO_NET_F_GUEST_UFO))
			tun |= TUN_F_UFO;
	}
	if (!n->backend.set_offload)
		return 0;
	return n->backend.set_offload(n->backend.ctx, tun);
}

void net_set_curr_pairs(struct virtio_net *n, unsigned int k)
{
	n->curr_pairs = k;
	for (unsigned int i = 0; i < n->pairs; i++) {
		struct virtio_net_pair *p = &n->pair[i];
		bool on = i < k;

		if (n->backend.enable_queue)
			n->backend.enable_queue(n->backend.ctx, i, on);
		/* A detached tap queue polls as EPOLLERR: only watch used ones. */
		set_registered(n, p, on && !n->link_gone);
		if (!on && p->rx_len) {
			/* A frame held for a pair the driver stopped using is
			 * not for it if it uses the pair again. */
			p->rx_len = 0;
			n->stats.rx_dropped++;
		}
		net_pair_update_events(n, p);
	}
}

static int net_activate(struct virtio_dev *d)
{
	struct virtio_net *n = to_net(d);
	int r = net_apply_guest_offloads(n, d->driver_features);

	if (r < 0) {
		log_error("%s: the tap refuses the offloads the guest asked for: %s", n->name,
			  strerror(-r));
		return r;
	}
	if (n->vhost_start) {
		r = n->vhost_start(n);
		if (r < 0)
			return r;
	}
	/* 5.1.6.5.3: VLAN filtering only once negotiated. */
	n->filter.vlan_filter = virtio_dev_has_feature(d, VIRTIO_NET_F_CTRL_VLAN);
	/* 5.1.6.5.5: until VQ_PAIRS_SET only the first pair is used. */
	net_set_curr_pairs(n, 1);
	return 0;
}

static void net_reset(struct virtio_dev *d)
{
	struct virtio_net *n = to_net(d);

	if (n->vhost_stop)
		n->vhost_stop(n);
	for (unsigned int i = 0; i < n->pairs; i++) {
		struct virtio_net_pair *p = &n->pair[i];

		set_registered(n, p, false);
		p->rx_stalled = false;
		p->tx_blocked = false;
		p->rx_len = 0;
	}
	n->curr_pairs = 1;
	/* The driver's MAC, rx modes, MAC table and VLANs are forgotten, as
	 * QEMU's reset does (5.1.6.5.2: an empty table on reset). */
	memcpy(n->config.mac, n->mac, 6);
	net_filter_reset(&n->filter, false);
	n->rx_throttled = false;
	n->tx_throttled = false;
	if (n->timer_fd >= 0)
		timerfd_settime(n->timer_fd, 0, &(struct itimerspec){ 0 }, NULL);
}

static void net_queue_notify(struct virtio_dev *d, uint16_t q)
{
	struct virtio_net *n = to_net(d);
	unsigned int pair = q / 2;

	if (virtio_dev_has_feature(d, VIRTIO_NET_F_CTRL_VQ) && q == net_ctrlq(n)) {
		net_ctrl_run(n);
		return;
	}
	if (pair >= n->pairs || !net_userspace_live(n))
		return;
	if (q & 1) {
		net_tx_run(n, &n->pair[pair]);
	} else if (n->pair[pair].rx_stalled) {
		n->pair[pair].rx_stalled = false;
		net_rx_run(n, &n->pair[pair]);
	}
	net_pair_update_events(n, &n->pair[pair]);
}

static int limiter_init(struct rate_limiter *rl, const struct virtio_net_limit *l, uint64_t now)
{
	/* Firecracker's shape: a bucket of `rate` tokens refilled over one
	 * second, plus a one-time burst on top. */
	int r = token_bucket_init(&rl->bytes, l->bw, l->bw_burst, NSEC, now);

	return r < 0 ? r : token_bucket_init(&rl->ops, l->pps, l->pps_burst, NSEC, now);
}

static bool limit_set(const struct virtio_net_limit *l)
{
	return l->bw || l->pps;
}

static const struct virtio_dev_ops net_ops_template = {
	.name = "virtio-net",
	.device_id = VIRTIO_ID_NET,
	.queue_max_size = VIRTIO_NET_QUEUE_SIZE,
	/* mac, status, max_virtqueue_pairs, mtu (5.1.4); nothing after. */
	.config_size = offsetof(struct virtio_net_config, speed),
	.features = net_features,
	.config_read = net_config_read,
	.config_write = net_config_write,
	.activate = net_activate,
	.reset = net_reset,
	.queue_notify = net_queue_notify,
};

int virtio_net_init(struct virtio_net *n, const struct virtio_net_params *p,
		    const struct guest_mem *mem, struct event_loop *loop)
{
	uint64_t now;
	int r;

	memset(n, 0, sizeof(*n));
	n->timer_fd = -1;
	for (unsigned int i = 0; i < VIRTIO_NET_MAX_PAIRS; i++)
		n->pair[i].fd = -1;
	if (p->pairs == 0 || p->pairs > VIRTIO_NET_MAX_PAIRS)
		return -EINVAL;
	snprintf(n->name, sizeof(n->name), "%s", p->name ? p->name : "virtio-net");
	n->pairs = p->pairs;
	n->curr_pairs = 1;
	n->mtu = p->mtu;
	n->csum_tso = p->csum_tso;
	n->ufo = p->ufo;
	n->vhost_features = p->vhost_features;
	n->backend = p->backend;
	n->now_ns = clock_ns;
	now = clock_ns();
	n->rx_limit = limit_set(&p->rx);
	n->tx_limit = limit_set(&p->tx);
	if (limiter_init(&n->rx_rl, &p->rx, now) < 0 || limiter_init(&n->tx_rl, &p->tx, now) < 0)
		return -EINVAL;
	memcpy(n->config.mac, p->mac, 6);
	memcpy(n->mac, p->mac, 6);
	net_filter_reset(&n->filter, false);
	n->config.status = htole16(VIRTIO_NET_S_LINK_UP);
	n->config.max_virtqueue_pairs = htole16((uint16_t)p->pairs);
	n->config.mtu = htole16((uint16_t)(p->mtu ? p->mtu : NET_DEFAULT_MTU));
	for (unsigned int i = 0; i < p->pairs; i++) {
		struct virtio_net_pair *qp = &n->pair[i];

		qp->n = n;
		qp->idx = i;
		qp->fd = p->fds[i];
		qp->handler.fn = pair_event;
		qp->rxbuf = malloc(NET_RXBUF_SIZE);
		if (!qp->rxbuf) {
			virtio_net_destroy(n);
			return -ENOMEM;
		}
	}
	n->ops = net_ops_template;
	n->ops.num_queues = (uint16_t)(2 * p->pairs + 1);
	/* vhost-net serves the rings: offer only the ring features it has. */
	if (p->vhost_features)
		n->ops.features_mask = VIRTIO_DEV_CORE_FEATURES & ~p->vhost_features;
	r = virtio_dev_init(&n->dev, &n->ops, mem, loop);
	if (r < 0) {
		virtio_net_destroy(n);
		return r;
	}
	if (loop && (n->rx_limit || n->tx_limit)) {
		n->timer_fd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
		n->timer_handler.fn = timer_event;
		if (n->timer_fd < 0 || event_loop_add(loop, n->timer_fd, EPOLLIN,
						      &n->timer_handler) < 0) {
			r = -errno;
			if (n->timer_fd >= 0)
				close(n->timer_fd);
			n->timer_fd = -1;
			virtio_net_destroy(n);
			return r;
		}
	}
	if (loop && n->backend.host_gone) {
		n->gone_handler.fn = gone_event;
		r = event_loop_add(loop, n->backend.gone_fd, EPOLLIN, &n->gone_handler);
		if (r < 0) {
			virtio_net_destroy(n);
			return r;
		}
		n->gone_watched = true;
	}
	return 0;
}

void virtio_net_destroy(struct virtio_net *n)
{
	if (n->dev.ops) {
		pthread_mutex_lock(&n->dev.lock);
		n->destroying = true;
		net_reset(&n->dev);
		pthread_mutex_unlock(&n->dev.lock);
		virtio_dev_destroy(&n->dev);
		n->dev.ops = NULL;
	}
	if (n->gone_watched) {
		event_loop_del(n->dev.loop, n->backend.gone_fd);
		n->gone_watched = false;
	}
	if (n->timer_fd >= 0) {
		if (n->dev.loop)
			event_loop_del(n->dev.loop, n->timer_fd);
		close(n->timer_fd);
		n->timer_fd = -1;
	}
	for (unsigned int i = 0; i < VIRTIO_NET_MAX_PAIRS; i++) {
		free(n->pair[i].rxbuf);
		n->pair[i].rxbuf = NULL;
	}
}

void virtio_net_default_mac(const char *name, unsigned int index, uint8_t mac[6])
{
	/* FNV-1a (64-bit) over the name, a NUL and the index: stable across
	 * runs and skiff versions, different per tap and per device. */
	uint64_t h = 0xcbf29ce484222325ULL;
	const uint8_t *s = (const uint8_t *)name;

	for (size_t i = 0; i <= strlen(name); i++)
		h = (h ^ s[i]) * 0x100000001b3ULL;
	for (int i = 0; i < 4; i++)
		h = (h ^ ((index >> (8 * i)) & 0xff)) * 0x100000001b3ULL;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)(h >> (8 * i));
	mac[0] = (uint8_t)((mac[0] & ~1u) | 2u);
}
