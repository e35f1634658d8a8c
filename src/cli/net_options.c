/* --net value parser: see net_options.h. */
#include "cli/net_options.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/options.h"
#include "util/log.h"

/* Ethernet: 64 bytes minimum frame leaves 68 for IPv4 (RFC 791); the
 * largest a virtio-net header can describe without GSO is 65535. */
#define NET_MTU_MIN 68
#define NET_MTU_MAX 65535

/* "52:54:00:12:34:56": six hex pairs; a unicast address (bit 0 of the
 * first octet clear, IEEE 802 "individual/group" bit). */
static int parse_mac(const char *s, uint8_t mac[6])
{
	for (int i = 0; i < 6; i++) {
		if (!isxdigit((unsigned char)s[0]) || !isxdigit((unsigned char)s[1]))
			return -EINVAL;
		unsigned int v;

		sscanf(s, "%2x", &v);
		mac[i] = (uint8_t)v;
		s += 2;
		if (i < 5 && *s++ != ':')
			return -EINVAL;
	}
	if (*s || (mac[0] & 1))
		return -EINVAL;
	return 0;
}

static int parse_count(const char *v, uint64_t *out)
{
	unsigned long n;

	if (cli_parse_uint(v, 0, 0xffffffffUL, &n) < 0)
		return -EINVAL;
	*out = n;
	return 0;
}

/* One rate-limit item ("rx_bw" ...) into the limit it names, or 1 when
 * key is not a rate-limit key. */
static int parse_limit(struct vm_net_config *n, const char *key, const char *v)
{
	struct vm_net_limit *l;
	const char *what;

	if (!strncmp(key, "rx_", 3))
		l = &n->rx;
	else if (!strncmp(key, "tx_", 3))
		l = &n->tx;
	else
		return 1;
	what = key + 3;
	if (!strcmp(what, "bw"))
		return cli_parse_size(v, &l->bw) < 0 ? -EINVAL : 0;
	if (!strcmp(what, "bw_burst"))
		return cli_parse_size(v, &l->bw_burst) < 0 ? -EINVAL : 0;
	if (!strcmp(what, "pps"))
		return parse_count(v, &l->pps);
	if (!strcmp(what, "pps_burst"))
		return parse_count(v, &l->pps_burst);
	return 1;
}

static int parse_item(struct vm_net_config *n, const char *key, const char *v)
{
	unsigned long u;
	int r;

	if (!strcmp(key, "tap")) {
		/* IFNAMSIZ, and no '/' or blanks (dev_valid_name() in Linux). */
		if (!*v || strlen(v) > VM_CONFIG_IFNAME_MAX || strpbrk(v, "/: \t") ||
		    !strcmp(v, ".") || !strcmp(v, ".."))
			return -EINVAL;
		strcpy(n->tap, v);
		return 0;
	}
	if (!strcmp(key, "mac")) {
		n->mac_given = 1;
		return parse_mac(v, n->mac);
	}
	if (!strcmp(key, "queues")) {
		if (cli_parse_uint(v, 1, VM_CONFIG_NET_MAX_QUEUES, &u) < 0)
			return -EINVAL;
		n->queues = (unsigned int)u;
		return 0;
	}
	if (!strcmp(key, "vhost")) {
		if (!strcmp(v, "on"))
			n->vhost = VM_NET_VHOST_ON;
		else if (!strcmp(v, "auto"))
			n->vhost = VM_NET_VHOST_AUTO;
		else if (!strcmp(v, "off"))
			n->vhost = VM_NET_VHOST_OFF;
		else
			return -EINVAL;
		return 0;
	}
	if (!strcmp(key, "mtu")) {
		if (cli_parse_uint(v, NET_MTU_MIN, NET_MTU_MAX, &u) < 0)
			return -EINVAL;
		n->mtu = (unsigned int)u;
		return 0;
	}
	r = parse_limit(n, key, v);
	return r == 1 ? -EINVAL : r;
}

int cli_parse_net(const char *arg, struct vm_net_config *n)
{
	struct cli_items items;
	struct cli_item it;

	memset(n, 0, sizeof(*n));
	n->queues = 1;
	/* The userspace datapath unless asked (README: why not vhost-net). */
	n->vhost = VM_NET_VHOST_OFF;
	if (cli_items_init(&items, arg) < 0) {
		log_error("--net: value too long");
		return -EINVAL;
	}
	while (cli_items_next(&items, &it)) {
		const char *item = it.key, *v = it.val;

		if (!it.has_eq || parse_item(n, item, v) < 0) {
			log_error("--net '%s': bad item '%s%s%s' (expected tap=NAME of at most %d "
				  "characters, mac=XX:XX:XX:XX:XX:XX unicast, queues=1..%d, "
				  "vhost=on|off|auto, mtu=%d..%d, {rx,tx}_{bw,bw_burst}=SIZE, "
				  "{rx,tx}_{pps,pps_burst}=N)", arg, item, it.has_eq ? "=" : "", v,
				  VM_CONFIG_IFNAME_MAX, VM_CONFIG_NET_MAX_QUEUES, NET_MTU_MIN,
				  NET_MTU_MAX);
			return -EINVAL;
		}
	}
	if (!n->tap[0]) {
		log_error("--net '%s': tap=NAME is required", arg);
		return -EINVAL;
	}
	return 0;
}

static int limited(const struct vm_net_limit *l)
{
	return l->bw || l->bw_burst || l->pps || l->pps_burst;
}

int cli_check_net(const struct vm_net_config *n, unsigned int ncpus)
{
	if (n->queues > ncpus) {
		log_error("--net tap=%s: queues=%u is more than the %u vCPUs (--cpus)", n->tap,
			  n->queues, ncpus);
		return -EINVAL;
	}
	if (n->vhost == VM_NET_VHOST_ON && (limited(&n->rx) || limited(&n->tx))) {
		log_error("--net tap=%s: rate limits need the userspace datapath; drop vhost=on",
			  n->tap);
		return -EINVAL;
	}
	if ((n->rx.bw_burst && !n->rx.bw) || (n->tx.bw_burst && !n->tx.bw) ||
	    (n->rx.pps_burst && !n->rx.pps) || (n->tx.pps_burst && !n->tx.pps)) {
		log_error("--net tap=%s: a *_burst needs its rate (rx_bw, rx_pps, tx_bw, tx_pps)",
			  n->tap);
		return -EINVAL;
	}
	return 0;
}
