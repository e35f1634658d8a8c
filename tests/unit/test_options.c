/* Unit tests: size and option parsing of `skiff run`. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "cli/options.h"

static void sizes_accepted(void **state)
{
	static const struct { const char *s; uint64_t v; } ok[] = {
		{ "0", 0 }, { "4096", 4096 }, { "64K", 64ULL << 10 }, { "256M", 256ULL << 20 },
		{ "256m", 256ULL << 20 }, { "2G", 2ULL << 30 }, { "2GiB", 2ULL << 30 },
		{ "2GB", 2ULL << 30 }, { "1T", 1ULL << 40 }, { "16777215T", 16777215ULL << 40 },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		uint64_t v = 1;

		assert_int_equal(cli_parse_size(ok[i].s, &v), 0);
		assert_int_equal(v, ok[i].v);
	}
}

static void sizes_rejected(void **state)
{
	static const char *bad[] = { "", "M", "-1", "12X", "1.5G", "2GG", " 2G", "2G ", "0x10", "G2" };
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(cli_parse_size(bad[i], &v), -EINVAL);
	assert_int_equal(cli_parse_size("16777216T", &v), -ERANGE);
	assert_int_equal(cli_parse_size("99999999999999999999999", &v), -ERANGE);
	assert_int_equal(cli_parse_size(NULL, &v), -EINVAL);
}

static void uints(void **state)
{
	unsigned long v;

	(void)state;
	assert_int_equal(cli_parse_uint("1", 1, 64, &v), 0);
	assert_int_equal(v, 1);
	assert_int_equal(cli_parse_uint("64", 1, 64, &v), 0);
	assert_int_equal(cli_parse_uint("0", 1, 64, &v), -ERANGE);
	assert_int_equal(cli_parse_uint("65", 1, 64, &v), -ERANGE);
	assert_int_equal(cli_parse_uint("1000", 1, 64, &v), -ERANGE);
	assert_int_equal(cli_parse_uint("-1", 1, 64, &v), -EINVAL);
	assert_int_equal(cli_parse_uint("2x", 1, 64, &v), -EINVAL);
	assert_int_equal(cli_parse_uint("", 1, 64, &v), -EINVAL);
}

/* Run cli_parse_run on a NULL-terminated list; capture stderr into err. */
static int parse(struct vm_config *cfg, char *err, size_t errlen, const char *const *args)
{
	char *argv[64];
	int argc = 0, r;
	FILE *saved = stderr;
	FILE *mem = fmemopen(err, errlen, "w");

	argv[argc++] = (char *)"run";
	while (*args)
		argv[argc++] = (char *)*args++;
	argv[argc] = NULL;
	memset(err, 0, errlen);
	stderr = mem;
	r = cli_parse_run(argc, argv, cfg);
	stderr = saved;
	fclose(mem);
	return r;
}

static void run_defaults_and_values(void **state)
{
	struct vm_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(parse(&cfg, err, sizeof(err), (const char *[]){ "--kernel", "k", NULL }), 0);
	assert_string_equal(cfg.kernel_path, "k");
	assert_null(cfg.initrd_path);
	assert_int_equal(cfg.ncpus, 1);
	assert_int_equal(cfg.mem_size, 512ULL << 20);
	assert_non_null(strstr(cfg.cmdline, "console=ttyS0"));
	assert_null(cfg.name);

	assert_int_equal(parse(&cfg, err, sizeof(err), (const char *[]){
		"--kernel", "k", "--initrd", "i", "--cmdline", "a b", "--cpus", "4",
		"--memory", "2G", NULL }), 0);
	assert_string_equal(cfg.initrd_path, "i");
	assert_null(cfg.name);
	assert_string_equal(cfg.cmdline, "a b");
	assert_int_equal(cfg.ncpus, 4);
	assert_int_equal(cfg.mem_size, 2ULL << 30);
	assert_string_equal(err, "");
}

