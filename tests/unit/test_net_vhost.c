/* Unit tests: virtio-net's vhost-net offload (devices/net_vhost.c) against
 * a fake kernel. The build machines have no /dev/vhost-net, so each pair's
 * backend gets a fake ioctl (struct vhost_backend's hook) that records the
 * vrings it was given and can refuse one request; the harness transport
 * lends the queues and records each offload and reclaim. What this checks:
 * which queues are handed over (never the control queue, only pairs the
 * driver set up), that a failed start undoes exactly what it did, and that
 * a refusal the guest can repeat is counted each time and logged once. */
#include <stdio.h>
#include <linux/vhost.h>

#include "net_fixture.h"

/* One vring of the fake kernel. */
struct fake_vring {
	unsigned int kicked;   /* VHOST_SET_VRING_KICK with an eventfd: started */
	unsigned int gets;     /* VHOST_GET_VRING_BASE */
	int kick, call;        /* the eventfds last bound */
	unsigned int base;     /* what GET_VRING_BASE reports */
};

/* Bases a vring keeps from an earlier activation, until SET_VRING_BASE. */
#define STALE_BASE 0x1234

static struct fake {
	struct net_vhost *v;
	struct fake_vring vr[VIRTIO_NET_MAX_PAIRS][2];
	unsigned long fail_req;   /* refuse this request ... */
	unsigned int fail_pair, fail_vring; /* ... on this vring */
} fk;

static struct vfx {
	struct fx f;
	struct net_vhost v;
} vf;

static int fake_ioctl(struct vhost_backend *b, unsigned long req, void *arg)
{
	unsigned int pair = (unsigned int)(b - fk.v->be), idx = 0;
	struct vhost_vring_state *st = arg;
	struct vhost_vring_file *file = arg;
	struct fake_vring *vr;

	assert_true(pair < fk.v->pairs);
	switch (req) {
	case VHOST_SET_FEATURES:
	case VHOST_SET_MEM_TABLE:
		return 0;
	case VHOST_SET_VRING_NUM:
	case VHOST_SET_VRING_BASE:
	case VHOST_GET_VRING_BASE:
		idx = st->index;
		break;
	case VHOST_SET_VRING_ADDR:
		idx = ((struct vhost_vring_addr *)arg)->index;
		break;
	case VHOST_SET_VRING_KICK:
	case VHOST_SET_VRING_CALL:
	case VHOST_NET_SET_BACKEND:
		idx = file->index;
		break;
	default:
		fail_msg("unexpected ioctl %#lx", req);
	}
	assert_true(idx < 2);
	if (req == fk.fail_req && pair == fk.fail_pair && idx == fk.fail_vring)
		return -ENOMEM;
	vr = &fk.vr[pair][idx];
	if (req == VHOST_SET_VRING_BASE)
		vr->base = st->num;
	if (req == VHOST_GET_VRING_BASE) {
		vr->gets++;
		st->num = vr->base;
	}
	if (req == VHOST_SET_VRING_KICK && file->fd >= 0) {
		vr->kicked++;
		vr->kick = file->fd;
	}
	if (req == VHOST_SET_VRING_CALL)
		vr->call = file->fd;
	return 0;
}

/* A device of `pairs` pairs with vhost attached (vhost=auto), every
 * backend on the fake kernel, on a transport that lends its queues. */
static int vsetup(void **state, unsigned int pairs)
{
	signal(SIGPIPE, SIG_IGN);
	make(&vf.f, pairs, NULL, NULL);
	memset(&vf.v, 0, sizeof(vf.v));
	memset(&fk, 0, sizeof(fk));
	fk.v = &vf.v;
	vf.v.pairs = pairs;
	for (unsigned int i = 0; i < pairs; i++) {
		vf.v.be[i].fd = -1;
		vf.v.be[i].features = ~0ULL;
		vf.v.be[i].ioctl = fake_ioctl;
		fk.vr[i][0].base = fk.vr[i][1].base = STALE_BASE;
	}
	net_vhost_attach(&vf.v, &vf.f.n);
	vdrv_lend_queues(&vf.f.v);
	*state = &vf;
	return 0;
}

static int vsetup1(void **state)
{
	return vsetup(state, 1);
}

static int vsetup2(void **state)
{
	return vsetup(state, 2);
}

static int vteardown(void **state)
{
	void *f = &((struct vfx *)*state)->f;

	return teardown(&f);
}

static const struct vdrv_transport *tr(struct vfx *x)
{
	return &x->f.v.tr;
}

