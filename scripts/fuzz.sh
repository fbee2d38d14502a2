#!/usr/bin/env bash
# Fuzzes the readers of outside input (tests/fuzz) with clang's libFuzzer:
#   scripts/fuzz.sh [SECONDS [TARGET...]]     default: 60 s each, every target
# Builds build-fuzz (clang, ASan+UBSan, coverage for libFuzzer), runs each
# target from its corpus in tests/fuzz/corpus/TARGET/ and merges into that
# corpus what increased coverage. A crash leaves crash-* / leak-* files in
# build-fuzz/artifacts/ and a non-zero exit; add the input to the corpus once
# the bug is fixed, so test_fuzz_corpus replays it in every `make check`.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-60}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(request dns config web template)
dir=${FUZZ_BUILD:-build-fuzz}

if ! command -v clang >/dev/null; then
	echo "fuzz.sh: clang not found (apt-get install clang)" >&2
	exit 1
fi
if [ ! -f "$dir/build.ninja" ]; then
	CC=clang meson setup "$dir" -Dfuzzing=true -Db_sanitize=address,undefined \
		-Db_lundef=false -Dbuildtype=debugoptimized \
		-Dc_args=-fsanitize=fuzzer-no-link >/dev/null
fi
ninja -C "$dir" $(printf 'tests/fuzz/fuzz_%s ' "${targets[@]}") >/dev/null

mkdir -p "$dir/artifacts"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
status=0
for t in "${targets[@]}"; do
	corpus=tests/fuzz/corpus/$t
	found=$dir/found-$t
	mkdir -p "$corpus" "$found"
	echo "fuzz.sh: $t for $seconds s"
	if ! "$dir/tests/fuzz/fuzz_$t" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
		-artifact_prefix="$dir/artifacts/$t-" -print_final_stats=1 "$found" "$corpus" \
		2>"$dir/fuzz-$t.log"; then
		status=1
		echo "fuzz.sh: $t FAILED, see $dir/fuzz-$t.log and $dir/artifacts/" >&2
		tail -n 40 "$dir/fuzz-$t.log" >&2
		continue
	fi
	grep -E "^stat::(number_of_executed_units|new_units_added)" "$dir/fuzz-$t.log" | tr '\n' ' '
	echo
	# The corpus keeps the seeds, the inputs that once failed (found-*) and
	# a minimal set covering every edge reached so far (named by their
	# SHA-1, as libFuzzer names them). Edges, not hit counts: that keeps it
	# to a few hundred small files per target.
	merged=$dir/merged-$t
	rm -rf "$merged"
	mkdir -p "$merged"
	if "$dir/tests/fuzz/fuzz_$t" -merge=1 -use_counters=0 -max_len=4096 "$merged" \
		"$corpus" "$found" >/dev/null 2>"$dir/merge-$t.log"; then
		for f in "$corpus"/seed-* "$corpus"/found-*; do
			[ -e "$f" ] && rm -f "$merged/$(sha1sum "$f" | cut -c1-40)"
		done
		find "$corpus" -type f ! -name 'seed-*' ! -name 'found-*' -delete
		cp "$merged"/* "$corpus"/ 2>/dev/null || true
		echo "fuzz.sh: $t corpus: $(find "$corpus" -type f | wc -l) inputs"
	else
		status=1
		echo "fuzz.sh: merging $t failed, see $dir/merge-$t.log" >&2
	fi
	rm -rf "$found" "$merged"
done
exit $status
