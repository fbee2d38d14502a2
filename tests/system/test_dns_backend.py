"""The RFC 2136 backend (src/dns) against a real BIND9 named, through the
tests/tools/dnsprobe driver.

Run: NSUPD_BUILD=/path/to/build /usr/bin/python3 -m pytest -q tests/system/test_dns_backend.py
"""

import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import dns.message
import dns.query
import dns.rdatatype
import pytest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from named import ALGORITHMS, Named, ZoneSpec, free_port  # noqa: E402

REPO = Path(__file__).resolve().parents[2]
BUILD = Path(os.environ.get("NSUPD_BUILD", REPO / "build"))
DNSPROBE = BUILD / "tests" / "unit" / "dnsprobe"

LOCKED = "locked.dns.test"


def zone_name(alg):
    return alg.replace("hmac-", "") + ".dns.test"


@pytest.fixture(scope="module")
def probe_bin():
    if not os.access(DNSPROBE, os.X_OK):
        pytest.fail(f"{DNSPROBE} not built (ninja -C {BUILD} tests/unit/dnsprobe; set NSUPD_BUILD)")
    return str(DNSPROBE)


@pytest.fixture(scope="module")
def ns(tmp_path_factory):
    zones = [ZoneSpec(name=zone_name(a), algorithm=a, secret=ZoneSpec.random_secret(a))
             for a in ALGORITHMS]
    # A zone with its own key: the other keys are valid but not granted here.
    zones.append(ZoneSpec(name=LOCKED, algorithm="hmac-sha256"))
    with Named(tmp_path_factory.mktemp("dnsbackend"), zones) as server:
        yield server


@pytest.fixture
def z512(ns):
    return ns.zone(zone_name("hmac-sha512"))


class Probe:
    def __init__(self, binary, ns):
        self.binary = binary
        self.ns = ns

    def run(self, zone, *cmd, server=None, key_name=None, secret=None, algorithm=None,
            timeout_ms=3000, secondary=None, ttl=None, zone_name_override=None):
        args = [self.binary, "-t", str(timeout_ms)]
        if secondary:
            args += ["-s", secondary]
        if ttl is not None:
            args += ["-T", str(ttl)]
        args += [server or self.ns.server, zone_name_override or zone.name,
                 key_name or zone.key_name, algorithm or zone.algorithm,
                 secret or zone.secret]
        args += [str(c) for c in cmd]
        t0 = time.monotonic()
        r = subprocess.run(args, capture_output=True, text=True, timeout=60)
        r.elapsed = time.monotonic() - t0
        return r

    def ok(self, zone, *cmd, **kw):
        r = self.run(zone, *cmd, **kw)
        assert r.returncode == 0, f"{cmd}: rc={r.returncode} {r.stderr}"
        return r.stdout.strip()


@pytest.fixture
def probe(probe_bin, ns):
    return Probe(probe_bin, ns)


def test_replace_a_and_aaaa_then_query(ns, probe, z512):
    name = "both." + z512.name
    assert probe.ok(z512, "replace", name, "192.0.2.1") == "ok"
    assert probe.ok(z512, "replace", name, "2001:DB8::1") == "ok"
    assert ns.query(name, "A") == ["192.0.2.1"]
    assert ns.query(name, "AAAA") == ["2001:db8::1"]
    assert probe.ok(z512, "query", name, 4) == "192.0.2.1"
    assert probe.ok(z512, "query", name, 6) == "2001:db8::1"


def test_query_absent(ns, probe, z512):
    assert probe.ok(z512, "query", "nothing-here." + z512.name, 4) == "none"
    # Name exists with an A record only: NODATA for AAAA.
    probe.ok(z512, "replace", "onlya." + z512.name, "192.0.2.5")
    assert probe.ok(z512, "query", "onlya." + z512.name, 6) == "none"


def test_replace_twice_leaves_one_record(ns, probe, z512):
    name = "twice." + z512.name
    probe.ok(z512, "replace", name, "192.0.2.1")
    probe.ok(z512, "replace", name, "192.0.2.2")
    assert ns.query(name, "A") == ["192.0.2.2"]
    # Even an RRset with several records becomes the single new one.
    ns.update(z512.name, name, "A", ["192.0.2.7", "192.0.2.8"])
    assert ns.query(name, "A") == ["192.0.2.7", "192.0.2.8"]
    probe.ok(z512, "replace", name, "192.0.2.9")
    assert ns.query(name, "A") == ["192.0.2.9"]
    ns.update(z512.name, name, "AAAA", ["2001:db8::7", "2001:db8::8"])
    probe.ok(z512, "replace", name, "2001:db8::9")
    assert ns.query(name, "AAAA") == ["2001:db8::9"]


