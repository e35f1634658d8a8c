/* Unit tests for arch/x86/acpi: build the tables into a buffer that stands for guest memory, then
 * read them back the way a guest does, from the RSDP down, with every pointer bounds-checked and
 * every field read at its offset in the ACPI 6.5 specification (not through skiff's structures).
 *
 * Build: cc -std=gnu11 -Wall -Wextra -Werror -Isrc src/arch/x86/acpi.c tests/unit/test_acpi.c \
 *        -lcmocka -o /tmp/test_acpi && /tmp/test_acpi
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arch/x86/acpi.h"

#define GUEST_GPA	0xe0000u	/* where a VMM would put them: the BIOS area Linux scans */
#define GUARD_LEN	256u
#define GUARD_BYTE	0xa5u

/* The registers skiff's platform device answers on (any values work; distinct ones catch swaps). */
#define SLEEP_CTL_PORT	0x3c0u
#define SLEEP_STS_PORT	0x3c1u
#define RESET_PORT	0x3c2u
#define RESET_VALUE	0x0fu

static struct acpi_config config_for(unsigned int ncpus)
{
	struct acpi_config c = {
		.ncpus = ncpus,
		.ioapic_gpa = 0xfec00000u,
		.ioapic_id = (uint8_t)ncpus,
		.sleep_ctl_port = SLEEP_CTL_PORT,
		.sleep_sts_port = SLEEP_STS_PORT,
		.reset_port = RESET_PORT,
		.reset_value = RESET_VALUE,
	};

	return c;
}

/* ---- A guest's view of the buffer ----------------------------------------------------------- */

struct guest {
	const uint8_t *mem;
	size_t len;
	uint64_t gpa;
};

/* Host pointer to [addr, addr + n) if it lies inside the buffer, else NULL. */
static const uint8_t *guest_ptr(const struct guest *g, uint64_t addr, uint64_t n)
{
	if (addr < g->gpa || addr - g->gpa > g->len || n > g->len - (addr - g->gpa))
		return NULL;
	return g->mem + (addr - g->gpa);
}

static uint8_t rd8(const uint8_t *p, size_t off)
{
	return p[off];
}

static uint16_t rd16(const uint8_t *p, size_t off)
{
	return (uint16_t)(p[off] | p[off + 1] << 8);
}

static uint32_t rd32(const uint8_t *p, size_t off)
{
	return (uint32_t)rd16(p, off) | (uint32_t)rd16(p, off + 2) << 16;
}

static uint64_t rd64(const uint8_t *p, size_t off)
{
	return (uint64_t)rd32(p, off) | (uint64_t)rd32(p, off + 4) << 32;
}

static uint8_t byte_sum(const uint8_t *p, size_t n)
{
	uint8_t s = 0;

	for (size_t i = 0; i < n; i++)
		s = (uint8_t)(s + p[i]);
	return s;
}

/* A table the guest found: checks what every table must satisfy (5.2.6) and returns it. */
static const uint8_t *sdt_at(const struct guest *g, uint64_t addr, const char *sig)
{
	const uint8_t *h = guest_ptr(g, addr, 36);
	uint32_t length;

	assert_non_null(h);
	assert_memory_equal(h, sig, 4);
	length = rd32(h, 4);
	assert_true(length >= 36);
	assert_non_null(guest_ptr(g, addr, length));
	assert_int_equal(byte_sum(h, length), 0);
	assert_memory_equal(h + 10, "SKIFF ", 6);
	assert_memory_equal(h + 16, "SKIFFVM ", 8);
	assert_memory_equal(h + 28, "SKIF", 4);
	return h;
}

struct tables {
	const uint8_t *rsdp, *xsdt, *fadt, *dsdt, *madt;
	uint64_t madt_gpa;
	size_t end;	/* offset just past the last byte of any table */
};

static void note_end(struct tables *t, const struct guest *g, const uint8_t *table, size_t len)
{
	size_t end = (size_t)(table - g->mem) + len;

	if (end > t->end)
		t->end = end;
}

/* Walk from the RSDP at rsdp_gpa like Linux's ACPICA does: RSDP -> XSDT -> FADT, MADT; FADT -> DSDT. */
static struct tables find_tables(const struct guest *g, uint64_t rsdp_gpa)
{
	struct tables t = { 0 };
	uint32_t n;

