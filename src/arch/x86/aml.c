#include "arch/x86/aml.h"

#include <string.h>

#include "arch/x86/layout.h"
/* ---- AML (20 ACPI Machine Language Specification) -------------------------------------------- */



/* 20.2.3 Data Objects Encoding, 20.2.5 Term Objects Encoding. */
#define AML_ZERO_OP		0x00
#define AML_ONE_OP		0x01
#define AML_NAME_OP		0x08
#define AML_BYTE_PREFIX		0x0a
#define AML_WORD_PREFIX		0x0b
#define AML_DWORD_PREFIX	0x0c
#define AML_QWORD_PREFIX	0x0e
#define AML_STRING_PREFIX	0x0d
#define AML_BUFFER_OP		0x11
#define AML_PACKAGE_OP		0x12
#define AML_DUAL_NAME_PREFIX	0x2e
#define AML_MULTI_NAME_PREFIX	0x2f
#define AML_EXT_OP_PREFIX	0x5b
#define AML_DEVICE_OP		0x82	/* after AML_EXT_OP_PREFIX */
#define AML_ROOT_CHAR		0x5c	/* '\\' */
#define AML_PKGLEN_MAX		(1u << 28)

void aml_bytes(struct aml *a, const void *src, size_t n)
{
	if (a->p && !a->err) {
		if (n > a->cap - a->len)
			a->err = true;
		else
			memcpy(a->p + a->len, src, n);
	}
	a->len += n;
}

void aml_byte(struct aml *a, uint8_t b)
{
	aml_bytes(a, &b, 1);
}

/* ComputationalData: the shortest encoding of an integer (ZeroOp, OneOp, Byte/Word/DWord/QWord
 * Const), as iasl emits it (20.2.3). */
void aml_integer(struct aml *a, uint64_t v)
{
	if (v == 0) {
		aml_byte(a, AML_ZERO_OP);
	} else if (v == 1) {
		aml_byte(a, AML_ONE_OP);
	} else if (v <= UINT8_MAX) {
		aml_byte(a, AML_BYTE_PREFIX);
		aml_byte(a, (uint8_t)v);
	} else if (v <= UINT16_MAX) {
		uint16_t w = (uint16_t)v;

		aml_byte(a, AML_WORD_PREFIX);
		aml_bytes(a, &w, sizeof(w));
	} else if (v <= UINT32_MAX) {
		uint32_t d = (uint32_t)v;

		aml_byte(a, AML_DWORD_PREFIX);
		aml_bytes(a, &d, sizeof(d));
	} else {
		aml_byte(a, AML_QWORD_PREFIX);
		aml_bytes(a, &v, sizeof(v));
	}
}

/* NameString (20.2.2): "\\" for the root, then NameSegs of exactly 4 characters separated by
 * '.', e.g. "\\_SB_.COM1" or "_S5_". Our own constant strings only; a malformed one sets err. */
void aml_namestring(struct aml *a, const char *path)
{
	size_t nseg, n;

	if (*path == '\\') {
		aml_byte(a, AML_ROOT_CHAR);
		path++;
	}
	n = strlen(path);
	if (n < 4 || (n + 1) % 5 != 0 || n / 5 + 1 > UINT8_MAX) {
		a->err = true;
		return;
	}
	nseg = (n + 1) / 5;
	if (nseg == 2) {
		aml_byte(a, AML_DUAL_NAME_PREFIX);
	} else if (nseg > 2) {
		aml_byte(a, AML_MULTI_NAME_PREFIX);
		aml_byte(a, (uint8_t)nseg);
	}
	for (size_t i = 0; i < nseg; i++) {
		if (i > 0 && path[i * 5 - 1] != '.')
			a->err = true;
		aml_bytes(a, path + i * 5, 4);
	}
}

/* Where a PkgLength will go: objects that carry one call aml_pkg_begin() right after their
 * opcode, emit their body, then aml_pkg_end(), which inserts the PkgLength in front of the
 * body now that its size is known. */
size_t aml_pkg_begin(const struct aml *a)
{
	return a->len;
}

/* PkgLength (20.2.4): the length counts itself and the body. One byte holds up to 63; longer
 * ones put the count of following bytes in bits 7-6 of the lead byte, the low nibble in its
 * bits 3-0, and the rest 8 bits at a time in the following bytes. */
