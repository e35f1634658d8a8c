/* pci: a conventional PCI bus 0 behind a host bridge at 00:00.0, reached
 * through configuration mechanism #1 (PCI Local Bus 3.0, 3.2.2.3.2): the
 * guest writes CONFIG_ADDRESS at port 0xCF8 (32-bit accesses only) and reads
 * or writes CONFIG_DATA at 0xCFC..0xCFF (1, 2 or 4 bytes within the dword).
 *
 * A device is a struct pci_dev: 256 bytes of configuration space with a
 * write mask per byte, up to six BARs each backed by its own io_bus_ops,
 * and a capability list. The transport that owns it (virtio-pci) builds it
 * before the guest runs:
 *
 *	pci_dev_init(&t->pci, &ids);
 *	pci_dev_add_bar(&t->pci, 0, PCI_BAR_MMIO64, 0x4000, false, &bar_ops, t);
 *	off = pci_dev_add_vendor_cap(&t->pci, &cap, sizeof(cap), NULL, NULL, NULL);
 *	msix_init(&t->msix, &t->pci, gsi, nvec, 0, 0x2000, 0x3000);   (msix.h)
 *	slot = pci_bus_add_dev(&vm->pci, &t->pci, -1);
 *
 * pci_bus_add_dev() assigns each BAR an address from the bus's windows, as
 * firmware would, turns decoding on and puts the BARs on the io_buses. From
 * then on the guest owns them: writing a BAR moves its range, clearing the
 * command register's Memory or I/O Space bit removes the ranges of that
 * kind (3.0 6.2.2, 6.2.5.1). BAR handlers get offsets from the BAR start.
 *
 * Threads: every configuration access (and every callback it makes: cap
 * hooks, bar_moved) runs under the bus's lock, from vCPU threads. BAR
 * handlers run on vCPU threads without that lock (io_bus.h). Guest values
 * are never trusted: odd widths, offsets and addresses read all-ones or
 * are ignored. */
#ifndef SKIFF_BUS_PCI_H
#define SKIFF_BUS_PCI_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <linux/pci_regs.h>

#include "bus/io_bus.h"

#define PCI_SLOTS        32u  /* devices on bus 0; slot 0 is the host bridge */
#define PCI_CFG_SIZE     PCI_CFG_SPACE_SIZE /* 256: conventional config space */
#define PCI_MAX_CAPS     16u
#define PCI_CAP_START    0x40u /* first byte after the type 0 header */

/* The host bridge: Red Hat's "QEMU PCIe host bridge" IDs, which Linux
 * drives with no quirks; class 06/00/00 (host bridge), which Linux's
 * pci_sanity_check() looks for before trusting mechanism #1. */
#define PCI_HOST_VENDOR_ID 0x1b36u
#define PCI_HOST_DEVICE_ID 0x0008u
#define PCI_HOST_CLASS     0x060000u
#define PCI_HOST_PORT      0xcf8u /* CONFIG_ADDRESS; CONFIG_DATA at +4 */
#define PCI_HOST_PORT_LEN  8u

enum pci_bar_type {
	PCI_BAR_NONE,
	PCI_BAR_MMIO32,
	PCI_BAR_MMIO64, /* takes this BAR register and the next one */
	PCI_BAR_IO,
};

struct pci_bar {
	enum pci_bar_type type;   /* NONE also for the upper half of a 64-bit BAR */
	bool upper_half;          /* register taken by the 64-bit BAR below it */
	bool prefetch;
	uint64_t size;            /* power of two */
	const struct io_bus_ops *ops;
	void *opaque;
	uint64_t addr;            /* what the guest programmed (flags stripped) */
	bool mapped;              /* on the io_bus at mapped_addr */
	uint64_t mapped_addr;
};

struct pci_dev;

/* Hooks of a capability; both optional. off is relative to the
 * capability's first byte, [off, off+len) is within it. */
