# Print what the host-side test checks, one KEY=value per line.
echo "CPUS=$(grep -c ^processor /proc/cpuinfo)"
echo "MEMTOTAL_KB=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
# "tsc_deadline_timer" in every CPU's flags: the count, next to CPUS.
echo "TSC_DEADLINE_CPUS=$(grep -c '^flags.* tsc_deadline_timer' /proc/cpuinfo)"
# IA32_MISC_ENABLE (MSR 0x1a0: the msr device reads the MSR its file
# offset names, here 52 blocks of 8 bytes) with bit 0, fast strings, on:
# the count of CPUs, next to CPUS.
fast=0
for d in /dev/cpu/[0-9]*; do
	v=$(dd if="$d/msr" bs=8 skip=52 count=1 2>/dev/null | od -An -tu8 | tr -d ' ')
	[ -n "$v" ] && [ $((v & 1)) -eq 1 ] && fast=$((fast + 1))
done
echo "FAST_STRING_CPUS=$fast"
# MTRRs on (IA32_MTRR_DEF_TYPE.E): only then does Linux program its PAT,
# whose configuration has write-combining.
echo "PAT_WC=$(dmesg | grep -q 'x86/PAT: Configuration.* WC ' && echo yes || echo no)"
