/* kvm-pin: runs in the nested sandbox's outer guest for its whole life and
 * holds the static keys that every VM start and stop would otherwise flip,
 * so that the outer kernel does not live-patch code its vCPU threads run.
 *
 * Why: under QEMU 7.2 TCG with one thread per vCPU, an outer CPU can keep
 * running a stale translation of a site that text_poke_bp() patched (its
 * temporary INT3) after the patch is done. The int3 handler then finds no
 * INT3 in memory, returns to the site, traps again, for ever and with
 * interrupts off, and the other CPU soon waits on it: the whole outer
 * guest freezes. Seen 2026-12-01 through the QEMU monitor: both outer CPUs
 * looping through asm_exc_int3 at a 5-byte NOP in __schedule, which the
 * kernel's __jump_table names as the branch on preempt_notifier_key, the
 * key KVM takes for each VM (kvm_create_vm, preempt_notifier_inc) and
 * gives back when the last VM goes: every skiff or QEMU boot in the
 * sandbox patched the scheduler twice while both CPUs ran it.
 *
 * Held (counts that then never return to zero while tests run):
 *   - preempt_notifier_key (kernel/sched/core.c): one VM, open for good;
 *   - KVM's apic_sw_disabled and apic_hw_disabled (arch/x86/kvm/lapic.c),
 *     flipped when a guest enables or disables its local APIC and when a
 *     vCPU comes and goes: one vCPU, never run, whose APIC stays software-
 *     disabled and is hardware-disabled through MSR_IA32_APICBASE;
 *   - netstamp_needed_key (net/core/dev.c), flipped by every ping: a UDP
 *     socket with SO_TIMESTAMP.
 * Prints nothing unless it cannot; exits only when killed. */
#include <fcntl.h>
#include <linux/kvm.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#define MSR_IA32_APICBASE 0x1b
#define APICBASE_BSP 0x100    /* SDM vol. 3A 11.4.4; the enable bit (0x800) clear */
#define APICBASE_DEFAULT 0xfee00000u

static int fail(const char *what)
{
	fprintf(stderr, "sandbox: kvm-pin: %s: %m (the outer guest may freeze, see kvm-pin.c)\n",
		what);
	return 1;
}

int main(void)
{
	struct {
		struct kvm_msrs hdr;
		struct kvm_msr_entry e;
	} msrs = { .hdr.nmsrs = 1,
		   .e = { .index = MSR_IA32_APICBASE, .data = APICBASE_DEFAULT | APICBASE_BSP } };
	int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm, vcpu, sock, one = 1;

	if (kvm < 0)
		return fail("/dev/kvm");
	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail("KVM_CREATE_VM");
	/* An in-kernel LAPIC, as skiff's and QEMU's guests have. */
	if (ioctl(vm, KVM_CREATE_IRQCHIP, 0) < 0)
		return fail("KVM_CREATE_IRQCHIP");
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0)
		return fail("KVM_CREATE_VCPU");
	if (ioctl(vcpu, KVM_SET_MSRS, &msrs) != 1)
		return fail("KVM_SET_MSRS (APIC base)");
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0 || setsockopt(sock, SOL_SOCKET, SO_TIMESTAMP, &one, sizeof(one)) < 0)
		return fail("SO_TIMESTAMP socket");
	for (;;)
		pause();
}
