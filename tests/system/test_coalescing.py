"""UPDATE coalescing through `nsupd serve` against a real BIND9 (issue 6, "UPDATE
coalescing and a per-zone writer"): many concurrent clients, every answer checked
against what named holds afterwards; a refused record merged with good ones; dead
and silent primaries answered with dnserr in time.

Run: NSUPD_BIN=/path/to/nsupd /usr/bin/python3 -m pytest -q tests/system/test_coalescing.py
"""

import re
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from named import Named, ZoneSpec
from fakens import HungPrimary
from nsupdlib import Nsupd, basic

OWNER = "owner"
ZONE = "co.nsupd.test"
DEAD_ZONE = "dead.nsupd.test"
SILENT_ZONE = "silent.nsupd.test"
REFUSED_LABEL = "refused"

UPDATE_RE = re.compile(r"zone (\S+): UPDATE id \d+ with (\d+) changes? to ")


@pytest.fixture(scope="module")
def ns(tmp_path_factory):
    zones = [
        # One name the key may not touch, the rest of the zone it may.
        ZoneSpec(name=ZONE, algorithm="hmac-sha256",
                 update_policy=["deny %s. name %s.%s. A AAAA" % (ZONE, REFUSED_LABEL, ZONE),
                                "grant %s. subdomain %s. ANY" % (ZONE, ZONE)]),
        ZoneSpec(name=DEAD_ZONE, algorithm="hmac-sha256"),
        ZoneSpec(name=SILENT_ZONE, algorithm="hmac-sha256"),
    ]
    server = Named(str(tmp_path_factory.mktemp("named-co")), zones, threads=2)
    server.start()
    yield server
    server.stop()


def start_nsupd(workdir, dns_cfg):
    inst = Nsupd(workdir, dns=dict(dns_cfg, coalesce_max=64, coalesce_wait_ms=2, max_inflight=4),
                 extra="\n[server]\nthreads = 64\n\n[log]\nlevel = debug\n")
    inst.migrate()
    inst.add_user(OWNER)
    return inst


def stop_nsupd(inst):
    alive = inst.alive()
    rc = inst.stop()
    assert alive, "nsupd serve died during the tests:\n" + inst.stderr()
    assert rc == 0, "nsupd serve exit code %r:\n%s" % (rc, inst.stderr())


@pytest.fixture(scope="module")
def env(ns, tmp_path_factory):
    # Generous timeouts: a loaded test machine must not turn into dnserr here.
    inst = start_nsupd(tmp_path_factory.mktemp("nsupd-co"),
                       {"resolver_timeout": 10, "update_timeout": 20, "unavailable_retry": 30})
    z = ns.zone(ZONE)
    inst.add_domain(ZONE, OWNER, ns.server, z.algorithm, z.secret)
    inst.start()
    yield inst
    stop_nsupd(inst)


@pytest.fixture(scope="module")
def env_broken(ns, tmp_path_factory):
    """Zones whose primary is dead (connection refused) or silent; queries go
    to the secondary (the real named), updates to the broken primary."""
    dead = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    dead.bind(("127.0.0.1", 0))     # bound, never listening: refused
    dead_port = dead.getsockname()[1]
    silent = HungPrimary()
    inst = start_nsupd(tmp_path_factory.mktemp("nsupd-broken"),
                       {"resolver_timeout": 2, "update_timeout": 2, "unavailable_retry": 30})
    zd = ns.zone(DEAD_ZONE)
    inst.add_domain(DEAD_ZONE, OWNER, "127.0.0.1:%d" % dead_port, zd.algorithm, zd.secret,
                    nameserver2=ns.server)
    zs = ns.zone(SILENT_ZONE)
    inst.add_domain(SILENT_ZONE, OWNER, "127.0.0.1:%d" % silent.port, zs.algorithm, zs.secret,
                    nameserver2=ns.server)
    inst.start()
    yield inst
    try:
        stop_nsupd(inst)
    finally:
        silent.close()
        dead.close()


def read_log(inst):
    with open(inst.log, errors="replace") as f:
        return f.read()


def batches(text, zone=ZONE):
    return [int(m.group(2)) for m in UPDATE_RE.finditer(text) if m.group(1) == zone]


def update(session, inst, host, addr, timeout=30):
    r = session.get(inst.url("/nic/update"), params={"hostname": host.fqdn, "myip": addr},
                    headers={"Authorization": basic(host.fqdn, host.secret),
                             "User-Agent": "nsupd-coalescing-test/1.0"},
                    timeout=timeout)
    assert r.status_code == 200, (r.status_code, r.text)
    return r.text


