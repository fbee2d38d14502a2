"""Forwarding updates to other dyndns2 services (issue 4): a good update is
queued in the database and sent by the worker inside `nsupd serve`, to a
second real nsupd (whose record then changes in named) or to a small
dyndns2 stub on loopback that records what it gets."""

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest

from conftest import OWNER, setup_domains
from named import free_port
from nsupdlib import Nsupd, answer, psql, zone_for

A = "A"
PASSWORD = "s3cret-Pa55word-for-the-other-service"


def wait_for(pred, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.1)


class Stub:
    """A dyndns2 server that answers from a script and records each request."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.requests = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                u = urlsplit(self.path)
                stub.requests.append({
                    "path": u.path,
                    "query": parse_qsl(u.query, keep_blank_values=True),
                    "auth": self.headers.get("Authorization", ""),
                    "agent": self.headers.get("User-Agent", ""),
                })
                status, body = stub.answers.pop(0) if len(stub.answers) > 1 else stub.answers[0]
                data = body.encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture
def stub_factory():
    stubs = []

    def make(answers):
        s = Stub(answers)
        stubs.append(s)
        return s
    yield make
    for s in stubs:
        s.close()


@pytest.fixture
def instance(named, tmp_path):
    """Factory: another nsupd (own database, same named) with extra config."""
    made = []

    def make(extra="", name="inst"):
        inst = Nsupd(tmp_path / name, extra=extra)
        inst.migrate()
        setup_domains(inst, named)
        made.append(inst)
        return inst
    yield make
    for inst in made:
        alive = inst.alive()
        rc = inst.stop()
        assert not alive or rc == 0, "nsupd serve exit code %r:\n%s" % (rc, inst.stderr())
        for bad in ("runtime error", "AddressSanitizer", "LeakSanitizer"):
            assert bad not in inst.stderr(10 ** 6), inst.stderr()


def forwards(inst, host):
    out = inst.cli("host", "forward", "list", host.fqdn, "--json")
    assert PASSWORD not in out
    return json.loads(out)


def add_forward(inst, host, service, login, *opts):
    inst.cli("host", "forward", "add", host.fqdn, "--service", service, "--login", login,
             "--password-stdin", *opts, input=PASSWORD + "\n")


def test_forward_to_a_second_nsupd(named, nsupd, host, instance):
    # The third-party service is another nsupd with its own database and zone.
    other = instance(name="other").start()
    theirs = other.add_host(zone_for("hmac-sha256"), OWNER)
    nsupd.cli("service", "add", "second-nsupd", "--server", "127.0.0.1:%d" % other.port,
              "--no-tls", "--accept-ipv4", "--accept-ipv6")
    nsupd.cli("host", "forward", "add", host.fqdn, "--service", "second-nsupd",
              "--login", theirs.fqdn, "--password-stdin", "--hostname", theirs.fqdn,
              "--give-ipv4", input=theirs.secret + "\n")
    assert answer(nsupd.update(host, {"myip": "192.0.2.61"})) == "good 192.0.2.61"
    wait_for(lambda: named.query(theirs.fqdn, A) == ["192.0.2.61"], what="the forwarded record")
    assert named.query(host.fqdn, A) == ["192.0.2.61"]

    def done():
        f = json.loads(nsupd.cli("host", "forward", "list", host.fqdn, "--json"))
        return f if f[0]["last"] and f[0]["last"]["state"] == "done" else None
    f = wait_for(done, what="the forward result")
    assert theirs.secret not in json.dumps(f)
    assert f[0]["service"] == "second-nsupd" and f[0]["tls"] is False
    assert f[0]["hostname"] == theirs.fqdn and f[0]["login"] == theirs.fqdn
    assert f[0]["give_ipv4"] is True and f[0]["give_ipv6"] is False
    assert f[0]["pending"] == 0
    last = f[0]["last"]
    assert last["result"] == "good" and last["http_status"] == 200
    assert last["address"] == "192.0.2.61" and last["time"].endswith("Z")
    assert "password" not in f[0]
    # The other instance counted a good update on its host.
    assert "good update" in other.show(theirs.fqdn)["client_result_msg"]
    # Not forwarded: the family the configuration does not give, and nochg.
    assert answer(nsupd.update(host, {"myip": "2001:db8::61"})) == "good 2001:db8::61"
    assert answer(nsupd.update(host, {"myip": "192.0.2.61"})) == "nochg 192.0.2.61"
    time.sleep(1.5)
    assert forwards(nsupd, host)[0]["pending"] == 0
    assert named.query(theirs.fqdn, "AAAA") == []
    assert other.stop() == 0


def test_failing_target_is_retried(instance, stub_factory):
    stub = stub_factory([(200, "911"), (200, "good 192.0.2.62")])
    inst = instance("[forward]\nretry_min = 1\nretry_max = 2\n").start()
    host = inst.add_host(zone_for("hmac-sha512"), OWNER)
    inst.cli("service", "add", "stub", "--server", "127.0.0.1:%d" % stub.port, "--path",
             "/nic/update", "--no-tls", "--accept-ipv4")
    add_forward(inst, host, "stub", "stub-login", "--hostname", "me.stub.example",
                "--give-ipv4", "--give-ipv6")
    assert answer(inst.update(host, {"myip": "192.0.2.62"})) == "good 192.0.2.62"
    wait_for(lambda: len(stub.requests) >= 2, what="the retry")

    def done():
        f = forwards(inst, host)
        return f if f[0]["last"] and f[0]["last"]["state"] == "done" else None
    f = wait_for(done, what="done after the retry")
    assert f[0]["last"]["result"] == "good" and f[0]["pending"] == 0
    for req in stub.requests[:2]:
        assert req["path"] == "/nic/update"
        assert req["query"] == [("hostname", "me.stub.example"), ("myip", "192.0.2.62")]
        assert req["auth"] == "Basic " + base64.b64encode(
            ("stub-login:" + PASSWORD).encode()).decode()
    assert len(stub.requests) == 2
    # The password shows up nowhere but on the wire.
    plain = inst.cli("host", "forward", "list", host.fqdn)
    assert PASSWORD not in plain
    assert PASSWORD not in inst.stderr(10 ** 6)
    assert inst.stop() == 0


def test_permanent_failure_is_not_retried(instance, stub_factory):
    stub = stub_factory([(401, "badauth")])
    inst = instance("[forward]\nretry_min = 1\n").start()
    host = inst.add_host(zone_for("hmac-sha512"), OWNER)
    inst.cli("service", "add", "stub", "--server", "127.0.0.1:%d" % stub.port, "--no-tls",
             "--accept-ipv4")
    add_forward(inst, host, "stub", "wrong", "--give-ipv4")   # no --hostname: none sent
    assert answer(inst.update(host, {"myip": "192.0.2.63"})) == "good 192.0.2.63"

    def failed():
        f = forwards(inst, host)
        return f if f[0]["last"] and f[0]["last"]["state"] == "failed" else None
    f = wait_for(failed, what="the failure")
    assert f[0]["last"]["result"] == "badauth" and f[0]["last"]["http_status"] == 401
    assert f[0]["hostname"] is None and f[0]["pending"] == 0
    time.sleep(2.5)
    assert len(stub.requests) == 1
    assert stub.requests[0]["query"] == [("myip", "192.0.2.63")]


def test_dead_target_retried_then_failed(instance):
    dead = free_port()   # nothing listens there
    inst = instance("[forward]\nretry_min = 1\nretry_max = 1\ngive_up = 3\n"
                    "connect_timeout = 2\n").start()
    host = inst.add_host(zone_for("hmac-sha512"), OWNER)
    inst.cli("service", "add", "dead", "--server", "127.0.0.1:%d" % dead, "--no-tls",
             "--accept-ipv4")
    add_forward(inst, host, "dead", "x", "--give-ipv4")
    assert answer(inst.update(host, {"myip": "192.0.2.64"})) == "good 192.0.2.64"
    wait_for(lambda: (forwards(inst, host)[0]["last"] or {}).get("state") == "retrying",
             what="a retry")
    f = wait_for(lambda: (forwards(inst, host)[0]["last"] or {}).get("state") == "failed" and
                 forwards(inst, host), what="giving up")
    last = f[0]["last"]
    assert last["http_status"] is None and "gave up after" in last["result"]
    assert f[0]["pending"] == 0


def test_queue_survives_a_restart(instance, stub_factory):
    stub = stub_factory([(200, "good")])
    inst = instance("[forward]\nstart_delay = 3600\n").start()
    host = inst.add_host(zone_for("hmac-sha512"), OWNER)
    inst.cli("service", "add", "stub", "--server", "127.0.0.1:%d" % stub.port, "--no-tls",
             "--accept-ipv6")
    add_forward(inst, host, "stub", "l", "--give-ipv6", "--hostname", "")
    assert answer(inst.update(host, {"myip": "2001:db8::65"})) == "good 2001:db8::65"
    # A newer address replaces the queued one.
    assert answer(inst.update(host, {"myip": "2001:db8::66"})) == "good 2001:db8::66"
    f = forwards(inst, host)
    assert f[0]["pending"] == 1 and f[0]["last"] is None
    assert inst.stop() == 0   # graceful even while the worker waits
    assert stub.requests == []

    with open(inst.conf) as fh:
        conf = fh.read()
    with open(inst.conf, "w") as fh:
        fh.write(conf.replace("start_delay = 3600", "start_delay = 0"))
    inst.start()
    wait_for(lambda: stub.requests, what="delivery after the restart")

    def done():
        f = forwards(inst, host)
        return f if f[0]["last"] and f[0]["last"]["state"] == "done" else None
    f = wait_for(done, what="done")
    assert f[0]["pending"] == 0
    assert len(stub.requests) == 1
    # An empty --hostname is sent as hostname= (the original did the same).
    assert stub.requests[0]["query"] == [("hostname", ""), ("myip", "2001:db8::66")]


def test_cli_contract(nsupd, host):
    p = nsupd.run("service", "add", "bad", "--server", "http://x.example/")
    assert p.returncode != 0 and "invalid --server" in p.stderr
    p = nsupd.run("service", "add", "bad", "--server", "x.example", "--path", "nic")
    assert p.returncode != 0 and "invalid --path" in p.stderr
    nsupd.cli("service", "add", "contract", "--server", "dyn.example:8443",
              "--accept-ipv4")
    p = nsupd.run("service", "add", "contract", "--server", "dyn.example")
    assert p.returncode != 0 and "already exists" in p.stderr
    services = json.loads(nsupd.cli("service", "list", "--json"))
    mine = [s for s in services if s["name"] == "contract"]
    assert mine == [{"name": "contract", "server": "dyn.example:8443", "path": "/nic/update",
                     "tls": True, "accept_ipv4": True, "accept_ipv6": False, "comment": ""}]
    p = nsupd.run("host", "forward", "add", host.fqdn, "--service", "nope", "--login", "l",
                  "--password-stdin", input="pw\n")
    assert p.returncode != 0 and "no service 'nope'" in p.stderr
    p = nsupd.run("host", "forward", "add", host.fqdn, "--service", "contract", "--login", "l",
                  "--password-stdin", input="")
    assert p.returncode != 0 and "password" in p.stderr
    p = nsupd.run("host", "forward", "add", host.fqdn, "--service", "contract", "--login", "l",
                  "--password-stdin", "--give-ipv6", input=PASSWORD + "\n")
    assert p.returncode == 0 and "warning" in p.stderr   # the service takes no IPv6
    f = forwards(nsupd, host)
    assert len(f) == 1 and f[0]["last"] is None and f[0]["pending"] == 0
    assert set(f[0]) == {"id", "service", "server", "path", "tls", "accept_ipv4", "accept_ipv6",
                         "hostname", "login", "give_ipv4", "give_ipv6", "comment", "pending",
                         "last"}


def audit_log(inst):
    """(action, object, before, after) of the audit log, oldest first."""
    sql = "SELECT action, object, before_data, after_data FROM audit_log ORDER BY id"
    if inst.db_url.startswith("sqlite:"):
        import sqlite3
        con = sqlite3.connect(inst.db, timeout=30)
        try:
            rows = con.execute(sql).fetchall()
        finally:
            con.close()
    else:
        rows = [tuple(line.split("|")) for line in
                psql(sql.replace("before_data, after_data",
                             "coalesce(before_data, ''), coalesce(after_data, '')"),
                     inst.db_url).splitlines()]
    return [(a, o, json.loads(b) if b else None, json.loads(af) if af else None)
            for a, o, b, af in rows]


def test_cli_forward_set_and_delete(instance, stub_factory):
    """`host forward set/delete`: the worker sends what was changed, and a
    deleted forward sends nothing."""
    stub = stub_factory([(200, "good")])
    inst = instance().start()
    host = inst.add_host(zone_for("hmac-sha512"), OWNER)
    other = inst.add_host(zone_for("hmac-sha512"), OWNER)
    inst.cli("service", "add", "stub", "--server", "127.0.0.1:%d" % stub.port, "--no-tls",
             "--accept-ipv4", "--accept-ipv6")
    add_forward(inst, host, "stub", "old-login", "--give-ipv4", "--hostname", "old.example")
    add_forward(inst, other, "stub", "other-login", "--give-ipv4")
    fid = forwards(inst, host)[0]["id"]
    other_id = forwards(inst, other)[0]["id"]

    # Usage errors change nothing.
    for args, why in [((fid,), "usage"),                               # no option
                      (("x", "--comment", "c"), "invalid forward ID"),
                      ((other_id, "--comment", "c"), "has no forward %d" % other_id),
                      ((fid, "--give-ipv4", "maybe"), "wants yes or no"),
                      ((fid, "--hostname", "h", "--no-hostname"), "usage"),
                      ((fid, "--login", ""), "--login must be")]:
        p = inst.run("host", "forward", "set", host.fqdn, *args)
        assert p.returncode != 0 and why in p.stderr, (args, p.stderr)
    assert forwards(inst, other)[0]["comment"] == ""

    p = inst.run("host", "forward", "set", host.fqdn, fid, "--login", "new-login",
                 "--password-stdin", "--no-hostname", "--give-ipv6", "yes", "--comment",
                 "moved", input="new-Pa55word\n")
    assert p.returncode == 0, p.stderr
    f = forwards(inst, host)[0]
    assert (f["login"], f["hostname"], f["give_ipv4"], f["give_ipv6"], f["comment"]) == \
        ("new-login", None, True, True, "moved")
    assert "new-Pa55word" not in json.dumps(f)
    assert answer(inst.update(host, {"myip": "192.0.2.67"})) == "good 192.0.2.67"
    wait_for(lambda: stub.requests, what="the forward")
    req = stub.requests[0]
    assert req["auth"] == "Basic " + base64.b64encode(b"new-login:new-Pa55word").decode()
    assert req["query"] == [("myip", "192.0.2.67")]   # --no-hostname: none sent

    # Options not given keep their value; the password too.
    inst.cli("host", "forward", "set", host.fqdn, str(fid), "--hostname", "new.example",
             "--give-ipv4", "no")
    f = forwards(inst, host)[0]
    assert (f["login"], f["hostname"], f["give_ipv4"], f["give_ipv6"], f["comment"]) == \
        ("new-login", "new.example", False, True, "moved")
    assert answer(inst.update(host, {"myip": "192.0.2.68"})) == "good 192.0.2.68"
    assert answer(inst.update(host, {"myip": "2001:db8::68"})) == "good 2001:db8::68"
    wait_for(lambda: len(stub.requests) >= 2, what="the second forward")
    time.sleep(1)
    assert len(stub.requests) == 2    # IPv4 is no longer given
    req = stub.requests[1]
    assert req["auth"] == "Basic " + base64.b64encode(b"new-login:new-Pa55word").decode()
    assert req["query"] == [("hostname", "new.example"), ("myip", "2001:db8::68")]

    # Delete: gone from the list, nothing sent any more; the other host's stays.
    p = inst.run("host", "forward", "delete", host.fqdn, str(other_id))
    assert p.returncode != 0 and "has no forward" in p.stderr
    inst.cli("host", "forward", "delete", host.fqdn, str(fid))
    assert forwards(inst, host) == []
    p = inst.run("host", "forward", "delete", host.fqdn, str(fid))
    assert p.returncode != 0 and "has no forward" in p.stderr
    assert answer(inst.update(host, {"myip": "2001:db8::69"})) == "good 2001:db8::69"
    time.sleep(1.5)
    assert len(stub.requests) == 2
    assert [f["id"] for f in forwards(inst, other)] == [other_id]

    # Both changes are in the audit log, without the password.
    log = [e for e in audit_log(inst) if e[0].startswith("host_config.")]
    assert [(a, o) for a, o, _, _ in log] == [
        ("host_config.change", "host_config %d %s" % (fid, host.fqdn)),
        ("host_config.change", "host_config %d %s" % (fid, host.fqdn)),
        ("host_config.delete", "host_config %d %s" % (fid, host.fqdn))]
    assert log[0][2]["login"] == "old-login" and log[0][3]["login"] == "new-login"
    assert log[0][3]["password"] == "(changed)" and "password" not in log[1][3]
    assert "new-Pa55word" not in json.dumps(log) and PASSWORD not in json.dumps(log)


def test_cli_service_set_and_delete(instance, stub_factory):
    first = stub_factory([(200, "good")])
    second = stub_factory([(200, "good")])
    inst = instance().start()
    host = inst.add_host(zone_for("hmac-sha512"), OWNER)
    inst.cli("service", "add", "svc", "--server", "127.0.0.1:%d" % first.port, "--no-tls",
             "--accept-ipv4")
    inst.cli("service", "add", "taken", "--server", "x.example")
    add_forward(inst, host, "svc", "l", "--give-ipv4")

    for args, why in [(("svc",), "usage"),
                      (("nope", "--comment", "c"), "no service 'nope'"),
                      (("svc", "--server", "http://x/"), "invalid --server"),
                      (("svc", "--path", "nic"), "invalid --path"),
                      (("svc", "--tls", "maybe"), "wants yes or no"),
                      (("svc", "--comment", "a", "--comment", "b"), "--comment given twice"),
                      (("svc", "--name", "taken"), "already exists"),
                      (("svc", "--name", ""), "invalid --name")]:
        p = inst.run("service", "set", *args)
        assert p.returncode != 0 and why in p.stderr, (args, p.stderr)

    inst.cli("service", "set", "svc", "--name", "moved", "--server",
             "127.0.0.1:%d" % second.port, "--path", "/v3/update", "--comment", "new home")
    services = {s["name"]: s for s in json.loads(inst.cli("service", "list", "--json"))}
    assert "svc" not in services
    assert services["moved"] == {"name": "moved", "server": "127.0.0.1:%d" % second.port,
                                 "path": "/v3/update", "tls": False, "accept_ipv4": True,
                                 "accept_ipv6": False, "comment": "new home"}
    # The host's forward follows the service (it refers to it, not a copy).
    f = forwards(inst, host)[0]
    assert (f["service"], f["path"]) == ("moved", "/v3/update")
    assert answer(inst.update(host, {"myip": "192.0.2.70"})) == "good 192.0.2.70"
    wait_for(lambda: second.requests, what="the forward to the new server")
    assert second.requests[0]["path"] == "/v3/update" and first.requests == []
    p = inst.run("service", "set", "moved", "--accept-ipv4", "no")
    assert p.returncode == 0 and "accepts neither" in p.stderr

    # In use: only with --force, and the forwards go with it.
    p = inst.run("service", "delete", "moved")
    assert p.returncode != 0 and "used by 1 host configuration;" in p.stderr
    assert len(forwards(inst, host)) == 1
    p = inst.run("service", "delete")
    assert p.returncode == 2
    inst.cli("service", "delete", "moved", "--force")
    assert forwards(inst, host) == []
    names = [s["name"] for s in json.loads(inst.cli("service", "list", "--json"))]
    assert names == ["taken"]
    inst.cli("service", "delete", "taken")     # unused: no --force needed
    assert json.loads(inst.cli("service", "list", "--json")) == []
    p = inst.run("service", "delete", "taken")
    assert p.returncode != 0 and "no service 'taken'" in p.stderr

    log = [e for e in audit_log(inst) if e[0].startswith("service.")]
    assert [a for a, _, _, _ in log] == ["service.change", "service.change", "service.delete",
                                         "service.delete"]
    assert log[0][2]["name"] == "svc" and log[0][3]["name"] == "moved"
    assert log[0][1].endswith(" moved") and log[2][2]["host_configs"] == 1
