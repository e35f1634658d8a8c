/* pci: bus 0, its host bridge and configuration mechanism #1 (PCI Local
 * Bus 3.0, 3.2.2.3.2), and firmware-style BAR assignment. */
#include "bus/pci.h"

#include <errno.h>
#include <string.h>

/* CONFIG_ADDRESS (3.2.2.3.2, figure 3-2): bit 31 enable, 30:24 reserved,
 * 23:16 bus, 15:11 device, 10:8 function, 7:2 register, 1:0 zero. Bits
 * 27:24 are kept too: AMD's extended configuration space puts register
 * bits 11:8 there (Linux PCI_CONF1_EXT_ADDRESS); they select registers
 * beyond 256, which read as all-ones here. */
#define CA_ENABLE    0x80000000u
#define CA_KEPT      0x8ffffffcu
#define CA_EXT(a)    (((a) >> 24) & 0xfu)
#define CA_BUS(a)    (((a) >> 16) & 0xffu)
#define CA_SLOT(a)   (((a) >> 11) & 0x1fu)
#define CA_FUNC(a)   (((a) >> 8) & 0x7u)
#define CA_REG(a)    ((a) & 0xfcu)

int pci_bus_init(struct pci_bus *bus, struct io_bus *pio, struct io_bus *mmio,
		 uint64_t mmio_base, uint64_t mmio_size, uint64_t io_base, uint64_t io_size)
{
	static const struct pci_dev_ids host_ids = {
		.vendor = PCI_HOST_VENDOR_ID,
		.device = PCI_HOST_DEVICE_ID,
		.class_code = PCI_HOST_CLASS,
		.subsystem_vendor = PCI_HOST_VENDOR_ID,
		.subsystem = PCI_HOST_DEVICE_ID,
	};
	int r;

	if (!pio || !mmio || mmio_base + mmio_size < mmio_base ||
	    io_base + io_size < io_base || io_base + io_size > 0x10000)
		return -EINVAL;
	memset(bus, 0, sizeof(*bus));
	r = pthread_mutex_init(&bus->lock, NULL);
	if (r)
		return -r;
	bus->pio = pio;
	bus->mmio = mmio;
	bus->mmio_next = mmio_base;
	bus->mmio_end = mmio_base + mmio_size;
	bus->io_next = io_base;
	bus->io_end = io_base + io_size;
	pci_dev_init(&bus->host, &host_ids);
	bus->host.bus = bus;
	bus->slots[0] = &bus->host;
	return 0;
}

static void unmap_all(struct pci_dev *d)
{
	uint32_t cmd = pci_dev_cfg_get(d, PCI_COMMAND, 2);

	pci_dev_cfg_set(d, PCI_COMMAND, cmd & ~(uint32_t)(PCI_COMMAND_IO | PCI_COMMAND_MEMORY), 2);
	pci_dev_sync_bars(d);
}

void pci_bus_destroy(struct pci_bus *bus)
{
	pthread_mutex_lock(&bus->lock);
	for (unsigned int s = 1; s < PCI_SLOTS; s++) {
		if (bus->slots[s]) {
			unmap_all(bus->slots[s]);
			bus->slots[s]->bus = NULL;
			bus->slots[s] = NULL;
		}
	}
	pthread_mutex_unlock(&bus->lock);
	pthread_mutex_destroy(&bus->lock);
}

/* Give every BAR of d an address, largest first so natural alignment
 * wastes little, from the bus windows. -ENOSPC leaves the windows as they
 * were. */
static int assign_bars(struct pci_bus *bus, struct pci_dev *d, uint32_t *cmd)
{
	uint64_t mmio_next = bus->mmio_next, io_next = bus->io_next;
	bool done[PCI_STD_NUM_BARS] = { false };

	for (;;) {
		struct pci_bar *b;
		uint64_t *next, end, addr;
		unsigned int reg, best = PCI_STD_NUM_BARS;
		uint32_t flags;

		for (unsigned int i = 0; i < PCI_STD_NUM_BARS; i++)
			if (d->bars[i].type != PCI_BAR_NONE && !done[i] &&
			    (best == PCI_STD_NUM_BARS || d->bars[i].size > d->bars[best].size))
				best = i;
		if (best == PCI_STD_NUM_BARS)
			break;
		done[best] = true;
		b = &d->bars[best];
		next = b->type == PCI_BAR_IO ? &io_next : &mmio_next;
		end = b->type == PCI_BAR_IO ? bus->io_end : bus->mmio_end;
		addr = (*next + b->size - 1) & ~(b->size - 1);
		if (addr < *next || addr > end || b->size > end - addr)
			return -ENOSPC;
		*next = addr + b->size;
		reg = PCI_BASE_ADDRESS_0 + 4 * best;
		flags = pci_dev_cfg_get(d, reg, 4) & (uint32_t)(b->type == PCI_BAR_IO ?
			~PCI_BASE_ADDRESS_IO_MASK : ~PCI_BASE_ADDRESS_MEM_MASK);
		pci_dev_cfg_set(d, reg, flags | (uint32_t)addr, 4);
		if (b->type == PCI_BAR_MMIO64)
			pci_dev_cfg_set(d, reg + 4, (uint32_t)(addr >> 32), 4);
		*cmd |= b->type == PCI_BAR_IO ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
	}
	bus->mmio_next = mmio_next;
	bus->io_next = io_next;
	return 0;
}

