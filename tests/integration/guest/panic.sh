# Crash the kernel: pvpanic must tell skiff.
echo c >/proc/sysrq-trigger
