/* net_options: the value of --net, turned into a vm_net_config.
 *   tap=NAME[,mac=MAC][,queues=N][,vhost=on|off][,mtu=N]
 *   [,rx_bw=SIZE][,rx_bw_burst=SIZE][,rx_pps=N][,rx_pps_burst=N]
 *   [,tx_bw=SIZE][,tx_bw_burst=SIZE][,tx_pps=N][,tx_pps_burst=N]
 * Syntax and ranges only; whether the tap exists is found out later.
 * Cross-option checks (queues against --cpus, vhost=on with limits) are
 * done by cli_check_net once every option is known. */
#ifndef SKIFF_CLI_NET_OPTIONS_H
#define SKIFF_CLI_NET_OPTIONS_H

#include "vmm/config.h"

/* 0, or -EINVAL after one "skiff: --net ..." line naming the item. */
int cli_parse_net(const char *arg, struct vm_net_config *n);
/* n is the index of the device; ncpus the vCPU count. 0 or -EINVAL after
 * one line. */
int cli_check_net(const struct vm_net_config *n, unsigned int ncpus);

#endif
