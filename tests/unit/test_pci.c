/* Unit tests: PCI bus 0 through configuration mechanism #1 (0xCF8/0xCFC),
 * as a guest driver would reach it, and the BARs on the io_buses. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "bus/io_bus.h"
#include "bus/pci.h"

struct world {
	struct io_bus pio, mmio;
	struct pci_bus bus;
};

static struct world W;

#define MMIO_BASE 0xc0000000ull
#define MMIO_SIZE 0x3c000000ull
#define IO_BASE   0xc000ull
#define IO_SIZE   0x4000ull

static int setup(void **state)
{
	(void)state;
	assert_int_equal(io_bus_init(&W.pio), 0);
	assert_int_equal(io_bus_init(&W.mmio), 0);
	assert_int_equal(pci_bus_init(&W.bus, &W.pio, &W.mmio, MMIO_BASE, MMIO_SIZE,
				      IO_BASE, IO_SIZE), 0);
	assert_int_equal(io_bus_register(&W.pio, PCI_HOST_PORT, PCI_HOST_PORT_LEN,
					 &pci_host_ops, &W.bus), 0);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	pci_bus_destroy(&W.bus);
	io_bus_destroy(&W.pio);
	io_bus_destroy(&W.mmio);
	return 0;
}

/* Port I/O as the guest does it: little-endian values of 1, 2 or 4 bytes. */
static void outp(uint16_t port, uint32_t v, uint32_t len)
{
	uint8_t d[4];

	for (unsigned int i = 0; i < 4; i++)
		d[i] = (uint8_t)(v >> (8 * i));
	io_bus_write(&W.pio, port, d, len);
}

static uint32_t inp(uint16_t port, uint32_t len)
{
	uint8_t d[4] = { 0 };
	uint32_t v = 0;

	io_bus_read(&W.pio, port, d, len);
	for (unsigned int i = 0; i < len; i++)
		v |= (uint32_t)d[i] << (8 * i);
	return v;
}

static uint32_t addr_of(unsigned int bus, unsigned int slot, unsigned int fn, unsigned int reg)
{
	return 0x80000000u | bus << 16 | slot << 11 | fn << 8 | (reg & 0xfc);
}

static uint32_t cfg_read(unsigned int slot, unsigned int reg, uint32_t len)
{
	outp(0xcf8, addr_of(0, slot, 0, reg), 4);
	return inp((uint16_t)(0xcfc + (reg & 3)), len);
}

static void cfg_write(unsigned int slot, unsigned int reg, uint32_t v, uint32_t len)
{
	outp(0xcf8, addr_of(0, slot, 0, reg), 4);
	outp((uint16_t)(0xcfc + (reg & 3)), v, len);
}

/* A BAR's backing: records the last access. */
struct rec {
	uint64_t off;
	uint32_t len;
	int reads, writes;
	uint8_t fill;
};

static void rec_read(void *o, uint64_t off, uint8_t *data, uint32_t len)
{
	struct rec *r = o;

	r->off = off;
	r->len = len;
	r->reads++;
	memset(data, r->fill, len);
}

static void rec_write(void *o, uint64_t off, const uint8_t *data, uint32_t len)
{
	struct rec *r = o;

	(void)data;
	r->off = off;
	r->len = len;
	r->writes++;
}

static const struct io_bus_ops rec_ops = { rec_read, rec_write };

static const struct pci_dev_ids test_ids = {
	.vendor = 0x1af4, .device = 0x1041, .class_code = 0x020000, .revision = 1,
	.subsystem_vendor = 0x1af4, .subsystem = 0x0001,
};

struct moves {
	unsigned int n;
	unsigned int bar[16];
	uint64_t addr[16];
	bool mapped[16];
};

static void bar_moved(struct pci_dev *d, void *opaque, unsigned int bar, uint64_t addr, bool mapped)
{
	struct moves *m = opaque;

	(void)d;
	if (m->n < 16) {
		m->bar[m->n] = bar;
		m->addr[m->n] = addr;
		m->mapped[m->n] = mapped;
	}
	m->n++;
}