void aml_pkg_end(struct aml *a, size_t start)
{
	size_t body = a->len - start;
	size_t n, total;

	if (body + 1 <= 0x3f)
		n = 1;
	else if (body + 2 < (1u << 12))
		n = 2;
	else if (body + 3 < (1u << 20))
		n = 3;
	else
		n = 4;
	total = body + n;
	if (total >= AML_PKGLEN_MAX)
		a->err = true;
	if (a->p && !a->err) {
		if (n > a->cap - a->len) {
			a->err = true;
		} else {
			uint8_t *q = a->p + start;

			memmove(q + n, q, body);
			if (n == 1) {
				q[0] = (uint8_t)total;
			} else {
				q[0] = (uint8_t)(((n - 1) << 6) | (total & 0x0f));
				for (size_t i = 1; i < n; i++)
					q[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
			}
		}
	}
	a->len += n;
}

/* DefName (20.2.5.1): Name (path, <object the caller emits next>). */
void aml_name(struct aml *a, const char *path)
{
	aml_byte(a, AML_NAME_OP);
	aml_namestring(a, path);
}

/* DefPackage (20.2.5.4) of small integers: Package (n) { v[0], ..., v[n-1] }. */
void aml_package_of_integers(struct aml *a, const uint64_t *v, uint8_t n)
{
	size_t start;

	aml_byte(a, AML_PACKAGE_OP);
	start = aml_pkg_begin(a);
	aml_byte(a, n);			/* NumElements */
	for (uint8_t i = 0; i < n; i++)
		aml_integer(a, v[i]);
	aml_pkg_end(a, start);
}

/* DefBuffer (20.2.5.4): Buffer (n) { bytes }. */
void aml_buffer(struct aml *a, const uint8_t *bytes, size_t n)
{
	size_t start;

	aml_byte(a, AML_BUFFER_OP);
	start = aml_pkg_begin(a);
	aml_integer(a, n);		/* BufferSize */
	aml_bytes(a, bytes, n);
	aml_pkg_end(a, start);
}

/* EISAID ("PNPdddd") (19.6.35): three letters packed 5 bits each (A=1) into a big-endian 16-bit
 * word, then the four hex digits as two bytes; emitted as a DWordConst. Our constants only. */
void aml_eisaid(struct aml *a, const char id[8])
{
	uint8_t b[4];
	uint16_t vendor = 0;

	for (int i = 0; i < 3; i++)
		vendor = (uint16_t)((vendor << 5) | ((id[i] - 'A' + 1) & 0x1f));
	b[0] = (uint8_t)(vendor >> 8);
	b[1] = (uint8_t)vendor;
	for (int i = 0; i < 2; i++) {
		uint8_t hi = (uint8_t)id[3 + 2 * i], lo = (uint8_t)id[4 + 2 * i];

		hi = (uint8_t)(hi <= '9' ? hi - '0' : hi - 'A' + 10);
		lo = (uint8_t)(lo <= '9' ? lo - '0' : lo - 'A' + 10);
		b[2 + i] = (uint8_t)((hi << 4) | lo);
	}
	aml_byte(a, AML_DWORD_PREFIX);
	aml_bytes(a, b, sizeof(b));
}

/* Resource descriptors for _CRS (6.4 Resource Data Types for ACPI). */
#define RES_IRQ_NO_FLAGS	0x22	/* 6.4.2.1 IRQ Descriptor, 2-byte form: edge, active high */
#define RES_IO			0x47	/* 6.4.2.5 I/O Port Descriptor */
#define RES_IO_DECODE16		0x01
#define RES_END_TAG		0x79	/* 6.4.2.9 End Tag; checksum 0 means "sums to 0" */

/* ResourceTemplate () { IO (Decode16, port, port, 1, nports) IRQNoFlags () {irq} } */
void aml_crs_io_irq(struct aml *a, uint16_t port, uint8_t nports, uint8_t irq)
{
	uint16_t mask = (uint16_t)(1u << irq);
	const uint8_t res[] = {
		RES_IO, RES_IO_DECODE16,
		(uint8_t)port, (uint8_t)(port >> 8),	/* range minimum */
		(uint8_t)port, (uint8_t)(port >> 8),	/* range maximum */
		1,					/* alignment */
		nports,					/* length */
		RES_IRQ_NO_FLAGS, (uint8_t)mask, (uint8_t)(mask >> 8),
		RES_END_TAG, 0,
	};

	aml_buffer(a, res, sizeof(res));
}

/* String (20.2.3): a NUL-terminated ASCII constant. Our constants only. */
void aml_string(struct aml *a, const char *str)
{
	aml_byte(a, AML_STRING_PREFIX);
	aml_bytes(a, str, strlen(str) + 1);
}

/* ResourceTemplate () { IO (Decode16, port, port, 1, nports) } */
void aml_crs_io(struct aml *a, uint16_t port, uint8_t nports)
{
	const uint8_t res[] = {
		RES_IO, RES_IO_DECODE16,
		(uint8_t)port, (uint8_t)(port >> 8),
		(uint8_t)port, (uint8_t)(port >> 8),
		1, nports,
		RES_END_TAG, 0,
	};

	aml_buffer(a, res, sizeof(res));
}

/* Address space descriptors (6.4.3.5): a PCI host bridge's bus range and
 * windows, produced (not consumed) by the bridge, min and max fixed. */
#define RES_DWORD_ADDR		0x87	/* 6.4.3.5.2 DWord Address Space Descriptor */
#define RES_WORD_ADDR		0x88	/* 6.4.3.5.3 Word Address Space Descriptor */
#define RES_TYPE_MEM		0
#define RES_TYPE_IO		1
#define RES_TYPE_BUS		2
#define RES_FLAGS_FIXED		0x0c	/* _MAF | _MIF, producer */
#define RES_IO_ENTIRE_RANGE	0x03
#define RES_MEM_RW		0x01

size_t aml_res_word_addr(uint8_t *p, uint8_t type, uint8_t tflags, uint16_t min, uint16_t max)
{
	uint16_t len = (uint16_t)(max - min + 1);
	const uint8_t d[] = {
		RES_WORD_ADDR, 13, 0, type, RES_FLAGS_FIXED, tflags,
		0, 0,					/* granularity */
		(uint8_t)min, (uint8_t)(min >> 8),
		(uint8_t)max, (uint8_t)(max >> 8),
		0, 0,					/* translation */
		(uint8_t)len, (uint8_t)(len >> 8),
	};

	memcpy(p, d, sizeof(d));
	return sizeof(d);
}

size_t aml_res_dword_mem(uint8_t *p, uint32_t min, uint32_t max)
{
	uint32_t len = max - min + 1;
	uint8_t d[26] = { RES_DWORD_ADDR, 23, 0, RES_TYPE_MEM, RES_FLAGS_FIXED, RES_MEM_RW };

	for (int i = 0; i < 4; i++) {
		d[10 + i] = (uint8_t)(min >> (8 * i));
		d[14 + i] = (uint8_t)(max >> (8 * i));
		d[22 + i] = (uint8_t)(len >> (8 * i));
	}
	memcpy(p, d, sizeof(d));
	return sizeof(d);
}

/* _CRS of the PCI root bridge: bus 0 only, the config ports, the I/O space
 * around them and the 32-bit MMIO window BARs are assigned from. Without
 * this device Linux, booted with ACPI, never scans the bus. */
void aml_crs_pci_root(struct aml *a)
{
	uint8_t res[16 * 4 + 8 + 26 + 2];
	size_t n = 0;
	const uint8_t cfg_io[] = {
		RES_IO, RES_IO_DECODE16, 0xf8, 0x0c, 0xf8, 0x0c, 1, 8,
	};

	n += aml_res_word_addr(res + n, RES_TYPE_BUS, 0, 0, 0);
	memcpy(res + n, cfg_io, sizeof(cfg_io));
	n += sizeof(cfg_io);
	n += aml_res_word_addr(res + n, RES_TYPE_IO, RES_IO_ENTIRE_RANGE, 0x0000, 0x0cf7);
	n += aml_res_word_addr(res + n, RES_TYPE_IO, RES_IO_ENTIRE_RANGE, 0x0d00, 0xffff);
	n += aml_res_dword_mem(res + n, (uint32_t)LAYOUT_PCI_MMIO_START,
			   (uint32_t)(LAYOUT_PCI_MMIO_END - 1));
	res[n++] = RES_END_TAG;
	res[n++] = 0;
	aml_buffer(a, res, n);
}

/* DefDevice (20.2.5.2): Device (path) { ... } is aml_device_begin(), the body, aml_device_end(). */
size_t aml_device_begin(struct aml *a, const char *path)
{
	size_t start;

	aml_byte(a, AML_EXT_OP_PREFIX);
	aml_byte(a, AML_DEVICE_OP);
	start = aml_pkg_begin(a);
	aml_namestring(a, path);
	return start;
}

void aml_device_end(struct aml *a, size_t start)
{
	aml_pkg_end(a, start);
}