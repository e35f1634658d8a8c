/* Unit tests: bzImage checks, boot_params/e820 construction, initrd placement. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/boot.h"
#include "arch/x86/layout.h"

#define SETUP_SECTS 4
#define PM_SIZE (64 * 1024)
#define IMG_SIZE ((SETUP_SECTS + 1) * 512 + PM_SIZE)

/* A minimal image with the fields boot.rst says a loader reads. */
static uint8_t *fake_bzimage(void)
{
	uint8_t *img = calloc(1, IMG_SIZE);
	struct setup_header *h = (struct setup_header *)(img + 0x1f1);

	h->setup_sects = SETUP_SECTS;
	h->boot_flag = 0xaa55;
	h->header = 0x53726448;
	h->version = 0x020f;
	h->loadflags = LOADED_HIGH;
	h->xloadflags = XLF_KERNEL_64;
	h->syssize = PM_SIZE / 16;
	h->initrd_addr_max = 0x7fffffff;
	h->cmdline_size = 2047;
	h->init_size = 4 * 1024 * 1024;
	img[0x201] = 0x66; /* jump offset: header runs to 0x268 */
	for (size_t i = 0; i < PM_SIZE; i++)
		img[(SETUP_SECTS + 1) * 512 + i] = (uint8_t)(i * 7);
	return img;
}

static void parse_accepts_and_describes(void **state)
{
	uint8_t *img = fake_bzimage();
	struct bzimage_info info;
	const char *why = NULL;

	(void)state;
	assert_int_equal(bzimage_parse(img, IMG_SIZE, &info, &why), 0);
	assert_int_equal(info.kernel_offset, (SETUP_SECTS + 1) * 512);
	assert_int_equal(info.kernel_size, PM_SIZE);
	assert_int_equal(info.cmdline_size, 2047);
	/* setup_sects == 0 means 4 (boot.rst) */
	((struct setup_header *)(img + 0x1f1))->setup_sects = 0;
	assert_int_equal(bzimage_parse(img, IMG_SIZE, &info, &why), 0);
	assert_int_equal(info.kernel_offset, 5 * 512);
	free(img);
}

static void parse_rejects(void **state)
{
	uint8_t *img = fake_bzimage();
	struct setup_header *h = (struct setup_header *)(img + 0x1f1);
	struct bzimage_info info;
	const char *why;

	(void)state;
	why = NULL;
	assert_int_equal(bzimage_parse(img, 0, &info, &why), -ENOEXEC);
	assert_non_null(strstr(why, "empty"));
	assert_int_equal(bzimage_parse(img, 0x200, &info, &why), -ENOEXEC);
	/* truncated: shorter than syssize says */
	why = NULL;
	assert_int_equal(bzimage_parse(img, IMG_SIZE - 1, &info, &why), -ENOEXEC);
	assert_non_null(strstr(why, "truncated"));
	assert_int_equal(bzimage_parse(img, 4096, &info, &why), -ENOEXEC);

	h->header = 0x12345678;
	assert_int_equal(bzimage_parse(img, IMG_SIZE, &info, &why), -ENOEXEC);
	assert_non_null(strstr(why, "not a bzImage"));
	h->header = 0x53726448;
	h->boot_flag = 0;
	assert_int_equal(bzimage_parse(img, IMG_SIZE, &info, &why), -ENOEXEC);
	h->boot_flag = 0xaa55;
	h->version = 0x020b;
	assert_int_equal(bzimage_parse(img, IMG_SIZE, &info, &why), -ENOEXEC);
	assert_non_null(strstr(why, "64-bit"));
	h->version = 0x020f;
	h->xloadflags = 0;
	assert_int_equal(bzimage_parse(img, IMG_SIZE, &info, &why), -ENOEXEC);
	h->xloadflags = XLF_KERNEL_64;
	h->loadflags = 0;
	assert_int_equal(bzimage_parse(img, IMG_SIZE, &info, &why), -ENOEXEC);
	free(img);
}

static uint64_t e820_total(const struct boot_e820_entry *e, int n, uint32_t type)
{
	uint64_t t = 0;

	for (int i = 0; i < n; i++)
		if (e[i].type == type)
			t += e[i].size;
	return t;
}

static void e820_layouts(void **state)
{
	struct boot_e820_entry e[8];
	int n;

	(void)state;
	/* 256 MiB: all below the hole */
	n = boot_e820_build(256ULL << 20, LAYOUT_HOLE_START, LAYOUT_HOLE_END, e, 8);
	assert_int_equal(n, 3);
	assert_int_equal(e[0].addr, 0);
	assert_int_equal(e[0].size, LAYOUT_EBDA);
	assert_int_equal(e[1].type, E820_RESERVED);
	assert_int_equal(e[2].addr, LAYOUT_KERNEL);
	assert_int_equal(e[2].addr + e[2].size, 256ULL << 20);
	/* 6 GiB: 3 GiB below the hole, 3 GiB from 4 GiB */
	n = boot_e820_build(6ULL << 30, LAYOUT_HOLE_START, LAYOUT_HOLE_END, e, 8);
	assert_int_equal(n, 4);
	assert_int_equal(e[3].addr, 4ULL << 30);
	assert_int_equal(e[3].size, 3ULL << 30);
	assert_int_equal(e820_total(e, n, E820_RAM), (6ULL << 30) - (LAYOUT_KERNEL - LAYOUT_EBDA));
	/* entries are sorted and do not overlap */
	for (int i = 1; i < n; i++)
		assert_true(e[i - 1].addr + e[i - 1].size <= e[i].addr);
	/* too small an array */
	assert_int_equal(boot_e820_build(6ULL << 30, LAYOUT_HOLE_START, LAYOUT_HOLE_END, e, 3),
			 -ENOSPC);
}

