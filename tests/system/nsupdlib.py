"""Black-box driver for the nsupd binary: config files, the CLI, and a served
instance on free loopback ports. Used by the system tests through conftest."""

import base64
import contextlib
import datetime
import json
import os
import re
import secrets
import selectors
import signal
import subprocess
import time
import uuid

import requests

NSUPD_BIN = os.environ.get("NSUPD_BIN", "/work/main/build/nsupd")

ALGORITHMS = ["hmac-md5", "hmac-sha1", "hmac-sha224", "hmac-sha256", "hmac-sha384", "hmac-sha512"]

# Every instance started by a test registers here so that a failing test can
# show the server's stderr (see conftest.pytest_runtest_makereport).
RUNNING = []

# Which database the instances of this run use: "sqlite" (one file per
# instance) or "postgresql" (one fresh schema per instance in the database of
# NSUPD_TEST_PG_URL, e.g. the cluster tests/pg/start.sh started).
TEST_DB = os.environ.get("NSUPD_TEST_DB", "sqlite")
PG_URL = os.environ.get("NSUPD_TEST_PG_URL", "")
PG = TEST_DB == "postgresql"
PSQL = os.environ.get("PSQL", "psql")

RESULT_WORDS = ("good", "nochg", "badauth", "notfqdn", "nohost", "abuse", "badagent", "dnserr",
        "deleted", "911")


def zone_for(algorithm):
    """The test zone whose TSIG key uses this algorithm."""
    return algorithm.replace("hmac-", "") + ".nsupd.test"


def unique_label(prefix="h"):
    return prefix + uuid.uuid4().hex[:12]


def parse_time(value):
    """ISO 8601 UTC -> aware datetime (accepts 'Z' and '+00:00')."""
    assert isinstance(value, str), value
    dt = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert dt.tzinfo is not None and dt.utcoffset() == datetime.timedelta(0), value
    return dt


def basic(user, password):
    """Authorization header value; user/password may be str or bytes."""
    if isinstance(user, str):
        user = user.encode()
    if isinstance(password, str):
        password = password.encode()
    return "Basic " + base64.b64encode(user + b":" + password).decode()


def pg_url_for_schema(schema, base=None):
    """The PostgreSQL URL whose connections use `schema` (libpq passes
    `options` to the server as a -c setting)."""
    base = base or PG_URL
    assert base, "NSUPD_TEST_PG_URL is not set"
    sep = "&" if "?" in base else "?"
    return "%s%soptions=-csearch_path%%3D%s" % (base, sep, schema)


