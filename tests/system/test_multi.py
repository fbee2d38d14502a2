"""Several `nsupd serve` instances on one PostgreSQL database behind haproxy
(issue 6): nothing that matters lives in one process only.

Three instances share one schema and one site secret; Debian's haproxy
balances round-robin over them (mode http, health check on /myip). 50 client
threads, each owning one host, send changing updates and nochg repeats
through haproxy while one instance is killed with SIGKILL. Afterwards every
host's A record in named is the last address acknowledged for it, its
client_faults equals its nochg answers, and no counter exceeds the answers.

A request in flight on the killed instance may get a connection error or a
5xx from haproxy: its outcome is unknown (it may or may not have been
applied), and the assertions allow exactly that much and no more.

Runs in the NSUPD_TEST_DB=postgresql pass of `make check` only: SQLite is
one machine's embedded database, not one to share between frontends."""

import atexit
import concurrent.futures
import os
import random
import re
import shutil
import signal
import subprocess
import threading
import time

import pytest
import requests

from conftest import DEFAULT_ZONE, OWNER, stop_checked
from named import free_port
from nsupdlib import PG, Nsupd, pg_new_schema, psql, unique_label

pytestmark = pytest.mark.skipif(
    not PG, reason="several instances share one PostgreSQL database: "
                   "runs in the NSUPD_TEST_DB=postgresql pass")

HAPROXY = os.environ.get("HAPROXY", shutil.which("haproxy") or "/usr/sbin/haproxy")
INSTANCES = 3
CLIENTS = 50
STEPS = 20              # requests per client
KILL_AFTER = 0.4        # fraction of all requests done when an instance is killed
RUN_TIMEOUT = 180       # seconds for the whole client run
WEB_PASSWORD = "multi instance pass phrase"

HAPROXY_CFG = """\
# written by tests/system/test_multi.py
global
    maxconn 2000

defaults
    mode http
    timeout connect 1s
    timeout client 60s
    timeout server 60s
    # A connection refused by a dead instance is retried on another one;
    # a request that reached an instance is never replayed (retry-on is
    # left at its default, conn-failure).
    retries 3
    option redispatch 1

frontend fe
    bind 127.0.0.1:{port}
    default_backend nsupd

backend nsupd
    balance roundrobin
    option httpchk
    http-check send meth GET uri /myip ver HTTP/1.1 hdr Host 127.0.0.1
    http-check expect status 200
    default-server inter 200ms fall 1 rise 2
{servers}
"""


class Haproxy:
    def __init__(self, workdir, backends):
        self.port = free_port()
        self.cfg = os.path.join(workdir, "haproxy.cfg")
        self.log = os.path.join(workdir, "haproxy.log")
        servers = "\n".join("    server n%d 127.0.0.1:%d check" % (i, p)
                            for i, p in enumerate(backends))
        with open(self.cfg, "w") as f:
            f.write(HAPROXY_CFG.format(port=self.port, servers=servers))
        self.proc = None

    def start(self, timeout=15):
        p = subprocess.run([HAPROXY, "-c", "-f", self.cfg], capture_output=True, text=True,
                           timeout=30)
        assert p.returncode == 0, "haproxy -c: %s %s" % (p.stdout, p.stderr)
        self.logf = open(self.log, "ab")
        # -db: foreground, no daemon; the test owns the process.
        self.proc = subprocess.Popen([HAPROXY, "-db", "-f", self.cfg], stdin=subprocess.DEVNULL,
                                     stdout=self.logf, stderr=self.logf, start_new_session=True)
        # Even if pytest is interrupted before the fixture's teardown.
        atexit.register(self.stop)
        deadline = time.monotonic() + timeout
        while True:
            assert self.proc.poll() is None, "haproxy exited: %s" % self.output()
            try:
                if requests.get(self.url("/myip"), timeout=1).status_code == 200:
                    return self
            except requests.RequestException:
                pass
            assert time.monotonic() < deadline, "haproxy not ready: %s" % self.output()
            time.sleep(0.05)

    def url(self, path):
        return "http://127.0.0.1:%d%s" % (self.port, path)

    def output(self):
        try:
            with open(self.log, "rb") as f:
                return f.read()[-4000:].decode(errors="replace")
        except OSError:
            return ""

    def stop(self):
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            self.logf.close()


