#include "cli/options.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/net_options.h"
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

int cli_items_init(struct cli_items *s, const char *arg)
{
	if (strlen(arg) >= sizeof(s->buf))
		return -E2BIG;
	strcpy(s->buf, arg);
	s->save = NULL;
	s->started = false;
	return 0;
}

bool cli_items_next(struct cli_items *s, struct cli_item *it)
{
	char *item = strtok_r(s->started ? NULL : s->buf, ",", &s->save);
	char *eq;

	s->started = true;
	if (!item)
		return false;
	eq = strchr(item, '=');
	if (eq)
		*eq = '\0';
	*it = (struct cli_item){ .key = item, .val = eq ? eq + 1 : "", .has_eq = eq != NULL };
	return true;
}

/* --disk path=IMG[,readonly=on|off][,serial=ID] */
int cli_parse_disk(const char *arg, struct vm_disk_config *d)
{
	struct cli_items items;
	struct cli_item it;

	memset(d, 0, sizeof(*d));
	if (cli_items_init(&items, arg) < 0) {
		log_error("--disk: value too long");
		return -EINVAL;
	}
	while (cli_items_next(&items, &it)) {
		const char *item = it.key, *v = it.val;

		if (!strcmp(item, "path") && *v) {
			strcpy(d->path, v); /* fits: v is shorter than buf */
		} else if (!strcmp(item, "readonly") && (!strcmp(v, "on") || !strcmp(v, "off"))) {
			d->readonly = !strcmp(v, "on");
		} else if (!strcmp(item, "serial") && *v && strlen(v) <= VM_CONFIG_SERIAL_MAX) {
			strcpy(d->serial, v);
		} else {
			log_error("--disk '%s': bad item '%s%s%s' (expected path=IMG, readonly=on|off, "
				  "serial=ID of at most %d characters)", arg, item, it.has_eq ? "=" : "", v,
				  VM_CONFIG_SERIAL_MAX);
			return -EINVAL;
		}
	}
	if (!d->path[0]) {
		log_error("--disk '%s': path=IMG is required", arg);
		return -EINVAL;
	}
	return 0;
}

/* --vsock cid=N,socket=PATH or cid=N,vhost=on. Guest CIDs 0-2 are
 * reserved (hypervisor, local, host) and 0xffffffff is VMADDR_CID_ANY;
 * spec 5.10.4 uses only the low 32 bits of guest_cid. */
int cli_parse_vsock(const char *arg, struct vm_vsock_config *vs)
{
	struct cli_items items;
	struct cli_item it;
	bool have_cid = false;

	memset(vs, 0, sizeof(*vs));
	if (cli_items_init(&items, arg) < 0) {
		log_error("--vsock: value too long");
		return -EINVAL;
	}
	while (cli_items_next(&items, &it)) {
		const char *item = it.key, *v = it.val;
		unsigned long n;

		if (!strcmp(item, "cid")) {
			if (cli_parse_uint(v, 3, 0xfffffffeUL, &n) < 0) {
				log_error("--vsock '%s': cid must be a whole number from 3 to 4294967294", arg);
				return -EINVAL;
			}
			vs->cid = n;
			have_cid = true;
		} else if (!strcmp(item, "socket") && *v) {
			if (strlen(v) > VM_CONFIG_VSOCK_PATH_MAX) {
				log_error("--vsock '%s': socket path longer than %d bytes", arg,
					  VM_CONFIG_VSOCK_PATH_MAX);
				return -EINVAL;
			}
			strcpy(vs->path, v);
		} else if (!strcmp(item, "vhost") && (!strcmp(v, "on") || !strcmp(v, "off"))) {
			vs->vhost = !strcmp(v, "on");
		} else {
			log_error("--vsock '%s': bad item '%s%s%s' (expected cid=N, socket=PATH, "
				  "vhost=on|off)", arg, item, it.has_eq ? "=" : "", v);
			return -EINVAL;
		}
	}
	if (!have_cid) {
		log_error("--vsock '%s': cid=N is required", arg);
		return -EINVAL;
	}
	if (!vs->vhost == !vs->path[0]) {
		log_error("--vsock '%s': give either socket=PATH or vhost=on", arg);
		return -EINVAL;
	}
	vs->enabled = 1;
	return 0;
}