struct pci_cap_ops {
	/* A guest write landed (already merged under the cap's write mask). */
	void (*write)(struct pci_dev *d, void *opaque, uint32_t off, uint32_t len);
	/* A guest read is about to copy these bytes: refresh them in d->cfg. */
	void (*read)(struct pci_dev *d, void *opaque, uint32_t off, uint32_t len);
};

struct pci_cap {
	uint8_t off, len;
	const struct pci_cap_ops *ops;
	void *opaque;
};

/* Hooks of a device; all optional. */
struct pci_dev_ops {
	/* BAR bar (its lower register for 64-bit) went onto the io_bus at addr
	 * (mapped) or off it from addr (!mapped): the place to move
	 * ioeventfds. A move is an unmap then a map. */
	void (*bar_moved)(struct pci_dev *d, void *opaque, unsigned int bar,
			  uint64_t addr, bool mapped);
};

struct pci_dev_ids {
	uint16_t vendor, device;
	uint32_t class_code;      /* 24 bits: base class, subclass, prog-if */
	uint8_t revision;
	uint16_t subsystem_vendor, subsystem;
};

struct pci_bus;

struct pci_dev {
	uint8_t cfg[PCI_CFG_SIZE];   /* little-endian, as the guest sees it */
	uint8_t wmask[PCI_CFG_SIZE]; /* bits a guest write sets */
	uint8_t w1c[PCI_CFG_SIZE];   /* bits a guest write of 1 clears */
	struct pci_bar bars[PCI_STD_NUM_BARS];
	struct pci_cap caps[PCI_MAX_CAPS];
	unsigned int ncaps;
	unsigned int cap_free;       /* first free byte for the next capability */
	const struct pci_dev_ops *ops;
	void *opaque;
	struct pci_bus *bus;         /* set by pci_bus_add_dev() */
	unsigned int slot;
};

/* Bus 0 and its host bridge. */
struct pci_bus {
	pthread_mutex_t lock;        /* config space of every device, config_address */
	uint32_t config_address;     /* CONFIG_ADDRESS as last written */
	struct pci_dev host;         /* 00:00.0 */
	struct pci_dev *slots[PCI_SLOTS];
	struct io_bus *pio, *mmio;
	/* Windows BARs are assigned from (bump allocation, natural alignment). */
	uint64_t mmio_next, mmio_end;
	uint64_t io_next, io_end;
	atomic_ulong bad_accesses;   /* odd widths/offsets, BARs that could not map */
};

/* ---- devices ---- */

/* Reset d to a header-type-0 function with these IDs, no BARs, no caps,
 * command 0. Read-only: IDs, class, revision, header type, subsystem IDs,
 * status (but its error bits are write-1-to-clear); writable: the command
 * register's I/O, Memory, Bus Master, Parity, SERR# and INTx Disable bits,
 * cache line size, latency timer, interrupt line, and the BARs' address
 * bits. */
void pci_dev_init(struct pci_dev *d, const struct pci_dev_ids *ids);
void pci_dev_set_ops(struct pci_dev *d, const struct pci_dev_ops *ops, void *opaque);

/* Declare BAR bar (0..5) of type and size, served by ops/opaque.
 * size: a power of two, >= 16 for memory (3.0 6.2.5.1) and in 4..256 for
 * I/O; <= 1 GiB for MMIO32, <= 2^40 for MMIO64. A 64-bit BAR also takes
 * register bar + 1. -EINVAL for a bad argument, -EBUSY if the register is
 * taken, -EALREADY once the device is on a bus. */
int pci_dev_add_bar(struct pci_dev *d, unsigned int bar, enum pci_bar_type type,
		    uint64_t size, bool prefetch, const struct io_bus_ops *ops, void *opaque);