static const struct pci_dev_ops moved_ops = { .bar_moved = bar_moved };

/* The device most tests use: BAR0 MMIO32 4K, BAR1 I/O 32, BAR2-3 MMIO64
 * 16K, BAR4 prefetchable MMIO32 64K. */
static struct pci_dev dev;
static struct rec r0, r1, r2, r4;
static struct moves moves;

static int add_test_dev(void)
{
	memset(&moves, 0, sizeof(moves));
	memset(&r0, 0, sizeof(r0));
	r0.fill = 0xa0;
	r1 = r0; r1.fill = 0xa1;
	r2 = r0; r2.fill = 0xa2;
	r4 = r0; r4.fill = 0xa4;
	pci_dev_init(&dev, &test_ids);
	pci_dev_set_ops(&dev, &moved_ops, &moves);
	assert_int_equal(pci_dev_add_bar(&dev, 0, PCI_BAR_MMIO32, 0x1000, false, &rec_ops, &r0), 0);
	assert_int_equal(pci_dev_add_bar(&dev, 1, PCI_BAR_IO, 32, false, &rec_ops, &r1), 0);
	assert_int_equal(pci_dev_add_bar(&dev, 2, PCI_BAR_MMIO64, 0x4000, false, &rec_ops, &r2), 0);
	assert_int_equal(pci_dev_add_bar(&dev, 4, PCI_BAR_MMIO32, 0x10000, true, &rec_ops, &r4), 0);
	return pci_bus_add_dev(&W.bus, &dev, -1);
}

/* Linux's pci_check_type1() and pci_sanity_check() (arch/x86/pci/direct.c). */
static void host_bridge_probe(void **state)
{
	uint32_t saved;

	(void)state;
	outp(0xcfb, 0x01, 1);              /* byte write: not CONFIG_ADDRESS */
	saved = inp(0xcf8, 4);
	outp(0xcf8, 0x80000000u, 4);
	assert_int_equal(inp(0xcf8, 4), 0x80000000u);
	outp(0xcf8, saved, 4);
	assert_int_equal(cfg_read(0, PCI_CLASS_DEVICE, 2), 0x0600);
	assert_int_equal(cfg_read(0, PCI_VENDOR_ID, 2), PCI_HOST_VENDOR_ID);
	assert_int_equal(cfg_read(0, PCI_DEVICE_ID, 2), PCI_HOST_DEVICE_ID);
	assert_int_equal(cfg_read(0, PCI_HEADER_TYPE, 1), 0);
	/* the type 2 probe that follows a failed type 1 must not succeed */
	assert_int_equal(inp(0xcf8, 1), 0xff);
	assert_int_equal(inp(0xcfa, 1), 0xff);
	/* CONFIG_ADDRESS keeps bit 31, the ECS nibble and 23:2 only */
	outp(0xcf8, 0xffffffffu, 4);
	assert_int_equal(inp(0xcf8, 4), 0x8ffffffcu);
	/* byte and word writes to 0xcf8..0xcfb leave it alone */
	outp(0xcf8, 0x80000000u, 4);
	outp(0xcf8, 0x12, 1);
	outp(0xcfa, 0x3456, 2);
	assert_int_equal(inp(0xcf8, 4), 0x80000000u);
}