/* Every bad value is rejected with a message that names the option. */
static void run_rejects_naming_option(void **state)
{
	static const struct { const char *args[7]; const char *names; } cases[] = {
		{ { "--kernel", "k", "--cpus", "0" }, "--cpus" },
		{ { "--kernel", "k", "--cpus", "1000" }, "--cpus" },
		{ { "--kernel", "k", "--cpus", "two" }, "--cpus" },
		{ { "--kernel", "k", "--memory", "0" }, "--memory" },
		{ { "--kernel", "k", "--memory", "1M" }, "--memory" },
		{ { "--kernel", "k", "--memory", "lots" }, "--memory" },
		{ { "--kernel", "k", "--memory", "99999999999T" }, "--memory" },
		{ { "--kernel", "k", "--memory", "16777217" }, "--memory" },
		{ { "--cpus", "1" }, "--kernel" },
		{ { "--kernel", "k", "--bogus" }, "--bogus" },
		{ { "--kernel", "k", "--memory" }, "--memory" },
		{ { "--kernel", "k", "stray" }, "stray" },
		{ { "--kernel", "k", "--name", "" }, "--name" },
		{ { "--kernel", "k", "--name", "web 1" }, "--name" },
		{ { "--kernel", "k", "--name", "a/b" }, "--name" },
		{ { "--kernel", "k", "--name", "caf\xc3\xa9" }, "--name" },
		{ { "--kernel", "k", "--name",
		    "a123456789b123456789c123456789d123456789e123456789f123456789g1234" }, "--name" },
		{ { "--kernel", "k", "--name", "a", "--name", "b" }, "--name" },
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct vm_config cfg;
		char err[256];

		assert_int_equal(parse(&cfg, err, sizeof(err), cases[i].args), -EINVAL);
		assert_non_null(strstr(err, cases[i].names));
		/* exactly one line */
		assert_non_null(strchr(err, '\n'));
		assert_null(strchr(strchr(err, '\n') + 1, '\n'));
	}
}

static void disks_console_rng(void **state)
{
	struct vm_config cfg;
	char err[256];

	(void)state;
	assert_int_equal(parse(&cfg, err, sizeof(err), (const char *[]){
		"--kernel", "k", "--disk", "path=/a.img", "--disk", "path=b.img,readonly=on,serial=XYZ",
		"--console", "virtio", "--rng", NULL }), 0);
	assert_int_equal(cfg.ndisks, 2);
	assert_string_equal(cfg.disks[0].path, "/a.img");
	assert_int_equal(cfg.disks[0].readonly, 0);
	assert_string_equal(cfg.disks[0].serial, "");
	assert_string_equal(cfg.disks[1].path, "b.img");
	assert_int_equal(cfg.disks[1].readonly, 1);
	assert_string_equal(cfg.disks[1].serial, "XYZ");
	assert_int_equal(cfg.console, VM_CONSOLE_VIRTIO);
	assert_non_null(strstr(cfg.cmdline, "console=hvc0"));
	assert_int_equal(cfg.rng, 1);
	/* an explicit --cmdline is kept as given */
	assert_int_equal(parse(&cfg, err, sizeof(err), (const char *[]){
		"--kernel", "k", "--console", "virtio", "--cmdline", "x", NULL }), 0);
	assert_string_equal(cfg.cmdline, "x");
}

static void disks_rejected(void **state)
{
	static const char *bad[] = {
		"", "readonly=on", "path=", "path=a,readonly=yes", "path=a,serial=",
		"path=a,serial=123456789012345678901", "path=a,bogus=1", "path=a,cache",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vm_config cfg;
		char err[512];

		assert_int_equal(parse(&cfg, err, sizeof(err), (const char *[]){
			"--kernel", "k", "--disk", bad[i], NULL }), -EINVAL);
		assert_non_null(strstr(err, "--disk"));
	}
	struct vm_config cfg;
	char err[256];
	const char *many[2 * VM_CONFIG_MAX_DISKS + 5] = { "--kernel", "k" };
	int n = 2;
	for (int i = 0; i <= VM_CONFIG_MAX_DISKS; i++) {
		many[n++] = "--disk";
		many[n++] = "path=x";
	}
	many[n] = NULL;
	assert_int_equal(parse(&cfg, err, sizeof(err), many), -EINVAL);
	assert_non_null(strstr(err, "at most"));
	assert_int_equal(parse(&cfg, err, sizeof(err), (const char *[]){
		"--kernel", "k", "--console", "vga", NULL }), -EINVAL);
	assert_non_null(strstr(err, "--console"));
}

