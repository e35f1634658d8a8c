/* One thread per vCPU: KVM_RUN and the exits that must be handled
 * synchronously (port I/O and MMIO dispatch); everything else is the event
 * loop's. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "arch/x86/cpu_setup.h"
#include "arch/x86/cpuid.h"
#include "arch/x86/layout.h"
#include "vmm/exit_status.h"
#include "vmm/vm.h"

/* The signal that kicks a vCPU out of KVM_RUN (api.rst 5, immediate_exit). */
#define VCPU_KICK_SIGNAL SIGUSR1
/* How long vcpu_stop() waits for a thread: 20 kicks 100 ms apart. */
#define VCPU_STOP_TICKS 20
#define VCPU_STOP_TICK_NS 100000000L

static void kick_handler(int sig)
{
	(void)sig;
}

static int set_boot_msrs(int vcpu_fd)
{
	struct kvm_msrs *m = calloc(1, sizeof(*m) + CPU_SETUP_BOOT_MSRS * sizeof(m->entries[0]));
	int r;

	if (!m)
		return -ENOMEM;
	m->nmsrs = CPU_SETUP_BOOT_MSRS;
	cpu_setup_boot_msrs(m->entries);
	r = kvm_vcpu_set_msrs(vcpu_fd, m);
	free(m);
	return r;
}

int vcpu_create(struct vm *vm, struct vcpu *vcpu, unsigned int id,
		const struct kvm_cpuid2 *cpuid, uint64_t entry)
{
	struct kvm_cpuid2 *c = cpuid_dup(cpuid);
	int r;

	memset(vcpu, 0, sizeof(*vcpu));
	vcpu->vm = vm;
	vcpu->id = id;
	vcpu->fd = -1;
	if (!c)
		return -ENOMEM;
	r = kvm_vcpu_create(vm->fd, id);
	if (r < 0)
		goto out;
	vcpu->fd = r;
	vcpu->run = kvm_vcpu_map_run(&vm->kvm, vcpu->fd);
	if (!vcpu->run) {
		r = -errno;
		goto out;
	}
	cpuid_adjust(c, id, vm->nvcpus);
	r = kvm_vcpu_set_cpuid(vcpu->fd, c);
	/* Every vCPU: INIT keeps both MSRs (SDM 3A table 10-1; KVM's
	 * kvm_vcpu_reset with init_event), so the APs start with them too. */
	if (r == 0)
		r = set_boot_msrs(vcpu->fd);
	if (r < 0 || id != 0)
		goto out; /* APs wait in KVM for INIT/SIPI from the BSP */

	struct kvm_sregs sregs;
	struct kvm_regs regs;

	r = kvm_vcpu_get_sregs(vcpu->fd, &sregs);
	if (r == 0) {
		cpu_setup_long_mode(&sregs, &regs, entry, LAYOUT_ZERO_PAGE);
		r = kvm_vcpu_set_sregs(vcpu->fd, &sregs);
	}
	if (r == 0)
		r = kvm_vcpu_set_regs(vcpu->fd, &regs);
out:
	free(c);
	return r;
}

static uint64_t vcpu_rip(const struct vcpu *vcpu)
{
	struct kvm_regs regs;

	return kvm_vcpu_get_regs(vcpu->fd, &regs) == 0 ? regs.rip : 0;
}

static void handle_io(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	uint8_t *data = (uint8_t *)run + run->io.data_offset;

	/* String I/O (rep outsb) arrives as count back-to-back items. */
	for (uint32_t i = 0; i < run->io.count; i++, data += run->io.size) {
		if (run->io.direction == KVM_EXIT_IO_OUT)
			io_bus_write(&vcpu->vm->pio, run->io.port, data, run->io.size);
		else
			io_bus_read(&vcpu->vm->pio, run->io.port, data, run->io.size);
	}
}

static void handle_mmio(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	if (run->mmio.len > sizeof(run->mmio.data))
		return;
	if (run->mmio.is_write)
		io_bus_write(&vcpu->vm->mmio, run->mmio.phys_addr, run->mmio.data, run->mmio.len);
	else
		io_bus_read(&vcpu->vm->mmio, run->mmio.phys_addr, run->mmio.data, run->mmio.len);
}

static void handle_system_event(struct vcpu *vcpu)
{
	switch (vcpu->run->system_event.type) {
	case KVM_SYSTEM_EVENT_SHUTDOWN:
	case KVM_SYSTEM_EVENT_RESET:
		vm_request_stop(vcpu->vm, EXIT_GUEST_DONE, NULL);
		break;
	case KVM_SYSTEM_EVENT_CRASH:
		vm_request_stop(vcpu->vm, EXIT_GUEST_PANIC, "guest crashed (vCPU %u)", vcpu->id);
		break;
	default:
		break;
	}
}