int pci_bus_add_dev(struct pci_bus *bus, struct pci_dev *d, int slot)
{
	uint32_t cmd = 0;
	int r;

	if (slot == 0 || slot >= (int)PCI_SLOTS || slot < -1 || d->bus)
		return -EINVAL;
	pthread_mutex_lock(&bus->lock);
	if (slot == -1) {
		for (unsigned int s = 1; s < PCI_SLOTS && slot < 0; s++)
			if (!bus->slots[s])
				slot = (int)s;
		r = slot < 0 ? -ENOSPC : 0;
	} else {
		r = bus->slots[slot] ? -EBUSY : 0;
	}
	if (r == 0)
		r = assign_bars(bus, d, &cmd);
	if (r == 0) {
		d->bus = bus;
		d->slot = (unsigned int)slot;
		/* Firmware leaves decoding on for what it assigned (as SeaBIOS
		 * does); Linux keeps the assignment and turns it off only
		 * around BAR sizing. */
		pci_dev_cfg_set(d, PCI_COMMAND, pci_dev_cfg_get(d, PCI_COMMAND, 2) | cmd, 2);
		pci_dev_sync_bars(d);
		for (unsigned int i = 0; i < PCI_STD_NUM_BARS && r == 0; i++)
			if (d->bars[i].type != PCI_BAR_NONE && !d->bars[i].mapped)
				r = -EEXIST;
		if (r < 0) {
			unmap_all(d);
			d->bus = NULL;
		} else {
			bus->slots[slot] = d;
		}
	}
	pthread_mutex_unlock(&bus->lock);
	return r < 0 ? r : slot;
}

/* The function CONFIG_ADDRESS selects, or NULL: disabled, another bus, a
 * register beyond 256, a function other than 0 (every device here is
 * single-function), an empty slot. Those read all-ones, as a master abort
 * does (3.2.2.3.2 and 6.1). */
static struct pci_dev *selected(const struct pci_bus *bus)
{
	uint32_t a = bus->config_address;

	if (!(a & CA_ENABLE) || CA_BUS(a) != 0 || CA_EXT(a) != 0 || CA_FUNC(a) != 0)
		return NULL;
	return bus->slots[CA_SLOT(a)];
}

/* Port offsets: 0..3 CONFIG_ADDRESS, 4..7 CONFIG_DATA. Only a dword access
 * at offset 0 reaches CONFIG_ADDRESS (3.2.2.3.2: other widths pass through
 * as ordinary I/O, such as the PIIX reset register at 0xCF9); CONFIG_DATA
 * takes 1, 2 or 4 bytes anywhere within its dword. */
static bool data_access(uint64_t off, uint32_t len)
{
	return off >= 4 && (len == 1 || len == 2 || len == 4) && off - 4 + len <= 4;
}

static void host_read(void *opaque, uint64_t off, uint8_t *data, uint32_t len)
{
	struct pci_bus *bus = opaque;
	struct pci_dev *d;

	memset(data, 0xff, len);
	pthread_mutex_lock(&bus->lock);
	if (off == 0 && len == 4) {
		for (unsigned int i = 0; i < 4; i++)
			data[i] = (uint8_t)(bus->config_address >> (8 * i));
	} else if (data_access(off, len)) {
		d = selected(bus);
		if (d)
			pci_dev_config_read(d, CA_REG(bus->config_address) + (unsigned int)(off - 4),
					    data, len);
	}
	pthread_mutex_unlock(&bus->lock);
}

static void host_write(void *opaque, uint64_t off, const uint8_t *data, uint32_t len)
{
	struct pci_bus *bus = opaque;
	struct pci_dev *d;

	pthread_mutex_lock(&bus->lock);
	if (off == 0 && len == 4) {
		bus->config_address = ((uint32_t)data[0] | (uint32_t)data[1] << 8 |
				       (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24) & CA_KEPT;
	} else if (data_access(off, len)) {
		d = selected(bus);
		if (d)
			pci_dev_config_write(d, CA_REG(bus->config_address) + (unsigned int)(off - 4),
					     data, len);
	}
	pthread_mutex_unlock(&bus->lock);
}

const struct io_bus_ops pci_host_ops = {
	.read = host_read,
	.write = host_write,
};
