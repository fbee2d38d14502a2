#!/usr/bin/env bash
# Builds nsupd twice (normal, and ASan+UBSan) and runs every test:
#   unit    the C unit tests (Check) in both builds
#   system  the Python black-box tests (pytest) against the sanitizer build
# Usage: scripts/check.sh [all|unit|system]     (default: all)
#
# The last line printed is always "N passed, N failed[, N skipped]", counting
# each test case (not each binary); the exit status is nonzero when anything
# failed or a step broke.
set -uo pipefail

what=${1:-all}
case "$what" in
all | unit | system) ;;
-h | --help)
	sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
	exit 0
	;;
*)
	echo "usage: $0 [all|unit|system]" >&2
	exit 2
	;;
esac

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1

PYTHON=${PYTHON:-/usr/bin/python3}
BUILD=${BUILD:-build}
ASAN_BUILD=${ASAN_BUILD:-build-asan}
# CI has 25 minutes in all; stop the system tests well before that so the
# summary still gets printed. SIGINT lets pytest run its fixture teardown
# (stopping the named and nsupd it started) and still write the junit file.
SYSTEM_TIMEOUT=${NSUPD_SYSTEM_TIMEOUT:-1200}

# Sanitizer reports must fail the test that triggered them, with a stack.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:halt_on_error=1:print_summary=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:print_summary=1}
# Debian's python and its packages, not whatever is first on PATH.
unset PYTHONPATH PYTHONHOME

broken=()
counted=()

step() {
	echo
	echo "==> $*"
}

# setup_build DIR [meson options...]: configure once, then build.
setup_build() {
	local dir=$1
	shift
	if [ ! -f "$dir/build.ninja" ]; then
		step "meson setup $dir $*"
		if ! meson setup "$dir" "$@"; then
			broken+=("meson setup $dir")
			return 1
		fi
	fi
	step "ninja -C $dir"
	if ! ninja -C "$dir"; then
		broken+=("build $dir")
		return 1
	fi
}

run_unit() {
	local dir=$1
	# Stale logs from an earlier run would be counted again.
	rm -f "$dir"/tests/unit/*.xml
	step "meson test -C $dir"
	# Meson's own exit status is not needed: count_tests.py reads both the
	# per-case XML logs and Meson's per-binary results.
	meson test -C "$dir" --print-errorlogs
	counted+=(--check "$dir")
}

run_system() {
	local dir=$1 junit rc
	case "$dir" in
	/*) ;;
	*) dir="$root/$dir" ;;
	esac
	junit="$dir/pytest-junit.xml"
	rm -f "$junit"
	if [ ! -d tests/system ]; then
		echo "check: no tests/system directory, nothing to run"
		return 0
	fi
	step "pytest tests/system (NSUPD_BIN=$dir/nsupd)"
	NSUPD_BIN="$dir/nsupd" NSUPD_BUILD="$dir" \
		timeout --signal=INT --kill-after=60 "$SYSTEM_TIMEOUT" \
		"$PYTHON" -m pytest -q -p no:cacheprovider tests/system --junitxml="$junit" </dev/null
	rc=$?
	case $rc in
	0 | 1) ;;                 # all passed / some failed: counted from the XML
	5) echo "check: pytest collected no tests" ;;
	124 | 137) broken+=("pytest timed out after ${SYSTEM_TIMEOUT}s") ;;
	*) broken+=("pytest exited with status $rc") ;;
	esac
	if [ -f "$junit" ]; then
		counted+=(--junit "$junit")
	elif [ "$rc" -ne 5 ]; then
		broken+=("pytest wrote no junit XML")
	fi
}

# The sanitizer build comes first: the system tests need it, and it catches
# more.
asan_ok=0
if setup_build "$ASAN_BUILD" -Db_sanitize=address,undefined -Db_lundef=false -Dbuildtype=debug; then
	asan_ok=1
fi
normal_ok=0
if [ "$what" != system ]; then
	if setup_build "$BUILD"; then
		normal_ok=1
	fi
fi

if [ "$what" != system ]; then
	[ "$normal_ok" -eq 1 ] && run_unit "$BUILD"
	[ "$asan_ok" -eq 1 ] && run_unit "$ASAN_BUILD"
fi
if [ "$what" != unit ] && [ "$asan_ok" -eq 1 ]; then
	run_system "$ASAN_BUILD"
fi

step "summary"
args=("${counted[@]}")
for b in "${broken[@]}"; do
	args+=(--broken "$b")
done
"$PYTHON" "$root/scripts/count_tests.py" "${args[@]}"
rc=$?
if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
	# The counter itself broke; the last line must still be a summary.
	echo "0 passed, 1 failed"
	exit 1
fi
exit "$rc"
