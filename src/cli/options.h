/* options: the command line of `skiff run`, turned into a vm_config.
 * Every rejected value gets one message naming the option. */
#ifndef SKIFF_CLI_OPTIONS_H
#define SKIFF_CLI_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>

#include "vmm/config.h"

/* Parse a size such as "512M", "2G", "1048576", "64K" (binary units, an
 * optional trailing "B"/"iB"). Returns 0 and sets *out, -EINVAL on bad syntax,
 * -ERANGE on overflow. Zero is accepted here; the caller decides. */
int cli_parse_size(const char *s, uint64_t *out);

/* Parse a decimal unsigned integer in [min, max]: 0, -EINVAL or -ERANGE. */
int cli_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out);

/* The items of a device option's value, "key=value,key2=value2,...",
 * split from a copy of it (the value itself is left alone). An item
 * without '=' has has_eq false and an empty value. */
struct cli_item {
	const char *key, *val;
	bool has_eq;
};
struct cli_items {
	char buf[4096];
	char *save;
	bool started;
};
/* 0, or -E2BIG when arg does not fit (the caller names its option). */
int cli_items_init(struct cli_items *s, const char *arg);
/* The next item into *it; false after the last. */
bool cli_items_next(struct cli_items *s, struct cli_item *it);

/* Parse a --disk value "path=IMG[,readonly=on|off][,serial=ID]" into d;
 * 0, or -EINVAL after one line naming the item. */
int cli_parse_disk(const char *arg, struct vm_disk_config *d);
/* --vsock cid=N,socket=PATH | cid=N,vhost=on into *vs; 0 or -EINVAL after
 * one line naming the option. */
int cli_parse_vsock(const char *arg, struct vm_vsock_config *vs);

/* Parse the arguments after "run" (argv[0] is "run"). Fills cfg with
 * defaults for what is not given. Returns 0, or -EINVAL after printing one
 * line naming the offending option. */
int cli_parse_run(int argc, char **argv, struct vm_config *cfg);

/* Print the usage text of `skiff run` to the given stream (FILE *). */
void cli_print_usage(void *stream);

#endif