/* Append a capability (3.0 6.7): body[0] is its ID, body[1] (the next
 * pointer) is filled in; len >= 2 bytes; wmask (NULL: read-only) says which
 * bits of each byte the guest may write; ops/opaque (may be NULL) get its
 * accesses. Sets Status bit 4 and chains it from PCI_CAPABILITY_LIST.
 * Returns its config-space offset (dword aligned, >= 0x40), -ENOSPC when it
 * does not fit, -EINVAL for len < 2, -EALREADY once on a bus. */
int pci_dev_add_cap(struct pci_dev *d, const void *body, uint8_t len, const uint8_t *wmask,
		    const struct pci_cap_ops *ops, void *opaque);
/* A vendor-specific capability (ID 09h, 3.0 H; the virtio-pci caps): as
 * pci_dev_add_cap() but body[0] and body[2] are set to 09h and len too. */
int pci_dev_add_vendor_cap(struct pci_dev *d, const void *body, uint8_t len,
			   const uint8_t *wmask, const struct pci_cap_ops *ops, void *opaque);
/* Offset of the first capability with id after offset start (0: from the
 * list head), walking the chain as a guest would (bounded, so a loop cannot
 * hang); -ENOENT when there is none. */
int pci_dev_find_cap(const struct pci_dev *d, uint8_t id, unsigned int start);

/* Device-side access to its own config space, bypassing write masks (for
 * setup and cap hooks). off+len <= 256, len 1, 2 or 4; else nothing/0. */
uint32_t pci_dev_cfg_get(const struct pci_dev *d, unsigned int off, unsigned int len);
void pci_dev_cfg_set(struct pci_dev *d, unsigned int off, uint32_t val, unsigned int len);

/* Guest-side access, as through CONFIG_DATA: write masks, W1C, BAR and
 * command side effects, cap hooks. len 1, 2 or 4, off+len <= 256, else
 * reads all-ones and writes are ignored (counted in the bus's
 * bad_accesses). Caller holds the bus lock if d is on a bus. */
void pci_dev_config_read(struct pci_dev *d, unsigned int off, uint8_t *data, unsigned int len);
void pci_dev_config_write(struct pci_dev *d, unsigned int off, const uint8_t *data,
			  unsigned int len);

/* Make d's io_bus ranges match its config space: each BAR is mapped
 * exactly when its kind of decoding is on in the command register and its
 * address is non-zero and fits (I/O below 0x10000, memory without
 * wrapping); a BAR that moved is unmapped and mapped again. A range that
 * cannot be registered (it overlaps another) stays unmapped and is counted.
 * Called by config writes and pci_bus_add_dev(); the bus lock is held. */
void pci_dev_sync_bars(struct pci_dev *d);

/* ---- the bus ---- */

/* Set up bus 0 with the host bridge at slot 0. BARs go on pio (I/O) and
 * mmio (memory), assigned from [mmio_base, mmio_base+mmio_size) and
 * [io_base, io_base+io_size) (I/O ports < 0x10000). 0 or -EINVAL/-errno. */
int pci_bus_init(struct pci_bus *bus, struct io_bus *pio, struct io_bus *mmio,
		 uint64_t mmio_base, uint64_t mmio_size, uint64_t io_base, uint64_t io_size);
/* Unmaps every device's BARs. Call after the vCPUs stopped. */
void pci_bus_destroy(struct pci_bus *bus);

/* Plug d (set up with the pci_dev_* calls) into slot (1..31, or -1 for the
 * lowest free one): assign its BARs from the windows, largest first, turn
 * on I/O and Memory decoding as firmware does, map them. Returns the slot,
 * -EBUSY (slot taken), -EINVAL (bad slot), -ENOSPC (no free slot or window
 * space), or io_bus_register()'s error. Before the vCPUs run. */
int pci_bus_add_dev(struct pci_bus *bus, struct pci_dev *d, int slot);

/* CONFIG_ADDRESS/CONFIG_DATA: register at PCI_HOST_PORT, PCI_HOST_PORT_LEN
 * bytes, on the port-I/O bus, with the struct pci_bus as opaque. */
extern const struct io_bus_ops pci_host_ops;

#endif