@pytest.fixture(scope="module")
def cluster(named, tmp_path_factory):
    """INSTANCES nsupd serving one PostgreSQL schema with one secret_key,
    haproxy in front, and one host per client."""
    schema, url = pg_new_schema("multi")
    key = os.urandom(32).hex()
    base = tmp_path_factory.mktemp("multi")
    insts = [Nsupd(base / ("n%d" % i), db_url=url, secret_key=key, listen_v6=False)
             for i in range(INSTANCES)]
    first = insts[0]
    first.migrate()
    first.add_user(OWNER)
    z = named.zone(DEFAULT_ZONE)
    first.add_domain(z.name, OWNER, named.server, z.algorithm, z.secret, public=True)
    # Host secrets from the CLI of different instances' configurations:
    # they all write the same database.
    with concurrent.futures.ThreadPoolExecutor(8) as ex:
        hosts = list(ex.map(lambda i: insts[i % INSTANCES].add_host(DEFAULT_ZONE, OWNER,
                                                                    unique_label("m")),
                            range(CLIENTS)))
    lb = None
    try:
        for inst in insts:
            inst.start()
        lb = Haproxy(str(base), [inst.port for inst in insts]).start()
        yield {"insts": insts, "lb": lb, "hosts": hosts, "schema": schema, "url": url}
    finally:
        if lb is not None:
            lb.stop()
        errors = []
        for inst in insts:
            if inst.proc is None:
                continue
            try:
                stop_checked(inst)
            except AssertionError as e:
                errors.append(str(e))
        assert not errors, errors


def alive(cluster):
    return [i for i in cluster["insts"] if i.alive()]


# --- a web session started on one instance works on the others ---------------

def csrf_of(html):
    m = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
    assert m, "no CSRF field in the page"
    return m.group(1)


def test_web_session_works_on_every_instance(cluster):
    a, b, c = alive(cluster)[:3]
    r = a.get("/accounts/login/")
    if r.status_code == 404:
        pytest.fail("the web login (/accounts/login/) is not in this build: "
                    "the cross-instance session check cannot run")
    assert r.status_code == 200, r.status_code
    user = unique_label("w")
    p = a.run("user", "add", user, "--email", user + "@example.org", "--password-stdin",
              input=WEB_PASSWORD + "\n")
    assert p.returncode == 0, p.stderr

    # Log in on a (the session and its CSRF token are stored by a) ...
    s = requests.Session()
    page = s.get(a.url("/accounts/login/"), timeout=30)
    assert page.status_code == 200
    r = s.post(a.url("/accounts/login/"), timeout=30, allow_redirects=False,
               data={"csrfmiddlewaretoken": csrf_of(page.text), "username": user,
                     "password": WEB_PASSWORD, "next": "/overview/"})
    assert r.status_code in (302, 303), (r.status_code, r.text[:500])
    sid = r.cookies.get("sessionid")
    assert sid, r.headers
    cookie = {"Cookie": "sessionid=" + sid}

    # ... the session is valid on b and c ...
    for inst in (b, c):
        r = inst.get("/overview/", headers=cookie)
        assert r.status_code == 200, (inst.port, r.status_code, r.headers.get("Location"))
        assert user in r.text
    anon = b.get("/overview/")
    assert anon.status_code in (302, 303) and "/accounts/login/" in anon.headers["Location"]

    # ... a form rendered by b passes c's CSRF check (logout) ...
    token = csrf_of(b.get("/overview/", headers=cookie).text)
    r = c.get("/accounts/logout/", method="POST", headers=cookie)
    assert r.status_code == 403, "a POST without the CSRF token must be refused"
    r = requests.post(c.url("/accounts/logout/"), headers=cookie, timeout=30,
                      allow_redirects=False, data={"csrfmiddlewaretoken": token})
    assert r.status_code in (302, 303), (r.status_code, r.text[:500])

    # ... and the logout holds on a.
    r = a.get("/overview/", headers=cookie)
    assert r.status_code in (302, 303) and "/accounts/login/" in r.headers["Location"]


