/* pci_dev: one PCI function's configuration space (PCI Local Bus 3.0, 6.1
 * "Configuration Space Organization", type 0 header) and its BARs. */
#include "bus/pci.h"

#include <errno.h>
#include <string.h>

#include "util/log.h"

/* Command bits a guest may set (3.0 6.2.2): I/O Space, Memory Space, Bus
 * Master, Parity Error Response, SERR# Enable, Interrupt Disable. Special
 * cycles, MWI, VGA snoop and fast back-to-back are hardwired to 0. */
#define CMD_WRITABLE (PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER | \
		      PCI_COMMAND_PARITY | PCI_COMMAND_SERR | PCI_COMMAND_INTX_DISABLE)
/* Status bits that are write-1-to-clear (3.0 6.2.3): the error bits. */
#define STATUS_W1C (PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT | \
		    PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_REC_MASTER_ABORT | \
		    PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY)
#define IO_SPACE_END 0x10000ull

uint32_t pci_dev_cfg_get(const struct pci_dev *d, unsigned int off, unsigned int len)
{
	uint32_t v = 0;

	if ((len != 1 && len != 2 && len != 4) || off > PCI_CFG_SIZE - len)
		return 0;
	for (unsigned int i = 0; i < len; i++)
		v |= (uint32_t)d->cfg[off + i] << (8 * i);
	return v;
}

void pci_dev_cfg_set(struct pci_dev *d, unsigned int off, uint32_t val, unsigned int len)
{
	if ((len != 1 && len != 2 && len != 4) || off > PCI_CFG_SIZE - len)
		return;
	for (unsigned int i = 0; i < len; i++)
		d->cfg[off + i] = (uint8_t)(val >> (8 * i));
}

static void set_wmask(struct pci_dev *d, unsigned int off, uint32_t mask, unsigned int len)
{
	for (unsigned int i = 0; i < len; i++)
		d->wmask[off + i] = (uint8_t)(mask >> (8 * i));
}

void pci_dev_init(struct pci_dev *d, const struct pci_dev_ids *ids)
{
	memset(d, 0, sizeof(*d));
	pci_dev_cfg_set(d, PCI_VENDOR_ID, ids->vendor, 2);
	pci_dev_cfg_set(d, PCI_DEVICE_ID, ids->device, 2);
	pci_dev_cfg_set(d, PCI_REVISION_ID, ids->revision, 1);
	pci_dev_cfg_set(d, PCI_CLASS_DEVICE, (ids->class_code >> 8) & 0xffff, 2);
	pci_dev_cfg_set(d, PCI_CLASS_PROG, ids->class_code & 0xff, 1);
	pci_dev_cfg_set(d, PCI_HEADER_TYPE, PCI_HEADER_TYPE_NORMAL, 1);
	pci_dev_cfg_set(d, PCI_SUBSYSTEM_VENDOR_ID, ids->subsystem_vendor, 2);
	pci_dev_cfg_set(d, PCI_SUBSYSTEM_ID, ids->subsystem, 2);
	set_wmask(d, PCI_COMMAND, CMD_WRITABLE, 2);
	d->w1c[PCI_STATUS] = STATUS_W1C & 0xff;
	d->w1c[PCI_STATUS + 1] = STATUS_W1C >> 8;
	/* Scratch registers software programs (6.2.4); no effect here. */
	d->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	d->wmask[PCI_LATENCY_TIMER] = 0xff;
	d->wmask[PCI_INTERRUPT_LINE] = 0xff;
	d->cap_free = PCI_CAP_START;
}

void pci_dev_set_ops(struct pci_dev *d, const struct pci_dev_ops *ops, void *opaque)
{
	d->ops = ops;
	d->opaque = opaque;
}

static bool is_pow2(uint64_t v)
{
	return v && !(v & (v - 1));
}