	/* 5.2.5.3 RSDP: both checksums, revision 2, XSDT only. */
	t.rsdp = guest_ptr(g, rsdp_gpa, 36);
	assert_non_null(t.rsdp);
	assert_int_equal(rsdp_gpa % 16, 0);
	assert_memory_equal(t.rsdp, "RSD PTR ", 8);
	assert_int_equal(byte_sum(t.rsdp, 20), 0);
	assert_int_equal(rd8(t.rsdp, 15), 2);
	assert_int_equal(rd32(t.rsdp, 20), 36);
	assert_int_equal(byte_sum(t.rsdp, 36), 0);
	assert_memory_equal(t.rsdp + 9, "SKIFF ", 6);
	assert_int_equal(rd32(t.rsdp, 16), 0);	/* no RSDT */
	note_end(&t, g, t.rsdp, 36);

	/* 5.2.8 XSDT. */
	t.xsdt = sdt_at(g, rd64(t.rsdp, 24), "XSDT");
	assert_int_equal(rd8(t.xsdt, 8), 1);
	assert_int_equal((rd32(t.xsdt, 4) - 36) % 8, 0);
	n = (rd32(t.xsdt, 4) - 36) / 8;
	assert_int_equal(n, 2);
	note_end(&t, g, t.xsdt, rd32(t.xsdt, 4));
	for (uint32_t i = 0; i < n; i++) {
		uint64_t addr = rd64(t.xsdt, 36 + 8 * i);
		const uint8_t *h = guest_ptr(g, addr, 36);

		assert_non_null(h);
		if (memcmp(h, "FACP", 4) == 0) {
			assert_null(t.fadt);
			t.fadt = sdt_at(g, addr, "FACP");
			note_end(&t, g, t.fadt, rd32(t.fadt, 4));
		} else if (memcmp(h, "APIC", 4) == 0) {
			assert_null(t.madt);
			t.madt = sdt_at(g, addr, "APIC");
			t.madt_gpa = addr;
			note_end(&t, g, t.madt, rd32(t.madt, 4));
		} else {
			fail_msg("unexpected table %.4s in the XSDT", (const char *)h);
		}
	}
	assert_non_null(t.fadt);
	assert_non_null(t.madt);

	/* 5.2.9: the DSDT through X_DSDT (offset 140); the 32-bit DSDT field stays 0. */
	assert_int_equal(rd32(t.fadt, 40), 0);
	t.dsdt = sdt_at(g, rd64(t.fadt, 140), "DSDT");
	note_end(&t, g, t.dsdt, rd32(t.dsdt, 4));
	return t;
}

/* Build for cfg into a GUEST_GPA buffer of ACPI_TABLES_MAX_LEN bytes and find the tables. */
struct built {
	uint8_t mem[ACPI_TABLES_MAX_LEN];
	struct guest g;
	struct tables t;
};

static void build(struct built *b, const struct acpi_config *cfg, uint64_t gpa)
{
	uint64_t rsdp = 0;

	memset(b->mem, GUARD_BYTE, sizeof(b->mem));
	assert_int_equal(acpi_build_tables(b->mem, sizeof(b->mem), gpa, cfg, &rsdp), 0);
	assert_int_equal(rsdp, gpa);
	b->g = (struct guest){ .mem = b->mem, .len = sizeof(b->mem), .gpa = gpa };
	b->t = find_tables(&b->g, rsdp);
}

/* ---- A guest's AML reader (ACPI 6.5 section 20), enough for the DSDT skiff writes ------------- */

struct aml_reader {
	const uint8_t *p;
	size_t pos, end;	/* end: of the enclosing package */
};

/* PkgLength (20.2.4): sets *pkg_end to the offset where the package that starts here ends. */
static bool aml_read_pkglen(struct aml_reader *r, size_t *pkg_end)
{
	size_t start = r->pos, n, v;
	uint8_t lead;

	if (r->pos >= r->end)
		return false;
	lead = r->p[r->pos++];
	n = lead >> 6;
	if (n == 0) {
		v = lead & 0x3f;
	} else {
		if (lead & 0x30 || n > r->end - r->pos)
			return false;
		v = lead & 0x0f;
		for (size_t i = 0; i < n; i++)
			v |= (size_t)r->p[r->pos++] << (4 + 8 * i);
	}
	if (v > r->end - start || v < n + 1)
		return false;
	*pkg_end = start + v;
	return true;
}

