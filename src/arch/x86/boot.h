/* boot: the Linux x86 boot protocol (Documentation/arch/x86/boot.rst).
 * Parses a bzImage, places kernel, command line and initrd in guest memory
 * and fills the zero page (struct boot_params) with the e820 map.
 * The pure parts (parse, e820, initrd placement) are separate for tests. */
#ifndef SKIFF_ARCH_X86_BOOT_H
#define SKIFF_ARCH_X86_BOOT_H

#include <stddef.h>
#include <stdint.h>
#include <asm/bootparam.h>
#include <asm/e820.h>

#include "mem/guest_mem.h"

struct bzimage_info {
	const struct setup_header *hdr; /* inside the image buffer */
	size_t setup_size;               /* bytes of real-mode setup code */
	size_t kernel_offset;            /* protected-mode kernel in the file */
	size_t kernel_size;
	uint64_t initrd_addr_max;        /* highest byte an initrd may use */
	uint32_t cmdline_size;           /* max command line length, no NUL */
};

/* Check that buf is a bzImage with the 64-bit entry (protocol >= 2.12 with
 * XLF_KERNEL_64) and describe it. -ENOEXEC with *why set to a short reason. */
int bzimage_parse(const uint8_t *buf, size_t len, struct bzimage_info *info, const char **why);

/* Build the e820 map for ram_size bytes of RAM laid out by guest_mem around
 * the hole. Returns the number of entries written (<= max), or -ENOSPC. */
int boot_e820_build(uint64_t ram_size, uint64_t hole_start, uint64_t hole_end,
		    struct boot_e820_entry *e820, unsigned int max);

/* Where an initrd of size bytes goes: page-aligned, as high as possible
 * below both the end of low RAM and initrd_addr_max, above the kernel's
 * end. 0 and *gpa set, or -ENOSPC when it cannot fit. */
int boot_initrd_place(uint64_t size, uint64_t low_ram_end, uint64_t initrd_addr_max,
		      uint64_t kernel_end, uint64_t *gpa);

/* Put a reset stub at the x86 reset vector (physical 0xffff0, F000:FFF0)
 * that writes the ACPI reset register. skiff has no BIOS, yet Linux's
 * "BIOS" reboot path (its fallback on hardware-reduced ACPI without EFI)
 * jumps there in real mode; with the stub that reboot ends skiff cleanly
 * instead of running zeroed memory. 0 or -EFAULT. */
int boot_install_reset_stub(const struct guest_mem *mem, uint16_t reset_port,
			    uint8_t reset_value);

struct boot_input {
	const uint8_t *kernel;    /* whole bzImage file */
	size_t kernel_len;
	const uint8_t *initrd;    /* NULL: none */
	size_t initrd_len;
	const char *cmdline;
	uint64_t rsdp_gpa;        /* 0: none */
};

/* Load everything into guest memory and write the zero page at
 * LAYOUT_ZERO_PAGE. Returns 0, -ENOEXEC for a bad image, -E2BIG for a command
 * line longer than the kernel takes, -ENOSPC when the initrd does not fit.
 * *why gets a short reason on failure. *entry is the 64-bit entry point. */
int boot_load_linux(const struct guest_mem *mem, const struct boot_input *in,
		    uint64_t *entry, const char **why);

#endif
