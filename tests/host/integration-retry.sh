#!/usr/bin/env bash
# The integration retry (tests/integration/retry.sh) against a fake
# sandbox that plays a scenario: which sections run again after the outer
# guest dies (125) or freezes (124), which results count, when it stops.
# usage: integration-retry.sh   -- prints TAP lines
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
. tests/integration/retry.sh
n=0

# The fake: try K of scenario S runs tmp/S.K (a shell snippet) with the
# ONLY it was given in $only, and records that ONLY in tmp/calls.
cat >"$tmp/fake" <<'FAKE'
#!/usr/bin/env bash
k=$(( $(wc -l <"$FAKE_DIR/calls") + 1 ))
only=$(printf '%s\n' "$@" | sed -n 's/^ONLY=//p')
echo "$only" >>"$FAKE_DIR/calls"
echo "$2" >>"$FAKE_DIR/timeouts" # --timeout SEC comes first
. "$FAKE_DIR/$SCEN.$k"
FAKE
chmod +x "$tmp/fake"

play() { # play SCEN: sets $out (what counts: after the last retry marker), $rc, $calls
	: >"$tmp/calls"
	: >"$tmp/timeouts"
	mkdir -p "$tmp/log-$1"
	out=$(SANDBOX_RUN=$tmp/fake FAKE_DIR=$tmp SCEN=$1 integration_with_retry "$tmp/log-$1")
	rc=$?
	out=${out##*--- retry: only what follows counts ---}
	calls=$(paste -sd '|' "$tmp/calls")
}

expect() { # expect NAME CONDITION...
	local name=$1
	shift
	n=$((n + 1))
	if "$@"; then echo "ok $n - $name"; else echo "not ok $n - $name: rc $rc, calls [$calls], output: $(tr '\n' ' ' <<<"$out")"; fi
}
has() { grep -qx -- "$1" <<<"$out"; }
hasnt() { ! grep -qx -- "$1" <<<"$out"; }

# a: frozen in devices; boot and tiny keep their results, the rest runs again.
cat >"$tmp/a.1" <<'S'
printf '%s\n' "# sections: boot tiny devices net" "ok 1 - b" "# section done: boot" \
	"ok 2 - t" "# section done: tiny" "ok 3 - d-cut-short"
exit 124
S
cat >"$tmp/a.2" <<'S'
printf '%s\n' "# sections: $only" "ok 1 - d" "# section done: devices" "not ok 2 - n" "# section done: net"
exit 1
S
play a
expect "a freeze reruns only the sections that did not end" test "$calls" = "|devices net"
expect "the ended sections' results count once, the cut-short one's not" \
	eval 'has "ok 1 - b" && has "ok 2 - t" && has "ok 1 - d" && has "not ok 2 - n" && hasnt "ok 3 - d-cut-short"'
expect "a failure in the rerun is the status" test "$rc" = 1

# b: dies before any section, then after one, then after the last.
printf '%s\n' 'exit 125' >"$tmp/b.1"
printf '%s\n' 'printf "%s\n" "# sections: boot net" "ok 1 - b" "# section done: boot"; exit 124' >"$tmp/b.2"
printf '%s\n' 'printf "%s\n" "# sections: $only" "ok 1 - n" "# section done: net"; exit 125' >"$tmp/b.3"
play b
expect "nothing ended: everything again; then what is left" test "$calls" = "||net"
expect "every section ended in some try: all results, status 0" \
	eval '[ "$rc" = 0 ] && has "ok 1 - b" && has "ok 1 - n"'

# c: with three tries allowed, three dead tries: give up with the sandbox's status.
printf '%s\n' 'printf "%s\n" "# sections: boot net" "ok 1 - b" "# section done: boot"; exit 124' >"$tmp/c.1"
printf '%s\n' 'exit 125' >"$tmp/c.2"
printf '%s\n' 'exit 125' >"$tmp/c.3"
INTEGRATION_TRIES=3 play c
expect "a try that started nothing keeps the list to run" test "$calls" = "|net|net"
expect "three dead tries of three: the status, and a note saying so" \
	eval '[ "$rc" = 125 ] && grep -q "in try 3 of 3, .*; giving up" <<<"$out" && has "ok 1 - b"'

# d: a skiff failure (status 1) is not retried.
printf '%s\n' 'printf "%s\n" "# sections: boot" "not ok 1 - b" "# section done: boot"; exit 1' >"$tmp/d.1"
play d
expect "a test failure is not retried" eval '[ "$rc" = 1 ] && [ "$calls" = "" ] && has "not ok 1 - b"'

# e: five tries by default: four deaths, then the rest passes.
for k in 1 2 3 4; do printf '%s\n' 'exit 125' >"$tmp/e.$k"; done
printf '%s\n' 'printf "%s\n" "# sections: boot" "ok 1 - b" "# section done: boot"; exit 0' >"$tmp/e.5"
play e
expect "four deaths, then a clean fifth try: its results, status 0" \
	eval '[ "$rc" = 0 ] && [ "$calls" = "||||" ] && has "ok 1 - b"'

# f: the budget caps each try's timeout, and no try starts without
# INTEGRATION_MIN_TRY seconds of it left.
printf '%s\n' 'exit 125' >"$tmp/f.1"
INTEGRATION_BUDGET=300 INTEGRATION_MIN_TRY=400 play f
expect "a budget below the timeout is the first try's timeout" test "$(head -n 1 "$tmp/timeouts")" = 300
expect "too little budget left: no second try, the status and a note" \
	eval '[ "$rc" = 125 ] && [ "$calls" = "" ] && grep -q "budget left; giving up" <<<"$out"'