static bool aml_is_nameseg(const uint8_t *s)
{
	for (int i = 0; i < 4; i++) {
		bool lead_ok = s[i] == '_' || (s[i] >= 'A' && s[i] <= 'Z');

		if (!lead_ok && !(i > 0 && s[i] >= '0' && s[i] <= '9'))
			return false;
	}
	return true;
}

/* NameString (20.2.2) into "\\SEG_.SEG_" or "SEG_" form. */
static bool aml_read_name(struct aml_reader *r, char *out, size_t outsz)
{
	size_t nseg = 1, o = 0;

	if (r->pos < r->end && r->p[r->pos] == '\\') {
		out[o++] = '\\';
		r->pos++;
	}
	if (r->pos >= r->end)
		return false;
	if (r->p[r->pos] == 0x2e) {
		nseg = 2;
		r->pos++;
	} else if (r->p[r->pos] == 0x2f) {
		if (++r->pos >= r->end)
			return false;
		nseg = r->p[r->pos++];
	}
	if (nseg * 5 + 2 > outsz || nseg * 4 > r->end - r->pos)
		return false;
	for (size_t i = 0; i < nseg; i++) {
		if (!aml_is_nameseg(r->p + r->pos))
			return false;
		if (i > 0)
			out[o++] = '.';
		memcpy(out + o, r->p + r->pos, 4);
		o += 4;
		r->pos += 4;
	}
	out[o] = '\0';
	return true;
}

/* ComputationalData integers (20.2.3). */
static bool aml_read_integer(struct aml_reader *r, uint64_t *v)
{
	static const size_t width[] = { [0x0a] = 1, [0x0b] = 2, [0x0c] = 4, [0x0e] = 8 };
	uint8_t op;

	if (r->pos >= r->end)
		return false;
	op = r->p[r->pos++];
	if (op == 0x00 || op == 0x01) {
		*v = op;
		return true;
	}
	if (op == 0xff) {
		*v = UINT64_MAX;
		return true;
	}
	if (op >= sizeof(width) / sizeof(width[0]) || width[op] == 0 ||
	    width[op] > r->end - r->pos)
		return false;
	*v = 0;
	for (size_t i = 0; i < width[op]; i++)
		*v |= (uint64_t)r->p[r->pos++] << (8 * i);
	return true;
}

/* Skip one DataRefObject: an integer, string, buffer or package. */
static bool aml_skip_object(struct aml_reader *r)
{
	uint64_t v;
	size_t end;

	if (r->pos >= r->end)
		return false;
	switch (r->p[r->pos]) {
	case 0x0d:	/* StringPrefix: ASCII up to NUL */
		while (++r->pos < r->end)
			if (r->p[r->pos] == 0) {
				r->pos++;
				return true;
			}
		return false;
	case 0x11:	/* BufferOp */
	case 0x12:	/* PackageOp */
		r->pos++;
		if (!aml_read_pkglen(r, &end))
			return false;
		r->pos = end;
		return true;
	default:
		return aml_read_integer(r, &v);
	}
}

#define MAX_NAMES 16

struct aml_names {
	size_t n;
	char path[MAX_NAMES][64];
	size_t obj[MAX_NAMES];		/* offset in the DSDT of the object the name holds */
};

static void aml_join(char *out, size_t outsz, const char *scope, const char *name)
{
	if (name[0] == '\\')
		snprintf(out, outsz, "%s", name);
	else if (strcmp(scope, "\\") == 0)
		snprintf(out, outsz, "\\%s", name);
	else
		snprintf(out, outsz, "%s.%s", scope, name);
}

