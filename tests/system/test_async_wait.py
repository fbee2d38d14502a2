"""An update that waits for its nameserver holds no worker thread (issue 2's
nochg tail latency and issue 6's coalescing both rest on this): with a single
HTTP thread, updates stuck on a hung primary or on a slow answer to the query
for the current address do not delay /myip or updates of other zones; a
refused query is asked again with every fallback; and a server stopped while
updates wait still answers them before it exits.

Run: NSUPD_BIN=/path/to/nsupd /usr/bin/python3 -m pytest -q tests/system/test_async_wait.py
"""

import resource
import time
from concurrent.futures import ThreadPoolExecutor

import dns.rcode
import pytest
import requests

from named import Named, ZoneSpec
from fakens import HungPrimary, SlowResolver
from nsupdlib import Nsupd

OWNER = "owner"
FAST_ZONE = "fast.nsupd.test"
HUNG_ZONE = "hung.nsupd.test"
SLOWQ_ZONE = "slowq.nsupd.test"
UPDATE_TIMEOUT = 6


@pytest.fixture(scope="module")
def ns(tmp_path_factory):
    zones = [ZoneSpec(name=FAST_ZONE, algorithm="hmac-sha256"),
             ZoneSpec(name=HUNG_ZONE, algorithm="hmac-sha256"),
             ZoneSpec(name=SLOWQ_ZONE, algorithm="hmac-sha256")]
    server = Named(str(tmp_path_factory.mktemp("named-async")), zones)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def world(ns, tmp_path):
    """nsupd with ONE worker thread; the hung zone's queries go to the real
    named (its secondary), its updates to the hung primary."""
    hung = HungPrimary()
    inst = Nsupd(tmp_path / "nsupd",
                 dns={"resolver_timeout": 3, "update_timeout": UPDATE_TIMEOUT,
                      "unavailable_retry": 60},
                 extra="\n[server]\nthreads = 1\n")
    inst.migrate()
    inst.add_user(OWNER)
    zf = ns.zone(FAST_ZONE)
    inst.add_domain(FAST_ZONE, OWNER, ns.server, zf.algorithm, zf.secret)
    zh = ns.zone(HUNG_ZONE)
    inst.add_domain(HUNG_ZONE, OWNER, "127.0.0.1:%d" % hung.port, zh.algorithm, zh.secret,
                    nameserver2=ns.server)
    inst.start()
    try:
        yield inst, hung
    finally:
        inst.stop()
        hung.close()


def update(inst, host, ip):
    r = requests.get(inst.url("/nic/update"), params={"hostname": host.fqdn, "myip": ip},
                     auth=host.auth, timeout=UPDATE_TIMEOUT + 20)
    return r.status_code, r.text.strip()


def wait_for(cond, timeout, what):
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.02)


def test_waiting_updates_do_not_block_the_only_thread(world, ns):
    inst, hung = world
    stuck = [inst.add_host(HUNG_ZONE, OWNER, "s%d" % i) for i in range(6)]
    fast = [inst.add_host(FAST_ZONE, OWNER, "f%d" % i) for i in range(4)]
    with ThreadPoolExecutor(6) as ex:
        waiting = [ex.submit(update, inst, h, "10.50.0.%d" % (i + 1))
                   for i, h in enumerate(stuck)]
        # The hung primary has been sent an UPDATE: the requests are waiting.
        wait_for(lambda: hung.bytes_received() > 0, UPDATE_TIMEOUT - 1, "the hung primary")
        assert not any(f.done() for f in waiting)
        # Meanwhile the single worker thread serves everyone else.
        r = requests.get(inst.url("/myip"), timeout=UPDATE_TIMEOUT + 20)
        assert (r.status_code, r.text) == (200, "127.0.0.1")
        for i, h in enumerate(fast):
            assert update(inst, h, "10.60.0.%d" % (i + 1)) == (200, "good 10.60.0.%d" % (i + 1))
            assert update(inst, h, "10.60.0.%d" % (i + 1)) == (200, "nochg 10.60.0.%d" % (i + 1))
        # ... all of it before the first stuck update got its answer.
        assert not any(f.done() for f in waiting), "the stuck updates ended too early"
        for h in fast:
            assert ns.query(h.fqdn, "A") == [update_ip(fast, h)]
        results = [f.result() for f in waiting]
    assert results == [(200, "dnserr")] * 6, results
    info = inst.show(stuck[0].fqdn)
    assert "timeout after %d ms" % (UPDATE_TIMEOUT * 1000) in (info.get("server_result_msg") or ""), info


def update_ip(fast, h):
    return "10.60.0.%d" % (fast.index(h) + 1)