def test_concurrent_updates_each_host_ends_at_its_last_good(env, ns):
    nhosts, nthreads, rounds = 200, 32, 4
    hosts = [env.add_host(ZONE, OWNER, "c%03d" % i) for i in range(nhosts)]
    log_before = len(read_log(env))
    last_good = {}     # (fqdn, family) -> address
    answers = {}
    errors = []
    lock = threading.Lock()

    def addr_of(i, rnd, family):
        if family == 4:
            return "10.%d.%d.%d" % (rnd + 1, i // 250, i % 250 + 1)
        return "2001:db8:%x::%x" % (rnd + 1, i + 1)

    def worker(t):
        mine = [(i, h) for i, h in enumerate(hosts) if i % nthreads == t]
        with requests.Session() as s:
            for rnd in range(rounds):
                for i, h in mine:
                    family = 6 if (rnd + i) % 3 == 0 else 4
                    addr = addr_of(i, rnd, family)
                    try:
                        body = update(s, env, h, addr)
                    except Exception as e:  # noqa: BLE001 (reported below)
                        with lock:
                            errors.append("%s %s: %r" % (h.fqdn, addr, e))
                        continue
                    word = body.split(" ")[0]
                    with lock:
                        answers[word] = answers.get(word, 0) + 1
                        if word == "good":
                            last_good[(h.fqdn, family)] = addr
                        else:
                            errors.append("%s %s: %r" % (h.fqdn, addr, body))
                    # A repeat of an acknowledged address is a nochg.
                    if word == "good" and rnd == rounds - 1 and i % 10 == 0:
                        again = update(s, env, h, addr).split(" ")[0]
                        with lock:
                            answers["repeat-" + again] = answers.get("repeat-" + again, 0) + 1

    t0 = time.monotonic()
    with ThreadPoolExecutor(nthreads) as ex:
        list(ex.map(worker, range(nthreads)))
    elapsed = time.monotonic() - t0
    assert not errors, errors[:10]
    total = nhosts * rounds
    assert answers.get("good") == total, answers
    assert answers.get("repeat-good", 0) == 0, answers

    # Every host holds exactly its last acknowledged address, A and AAAA.
    wrong = []
    for (fqdn, family), addr in last_good.items():
        got = ns.query(fqdn, "A" if family == 4 else "AAAA")
        if got != [addr]:
            wrong.append((fqdn, family, addr, got))
    assert not wrong, wrong[:10]
    assert len(last_good) > nhosts

    # Coalescing happened: fewer messages than changes, all changes sent.
    sizes = batches(read_log(env)[log_before:])
    assert sum(sizes) == total, (sum(sizes), total)
    assert max(sizes) > 1, sizes[:50]
    assert len(sizes) < total, (len(sizes), total)
    print("%d changes in %d messages (largest %d) in %.1f s" % (
        sum(sizes), len(sizes), max(sizes), elapsed))


def test_refused_record_does_not_sink_its_batch(env, ns):
    others = [env.add_host(ZONE, OWNER, "r%02d" % i) for i in range(15)]
    bad = env.add_host(ZONE, OWNER, REFUSED_LABEL)
    rounds = 12
    split_seen = False
    for rnd in range(rounds):
        log_before = len(read_log(env))
        barrier = threading.Barrier(16)
        results = {}

        def one(h, addr):
            with requests.Session() as s:
                barrier.wait(10)
                results[h.fqdn] = (addr, update(s, env, h, addr))

        threads = [threading.Thread(target=one, args=(h, "10.77.%d.%d" % (rnd, i + 1)))
                   for i, h in enumerate(others + [bad])]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert len(results) == 16, results
        # The refused host gets its own dnserr; everyone else a good.
        assert results[bad.fqdn][1] == "dnserr", results[bad.fqdn]
        for h in others:
            addr, body = results[h.fqdn]
            assert body == "good " + addr, (h.fqdn, body)
            assert ns.query(h.fqdn, "A") == [addr]
        text = read_log(env)[log_before:]
        if re.search(r"REFUSED from \S+ \(update of \d+ records in zone %s\); sending its \d+ "
                     r"changes one by one" % re.escape(ZONE), text):
            split_seen = True
    assert ns.query(bad.fqdn, "A") == []
    # The merged message was refused and split at least once (the clients
    # were released together; the writer merges what arrives within 2 ms).
    assert split_seen, read_log(env)[-3000:]
    # REFUSED is about one record, not the nameserver: no back-off.
    h = others[0]
    with requests.Session() as s:
        assert update(s, env, h, "10.78.0.1") == "good 10.78.0.1"
    info = env.show(bad.fqdn)
    assert info["server_faults"] == rounds, info
    assert "REFUSED" in (info.get("server_result_msg") or ""), info


def test_dead_primary_answers_dnserr_fast(env_broken, ns):
    env = env_broken
    hosts = [env.add_host(DEAD_ZONE, OWNER, "d%02d" % i) for i in range(8)]
    t0 = time.monotonic()
    with ThreadPoolExecutor(8) as ex:
        bodies = list(ex.map(lambda h: update(requests.Session(), env, h, "10.88.0.1"), hosts))
    elapsed = time.monotonic() - t0
    assert bodies == ["dnserr"] * 8, bodies
    assert elapsed < 2.0, elapsed
    msg = env.show(hosts[0].fqdn).get("server_result_msg") or ""
    assert "connection refused by 127.0.0.1:" in msg or "flagged unavailable" in msg, msg


def test_silent_primary_answers_dnserr_within_timeout(env_broken, ns):
    env = env_broken
    hosts = [env.add_host(SILENT_ZONE, OWNER, "s%02d" % i) for i in range(12)]
    t0 = time.monotonic()
    timings = []

    def one(h):
        t = time.monotonic()
        body = update(requests.Session(), env, h, "10.99.0.1")
        timings.append(time.monotonic() - t)
        return body

    with ThreadPoolExecutor(12) as ex:
        bodies = list(ex.map(one, hosts))
    elapsed = time.monotonic() - t0
    assert bodies == ["dnserr"] * 12, bodies
    # update_timeout = 2 s bounds each caller, queueing included.
    assert max(timings) < 2.0 + 1.5, timings
    assert elapsed < 2.0 + 2.0, elapsed
    msgs = [env.show(h.fqdn).get("server_result_msg") or "" for h in hosts]
    assert any("timeout after 2000 ms waiting for 127.0.0.1:" in m for m in msgs), msgs
    # The zone is in back-off now: the next request answers at once.
    t = time.monotonic()
    assert update(requests.Session(), env, hosts[0], "10.99.0.2") == "dnserr"
    assert time.monotonic() - t < 1.0