# --- 50 clients, one instance killed ----------------------------------------------

class Client(threading.Thread):
    """Owns one host; sends STEPS updates (new addresses, returns to the
    previous one, and repeats of the last one) through haproxy and records
    every answer. After each acknowledged answer it looks at named, which
    must then hold that address: nobody else changes this host."""

    def __init__(self, idx, host, url, progress, lookup):
        super().__init__(name="client-%d" % idx, daemon=True)
        self.idx = idx
        self.host = host
        self.url = url
        self.progress = progress
        self.lookup = lookup
        self.rng = random.Random(idx)
        self.log = []          # (address, outcome, text, sent at) in order
        self.mismatch = []     # (address acknowledged, what named had)
        self.error = None

    def address(self, n):
        # 10.0.0.0/8 is not on the test's bad_ips list; one /24 per client.
        return "10.%d.%d.%d" % (self.idx // 250, self.idx % 250, n + 1)

    def send(self, session, addr):
        try:
            r = session.get(self.url, params={"myip": addr}, auth=self.host.auth, timeout=30,
                            headers={"User-Agent": "nsupd-multi-test/1.0"})
        except requests.RequestException as e:
            return "unknown", repr(e)
        if r.status_code in (502, 503, 504) and r.text.startswith("<html>"):
            # haproxy's own error page: the instance died under the request.
            return "unknown", "%d %s" % (r.status_code, r.text[:80])
        text = r.text
        word = text.split(" ")[0]
        if word in ("good", "nochg") and text == "%s %s" % (word, addr):
            return word, text
        return "wrong", "%d %r" % (r.status_code, text)

    def run(self):
        try:
            with requests.Session() as session:
                last = prev = None
                fresh = 0
                for step in range(STEPS):
                    if last is None or self.rng.random() < 0.6:
                        # Going back to an earlier address catches an
                        # instance that believes a stale record.
                        if prev is not None and self.rng.random() < 0.3:
                            last, prev = prev, last
                        else:
                            last, prev = self.address(fresh), last
                            fresh += 1
                    sent = time.monotonic()
                    outcome, text = self.send(session, last)
                    self.log.append((last, outcome, text, sent))
                    if outcome in ("good", "nochg"):
                        got = self.lookup(self.host.fqdn)
                        if got != [last]:
                            self.mismatch.append((last, got))
                    self.progress()
        except Exception as e:  # reported by the test, never swallowed
            self.error = e


def last_acked(log):
    """(address, [unknown addresses sent after it]) of one client's log."""
    ack = None
    unknown = []
    for addr, outcome, _, _ in log:
        if outcome in ("good", "nochg"):
            ack = addr
            unknown = []
        elif outcome == "unknown":
            unknown.append(addr)
    return ack, unknown


def test_fifty_clients_one_instance_killed(cluster, named):
    insts, lb, hosts = cluster["insts"], cluster["lb"], cluster["hosts"]
    assert len(alive(cluster)) == INSTANCES
    victim = insts[1]
    total = CLIENTS * STEPS
    lock = threading.Lock()
    done = [0]
    kill_now = threading.Event()

    def progress():
        with lock:
            done[0] += 1
            if done[0] == int(total * KILL_AFTER):
                kill_now.set()

    clients = [Client(i, h, lb.url("/nic/update"), progress, lambda f: named.query(f, "A"))
               for i, h in enumerate(hosts)]
    t0 = time.monotonic()
    for c in clients:
        c.start()
    assert kill_now.wait(RUN_TIMEOUT), "the clients made no progress"
    done_at_kill = done[0]
    t_kill = time.monotonic()
    victim.proc.send_signal(signal.SIGKILL)
    victim.proc.wait(10)
    victim.kill()     # bookkeeping only: the process is gone
    for c in clients:
        c.join(max(1, RUN_TIMEOUT - (time.monotonic() - t0)))
    assert not any(c.is_alive() for c in clients), "clients still running after %ss" % RUN_TIMEOUT
    for c in clients:
        assert c.error is None, "%s: %r" % (c.name, c.error)
    assert done_at_kill < total, "the instance was killed only after the run"

    # Every request got a real answer or, at most, an unknown outcome; and
    # the remaining instances kept answering after the kill.
    wrong = [(c.host.fqdn, e) for c in clients for e in c.log if e[1] == "wrong"]
    assert not wrong, wrong[:10]
    lost = [(c.host.fqdn, m) for c in clients for m in c.mismatch]
    assert not lost, "acknowledged but not in named: %s" % lost[:10]
    unknown_total = sum(1 for c in clients for e in c.log if e[1] == "unknown")
    # Only requests in flight on the victim (at most one per client) and the
    # few that reach it in the instant before haproxy notices it is down
    # may have an unknown outcome; the survivors answer the rest.
    assert unknown_total <= 2 * CLIENTS, "too many lost requests: %d" % unknown_total
    after = [e for c in clients for e in c.log if e[3] > t_kill + 0.001]
    print("multi: %d requests, %d answered before the kill, %d sent after it, %d unknown "
          "outcomes, %.1fs" % (total, done_at_kill, len(after), unknown_total,
                              time.monotonic() - t0))
    assert after, "no request was sent after the kill"
    answered = sum(1 for e in after if e[1] in ("good", "nochg"))
    assert answered >= 0.8 * len(after), (answered, len(after))
    assert not victim.alive() and len(alive(cluster)) == INSTANCES - 1

    # The record in named is the last acknowledged address, or one whose
    # request had an unknown outcome after it. Such hosts then get one more
    # (new) address, which must be acknowledged and be in named.
    final = {}
    for c in clients:
        ack, unknown = last_acked(c.log)
        assert ack is not None, (c.host.fqdn, c.log)
        got = named.query(c.host.fqdn, "A")
        allowed = {ack, *unknown}
        assert len(got) == 1 and got[0] in allowed, (c.host.fqdn, got, allowed, c.log)
        if unknown:
            addr = c.address(STEPS + 1)     # never sent before
            with requests.Session() as s:
                outcome, text = c.send(s, addr)
            assert outcome == "good", (c.host.fqdn, text)
            c.log.append((addr, outcome, text, time.monotonic()))
            ack = addr
        final[c.host.fqdn] = ack
    for fqdn, addr in final.items():
        assert named.query(fqdn, "A") == [addr], fqdn

    # Fault counters: one client fault per nochg answer; an unknown outcome
    # may have added one (if it was a repeat that got applied), no more.
    # Nothing else was counted, and the database holds exactly our hosts.
    first = alive(cluster)[0]
    for c in clients:
        nochg = sum(1 for e in c.log if e[1] == "nochg")
        unknown = sum(1 for e in c.log if e[1] == "unknown")
        s = first.show(c.host.fqdn)
        assert nochg <= s["client_faults"] <= nochg + unknown, (c.host.fqdn, s, c.log)
        if unknown == 0:
            assert s["client_faults"] == nochg, (c.host.fqdn, s, c.log)
        assert s["server_faults"] == 0 and s["api_auth_faults"] == 0, (c.host.fqdn, s)
        assert s["last_update_ipv4"] is not None, s
    n = psql("SELECT count(*) FROM hosts", url=cluster["url"]).strip()
    assert n == str(CLIENTS), n
    # Every host's counters are within what the clients saw in total.
    faults = int(psql("SELECT coalesce(sum(client_faults), 0) FROM hosts",
                      url=cluster["url"]).strip())
    nochg_all = sum(1 for c in clients for e in c.log if e[1] == "nochg")
    assert nochg_all <= faults <= nochg_all + unknown_total

    # haproxy still answers through the survivors.
    r = requests.get(lb.url("/myip"), timeout=10)
    assert r.status_code == 200 and r.text == "127.0.0.1"