static void assert_offloads(struct vfx *x, const unsigned int want[5])
{
	for (unsigned int q = 0; q < 5; q++)
		assert_int_equal(tr(x)->offloads[q], want[q]);
}

/* Without VIRTIO_NET_F_MQ the driver has one pair and queue 2 is its
 * control queue (5.1.2): only queues 0 and 1 go to vhost-net, and a reset
 * gives back exactly those. */
static void no_mq_never_offloads_the_control_queue(void **state)
{
	struct vfx *x = *state;
	static const unsigned int pair0[5] = { 1, 1, 0, 0, 0 };

	up(&x->f, all_features(&x->f) & ~F(VIRTIO_NET_F_MQ));
	assert_true(x->f.n.vhost_on);
	assert_offloads(x, pair0);
	assert_int_equal(fk.vr[0][0].kick, VDRV_KICK_FD(0));
	assert_int_equal(fk.vr[0][1].kick, VDRV_KICK_FD(1));
	assert_int_equal(fk.vr[1][0].kicked + fk.vr[1][1].kicked, 0);

	virtio_dev_write_status(&x->f.n.dev, 0);
	assert_false(x->f.n.vhost_on);
	for (unsigned int q = 0; q < 5; q++)
		assert_int_equal(tr(x)->reclaims[q], pair0[q]);
	assert_int_equal(fk.vr[0][0].gets, 1);
	assert_int_equal(fk.vr[0][1].gets, 1);
	assert_int_equal(fk.vr[1][0].gets + fk.vr[1][1].gets, 0);
}

/* With MQ, only pairs whose both queues the driver set up before
 * DRIVER_OK (3.1.1) are started; without pair 0, nothing is, and that is
 * a refusal. The control queue (4 here) stays with skiff throughout. */
static void mq_starts_only_pairs_set_up(void **state)
{
	struct vfx *x = *state;
	uint64_t feats = all_features(&x->f);
	static const unsigned int none[5] = { 0 }, pair0[5] = { 1, 1, 0, 0, 0 },
				  both[5] = { 2, 2, 1, 1, 0 };

	assert_true(feats & F(VIRTIO_NET_F_MQ));
	/* pair 1 and the control queue only */
	assert_true(vdrv_negotiate(&x->f.v, feats) & VIRTIO_CONFIG_S_FEATURES_OK);
	for (uint16_t q = 2; q < 5; q++)
		vdrv_setup_queue(&x->f.v, q, QSZ);
	assert_true(vdrv_driver_ok(&x->f.v) & VIRTIO_CONFIG_S_DRIVER_OK);
	assert_false(needs_reset(&x->f));
	assert_false(x->f.n.vhost_on);
	assert_int_equal(x->f.n.stats.vhost_refused, 1);
	assert_offloads(x, none);

	/* pair 0 and the control queue: pair 1 is left out, not refused */
	assert_true(vdrv_negotiate(&x->f.v, feats) & VIRTIO_CONFIG_S_FEATURES_OK);
	vdrv_setup_queue(&x->f.v, 0, QSZ);
	vdrv_setup_queue(&x->f.v, 1, QSZ);
	vdrv_setup_queue(&x->f.v, 4, QSZ);
	assert_true(vdrv_driver_ok(&x->f.v) & VIRTIO_CONFIG_S_DRIVER_OK);
	assert_true(x->f.n.vhost_on);
	assert_int_equal(x->f.n.stats.vhost_refused, 1);
	assert_offloads(x, pair0);

	/* every queue: both pairs */
	up(&x->f, feats);
	assert_true(x->f.n.vhost_on);
	assert_offloads(x, both);
	assert_int_equal(fk.vr[1][0].kick, VDRV_KICK_FD(2));
	assert_int_equal(fk.vr[1][1].kick, VDRV_KICK_FD(3));
}

/* The transport refuses queue 1 (no MSI-X vector: -ENXIO) after queue 0
 * is running: the undo stops vring 0 and reclaims queue 0, and leaves
 * vring 1 alone: its GET_VRING_BASE would copy a stale base into the live
 * queue 1, which then falls back to the userspace datapath. */
static void failed_start_undoes_only_what_it_did(void **state)
{
	struct vfx *x = *state;
	struct virtio_net_hdr_v1 h = { 0 };
	uint8_t got[256];

	x->f.v.tr.offload_err[1] = -ENXIO;
	up(&x->f, all_features(&x->f));
	assert_false(x->f.n.vhost_on);
	assert_int_equal(tr(x)->offloads[1], 1);
	assert_int_equal(tr(x)->reclaims[0], 1);
	assert_int_equal(tr(x)->reclaims[1], 0);
	assert_int_equal(fk.vr[0][0].gets, 1);
	assert_int_equal(fk.vr[0][1].gets, 0);
	assert_int_equal(x->f.n.dev.queues[1].last_avail_idx, 0);
	post_tx(&x->f, 1, &h, 60, 3, 0);
	vdrv_kick(&x->f.v, 1);
	assert_int_equal(recv(x->f.sock[0][1], got, sizeof(got), 0), NET_HDR_LEN + 60);
}