def test_stop_answers_waiting_updates_first(world):
    inst, hung = world
    stuck = [inst.add_host(HUNG_ZONE, OWNER, "t%d" % i) for i in range(3)]
    with ThreadPoolExecutor(3) as ex:
        waiting = [ex.submit(update, inst, h, "10.51.0.%d" % (i + 1))
                   for i, h in enumerate(stuck)]
        wait_for(lambda: hung.bytes_received() > 0, UPDATE_TIMEOUT - 1, "the hung primary")
        rc = inst.stop(timeout=UPDATE_TIMEOUT + 15)
        results = [f.result() for f in waiting]
    assert rc == 0, inst.stderr()
    # Every waiting client got its answer (the nameserver never did).
    assert results == [(200, "dnserr")] * 3, results


def one_thread_nsupd(ns, tmp_path, resolver):
    """nsupd with one worker thread whose SLOWQ zone is queried at resolver
    (its secondary) and updated at the real named (its primary)."""
    inst = Nsupd(tmp_path / "nsupd", dns={"resolver_timeout": 8, "update_timeout": 8},
                 extra="\n[server]\nthreads = 1\n")
    inst.migrate()
    inst.add_user(OWNER)
    z = ns.zone(SLOWQ_ZONE)
    inst.add_domain(SLOWQ_ZONE, OWNER, ns.server, z.algorithm, z.secret,
                    nameserver2="127.0.0.1:%d" % resolver.port)
    inst.start()
    return inst


def test_slow_query_does_not_block_the_only_thread(ns, tmp_path):
    resolver = SlowResolver(delay=2.5)
    inst = one_thread_nsupd(ns, tmp_path, resolver)
    try:
        hosts = [inst.add_host(SLOWQ_ZONE, OWNER, "q%d" % i) for i in range(4)]
        with ThreadPoolExecutor(4) as ex:
            waiting = [ex.submit(update, inst, h, "10.52.0.%d" % (i + 1))
                       for i, h in enumerate(hosts)]
            wait_for(lambda: resolver.count() >= 4, 5, "four queries at the resolver")
            assert not any(f.done() for f in waiting)
            for _ in range(20):
                r = requests.get(inst.url("/myip"), timeout=30)
                assert (r.status_code, r.text) == (200, "127.0.0.1")
            assert not any(f.done() for f in waiting), "the queries ended too early"
            results = [f.result() for f in waiting]
        # The late answer says "no record": the updates go to the primary.
        assert results == [(200, "good 10.52.0.%d" % (i + 1)) for i in range(4)], results
        for i, h in enumerate(hosts):
            assert ns.query(h.fqdn, "A") == ["10.52.0.%d" % (i + 1)]
    finally:
        assert inst.stop() == 0, inst.stderr()
        resolver.close()


def test_refused_query_falls_back_to_the_primary(ns, tmp_path):
    # The secondary refuses: the query is asked again with dns_query's
    # fallbacks (the primary), and the second update sees the record.
    resolver = SlowResolver(rcode=dns.rcode.REFUSED)
    inst = one_thread_nsupd(ns, tmp_path, resolver)
    try:
        h = inst.add_host(SLOWQ_ZONE, OWNER, "r1")
        assert update(inst, h, "10.53.0.1") == (200, "good 10.53.0.1")
        assert update(inst, h, "10.53.0.1") == (200, "nochg 10.53.0.1")
        assert ns.query(h.fqdn, "A") == ["10.53.0.1"]
        assert resolver.count() >= 4   # both tries of both requests asked it first
    finally:
        assert inst.stop() == 0, inst.stderr()
        resolver.close()


def open_files_limit(pid):
    with open("/proc/%d/limits" % pid) as f:
        for line in f:
            if line.startswith("Max open files"):
                soft, hard = line.split()[3:5]
                return int(soft), (None if hard == "unlimited" else int(hard))
    raise AssertionError("no open files limit for %d" % pid)


def test_open_files_limit_covers_max_connections(tmp_path):
    # Every waiting update keeps its connection (and, while its query is
    # out, a socket): the soft limit must not stay at the usual 1024.
    inst = Nsupd(tmp_path / "nsupd", extra="\n[server]\nmax_connections = 3000\n")
    inst.migrate()
    # Start it with the usual soft limit (the child inherits it).
    soft0, hard0 = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(1024, soft0), hard0))
    try:
        inst.start()
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft0, hard0))
    try:
        soft, hard = open_files_limit(inst.proc.pid)
        want = 3000 * 2 + 256
        assert soft >= (want if hard is None else min(want, hard)), (soft, hard)
    finally:
        assert inst.stop() == 0, inst.stderr()