/* TermList (20.2.5) of Name, Scope and Device terms; anything else is an error. */
static bool aml_walk(struct aml_reader *r, const char *scope, struct aml_names *names, int depth)
{
	char name[64], path[64];

	if (depth > 8)
		return false;
	while (r->pos < r->end) {
		uint8_t op = r->p[r->pos++];
		size_t pkg_end, outer_end;

		if (op == 0x08) {	/* NameOp NameString DataRefObject */
			if (!aml_read_name(r, name, sizeof(name)) || names->n == MAX_NAMES)
				return false;
			aml_join(names->path[names->n], sizeof(names->path[0]), scope, name);
			names->obj[names->n++] = r->pos;
			if (!aml_skip_object(r))
				return false;
		} else if (op == 0x10 ||	/* ScopeOp PkgLength NameString TermList */
			   (op == 0x5b && r->pos < r->end && r->p[r->pos] == 0x82)) {
			if (op == 0x5b)		/* DeviceOp: same shape */
				r->pos++;
			if (!aml_read_pkglen(r, &pkg_end) || !aml_read_name(r, name, sizeof(name)))
				return false;
			aml_join(path, sizeof(path), scope, name);
			outer_end = r->end;
			r->end = pkg_end;
			if (!aml_walk(r, path, names, depth + 1) || r->pos != pkg_end)
				return false;
			r->end = outer_end;
		} else {
			return false;
		}
	}
	return r->pos == r->end;
}

/* All names the DSDT defines, with where their objects start. */
static void dsdt_names(const uint8_t *dsdt, struct aml_names *names)
{
	struct aml_reader r = { .p = dsdt, .pos = 36, .end = rd32(dsdt, 4) };

	memset(names, 0, sizeof(*names));
	assert_true(aml_walk(&r, "\\", names, 0));
}

/* A reader positioned at the object of the name path, which must exist exactly once. */
static struct aml_reader dsdt_object(const uint8_t *dsdt, const char *path)
{
	struct aml_names names;
	struct aml_reader r = { .p = dsdt, .end = rd32(dsdt, 4) };
	int found = 0;

	dsdt_names(dsdt, &names);
	for (size_t i = 0; i < names.n; i++) {
		if (strcmp(names.path[i], path) == 0) {
			r.pos = names.obj[i];
			found++;
		}
	}
	if (found != 1)
		fail_msg("%s defined %d times in the DSDT", path, found);
	return r;
}

/* ---- Tests ----------------------------------------------------------------------------------- */

static void test_rsdp_xsdt_and_checksums(void **state)
{
	struct built *b = malloc(sizeof(*b));
	struct acpi_config cfg = config_for(1);

	(void)state;
	assert_non_null(b);
	build(b, &cfg, GUEST_GPA);	/* find_tables checks signatures, ids and every checksum */
	assert_int_equal(rd8(b->t.dsdt, 8), 2);	/* 64-bit AML integers */
	free(b);
}

/* Tables above 4 GiB: every pointer must be a full 64-bit guest address relative to gpa. */
static void test_tables_at_high_gpa(void **state)
{
	struct built *b = malloc(sizeof(*b));
	struct acpi_config cfg = config_for(2);

	(void)state;
	assert_non_null(b);
	build(b, &cfg, 0x123456780ull);
	free(b);
}

static void assert_gas_io8(const uint8_t *fadt, size_t off, uint16_t port)
{
	assert_int_equal(rd8(fadt, off), 1);		/* System I/O space */
	assert_int_equal(rd8(fadt, off + 1), 8);	/* bit width */
	assert_int_equal(rd8(fadt, off + 2), 0);	/* bit offset */
	assert_int_equal(rd8(fadt, off + 3), 1);	/* byte access */
	assert_int_equal(rd64(fadt, off + 4), port);
}

static void assert_gas_zero(const uint8_t *fadt, size_t off)
{
	static const uint8_t zero[12];

	assert_memory_equal(fadt + off, zero, sizeof(zero));
}

