#!/usr/bin/env bash
# Installs the Debian 12 packages nsupd needs to build, test, demo and
# benchmark. Does nothing (and needs no network) when all are present.
#
# As root: installs what is missing, non-interactively, and makes sure no
# daemon from the new packages (named, ddclient, inadyn, nginx, postgresql)
# is left running or enabled: the tests and the demo start their own copies
# on loopback ports, and a system named on port 53 would only get in the way.
# Not root: prints the apt-get line to run and fails.
set -euo pipefail

# One list; append new build or test dependencies here.
PACKAGES=(
	build-essential meson ninja-build pkg-config
	libmicrohttpd-dev libsqlite3-dev libsodium-dev libinih-dev libjansson-dev
	libknot-dev libcurl4-openssl-dev check
	bind9 bind9-utils bind9-dnsutils
	python3 python3-pytest python3-dnspython python3-requests
	ddclient inadyn wrk dnsperf nginx-light sqlite3 curl ca-certificates
	libpq-dev postgresql haproxy
	nodejs gettext chromium chromium-driver python3-selenium
	python3-aiosmtpd
	libssl-dev liboath-dev libqrencode-dev python3-cryptography
	openssl
)

# Services the packages above may install and start from their postinst.
SERVICES=(named bind9 ddclient inadyn nginx postgres haproxy)

is_installed() {
	local status
	status=$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) || return 1
	[ "$status" = installed ]
}

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "install-deps: dpkg-query not found; nsupd's scripts target Debian 12." >&2
	echo "install-deps: install these packages by other means: ${PACKAGES[*]}" >&2
	exit 1
fi

# The web interface's CSS/JS (Bootstrap, pinned in web/package-lock.json)
# comes from the npm registry once; the build copies it into BUILDDIR/static.
npm_assets() {
	local root
	root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
	if [ -d "$root/web/node_modules/bootstrap/dist" ]; then
		return 0
	fi
	if ! command -v npm >/dev/null 2>&1; then
		echo "install-deps: npm not found: cannot install web/node_modules" >&2
		return 1
	fi
	echo "install-deps: npm ci in web/"
	(cd "$root/web" && npm ci --no-audit --no-fund --ignore-scripts)
}

missing=()
for pkg in "${PACKAGES[@]}"; do
	is_installed "$pkg" || missing+=("$pkg")
done
# npm: Debian's package, unless an npm is already there (NodeSource's nodejs
# bundles one and conflicts with Debian's npm package).
if ! command -v npm >/dev/null 2>&1; then
	is_installed npm || missing+=(npm)
fi

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#PACKAGES[@]} packages are installed"
	npm_assets || exit 1
	exit 0
fi

apt_line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root:" >&2
	echo "    apt-get update && $apt_line" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}"

# A policy-rc.d that answers 101 ("action forbidden") stops invoke-rc.d and
# deb-systemd-invoke from starting services during the install. Keep an
# existing one (container images often ship it) untouched.
policy=/usr/sbin/policy-rc.d
own_policy=0
cleanup() {
	if [ "$own_policy" -eq 1 ]; then
		rm -f "$policy"
	fi
}
trap cleanup EXIT
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# written by nsupd scripts/install-deps.sh for the install only\nexit 101\n' >"$policy"
	chmod 755 "$policy"
	own_policy=1
fi

export DEBIAN_FRONTEND=noninteractive
export DEBCONF_NONINTERACTIVE_SEEN=true
# ddclient asks for a provider during configuration; with the noninteractive
# frontend debconf takes the defaults, and stdin from /dev/null makes sure
# nothing can wait for a terminal (CI has none).
apt-get update </dev/null
apt-get install -y --no-install-recommends \
	-o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
	"${missing[@]}" </dev/null

cleanup
own_policy=0

# Belt and braces: whatever got started anyway is stopped and not enabled at
# boot. Only for packages this run installed, so an operator's own nginx or
# named is left alone. systemctl exists but does not work in most containers,
# so check that systemd is really PID 1 first.
newly=" ${missing[*]} "
touched=()
case "$newly" in *" bind9 "*) touched+=(named bind9) ;; esac
case "$newly" in *" ddclient "*) touched+=(ddclient) ;; esac
case "$newly" in *" inadyn "*) touched+=(inadyn) ;; esac
case "$newly" in *" nginx-light "*) touched+=(nginx) ;; esac
case "$newly" in *" postgresql "*) touched+=(postgresql) ;; esac
case "$newly" in *" haproxy "*) touched+=(haproxy) ;; esac

have_systemd=0
if [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then
	have_systemd=1
fi
for svc in "${touched[@]}"; do
	if [ "$have_systemd" -eq 1 ]; then
		systemctl disable --now "$svc" >/dev/null 2>&1 || true
	else
		if [ -x "/etc/init.d/$svc" ]; then
			"/etc/init.d/$svc" stop >/dev/null 2>&1 || true
		fi
		if command -v update-rc.d >/dev/null 2>&1 && [ -e "/etc/init.d/$svc" ]; then
			update-rc.d "$svc" disable >/dev/null 2>&1 || true
		fi
	fi
done

# Report (do not kill: it could be the operator's) any of these daemons still
# running, as it may hold ports the tests expect to be free.
for svc in "${SERVICES[@]}"; do
	if pgrep -x "$svc" >/dev/null 2>&1; then
		echo "install-deps: note: a system '$svc' process is running" >&2
	fi
done

still=()
for pkg in "${missing[@]}"; do
	is_installed "$pkg" || still+=("$pkg")
done
if [ ${#still[@]} -ne 0 ]; then
	echo "install-deps: still missing after apt-get: ${still[*]}" >&2
	exit 1
fi
npm_assets || exit 1
echo "install-deps: done"
