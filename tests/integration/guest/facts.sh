# Print what the host-side test checks, one KEY=value per line.
echo "CPUS=$(grep -c ^processor /proc/cpuinfo)"
echo "MEMTOTAL_KB=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
