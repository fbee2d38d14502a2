"""Hostile and malformed input: every case gets a clear HTTP answer (4xx, or
a dyndns2 word) or a clean close, and afterwards the server still answers
/myip and has not exited. Runs its own nsupd so a crash here cannot hide
behind other tests."""

import base64
import ipaddress
import os
import socket
import time

import pytest
import requests

from conftest import DEFAULT_ZONE, OWNER, setup_domains, stop_checked
from nsupdlib import RESULT_WORDS, Nsupd, answer, basic

TIMEOUT = 5


@pytest.fixture(scope="module")
def victim(named, tmp_path_factory):
    inst = Nsupd(tmp_path_factory.mktemp("nsupd-badinput"))
    inst.migrate()
    setup_domains(inst, named)
    inst.start()
    inst.host = inst.add_host(DEFAULT_ZONE, OWNER)
    yield inst
    stop_checked(inst)


@pytest.fixture(autouse=True)
def still_alive(victim):
    yield
    assert victim.alive(), "nsupd exited:\n" + victim.stderr()
    r = requests.get(victim.url("/myip"), timeout=TIMEOUT)
    assert r.status_code == 200 and r.text == "127.0.0.1"


class Resp:
    def __init__(self, status, headers, body, raw):
        self.status, self.headers, self.body, self.raw = status, headers, body, raw

    def __repr__(self):
        return "Resp(%r)" % self.raw[:300]


def parse(buf):
    """Returns a complete Resp from buf, or None if more bytes are needed."""
    head, sep, rest = buf.partition(b"\r\n\r\n")
    if not sep:
        return None
    lines = head.split(b"\r\n")
    parts = lines[0].split(b" ", 2)
    assert parts[0].startswith(b"HTTP/1."), "not an HTTP status line: %r" % buf[:200]
    status = int(parts[1])
    headers = {}
    for line in lines[1:]:
        k, _, v = line.partition(b":")
        headers[k.strip().lower().decode()] = v.strip().decode("latin-1")
    if "content-length" in headers:
        n = int(headers["content-length"])
        if len(rest) < n:
            return None
        return Resp(status, headers, rest[:n], buf)
    return None


