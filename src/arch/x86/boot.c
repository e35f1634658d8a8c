#include "arch/x86/boot.h"

#include <errno.h>
#include <string.h>

#include "arch/x86/layout.h"

/* boot.rst, "The real-mode kernel header": the setup header sits at 0x1f1,
 * its length is given by the byte at 0x201 (the jump's offset from 0x202). */
#define SETUP_HDR_OFFSET 0x1f1
#define BOOT_FLAG_MAGIC  0xaa55
#define HDRS_MAGIC       0x53726448u /* "HdrS" */
#define MIN_PROTOCOL     0x020c      /* 2.12: xloadflags, 64-bit entry */
#define ENTRY64_OFFSET   0x200       /* boot.rst, "64-bit Boot Protocol" */
#define PAGE_MASK_4K     0xfffULL

int bzimage_parse(const uint8_t *buf, size_t len, struct bzimage_info *info, const char **why)
{
	const struct setup_header *hdr;
	unsigned int setup_sects;

	if (len < SETUP_HDR_OFFSET + sizeof(*hdr)) {
		*why = len == 0 ? "file is empty" : "file is too short for a bzImage";
		return -ENOEXEC;
	}
	hdr = (const struct setup_header *)(buf + SETUP_HDR_OFFSET);
	if (hdr->boot_flag != BOOT_FLAG_MAGIC || hdr->header != HDRS_MAGIC) {
		*why = "not a bzImage (no boot sector or HdrS signature)";
		return -ENOEXEC;
	}
	if (hdr->version < MIN_PROTOCOL || !(hdr->xloadflags & XLF_KERNEL_64)) {
		*why = "kernel has no 64-bit entry point (boot protocol 2.12+ needed)";
		return -ENOEXEC;
	}
	if (!(hdr->loadflags & LOADED_HIGH)) {
		*why = "zImage kernels (loaded low) are not supported";
		return -ENOEXEC;
	}
	setup_sects = hdr->setup_sects ? hdr->setup_sects : 4; /* boot.rst: 0 means 4 */
	info->hdr = hdr;
	info->setup_size = (size_t)(setup_sects + 1) * 512;
	if (len <= info->setup_size ||
	    (uint64_t)hdr->syssize * 16 > len - info->setup_size) {
		*why = "file is truncated (shorter than its header says)";
		return -ENOEXEC;
	}
	info->kernel_offset = info->setup_size;
	info->kernel_size = len - info->setup_size;
	info->initrd_addr_max = hdr->initrd_addr_max;
	info->cmdline_size = hdr->cmdline_size;
	return 0;
}

static int e820_add(struct boot_e820_entry *e820, unsigned int max, unsigned int *n,
		    uint64_t addr, uint64_t size, uint32_t type)
{
	if (size == 0)
		return 0;
	if (*n == max)
		return -ENOSPC;
	e820[*n] = (struct boot_e820_entry){ .addr = addr, .size = size, .type = type };
	(*n)++;
	return 0;
}

int boot_e820_build(uint64_t ram_size, uint64_t hole_start, uint64_t hole_end,
		    struct boot_e820_entry *e820, unsigned int max)
{
	uint64_t low_end = ram_size < hole_start ? ram_size : hole_start;
	unsigned int n = 0;
	int r;

	/* Conventional memory up to the EBDA, the BIOS area (where the ACPI
	 * tables live) reserved, then RAM from 1 MiB: the PC layout Linux
	 * expects (boot.rst, "Memory layout"). */
	r = e820_add(e820, max, &n, 0, LAYOUT_EBDA, E820_RAM);
	if (!r)
		r = e820_add(e820, max, &n, LAYOUT_BIOS_START,
			     LAYOUT_BIOS_END - LAYOUT_BIOS_START, E820_RESERVED);
	if (!r && low_end > LAYOUT_KERNEL)
		r = e820_add(e820, max, &n, LAYOUT_KERNEL, low_end - LAYOUT_KERNEL, E820_RAM);
	if (!r && ram_size > low_end)
		r = e820_add(e820, max, &n, hole_end, ram_size - low_end, E820_RAM);
	return r < 0 ? r : (int)n;
}

int boot_initrd_place(uint64_t size, uint64_t low_ram_end, uint64_t initrd_addr_max,
		      uint64_t kernel_end, uint64_t *gpa)
{
	/* initrd_addr_max is the address of the last byte allowed. */
	uint64_t limit = initrd_addr_max < low_ram_end - 1 ? initrd_addr_max + 1 : low_ram_end;
	uint64_t addr;

	if (size == 0 || size > limit)
		return -ENOSPC;
	addr = (limit - size) & ~PAGE_MASK_4K;
	if (addr < kernel_end)
		return -ENOSPC;
	*gpa = addr;
	return 0;
}

