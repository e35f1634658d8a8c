#include "vmm/vm.h"

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/sysinfo.h>
#include <time.h>
#include <unistd.h>

#include "arch/x86/acpi.h"
#include "arch/x86/boot.h"
#include "arch/x86/cpuid.h"
#include "arch/x86/cpu_setup.h"
#include "arch/x86/layout.h"
#include "util/file.h"
#include "util/log.h"
#include "vmm/console.h"
#include "vmm/exit_status.h"
#include "vmm/mem_kvm.h"
#include "vmm/virtio_devices.h"

void vm_request_stop(struct vm *vm, int status, const char *fmt, ...)
{
	int expected = 0;
	va_list ap;

	if (!atomic_compare_exchange_strong(&vm->stopping, &expected, 1))
		return;
	vm->exit_status = status;
	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(vm->stop_msg, sizeof(vm->stop_msg), fmt, ap);
		va_end(ap);
	}
	if (eventfd_write(vm->stop_efd, 1) < 0)
		vm->exit_status = status; /* the loop also polls `stopping` */
}

void vm_report_startup(struct vm *vm)
{
	const char *t0 = getenv("SKIFF_BENCH_T0_NS");
	struct timespec now;
	struct rusage ru;
	long long wall_ns;

	(void)vm;
	if (!t0 || clock_gettime(CLOCK_MONOTONIC, &now) < 0 || getrusage(RUSAGE_SELF, &ru) < 0)
		return;
	wall_ns = (long long)now.tv_sec * 1000000000LL + now.tv_nsec - atoll(t0);
	fprintf(stderr, "skiff-startup: wall_us=%lld cpu_us=%lld\n", wall_ns / 1000,
		(long long)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000LL +
		ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}

static void platform_event(void *ctx, enum platform_event ev)
{
	struct vm *vm = ctx;

	switch (ev) {
	case PLATFORM_POWEROFF:
	case PLATFORM_RESET:
		vm_request_stop(vm, EXIT_GUEST_DONE, NULL);
		break;
	case PLATFORM_PANIC:
		vm_request_stop(vm, EXIT_GUEST_PANIC, "guest kernel panicked (pvpanic)");
		break;
	}
}

static int irq_set(void *ctx, unsigned int gsi, int level)
{
	struct vm *vm = ctx;

	return kvm_vm_irq_line(vm->fd, gsi, level);
}

static const char *file_error(int r)
{
	switch (r) {
	case -ENODATA: return "file is empty";
	case -EISDIR: return "is a directory";
	case -EINVAL: return "not a regular file";
	default: return strerror(-r);
	}
}

/* Refuse RAM the host cannot back: MAP_NORESERVE would let an absurd size
 * map and then fail at the first touch, deep inside the guest. */
static int check_host_memory(uint64_t size)
{
	struct sysinfo si;
	uint64_t host;

	if (sysinfo(&si) < 0)
		return 0;
	host = ((uint64_t)si.totalram + si.totalswap) * si.mem_unit;
	if (size > host) {
		log_error("--memory %lluM: more than this host has (%llu MiB of RAM and swap)",
			  (unsigned long long)(size >> 20), (unsigned long long)(host >> 20));
		return -ENOMEM;
	}
	return 0;
}

static int setup_kvm(struct vm *vm)
{
	static const struct { long cap; const char *name; } needed[] = {
		{ KVM_CAP_IRQCHIP, "in-kernel irqchip" },
		{ KVM_CAP_PIT2, "in-kernel PIT" },
		{ KVM_CAP_USER_MEMORY, "user memory" },
		{ KVM_CAP_SET_TSS_ADDR, "TSS address" },
		{ KVM_CAP_EXT_CPUID, "CPUID2" },
		{ KVM_CAP_IMMEDIATE_EXIT, "immediate exit" },
	};
	int r, max;

	r = kvm_sys_open(&vm->kvm);
	if (r < 0) {
		log_error("/dev/kvm is not usable: %s", r == -EPROTO ? "unexpected KVM API version"
			  : strerror(-r));
		return r;
	}
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (kvm_sys_check_cap(&vm->kvm, needed[i].cap) <= 0) {
			log_error("KVM lacks a capability skiff needs: %s", needed[i].name);
			return -ENOTSUP;
		}
	}
	max = kvm_sys_check_cap(&vm->kvm, KVM_CAP_MAX_VCPUS);
	if (max <= 0)
		max = kvm_sys_check_cap(&vm->kvm, KVM_CAP_NR_VCPUS);
	if (max > 0 && vm->nvcpus > (unsigned int)max) {
		log_error("--cpus %u: this host's KVM allows at most %d", vm->nvcpus, max);
		return -EINVAL;
	}
	r = kvm_vm_create(&vm->kvm);
	if (r < 0) {
		log_error("KVM_CREATE_VM failed: %s", strerror(-r));
		return r;
	}
	vm->fd = r;
	/* Order matters: the TSS and identity map (VMX only, harmless on SVM)
	 * before any vCPU, the irqchip before the PIT (api.rst 4.24, 4.71). */
	if ((r = kvm_vm_set_tss_addr(vm->fd, LAYOUT_TSS)) < 0 ||
	    (r = kvm_vm_set_identity_map_addr(vm->fd, LAYOUT_IDENTITY_MAP)) < 0 ||
	    (r = kvm_vm_create_irqchip(vm->fd)) < 0 ||
	    (r = kvm_vm_create_pit2(vm->fd)) < 0) {
		log_error("setting up the KVM VM failed: %s", strerror(-r));
		return r;
	}
	return 0;
}

