#include "vmm/virtio_devices.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "kvm/kvm.h"
#include "util/log.h"
#include "vmm/vm.h"

/* Queue kicks as KVM ioeventfds on the notify addresses (api.rst 4.59):
 * a guest write signals the eventfd in the kernel, no exit to skiff. */
static int ioeventfd_assign(void *ctx, int efd, uint64_t gpa, uint32_t len)
{
	struct vm *vm = ctx;

	return kvm_vm_ioeventfd_assign(vm->fd, efd, gpa, len, false, NULL);
}

static int ioeventfd_deassign(void *ctx, int efd, uint64_t gpa, uint32_t len)
{
	struct vm *vm = ctx;

	return kvm_vm_ioeventfd_deassign(vm->fd, efd, gpa, len, false, NULL);
}

static int plug(struct vm *vm, struct virtio_pci *t, struct virtio_dev *d, const char *what)
{
	const struct virtio_pci_notify_ops notify = {
		.assign = ioeventfd_assign, .deassign = ioeventfd_deassign, .ctx = vm,
	};
	int r = virtio_pci_init(t, d, &vm->gsi, &vm->loop, &notify);

	if (r == 0) {
		r = pci_bus_add_dev(&vm->pci, &t->pci, -1);
		if (r >= 0)
			return 0;
		virtio_pci_destroy(t);
		t->dev = NULL;
	}
	log_error("%s: cannot add its PCI function: %s", what, strerror(-r));
	return r;
}

static int setup_disks(struct vm *vm, struct vm_virtio *v)
{
	const struct vm_config *cfg = vm->cfg;
	/* One request queue per vCPU, as Linux's blk-mq maps them best. */
	uint16_t nq = (uint16_t)(cfg->ncpus < VIRTIO_BLK_MAX_QUEUES ? cfg->ncpus
								    : VIRTIO_BLK_MAX_QUEUES);

	for (unsigned int i = 0; i < cfg->ndisks; i++) {
		const struct vm_disk_config *dc = &cfg->disks[i];
		char serial[VM_CONFIG_SERIAL_MAX + 1];
		int r;

		if (dc->serial[0])
			snprintf(serial, sizeof(serial), "%s", dc->serial);
		else
			snprintf(serial, sizeof(serial), "skiff-disk%u", i);
		r = virtio_blk_init(&v->blk[i], dc->path, dc->readonly, serial, nq, &vm->mem,
				    &vm->loop);
		if (r < 0) {
			log_error("--disk path=%s: %s", dc->path,
				  r == -EINVAL ? "image size is not a multiple of 512 bytes"
					       : strerror(-r));
			return r;
		}
		v->nblk = i + 1;
		r = plug(vm, &v->blk_pci[i], &v->blk[i].dev, "--disk");
		if (r < 0)
			return r;
	}
	return 0;
}

static int tap_set_offload(void *ctx, unsigned int flags)
{
	return net_tap_set_offload(ctx, flags);
}

static int tap_enable_queue(void *ctx, unsigned int pair, bool enable)
{
	return net_tap_enable_queue(ctx, pair, enable);
}

static bool tap_gone(void *ctx)
{
	return net_tap_gone(ctx);
}

static void net_limit(struct virtio_net_limit *to, const struct vm_net_limit *from)
{
	*to = (struct virtio_net_limit){ .bw = from->bw, .bw_burst = from->bw_burst,
					 .pps = from->pps, .pps_burst = from->pps_burst };
}

static bool net_limited(const struct vm_net_limit *l)
{
	return l->bw || l->pps;
}

/* vhost=on: vhost-net or nothing; vhost=off (the default): userspace;
 * auto: vhost-net when /dev/vhost-net takes the queues, else userspace
 * after one line. Rate limits need userspace. v->pairs stays 0 for
 * userspace. */
static int setup_vhost(const struct vm_net_config *nc, struct net_vhost *v, const char *what)
{
	int r;

	memset(v, 0, sizeof(*v));
	if (nc->vhost == VM_NET_VHOST_OFF || net_limited(&nc->rx) || net_limited(&nc->tx))
		return 0;
	r = net_vhost_open(v, nc->queues, nc->vhost == VM_NET_VHOST_ON);
	if (r == 0)
		return 0;
	if (nc->vhost == VM_NET_VHOST_ON) {
		log_error("%s,vhost=on: /dev/vhost-net: %s", what, strerror(-r));
		return r;
	}
	log_error("%s: /dev/vhost-net: %s; using the userspace datapath", what, strerror(-r));
	memset(v, 0, sizeof(*v));
	return 0;
}

/* --net: one virtio-net device per tap, its queue pairs on the tap's
 * queues; the default MAC is derived from the tap name and the index. */
