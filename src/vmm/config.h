/* config: one VM's configuration, produced by cli/ (later api/) and consumed by
 * vmm_run(). Plain data: no file is opened and nothing is checked against the
 * host here beyond syntax and ranges. */
#ifndef SKIFF_VMM_CONFIG_H
#define SKIFF_VMM_CONFIG_H

#include <stdint.h>

#define VM_CONFIG_MAX_CPUS 64
#define VM_CONFIG_DEFAULT_MEM (512ULL << 20)
/* The default guest console is the UART; panic=-1 reboots at once so a
 * panicking guest without pvpanic still ends skiff instead of hanging. */
#define VM_CONFIG_DEFAULT_CMDLINE "console=ttyS0 panic=-1 quiet"
#define VM_CONFIG_VIRTIO_CONSOLE_CMDLINE "console=hvc0 panic=-1 quiet"

#define VM_CONFIG_MAX_DISKS 16
#define VM_CONFIG_SERIAL_MAX 20 /* VIRTIO_BLK_ID_BYTES */

struct vm_disk_config {
	char path[4096];           /* raw image (PATH_MAX) */
	int readonly;
	char serial[VM_CONFIG_SERIAL_MAX + 1]; /* "" = derived from the index */
};

#define VM_CONFIG_MAX_NETS 8
#define VM_CONFIG_NET_MAX_QUEUES 16   /* rx/tx queue pairs per device */
#define VM_CONFIG_IFNAME_MAX 15       /* IFNAMSIZ - 1 */

enum vm_net_vhost {
	VM_NET_VHOST_OFF,          /* userspace datapath (the default, as QEMU's) */
	VM_NET_VHOST_ON,           /* vhost-net or fail */
	VM_NET_VHOST_AUTO,         /* vhost-net, else userspace with one line */
};

/* One direction's rate limit (Firecracker's rate_limiter): bytes/s and
 * packets/s, each with a one-time burst on top; 0 = unlimited. */
struct vm_net_limit {
	uint64_t bw, bw_burst;     /* bytes per second, one-time extra bytes */
	uint64_t pps, pps_burst;   /* frames per second, one-time extra frames */
};

struct vm_net_config {
	char tap[VM_CONFIG_IFNAME_MAX + 1];
	uint8_t mac[6];
	int mac_given;             /* else derived from tap name and index */
	unsigned int queues;       /* queue pairs, 1..VM_CONFIG_NET_MAX_QUEUES, <= ncpus */
	enum vm_net_vhost vhost;
	unsigned int mtu;          /* 0: not offered (the guest uses 1500) */
	struct vm_net_limit rx, tx;
};

/* --vsock cid=N,socket=PATH | cid=N,vhost=on (devices/virtio_vsock.h) */
#define VM_CONFIG_VSOCK_PATH_MAX 95 /* sun_path less "_4294967295" */
struct vm_vsock_config {
	int enabled;
	uint64_t cid;              /* 3..0xfffffffe */
	char path[VM_CONFIG_VSOCK_PATH_MAX + 1]; /* userspace backend: socket prefix */
	int vhost;                 /* vhost=on: the kernel's vhost-vsock */
};

enum vm_console {
	VM_CONSOLE_SERIAL,         /* 16550A on COM1: ttyS0 */
	VM_CONSOLE_VIRTIO,         /* virtio-console: hvc0 */
};

/* --name: 1 to VM_CONFIG_NAME_MAX characters from [A-Za-z0-9._-], as
 * Firecracker's instance id allows (plus '.' and '_'). */
#define VM_CONFIG_NAME_MAX 64

struct vm_config {
	const char *name;          /* --name; NULL: none */
	const char *kernel_path;
	const char *initrd_path;   /* NULL: none */
	const char *cmdline;
	unsigned int ncpus;        /* 1..VM_CONFIG_MAX_CPUS */
	uint64_t mem_size;         /* bytes, multiple of 4 KiB */
	struct vm_disk_config disks[VM_CONFIG_MAX_DISKS];
	unsigned int ndisks;
	enum vm_console console;
	struct vm_net_config nets[VM_CONFIG_MAX_NETS];
	unsigned int nnets;
	int rng;                   /* virtio-rng present */
	struct vm_vsock_config vsock;
	int cmdline_given;         /* --cmdline was passed (else the default follows --console) */
};

#endif