static void widths_and_offsets(void **state)
{
	uint8_t bytes[64];

	(void)state;
	assert_int_equal(add_test_dev(), 1);
	for (unsigned int reg = 0; reg < 64; reg += 4) {
		uint32_t dw = cfg_read(1, reg, 4);

		for (unsigned int i = 0; i < 4; i++)
			bytes[reg + i] = (uint8_t)(dw >> (8 * i));
	}
	assert_memory_equal(bytes, dev.cfg, 64);
	/* every width at every offset within CONFIG_DATA that fits */
	for (unsigned int reg = 0; reg < 64; reg++) {
		for (uint32_t len = 1; len <= 4; len *= 2) {
			uint32_t want = 0;

			if ((reg & 3) + len > 4)
				continue;
			for (unsigned int i = 0; i < len; i++)
				want |= (uint32_t)bytes[reg + i] << (8 * i);
			assert_int_equal(cfg_read(1, reg, len), want);
		}
	}
	/* accesses that spill out of the CONFIG_DATA dword read all-ones */
	outp(0xcf8, addr_of(0, 1, 0, 0), 4);
	assert_int_equal(inp(0xcff, 2), 0xffff);
	assert_int_equal(inp(0xcfd, 4), 0xffffffffu);
	/* writes of each width land where they should */
	cfg_write(1, PCI_CACHE_LINE_SIZE, 0x10, 1);
	cfg_write(1, PCI_LATENCY_TIMER, 0x40, 1);
	assert_int_equal(cfg_read(1, PCI_CACHE_LINE_SIZE, 2), 0x4010);
	cfg_write(1, PCI_INTERRUPT_LINE, 0x0b, 1);
	assert_int_equal(cfg_read(1, PCI_INTERRUPT_LINE, 1), 0x0b);
	cfg_write(1, PCI_CACHE_LINE_SIZE, 0x2211, 2);
	assert_int_equal(cfg_read(1, PCI_CACHE_LINE_SIZE, 4) & 0xffff, 0x2211);
	/* a word at 0xcfd reaches register bytes 1..2 */
	outp(0xcf8, addr_of(0, 1, 0, PCI_CACHE_LINE_SIZE), 4);
	assert_int_equal(inp(0xcfd, 2), 0x0022);
}

static void absent_functions(void **state)
{
	(void)state;
	assert_int_equal(add_test_dev(), 1);
	assert_int_equal(cfg_read(5, PCI_VENDOR_ID, 4), 0xffffffffu);
	assert_int_equal(cfg_read(31, PCI_VENDOR_ID, 2), 0xffff);
	/* function 1 of a present single-function device */
	outp(0xcf8, addr_of(0, 1, 1, 0), 4);
	assert_int_equal(inp(0xcfc, 4), 0xffffffffu);
	/* other buses */
	outp(0xcf8, addr_of(1, 0, 0, 0), 4);
	assert_int_equal(inp(0xcfc, 4), 0xffffffffu);
	outp(0xcf8, addr_of(255, 1, 0, 0), 4);
	assert_int_equal(inp(0xcfc, 2), 0xffff);
	/* enable bit clear */
	outp(0xcf8, addr_of(0, 1, 0, 0) & ~0x80000000u, 4);
	assert_int_equal(inp(0xcfc, 4), 0xffffffffu);
	/* extended registers (AMD ECS bits) */
	outp(0xcf8, addr_of(0, 1, 0, 0) | 1u << 24, 4);
	assert_int_equal(inp(0xcfc, 4), 0xffffffffu);
	outp(0xcfc, 0, 4); /* ignored, and no crash */
	assert_int_equal(cfg_read(1, PCI_VENDOR_ID, 2), 0x1af4);
	/* writes to absent functions are dropped */
	outp(0xcf8, addr_of(0, 7, 0, PCI_COMMAND), 4);
	outp(0xcfc, 0xffff, 2);
	assert_int_equal(cfg_read(7, PCI_COMMAND, 2), 0xffff);
}

