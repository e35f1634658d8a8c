/* config: one VM's configuration, produced by cli/ (later api/) and consumed by
 * vmm_run(). Plain data: no file is opened and nothing is checked against the
 * host here beyond syntax and ranges. */
#ifndef SKIFF_VMM_CONFIG_H
#define SKIFF_VMM_CONFIG_H

#include <stdint.h>

#define VM_CONFIG_MAX_CPUS 64
#define VM_CONFIG_DEFAULT_MEM (512ULL << 20)
/* The default guest console is the UART; panic=-1 reboots at once so a
 * panicking guest without pvpanic still ends skiff instead of hanging. */
#define VM_CONFIG_DEFAULT_CMDLINE "console=ttyS0 panic=-1 quiet"

struct vm_config {
	const char *kernel_path;
	const char *initrd_path;   /* NULL: none */
	const char *cmdline;
	unsigned int ncpus;        /* 1..VM_CONFIG_MAX_CPUS */
	uint64_t mem_size;         /* bytes, multiple of 4 KiB */
};

#endif
