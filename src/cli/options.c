#include "cli/options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/log.h"

#define MIN_MEM (16ULL << 20)  /* below this a Linux guest cannot boot */

int cli_parse_size(const char *s, uint64_t *out)
{
	unsigned int shift = 0;
	unsigned long long v;
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno == ERANGE)
		return -ERANGE;
	switch (toupper((unsigned char)*end)) {
	case '\0': break;
	case 'K': shift = 10; end++; break;
	case 'M': shift = 20; end++; break;
	case 'G': shift = 30; end++; break;
	case 'T': shift = 40; end++; break;
	default: return -EINVAL;
	}
	if (shift && (*end == 'i' || *end == 'I'))
		end++;
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0')
		return -EINVAL;
	if (shift && v > (UINT64_MAX >> shift))
		return -ERANGE;
	*out = (uint64_t)v << shift;
	return 0;
}

int cli_parse_uint(const char *s, unsigned long min, unsigned long max, unsigned long *out)
{
	unsigned long v;
	char *end;

	if (!s || !isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end != '\0')
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

void cli_print_usage(void *stream)
{
	fprintf(stream,
		"usage: skiff run --kernel PATH [--initrd PATH] [--cmdline STR]\n"
		"                 [--cpus N] [--memory SIZE]\n"
		"  --kernel PATH   x86-64 Linux bzImage (64-bit boot protocol)\n"
		"  --initrd PATH   initial ramdisk\n"
		"  --cmdline STR   kernel command line (default \"%s\")\n"
		"  --cpus N        vCPUs, 1..%d (default 1)\n"
		"  --memory SIZE   guest RAM, e.g. 256M or 2G (default 512M)\n",
		VM_CONFIG_DEFAULT_CMDLINE, VM_CONFIG_MAX_CPUS);
}

static int parse_memory(const char *arg, uint64_t *out)
{
	int r = cli_parse_size(arg, out);

	if (r < 0) {
		log_error("--memory '%s': %s", arg,
			  r == -ERANGE ? "too large" : "not a size (examples: 256M, 2G)");
		return -EINVAL;
	}
	if (*out < MIN_MEM) {
		log_error("--memory '%s': at least %llu MiB is needed", arg, MIN_MEM >> 20);
		return -EINVAL;
	}
	if (*out & 0xfff) {
		log_error("--memory '%s': must be a multiple of 4 KiB", arg);
		return -EINVAL;
	}
	return 0;
}

int cli_parse_run(int argc, char **argv, struct vm_config *cfg)
{
	static const struct option opts[] = {
		{ "kernel", required_argument, NULL, 'k' },
		{ "initrd", required_argument, NULL, 'i' },
		{ "cmdline", required_argument, NULL, 'c' },
		{ "cpus", required_argument, NULL, 'n' },
		{ "memory", required_argument, NULL, 'm' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long n;
	int c;

	*cfg = (struct vm_config){
		.cmdline = VM_CONFIG_DEFAULT_CMDLINE,
		.ncpus = 1,
		.mem_size = VM_CONFIG_DEFAULT_MEM,
	};
	optind = 1;
	opterr = 0; /* we print our own, naming the option */
	while ((c = getopt_long(argc, argv, "+:", opts, NULL)) != -1) {
		switch (c) {
		case 'k': cfg->kernel_path = optarg; break;
		case 'i': cfg->initrd_path = optarg; break;
		case 'c': cfg->cmdline = optarg; break;
		case 'n':
			if (cli_parse_uint(optarg, 1, VM_CONFIG_MAX_CPUS, &n) < 0) {
				log_error("--cpus '%s': must be a whole number from 1 to %d",
					  optarg, VM_CONFIG_MAX_CPUS);
				return -EINVAL;
			}
			cfg->ncpus = (unsigned int)n;
			break;
		case 'm':
			if (parse_memory(optarg, &cfg->mem_size) < 0)
				return -EINVAL;
			break;
		case 'h':
			cli_print_usage(stdout);
			return -ECANCELED;
		case ':':
			log_error("%s: needs a value", argv[optind - 1]);
			return -EINVAL;
		default:
			log_error("%s: unknown option (see skiff run --help)", argv[optind - 1]);
			return -EINVAL;
		}
	}
	if (optind < argc) {
		log_error("'%s': unexpected argument", argv[optind]);
		return -EINVAL;
	}
	if (!cfg->kernel_path) {
		log_error("--kernel: required");
		return -EINVAL;
	}
	return 0;
}
