#!/usr/bin/env bash
# Starts a throw-away PostgreSQL cluster for tests and prints its URL:
#   tests/pg/start.sh DIR   ->   postgresql://nsupd:PASS@127.0.0.1:PORT/nsupd
# The cluster lives entirely in DIR (data, unix socket, log) and listens on
# 127.0.0.1 only, on a free port. fsync is off: the data is disposable.
# tests/pg/stop.sh DIR stops it and removes DIR.
#
# initdb and pg_ctl refuse to run as root, so as root everything runs as
# the postgres user (via runuser) and DIR is handed to that user.
set -euo pipefail

if [ $# -ne 1 ] || [ -z "$1" ]; then
	echo "usage: $0 DIR" >&2
	exit 2
fi
dir=$1
bindir=${PG_BINDIR:-/usr/lib/postgresql/15/bin}
if [ ! -x "$bindir/initdb" ]; then
	echo "start.sh: $bindir/initdb not found (apt-get install postgresql)" >&2
	exit 1
fi
if [ -e "$dir/data" ]; then
	echo "start.sh: $dir/data already exists (stop.sh $dir first)" >&2
	exit 1
fi

mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
# The unix socket path must fit in sun_path (107 bytes with the file name).
if [ ${#dir} -gt 80 ]; then
	echo "start.sh: $dir is too long for a unix socket directory" >&2
	exit 1
fi

run=()
if [ "$(id -u)" -eq 0 ]; then
	chown postgres: "$dir"
	chmod 700 "$dir"
	run=(runuser -u postgres --)
	# Every directory above DIR must let the postgres user through.
	if ! "${run[@]}" test -w "$dir"; then
		echo "start.sh: user postgres cannot reach $dir (choose a DIR under /tmp)" >&2
		exit 1
	fi
fi

free_port() {
	/usr/bin/python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}

pass=$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')
"${run[@]}" "$bindir/initdb" -D "$dir/data" -U postgres -E UTF8 --locale=C.UTF-8 \
	--auth-local=trust --auth-host=scram-sha-256 >"$dir/initdb.log" 2>&1 || {
	cat "$dir/initdb.log" >&2
	exit 1
}

# A port found free can be taken before the server binds it: retry a few
# times with a new one.
started=0
for _ in 1 2 3 4 5; do
	port=$(free_port)
	cat >"$dir/data/postgresql.auto.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 300
shared_buffers = 64MB
logging_collector = off
log_min_messages = warning
CONF
	if "${run[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start \
		>/dev/null 2>&1; then
		started=1
		break
	fi
done
if [ "$started" -ne 1 ]; then
	echo "start.sh: the server did not start; see $dir/server.log" >&2
	tail -n 20 "$dir/server.log" >&2 || true
	exit 1
fi

# From here on a failure must not leave a server running.
trap '"${run[@]}" "$bindir/pg_ctl" -D "$dir/data" -m immediate -w -t 10 stop >/dev/null 2>&1 || true' ERR

psql=("${run[@]}" "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d postgres)
"${psql[@]}" -c "CREATE ROLE nsupd LOGIN PASSWORD '$pass'" >/dev/null
"${psql[@]}" -c "CREATE DATABASE nsupd OWNER nsupd" >/dev/null
# PostgreSQL 15 no longer lets every role create in schema public.
"${run[@]}" "$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir" -p "$port" -U postgres -d nsupd \
	-c "ALTER SCHEMA public OWNER TO nsupd" >/dev/null

url="postgresql://nsupd:$pass@127.0.0.1:$port/nsupd"
printf '%s\n' "$url" >"$dir/url"
chmod 600 "$dir/url"
printf '%s\n' "$url"
