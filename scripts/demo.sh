#!/usr/bin/env bash
# A complete local nsupd in ./demo/: a named on loopback port 5353 serving the
# zone demo.nsupd.test (updatable with a fresh TSIG key), an SQLite database
# with one user, domain and host, and `nsupd serve` on 127.0.0.1:8000 and
# [::1]:8000. Nothing listens beyond loopback.
#
#   scripts/demo.sh start    (re)creates demo/ from scratch and starts both
#   scripts/demo.sh stop     stops both; demo/ (logs, database) stays
#   scripts/demo.sh status
#
# `make demo` builds first and then runs `start`; `make demo-stop` runs `stop`.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

BUILD=${BUILD:-build}
NSUPD=${NSUPD_BIN:-$BUILD/nsupd}
NAMED=${NAMED:-/usr/sbin/named}
DEMO=demo                      # relative: the paths printed stay short
ZONE=demo.nsupd.test
HOST=myhost.$ZONE
DNS_PORT=5353
HTTP_PORT=8000
# nsupd names the TSIG key after the zone (as nsupdate.info does).
KEY_NAME=$ZONE
ALGORITHM=hmac-sha512
WAIT_TENTHS=150                # bounded polls: 15 s at most

say() { echo "demo: $*"; }
die() {
	echo "demo: error: $*" >&2
	exit 1
}

# pid_alive PIDFILE NAME: the pid in PIDFILE is running and is NAME (pids get
# reused; never signal a stranger).
pid_alive() {
	local pidfile=$1 name=$2 pid
	[ -f "$pidfile" ] || return 1
	pid=$(cat "$pidfile" 2>/dev/null) || return 1
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	[ -r "/proc/$pid/cmdline" ] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "$name" || return 1
	echo "$pid"
}

# stop_one PIDFILE NAME: SIGTERM, wait (bounded), then SIGKILL.
stop_one() {
	local pidfile=$1 name=$2 pid i
	if ! pid=$(pid_alive "$pidfile" "$name"); then
		rm -f "$pidfile"
		return 0
	fi
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < WAIT_TENTHS; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		say "$name (pid $pid) did not stop on SIGTERM; sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -f "$pidfile"
	say "stopped $name (pid $pid)"
}

do_stop() {
	stop_one "$DEMO/nsupd.pid" "$(basename "$NSUPD")"
	stop_one "$DEMO/named.pid" named
}

have_ipv6_loopback() {
	/usr/bin/python3 - <<'EOF' 2>/dev/null
import socket
s = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
s.bind(('::1', 0))
EOF
}

# port_busy HOST PORT: something already accepts TCP connections there.
port_busy() {
	/usr/bin/python3 - "$1" "$2" <<'EOF' 2>/dev/null
import socket, sys
try:
    socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=0.5).close()
except OSError:
    sys.exit(1)
EOF
}

write_named_conf() {
	local secret=$1 v6=$2 abs
	abs="$root/$DEMO"
	mkdir -p "$DEMO/named"
	cat >"$DEMO/named.conf" <<EOF
// nsupd demo nameserver: loopback only, authoritative only, no rndc.
options {
	directory "$abs/named";
	pid-file "$abs/named.pid";
	lock-file "$abs/named.lock";
	session-keyfile "$abs/named/session.key";
	managed-keys-directory "$abs/named";
	dump-file "$abs/named/cache_dump.db";
	statistics-file "$abs/named/named.stats";
	listen-on port $DNS_PORT { 127.0.0.1; };
	listen-on-v6 port $DNS_PORT { $([ "$v6" = 1 ] && echo '::1;' || echo 'none;') };
	recursion no;
	allow-recursion { none; };
	allow-query { localhost; };
	allow-transfer { none; };
	dnssec-validation no;
	notify no;
};

controls { };

logging {
	channel demo_log {
		file "$abs/named.log" versions 2 size 5m;
		severity info;
		print-time yes;
		print-category yes;
	};
	category default { demo_log; };
	category update { demo_log; };
	category update-security { demo_log; };
	category security { demo_log; };
	category lame-servers { null; };
};

key "$KEY_NAME." {
	algorithm $ALGORITHM;
	secret "$secret";
};

zone "$ZONE" {
	type primary;
	file "$abs/named/$ZONE.zone";
	update-policy {
		grant $KEY_NAME. subdomain $ZONE. ANY;
	};
};
EOF
	cat >"$DEMO/named/$ZONE.zone" <<EOF
\$TTL 60
@	IN SOA	ns.$ZONE. hostmaster.$ZONE. ( 1 3600 600 86400 60 )
	IN NS	ns.$ZONE.
ns	IN A	127.0.0.1
EOF
}

