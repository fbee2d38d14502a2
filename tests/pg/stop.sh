#!/usr/bin/env bash
# Stops the cluster tests/pg/start.sh DIR started and removes DIR.
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi
dir=$1
bindir=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
[ -d "$dir" ] || exit 0

run=()
[ "$(id -u)" -eq 0 ] && run=(runuser -u postgres --)

if [ -f "$dir/data/postmaster.pid" ]; then
	# fast: roll back open transactions instead of waiting for clients;
	# immediate as a last resort so a stuck client cannot keep it alive.
	"${run[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 30 stop >/dev/null 2>&1 ||
		"${run[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 10 stop >/dev/null 2>&1 ||
		true
fi
if [ -f "$dir/data/postmaster.pid" ]; then
	echo "stop.sh: server in $dir did not stop" >&2
	exit 1
fi
rm -rf -- "$dir"
