#!/usr/bin/env bash
# The sandbox's freeze watcher (tests/sandbox/watch.sh) against fake
# consoles: a frozen outer guest whose kernel keeps printing soft-lockup
# reports is stopped after the silence, a guest that makes progress never
# is, with or without such reports in between.
# usage: sandbox-watch.sh   -- prints TAP lines
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
tmp=$(mktemp -d)
writers=()
trap 'kill "${writers[@]}" 2>/dev/null; rm -rf "$tmp"' EXIT

# The line a stuck CPU gets from the kernel (kernel/watchdog.c), as the
# sandbox's console shows it.
lockup() { echo "[  $1.610473] watchdog: BUG: soft lockup - CPU#$(($1 % 2)) stuck for $1s! [kvm-pin:127]"; }

# writer CONSOLE SPEC...: appends one line a second for each SPEC letter:
# p a line of progress, l a soft-lockup report, . nothing.
writer() {
	local console=$1 i=0 c
	shift
	for c in $(echo "$*" | fold -w1); do
		i=$((i + 1))
		case $c in
		p) echo "# boot: section $i" >>"$console" ;;
		l) lockup "$i" >>"$console" ;;
		esac
		sleep 1
	done
}

# scenario NAME PIDFILE LIMIT SPEC: the watcher (silence 3 s, checking every
# second) on a console fed by SPEC, for at most LIMIT seconds; writes
# "STATUS SECONDS" to tmp/NAME.result (status 0: it said frozen; 124: it
# was still waiting at LIMIT).
scenario() {
	local name=$1 pidfile=$2 limit=$3 start rc
	: >"$tmp/$name.console"
	writer "$tmp/$name.console" "$4" &
	writers+=($!)
	(
		start=$(date +%s)
		timeout "$limit" bash -c '. tests/sandbox/watch.sh; sandbox_wait_frozen 3 "$1" "$2" 1' \
			_ "$tmp/$name.console" "$pidfile"
		rc=$?
		echo "$rc $(($(date +%s) - start))" >"$tmp/$name.result"
	) &
}

echo 4242 >"$tmp/qemu.pid"
scenario lockups "$tmp/qemu.pid" 14 llllllllllllllllllll
scenario progress "$tmp/qemu.pid" 10 pppppppppppppppppppp
scenario mixed "$tmp/qemu.pid" 10 lplplplplplplplplplp
scenario progress-then-lockups "$tmp/qemu.pid" 16 ppppplllllllllllllll
scenario silent "$tmp/qemu.pid" 10 ....................
scenario no-qemu-yet "$tmp/none.pid" 8 ....................
wait_results() {
	local f
	for f in lockups progress mixed progress-then-lockups silent no-qemu-yet; do
		while [ ! -s "$tmp/$f.result" ]; do sleep 1; done
	done
}
wait_results

n=0
expect() { # expect NAME SCENARIO STATUS MIN MAX: it ended with STATUS in MIN..MAX s
	local rc secs
	read -r rc secs <"$tmp/$2.result"
	n=$((n + 1))
	if [ "$rc" = "$3" ] && [ "$secs" -ge "$4" ] && [ "$secs" -le "$5" ]; then
		echo "ok $n - $1"
	else
		echo "not ok $n - $1: status $rc after ${secs}s, wanted $3 within $4..$5 s"
	fi
}
expect "only soft-lockup reports: frozen after the silence" lockups 0 3 8
expect "a line of progress every second: never frozen" progress 124 10 12
expect "progress between soft-lockup reports: never frozen" mixed 124 10 12
expect "progress, then only soft-lockup reports: frozen the silence after the last progress" \
	progress-then-lockups 0 7 12
expect "a silent console: frozen after the silence" silent 0 3 8
expect "no QEMU pid yet: nothing to stop" no-qemu-yet 124 8 10