static void read_only_fields(void **state)
{
	uint32_t before[16];

	(void)state;
	assert_int_equal(add_test_dev(), 1);
	for (unsigned int i = 0; i < 16; i++)
		before[i] = cfg_read(1, i * 4, 4);
	cfg_write(1, PCI_VENDOR_ID, 0xffffffffu, 4);
	cfg_write(1, PCI_CLASS_REVISION, 0xffffffffu, 4);
	cfg_write(1, PCI_HEADER_TYPE, 0xff, 1);
	cfg_write(1, PCI_SUBSYSTEM_VENDOR_ID, 0xffffffffu, 4);
	cfg_write(1, PCI_ROM_ADDRESS, 0xffffffffu, 4);
	cfg_write(1, PCI_CAPABILITY_LIST, 0xff, 1);
	assert_int_equal(cfg_read(1, PCI_VENDOR_ID, 4), before[0]);
	assert_int_equal(cfg_read(1, PCI_CLASS_REVISION, 4), before[2]);
	assert_int_equal(cfg_read(1, PCI_HEADER_TYPE, 1), 0);
	assert_int_equal(cfg_read(1, PCI_SUBSYSTEM_VENDOR_ID, 4), before[PCI_SUBSYSTEM_VENDOR_ID / 4]);
	assert_int_equal(cfg_read(1, PCI_ROM_ADDRESS, 4), 0); /* no expansion ROM */
	assert_int_equal(cfg_read(1, PCI_CAPABILITY_LIST, 1), 0);
	/* command: only the implemented bits stick */
	cfg_write(1, PCI_COMMAND, 0xffff, 2);
	assert_int_equal(cfg_read(1, PCI_COMMAND, 2), 0x0547);
	/* status: RO, error bits write-1-to-clear */
	pci_dev_cfg_set(&dev, PCI_STATUS, PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_DETECTED_PARITY |
			PCI_STATUS_66MHZ, 2);
	cfg_write(1, PCI_STATUS, 0, 2);
	assert_int_equal(cfg_read(1, PCI_STATUS, 2),
			 PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_DETECTED_PARITY | PCI_STATUS_66MHZ);
	cfg_write(1, PCI_STATUS, PCI_STATUS_REC_MASTER_ABORT | PCI_STATUS_66MHZ, 2);
	assert_int_equal(cfg_read(1, PCI_STATUS, 2), PCI_STATUS_DETECTED_PARITY | PCI_STATUS_66MHZ);
	/* a dword write to command/status changes command and clears status */
	cfg_write(1, PCI_COMMAND, (uint32_t)PCI_STATUS_DETECTED_PARITY << 16 | PCI_COMMAND_MEMORY, 4);
	assert_int_equal(cfg_read(1, PCI_COMMAND, 4), (uint32_t)PCI_STATUS_66MHZ << 16 | PCI_COMMAND_MEMORY);
}

static void bar_sizing(void **state)
{
	static const uint32_t want[6] = { 0xfffff000u, 0xffffffe1u, 0xffffc004u, 0xffffffffu,
					  0xffff0008u, 0 };
	uint32_t saved[6];
	struct pci_dev big;

	(void)state;
	assert_int_equal(add_test_dev(), 1);
	/* Linux's __pci_read_base(): decoding off, all-ones, read, restore */
	cfg_write(1, PCI_COMMAND, 0, 2);
	for (unsigned int i = 0; i < 6; i++) {
		unsigned int reg = PCI_BASE_ADDRESS_0 + 4 * i;

		saved[i] = cfg_read(1, reg, 4);
		cfg_write(1, reg, 0xffffffffu, 4);
		assert_int_equal(cfg_read(1, reg, 4), want[i]);
		cfg_write(1, reg, saved[i], 4);
		assert_int_equal(cfg_read(1, reg, 4), saved[i]);
	}
	/* the flag bits of the assigned values */
	assert_int_equal(saved[0] & 0xf, 0);
	assert_int_equal(saved[1] & 0x3, 1);
	assert_int_equal(saved[2] & 0xf, 4);
	assert_int_equal(saved[4] & 0xf, 8);
	assert_int_equal(saved[5], 0);
	/* a 64-bit BAR larger than 4 GiB sizes through its upper half */
	pci_dev_init(&big, &test_ids);
	assert_int_equal(pci_dev_add_bar(&big, 0, PCI_BAR_MMIO64, 8ull << 30, true, &rec_ops, &r0), 0);
	pci_dev_config_write(&big, PCI_BASE_ADDRESS_0, (const uint8_t *)"\xff\xff\xff\xff", 4);
	pci_dev_config_write(&big, PCI_BASE_ADDRESS_1, (const uint8_t *)"\xff\xff\xff\xff", 4);
	assert_int_equal(pci_dev_cfg_get(&big, PCI_BASE_ADDRESS_0, 4), 0x0c);
	assert_int_equal(pci_dev_cfg_get(&big, PCI_BASE_ADDRESS_1, 4), 0xfffffffeu);
	/* bad declarations */
	assert_int_equal(pci_dev_add_bar(&big, 1, PCI_BAR_MMIO32, 4096, false, &rec_ops, &r0), -EBUSY);
	assert_int_equal(pci_dev_add_bar(&big, 5, PCI_BAR_MMIO64, 4096, false, &rec_ops, &r0), -EINVAL);
	assert_int_equal(pci_dev_add_bar(&big, 2, PCI_BAR_MMIO32, 3000, false, &rec_ops, &r0), -EINVAL);
	assert_int_equal(pci_dev_add_bar(&big, 2, PCI_BAR_IO, 512, false, &rec_ops, &r0), -EINVAL);
	assert_int_equal(pci_dev_add_bar(&big, 2, PCI_BAR_IO, 2, false, &rec_ops, &r0), -EINVAL);
	assert_int_equal(pci_dev_add_bar(&big, 6, PCI_BAR_IO, 16, false, &rec_ops, &r0), -EINVAL);
	assert_int_equal(pci_dev_add_bar(&dev, 5, PCI_BAR_IO, 16, false, &rec_ops, &r0), -EALREADY);
}

