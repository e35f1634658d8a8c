# shellcheck shell=bash
# Sourced by tests/sandbox/run (and tests/host/sandbox-watch.sh, which tests
# it with a fake console): sandbox_wait_frozen SILENCE CONSOLE PIDFILE [POLL]
# returns once the outer guest behind PIDFILE has made no progress on
# CONSOLE for SILENCE seconds, checking every POLL seconds (10); it never
# returns while the guest makes progress.
#
# Progress is a console line other than the kernel's soft-lockup report.
# A frozen outer guest (both CPUs stuck, seen in CI at the start of a try)
# still prints "watchdog: BUG: soft lockup - CPU#N stuck for Ns!" about
# every 28 s (kernel/watchdog.c, printed at KERN_EMERG so loglevel=1 keeps
# it): counting those lines as output kept the watcher from ever firing,
# and each such try ran to its whole timeout.
SANDBOX_NOT_PROGRESS='watchdog: BUG: soft lockup - CPU#[0-9]* stuck for'

sandbox_wait_frozen() {
	local silence=$1 console=$2 pidfile=$3 poll=${4:-10}
	local last seen=0 lines
	last=$(date +%s)
	while sleep "$poll"; do
		# grep -c prints 0 and fails when no line is progress.
		lines=$(grep -cv -e "$SANDBOX_NOT_PROGRESS" "$console" 2>/dev/null) || true
		if [ "${lines:-0}" != "$seen" ]; then
			seen=${lines:-0}
			last=$(date +%s)
			continue
		fi
		# No QEMU yet: nothing to stop.
		[ -s "$pidfile" ] || continue
		[ $(( $(date +%s) - last )) -ge "$silence" ] && return 0
	done
	return 1
}