static void names_accepted(void **state)
{
	static const char *ok[] = {
		"a", "web-1", "ci_runner.42", "Z",
		/* VM_CONFIG_NAME_MAX (64) characters */
		"a123456789b123456789c123456789d123456789e123456789f123456789g123",
	};
	struct vm_config cfg;
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(parse(&cfg, err, sizeof(err), (const char *[]){
			"--name", ok[i], "--kernel", "k", NULL }), 0);
		assert_string_equal(cfg.name, ok[i]);
		assert_string_equal(err, "");
	}
}

static void nets_accepted(void **state)
{
	struct vm_config cfg;
	char err[1024];

	(void)state;
	assert_int_equal(parse(&cfg, err, sizeof(err), (const char *[]){
		"--kernel", "k", "--cpus", "2", "--net", "tap=skt0",
		"--net", "tap=skt1,mac=52:54:00:ab:cd:EF,queues=2,vhost=off,mtu=9000,rx_bw=10M,"
		"rx_bw_burst=1M,rx_pps=1000,tx_pps=5,tx_pps_burst=2,tx_bw=1G",
		"--net", "tap=skt2,vhost=on", "--net", "tap=skt3,vhost=auto", NULL }), 0);
	assert_int_equal(cfg.nnets, 4);
	assert_int_equal(cfg.nets[2].vhost, VM_NET_VHOST_ON);
	assert_int_equal(cfg.nets[3].vhost, VM_NET_VHOST_AUTO);
	assert_string_equal(cfg.nets[0].tap, "skt0");
	assert_int_equal(cfg.nets[0].queues, 1);
	assert_int_equal(cfg.nets[0].vhost, VM_NET_VHOST_OFF);
	assert_int_equal(cfg.nets[0].mac_given, 0);
	assert_int_equal(cfg.nets[0].mtu, 0);
	assert_int_equal(cfg.nets[1].mac_given, 1);
	assert_int_equal(cfg.nets[1].mac[5], 0xef);
	assert_int_equal(cfg.nets[1].queues, 2);
	assert_int_equal(cfg.nets[1].vhost, VM_NET_VHOST_OFF);
	assert_int_equal(cfg.nets[1].mtu, 9000);
	assert_int_equal(cfg.nets[1].rx.bw, 10 << 20);
	assert_int_equal(cfg.nets[1].rx.bw_burst, 1 << 20);
	assert_int_equal(cfg.nets[1].rx.pps, 1000);
	assert_int_equal(cfg.nets[1].tx.pps, 5);
	assert_int_equal(cfg.nets[1].tx.pps_burst, 2);
	assert_int_equal(cfg.nets[1].tx.bw, 1 << 30);
}

static void nets_rejected(void **state)
{
	static const char *bad[] = {
		"", "mac=52:54:00:00:00:01", "tap=", "tap=0123456789abcdef", "tap=a/b",
		"tap=t,mac=01:00:5e:00:00:01", "tap=t,mac=52:54:00:00:00", "tap=t,mac=zz:54:00:00:00:01",
		"tap=t,queues=0", "tap=t,queues=17", "tap=t,vhost=maybe", "tap=t,mtu=10",
		"tap=t,mtu=70000", "tap=t,rx_bw=lots", "tap=t,tx_pps=-1", "tap=t,bogus=1", "tap=t,vhost",
		"tap=t,queues=2", /* more than --cpus 1 */
		"tap=t,vhost=on,tx_bw=1M", "tap=t,rx_bw_burst=1M",
	};
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vm_config cfg;
		char err[1024];

		assert_int_equal(parse(&cfg, err, sizeof(err), (const char *[]){
			"--kernel", "k", "--net", bad[i], NULL }), -EINVAL);
		assert_non_null(strstr(err, "--net"));
		assert_null(strchr(strchr(err, '\n') + 1, '\n'));
	}
	struct vm_config cfg;
	char err[1024];

	assert_int_equal(parse(&cfg, err, sizeof(err), (const char *[]){
		"--kernel", "k", "--net", "tap=a", "--net", "tap=a", NULL }), -EINVAL);
	assert_non_null(strstr(err, "twice"));
}