static uint8_t mmio_read8(uint64_t addr)
{
	uint8_t d = 0;

	io_bus_read(&W.mmio, addr, &d, 1);
	return d;
}

static void bars_assigned_and_dispatched(void **state)
{
	uint64_t a0, a2, a4;
	uint16_t a1;
	uint8_t d[4];

	(void)state;
	assert_int_equal(add_test_dev(), 1);
	a0 = cfg_read(1, PCI_BASE_ADDRESS_0, 4) & ~0xfull;
	a1 = (uint16_t)(cfg_read(1, PCI_BASE_ADDRESS_1, 4) & ~0x3u);
	a2 = (cfg_read(1, PCI_BASE_ADDRESS_2, 4) & ~0xfull) |
	     (uint64_t)cfg_read(1, PCI_BASE_ADDRESS_3, 4) << 32;
	a4 = cfg_read(1, PCI_BASE_ADDRESS_4, 4) & ~0xfull;
	/* inside the windows, naturally aligned, decoding on */
	assert_true(a0 >= MMIO_BASE && a0 + 0x1000 <= MMIO_BASE + MMIO_SIZE && a0 % 0x1000 == 0);
	assert_true(a2 >= MMIO_BASE && a2 % 0x4000 == 0);
	assert_true(a4 >= MMIO_BASE && a4 % 0x10000 == 0);
	assert_true(a1 >= IO_BASE && a1 + 32u <= IO_BASE + IO_SIZE && a1 % 32 == 0);
	assert_int_equal(cfg_read(1, PCI_COMMAND, 2) & 3, PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
	assert_int_equal(moves.n, 4);
	/* accesses reach the right BAR with BAR-relative offsets */
	assert_int_equal(mmio_read8(a0 + 0x123), 0xa0);
	assert_int_equal(r0.off, 0x123);
	assert_int_equal(mmio_read8(a2 + 0x3fff), 0xa2);
	assert_int_equal(r2.off, 0x3fff);
	assert_int_equal(mmio_read8(a4), 0xa4);
	assert_int_equal(inp(a1 + 4, 2), 0xa1a1);
	assert_int_equal(r1.off, 4);
	io_bus_write(&W.mmio, a0 + 8, d, 4);
	assert_int_equal(r0.writes, 1);
	assert_int_equal(r0.len, 4);
	/* slot rules */
	assert_int_equal(pci_bus_add_dev(&W.bus, &dev, -1), -EINVAL); /* already on */
	{
		static struct pci_dev d2, d3, d4;

		pci_dev_init(&d2, &test_ids);
		assert_int_equal(pci_bus_add_dev(&W.bus, &d2, 0), -EINVAL);
		assert_int_equal(pci_bus_add_dev(&W.bus, &d2, 32), -EINVAL);
		assert_int_equal(pci_bus_add_dev(&W.bus, &d2, 1), -EBUSY);
		assert_int_equal(pci_bus_add_dev(&W.bus, &d2, 9), 9);
		pci_dev_init(&d3, &test_ids);
		assert_int_equal(pci_bus_add_dev(&W.bus, &d3, -1), 2);
		/* a BAR bigger than what is left of the window */
		pci_dev_init(&d4, &test_ids);
		assert_int_equal(pci_dev_add_bar(&d4, 0, PCI_BAR_MMIO32, 1ull << 30, false,
						 &rec_ops, &r0), 0);
		assert_int_equal(pci_bus_add_dev(&W.bus, &d4, -1), -ENOSPC);
		assert_null(d4.bus);
	}
}

static void bar_moves(void **state)
{
	uint64_t a0, a2;
	uint16_t a1;

	(void)state;
	assert_int_equal(add_test_dev(), 1);
	a0 = dev.bars[0].addr;
	a1 = (uint16_t)dev.bars[1].addr;
	a2 = dev.bars[2].addr;
	moves.n = 0;
	cfg_write(1, PCI_BASE_ADDRESS_0, 0xd0000000u, 4);
	assert_int_equal(moves.n, 2);
	assert_false(moves.mapped[0]);
	assert_int_equal(moves.addr[0], a0);
	assert_true(moves.mapped[1]);
	assert_int_equal(moves.addr[1], 0xd0000000u);
	assert_int_equal(mmio_read8(a0), 0xff);
	assert_int_equal(mmio_read8(0xd0000010), 0xa0);
	assert_int_equal(r0.off, 0x10);
	/* low bits of the address are not writable: it stays aligned */
	cfg_write(1, PCI_BASE_ADDRESS_0, 0xd0000abcu, 4);
	assert_int_equal(cfg_read(1, PCI_BASE_ADDRESS_0, 4), 0xd0000000u);
	/* a 64-bit BAR above 4 GiB, half by half */
	cfg_write(1, PCI_BASE_ADDRESS_3, 0x1, 4);
	cfg_write(1, PCI_BASE_ADDRESS_2, 0x8000, 4);
	assert_int_equal(mmio_read8(a2), 0xff);
	assert_int_equal(mmio_read8(0x100008004ull), 0xa2);
	assert_int_equal(r2.off, 4);
	/* an I/O BAR moved through 0xcfc (a handler on the same bus) */
	cfg_write(1, PCI_BASE_ADDRESS_1, 0xd000, 4);
	assert_int_equal(inp(a1, 1), 0xff);
	assert_int_equal(inp(0xd01f, 1), 0xa1);
	/* an I/O BAR beyond 64K or at 0 decodes nothing */
	cfg_write(1, PCI_BASE_ADDRESS_1, 0x10000, 4);
	assert_false(dev.bars[1].mapped);
	cfg_write(1, PCI_BASE_ADDRESS_1, 0, 4);
	assert_false(dev.bars[1].mapped);
	/* a BAR moved over another range is not mapped, and counted */
	cfg_write(1, PCI_BASE_ADDRESS_1, PCI_HOST_PORT & ~31u, 4);
	assert_false(dev.bars[1].mapped);
	assert_true(W.bus.bad_accesses > 0);
	assert_int_equal(inp(0xcf8, 4) >> 31, 1); /* the host bridge still answers */
	cfg_write(1, PCI_BASE_ADDRESS_1, 0xd000, 4);
	assert_true(dev.bars[1].mapped);
	/* MMIO BAR onto another MMIO BAR */
	cfg_write(1, PCI_BASE_ADDRESS_4, 0xd0000000u, 4);
	assert_false(dev.bars[4].mapped);
	assert_int_equal(mmio_read8(0xd0000000u), 0xa0);
}

static void command_decoding(void **state)
{
	uint64_t a0, a4;
	uint16_t a1;

	(void)state;
	assert_int_equal(add_test_dev(), 1);
	a0 = dev.bars[0].addr;
	a1 = (uint16_t)dev.bars[1].addr;
	a4 = dev.bars[4].addr;
	cfg_write(1, PCI_COMMAND, PCI_COMMAND_IO, 2);
	assert_int_equal(mmio_read8(a0), 0xff);
	assert_int_equal(mmio_read8(a4), 0xff);
	assert_int_equal(inp(a1, 1), 0xa1);
	cfg_write(1, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
	assert_int_equal(inp(a1, 1), 0xff);
	assert_int_equal(mmio_read8(a0), 0xa0);
	assert_int_equal(mmio_read8(a4), 0xa4);
	/* byte writes to the command register work as well */
	cfg_write(1, PCI_COMMAND, 0, 1);
	assert_int_equal(mmio_read8(a0), 0xff);
	cfg_write(1, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER, 1);
	assert_int_equal(mmio_read8(a0), 0xa0);
	assert_int_equal(inp(a1, 1), 0xa1);
	/* teardown unmaps everything */
	pci_bus_destroy(&W.bus);
	assert_int_equal(mmio_read8(a0), 0xff);
	assert_int_equal(inp(a1, 1), 0xff);
	assert_int_equal(pci_bus_init(&W.bus, &W.pio, &W.mmio, MMIO_BASE, MMIO_SIZE,
				      IO_BASE, IO_SIZE), 0);
}

struct hook_log {
	unsigned int writes, reads;
	uint32_t off, len;
};

static void hook_write(struct pci_dev *d, void *opaque, uint32_t off, uint32_t len)
{
	struct hook_log *h = opaque;

	(void)d;
	h->writes++;
	h->off = off;
	h->len = len;
}

static void hook_read(struct pci_dev *d, void *opaque, uint32_t off, uint32_t len)
{
	struct hook_log *h = opaque;

	/* refresh a byte the guest is about to read */
	d->cfg[d->caps[1].off + 3] = (uint8_t)(0x60 + h->reads);
	h->reads++;
	h->off = off;
	h->len = len;
}

static const struct pci_cap_ops hook_ops = { .write = hook_write, .read = hook_read };

static void capability_chain(void **state)
{
	uint8_t body5[5] = { 0, 0, 0, 0x11, 0x22 };
	uint8_t body16[16] = { 0, 0, 0, 0x33 }, wmask16[16] = { 0 };
	uint8_t pm[8] = { PCI_CAP_ID_PM, 0, 0x03, 0x00 };
	unsigned int ids[8], offs[8], n = 0, ptr;
	struct hook_log log = { 0 };
	int o1, o2, o3;

	(void)state;
	pci_dev_init(&dev, &test_ids);
	assert_int_equal(pci_dev_find_cap(&dev, PCI_CAP_ID_VNDR, 0), -ENOENT);
	wmask16[8] = 0xff;
	wmask16[0] = wmask16[1] = 0xff; /* ID and next stay read-only anyway */
	o1 = pci_dev_add_vendor_cap(&dev, body5, sizeof(body5), NULL, NULL, NULL);
	o2 = pci_dev_add_vendor_cap(&dev, body16, sizeof(body16), wmask16, &hook_ops, &log);
	o3 = pci_dev_add_cap(&dev, pm, sizeof(pm), NULL, NULL, NULL);
	assert_int_equal(o1, 0x40);
	assert_int_equal(o2, 0x48);   /* 0x45 rounded up to a dword */
	assert_int_equal(o3, 0x58);
	assert_int_equal(pci_bus_add_dev(&W.bus, &dev, 3), 3);
	assert_int_equal(pci_dev_add_cap(&dev, pm, sizeof(pm), NULL, NULL, NULL), -EALREADY);
	/* walk it as a guest does */
	assert_true(cfg_read(3, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	for (ptr = cfg_read(3, PCI_CAPABILITY_LIST, 1); ptr && n < 8; n++) {
		ids[n] = cfg_read(3, ptr, 1);
		offs[n] = ptr;
		ptr = cfg_read(3, ptr + 1, 1);
	}
	assert_int_equal(n, 3);
	assert_int_equal(ids[0], PCI_CAP_ID_VNDR);
	assert_int_equal(ids[1], PCI_CAP_ID_VNDR);
	assert_int_equal(ids[2], PCI_CAP_ID_PM);
	assert_int_equal(offs[1], 0x48);
	/* the vendor header: length byte, then the given bytes */
	assert_int_equal(cfg_read(3, 0x42, 1), 5);
	assert_int_equal(cfg_read(3, 0x43, 1), 0x11);
	assert_int_equal(cfg_read(3, 0x44, 1), 0x22);
	assert_int_equal(cfg_read(3, 0x4a, 1), 16);
	assert_int_equal(cfg_read(3, 0x5a, 2), 0x0003);
	assert_int_equal(pci_dev_find_cap(&dev, PCI_CAP_ID_VNDR, 0), 0x40);
	assert_int_equal(pci_dev_find_cap(&dev, PCI_CAP_ID_VNDR, 0x40), 0x48);
	assert_int_equal(pci_dev_find_cap(&dev, PCI_CAP_ID_VNDR, 0x48), -ENOENT);
	assert_int_equal(pci_dev_find_cap(&dev, PCI_CAP_ID_PM, 0), 0x58);
	assert_int_equal(pci_dev_find_cap(&dev, PCI_CAP_ID_MSIX, 0), -ENOENT);
	/* write masks: only byte 8 of the second cap; the hook sees its part */
	cfg_write(3, 0x48, 0xffffffffu, 4);
	assert_int_equal(log.writes, 1);
	assert_int_equal(log.off, 0);
	assert_int_equal(log.len, 4);
	assert_int_equal(cfg_read(3, 0x48, 2), 0x5809);
	cfg_write(3, 0x50, 0xabababab, 4);
	assert_int_equal(dev.cfg[0x50], 0xab);
	assert_int_equal(dev.cfg[0x51], 0);
	assert_int_equal(log.off, 8);
	cfg_write(3, 0x44, 0xffffffffu, 4); /* cap 1's tail and padding: no hook */
	assert_int_equal(log.writes, 2);
	assert_int_equal(dev.cfg[0x44], 0x22);
	cfg_write(3, 0x56, 0xffff, 2);      /* cap 2's last two bytes */
	assert_int_equal(log.writes, 3);
	assert_int_equal(log.off, 14);
	assert_int_equal(log.len, 2);
	/* a read hook refreshes bytes before they are copied */
	{
		uint32_t v = cfg_read(3, 0x4b, 1);

		assert_int_equal(v, 0x60 + log.reads - 1);
	}
	assert_int_equal(log.off, 3);
	assert_int_equal(log.len, 1);
	/* a corrupted (looping) chain ends */
	dev.cfg[0x59] = 0x48;
	assert_int_equal(pci_dev_find_cap(&dev, PCI_CAP_ID_MSIX, 0), -ENOENT);
}

static void capability_space_runs_out(void **state)
{
	uint8_t body[60] = { 0 };
	int r = 0;
	unsigned int n = 0;

	(void)state;
	pci_dev_init(&dev, &test_ids);
	while ((r = pci_dev_add_vendor_cap(&dev, body, sizeof(body), NULL, NULL, NULL)) >= 0)
		n++;
	assert_int_equal(r, -ENOSPC);
	assert_int_equal(n, 3); /* 0x40, 0x7c, 0xb8; 0xf4 + 60 > 256 */
	assert_int_equal(pci_dev_add_vendor_cap(&dev, body, 2, NULL, NULL, NULL), -EINVAL);
	assert_int_equal(pci_dev_add_cap(&dev, body, 1, NULL, NULL, NULL), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(host_bridge_probe, setup, teardown),
		cmocka_unit_test_setup_teardown(widths_and_offsets, setup, teardown),
		cmocka_unit_test_setup_teardown(absent_functions, setup, teardown),
		cmocka_unit_test_setup_teardown(read_only_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(bar_sizing, setup, teardown),
		cmocka_unit_test_setup_teardown(bars_assigned_and_dispatched, setup, teardown),
		cmocka_unit_test_setup_teardown(bar_moves, setup, teardown),
		cmocka_unit_test_setup_teardown(command_decoding, setup, teardown),
		cmocka_unit_test_setup_teardown(capability_chain, setup, teardown),
		cmocka_unit_test_setup_teardown(capability_space_runs_out, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