write_nsupd_conf() {
	local v6=$1 listen="127.0.0.1:$HTTP_PORT"
	[ "$v6" = 1 ] && listen="$listen, [::1]:$HTTP_PORT"
	cat >"$DEMO/nsupd.conf" <<EOF
; nsupd demo configuration (written by scripts/demo.sh; rewritten on every start)
[server]
listen = $listen

[database]
url = sqlite:$DEMO/nsupd.sqlite

[dns]
ttl = 60
EOF
}

start_named() {
	local i
	if ! named-checkconf "$DEMO/named.conf"; then
		die "named-checkconf rejected $DEMO/named.conf"
	fi
	if ! named-checkzone -q "$ZONE" "$DEMO/named/$ZONE.zone"; then
		die "named-checkzone rejected the demo zone"
	fi
	# named forks into the background itself and writes its pid file.
	if ! "$NAMED" -c "$root/$DEMO/named.conf" </dev/null >"$DEMO/named.out" 2>&1; then
		cat "$DEMO/named.out" >&2
		die "named did not start; see $DEMO/named.log"
	fi
	for ((i = 0; i < WAIT_TENTHS; i++)); do
		if dig +short +time=1 +tries=1 @127.0.0.1 -p "$DNS_PORT" "$ZONE" SOA 2>/dev/null | grep -q .; then
			say "named is serving $ZONE on 127.0.0.1 port $DNS_PORT (pid $(cat "$DEMO/named.pid"))"
			return 0
		fi
		sleep 0.1
	done
	tail -n 20 "$DEMO/named.log" >&2 2>/dev/null || true
	if grep -qs 'named (enforce)' /sys/kernel/security/apparmor/profiles; then
		echo "demo: AppArmor confines /usr/sbin/named to /etc/bind and /var/lib/bind;" >&2
		echo "demo: 'aa-complain /usr/sbin/named' (package apparmor-utils) lets it read $root/$DEMO." >&2
	fi
	die "named does not answer on 127.0.0.1 port $DNS_PORT; see $DEMO/named.log"
}

start_nsupd() {
	local i pid
	# setsid: the service outlives the terminal or make that started it.
	setsid "$NSUPD" -c "$DEMO/nsupd.conf" serve </dev/null >>"$DEMO/nsupd.log" 2>&1 &
	pid=$!
	echo "$pid" >"$DEMO/nsupd.pid"
	for ((i = 0; i < WAIT_TENTHS; i++)); do
		if curl -fsS --max-time 1 "http://127.0.0.1:$HTTP_PORT/myip" >/dev/null 2>&1; then
			say "nsupd is serving on 127.0.0.1:$HTTP_PORT (pid $pid, log $DEMO/nsupd.log)"
			return 0
		fi
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	tail -n 20 "$DEMO/nsupd.log" >&2 || true
	die "nsupd serve did not answer /myip on 127.0.0.1:$HTTP_PORT; see $DEMO/nsupd.log"
}

cli() {
	"$NSUPD" -c "$DEMO/nsupd.conf" "$@"
}