static void initrd_placement(void **state)
{
	uint64_t gpa = 0;

	(void)state;
	/* highest page-aligned spot below RAM end */
	assert_int_equal(boot_initrd_place(10000, 256ULL << 20, 0x7fffffff, 0x500000, &gpa), 0);
	assert_int_equal(gpa, ((256ULL << 20) - 10000) & ~0xfffULL);
	assert_true(gpa + 10000 <= 256ULL << 20);
	/* initrd_addr_max (last allowed byte) below RAM end wins */
	assert_int_equal(boot_initrd_place(4096, 3ULL << 30, 0x37ffffff, 0x500000, &gpa), 0);
	assert_int_equal(gpa, 0x38000000 - 4096);
	/* does not fit above the kernel */
	assert_int_equal(boot_initrd_place(200ULL << 20, 256ULL << 20, 0x7fffffff, 100ULL << 20,
					   &gpa), -ENOSPC);
	assert_int_equal(boot_initrd_place(0, 256ULL << 20, 0x7fffffff, 0, &gpa), -ENOSPC);
	assert_int_equal(boot_initrd_place(1ULL << 40, 256ULL << 20, 0x7fffffff, 0, &gpa), -ENOSPC);
}

static void load_fills_zero_page(void **state)
{
	uint8_t *img = fake_bzimage();
	static const uint8_t initrd[5000] = { 1, 2, 3 };
	struct guest_mem mem;
	struct boot_input in = {
		.kernel = img, .kernel_len = IMG_SIZE, .initrd = initrd,
		.initrd_len = sizeof(initrd), .cmdline = "console=ttyS0 quiet", .rsdp_gpa = 0xe0000,
	};
	struct boot_params *bp;
	const char *why = NULL;
	uint64_t entry = 0;

	(void)state;
	assert_int_equal(guest_mem_init(&mem, 64ULL << 20, LAYOUT_HOLE_START, LAYOUT_HOLE_END), 0);
	assert_int_equal(boot_load_linux(&mem, &in, &entry, &why), 0);
	assert_int_equal(entry, LAYOUT_KERNEL + 0x200);
	bp = guest_mem_ptr(&mem, LAYOUT_ZERO_PAGE, sizeof(*bp));
	assert_int_equal(bp->hdr.header, 0x53726448);
	assert_int_equal(bp->hdr.type_of_loader, 0xff);
	assert_int_equal(bp->hdr.cmd_line_ptr, LAYOUT_CMDLINE);
	assert_string_equal((char *)guest_mem_ptr(&mem, LAYOUT_CMDLINE, 1), "console=ttyS0 quiet");
	assert_int_equal(bp->hdr.ramdisk_size, sizeof(initrd));
	assert_int_equal(bp->hdr.ramdisk_image % 4096, 0);
	assert_true(bp->hdr.ramdisk_image >= LAYOUT_KERNEL + 4 * 1024 * 1024);
	assert_memory_equal(guest_mem_ptr(&mem, bp->hdr.ramdisk_image, sizeof(initrd)), initrd,
			    sizeof(initrd));
	assert_memory_equal(guest_mem_ptr(&mem, LAYOUT_KERNEL, PM_SIZE), img + 5 * 512, PM_SIZE);
	assert_int_equal(bp->acpi_rsdp_addr, 0xe0000);
	assert_int_equal(bp->e820_entries, 3);

	/* command line longer than cmdline_size */
	char longcmd[3000];
	memset(longcmd, 'a', sizeof(longcmd) - 1);
	longcmd[sizeof(longcmd) - 1] = 0;
	in.cmdline = longcmd;
	assert_int_equal(boot_load_linux(&mem, &in, &entry, &why), -E2BIG);
	in.cmdline = "x";
	/* initrd larger than RAM */
	in.initrd_len = 80ULL << 20;
	assert_int_equal(boot_load_linux(&mem, &in, &entry, &why), -ENOSPC);
	guest_mem_destroy(&mem);
	/* kernel's init_size larger than RAM */
	assert_int_equal(guest_mem_init(&mem, 4ULL << 20, LAYOUT_HOLE_START, LAYOUT_HOLE_END), 0);
	in.initrd = NULL;
	in.initrd_len = 0;
	assert_int_equal(boot_load_linux(&mem, &in, &entry, &why), -ENOSPC);
	guest_mem_destroy(&mem);
	free(img);
}

static void reset_stub_writes_reset_register(void **state)
{
	struct guest_mem mem;
	const uint8_t *p;

	(void)state;
	assert_int_equal(guest_mem_init(&mem, 16ULL << 20, LAYOUT_HOLE_START, LAYOUT_HOLE_END), 0);
	assert_int_equal(boot_install_reset_stub(&mem, 0x602, 0x1), 0);
	p = guest_mem_ptr(&mem, 0xffff0, 16);
	/* mov dx, 0x602 ; mov al, 1 ; out dx, al */
	assert_memory_equal(p, "\xba\x02\x06\xb0\x01\xee", 6);
	/* and it fits below 1 MiB, where real mode can reach it */
	assert_true(0xffff0 + 10 <= LAYOUT_BIOS_END);
	guest_mem_destroy(&mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(parse_accepts_and_describes),
		cmocka_unit_test(parse_rejects),
		cmocka_unit_test(e820_layouts),
		cmocka_unit_test(initrd_placement),
		cmocka_unit_test(load_fills_zero_page),
		cmocka_unit_test(reset_stub_writes_reset_register),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