void cli_print_usage(void *stream)
{
	fprintf(stream,
		"usage: skiff run --kernel PATH [--initrd PATH] [--cmdline STR] [--name NAME]\n"
		"                 [--cpus N] [--memory SIZE] [--disk path=IMG[,readonly=on][,serial=ID]]...\n"
		"                 [--console serial|virtio] [--rng]\n"
		"                 [--net tap=NAME[,mac=MAC][,queues=N][,vhost=on|off|auto][,mtu=N][,LIMITS]]...\n"
		"                 [--vsock cid=N,socket=PATH | --vsock cid=N,vhost=on]\n"
		"  --kernel PATH   x86-64 Linux bzImage (64-bit boot protocol)\n"
		"  --initrd PATH   initial ramdisk\n"
		"  --cmdline STR   kernel command line (default \"%s\")\n"
		"  --name NAME     the VM's name, 1..%d of A-Z a-z 0-9 . _ -: default MACs derive from it\n"
		"  --cpus N        vCPUs, 1..%d (default 1)\n"
		"  --memory SIZE   guest RAM, e.g. 256M or 2G (default 512M)\n"
		"  --disk ...      a virtio-blk disk on a raw image (repeatable, up to %d)\n"
		"  --console KIND  guest console: serial (ttyS0, default) or virtio (hvc0)\n"
		"  --rng           a virtio-rng device fed from getrandom(2)\n"
		"  --net ...       a virtio-net device on a tap (repeatable, up to %d); LIMITS:\n"
		"                  {rx,tx}_bw=SIZE/s, {rx,tx}_bw_burst=SIZE, {rx,tx}_pps=N, {rx,tx}_pps_burst=N\n"
		"  --vsock ...     a virtio-vsock device: host Unix sockets PATH_PORT, or vhost-vsock\n",
		VM_CONFIG_DEFAULT_CMDLINE, VM_CONFIG_NAME_MAX, VM_CONFIG_MAX_CPUS, VM_CONFIG_MAX_DISKS,
		VM_CONFIG_MAX_NETS);
}

/* Names end up in MAC derivation and, later, in API paths and logs: keep
 * them to characters every one of those takes as is. */
static bool name_valid(const char *s)
{
	size_t len = strlen(s);

	if (len == 0 || len > VM_CONFIG_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._-", s[i]))
			return false;
	return true;
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
		{ "name", required_argument, NULL, 'a' },
		{ "cpus", required_argument, NULL, 'n' },
		{ "memory", required_argument, NULL, 'm' },
		{ "disk", required_argument, NULL, 'd' },
		{ "console", required_argument, NULL, 'C' },
		{ "rng", no_argument, NULL, 'r' },
		{ "net", required_argument, NULL, 'N' },
		{ "vsock", required_argument, NULL, 'V' },
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
		case 'a':
			if (cfg->name) {
				log_error("--name: given twice");
				return -EINVAL;
			}
			if (!name_valid(optarg)) {
				log_error("--name '%s': must be 1 to %d characters from A-Z a-z 0-9 . _ -",
					  optarg, VM_CONFIG_NAME_MAX);
				return -EINVAL;
			}
			cfg->name = optarg;
			break;
		case 'i': cfg->initrd_path = optarg; break;
		case 'c':
			cfg->cmdline = optarg;
			cfg->cmdline_given = 1;
			break;
		case 'd':
			if (cfg->ndisks == VM_CONFIG_MAX_DISKS) {
				log_error("--disk: at most %d disks", VM_CONFIG_MAX_DISKS);
				return -EINVAL;
			}
			if (cli_parse_disk(optarg, &cfg->disks[cfg->ndisks]) < 0)
				return -EINVAL;
			cfg->ndisks++;
			break;
		case 'C':
			if (!strcmp(optarg, "serial")) {
				cfg->console = VM_CONSOLE_SERIAL;
			} else if (!strcmp(optarg, "virtio")) {
				cfg->console = VM_CONSOLE_VIRTIO;
			} else {
				log_error("--console '%s': must be serial or virtio", optarg);
				return -EINVAL;
			}
			break;
		case 'r': cfg->rng = 1; break;
		case 'N':
			if (cfg->nnets == VM_CONFIG_MAX_NETS) {
				log_error("--net: at most %d network devices", VM_CONFIG_MAX_NETS);
				return -EINVAL;
			}
			if (cli_parse_net(optarg, &cfg->nets[cfg->nnets]) < 0)
				return -EINVAL;
			cfg->nnets++;
			break;
		case 'V':
			if (cfg->vsock.enabled) {
				log_error("--vsock: only one vsock device");
				return -EINVAL;
			}
			if (cli_parse_vsock(optarg, &cfg->vsock) < 0)
				return -EINVAL;
			break;
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
	for (unsigned int i = 0; i < cfg->nnets; i++) {
		if (cli_check_net(&cfg->nets[i], cfg->ncpus) < 0)
			return -EINVAL;
		for (unsigned int j = 0; j < i; j++)
			if (!strcmp(cfg->nets[i].tap, cfg->nets[j].tap)) {
				log_error("--net tap=%s: given twice", cfg->nets[i].tap);
				return -EINVAL;
			}
	}
	if (!cfg->cmdline_given && cfg->console == VM_CONSOLE_VIRTIO)
		cfg->cmdline = VM_CONFIG_VIRTIO_CONSOLE_CMDLINE;
	return 0;
}