static int setup_memory(struct vm *vm)
{
	int r = guest_mem_init(&vm->mem, vm->cfg->mem_size, LAYOUT_HOLE_START, LAYOUT_HOLE_END);

	if (r < 0) {
		log_error("--memory %lluM: cannot map guest RAM: %s",
			  (unsigned long long)(vm->cfg->mem_size >> 20), strerror(-r));
		return r;
	}
	/* Every region, now and later, becomes a KVM memslot through the
	 * listener (vmm/mem_kvm.h). */
	r = mem_kvm_attach(&vm->mem, vm->fd);
	if (r < 0) {
		log_error("KVM_SET_USER_MEMORY_REGION for %lluM of guest RAM failed: %s",
			  (unsigned long long)(vm->cfg->mem_size >> 20), strerror(-r));
		return r;
	}
	return 0;
}

static int setup_devices(struct vm *vm, int console_out_fd)
{
	struct platform_hooks hooks = { .event = platform_event, .ctx = vm };
	struct irq_line com1 = { .set = irq_set, .ctx = vm, .gsi = LAYOUT_IRQ_COM1 };
	int r;

	serial_init(&vm->serial, console_out_fd, com1);
	vm->i8042.hooks = hooks;
	vm->acpi_pm.hooks = hooks;
	vm->pvpanic.hooks = hooks;
	pthread_mutex_init(&vm->rtc.lock, NULL);

	if ((r = io_bus_init(&vm->pio)) || (r = io_bus_init(&vm->mmio)) ||
	    (r = io_bus_register(&vm->pio, LAYOUT_PORT_COM1, 8, &serial_ops, &vm->serial)) ||
	    (r = io_bus_register(&vm->pio, LAYOUT_PORT_I8042, I8042_PORT_SPAN,
				 &legacy_i8042_ops, &vm->i8042)) ||
	    (r = io_bus_register(&vm->pio, LAYOUT_PORT_RTC, 2, &legacy_rtc_ops, &vm->rtc)) ||
	    (r = io_bus_register(&vm->pio, LAYOUT_PORT_PM, ACPI_PM_PORT_SPAN,
				 &legacy_acpi_pm_ops, &vm->acpi_pm)) ||
	    (r = io_bus_register(&vm->pio, LAYOUT_PORT_PVPANIC, 1,
				 &legacy_pvpanic_ops, &vm->pvpanic))) {
		log_error("registering legacy devices failed: %s", strerror(-r));
		return r;
	}
	return 0;
}

/* PCI bus 0 behind ports 0xCF8/0xCFC, its BARs on the buses, and the GSI
 * routing its devices' MSI-X vectors use. Devices plug in after this. */