int pci_dev_add_bar(struct pci_dev *d, unsigned int bar, enum pci_bar_type type,
		    uint64_t size, bool prefetch, const struct io_bus_ops *ops, void *opaque)
{
	unsigned int reg = PCI_BASE_ADDRESS_0 + 4 * bar;
	struct pci_bar *b;
	uint64_t mask;
	uint32_t flags;

	if (d->bus)
		return -EALREADY;
	if (bar >= PCI_STD_NUM_BARS || !ops || !is_pow2(size))
		return -EINVAL;
	switch (type) {
	case PCI_BAR_MMIO32:
		if (size < 16 || size > (1ull << 30))
			return -EINVAL;
		flags = PCI_BASE_ADDRESS_SPACE_MEMORY | PCI_BASE_ADDRESS_MEM_TYPE_32;
		break;
	case PCI_BAR_MMIO64:
		if (size < 16 || size > (1ull << 40) || bar + 1 >= PCI_STD_NUM_BARS)
			return -EINVAL;
		flags = PCI_BASE_ADDRESS_SPACE_MEMORY | PCI_BASE_ADDRESS_MEM_TYPE_64;
		break;
	case PCI_BAR_IO:
		/* 3.0 6.2.5.1: I/O BARs claim at most 256 bytes. */
		if (size < 4 || size > 256 || prefetch)
			return -EINVAL;
		flags = PCI_BASE_ADDRESS_SPACE_IO;
		break;
	default:
		return -EINVAL;
	}
	b = &d->bars[bar];
	if (b->type != PCI_BAR_NONE || b->upper_half ||
	    (type == PCI_BAR_MMIO64 && (d->bars[bar + 1].type != PCI_BAR_NONE ||
					d->bars[bar + 1].upper_half)))
		return -EBUSY;
	if (prefetch)
		flags |= PCI_BASE_ADDRESS_MEM_PREFETCH;
	*b = (struct pci_bar){ .type = type, .prefetch = prefetch, .size = size,
			       .ops = ops, .opaque = opaque };
	/* The sizing protocol (6.2.5.1) falls out of the write mask: writing
	 * all-ones leaves ~(size-1) plus the read-only flag bits. */
	mask = ~(size - 1);
	pci_dev_cfg_set(d, reg, flags, 4);
	set_wmask(d, reg, (uint32_t)mask & (type == PCI_BAR_IO ? PCI_BASE_ADDRESS_IO_MASK
							      : PCI_BASE_ADDRESS_MEM_MASK), 4);
	if (type == PCI_BAR_MMIO64) {
		d->bars[bar + 1].upper_half = true;
		pci_dev_cfg_set(d, reg + 4, 0, 4);
		set_wmask(d, reg + 4, (uint32_t)(mask >> 32), 4);
	}
	return 0;
}

static uint64_t bar_addr(const struct pci_dev *d, unsigned int bar)
{
	uint32_t lo = pci_dev_cfg_get(d, PCI_BASE_ADDRESS_0 + 4 * bar, 4);

	switch (d->bars[bar].type) {
	case PCI_BAR_IO:
		return lo & PCI_BASE_ADDRESS_IO_MASK;
	case PCI_BAR_MMIO64:
		return (lo & PCI_BASE_ADDRESS_MEM_MASK) |
		       (uint64_t)pci_dev_cfg_get(d, PCI_BASE_ADDRESS_0 + 4 * (bar + 1), 4) << 32;
	default:
		return lo & PCI_BASE_ADDRESS_MEM_MASK;
	}
}

static bool bar_decodable(const struct pci_dev *d, const struct pci_bar *b, uint64_t addr)
{
	uint32_t cmd = pci_dev_cfg_get(d, PCI_COMMAND, 2);

	/* Address 0 is "not assigned" to Linux and to firmware. */
	if (addr == 0 || addr + b->size < addr)
		return false;
	if (b->type == PCI_BAR_IO)
		return (cmd & PCI_COMMAND_IO) && addr + b->size <= IO_SPACE_END;
	return cmd & PCI_COMMAND_MEMORY;
}

void pci_dev_sync_bars(struct pci_dev *d)
{
	if (!d->bus)
		return;
	for (unsigned int i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct pci_bar *b = &d->bars[i];
		struct io_bus *iob = b->type == PCI_BAR_IO ? d->bus->pio : d->bus->mmio;
		uint64_t addr;
		bool want;
		int r;

		if (b->type == PCI_BAR_NONE)
			continue;
		addr = bar_addr(d, i);
		want = bar_decodable(d, b, addr);
		b->addr = addr;
		if (b->mapped && (!want || addr != b->mapped_addr)) {
			io_bus_unregister(iob, b->mapped_addr, b->size);
			b->mapped = false;
			if (d->ops && d->ops->bar_moved)
				d->ops->bar_moved(d, d->opaque, i, b->mapped_addr, false);
		}
		if (!want || b->mapped)
			continue;
		r = io_bus_register(iob, addr, b->size, b->ops, b->opaque);
		if (r < 0) {
			/* The guest put it over another range: it decodes nothing
			 * until moved, as a real conflict would misbehave. */
			atomic_fetch_add_explicit(&d->bus->bad_accesses, 1, memory_order_relaxed);
			log_debug("pci %02x.0: BAR%u at %#llx not mapped: %d", d->slot, i,
				  (unsigned long long)addr, r);
			continue;
		}
		b->mapped = true;
		b->mapped_addr = addr;
		if (d->ops && d->ops->bar_moved)
			d->ops->bar_moved(d, d->opaque, i, addr, true);
	}
}