static void test_fadt(void **state)
{
	struct built *b = malloc(sizeof(*b));
	struct acpi_config cfg = config_for(4);
	const uint8_t *f;
	uint32_t flags;
	uint16_t boot;

	(void)state;
	assert_non_null(b);
	build(b, &cfg, GUEST_GPA);
	f = b->t.fadt;
	assert_int_equal(rd32(f, 4), 276);
	assert_int_equal(rd8(f, 8), 6);
	assert_int_equal(rd8(f, 131), 5);		/* minor version */

	flags = rd32(f, 112);
	assert_true(flags & (1u << 20));		/* HW_REDUCED_ACPI */
	assert_true(flags & (1u << 10));		/* RESET_REG_SUP */
	assert_true(flags & (1u << 4));			/* PWR_BUTTON: no fixed button */
	assert_true(flags & (1u << 5));			/* SLP_BUTTON: no fixed button */
	assert_int_equal(flags & ~((1u << 20) | (1u << 10) | (1u << 4) | (1u << 5)), 0);

	boot = rd16(f, 109);
	assert_true(boot & (1u << 2));			/* VGA not present */
	assert_false(boot & (1u << 3));			/* MSI stays usable */
	assert_false(boot & (1u << 5));			/* CMOS RTC present */

	assert_gas_io8(f, 116, RESET_PORT);
	assert_int_equal(rd8(f, 128), RESET_VALUE);
	assert_gas_io8(f, 244, SLEEP_CTL_PORT);
	assert_gas_io8(f, 256, SLEEP_STS_PORT);
	assert_memory_equal(f + 268, "SKIFF\0\0\0", 8);

	/* Hardware-reduced: no FACS, SCI, SMI, PM1/PM2/PM timer/GPE blocks, in either form. */
	assert_int_equal(rd32(f, 36), 0);
	assert_int_equal(rd64(f, 132), 0);
	assert_int_equal(rd16(f, 46), 0);
	assert_int_equal(rd32(f, 48), 0);
	for (size_t off = 56; off < 88; off += 4)
		assert_int_equal(rd32(f, off), 0);
	for (size_t off = 148; off < 244; off += 12)
		assert_gas_zero(f, off);
	free(b);
}

/* What Linux's ACPICA writes to SLEEP_CONTROL_REG to enter S<n> on a hardware-reduced platform
 * (4.8.3.7): SLP_TYPa from \_S<n> in bits 4:2, SLP_EN in bit 5. */
static uint8_t sleep_control_value(uint64_t slp_typ)
{
	return (uint8_t)(((slp_typ << 2) & 0x1c) | 0x20);
}

static void test_dsdt_s5(void **state)
{
	struct built *b = malloc(sizeof(*b));
	struct acpi_config cfg = config_for(1);
	struct aml_reader r;
	size_t pkg_end;
	uint64_t v;

	(void)state;
	assert_non_null(b);
	build(b, &cfg, GUEST_GPA);
	r = dsdt_object(b->t.dsdt, "\\_S5_");
	assert_int_equal(r.p[r.pos++], 0x12);		/* PackageOp */
	assert_true(aml_read_pkglen(&r, &pkg_end));
	r.end = pkg_end;
	assert_int_equal(r.p[r.pos++], 4);		/* NumElements */
	assert_true(aml_read_integer(&r, &v));
	assert_int_equal(v, 5);				/* SLP_TYPa */
	assert_int_equal(sleep_control_value(v), 0x34);
	for (int i = 0; i < 3; i++) {
		assert_true(aml_read_integer(&r, &v));
		assert_int_equal(v, 0);
	}
	assert_int_equal(r.pos, pkg_end);
	free(b);
}

/* EISAID (19.6.35) computed the guest's way: the 32-bit value Linux's acpi_ex_eisa_id_to_string
 * decodes, bytes in memory order 'compressed vendor (big-endian)', product high, product low. */
static uint32_t eisaid(const char *id)
{
	uint32_t v = (uint32_t)(id[0] - '@') << 26 | (uint32_t)(id[1] - '@') << 21 |
		     (uint32_t)(id[2] - '@') << 16 | (uint32_t)strtoul(id + 3, NULL, 16);

	return __builtin_bswap32(v);
}