def psql(sql, url=None, timeout=60):
    """Runs SQL with psql on url (default NSUPD_TEST_PG_URL); returns stdout
    (unaligned, tuples only)."""
    p = subprocess.run([PSQL, "-X", "-q", "-At", "-v", "ON_ERROR_STOP=1", "-d", url or PG_URL,
                        "-c", sql], capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    if p.returncode != 0:
        raise AssertionError("psql %r -> exit %d: %s" % (sql, p.returncode, p.stderr.strip()))
    return p.stdout


def pg_new_schema(prefix="t"):
    """A fresh, empty schema; returns (name, URL that uses it)."""
    name = "%s_%s" % (prefix, uuid.uuid4().hex[:16])
    psql("CREATE SCHEMA %s" % name)
    return name, pg_url_for_schema(name)


@contextlib.contextmanager
def database_locked(inst, timeout=30):
    """Holds a lock that stops inst's store from reading or writing hosts
    until the block ends: an exclusive SQLite transaction, or on PostgreSQL
    `LOCK TABLE hosts IN ACCESS EXCLUSIVE MODE` in another session (nsupd's
    statements then fail after its lock_timeout)."""
    if inst.db_url.startswith("sqlite:"):
        import sqlite3
        con = sqlite3.connect(inst.db, timeout=timeout, isolation_level=None)
        try:
            con.execute("BEGIN EXCLUSIVE")
            try:
                yield
            finally:
                con.execute("ROLLBACK")
        finally:
            con.close()
        return
    p = subprocess.Popen([PSQL, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", inst.db_url],
                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, text=True)
    try:
        p.stdin.write("BEGIN;\nLOCK TABLE hosts IN ACCESS EXCLUSIVE MODE;\n\\echo locked\n")
        p.stdin.flush()
        # Bounded wait for psql to confirm it holds the lock.
        sel = selectors.DefaultSelector()
        sel.register(p.stdout, selectors.EVENT_READ)
        if not sel.select(timeout):
            raise AssertionError("psql did not take the lock within %ss" % timeout)
        line = p.stdout.readline()
        if line.strip() != "locked":
            raise AssertionError("psql could not lock hosts: %r %s" % (line, p.stderr.read()))
        yield
        p.stdin.write("ROLLBACK;\n\\q\n")
        p.stdin.flush()
        p.stdin.close()
        p.wait(timeout)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()


class Host:
    def __init__(self, fqdn, secret, zone):
        self.fqdn = fqdn
        self.secret = secret
        self.zone = zone

    @property
    def auth(self):
        return (self.fqdn, self.secret)

    def __repr__(self):
        return "Host(%s)" % self.fqdn


class CliError(AssertionError):
    pass


class Nsupd:
    """One nsupd configuration (and database) with an optional running server."""

    def __init__(self, workdir, *, listen_v6=True, trusted_proxies="127.0.0.1/32",
             dns=None, abuse=None, extra="", db_url=None, secret_key=None, port=None,
             reuse_port=None):
        from named import free_port

        self.workdir = str(workdir)
        os.makedirs(self.workdir, exist_ok=True)
        # port: several instances given one port (with reuse_port=True)
        # share it; reuse_port None leaves the key out (the default, no).
        self.port = port or free_port()
        self.listen_v6 = listen_v6
        # db is the SQLite file (meaningful only when db_url is sqlite:);
        # pg_schema the PostgreSQL schema this instance created, if any.
        # Instances given the same db_url (and secret_key) share one
        # installation, like several frontends behind a load balancer.
        self.db = os.path.join(self.workdir, "nsupd.sqlite")
        self.pg_schema = None
        if db_url is None:
            if PG:
                self.pg_schema, db_url = pg_new_schema()
            else:
                db_url = "sqlite:" + self.db
        self.db_url = db_url
        self.secret_key = secret_key or secrets.token_hex(32)
        self.conf = os.path.join(self.workdir, "nsupd.conf")
        self.log = os.path.join(self.workdir, "nsupd.stderr")
        self.proc = None
        self.logf = None
        dns_cfg = {"resolver_timeout": 3, "update_timeout": 5, "ttl": 77, "unavailable_retry": 2}
        dns_cfg.update(dns or {})
        abuse_cfg = {
            "bad_agents": "bad_agent, EvilBot/1.0",
            "bad_hosts": "blocked.nsupd.test, blockedhost.sha512.nsupd.test",
            "bad_ips": "192.0.2.7, 198.51.100.0/24",
        }
        abuse_cfg.update(abuse or {})
        self.ttl = dns_cfg["ttl"]
        self.unavailable_retry = dns_cfg["unavailable_retry"]
        listen = "127.0.0.1:%d" % self.port
        if listen_v6:
            listen += ", [::1]:%d" % self.port
        lines = [
            "; written by tests/system/nsupdlib.py",
            "[server]",
            "listen = " + listen,
            "trusted_proxies = " + trusted_proxies,
        ]
        if reuse_port is not None:
            lines.append("reuse_port = " + ("yes" if reuse_port else "no"))
        lines += [
            "",
            "[database]",
            "url = " + self.db_url,
            "",
            "[site]",
            "name = nsupd system test",
            "base_domain = nsupd.test",
            "www_host = www.nsupd.test",
            "www_ipv4_host = ipv4.nsupd.test",
            "www_ipv6_host = ipv6.nsupd.test",
            "we_have_tls = false",
            "secret_key = " + self.secret_key,
            "",
            "[dns]",
        ]
        lines += ["%s = %s" % kv for kv in dns_cfg.items()]
        lines += ["", "[abuse]"]
        lines += ["%s = %s" % kv for kv in abuse_cfg.items()]
        with open(self.conf, "w") as f:
            f.write("\n".join(lines) + "\n" + extra)

    # --- CLI ---------------------------------------------------------------

    def run(self, *args, input=None, timeout=60, env=None):
        """Runs `nsupd -c CONF args...` and returns the CompletedProcess."""
        return subprocess.run([NSUPD_BIN, "-c", self.conf, *map(str, args)], input=input,
                      capture_output=True, text=True, timeout=timeout, env=env)

    def cli(self, *args, input=None, timeout=60):
        """Like run() but the command must succeed; returns stdout."""
        p = self.run(*args, input=input, timeout=timeout)
        if p.returncode != 0:
            raise CliError("nsupd %s -> exit %d\nstdout: %s\nstderr: %s" %
                       (" ".join(map(str, args)), p.returncode, p.stdout, p.stderr))
        return p.stdout

    def migrate(self):
        self.cli("migrate")

    def add_user(self, name, email=None, staff=False):
        args = ["user", "add", name, "--email", email or name + "@example.org"]
        if staff:
            args.append("--staff")
        self.cli(*args)

    def add_domain(self, zone, owner, nameserver, algorithm, secret, *, nameserver2=None,
               public=False, unavailable=False):
        args = ["domain", "add", zone, "--owner", owner, "--nameserver", nameserver,
            "--algorithm", algorithm, "--secret", secret]
        if nameserver2:
            args += ["--nameserver2", nameserver2]
        if public:
            args.append("--public")
        if unavailable:
            args.append("--unavailable")
        self.cli(*args)

    def add_host(self, zone, owner, label=None):
        fqdn = "%s.%s" % (label or unique_label(), zone)
        out = self.cli("host", "add", fqdn, "--owner", owner)
        secret = out.strip()
        assert secret and "\n" not in secret, "host add must print the secret alone: %r" % out
        return Host(fqdn, secret, zone)

    def show(self, fqdn):
        out = self.cli("host", "show", fqdn, "--json")
        return json.loads(out)

    def set(self, fqdn, **opts):
        args = ["host", "set", fqdn]
        for k, v in opts.items():
            if isinstance(v, bool):
                v = "yes" if v else "no"
            args += ["--" + k.replace("_", "-"), str(v)]
        self.cli(*args)

    # --- server ------------------------------------------------------------

    def start(self, timeout=15):
        assert self.proc is None
        self.logf = open(self.log, "ab")
        self.proc = subprocess.Popen([NSUPD_BIN, "-c", self.conf, "serve"], stdin=subprocess.DEVNULL,
                         stdout=self.logf, stderr=self.logf, start_new_session=True)
        RUNNING.append(self)
        deadline = time.monotonic() + timeout
        urls = [self.url("/myip")]
        if self.listen_v6:
            urls.append(self.url("/myip", v6=True))
        for u in urls:
            while True:
                if self.proc.poll() is not None:
                    raise AssertionError("nsupd serve exited with %d during start-up:\n%s" %
                                 (self.proc.returncode, self.stderr()))
                try:
                    if requests.get(u, timeout=1).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    self.kill()
                    raise AssertionError("nsupd serve not ready at %s after %ss:\n%s" %
                                 (u, timeout, self.stderr()))
                time.sleep(0.05)
        return self

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def stop(self, timeout=15):
        """SIGTERM, wait, and return the exit code (None if it had to be killed)."""
        if self.proc is None:
            return 0
        proc, self.proc = self.proc, None
        rc = proc.poll()
        if rc is None:
            proc.send_signal(signal.SIGTERM)
            try:
                rc = proc.wait(timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                rc = None
        if self in RUNNING:
            RUNNING.remove(self)
        self.logf.close()
        return rc

    def kill(self):
        if self.proc is not None:
            self.proc.kill()
            self.proc.wait()
            self.proc = None
        if self.logf is not None:
            self.logf.close()
        if self in RUNNING:
            RUNNING.remove(self)

    def stderr(self, tail=8000):
        try:
            with open(self.log, "rb") as f:
                data = f.read()
        except OSError:
            return ""
        return data[-tail:].decode(errors="replace")

    # --- HTTP --------------------------------------------------------------

    def url(self, path, v6=False):
        host = "[::1]" if v6 else "127.0.0.1"
        return "http://%s:%d%s" % (host, self.port, path)

    def get(self, path, params=None, auth=None, headers=None, v6=False, method="GET",
        timeout=30):
        h = {"User-Agent": "nsupd-system-test/1.0"}
        h.update(headers or {})
        return requests.request(method, self.url(path, v6), params=params, auth=auth, headers=h,
                    timeout=timeout, allow_redirects=False)

    def update(self, host, params=None, path="/nic/update", auth=True, **kw):
        """GET path with the host's credentials (auth=True), other credentials, or none."""
        if auth is True:
            auth = host.auth
        return self.get(path, params=params, auth=auth, **kw)

    def delete(self, host, params=None, **kw):
        return self.update(host, params, path="/nic/delete", **kw)


def check_plain(r, status=200):
    """The dyndns2 answer format: status, text/plain, exact length, no newline."""
    assert r.status_code == status, (r.status_code, r.text)
    ctype = r.headers.get("Content-Type", "")
    assert ctype.split(";")[0].strip() == "text/plain", ctype
    assert r.headers.get("Content-Length") == str(len(r.content)), (r.headers, r.content)
    assert not r.content.endswith(b"\n"), r.content
    return r.text


def answer(r, status=200):
    return check_plain(r, status)


def secret_looks_random(secret):
    return re.fullmatch(r"[A-Za-z0-9._~-]{22,}", secret) is not None