/* --vsock (issue 5): both backends, the CID range, one of each item. */
static void vsock_option(void **state)
{
	static const char *bad[] = {
		"cid=3", "socket=/s", "cid=2,socket=/s", "cid=4294967295,vhost=on", "cid=0x10,vhost=on",
		"cid=3,socket=/s,vhost=on", "cid=3,vhost=maybe", "cid=3,socket=", "cid=3,bogus=1",
	};
	struct vm_config cfg;
	char err[512];

	(void)state;
	assert_int_equal(parse(&cfg, err, sizeof(err), (const char *[]){
		"--kernel", "k", "--vsock", "cid=3,socket=/run/v.sock", NULL }), 0);
	assert_true(cfg.vsock.enabled);
	assert_int_equal(cfg.vsock.cid, 3);
	assert_string_equal(cfg.vsock.path, "/run/v.sock");
	assert_false(cfg.vsock.vhost);
	assert_int_equal(parse(&cfg, err, sizeof(err), (const char *[]){
		"--kernel", "k", "--vsock", "vhost=on,cid=4294967294", NULL }), 0);
	assert_true(cfg.vsock.vhost);
	assert_int_equal(cfg.vsock.cid, 4294967294u);
	assert_int_equal(parse(&cfg, err, sizeof(err), (const char *[]){ "--kernel", "k", NULL }), 0);
	assert_false(cfg.vsock.enabled);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(parse(&cfg, err, sizeof(err), (const char *[]){
			"--kernel", "k", "--vsock", bad[i], NULL }), -EINVAL);
		assert_non_null(strstr(err, "--vsock"));
	}
}

/* The item splitter all device options share. */
static void items_split(void **state)
{
	static char huge[5000];
	struct cli_items items;
	struct cli_item it;
	const char *arg = "path=a=b,readonly,,serial=";

	(void)state;
	assert_int_equal(cli_items_init(&items, arg), 0);
	assert_true(cli_items_next(&items, &it));
	assert_string_equal(it.key, "path");
	assert_string_equal(it.val, "a=b"); /* only the first '=' splits */
	assert_true(it.has_eq);
	assert_true(cli_items_next(&items, &it));
	assert_string_equal(it.key, "readonly");
	assert_string_equal(it.val, "");
	assert_false(it.has_eq);
	/* empty items are skipped (strtok semantics) */
	assert_true(cli_items_next(&items, &it));
	assert_string_equal(it.key, "serial");
	assert_string_equal(it.val, "");
	assert_true(it.has_eq);
	assert_false(cli_items_next(&items, &it));
	assert_false(cli_items_next(&items, &it));
	assert_string_equal(arg, "path=a=b,readonly,,serial="); /* the value is left alone */
	memset(huge, 'x', sizeof(huge) - 1);
	assert_int_equal(cli_items_init(&items, huge), -E2BIG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(items_split),
		cmocka_unit_test(sizes_accepted),
		cmocka_unit_test(sizes_rejected),
		cmocka_unit_test(uints),
		cmocka_unit_test(run_defaults_and_values),
		cmocka_unit_test(run_rejects_naming_option),
		cmocka_unit_test(disks_console_rng),
		cmocka_unit_test(names_accepted),
		cmocka_unit_test(disks_rejected),
		cmocka_unit_test(nets_accepted),
		cmocka_unit_test(nets_rejected),
		cmocka_unit_test(vsock_option),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
