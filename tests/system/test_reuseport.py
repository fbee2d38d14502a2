"""Several `nsupd serve` processes on one port with `[server] reuse_port`
(SO_REUSEPORT): the kernel spreads connections over them, with no balancer.

Three instances share one database (one SQLite file, or one PostgreSQL
schema in the NSUPD_TEST_DB=postgresql pass) and one secret_key, and listen
on the same 127.0.0.1 port. CLIENTS client threads, each owning one host and
keeping one connection open, send changing updates and repeats. Part-way,
the clients pause for a moment with their connections open, and which
instance owns each connection is read from /proc (/proc/net/tcp and each
process's fds: an accepted socket belongs to exactly one process), so nsupd
needs no debug hook for it; then the clients go on and one instance is
killed with SIGKILL while requests are in flight.

A request on a connection the killed instance owned gets a reset or a
closed connection: its outcome is unknown, and the client sends it once
more on a new connection, which the kernel gives to a survivor. That retry
must be answered; afterwards every host's A record in named is the last
address the client sent (and was acknowledged).

Without reuse_port, a second instance on a port in use must not start and
must say why."""

import os
import random
import signal
import subprocess
import threading
import time

import pytest
import requests

from conftest import DEFAULT_ZONE, OWNER, stop_checked
from named import free_port
from nsupdlib import NSUPD_BIN, PG, Nsupd, pg_new_schema, unique_label

INSTANCES = 3
CLIENTS = 40
STEPS = 15              # updates per client
KILL_AFTER = 0.4        # fraction of all updates done when an instance is killed
RUN_TIMEOUT = 180       # seconds for the whole client run
START_TIMEOUT = 15


# --- which process owns which socket, from /proc --------------------------------

TCP_ESTABLISHED = "01"
TCP_LISTEN = "0A"


def tcp_sockets(port):
    """{inode: state} of the IPv4 TCP sockets whose local port is `port`."""
    out = {}
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            local, state, inode = fields[1], fields[3], fields[9]
            if int(local.split(":")[1], 16) == port:
                out[inode] = state
    return out


def socket_states(pid, port):
    """States ("01" established, "0A" listen, ...) of the sockets on `port`
    that process `pid` holds, one entry per socket (a socket may be open
    under several descriptors)."""
    on_port = tcp_sockets(port)
    seen = {}
    fd_dir = "/proc/%d/fd" % pid
    try:
        fds = os.listdir(fd_dir)
    except FileNotFoundError:
        return []
    for fd in fds:
        try:
            target = os.readlink(os.path.join(fd_dir, fd))
        except OSError:
            continue        # closed meanwhile
        if target.startswith("socket:["):
            inode = target[len("socket:["):-1]
            if inode in on_port:
                seen[inode] = on_port[inode]
    return list(seen.values())


def start_sharing(inst):
    """Starts inst and waits until *it* listens on the shared port (a
    /myip answer alone may come from an instance started before)."""
    inst.start(timeout=START_TIMEOUT)
    deadline = time.monotonic() + START_TIMEOUT
    while TCP_LISTEN not in socket_states(inst.proc.pid, inst.port):
        assert inst.alive(), "nsupd serve exited:\n" + inst.stderr()
        assert time.monotonic() < deadline, "instance %d does not listen on %d:\n%s" % (
            inst.proc.pid, inst.port, inst.stderr())
        time.sleep(0.05)


def shared_db(base, name):
    if PG:
        return pg_new_schema(name)[1]
    return "sqlite:" + os.path.join(str(base), name + ".sqlite")


@pytest.fixture(scope="module")
def cluster(named, tmp_path_factory):
    """INSTANCES nsupd on one port, one database, one secret_key; one host
    per client."""
    base = tmp_path_factory.mktemp("reuseport")
    url = shared_db(base, "reuseport")
    key = os.urandom(32).hex()
    port = free_port()
    insts = [Nsupd(base / ("n%d" % i), db_url=url, secret_key=key, listen_v6=False, port=port,
                   reuse_port=True) for i in range(INSTANCES)]
    first = insts[0]
    first.migrate()
    first.add_user(OWNER)
    z = named.zone(DEFAULT_ZONE)
    first.add_domain(z.name, OWNER, named.server, z.algorithm, z.secret, public=True)
    hosts = [first.add_host(DEFAULT_ZONE, OWNER, unique_label("rp")) for _ in range(CLIENTS)]
    try:
        for inst in insts:
            start_sharing(inst)
        yield {"insts": insts, "hosts": hosts, "port": port, "url": url}
    finally:
        errors = []
        for inst in insts:
            if inst.proc is None:
                continue
            try:
                stop_checked(inst)
            except AssertionError as e:
                errors.append(str(e))
        assert not errors, errors


