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