static int setup_nets(struct vm *vm, struct vm_virtio *v)
{
	const struct vm_config *cfg = vm->cfg;

	for (unsigned int i = 0; i < cfg->nnets; i++) {
		const struct vm_net_config *nc = &cfg->nets[i];
		struct net_tap *tap = &v->net_tap[i];
		struct virtio_net_params p = { .pairs = nc->queues, .mtu = nc->mtu };
		char what[64];
		int r;

		snprintf(what, sizeof(what), "--net tap=%s", nc->tap);
		r = net_tap_open(tap, nc->tap, nc->queues, what);
		if (r < 0)
			return r;
		v->nnet = i + 1;
		p.name = what;
		p.fds = tap->fds;
		p.csum_tso = tap->offload_tso;
		p.ufo = tap->offload_ufo;
		p.backend = (struct virtio_net_backend){ .set_offload = tap_set_offload,
							 .enable_queue = tap_enable_queue,
							 .ctx = tap };
		/* Without the watch a deleted tap goes unnoticed under vhost-net:
		 * say so once, and run anyway. */
		r = net_tap_watch(tap);
		if (r == 0) {
			p.backend.host_gone = tap_gone;
			p.backend.gone_fd = tap->watch_fd;
		} else {
			log_error("%s: cannot watch the tap's link (%s): its deletion may go "
				  "unnoticed", what, strerror(-r));
		}
		net_limit(&p.rx, &nc->rx);
		net_limit(&p.tx, &nc->tx);
		if (nc->mac_given)
			memcpy(p.mac, nc->mac, 6);
		else
			/* Named VMs keep their MACs whatever taps they get
			 * (as a DHCP server or a switch expects across
			 * restarts); unnamed ones follow the tap. */
			virtio_net_default_mac(cfg->name ? cfg->name : nc->tap, i, p.mac);
		r = setup_vhost(nc, &v->net_vhost[i], what);
		if (r < 0) {
			net_tap_close(tap);
			v->nnet = i;
			return r;
		}
		p.vhost_features = v->net_vhost[i].features;
		r = virtio_net_init(&v->net[i], &p, &vm->mem, &vm->loop);
		if (r < 0) {
			log_error("%s: %s", what, strerror(-r));
			net_vhost_close(&v->net_vhost[i]);
			net_tap_close(tap);
			v->nnet = i;
			return r;
		}
		if (v->net_vhost[i].pairs)
			net_vhost_attach(&v->net_vhost[i], &v->net[i]);
		r = plug(vm, &v->net_pci[i], &v->net[i].dev, "--net");
		if (r < 0)
			return r;
	}
	return 0;
}

/* --vsock: the userspace backend (Unix sockets) or vhost-vsock. */
static int setup_vsock(struct vm *vm, struct vm_virtio *v)
{
	const struct vm_vsock_config *vc = &vm->cfg->vsock;
	struct rlimit rl;
	int r;

	/* One host socket per connection, and the guest may hold thousands:
	 * allow what the hard limit allows. */
	if (!vc->vhost && getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (vc->vhost)
		r = virtio_vsock_init_vhost(&v->vsock, vc->cid, &vm->mem, &vm->loop);
	else
		r = virtio_vsock_init(&v->vsock, vc->cid, vc->path, &vm->mem, &vm->loop);
	if (r < 0) {
		if (vc->vhost && r == -EADDRINUSE)
			log_error("--vsock cid=%llu: the CID is in use by another VM",
				  (unsigned long long)vc->cid);
		else if (vc->vhost)
			log_error("--vsock vhost=on: /dev/vhost-vsock: %s", strerror(-r));
		else if (r == -EADDRINUSE)
			log_error("--vsock socket=%s: a live listener already has it (another VM?)",
				  vc->path);
		else
			log_error("--vsock socket=%s: %s", vc->path, strerror(-r));
		return r;
	}
	v->has_vsock = true;
	return plug(vm, &v->vsock_pci, &v->vsock.dev, "--vsock");
}

int vm_virtio_setup(struct vm *vm, struct vm_virtio *v)
{
	int r = setup_disks(vm, v);

	if (r == 0)
		r = setup_nets(vm, v);
	if (r == 0 && vm->cfg->vsock.enabled)
		r = setup_vsock(vm, v);

	if (r == 0 && vm->cfg->rng) {
		r = virtio_rng_create(&vm->mem, &vm->loop, &v->rng);
		if (r < 0)
			log_error("--rng: %s", strerror(-r));
		else
			r = plug(vm, &v->rng_pci, &v->rng->dev, "--rng");
	}
	if (r == 0 && vm->cfg->console == VM_CONSOLE_VIRTIO) {
		r = virtio_console_init(&v->console, STDOUT_FILENO, &vm->mem, &vm->loop);
		if (r < 0)
			log_error("--console virtio: %s", strerror(-r));
		else
			v->has_console = true;
		if (r == 0)
			r = plug(vm, &v->console_pci, &v->console.dev, "--console virtio");
	}
	return r;
}

void vm_virtio_teardown(struct vm_virtio *v)
{
	for (unsigned int i = 0; i < v->nblk; i++) {
		if (v->blk_pci[i].dev)
			virtio_pci_destroy(&v->blk_pci[i]);
		virtio_blk_destroy(&v->blk[i]);
	}
	if (v->rng) {
		if (v->rng_pci.dev)
			virtio_pci_destroy(&v->rng_pci);
		virtio_rng_destroy(v->rng);
	}
	for (unsigned int i = 0; i < v->nnet; i++) {
		if (v->net_pci[i].dev)
			virtio_pci_destroy(&v->net_pci[i]);
		virtio_net_destroy(&v->net[i]);
		net_vhost_close(&v->net_vhost[i]);
		net_tap_close(&v->net_tap[i]);
	}
	if (v->has_vsock) {
		virtio_vsock_stop(&v->vsock); /* vhost first: the transport owns its kicks */
		if (v->vsock_pci.dev)
			virtio_pci_destroy(&v->vsock_pci);
		virtio_vsock_destroy(&v->vsock);
	}
	if (v->has_console) {
		if (v->console_pci.dev)
			virtio_pci_destroy(&v->console_pci);
		virtio_console_destroy(&v->console);
	}
}