int pci_dev_add_cap(struct pci_dev *d, const void *body, uint8_t len, const uint8_t *wmask,
		    const struct pci_cap_ops *ops, void *opaque)
{
	unsigned int off = (d->cap_free + 3) & ~3u;
	struct pci_cap *c;

	if (d->bus)
		return -EALREADY;
	if (len < 2 || !body)
		return -EINVAL;
	if (d->ncaps == PCI_MAX_CAPS || off + len > PCI_CFG_SIZE)
		return -ENOSPC;
	memcpy(&d->cfg[off], body, len);
	d->cfg[off + PCI_CAP_LIST_NEXT] = 0;
	if (wmask)
		memcpy(&d->wmask[off], wmask, len);
	/* ID and next pointer are read-only whatever the mask says. */
	d->wmask[off + PCI_CAP_LIST_ID] = 0;
	d->wmask[off + PCI_CAP_LIST_NEXT] = 0;
	if (d->ncaps == 0)
		d->cfg[PCI_CAPABILITY_LIST] = (uint8_t)off;
	else
		d->cfg[d->caps[d->ncaps - 1].off + PCI_CAP_LIST_NEXT] = (uint8_t)off;
	d->cfg[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	c = &d->caps[d->ncaps++];
	*c = (struct pci_cap){ .off = (uint8_t)off, .len = len, .ops = ops, .opaque = opaque };
	d->cap_free = off + len;
	return (int)off;
}

int pci_dev_add_vendor_cap(struct pci_dev *d, const void *body, uint8_t len,
			   const uint8_t *wmask, const struct pci_cap_ops *ops, void *opaque)
{
	uint8_t buf[PCI_CFG_SIZE];

	/* ID, next and length (3.0 appendix H). */
	if (len < 3 || !body)
		return -EINVAL;
	memcpy(buf, body, len);
	buf[PCI_CAP_LIST_ID] = PCI_CAP_ID_VNDR;
	buf[PCI_CAP_FLAGS] = len;
	return pci_dev_add_cap(d, buf, len, wmask, ops, opaque);
}

int pci_dev_find_cap(const struct pci_dev *d, uint8_t id, unsigned int start)
{
	unsigned int ptr;

	if (!(d->cfg[PCI_STATUS] & PCI_STATUS_CAP_LIST))
		return -ENOENT;
	ptr = start ? (start < PCI_CFG_SIZE - 1 ? d->cfg[start + PCI_CAP_LIST_NEXT] : 0)
		    : d->cfg[PCI_CAPABILITY_LIST];
	/* At most (256 - 64) / 4 capabilities fit: more steps mean a loop. */
	for (unsigned int n = 0; n < (PCI_CFG_SIZE - PCI_CAP_START) / 4; n++) {
		ptr &= ~3u; /* 6.7: the bottom two bits are reserved */
		if (ptr < PCI_CAP_START)
			return -ENOENT;
		if (d->cfg[ptr + PCI_CAP_LIST_ID] == id)
			return (int)ptr;
		ptr = d->cfg[ptr + PCI_CAP_LIST_NEXT];
	}
	return -ENOENT;
}

static bool overlaps(unsigned int a, unsigned int alen, unsigned int b, unsigned int blen)
{
	return a < b + blen && b < a + alen;
}

static bool bad_access(struct pci_dev *d, unsigned int off, unsigned int len)
{
	if ((len == 1 || len == 2 || len == 4) && off <= PCI_CFG_SIZE - len)
		return false;
	if (d->bus)
		atomic_fetch_add_explicit(&d->bus->bad_accesses, 1, memory_order_relaxed);
	return true;
}

/* Call each capability hook that [off, off+len) touches, with the part it
 * touches. */
static void cap_hooks(struct pci_dev *d, unsigned int off, unsigned int len, bool write)
{
	for (unsigned int i = 0; i < d->ncaps; i++) {
		const struct pci_cap *c = &d->caps[i];
		unsigned int lo, hi;

		if (!c->ops || !overlaps(off, len, c->off, c->len))
			continue;
		lo = off > c->off ? off : c->off;
		hi = off + len < (unsigned int)c->off + c->len ? off + len : (unsigned int)c->off + c->len;
		if (write && c->ops->write)
			c->ops->write(d, c->opaque, lo - c->off, hi - lo);
		else if (!write && c->ops->read)
			c->ops->read(d, c->opaque, lo - c->off, hi - lo);
	}
}

void pci_dev_config_read(struct pci_dev *d, unsigned int off, uint8_t *data, unsigned int len)
{
	if (bad_access(d, off, len)) {
		memset(data, 0xff, len);
		return;
	}
	cap_hooks(d, off, len, false);
	memcpy(data, &d->cfg[off], len);
}

void pci_dev_config_write(struct pci_dev *d, unsigned int off, const uint8_t *data,
			  unsigned int len)
{
	if (bad_access(d, off, len))
		return;
	for (unsigned int i = 0; i < len; i++) {
		unsigned int o = off + i;
		uint8_t v = (uint8_t)((d->cfg[o] & ~d->wmask[o]) | (data[i] & d->wmask[o]));

		d->cfg[o] = v & (uint8_t)~(data[i] & d->w1c[o]);
	}
	if (overlaps(off, len, PCI_COMMAND, 2) ||
	    overlaps(off, len, PCI_BASE_ADDRESS_0, 4 * PCI_STD_NUM_BARS))
		pci_dev_sync_bars(d);
	cap_hooks(d, off, len, true);
}