static int setup_pci(struct vm *vm)
{
	int r;

	if (kvm_vm_check_cap(vm->fd, KVM_CAP_IRQ_ROUTING) <= 0 ||
	    kvm_vm_check_cap(vm->fd, KVM_CAP_IRQFD) <= 0) {
		log_error("KVM lacks a capability skiff needs: GSI routing and irqfd (MSI-X)");
		return -ENOTSUP;
	}
	r = gsi_router_init(&vm->gsi, &gsi_kvm_backend, &vm->fd);
	if (r == 0)
		r = pci_bus_init(&vm->pci, &vm->pio, &vm->mmio, LAYOUT_PCI_MMIO_START,
				 LAYOUT_PCI_MMIO_END - LAYOUT_PCI_MMIO_START,
				 LAYOUT_PCI_IO_START, LAYOUT_PCI_IO_END - LAYOUT_PCI_IO_START);
	if (r == 0)
		r = io_bus_register(&vm->pio, LAYOUT_PORT_PCI_CONFIG, PCI_HOST_PORT_LEN,
				    &pci_host_ops, &vm->pci);
	if (r < 0)
		log_error("setting up the PCI bus failed: %s", strerror(-r));
	return r;
}

static int setup_acpi(struct vm *vm, uint64_t *rsdp)
{
	struct acpi_config acfg = {
		.ncpus = vm->nvcpus,
		.ioapic_gpa = LAYOUT_IOAPIC,
		.ioapic_id = (uint8_t)vm->nvcpus,
		.sleep_ctl_port = LAYOUT_PORT_PM + ACPI_PM_SLEEP_CTL,
		.sleep_sts_port = LAYOUT_PORT_PM + ACPI_PM_SLEEP_STS,
		.reset_port = LAYOUT_PORT_PM + ACPI_PM_RESET,
		.reset_value = ACPI_PM_RESET_VALUE,
	};
	uint64_t len = LAYOUT_BIOS_END - LAYOUT_BIOS_START;
	void *buf = guest_mem_ptr(&vm->mem, LAYOUT_BIOS_START, len);
	int r = buf ? acpi_build_tables(buf, len, LAYOUT_BIOS_START, &acfg, rsdp) : -EFAULT;

	if (r < 0)
		log_error("building ACPI tables failed: %s", strerror(-r));
	return r;
}

/* Map the kernel and initrd and check them before any KVM work, so a bad
 * file costs nothing and is reported as a configuration error. */
static int open_inputs(const struct vm_config *cfg, struct file_map *kernel,
		       struct file_map *initrd)
{
	struct bzimage_info info;
	const char *why;
	int r;

	r = file_map_open(cfg->kernel_path, kernel);
	if (r < 0) {
		log_error("--kernel %s: %s", cfg->kernel_path, file_error(r));
		return r;
	}
	r = bzimage_parse(kernel->data, kernel->len, &info, &why);
	if (r < 0) {
		log_error("--kernel %s: %s", cfg->kernel_path, why);
		return r;
	}
	if (strlen(cfg->cmdline) > info.cmdline_size) {
		log_error("--cmdline: %zu bytes, this kernel takes at most %u",
			  strlen(cfg->cmdline), info.cmdline_size);
		return -E2BIG;
	}
	if (cfg->initrd_path) {
		r = file_map_open(cfg->initrd_path, initrd);
		if (r < 0) {
			log_error("--initrd %s: %s", cfg->initrd_path, file_error(r));
			return r;
		}
	}
	return 0;
}

static int load_guest(struct vm *vm, const struct file_map *kernel,
		      const struct file_map *initrd, uint64_t *entry)
{
	struct boot_input in = {
		.kernel = kernel->data,
		.kernel_len = kernel->len,
		.initrd = initrd->data,
		.initrd_len = initrd->len,
		.cmdline = vm->cfg->cmdline,
	};
	const char *why = NULL;
	int r;

	r = setup_acpi(vm, &in.rsdp_gpa);
	if (r < 0)
		return r;
	r = boot_install_reset_stub(&vm->mem, LAYOUT_PORT_PM + ACPI_PM_RESET, ACPI_PM_RESET_VALUE);
	if (r == 0)
		r = cpu_setup_boot_tables(&vm->mem);
	if (r < 0) {
		log_error("guest RAM too small for the boot page tables");
		return r;
	}
	r = boot_load_linux(&vm->mem, &in, entry, &why);
	if (r < 0)
		log_error("loading the guest failed: %s (--memory %lluM)", why,
			  (unsigned long long)(vm->cfg->mem_size >> 20));
	return r;
}