static void test_dsdt_com1(void **state)
{
	struct built *b = malloc(sizeof(*b));
	struct acpi_config cfg = config_for(1);
	struct aml_reader r;
	size_t pkg_end;
	uint64_t v, size;
	bool io = false, irq = false, end = false;

	(void)state;
	assert_non_null(b);
	build(b, &cfg, GUEST_GPA);

	r = dsdt_object(b->t.dsdt, "\\_SB_.COM1._HID");
	assert_true(aml_read_integer(&r, &v));
	assert_int_equal(v, eisaid("PNP0501"));
	assert_int_equal(v, 0x0105d041u);		/* as iasl encodes EisaId ("PNP0501") */

	r = dsdt_object(b->t.dsdt, "\\_SB_.COM1._UID");
	assert_true(aml_read_integer(&r, &v));
	assert_int_equal(v, 0);

	/* _CRS: a Buffer of small resource descriptors (6.4.2) ending in an End Tag. */
	r = dsdt_object(b->t.dsdt, "\\_SB_.COM1._CRS");
	assert_int_equal(r.p[r.pos++], 0x11);		/* BufferOp */
	assert_true(aml_read_pkglen(&r, &pkg_end));
	r.end = pkg_end;
	assert_true(aml_read_integer(&r, &size));
	assert_int_equal(size, pkg_end - r.pos);
	while (r.pos < pkg_end && !end) {
		const uint8_t *d = r.p + r.pos;
		uint8_t type = (d[0] >> 3) & 0x0f, len = d[0] & 0x07;

		assert_false(d[0] & 0x80);		/* no large descriptors expected */
		assert_true(1u + len <= pkg_end - r.pos);
		switch (type) {
		case 0x08:				/* I/O Port Descriptor */
			assert_int_equal(len, 7);
			assert_int_equal(rd16(d, 2), 0x3f8);	/* minimum */
			assert_int_equal(rd16(d, 4), 0x3f8);	/* maximum */
			assert_int_equal(d[7], 8);		/* length */
			io = true;
			break;
		case 0x04:				/* IRQ Descriptor */
			assert_true(len == 2 || len == 3);
			assert_int_equal(rd16(d, 1), 1u << 4);
			irq = true;
			break;
		case 0x0f:				/* End Tag */
			assert_int_equal(len, 1);
			end = true;
			break;
		default:
			fail_msg("unexpected resource descriptor 0x%02x", d[0]);
		}
		r.pos += 1u + len;
	}
	assert_true(io && irq && end);
	assert_int_equal(r.pos, pkg_end);
	free(b);
}

/* MADT (5.2.12) for the number of CPUs in *state. */
static void test_madt(void **state)
{
	unsigned int ncpus = *(const unsigned int *)*state;
	struct built *b = malloc(sizeof(*b));
	struct acpi_config cfg = config_for(ncpus);
	const uint8_t *m;
	uint32_t len, off;
	unsigned int enabled = 0, ioapics = 0, overrides = 0;
	uint64_t seen = 0;

	assert_non_null(b);
	build(b, &cfg, GUEST_GPA);
	m = b->t.madt;
	len = rd32(m, 4);
	assert_int_equal(rd32(m, 36), 0xfee00000u);
	assert_int_equal(rd32(m, 40) & 1u, 0);		/* no PC-AT 8259 pair */

	for (off = 44; off < len; off += rd8(m, off + 1)) {
		const uint8_t *e = m + off;

		assert_true(len - off >= 2);
		assert_true(rd8(e, 1) >= 2 && rd8(e, 1) <= len - off);
		switch (rd8(e, 0)) {
		case 0:		/* Processor Local APIC */
			assert_int_equal(rd8(e, 1), 8);
			assert_true(rd8(e, 3) < ncpus);
			assert_false(seen & (1ull << rd8(e, 3)));
			seen |= 1ull << rd8(e, 3);
			assert_int_equal(rd8(e, 2), rd8(e, 3));	/* processor UID */
			if (rd32(e, 4) & 1u)
				enabled++;
			break;
		case 1:		/* I/O APIC */
			assert_int_equal(rd8(e, 1), 12);
			assert_int_equal(rd8(e, 2), cfg.ioapic_id);
			assert_int_equal(rd32(e, 4), 0xfec00000u);
			assert_int_equal(rd32(e, 8), 0);	/* GSI base */
			ioapics++;
			break;
		case 2:		/* Interrupt Source Override: only COM1's IRQ4 -> GSI4 */
			assert_int_equal(rd8(e, 1), 10);
			assert_int_equal(rd8(e, 2), 0);		/* ISA */
			assert_int_equal(rd8(e, 3), 4);
			assert_int_equal(rd32(e, 4), 4);
			assert_int_equal(rd16(e, 8), 0);	/* conforms to ISA: edge, high */
			overrides++;
			break;
		default:
			fail_msg("unexpected MADT entry type %u", rd8(e, 0));
		}
	}
	assert_int_equal(off, len);
	assert_int_equal(enabled, ncpus);
	assert_int_equal(ioapics, 1);
	assert_int_equal(overrides, 1);
	assert_true(cfg.ioapic_id >= 64 || !(seen & (1ull << cfg.ioapic_id)));
	free(b);
}

