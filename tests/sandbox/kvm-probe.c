/* kvm-probe: exit 0 when /dev/kvm is usable for real guests here, 1 when not
 * (with one line saying why). Usable means: it opens, KVM_GET_API_VERSION is
 * 12 (api.rst 4.1), and a tiny real-mode guest runs 16 million loop iterations
 * within two seconds. The last check matters: some hosts expose a /dev/kvm
 * that answers every ioctl yet runs guest code thousands of times too slowly
 * to boot Linux (DESIGN.md, "This environment"). */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define GUEST_MEM 0x10000
#define CODE_AT 0x1000
#define DONE_PORT 0x10

static void on_alarm(int sig)
{
	(void)sig;
}

static int fail(const char *why)
{
	printf("kvm-probe: /dev/kvm not usable: %s\n", why);
	return 1;
}

int main(void)
{
	/* mov cx,0x4000; l1: mov dx,1024; l2: dec dx; jnz l2; loop l1; out 0x10,al; hlt
	 * = 0x4000 * 1024 = 16 Mi iterations, some 10 ms on real hardware. */
	static const unsigned char code[] = {
		0xb9, 0x00, 0x40, 0xba, 0x00, 0x04, 0x4a, 0x75, 0xfd, 0xe2, 0xf8,
		0xe6, DONE_PORT, 0xf4,
	};
	struct sigaction sa = { .sa_handler = on_alarm };
	struct kvm_userspace_memory_region region = { 0 };
	struct kvm_regs regs = { .rip = CODE_AT, .rflags = 2 };
	struct kvm_sregs sregs;
	struct kvm_run *run;
	unsigned char *mem;
	int kvm, vm, vcpu, size;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail(strerror(errno));
	if (ioctl(kvm, KVM_GET_API_VERSION, 0) != KVM_API_VERSION)
		return fail("unexpected KVM API version");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	mem = mmap(NULL, GUEST_MEM, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (vm < 0 || size <= 0 || mem == MAP_FAILED)
		return fail("cannot create a VM");
	memcpy(mem + CODE_AT, code, sizeof(code));
	region.memory_size = GUEST_MEM;
	region.userspace_addr = (unsigned long)mem;
	vcpu = ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0 ? -1
		: ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("cannot create a vCPU");
	run = mmap(NULL, (size_t)size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED || ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0)
		return fail("cannot map the vCPU");
	sregs.cs.base = 0;
	sregs.cs.selector = 0;
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0 || ioctl(vcpu, KVM_SET_REGS, &regs) < 0)
		return fail("cannot set vCPU registers");
	sigemptyset(&sa.sa_mask);
	sigaction(SIGALRM, &sa, NULL);
	alarm(2);
	if (ioctl(vcpu, KVM_RUN, 0) < 0)
		return fail(errno == EINTR ? "a tiny guest loop took over 2 s (KVM far too slow)"
			    : strerror(errno));
	alarm(0);
	if (run->exit_reason != KVM_EXIT_IO || run->io.port != DONE_PORT)
		return fail("the probe guest did not finish correctly");
	return 0;
}