/* The same with two pairs, the kernel refusing pair 1's rx vring
 * (VHOST_SET_VRING_CALL) after queue 2 was offloaded: pair 0 is undone
 * whole, queue 2 is reclaimed, queue 3 was never offloaded, and no vring
 * of pair 1 was started, so none is stopped. */
static void failed_second_pair_undoes_only_what_it_did(void **state)
{
	struct vfx *x = *state;
	static const unsigned int reclaimed[5] = { 1, 1, 1, 0, 0 };

	fk.fail_req = VHOST_SET_VRING_CALL;
	fk.fail_pair = 1;
	fk.fail_vring = 0;
	up(&x->f, all_features(&x->f));
	assert_false(x->f.n.vhost_on);
	assert_int_equal(tr(x)->offloads[3], 0);
	for (unsigned int q = 0; q < 5; q++)
		assert_int_equal(tr(x)->reclaims[q], reclaimed[q]);
	assert_int_equal(fk.vr[0][0].gets, 1);
	assert_int_equal(fk.vr[0][1].gets, 1);
	assert_int_equal(fk.vr[1][0].gets, 0);
	assert_int_equal(fk.vr[1][1].gets, 0);
	assert_int_equal(x->f.n.dev.queues[3].last_avail_idx, 0);
}

/* stderr into a temporary file, and back; the lines that contain s. */
static int capture_stderr(FILE **tmp)
{
	int saved;

	fflush(stderr);
	*tmp = tmpfile();
	assert_non_null(*tmp);
	saved = dup(STDERR_FILENO);
	assert_true(saved >= 0);
	assert_true(dup2(fileno(*tmp), STDERR_FILENO) >= 0);
	return saved;
}

static unsigned int release_stderr(FILE *tmp, int saved, const char *s, char *first, size_t len)
{
	char line[512];
	unsigned int n = 0;

	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(tmp);
	while (fgets(line, sizeof(line), tmp)) {
		if (!strstr(line, s))
			continue;
		if (n++ == 0)
			snprintf(first, len, "%s", line);
	}
	fclose(tmp);
	return n;
}

/* A guest that resets and sets DRIVER_OK again with a queue vhost can not
 * take refuses every activation: each is counted, only the first logged
 * (with why). vhost=auto falls back each time, vhost=on fails each time. */
static void refusals_counted_each_logged_once(void **state)
{
	struct vfx *x = *state;
	uint64_t feats = all_features(&x->f);
	uint8_t st[4];
	char first[512] = "";
	FILE *tmp;
	int saved;

	x->f.v.tr.offload_err[0] = -ENXIO;
	saved = capture_stderr(&tmp);
	for (unsigned int i = 0; i < 3; i++)
		st[i] = vdrv_bring_up(&x->f.v, feats, QSZ);
	x->v.demanded = true;
	st[3] = vdrv_bring_up(&x->f.v, feats, QSZ);
	assert_int_equal(release_stderr(tmp, saved, "vhost-net refused", first, sizeof(first)), 1);
	assert_non_null(strstr(first, strerror(ENXIO)));
	for (unsigned int i = 0; i < 3; i++) {
		assert_true(st[i] & VIRTIO_CONFIG_S_DRIVER_OK);
		assert_false(st[i] & VIRTIO_CONFIG_S_NEEDS_RESET);
	}
	assert_true(st[3] & VIRTIO_CONFIG_S_NEEDS_RESET);
	assert_int_equal(x->f.n.stats.vhost_refused, 4);
	assert_int_equal(tr(x)->offloads[0], 4);
	assert_int_equal(tr(x)->reclaims[0], 0); /* never lent, never given back */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(no_mq_never_offloads_the_control_queue, vsetup2,
						vteardown),
		cmocka_unit_test_setup_teardown(mq_starts_only_pairs_set_up, vsetup2, vteardown),
		cmocka_unit_test_setup_teardown(failed_start_undoes_only_what_it_did, vsetup1,
						vteardown),
		cmocka_unit_test_setup_teardown(failed_second_pair_undoes_only_what_it_did,
						vsetup2, vteardown),
		cmocka_unit_test_setup_teardown(refusals_counted_each_logged_once, vsetup1,
						vteardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