/* Every length below what the tables need fails with -ENOSPC and writes nothing, not even
 * inside len; the first length that works writes exactly [0, needed) and nothing past it. */
static void check_every_length(unsigned int ncpus)
{
	struct acpi_config cfg = config_for(ncpus);
	size_t needed = 0;

	for (size_t len = 0; len <= ACPI_TABLES_MAX_LEN && !needed; len++) {
		uint8_t *buf = malloc(len + GUARD_LEN);
		uint64_t rsdp = 0xdead;
		int rc;

		assert_non_null(buf);
		memset(buf, GUARD_BYTE, len + GUARD_LEN);
		rc = acpi_build_tables(buf, len, GUEST_GPA, &cfg, &rsdp);
		if (rc == -ENOSPC) {
			for (size_t i = 0; i < len + GUARD_LEN; i++)
				assert_int_equal(buf[i], GUARD_BYTE);
			assert_int_equal(rsdp, 0xdead);
		} else {
			struct guest g = { .mem = buf, .len = len, .gpa = GUEST_GPA };
			struct tables t;

			assert_int_equal(rc, 0);
			needed = len;
			t = find_tables(&g, rsdp);	/* everything fits in [0, len) */
			assert_int_equal(t.end, needed);
			for (size_t i = len; i < len + GUARD_LEN; i++)
				assert_int_equal(buf[i], GUARD_BYTE);
		}
		free(buf);
	}
	assert_true(needed > 0);
	assert_true(needed <= ACPI_TABLES_MAX_LEN);

	/* A roomier buffer: bytes past what is needed stay as they were. */
	{
		uint8_t buf[ACPI_TABLES_MAX_LEN];
		uint64_t rsdp;

		memset(buf, GUARD_BYTE, sizeof(buf));
		assert_int_equal(acpi_build_tables(buf, sizeof(buf), GUEST_GPA, &cfg, &rsdp), 0);
		for (size_t i = needed; i < sizeof(buf); i++)
			assert_int_equal(buf[i], GUARD_BYTE);
	}
}

static void test_enospc_every_length_1cpu(void **state)
{
	(void)state;
	check_every_length(1);
}

static void test_enospc_every_length_64cpus(void **state)
{
	(void)state;
	check_every_length(64);
}

static void test_enospc_null_buffer(void **state)
{
	struct acpi_config cfg = config_for(1);
	uint64_t rsdp;

	(void)state;
	assert_int_equal(acpi_build_tables(NULL, 0, GUEST_GPA, &cfg, &rsdp), -ENOSPC);
}

static void expect_einval(const struct acpi_config *cfg, uint64_t gpa, size_t len)
{
	uint8_t buf[ACPI_TABLES_MAX_LEN];
	uint64_t rsdp = 0xdead;

	memset(buf, GUARD_BYTE, sizeof(buf));
	assert_true(len <= sizeof(buf));
	assert_int_equal(acpi_build_tables(buf, len, gpa, cfg, &rsdp), -EINVAL);
	assert_int_equal(rsdp, 0xdead);
	for (size_t i = 0; i < sizeof(buf); i++)
		assert_int_equal(buf[i], GUARD_BYTE);
}

