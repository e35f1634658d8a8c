/* Unit tests: per-vCPU CPUID topology and the legacy devices' small logic. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "arch/x86/cpuid.h"
#include "arch/x86/legacy.h"

static struct kvm_cpuid2 *sample(void)
{
	static const struct kvm_cpuid_entry2 e[] = {
		{ .function = 1, .ebx = 0xff0a0800, .edx = 1u << 28 },
		{ .function = 4, .index = 0, .eax = 0x121 },      /* L1d */
		{ .function = 4, .index = 3, .eax = 0x163 },      /* L3 */
		{ .function = 4, .index = 4, .eax = 0 },          /* end */
		{ .function = 0xb, .index = 0 },
		{ .function = 0xb, .index = 1 },
		{ .function = 0xb, .index = 2 },
		{ .function = 0x80000008, .ecx = 0x7007 },
		{ .function = 0x40000001, .eax = 0x1234 },
	};
	struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + sizeof(e));

	c->nent = sizeof(e) / sizeof(e[0]);
	memcpy(c->entries, e, sizeof(e));
	return c;
}

static void topology_per_vcpu(void **state)
{
	struct kvm_cpuid2 *c = sample();
	struct kvm_cpuid2 *d = cpuid_dup(c);

	(void)state;
	cpuid_adjust(d, 3, 4);
	assert_int_equal(d->entries[0].ebx >> 24, 3);           /* APIC id */
	assert_int_equal((d->entries[0].ebx >> 16) & 0xff, 4);  /* logical count */
	assert_int_equal(d->entries[0].ebx & 0xffff, 0x0800);   /* rest kept */
	assert_true(d->entries[0].ecx & (1u << 31));            /* hypervisor */
	assert_int_equal(d->entries[1].eax >> 26, 3);           /* cores - 1 */
	assert_int_equal((d->entries[1].eax >> 14) & 0xfff, 0); /* L1 private */
	assert_int_equal((d->entries[2].eax >> 14) & 0xfff, 3); /* L3 shared */
	assert_int_equal(d->entries[3].eax, 0);
	assert_int_equal(d->entries[4].edx, 3);                 /* x2APIC id */
	assert_int_equal(d->entries[4].ebx, 1);
	assert_int_equal(d->entries[5].ebx, 4);
	assert_int_equal(d->entries[5].eax, 2);                 /* shift */
	assert_int_equal((d->entries[5].ecx >> 8) & 0xff, 2);   /* core level */
	assert_int_equal((d->entries[6].ecx >> 8) & 0xff, 0);   /* end */
	assert_int_equal(d->entries[7].ecx & 0xff, 3);
	assert_int_equal(d->entries[8].eax, 0x1234);            /* KVM leaf kept */
	free(d);

	d = cpuid_dup(c);
	cpuid_adjust(d, 0, 1);
	assert_int_equal(d->entries[0].edx & (1u << 28), 0);    /* no HTT alone */
	assert_int_equal(d->entries[5].eax, 0);
	free(d);
	free(c);
}

static void tsc_deadline_bit(void **state)
{
	struct kvm_cpuid2 *c = sample();

	(void)state;
	cpuid_set_tsc_deadline(c);
	assert_true(c->entries[0].ecx & (1u << 24));
	assert_int_equal(c->entries[0].ecx & ~(1u << 24), 0);  /* nothing else */
	assert_int_equal(c->entries[8].eax, 0x1234);           /* other leaves kept */
	assert_int_equal(c->entries[7].ecx, 0x7007);
	free(c);
}

static void rtc_bcd(void **state)
{
	(void)state;
	assert_int_equal(legacy_rtc_bcd(0), 0x00);
	assert_int_equal(legacy_rtc_bcd(9), 0x09);
	assert_int_equal(legacy_rtc_bcd(59), 0x59);
	assert_int_equal(legacy_rtc_bcd(2026 % 100), 0x26);
}

struct events {
	int last;
	int count;
};

static void on_event(void *ctx, enum platform_event ev)
{
	struct events *e = ctx;

	e->last = (int)ev;
	e->count++;
}

static void platform_ports(void **state)
{
	struct events ev = { -1, 0 };
	struct legacy_acpi_pm pm = { { on_event, &ev } };
	struct legacy_i8042 kbd = { { on_event, &ev } };
	struct legacy_pvpanic pv = { { on_event, &ev } };
	uint8_t v;

	(void)state;
	/* S5 with SLP_EN: (5 << 2) | (1 << 5) */
	v = 0x14; /* SLP_TYP=5 without SLP_EN: nothing */
	legacy_acpi_pm_ops.write(&pm, ACPI_PM_SLEEP_CTL, &v, 1);
	assert_int_equal(ev.count, 0);
	v = 0x34;
	legacy_acpi_pm_ops.write(&pm, ACPI_PM_SLEEP_CTL, &v, 1);
	assert_int_equal(ev.last, PLATFORM_POWEROFF);
	v = ACPI_PM_RESET_VALUE;
	legacy_acpi_pm_ops.write(&pm, ACPI_PM_RESET, &v, 1);
	assert_int_equal(ev.last, PLATFORM_RESET);
	assert_int_equal(ev.count, 2);
	v = 0xfe;
	legacy_i8042_ops.write(&kbd, 0, &v, 1);   /* data port: ignored */
	assert_int_equal(ev.count, 2);
	legacy_i8042_ops.write(&kbd, 4, &v, 1);
	assert_int_equal(ev.count, 3);
	legacy_pvpanic_ops.read(&pv, 0, &v, 1);
	assert_int_equal(v & 1, 1);
	v = 0;
	legacy_pvpanic_ops.write(&pv, 0, &v, 1);
	assert_int_equal(ev.count, 3);
	v = 1;
	legacy_pvpanic_ops.write(&pv, 0, &v, 1);
	assert_int_equal(ev.last, PLATFORM_PANIC);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(topology_per_vcpu),
		cmocka_unit_test(tsc_deadline_bit),
		cmocka_unit_test(rtc_bcd),
		cmocka_unit_test(platform_ports),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
