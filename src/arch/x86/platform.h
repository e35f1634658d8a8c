/* platform: events legacy devices raise that end or reset the whole machine.
 * The vmm turns them into skiff's exit status. */
#ifndef SKIFF_ARCH_X86_PLATFORM_H
#define SKIFF_ARCH_X86_PLATFORM_H

enum platform_event {
	PLATFORM_POWEROFF,   /* ACPI S5 */
	PLATFORM_RESET,      /* i8042 pulse or ACPI reset register */
	PLATFORM_PANIC,      /* pvpanic "guest panicked" */
};

struct platform_hooks {
	void (*event)(void *ctx, enum platform_event ev);
	void *ctx;
};

static inline void platform_raise(const struct platform_hooks *h, enum platform_event ev)
{
	if (h->event)
		h->event(h->ctx, ev);
}

#endif