def test_ttl_is_written(ns, probe, z512):
    name = "ttl." + z512.name
    probe.ok(z512, "replace", name, "192.0.2.1", ttl=123)
    q = dns.message.make_query(name, "A")
    q.flags = 0
    r = dns.query.udp(q, ns.host, port=ns.port, timeout=2)
    assert r.answer and r.answer[0].ttl == 123


def test_delete(ns, probe, z512):
    name = "gone." + z512.name
    probe.ok(z512, "replace", name, "192.0.2.1")
    assert ns.query(name, "A") == ["192.0.2.1"]
    assert probe.ok(z512, "delete", name, 4) == "ok"
    assert ns.query(name, "A") == []
    # Deleting what is not there is a success.
    assert probe.ok(z512, "delete", name, 4) == "ok"
    assert probe.ok(z512, "delete", "never-existed." + z512.name, 6) == "ok"


def test_delete_a_leaves_aaaa(ns, probe, z512):
    name = "dual." + z512.name
    probe.ok(z512, "replace", name, "192.0.2.1")
    probe.ok(z512, "replace", name, "2001:db8::1")
    probe.ok(z512, "delete", name, 4)
    assert ns.query(name, "A") == []
    assert ns.query(name, "AAAA") == ["2001:db8::1"]
    probe.ok(z512, "delete", name, 6)
    assert ns.query(name, "AAAA") == []


@pytest.mark.parametrize("alg", ALGORITHMS)
def test_each_tsig_algorithm(ns, probe, alg):
    z = ns.zone(zone_name(alg))
    name = "alg." + z.name
    assert probe.ok(z, "replace", name, "198.51.100.4") == "ok"
    assert ns.query(name, "A") == ["198.51.100.4"]
    assert probe.ok(z, "replace", name, "2001:db8::4") == "ok"
    assert ns.query(name, "AAAA") == ["2001:db8::4"]
    assert probe.ok(z, "query", name, 4) == "198.51.100.4"
    assert probe.ok(z, "delete", name, 4) == "ok"
    assert ns.query(name, "A") == []
    # The algorithm is also accepted in the original's spelling.
    assert probe.ok(z, "replace", name, "198.51.100.5",
                    algorithm=alg.upper().replace("-", "_")) == "ok"
    assert ns.query(name, "A") == ["198.51.100.5"]


@pytest.mark.parametrize("alg", ["hmac-md5", "hmac-sha384", "hmac-sha512"])
def test_wrong_secret_is_tsig_error(ns, probe, alg):
    z = ns.zone(zone_name(alg))
    name = "wrongsecret." + z.name
    probe.ok(z, "replace", name, "192.0.2.1")
    r = probe.run(z, "replace", name, "192.0.2.66", secret=ZoneSpec.random_secret(alg))
    assert r.returncode == 2, r.stderr
    assert "error TSIG" in r.stderr
    assert "transport=yes" in r.stderr
    assert "bad signature" in r.stderr and "shared secret mismatch" in r.stderr
    assert f"127.0.0.1:{ns.port}" in r.stderr
    assert z.name in r.stderr and alg in r.stderr
    assert ns.query(name, "A") == ["192.0.2.1"]


def test_wrong_algorithm_is_tsig_error(ns, probe, z512):
    r = probe.run(z512, "replace", "wrongalg." + z512.name, "192.0.2.1", algorithm="hmac-sha256")
    assert r.returncode == 2
    assert "error TSIG" in r.stderr, r.stderr


def test_unknown_key_name(ns, probe, z512):
    name = "unknownkey." + z512.name
    r = probe.run(z512, "replace", name, "192.0.2.1", key_name="nobody.example")
    assert r.returncode == 2
    assert "error TSIG" in r.stderr, r.stderr
    assert "bad key" in r.stderr and "nobody.example" in r.stderr
    assert ns.query(name, "A") == []


def test_bad_base64_secret(probe, z512):
    r = probe.run(z512, "replace", "x." + z512.name, "192.0.2.1", secret="not*base64")
    assert r.returncode == 2
    assert "error KEY" in r.stderr and "transport=no" in r.stderr, r.stderr


