# Print what the host-side test checks, one KEY=value per line.
echo "CPUS=$(grep -c ^processor /proc/cpuinfo)"
echo "MEMTOTAL_KB=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
# "tsc_deadline_timer" in every CPU's flags: the count, next to CPUS.
echo "TSC_DEADLINE_CPUS=$(grep -c '^flags.* tsc_deadline_timer' /proc/cpuinfo)"
