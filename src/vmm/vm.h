/* vm: one microVM's lifecycle. vm_run() builds the machine from a
 * configuration (memory, irqchip, devices, vCPUs), runs it until the guest
 * powers off or something fails, tears it down and returns skiff's exit
 * status (vmm/exit_status.h). */
#ifndef SKIFF_VMM_VM_H
#define SKIFF_VMM_VM_H

#include <pthread.h>
#include <stdatomic.h>

#include "arch/x86/legacy.h"
#include "arch/x86/serial.h"
#include "bus/gsi.h"
#include "bus/io_bus.h"
#include "bus/pci.h"
#include "kvm/kvm.h"
#include "mem/guest_mem.h"
#include "util/event_loop.h"
#include "vmm/config.h"

struct vm;
struct vm_virtio;

struct vcpu {
	struct vm *vm;
	unsigned int id;
	int fd;
	struct kvm_run *run;
	pthread_t thread;
	int thread_started;
};

struct vm {
	const struct vm_config *cfg;
	struct kvm_sys kvm;
	int fd;
	struct guest_mem mem;
	struct io_bus pio;
	struct io_bus mmio;
	struct event_loop loop;

	struct serial serial;
	struct legacy_i8042 i8042;
	struct legacy_rtc rtc;
	struct legacy_acpi_pm acpi_pm;
	struct legacy_pvpanic pvpanic;

	struct gsi_router gsi;     /* MSI routes and irqfds (bus/gsi.h) */
	struct pci_bus pci;        /* bus 0 behind 0xCF8/0xCFC (bus/pci.h) */
	struct vm_virtio *virtio;  /* virtio devices (vmm/virtio_devices.h) */

	struct vcpu *vcpus;
	unsigned int nvcpus;

	/* Stop protocol: the first vm_request_stop() wins, records the status
	 * and message and wakes the main thread through stop_efd. */
	atomic_int stopping;
	int exit_status;
	char stop_msg[256];
	int stop_efd;
};

/* Build and run the VM described by cfg; returns an exit_status. */
int vm_run(const struct vm_config *cfg);

/* Ask the VM to stop with status; msg (may be NULL) is printed once as
 * "skiff: <msg>" by the main thread. Safe from any thread; later calls are
 * ignored. */
void vm_request_stop(struct vm *vm, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* For bench/: when SKIFF_BENCH_T0_NS (CLOCK_MONOTONIC ns taken just before
 * exec) is set, print "skiff-startup: wall_us=N cpu_us=N" to stderr: time
 * and process CPU time from exec to the first KVM_RUN. Called once, by vCPU
 * 0, right before it enters the guest. */
void vm_report_startup(struct vm *vm);

/* vCPU threads (vmm/vcpu.c). */
int vcpu_create(struct vm *vm, struct vcpu *vcpu, unsigned int id,
		const struct kvm_cpuid2 *cpuid, uint64_t entry);
int vcpu_start(struct vcpu *vcpu);
/* Make a running vCPU leave KVM_RUN and its thread end; then join it.
 * 0, or -ETIMEDOUT when the thread did not end within 2 s of kicks (it
 * still runs: its vCPU and guest memory must then be left alone). */
int vcpu_stop(struct vcpu *vcpu);
void vcpu_destroy(struct vcpu *vcpu);

#endif
