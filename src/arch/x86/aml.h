/* aml: an encoder for the ACPI Machine Language (ACPI 6.5 chapter 20) and
 * the resource descriptors of _CRS (6.4), enough for skiff's DSDT: names,
 * integers, strings, packages, buffers, devices, EISA ids. Writes into a
 * bounded sink that can also just count, so a table is sized before it is
 * written. Our own constants only: nothing here parses guest input. */
#ifndef SKIFF_ARCH_X86_AML_H
#define SKIFF_ARCH_X86_AML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A sink for AML bytes. With p NULL it only counts, which sizes the DSDT before anything is
 * written; with p set it never writes at or past p + cap and sets err instead. */
struct aml {
	uint8_t *p;
	size_t cap;
	size_t len;
	bool err;
};

void aml_bytes(struct aml *a, const void *src, size_t n);
void aml_byte(struct aml *a, uint8_t b);
void aml_integer(struct aml *a, uint64_t v);
void aml_namestring(struct aml *a, const char *path);
size_t aml_pkg_begin(const struct aml *a);
void aml_pkg_end(struct aml *a, size_t start);
void aml_name(struct aml *a, const char *path);
void aml_package_of_integers(struct aml *a, const uint64_t *v, uint8_t n);
void aml_buffer(struct aml *a, const uint8_t *bytes, size_t n);
void aml_eisaid(struct aml *a, const char id[8]);
void aml_crs_io_irq(struct aml *a, uint16_t port, uint8_t nports, uint8_t irq);
void aml_string(struct aml *a, const char *str);
void aml_crs_io(struct aml *a, uint16_t port, uint8_t nports);
size_t aml_res_word_addr(uint8_t *p, uint8_t type, uint8_t tflags, uint16_t min, uint16_t max);
size_t aml_res_dword_mem(uint8_t *p, uint32_t min, uint32_t max);
void aml_crs_pci_root(struct aml *a);
size_t aml_device_begin(struct aml *a, const char *path);
void aml_device_end(struct aml *a, size_t start);

#endif