/* Handle one exit; returns 0 to keep running, 1 when the VM must stop. */
static int handle_exit(struct vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;

	switch (run->exit_reason) {
	case KVM_EXIT_IO:
		handle_io(vcpu);
		return 0;
	case KVM_EXIT_MMIO:
		handle_mmio(vcpu);
		return 0;
	case KVM_EXIT_INTR:
		return 0;
	case KVM_EXIT_SYSTEM_EVENT:
		handle_system_event(vcpu);
		return 1;
	case KVM_EXIT_SHUTDOWN:
		vm_request_stop(vcpu->vm, EXIT_TRIPLE_FAULT,
				"guest triple fault: vCPU %u shut down at RIP %#llx",
				vcpu->id, (unsigned long long)vcpu_rip(vcpu));
		return 1;
	case KVM_EXIT_FAIL_ENTRY:
		vm_request_stop(vcpu->vm, EXIT_ENTRY_FAILED,
				"VM entry failed on vCPU %u (hardware reason %#llx) at RIP %#llx",
				vcpu->id,
				(unsigned long long)run->fail_entry.hardware_entry_failure_reason,
				(unsigned long long)vcpu_rip(vcpu));
		return 1;
	case KVM_EXIT_INTERNAL_ERROR:
		vm_request_stop(vcpu->vm, EXIT_KVM_INTERNAL,
				"KVM internal error %u on vCPU %u at RIP %#llx",
				run->internal.suberror, vcpu->id,
				(unsigned long long)vcpu_rip(vcpu));
		return 1;
	default:
		vm_request_stop(vcpu->vm, EXIT_HOST,
				"unexpected KVM exit reason %u on vCPU %u at RIP %#llx",
				run->exit_reason, vcpu->id, (unsigned long long)vcpu_rip(vcpu));
		return 1;
	}
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *vcpu = arg;
	struct vm *vm = vcpu->vm;
	sigset_t set;

	/* Only the kick signal reaches this thread; the main thread takes the
	 * others through its signalfd. */
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	if (vcpu->id == 0)
		vm_report_startup(vm);
	while (!atomic_load(&vm->stopping)) {
		int r = kvm_vcpu_run(vcpu->fd);

		if (r == -EINTR || r == -EAGAIN) {
			vcpu->run->immediate_exit = 0;
			continue;
		}
		if (r < 0) {
			vm_request_stop(vm, EXIT_HOST, "vCPU %u: KVM_RUN failed: %s",
					vcpu->id, strerror(-r));
			break;
		}
		if (handle_exit(vcpu))
			break;
	}
	return NULL;
}

int vcpu_start(struct vcpu *vcpu)
{
	struct sigaction sa = { .sa_handler = kick_handler };
	char name[16];
	int r;

	sigemptyset(&sa.sa_mask);
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL); /* no SA_RESTART: KVM_RUN returns EINTR */
	r = pthread_create(&vcpu->thread, NULL, vcpu_thread, vcpu);
	if (r != 0)
		return -r;
	/* Named as ps, top and perf show it (QEMU: "CPU 0/KVM", Firecracker:
	 * "fc_vcpu 0"), so a user can find, pin or profile a vCPU thread. A
	 * name is at most 15 bytes (prctl(2) PR_SET_NAME): advice only. */
	snprintf(name, sizeof(name), "vcpu %u", vcpu->id);
	pthread_setname_np(vcpu->thread, name);
	vcpu->thread_started = 1;
	return 0;
}

int vcpu_stop(struct vcpu *vcpu)
{
	if (!vcpu->thread_started)
		return 0;
	/* immediate_exit covers a kick that lands just before KVM_RUN. */
	vcpu->run->immediate_exit = 1;
	/* Kick again every tick: a kick can be spent on a KVM_RUN the thread
	 * was already leaving. A thread still there after the last one is
	 * stuck (in the host kernel, or in a device call that never returns)
	 * and joining it would hang skiff with it. */
	for (unsigned int tick = 0; tick < VCPU_STOP_TICKS; tick++) {
		struct timespec deadline;

		pthread_kill(vcpu->thread, VCPU_KICK_SIGNAL);
		clock_gettime(CLOCK_REALTIME, &deadline);
		deadline.tv_nsec += VCPU_STOP_TICK_NS;
		if (deadline.tv_nsec >= 1000000000L) {
			deadline.tv_sec++;
			deadline.tv_nsec -= 1000000000L;
		}
		if (pthread_timedjoin_np(vcpu->thread, NULL, &deadline) == 0) {
			vcpu->thread_started = 0;
			return 0;
		}
	}
	return -ETIMEDOUT;
}

void vcpu_destroy(struct vcpu *vcpu)
{
	if (vcpu->run)
		kvm_vcpu_unmap_run(&vcpu->vm->kvm, vcpu->run);
	if (vcpu->fd >= 0)
		close(vcpu->fd);
	vcpu->run = NULL;
	vcpu->fd = -1;
}