static int setup_vcpus(struct vm *vm, uint64_t entry)
{
	struct kvm_cpuid2 *cpuid;
	int r;

	r = kvm_sys_supported_cpuid(&vm->kvm, &cpuid);
	if (r < 0) {
		log_error("KVM_GET_SUPPORTED_CPUID failed: %s", strerror(-r));
		return r;
	}
	if (kvm_vm_check_cap(vm->fd, KVM_CAP_TSC_DEADLINE_TIMER) > 0)
		cpuid_set_tsc_deadline(cpuid);
	vm->vcpus = calloc(vm->nvcpus, sizeof(*vm->vcpus));
	if (!vm->vcpus) {
		free(cpuid);
		return -ENOMEM;
	}
	for (unsigned int i = 0; i < vm->nvcpus; i++)
		vm->vcpus[i].fd = -1;
	for (unsigned int i = 0; i < vm->nvcpus; i++) {
		r = vcpu_create(vm, &vm->vcpus[i], i, cpuid, entry);
		if (r < 0) {
			log_error("creating vCPU %u failed: %s", i, strerror(-r));
			break;
		}
	}
	free(cpuid);
	return r;
}

static void teardown(struct vm *vm)
{
	if (vm->vcpus) {
		for (unsigned int i = 0; i < vm->nvcpus; i++)
			vcpu_stop(&vm->vcpus[i]);
		for (unsigned int i = 0; i < vm->nvcpus; i++)
			if (vm->vcpus[i].vm)
				vcpu_destroy(&vm->vcpus[i]);
		free(vm->vcpus);
	}
	/* The bus walks its devices to unmap their BARs: before they go. */
	if (vm->pci.pio)
		pci_bus_destroy(&vm->pci);
	if (vm->virtio) {
		vm_virtio_teardown(vm->virtio);
		free(vm->virtio);
	}
	if (vm->gsi.ops)
		gsi_router_destroy(&vm->gsi);
	io_bus_destroy(&vm->pio);
	io_bus_destroy(&vm->mmio);
	serial_destroy(&vm->serial);
	pthread_mutex_destroy(&vm->rtc.lock);
	guest_mem_destroy(&vm->mem);
	event_loop_destroy(&vm->loop);
	if (vm->stop_efd >= 0)
		close(vm->stop_efd);
	if (vm->fd >= 0)
		close(vm->fd);
	kvm_sys_close(&vm->kvm);
}

/* Block the signals the main thread handles through its signalfd (and the
 * vCPU kick) before any thread exists, so every thread inherits the mask. */
static void block_signals(sigset_t *term)
{
	sigset_t all;

	sigemptyset(term);
	sigaddset(term, SIGINT);
	sigaddset(term, SIGTERM);
	sigaddset(term, SIGHUP);
	sigaddset(term, SIGQUIT);
	all = *term;
	sigaddset(&all, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &all, NULL);
	signal(SIGPIPE, SIG_IGN); /* a closed console output is counted, not fatal */
}

/* The UART takes what its receive FIFO has room for, once the driver listens. */
static size_t serial_sink_receive(void *ctx, const uint8_t *buf, size_t len)
{
	struct serial *s = ctx;
	size_t room = serial_rx_room(s);

	return serial_receive(s, buf, len < room ? len : room);
}

static size_t virtio_sink_receive(void *ctx, const uint8_t *buf, size_t len)
{
	return virtio_console_receive(ctx, buf, len);
}