class Client(threading.Thread):
    """Owns one host; sends STEPS updates over one kept-open connection and
    retries a request whose connection broke once, on a new connection."""

    def __init__(self, idx, host, url, progress, lookup):
        super().__init__(name="client-%d" % idx, daemon=True)
        self.idx = idx
        self.host = host
        self.url = url
        self.progress = progress
        self.lookup = lookup
        self.rng = random.Random(idx)
        self.log = []          # (address, word) of every acknowledged update
        self.retries = []      # (address, first error) of requests sent twice
        self.mismatch = []     # (address acknowledged, what named had)
        self.failed = []       # (address, what went wrong)
        self.last_sent = None
        self.error = None

    def address(self, n):
        return "10.%d.%d.%d" % (100 + self.idx // 250, self.idx % 250, n + 1)

    def send(self, session, addr):
        r = session.get(self.url, params={"myip": addr}, auth=self.host.auth, timeout=30,
                        headers={"User-Agent": "nsupd-reuseport-test/1.0"})
        word = r.text.split(" ")[0]
        if r.status_code == 200 and word in ("good", "nochg") and r.text == word + " " + addr:
            return word
        self.failed.append((addr, "%d %r" % (r.status_code, r.text)))
        return None

    def run(self):
        session = requests.Session()
        try:
            last = prev = None
            fresh = 0
            for _ in range(STEPS):
                if last is None or self.rng.random() < 0.6:
                    # Back to an earlier address now and then: an instance
                    # with a stale view would answer nochg wrongly.
                    if prev is not None and self.rng.random() < 0.3:
                        last, prev = prev, last
                    else:
                        last, prev = self.address(fresh), last
                        fresh += 1
                self.last_sent = last
                try:
                    word = self.send(session, last)
                except (requests.ConnectionError, requests.exceptions.ChunkedEncodingError) as e:
                    # The instance owning the connection died: once more on
                    # a new connection, after the kernel has closed the
                    # dead process's sockets.
                    self.retries.append((last, repr(e)[:200]))
                    session.close()
                    session = requests.Session()
                    time.sleep(0.1)
                    word = self.send(session, last)
                if word is not None:
                    self.log.append((last, word))
                    got = self.lookup(self.host.fqdn)
                    if got != [last]:
                        self.mismatch.append((last, got))
                self.progress()
        except Exception as e:  # reported by the test, never swallowed
            self.error = e
        finally:
            session.close()


def test_connections_spread_and_survive_a_kill(cluster, named):
    insts, hosts, port = cluster["insts"], cluster["hosts"], cluster["port"]
    assert all(i.alive() for i in insts)
    victim = insts[1]
    total = CLIENTS * STEPS
    lock = threading.Lock()
    done = [0]
    parked = [0]
    kill_now = threading.Event()
    go_on = threading.Event()
    go_on.set()

    def progress():
        # At the kill point every client stops after its current request,
        # keeping its connection open: the test then sees whose
        # connections they are without 40 busy threads starving it.
        with lock:
            done[0] += 1
            if done[0] == int(total * KILL_AFTER):
                go_on.clear()
                kill_now.set()
            must_wait = not go_on.is_set()
            if must_wait:
                parked[0] += 1
        if must_wait:
            go_on.wait(RUN_TIMEOUT)

    url = "http://127.0.0.1:%d/nic/update" % port
    clients = [Client(i, h, url, progress, lambda f: named.query(f, "A"))
               for i, h in enumerate(hosts)]
    t0 = time.monotonic()
    for c in clients:
        c.start()
    try:
        assert kill_now.wait(RUN_TIMEOUT), "the clients made no progress"
        deadline = time.monotonic() + 30
        while True:
            with lock:
                waiting = parked[0]
            running = sum(c.is_alive() for c in clients)
            if waiting >= running:
                break
            assert time.monotonic() < deadline, "clients did not stop: %d of %d" % (
                waiting, running)
            time.sleep(0.01)
        # Every client still running holds one idle connection now; count
        # whose they are.
        per_instance = [socket_states(i.proc.pid, port).count(TCP_ESTABLISHED) for i in insts]
        done_at_kill = done[0]
    finally:
        go_on.set()
    # Killed once the clients are busy again, so that requests are in flight
    # on it (an idle kept-open connection to a dead process is noticed and
    # replaced by the client library without an error).
    deadline = time.monotonic() + 30
    while done[0] < done_at_kill + CLIENTS // 2 and any(c.is_alive() for c in clients):
        assert time.monotonic() < deadline, "the clients made no progress after the pause"
        time.sleep(0.002)
    victim.proc.send_signal(signal.SIGKILL)
    victim.proc.wait(10)
    victim.kill()     # bookkeeping only: the process is gone
    for c in clients:
        c.join(max(1, RUN_TIMEOUT - (time.monotonic() - t0)))
    assert not any(c.is_alive() for c in clients), "clients still running after %ss" % RUN_TIMEOUT
    retries = sum(len(c.retries) for c in clients)
    print("reuseport: connections per instance before the kill %s (%d clients running), %d "
          "updates, %d done at the pause before the kill, %d retried after a broken connection, %.1fs" % (
              per_instance, running, total, done_at_kill, retries, time.monotonic() - t0))
    for c in clients:
        assert c.error is None, "%s: %r (retries %s)" % (c.name, c.error, c.retries)

    # The kernel spread the connections: with ~40 connections hashed over 3
    # sockets, an instance with none is a one-in-millions chance.
    assert sum(per_instance) >= running, (per_instance, running)
    assert running >= CLIENTS / 2, "most clients had finished before the kill"
    assert all(n > 0 for n in per_instance), per_instance
    assert done_at_kill < total, "the instance was killed only after the run"

    # The survivors answered everything, retries included.
    failed = [(c.host.fqdn, f) for c in clients for f in c.failed]
    assert not failed, failed[:10]
    lost = [(c.host.fqdn, m) for c in clients for m in c.mismatch]
    assert not lost, "acknowledged but not in named: %s" % lost[:10]
    for c in clients:
        assert len(c.log) == STEPS, (c.host.fqdn, c.log, c.retries)
        assert c.log[-1][0] == c.last_sent
        assert named.query(c.host.fqdn, "A") == [c.last_sent], c.host.fqdn

    # Counters: one client fault per nochg; a retried request may add one
    # (its first try may have been applied before the kill).
    survivor = insts[0]
    for c in clients:
        nochg = sum(1 for _, w in c.log if w == "nochg")
        s = survivor.show(c.host.fqdn)
        assert nochg <= s["client_faults"] <= nochg + len(c.retries), (c.host.fqdn, s, c.log)
        assert s["server_faults"] == 0 and s["api_auth_faults"] == 0, (c.host.fqdn, s)

    # Still served on the port by the survivors, and only by them.
    for _ in range(10):
        r = requests.get("http://127.0.0.1:%d/myip" % port, timeout=10)
        assert r.status_code == 200 and r.text == "127.0.0.1"
    assert not victim.alive() and sum(i.alive() for i in insts) == INSTANCES - 1


# --- without reuse_port, a port in use stops the second instance -------------------

def serve_fails(inst):
    """Runs `nsupd serve` that must exit at start-up; returns its stderr."""
    p = subprocess.run([NSUPD_BIN, "-c", inst.conf, "serve"], capture_output=True, text=True,
                       timeout=START_TIMEOUT, stdin=subprocess.DEVNULL)
    assert p.returncode != 0, "a second instance started on a port in use:\n" + p.stderr
    return p.stderr


@pytest.mark.parametrize("first_reuses,second_reuses,hint", [
    (False, False, "reuse_port = yes"),
    (True, False, "reuse_port = yes"),
    (False, True, "held by a process without [server] reuse_port"),
], ids=["neither", "only-first", "only-second"])
def test_second_instance_without_reuse_port_fails(tmp_path, first_reuses, second_reuses, hint):
    url = shared_db(tmp_path, "single")
    key = os.urandom(32).hex()
    port = free_port()
    first = Nsupd(tmp_path / "a", db_url=url, secret_key=key, listen_v6=False, port=port,
                  reuse_port=first_reuses)
    second = Nsupd(tmp_path / "b", db_url=url, secret_key=key, listen_v6=False, port=port,
                   reuse_port=second_reuses)
    first.migrate()
    start_sharing(first)
    try:
        err = serve_fails(second)
        assert "cannot listen on 127.0.0.1:%d: Address already in use" % port in err, err
        assert hint in err, err
        # The first one is untouched and still the only one there.
        assert first.alive()
        assert requests.get(first.url("/myip"), timeout=10).text == "127.0.0.1"
        assert socket_states(first.proc.pid, port).count(TCP_LISTEN) == 1
    finally:
        stop_checked(first)