static void test_einval(void **state)
{
	struct acpi_config cfg;
	uint8_t buf[16];
	uint64_t rsdp;

	(void)state;
	cfg = config_for(0);
	expect_einval(&cfg, GUEST_GPA, ACPI_TABLES_MAX_LEN);
	expect_einval(&cfg, GUEST_GPA, 0);		/* config errors come before -ENOSPC */
	cfg = config_for(65);
	expect_einval(&cfg, GUEST_GPA, ACPI_TABLES_MAX_LEN);

	/* The I/O APIC id shares the APIC id space with the local APICs 0..ncpus-1. */
	cfg = config_for(1);
	cfg.ioapic_id = 0;
	expect_einval(&cfg, GUEST_GPA, ACPI_TABLES_MAX_LEN);
	cfg = config_for(64);
	cfg.ioapic_id = 63;
	expect_einval(&cfg, GUEST_GPA, ACPI_TABLES_MAX_LEN);

	/* The MADT's I/O APIC address is 32 bits. */
	cfg = config_for(1);
	cfg.ioapic_gpa = 0x100000000ull;
	expect_einval(&cfg, GUEST_GPA, ACPI_TABLES_MAX_LEN);

	/* Port 0 would make Linux skip ACPI power-off / reset. */
	cfg = config_for(1);
	cfg.sleep_ctl_port = 0;
	expect_einval(&cfg, GUEST_GPA, ACPI_TABLES_MAX_LEN);
	cfg = config_for(1);
	cfg.sleep_sts_port = 0;
	expect_einval(&cfg, GUEST_GPA, ACPI_TABLES_MAX_LEN);
	cfg = config_for(1);
	cfg.reset_port = 0;
	expect_einval(&cfg, GUEST_GPA, ACPI_TABLES_MAX_LEN);

	cfg = config_for(1);
	expect_einval(&cfg, GUEST_GPA + 8, ACPI_TABLES_MAX_LEN);	/* misaligned */
	expect_einval(&cfg, UINT64_MAX - 15, ACPI_TABLES_MAX_LEN);	/* wraps */
	expect_einval(NULL, GUEST_GPA, ACPI_TABLES_MAX_LEN);
	assert_int_equal(acpi_build_tables(buf, sizeof(buf), GUEST_GPA, &cfg, NULL), -EINVAL);
	assert_int_equal(acpi_build_tables(NULL, 4096, GUEST_GPA, &cfg, &rsdp), -EINVAL);
}

/* The largest valid config fits the bound the header promises, and the smallest I/O APIC id
 * that does not clash is accepted. */
static void test_limits_accepted(void **state)
{
	struct built *b = malloc(sizeof(*b));
	struct acpi_config cfg = config_for(64);

	(void)state;
	assert_non_null(b);
	build(b, &cfg, GUEST_GPA);
	assert_true(b->t.end <= ACPI_TABLES_MAX_LEN);
	cfg.ioapic_id = 255;
	build(b, &cfg, GUEST_GPA);
	free(b);
}

static void test_deterministic(void **state)
{
	struct built *b1 = malloc(sizeof(*b1)), *b2 = malloc(sizeof(*b2));
	struct acpi_config cfg = config_for(4);

	(void)state;
	assert_non_null(b1);
	assert_non_null(b2);
	build(b1, &cfg, GUEST_GPA);
	memset(b2->mem, 0, sizeof(b2->mem));
	build(b2, &cfg, GUEST_GPA);
	assert_memory_equal(b1->mem, b2->mem, b1->t.end);
	free(b1);
	free(b2);
}

int main(void)
{
	static unsigned int n1 = 1, n2 = 2, n4 = 4, n64 = 64;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsdp_xsdt_and_checksums),
		cmocka_unit_test(test_tables_at_high_gpa),
		cmocka_unit_test(test_fadt),
		cmocka_unit_test(test_dsdt_s5),
		cmocka_unit_test(test_dsdt_com1),
		cmocka_unit_test_prestate(test_madt, &n1),
		cmocka_unit_test_prestate(test_madt, &n2),
		cmocka_unit_test_prestate(test_madt, &n4),
		cmocka_unit_test_prestate(test_madt, &n64),
		cmocka_unit_test(test_enospc_every_length_1cpu),
		cmocka_unit_test(test_enospc_every_length_64cpus),
		cmocka_unit_test(test_enospc_null_buffer),
		cmocka_unit_test(test_einval),
		cmocka_unit_test(test_limits_accepted),
		cmocka_unit_test(test_deterministic),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
