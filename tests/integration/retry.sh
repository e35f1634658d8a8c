# shellcheck shell=bash
# Sourced by tests/run-all.sh (and tests/host/integration-retry.sh, which
# tests it with a fake tests/sandbox/run): integration_with_retry LOGDIR.
# The nested sandbox (QEMU TCG emulating SVM) has been seen to die
# silently once in a while (status 125: no status from the command), and
# to freeze (status 124: no console output for INTEGRATION_SILENCE
# seconds, or the timeout; every skiff run inside has its own `timeout -k`
# of at most 300 s and each boot prints, so a skiff that hangs fails a test
# instead, and only a stuck outer guest gets here). Then the sections that
# ended keep their results and the others run once more, in a fresh
# sandbox: a skiff failure fails every time. At most INTEGRATION_TRIES
# tries (5), all within INTEGRATION_BUDGET seconds (3000: CI allows 90
# minutes for all of `make test`); each try's timeout is what is left of
# the budget, and no try starts with less than INTEGRATION_MIN_TRY
# seconds (240) left. One death costs the section it cut short; one
# freeze costs the silence as well.
integration_with_retry() { # LOGDIR: prints the output; the last status
	local log=$1
	local rc try=1 out kept=$log/integration.kept only='' ended last
	local tries=${INTEGRATION_TRIES:-5} budget=${INTEGRATION_BUDGET:-3000}
	local min_try=${INTEGRATION_MIN_TRY:-240} start left timeout
	start=$(date +%s)
	: >"$kept"
	while :; do
		left=$((budget - ($(date +%s) - start)))
		timeout=${INTEGRATION_TIMEOUT:-1320}
		[ "$left" -lt "$timeout" ] && timeout=$left
		out=$log/integration.try$try # each try's whole output, for diagnosis
		"${SANDBOX_RUN:-tests/sandbox/run}" --timeout "$timeout" \
			--silence "${INTEGRATION_SILENCE:-540}" -- env ONLY="$only" \
			tests/integration/run.sh >"$out" 2>&1
		rc=$?
		cat "$out"
		[ "$rc" -eq 125 ] || [ "$rc" -eq 124 ] || return "$rc"
		# Keep the lines of the sections that ended; run the rest again.
		last=$(grep -n '^# section done: ' "$out" | tail -n 1 | cut -d: -f1)
		[ -n "$last" ] && head -n "$last" "$out" >>"$kept"
		ended=$(sed -n 's/^# section done: //p' "$out" | tr '\n' ' ')
		if grep -q '^# sections: ' "$out"; then
			only=$(sed -n 's/^# sections: //p' "$out" | head -n 1)
			for s in $ended; do only=$(printf '%s\n' $only | grep -vx "$s" | tr '\n' ' '); done
			only=${only% }
		fi
		echo "--- retry: only what follows counts ---"
		cat "$kept"
		if [ -n "$ended" ] && [ -z "$only" ]; then
			echo "note: the sandbox's outer guest died or froze (status $rc) after its last section; every result is in"
			return 0
		fi
		left=$((budget - ($(date +%s) - start)))
		if [ "$try" -ge "$tries" ] || [ "$left" -lt "$min_try" ]; then
			echo "note: the sandbox's outer guest died or froze (status $rc) in try $try of $tries, with ${left}s of the ${budget}s budget left; giving up"
			return "$rc"
		fi
		echo "note: the sandbox's outer guest died or froze (status $rc); running ${only:-all sections} again${ended:+ (ended: ${ended% })}, try $((try + 1)) of $tries"
		try=$((try + 1))
	done
}
