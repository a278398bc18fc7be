#!/bin/bash
# tests/fuzz/run.sh: runs the libFuzzer harnesses of a fuzz build (make fuzz, make fuzz-check).
#
#   run.sh --replay BUILD           every file of tests/fuzz/corpus/<harness>/ once, per harness
#   run.sh BUILD SECONDS            each harness fuzzed for SECONDS from its corpus; what it
#                                   finds new stays in BUILD/fuzz-work/<harness>/ (not in git)
#   run.sh --merge BUILD            adds the new inputs that cover more to the checked-in corpus
#
# A crash, a leak, a UBSan report, a timeout (10 s for one input) or a property that fails makes
# the run fail; the input is kept in BUILD/fuzz-findings/<harness>/ to become a corpus file and a
# fix. At the end, one line per harness: executions, executions per second, corpus size.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
corpus_root=$here/corpus
mode=fuzz
case ${1:-} in
--replay | --merge)
	mode=${1#--}
	shift
	;;
esac
build=${1:?usage: run.sh [--replay|--merge] BUILD [SECONDS]}
seconds=${2:-60}
harnesses=$(cd "$build" && ls fuzz_* 2>/dev/null | grep -v '\.' || true)
[[ -n $harnesses ]] || {
	echo "run.sh: no harness in $build (make fuzz-build)" >&2
	exit 1
}
# the machine's other work goes first: fuzzing is the patient kind
nice_cmd=(nice -n 10)
failed=0
summary=()
total=0

for h in $harnesses; do
	corpus=$corpus_root/$h
	work=$build/fuzz-work/$h
	findings=$build/fuzz-findings/$h
	log=$build/fuzz-work/$h.log
	mkdir -p "$corpus" "$work" "$findings"
	dict=()
	[[ -f $here/$h.dict ]] && dict=(-dict="$here/$h.dict")
	common=(-timeout=10 -rss_limit_mb=2048 -malloc_limit_mb=2048 -artifact_prefix="$findings/"
		-print_final_stats=1 "${dict[@]}")
	case $mode in
	replay)
		files=("$corpus"/*)
		if "${nice_cmd[@]}" "$build/$h" "${common[@]}" "${files[@]}" >"$log" 2>&1; then
			summary+=("$(printf '%-20s replayed %d corpus files' "$h" "${#files[@]}")")
		else
			failed=1
			summary+=("$(printf '%-20s FAILED replaying its corpus (%s)' "$h" "$log")")
			tail -40 "$log" >&2
		fi
		;;
	merge)
		"${nice_cmd[@]}" "$build/$h" "${common[@]}" -merge=1 "$corpus" "$work" >"$log" 2>&1 || {
			failed=1
			tail -20 "$log" >&2
		}
		summary+=("$(printf '%-20s corpus %d files' "$h" "$(ls "$corpus" | wc -l)")")
		;;
	fuzz)
		# -max_len: the harnesses take bodies; 64 KiB reaches the bounds without crawling
		if "${nice_cmd[@]}" "$build/$h" "${common[@]}" -max_len=65536 -max_total_time="$seconds" \
			"$work" "$corpus" >"$log" 2>&1; then
			execs=$(awk '/stat::number_of_executed_units/ { print $NF }' "$log")
			rate=$(awk '/stat::average_exec_per_sec/ { print $NF }' "$log")
			total=$((total + ${execs:-0}))
			summary+=("$(printf '%-20s %12s executions %8s/s  corpus %d + %d new' "$h" \
				"${execs:-?}" "${rate:-?}" "$(ls "$corpus" | wc -l)" "$(ls "$work" | wc -l)")")
		else
			failed=1
			summary+=("$(printf '%-20s FAILED: a finding in %s (log %s)' "$h" "$findings" "$log")")
			grep -E 'ERROR|SUMMARY|property failed|runtime error|Test unit written' "$log" | head -20 >&2
		fi
		;;
	esac
done
printf '%s\n' "${summary[@]}"
[[ $mode == fuzz ]] && printf '%-20s %12d executions in all\n' total "$total"
exit $failed
