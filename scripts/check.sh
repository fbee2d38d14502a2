#!/usr/bin/env bash
# Builds nsupd twice (normal, and ASan+UBSan) and runs every test:
#   unit    the C unit tests (Check) in both builds, test_store on SQLite and
#           on PostgreSQL
#   system  the Python black-box tests (pytest: tests/system, tests/browser)
#           against the sanitizer build, once on SQLite and once on PostgreSQL
# Usage: scripts/check.sh [all|unit|system]     (default: all)
#
# PostgreSQL: a throw-away cluster (tests/pg/start.sh) is started once and
# stopped at the end, whatever happens; NSUPD_TEST_PG_URL=URL uses an
# existing database instead (the tests create their own schemas in it).
# The last line printed is always "N passed, N failed[, N skipped]", counting
# each test case (not each binary); the exit status is nonzero when anything
# failed or a step broke.
set -uo pipefail

what=${1:-all}
case "$what" in
all | unit | system) ;;
-h | --help)
	sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
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
# This is the budget for all pytest runs together (each suite on each
# database); a run gets what the earlier ones left, at least 120 s.
SYSTEM_TIMEOUT=${NSUPD_SYSTEM_TIMEOUT:-1200}

# Sanitizer reports must fail the test that triggered them, with a stack.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:halt_on_error=1:print_summary=1:strict_string_checks=1:detect_stack_use_after_return=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:print_summary=1}
# Debian's python and its packages, not whatever is first on PATH.
unset PYTHONPATH PYTHONHOME

broken=()
counted=()

# ---- PostgreSQL: one throw-away cluster for the whole run ----
pg_dir=
pg_url=${NSUPD_TEST_PG_URL:-}
pg_stop() {
	if [ -n "$pg_dir" ]; then
		tests/pg/stop.sh "$pg_dir" || echo "check: could not stop PostgreSQL in $pg_dir" >&2
		pg_dir=
	fi
}
trap pg_stop EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

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

system_started=$SECONDS

# run_pytest BUILDDIR SUITE DB: one pytest run of tests/SUITE with every
# nsupd instance on DB (sqlite or postgresql); its own junit file, so each
# run is counted.
run_pytest() {
	local dir=$1 suite=$2 db=$3 junit rc left
	junit="$dir/pytest-junit-$suite-$db.xml"
	left=$((SYSTEM_TIMEOUT - (SECONDS - system_started)))
	[ "$left" -ge 120 ] || left=120
	step "pytest tests/$suite on $db (NSUPD_BIN=$dir/nsupd, at most ${left}s)"
	NSUPD_BIN="$dir/nsupd" NSUPD_BUILD="$dir" NSUPD_TEST_DB="$db" \
		NSUPD_BROWSER_ARTIFACTS="$dir/browser-screenshots/$db" \
		timeout --signal=INT --kill-after=60 "$left" \
		"$PYTHON" -m pytest -q -p no:cacheprovider "tests/$suite" --junitxml="$junit" \
		-o junit_suite_name="$suite-$db" </dev/null
	rc=$?
	case $rc in
	0 | 1) ;;                 # all passed / some failed: counted from the XML
	5) echo "check: pytest collected no tests in tests/$suite" ;;
	124 | 137) broken+=("pytest tests/$suite on $db timed out after ${left}s") ;;
	*) broken+=("pytest tests/$suite on $db exited with status $rc") ;;
	esac
	if [ -f "$junit" ]; then
		counted+=(--junit "$junit")
	elif [ "$rc" -ne 5 ]; then
		broken+=("pytest tests/$suite on $db wrote no junit XML")
	fi
}

run_system() {
	local dir=$1 suite db
	case "$dir" in
	/*) ;;
	*) dir="$root/$dir" ;;
	esac
	rm -f "$dir"/pytest-junit*.xml
	if [ ! -d tests/system ]; then
		echo "check: no tests/system directory, nothing to run"
		return 0
	fi
	system_started=$SECONDS
	for db in sqlite postgresql; do
		if [ "$db" = postgresql ] && [ -z "$pg_url" ]; then
			# Counted as broken already when the cluster did not start.
			echo "check: no PostgreSQL, the PostgreSQL pass is not run"
			continue
		fi
		for suite in system browser; do
			[ -d "tests/$suite" ] || continue
			run_pytest "$dir" "$suite" "$db"
		done
	done
}

pg_start() {
	[ -n "$pg_url" ] && return 0
	# Under /tmp, short: the postgres user must reach it (as root) and the
	# unix socket path must fit.
	if ! pg_dir=$(mktemp -d /tmp/nsupd-check-pg.XXXXXX); then
		broken+=("mktemp for PostgreSQL")
		pg_dir=
		return 1
	fi
	step "tests/pg/start.sh $pg_dir"
	if ! pg_url=$(tests/pg/start.sh "$pg_dir"); then
		broken+=("start PostgreSQL (tests/pg/start.sh)")
		pg_url=
		rm -rf "$pg_dir"
		pg_dir=
		return 1
	fi
	echo "check: PostgreSQL at ${pg_url%%:*}://...@${pg_url##*@}"
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

if [ "$normal_ok" -eq 1 ] || [ "$asan_ok" -eq 1 ]; then
	pg_start
fi
if [ -n "$pg_url" ]; then
	export NSUPD_TEST_PG_URL=$pg_url
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
