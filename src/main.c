/* skiff: a virtual machine monitor for Linux KVM. Entry point: dispatch the
 * subcommand, turn its options into a vm_config, run the VM. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli/options.h"
#include "util/log.h"
#include "vmm/exit_status.h"
#include "vmm/vm.h"

int main(int argc, char **argv)
{
	struct vm_config cfg;
	int r;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		cli_print_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EXIT_CONFIG : 0;
	}
	if (strcmp(argv[1], "run") != 0) {
		log_error("'%s': unknown command (try: skiff run --help)", argv[1]);
		return EXIT_CONFIG;
	}
	r = cli_parse_run(argc - 1, argv + 1, &cfg);
	if (r == -ECANCELED)
		return 0; /* --help */
	if (r < 0)
		return EXIT_CONFIG;
	return vm_run(&cfg);
}