/* Input goes to the guest's console device, which says when it has room. */
static struct console_sink console_sink(struct vm *vm, struct console *console)
{
	if (vm->virtio->has_console) {
		vm->virtio->console.rx_room = console_room;
		vm->virtio->console.rx_room_ctx = console;
		return (struct console_sink){ .receive = virtio_sink_receive,
					      .ctx = &vm->virtio->console };
	}
	vm->serial.rx_room = console_room;
	vm->serial.rx_room_ctx = console;
	return (struct console_sink){ .receive = serial_sink_receive, .ctx = &vm->serial };
}

static int start_vcpus(struct vm *vm)
{
	for (unsigned int i = 0; i < vm->nvcpus; i++) {
		int r = vcpu_start(&vm->vcpus[i]);

		if (r < 0) {
			log_error("starting vCPU %u failed: %s", i, strerror(-r));
			return r;
		}
	}
	return 0;
}

int vm_run(const struct vm_config *cfg)
{
	struct vm *vm = calloc(1, sizeof(*vm));
	struct file_map kernel = { 0 }, initrd = { 0 };
	struct console console;
	uint64_t entry = 0;
	sigset_t term;
	int status = EXIT_CONFIG;
	bool stuck = false;

	if (!vm)
		return EXIT_HOST;
	vm->cfg = cfg;
	vm->nvcpus = cfg->ncpus;
	vm->fd = vm->kvm.fd = vm->stop_efd = vm->loop.epfd = -1;

	if (open_inputs(cfg, &kernel, &initrd) < 0 || check_host_memory(cfg->mem_size) < 0)
		goto out;
	block_signals(&term);
	status = EXIT_HOST;
	vm->stop_efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_efd < 0 || event_loop_init(&vm->loop) < 0) {
		log_error("creating the event loop failed: %s", strerror(errno));
		goto out;
	}
	if (setup_kvm(vm) < 0)
		goto out;
	if (setup_memory(vm) < 0 || setup_devices(vm, STDOUT_FILENO) < 0 || setup_pci(vm) < 0)
		goto out;
	vm->virtio = calloc(1, sizeof(*vm->virtio));
	if (!vm->virtio)
		goto out;
	if (vm_virtio_setup(vm, vm->virtio) < 0) {
		status = EXIT_CONFIG;
		goto out;
	}
	if (load_guest(vm, &kernel, &initrd, &entry) < 0) {
		status = EXIT_CONFIG;
		goto out;
	}
	/* The guest has its copy: drop the files' pages from skiff's footprint. */
	file_map_close(&kernel);
	file_map_close(&initrd);
	if (setup_vcpus(vm, entry) < 0)
		goto out;
	if (console_start(&console, vm, &term, console_sink(vm, &console)) < 0)
		goto out;
	if (start_vcpus(vm) < 0)
		vm_request_stop(vm, EXIT_HOST, NULL);
	while (!atomic_load(&vm->stopping)) {
		if (event_loop_run_once(&vm->loop, -1) < 0) {
			vm_request_stop(vm, EXIT_HOST, "event loop failed: %s", strerror(errno));
			break;
		}
	}
	/* vCPUs first, so nothing writes to the terminal once it is restored. */
	for (unsigned int i = 0; i < vm->nvcpus; i++) {
		struct kvm_regs regs;

		if (vcpu_stop(&vm->vcpus[i]) < 0) {
			stuck = true;
			log_error("vCPU %u did not stop (stuck in KVM_RUN or a device call)", i);
			continue;
		}
		if (kvm_vcpu_get_regs(vm->vcpus[i].fd, &regs) == 0)
			log_debug("vCPU %u stopped at RIP %#llx", i, (unsigned long long)regs.rip);
	}
	console_stop(&console);
	status = vm->exit_status;
	if (vm->stop_msg[0])
		log_error("%s", vm->stop_msg);
	if (stuck) {
		/* A live vCPU thread still uses guest memory and the devices:
		 * leave everything to the process exit. A stop that was meant
		 * to be clean becomes a host failure. */
		fflush(NULL);
		_exit(status == EXIT_GUEST_DONE ? EXIT_HOST : status);
	}
out:
	teardown(vm);
	file_map_close(&kernel);
	file_map_close(&initrd);
	free(vm);
	return status;
}