#define RESET_VECTOR 0xffff0ULL /* SDM vol. 3A 9.1.4 "First Instruction Executed" */

int boot_install_reset_stub(const struct guest_mem *mem, uint16_t reset_port,
			    uint8_t reset_value)
{
	/* mov dx, port; mov al, value; out dx, al; cli; hlt; jmp back to hlt */
	const uint8_t stub[] = {
		0xba, (uint8_t)reset_port, (uint8_t)(reset_port >> 8),
		0xb0, reset_value,
		0xee,
		0xfa, 0xf4, 0xeb, 0xfd,
	};

	return guest_mem_write(mem, RESET_VECTOR, stub, sizeof(stub));
}

static uint64_t low_ram_end(const struct guest_mem *mem)
{
	return mem->regions[0].gpa + mem->regions[0].size;
}

int boot_load_linux(const struct guest_mem *mem, const struct boot_input *in,
		    uint64_t *entry, const char **why)
{
	struct boot_params *bp = guest_mem_ptr(mem, LAYOUT_ZERO_PAGE, sizeof(*bp));
	struct bzimage_info info;
	uint64_t kernel_end, initrd_gpa = 0;
	size_t hdr_len, cmd_len = strlen(in->cmdline);
	int n, r;

	r = bzimage_parse(in->kernel, in->kernel_len, &info, why);
	if (r < 0)
		return r;
	if (!bp) {
		*why = "guest RAM too small for the zero page";
		return -ENOSPC;
	}
	if (cmd_len > info.cmdline_size || cmd_len >= LAYOUT_CMDLINE_MAX) {
		*why = "command line is longer than the kernel accepts";
		return -E2BIG;
	}
	/* The decompressor works in place from the load address and needs
	 * init_size bytes there (boot.rst, "init_size"). */
	kernel_end = LAYOUT_KERNEL + (info.hdr->init_size > info.kernel_size
				      ? info.hdr->init_size : info.kernel_size);
	if (kernel_end > low_ram_end(mem) ||
	    guest_mem_write(mem, LAYOUT_KERNEL, in->kernel + info.kernel_offset,
			    info.kernel_size) < 0) {
		*why = "guest RAM too small for the kernel";
		return -ENOSPC;
	}
	if (in->initrd) {
		r = boot_initrd_place(in->initrd_len, low_ram_end(mem), info.initrd_addr_max,
				      kernel_end, &initrd_gpa);
		if (r == 0)
			r = guest_mem_write(mem, initrd_gpa, in->initrd, in->initrd_len);
		if (r < 0) {
			*why = "initrd does not fit in guest RAM below the kernel's limit";
			return -ENOSPC;
		}
	}
	if (guest_mem_write(mem, LAYOUT_CMDLINE, in->cmdline, cmd_len + 1) < 0) {
		*why = "guest RAM too small for the command line";
		return -ENOSPC;
	}

	memset(bp, 0, sizeof(*bp));
	/* Copy the header as the image has it, as long as its jump says. */
	hdr_len = 0x202 + in->kernel[0x201] - SETUP_HDR_OFFSET;
	if (hdr_len > sizeof(bp->hdr))
		hdr_len = sizeof(bp->hdr);
	memcpy(&bp->hdr, info.hdr, hdr_len);
	bp->hdr.type_of_loader = 0xff; /* "undefined" boot loader */
	bp->hdr.cmd_line_ptr = (uint32_t)LAYOUT_CMDLINE;
	bp->hdr.ramdisk_image = (uint32_t)initrd_gpa;
	bp->hdr.ramdisk_size = (uint32_t)in->initrd_len;
	bp->ext_ramdisk_image = (uint32_t)(initrd_gpa >> 32);
	bp->ext_ramdisk_size = (uint32_t)((uint64_t)in->initrd_len >> 32);
	bp->acpi_rsdp_addr = in->rsdp_gpa;
	n = boot_e820_build(mem->ram_size, LAYOUT_HOLE_START, LAYOUT_HOLE_END,
			    bp->e820_table, E820_MAX_ENTRIES_ZEROPAGE);
	if (n < 0) {
		*why = "e820 map does not fit the zero page";
		return n;
	}
	bp->e820_entries = (uint8_t)n;
	*entry = LAYOUT_KERNEL + ENTRY64_OFFSET;
	return 0;
}