do_start() {
	local v6=0 secret host_secret
	[ -x "$NSUPD" ] || die "$NSUPD not found; run 'make' (or 'make demo') first"
	[ -x "$NAMED" ] || die "$NAMED not found; run 'make deps' as root (package bind9)"
	command -v dig >/dev/null || die "dig not found; run 'make deps' as root (package bind9-dnsutils)"
	command -v curl >/dev/null || die "curl not found; run 'make deps' as root (package curl)"

	# Idempotent: whatever an earlier start left behind goes first.
	do_stop >/dev/null
	if port_busy 127.0.0.1 "$HTTP_PORT"; then
		die "something else already listens on 127.0.0.1:$HTTP_PORT; stop it and retry"
	fi
	if port_busy 127.0.0.1 "$DNS_PORT"; then
		die "something else already listens on 127.0.0.1:$DNS_PORT (TCP); stop it and retry"
	fi

	rm -rf "$DEMO"
	mkdir -p "$DEMO"
	chmod 700 "$DEMO"          # it holds the TSIG key and the database
	have_ipv6_loopback && v6=1

	secret=$(head -c 64 /dev/urandom | base64 -w0)
	write_named_conf "$secret" "$v6"
	write_nsupd_conf "$v6"
	start_named

	if ! cli migrate >"$DEMO/migrate.log" 2>&1; then
		cat "$DEMO/migrate.log" >&2
		die "nsupd migrate failed"
	fi
	web_password=$(head -c 12 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 16)
	printf '%s\n' "$web_password" | cli user add demo --email demo@example.org --password-stdin
	printf '%s\n' "$web_password" >"$DEMO/web-password"
	cli domain add "$ZONE" --owner demo --nameserver "127.0.0.1:$DNS_PORT" \
		--algorithm "$ALGORITHM" --secret "$secret"
	host_secret=$(cli host add "$HOST" --owner demo)
	[ -n "$host_secret" ] || die "host add printed no secret"
	printf '%s\n' "$host_secret" >"$DEMO/host-secret"
	say "created user demo, domain $ZONE and host $HOST (secret also in $DEMO/host-secret)"

	start_nsupd
	show_usage "$host_secret" "$v6"
	cat <<EOF
Web interface: http://127.0.0.1:$HTTP_PORT/  (log in as demo / $web_password,
also in $DEMO/web-password)
EOF
}

show_usage() {
	local s=$1 v6=$2 base="http://127.0.0.1:$HTTP_PORT"
	cat <<EOF

nsupd demo is running. Things to try:

  # your address as nsupd sees it, and the Dyn-style check page
  curl $base/myip
  curl $base/nic/checkip.html

  # update the host's A record (answers "good 192.0.2.10", then "nochg ...")
  curl -u $HOST:$s '$base/nic/update?myip=192.0.2.10'
  dig +short @127.0.0.1 -p $DNS_PORT $HOST A

  # IPv6, and both families in one request
  curl -u $HOST:$s '$base/nic/update?myip=2001:db8::10'
  curl -u $HOST:$s '$base/nic/update?myip=192.0.2.11,2001:db8::11'
  dig +short @127.0.0.1 -p $DNS_PORT $HOST AAAA
EOF
	if [ "$v6" = 1 ]; then
		cat <<EOF

  # over IPv6 loopback without myip: the client address (::1) is used
  curl -g -u $HOST:$s 'http://[::1]:$HTTP_PORT/nic/update'
  curl -g 'http://[::1]:$HTTP_PORT/myip'
EOF
	fi
	cat <<EOF

  # a wrong secret (badauth), then the host's state and fault counters
  curl -u $HOST:wrong '$base/nic/update?myip=192.0.2.12'
  $NSUPD -c $DEMO/nsupd.conf host show $HOST --json

  # remove the records again
  curl -u $HOST:$s '$base/nic/delete'

Logs: $DEMO/nsupd.log, $DEMO/named.log.  Stop with: make demo-stop
EOF
}

do_status() {
	local pid rc=0
	if pid=$(pid_alive "$DEMO/named.pid" named); then
		say "named running (pid $pid)"
	else
		say "named not running"
		rc=3
	fi
	if pid=$(pid_alive "$DEMO/nsupd.pid" "$(basename "$NSUPD")"); then
		say "nsupd running (pid $pid)"
	else
		say "nsupd not running"
		rc=3
	fi
	return $rc
}

case "${1:-}" in
start) do_start ;;
stop)
	do_stop
	say "stopped (demo/ is kept; 'make demo' starts afresh)"
	;;
status) do_status ;;
*)
	echo "usage: $0 start|stop|status" >&2
	exit 2
	;;
esac
