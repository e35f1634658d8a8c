/* msix: MSI-X for one PCI function (PCI Local Bus 3.0, 6.8.2): the
 * capability, the vector table and the Pending Bit Array in a memory BAR,
 * and delivery through KVM.
 *
 * Each vector owns a GSI (gsi_alloc) and an eventfd bound to it (irqfd,
 * api.rst 4.75), set up at msix_init(). When the guest programs a vector's
 * address/data, the GSI's MSI route follows (gsi_set_msi): at once if the
 * vector can fire, else when it next can (Linux programs vectors masked,
 * then unmasks, so one routing commit per vector, not three).
 * msix_signal() writes the eventfd: KVM then injects the message without
 * this thread touching the vCPUs.
 *
 * A vector is masked when its Vector Control mask bit or the capability's
 * Function Mask is set (6.8.2.9): a signal then sets its PBA bit instead,
 * and the message is sent when the vector is unmasked (6.8.2.10). While
 * MSI-X Enable is clear the function must not send MSI-X messages: the
 * caller uses INTx instead (msix_signal() says so).
 *
 * Table and PBA accept naturally aligned 4- and 8-byte accesses (6.8.2:
 * software uses DWORD or aligned QWORD accesses); others are ignored,
 * read all-ones and are counted in guest_errors. Reserved bits read 0.
 *
 * Threads: table/PBA accesses and capability writes come from vCPU
 * threads, msix_signal() from any thread; one mutex per function. Lock
 * order: PCI bus lock -> msix lock -> gsi lock. */
#ifndef SKIFF_BUS_MSIX_H
#define SKIFF_BUS_MSIX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "bus/gsi.h"
#include "bus/io_bus.h"
#include "bus/pci.h"

#define MSIX_MAX_VECTORS 2048u  /* Table Size is 11 bits (6.8.2.3) */
#define MSIX_CAP_LEN     12u

struct msix_vector {
	uint32_t address_lo, address_hi, data, control; /* the table entry */
	int gsi;      /* ours from gsi_alloc(), -1 before */
	int efd;      /* eventfd bound to gsi, -1 before */
	bool dirty;   /* address/data differ from the committed route */
	bool bound;   /* efd is KVM's irqfd for gsi */
	bool external; /* handed out by msix_vector_irqfd() */
};

struct msix {
	pthread_mutex_t lock;
	struct gsi_router *router;
	struct pci_dev *dev;
	uint16_t nvec;
	struct msix_vector *vec;
	uint64_t *pba;               /* nvec bits */
	int cap_off;                 /* of the capability in dev's config space */
	unsigned int bar;
	uint32_t table_off, pba_off; /* within the BAR */
	bool enabled;                /* Message Control: MSI-X Enable */
	bool function_masked;        /* Message Control: Function Mask */
	atomic_ulong guest_errors;   /* odd accesses */
	atomic_ulong route_errors;   /* routes KVM refused (the vector then stays silent) */
};

/* Give d (not yet on a bus) nvec (1..2048) MSI-X vectors with the table at
 * table_off and the PBA at pba_off of its memory BAR bar (declared with
 * pci_dev_add_bar() before). Offsets are 8-byte aligned, the table
 * (16 bytes a vector) and PBA (8 bytes per 64 vectors) lie inside the BAR
 * and do not overlap. Allocates the GSIs and eventfds, binds them, adds the
 * capability. 0, -EINVAL for a bad layout, or -errno (nothing left held).
 * All vectors start masked, MSI-X disabled (6.8.2.3, 6.8.2.9). */
int msix_init(struct msix *m, struct pci_dev *d, struct gsi_router *router, uint16_t nvec,
	      unsigned int bar, uint32_t table_off, uint32_t pba_off);
/* Unbind and release the eventfds and GSIs. After the vCPUs stopped. */
void msix_destroy(struct msix *m);

/* An access at offset off of the BAR: 0 when it falls in the table or PBA
 * (and is handled), -ENOENT otherwise (data untouched), so a transport that
 * shares the BAR with other registers forwards every access here first. */
int msix_read(struct msix *m, uint64_t off, uint8_t *data, uint32_t len);
int msix_write(struct msix *m, uint64_t off, const uint8_t *data, uint32_t len);
/* For a BAR holding only the table and PBA (opaque: struct msix *);
 * other bytes read all-ones. */
extern const struct io_bus_ops msix_bar_ops;

/* Signal vector v (virtio's queue or config vector). 0: sent; 1: masked,
 * its PBA bit set, sent on unmask; -ENODEV: MSI-X is disabled (use INTx);
 * -EINVAL: v >= nvec (VIRTIO_MSI_NO_VECTOR among them); or the route's
 * -errno. Safe from any thread. */
int msix_signal(struct msix *m, uint16_t v);
bool msix_enabled(struct msix *m);
/* The irqfd of vector v, for a datapath outside skiff (vhost) that
 * interrupts the guest by writing it directly; -EINVAL when v >= nvec.
 * From then on the eventfd is bound to KVM only while the vector can fire
 * (MSI-X enabled, vector and function unmasked): a write while it cannot
 * sets the vector's pending bit, seen in the PBA and sent on unmask
 * (6.8.2.10), as for msix_signal(). */
int msix_vector_irqfd(struct msix *m, uint16_t v);

#endif
