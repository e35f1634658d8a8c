/* exit_status: skiff's process exit statuses (documented in README.md). */
#ifndef SKIFF_VMM_EXIT_STATUS_H
#define SKIFF_VMM_EXIT_STATUS_H

enum exit_status {
	EXIT_GUEST_DONE = 0,     /* guest powered off or rebooted */
	EXIT_CONFIG = 1,         /* bad option or input file; no vCPU ran */
	EXIT_HOST = 2,           /* KVM or the host failed (ioctl, memory) */
	EXIT_GUEST_PANIC = 3,    /* guest reported a panic (pvpanic) */
	EXIT_TRIPLE_FAULT = 4,   /* KVM_EXIT_SHUTDOWN */
	EXIT_ENTRY_FAILED = 5,   /* KVM_EXIT_FAIL_ENTRY */
	EXIT_KVM_INTERNAL = 6,   /* KVM_EXIT_INTERNAL_ERROR */
	EXIT_SIGNAL_BASE = 128,  /* + signal number (SIGINT, SIGTERM, SIGHUP) */
};

#endif