def test_zone_the_key_may_not_update(ns, probe, z512):
    locked = ns.zone(LOCKED)
    name = "intruder." + LOCKED
    # A valid key of another zone, against this zone: the policy refuses.
    r = probe.run(z512, "replace", name, "192.0.2.1", zone_name_override=LOCKED)
    assert r.returncode == 2
    assert "error RCODE rcode=5" in r.stderr, r.stderr
    assert "REFUSED" in r.stderr and "transport=no" in r.stderr
    assert ns.query(name, "A") == []
    # Its own key works.
    probe.ok(locked, "replace", name, "192.0.2.1")
    assert ns.query(name, "A") == ["192.0.2.1"]


def test_zone_not_served(ns, probe, z512):
    r = probe.run(z512, "replace", "x.elsewhere.test", "192.0.2.1",
                  zone_name_override="elsewhere.test")
    assert r.returncode == 2
    assert "error RCODE rcode=9" in r.stderr and "NOTAUTH" in r.stderr, r.stderr


def test_name_outside_zone(ns, probe, z512):
    r = probe.run(z512, "replace", "x.elsewhere.test", "192.0.2.1")
    assert r.returncode == 2
    assert "error RCODE" in r.stderr and "NOTZONE" in r.stderr, r.stderr


def test_dead_server_times_out_or_refuses(probe, z512):
    dead = f"127.0.0.1:{free_port()}"
    for cmd in (("query", "x." + z512.name, 4), ("replace", "x." + z512.name, "192.0.2.1"),
                ("delete", "x." + z512.name, 6)):
        r = probe.run(z512, *cmd, server=dead, timeout_ms=1000)
        assert r.returncode == 2, r.stdout
        assert ("error TIMEOUT" in r.stderr or "error CONNECT" in r.stderr), r.stderr
        assert "transport=yes" in r.stderr
        assert r.elapsed < 1.0 + 0.8, r.elapsed
    r = probe.run(z512, "replace", "x." + z512.name, "192.0.2.1", server=dead)
    assert "connection refused by " + dead in r.stderr


def silent_sockets():
    """A UDP and a listening TCP socket on the same free port, both mute."""
    for _ in range(50):
        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.bind(("127.0.0.1", 0))
        port = udp.getsockname()[1]
        tcp = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            tcp.bind(("127.0.0.1", port))
        except OSError:
            udp.close()
            tcp.close()
            continue
        tcp.listen(4)
        return udp, tcp, port
    raise RuntimeError("no free port pair")


def test_silent_server_times_out_in_time(probe, z512):
    # Sockets that accept but never answer: the timeout is the only way out.
    udp, tcp, port = silent_sockets()
    try:
        for cmd in (("query", "x." + z512.name, 4), ("replace", "x." + z512.name, "192.0.2.1")):
            r = probe.run(z512, *cmd, server=f"127.0.0.1:{port}", timeout_ms=700)
            assert r.returncode == 2
            assert "error TIMEOUT" in r.stderr, r.stderr
            assert "timeout after 700 ms" in r.stderr
            assert 0.6 < r.elapsed < 0.7 + 0.8, r.elapsed
    finally:
        udp.close()
        tcp.close()


def test_ipv6_server(ns, probe, z512):
    name = "v6server." + z512.name
    assert probe.ok(z512, "replace", name, "192.0.2.61", server=ns.server6) == "ok"
    assert probe.ok(z512, "replace", name, "2001:db8::61", server=ns.server6) == "ok"
    assert ns.query(name, "A") == ["192.0.2.61"]
    assert probe.ok(z512, "query", name, 6, server=ns.server6) == "2001:db8::61"
    assert probe.ok(z512, "delete", name, 4, server=ns.server6) == "ok"
    assert ns.query(name, "A") == []


def test_secondary_preferred_for_queries(ns, probe, z512, tmp_path):
    name = "sec." + z512.name
    probe.ok(z512, "replace", name, "192.0.2.1")
    # A second server for the same zone, with other contents: whoever
    # answers the query is visible in the address.
    twin = ZoneSpec(name=z512.name, algorithm=z512.algorithm, secret=z512.secret,
                    records=["sec 60 IN A 192.0.2.2"])
    with Named(tmp_path, [twin]) as second:
        assert probe.ok(z512, "query", name, 4, secondary=second.server) == "192.0.2.2"
        assert probe.ok(z512, "query", name, 4, secondary=second.server6) == "192.0.2.2"
        # Updates still go to the primary only.
        probe.ok(z512, "replace", name, "192.0.2.3", secondary=second.server)
        assert ns.query(name, "A") == ["192.0.2.3"]
        assert second.query(name, "A") == ["192.0.2.2"]
    # With the secondary gone, the primary answers, within the time.
    r = probe.run(z512, "query", name, 4, secondary=second.server, timeout_ms=3000)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == "192.0.2.3"
    assert r.elapsed < 3.0