def raw(victim, data, timeout=TIMEOUT, v6=False):
    """Sends raw bytes and returns the parsed Resp, or None if the server closed
    the connection without an answer. A hang (no answer, no close) fails."""
    fam, host = (socket.AF_INET6, "::1") if v6 else (socket.AF_INET, "127.0.0.1")
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect((host, victim.port))
    buf = b""
    try:
        try:
            s.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass
        deadline = time.monotonic() + timeout
        while True:
            if time.monotonic() > deadline:
                raise AssertionError("no answer and no close within %ss; got %r" % (timeout, buf[:200]))
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            except socket.timeout:
                raise AssertionError("no answer and no close within %ss; got %r" % (timeout, buf[:200]))
            if not chunk:
                break
            buf += chunk
            if parse(buf) is not None:
                break
    finally:
        s.close()
    if not buf:
        return None
    resp = parse(buf)
    if resp is None:
        # closed without Content-Length: the rest is the body
        head_, _, body = buf.partition(b"\r\n\r\n")
        resp = parse(head_ + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
    return resp


def assert_clear(resp, allow=()):
    """A clean close, a 4xx, or a 200/401/403 whose body is a dyndns2 word (or the
    client address, for /myip and /nic/checkip.html)."""
    if resp is None:
        return
    if 400 <= resp.status < 500 or resp.status in allow:
        return
    assert resp.status in (200, 401, 403), resp
    body = resp.body.decode("ascii", "replace")
    if resp.status == 200 and (body.startswith("Current IP Address: ") or is_ip(body)):
        return
    word = body.split(" ")[0].split("\n")[0]
    assert word in RESULT_WORDS, resp


def is_ip(text):
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False


def req(path, headers=(), version=b"HTTP/1.1", method=b"GET"):
    if isinstance(path, str):
        path = path.encode()
    lines = [method + b" " + path + b" " + version]
    lines += [h.encode() if isinstance(h, str) else h for h in headers]
    return b"\r\n".join(lines) + b"\r\n\r\n"


HOSTHDR = "Host: 127.0.0.1"
CLOSE = "Connection: close"


def auth_hdr(victim, user=None, password=None):
    h = victim.host
    return "Authorization: " + basic(h.fqdn if user is None else user,
                                     h.secret if password is None else password)


# --- the request line and framing ----------------------------------------------

@pytest.mark.parametrize("data", [
    os.urandom(4096) + b"\r\n\r\n",
    b"\x00\x01\x02\x03\xff\xfe\r\nHost: x\r\n\r\n",
    b"\x00GET /myip HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET /my\x00ip HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET /myip HTTP/1.1\r\nHost: x\x00y\r\nConnection: close\r\n\r\n",
    b"GET\r\n\r\n",
    b"GET /myip\r\n\r\n",
    b" / HTTP/1.1\r\n\r\n",
    b"GET /myip HTTP/1.1 extra\r\nHost: x\r\n\r\n",
    b"GET /my\xffip HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET /myip HTTP/1.1\r\nHost: x\r\nNoColonHeader\r\nConnection: close\r\n\r\n",
    b"GET /myip HTTP/1.1\r\nHost: x\r\n: novalue\r\nConnection: close\r\n\r\n",
    b"GET /myip HTTP/1.1\r\nHost: x\r\n folded-continuation\r\nConnection: close\r\n\r\n",
    b"GET /myip HTTP/1.1\nHost: x\nConnection: close\n\n",
    b"GET /myip HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\nConnection: close\r\n\r\n",
    b"GET /myip HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999999\r\n\r\n",
    b"GET /myip HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nxx\r\n0\r\n\r\n",
    b"GET /myip HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
    b"GET http://127.0.0.1/myip HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET //nic//update?? HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET /../../etc/passwd HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET * HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    # empty lines before the request line are allowed (RFC 9112 2.2)
    b"\r\n\r\n\r\n\r\nGET /myip HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
], ids=lambda d: repr(d[:40]))
def test_malformed_requests(victim, data):
    assert_clear(raw(victim, data), allow=(505,))


@pytest.mark.parametrize("method", [b"POST", b"PUT", b"DELETE", b"OPTIONS", b"TRACE", b"PATCH",
                                    b"BREW", b"get"])
def test_other_methods(victim, method):
    data = req("/nic/update?myip=192.0.2.1", [HOSTHDR, CLOSE, auth_hdr(victim), "Content-Length: 0"],
               method=method)
    assert_clear(raw(victim, data), allow=(501,))


def test_http10_without_host(victim):
    resp = raw(victim, b"GET /myip HTTP/1.0\r\n\r\n")
    assert resp is not None and resp.status == 200, resp
    assert resp.body == b"127.0.0.1"
    assert resp.headers.get("content-length") == "9"
    assert "chunked" not in resp.headers.get("transfer-encoding", "")


def test_http10_update_answer_is_exact(victim):
    # the way inadyn talks: HTTP/1.0, reads until close
    data = req("/nic/update?myip=bogus", [HOSTHDR, auth_hdr(victim)], version=b"HTTP/1.0")
    resp = raw(victim, data)
    assert resp is not None and resp.status == 200
    assert resp.body == b"dnserr"
    assert resp.headers.get("content-length") == "6"


def test_http11_without_host(victim):
    assert_clear(raw(victim, b"GET /myip HTTP/1.1\r\nConnection: close\r\n\r\n"))


def test_unsupported_http_version(victim):
    assert_clear(raw(victim, b"GET /myip HTTP/9.9\r\nHost: x\r\n\r\n"), allow=(505,))


def test_pipelined_requests(victim):
    data = (req("/myip", [HOSTHDR]) + req("/nic/checkip.html", [HOSTHDR, CLOSE]))
    s = socket.create_connection(("127.0.0.1", victim.port), timeout=TIMEOUT)
    buf = b""
    try:
        s.sendall(data)
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    finally:
        s.close()
    assert buf.count(b"HTTP/1.1 200") == 2, buf
    assert b"\r\n\r\n127.0.0.1HTTP/1.1 200" in buf, buf
    assert buf.endswith(b"Current IP Address: 127.0.0.1") or b"Current IP Address: 127.0.0.1" in buf


# --- size limits -------------------------------------------------------------------

def test_one_megabyte_url(victim):
    data = req("/nic/update?myip=" + "1" * (1 << 20), [HOSTHDR, CLOSE, auth_hdr(victim)])
    assert_clear(raw(victim, data))


def test_one_megabyte_path(victim):
    data = req("/" + "a" * (1 << 20), [HOSTHDR, CLOSE])
    assert_clear(raw(victim, data))


def test_hundred_kilobyte_header(victim):
    data = req("/myip", [HOSTHDR, CLOSE, "X-Big: " + "a" * 100000])
    assert_clear(raw(victim, data))


def test_hundred_kilobyte_authorization(victim):
    data = req("/nic/update", [HOSTHDR, CLOSE, "Authorization: Basic " + "QUFB" * 25000])
    assert_clear(raw(victim, data))


def test_many_headers(victim):
    data = req("/myip", [HOSTHDR, CLOSE] + ["X-H%d: v" % i for i in range(5000)])
    assert_clear(raw(victim, data))


def test_ten_thousand_parameters(victim, named):
    q = "&".join("p%d=%d" % (i, i) for i in range(10000)) + "&myip=192.0.2.150"
    data = req("/nic/update?" + q, [HOSTHDR, CLOSE, auth_hdr(victim)])
    resp = raw(victim, data)
    assert_clear(resp)
    if resp is not None and resp.status == 200:
        assert resp.body in (b"good 192.0.2.150", b"nochg 192.0.2.150"), resp


def test_ten_thousand_empty_parameters(victim):
    data = req("/nic/update?" + "&" * 10000 + "=" * 100, [HOSTHDR, CLOSE, auth_hdr(victim)])
    assert_clear(raw(victim, data))


@pytest.mark.parametrize("n", [1000, 1500, 3000])
def test_many_short_parameters(victim, n):
    # a URL of a few kilobytes (well inside any header limit) with many
    # parameters must still get an answer, not a connection left hanging
    data = req("/nic/update?" + "a=1&" * n + "myip=bogus", [HOSTHDR, CLOSE, auth_hdr(victim)])
    resp = raw(victim, data)
    assert_clear(resp)


def test_ten_thousand_myip_parameters(victim):
    data = req("/nic/update?" + "&".join(["myip=192.0.2.151"] * 10000),
               [HOSTHDR, CLOSE, auth_hdr(victim)])
    assert_clear(raw(victim, data))


def test_long_myip_list(victim, named):
    myip = ",".join(["192.0.2.152"] * 2000)
    r = victim.update(victim.host, {"myip": myip}, timeout=60)
    assert r.status_code in (200, 400, 413, 414, 431), r.status_code
    if r.status_code == 200:
        assert r.text.split(" ")[0] in RESULT_WORDS


def test_long_username(victim):
    user = "a" * 5000 + "." + DEFAULT_ZONE
    r = victim.get("/nic/update", auth=(user, "x"))
    assert r.status_code in (401, 400, 413, 431), r.status_code
    if r.status_code == 401:
        assert answer(r, 401) == "badauth"


# --- encodings ---------------------------------------------------------------------

def b64hdr(raw_bytes):
    return "Authorization: Basic " + base64.b64encode(raw_bytes).decode()


def test_invalid_utf8_username(victim):
    data = req("/nic/update?myip=192.0.2.160",
               [HOSTHDR, CLOSE, b64hdr(b"\xff\xfe\xfd." + DEFAULT_ZONE.encode() + b":pw")])
    resp = raw(victim, data)
    assert resp is not None and resp.status in (200, 401), resp
    assert resp.body in (b"badauth", b"notfqdn"), resp


def test_invalid_utf8_password(victim, named):
    h = victim.host
    before = victim.show(h.fqdn)["api_auth_faults"]
    data = req("/nic/update?myip=192.0.2.161",
               [HOSTHDR, CLOSE, b64hdr(h.fqdn.encode() + b":wrong\xff\xc0" + h.secret.encode())])
    resp = raw(victim, data)
    assert resp is not None and resp.status == 401 and resp.body == b"badauth", resp
    assert victim.show(h.fqdn)["api_auth_faults"] == before + 1
    assert "192.0.2.161" not in named.query(h.fqdn, "A")


@pytest.mark.parametrize("myip", ["%FF%FE", "192.0.2.1%FF", "%C0%AE", "192.0.2.1%00",
                                  "%00", "%ZZ", "%", "192.0.2.1%2", "\xff"])
def test_invalid_bytes_in_myip(victim, myip):
    path = b"/nic/update?myip=" + myip.encode("latin-1")
    resp = raw(victim, req(path, [HOSTHDR, CLOSE, auth_hdr(victim)]))
    assert_clear(resp)
    if resp is not None and resp.status == 200:
        assert resp.body == b"dnserr", resp


@pytest.mark.parametrize("value", [
    "Basic !!!!@@@@",
    "Basic " + "Q" * 5,
    "Basic YWJj",                      # "abc", no colon
    "Basic Og==",                      # ":" alone
    "Basic\tYWJjOmRlZg==",
    "Basic  " + base64.b64encode(b"x.y:z").decode() + "  ",
    "basic",
    "Basic " + base64.b64encode(b"\x00\x00.\x00:\x00").decode(),
    "\x01\x02\x03",
])
def test_bad_authorization_values(victim, value):
    data = req("/nic/update?myip=192.0.2.162", [HOSTHDR, CLOSE, b"Authorization: " + value.encode("latin-1")])
    resp = raw(victim, data)
    assert_clear(resp)
    if resp is not None:
        assert resp.status in (400, 401, 200), resp
        if resp.status != 400:
            assert resp.body in (b"badauth", b"notfqdn"), resp


def test_user_agent_with_control_and_high_bytes(victim):
    data = req("/nic/update?myip=bogus", [HOSTHDR, CLOSE, auth_hdr(victim),
                                          b"User-Agent: \xff\xfe\x7f" + b"z" * 3000])
    resp = raw(victim, data)
    assert_clear(resp)


def test_unknown_parameters(victim, named):
    params = [("a%d" % i, "\u00e4" * 3) for i in range(50)] + [("myip", "192.0.2.163")]
    r = victim.update(victim.host, params)
    assert answer(r) in ("good 192.0.2.163", "nochg 192.0.2.163")
    assert named.query(victim.host.fqdn, "A") == ["192.0.2.163"]


# --- connections closed early ---------------------------------------------------------

def test_partial_request_closed_by_client(victim):
    for part in (b"GET /myip HTTP/1.1\r\nHost: x\r\n", b"GET /nic/upd", b"G",
                 b"GET /myip HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000\r\n\r\nabc"):
        s = socket.create_connection(("127.0.0.1", victim.port), timeout=TIMEOUT)
        s.sendall(part)
        s.close()
    # and with a reset instead of a FIN
    s = socket.create_connection(("127.0.0.1", victim.port), timeout=TIMEOUT)
    s.sendall(b"GET /nic/update?myip=192.0.2.1 HTTP/1.1\r\n")
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()


def test_client_closes_before_reading_answer(victim):
    for _ in range(20):
        s = socket.create_connection(("127.0.0.1", victim.port), timeout=TIMEOUT)
        s.sendall(req("/nic/update?myip=bogus", [HOSTHDR, auth_hdr(victim)]))
        s.close()


def test_slowloris_does_not_block_others(victim):
    idle = []
    try:
        for _ in range(30):
            s = socket.create_connection(("127.0.0.1", victim.port), timeout=TIMEOUT)
            s.sendall(b"GET /myip HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            idle.append(s)
        t0 = time.monotonic()
        r = requests.get(victim.url("/myip"), timeout=TIMEOUT)
        assert r.status_code == 200 and r.text == "127.0.0.1"
        r = requests.get(victim.url("/myip", v6=True), timeout=TIMEOUT)
        assert r.status_code == 200 and r.text == "::1"
        assert time.monotonic() - t0 < 5
    finally:
        for s in idle:
            s.close()


def test_ipv6_garbage(victim):
    assert_clear(raw(victim, os.urandom(2048) + b"\r\n\r\n", v6=True))
