/* Unit tests: the MSRs every vCPU starts with (cpu_setup_boot_msrs). The
 * expected values are written from the SDM, not from the code under test. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/cpu_setup.h"

/* SDM vol. 4 table 2-2 and vol. 3A 12.11.2.1. */
#define IA32_MISC_ENABLE   0x1a0
#define IA32_MTRR_DEF_TYPE 0x2ff

/* The boot value of MSR index, from a list whose unset bytes are junk. */
static struct kvm_msr_entry boot_msr(uint32_t index)
{
	struct kvm_msr_entry e[CPU_SETUP_BOOT_MSRS];

	memset(e, 0xa5, sizeof(e));
	cpu_setup_boot_msrs(e);
	for (int i = 0; i < CPU_SETUP_BOOT_MSRS; i++)
		if (e[i].index == index) {
			assert_int_equal(e[i].reserved, 0);
			return e[i];
		}
	fail_msg("MSR %#x not in the boot list", index);
	return e[0];
}

static void fast_strings_on(void **state)
{
	(void)state;
	/* Bit 0, fast-string enable; bits 11 and 12 (BTS, PEBS unavailable)
	 * as KVM resets them; nothing else. */
	assert_int_equal(boot_msr(IA32_MISC_ENABLE).data, 0x1801);
}

static void mtrrs_on_write_back(void **state)
{
	uint64_t v = boot_msr(IA32_MTRR_DEF_TYPE).data;

	(void)state;
	assert_true(v & (1u << 11));      /* E: MTRRs enabled */
	assert_false(v & (1u << 10));     /* FE: no fixed ranges set */
	assert_int_equal(v & 0xff, 6);    /* default type WB */
	assert_int_equal(v & ~0xcffULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(fast_strings_on),
		cmocka_unit_test(mtrrs_on_write_back),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
