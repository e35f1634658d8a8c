#!/usr/bin/env bash
# `make test`: every test skiff has, ending with "N passed, N failed".
#   - builds with gcc and clang (-Werror), and with ASan+UBSan;
#   - unit tests (cmocka) from the gcc and the sanitizer builds;
#   - bad-input tests of the CLI on the host (no KVM needed);
#   - integration tests booting the Debian guest, in one sandbox boot
#     (tests/sandbox/run: direct on a usable /dev/kvm, else nested).
# Each test prints a TAP line; this script counts them.
set -uo pipefail
cd "$(dirname "$0")/.."
log=build/test-logs
mkdir -p "$log"
passed=0 failed=0
JOBS=${JOBS:-$(nproc)}

record() { # record NAME STATUS [DETAIL]
	if [ "$2" -eq 0 ]; then
		passed=$((passed + 1)); echo "ok - $1"
	else
		failed=$((failed + 1)); echo "not ok - $1${3:+: $3}"
	fi
}

# tap NAME CMD...: run CMD, echo and count its ok / not ok lines; a CMD
# that fails without reporting a failure counts as one failure.
tap() {
	local name=$1 out rc ok bad
	shift
	out=$("$@" 2>&1)
	rc=$?
	# After a retry marker only the retry's lines count.
	case "$out" in *"--- retry: only what follows counts ---"*)
		out=${out##*--- retry: only what follows counts ---} ;;
	esac
	printf '%s\n' "$out" >"$log/$(echo "$name" | tr ' /' '__').log"
	# Results, the notes of a boot that was run again (run.sh), and why
	# the sandbox stopped (tests/sandbox/run): CI shows only this.
	printf '%s\n' "$out" | grep -E '^(not )?ok |^note: |^# .*(once more|booted again: [1-9])|^sandbox: (the outer|the frozen|its|no output|timed out|\| )' |
		sed "s|^|[$name] |"
	ok=$(printf '%s\n' "$out" | grep -cE '^ok ')
	bad=$(printf '%s\n' "$out" | grep -cE '^not ok ')
	passed=$((passed + ok))
	failed=$((failed + bad))
	if [ "$rc" -ne 0 ] && [ "$bad" -eq 0 ]; then
		record "$name exits cleanly" 1 "status $rc (log: $log)"
		printf '%s\n' "$out" | tail -20
	fi
}

step() { # step NAME CMD...: one pass/fail for a whole command
	local name=$1
	shift
	if "$@" >"$log/step.log" 2>&1; then record "$name" 0
	else record "$name" 1; tail -30 "$log/step.log"; fi
}

SAN="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer"
step "dependencies installed" bash scripts/deps.sh
step "build with gcc -Werror" make -j"$JOBS" all unit
step "build with clang -Werror" make -j"$JOBS" CC=clang BUILD=build/clang all unit
step "build with ASan+UBSan" make -j"$JOBS" BUILD=build/asan EXTRA_CFLAGS="$SAN" all unit
step "guest image built" bash guest/build.sh
step "build guest test tools (static)" make -j"$JOBS" tools
step "build fuzz targets (clang libFuzzer)" make -j"$JOBS" fuzz

for t in build/tests/test_*; do
	tap "unit $(basename "$t")" env CMOCKA_MESSAGE_OUTPUT=TAP "$t"
done
for t in build/asan/tests/test_*; do
	tap "asan $(basename "$t")" env CMOCKA_MESSAGE_OUTPUT=TAP "$t"
done
# Each fuzz target runs for a bounded time from its corpus in the repo
# (tests/fuzz/corpus/NAME); new inputs go to a scratch folder.
for f in build/fuzz/fuzz_*; do
	[ -x "$f" ] || continue
	name=$(basename "$f")
	scratch=$(mktemp -d)
	step "fuzz $name for ${FUZZ_SECONDS:-30}s" timeout 300 "$f" -max_total_time="${FUZZ_SECONDS:-30}" -timeout=10 \
		-print_final_stats=1 "$scratch" "tests/fuzz/corpus/$name"
	rm -rf "$scratch"
done
tap "cli bad input" bash tests/host/bad-input.sh build/skiff build/guest/vmlinuz
tap "asan cli bad input" bash tests/host/bad-input.sh build/asan/skiff build/guest/vmlinuz
# The integration tests in the sandbox, with retries of the sections a
# dying or frozen outer guest cut short (see the file).
. tests/integration/retry.sh
tap "integration retry logic" bash tests/host/integration-retry.sh
tap "sandbox freeze watcher" bash tests/host/sandbox-watch.sh
# The retry needs a dead outer guest to end the sandbox with 125 (not 1):
# make one reboot (forced nested, so never the host itself).
# A second try only when the first timed out (124): once, in CI, the outer
# guest printed nothing in 180 s, a slow start rather than the retry's
# logic (2026-12-04).
for reboot_try in 1 2; do
	SKIFF_SANDBOX=nested tests/sandbox/run --timeout 240 -- sh -c 'echo b >/proc/sysrq-trigger; sleep 30' \
		>"$log/sandbox-reboot.log" 2>&1
	reboot_rc=$?
	[ "$reboot_rc" -eq 124 ] || break
	echo "# sandbox reboot check: timed out, trying once more"
done
record "sandbox: an outer guest that reboots ends it with status 125" \
	"$([ "$reboot_rc" -eq 125 ] && echo 0 || echo 1)" "status $reboot_rc ($log/sandbox-reboot.log)"
tap "integration" integration_with_retry "$log"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
