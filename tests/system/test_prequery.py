"""The query for a host's current address sent before its database lookup
(src/api/prequery.h): its answer is used only when the lookup finds the
nameserver it went to. Two real `named` serve the same zone with different
data; the domain is moved from one to the other between two requests of a
host that authenticated (so the second request's early query goes to the old
server): the answer must be the new server's. Also: failed authentication
after a success, a wrong hostname, and a HEAD request all end cleanly.

Run: NSUPD_BIN=/path/to/nsupd /usr/bin/python3 -m pytest -q tests/system/test_prequery.py
"""

import sqlite3

import pytest
import requests

from named import Named, ZoneSpec
from nsupdlib import Nsupd, psql

OWNER = "owner"
ZONE = "moved.nsupd.test"


@pytest.fixture(scope="module")
def two_servers(tmp_path_factory):
    spec = ZoneSpec(name=ZONE, algorithm="hmac-sha256")
    old = Named(str(tmp_path_factory.mktemp("named-old")), [spec])
    new = Named(str(tmp_path_factory.mktemp("named-new")), [spec])
    old.start()
    try:
        new.start()
        try:
            yield old, new, spec
        finally:
            new.stop()
    finally:
        old.stop()


@pytest.fixture
def inst(two_servers, tmp_path):
    old, _, spec = two_servers
    n = Nsupd(tmp_path / "nsupd")
    n.migrate()
    n.add_user(OWNER)
    n.add_domain(ZONE, OWNER, old.server, spec.algorithm, spec.secret)
    n.start()
    try:
        yield n
    finally:
        n.stop()


def move_domain(n, server):
    """Points the domain at another nameserver behind nsupd's back, as
    another instance (or the web interface) would."""
    if n.pg_schema is not None:
        psql("UPDATE %s.domains SET nameserver = '%s' WHERE name = '%s'"
             % (n.pg_schema, server, ZONE))
        return
    con = sqlite3.connect(n.db, timeout=30, isolation_level=None)
    try:
        con.execute("UPDATE domains SET nameserver = ? WHERE name = ?", (server, ZONE))
    finally:
        con.close()


def update(n, host, ip, **kw):
    r = requests.get(n.url("/nic/update"), params={"hostname": host.fqdn, "myip": ip},
                     auth=kw.pop("auth", host.auth), timeout=30, **kw)
    return r.status_code, r.text.strip()


def test_answer_of_the_old_nameserver_is_not_used(inst, two_servers):
    old, new, _ = two_servers
    h = inst.add_host(ZONE, OWNER, "mover")
    assert update(inst, h, "10.70.0.1") == (200, "good 10.70.0.1")
    assert update(inst, h, "10.70.0.1") == (200, "nochg 10.70.0.1")
    # The new server holds another address for the host.
    new.update(ZONE, h.fqdn, "A", ["10.70.0.2"])
    move_domain(inst, new.server)
    # The early query went to the old server, which says 10.70.0.1; the new
    # one says 10.70.0.2: so this is a change, written to the new server.
    assert update(inst, h, "10.70.0.1") == (200, "good 10.70.0.1")
    assert new.query(h.fqdn, "A") == ["10.70.0.1"]
    # And the other way round: what the new server holds is a nochg.
    new.update(ZONE, h.fqdn, "A", ["10.70.0.3"])
    assert update(inst, h, "10.70.0.3") == (200, "nochg 10.70.0.3")
    assert old.query(h.fqdn, "A") == ["10.70.0.1"]


def test_early_endings_after_a_success(inst, two_servers):
    old = two_servers[0]
    h = inst.add_host(ZONE, OWNER, "early")
    assert update(inst, h, "10.71.0.1") == (200, "good 10.71.0.1")
    # Remembered now: each of these sends an early query and ends first.
    assert update(inst, h, "10.71.0.1", auth=(h.fqdn, "wrong-secret"))[1] == "badauth"
    r = requests.get(inst.url("/nic/update"), params={"hostname": "other." + ZONE,
                                                      "myip": "10.71.0.1"},
                     auth=h.auth, timeout=30)
    assert r.text.strip() == "nohost"
    r = requests.head(inst.url("/nic/update"), params={"hostname": h.fqdn, "myip": "10.71.0.9"},
                      auth=h.auth, timeout=30)
    assert r.status_code == 200
    assert update(inst, h, "not-an-ip")[1] == "dnserr"
    # Two addresses (the second is asked the usual way), then IPv6 alone.
    r = requests.get(inst.url("/nic/update"),
                     params={"hostname": h.fqdn, "myip": "10.71.0.1,2001:db8::71"},
                     auth=h.auth, timeout=30)
    assert r.status_code == 200 and r.text.startswith("good "), r.text
    assert old.query(h.fqdn, "AAAA") == ["2001:db8::71"]
    assert update(inst, h, "2001:db8::71") == (200, "nochg 2001:db8::71")
    assert update(inst, h, "10.71.0.1") == (200, "nochg 10.71.0.1")
    assert inst.alive()
    info = inst.show(h.fqdn)
    assert info["api_auth_faults"] == 1, info
