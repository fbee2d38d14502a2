"""Two-factor login (TOTP, RFC 6238), black-box: enrolment with a QR code
and a confirming code, login with a code the test computes itself (Python
hmac), wrong and reused codes refused, recovery codes working once,
turning it off with password and code, and the update API unaffected."""

import base64
import hashlib
import hmac
import re
import struct
import time

import pytest

from nsupdlib import Nsupd
from webutil import WebClient, create_user

PASSWORD = "two factor pw 1"
_addr = [0]


def client(inst):
    _addr[0] += 1
    c = WebClient(inst)
    c.s.headers["X-Forwarded-For"] = "198.20.%d.%d" % (_addr[0] // 250, _addr[0] % 250 + 1)
    return c


def totp(secret_b32, step):
    """RFC 6238 with the RFC 4226 truncation, written out here on purpose
    (not taken from the implementation under test)."""
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF
    return "%06d" % (value % 1000000)


def now_step():
    return int(time.time()) // 30


def test_totp_matches_rfc6238_vectors():
    # The SHA-1 test vectors of RFC 6238 appendix B (8 digits there; the
    # last 6 are the 6-digit code).
    secret = base64.b32encode(b"12345678901234567890").decode()
    assert totp(secret, 59 // 30) == "287082"
    assert totp(secret, 1111111109 // 30) == "081804"
    assert totp(secret, 2000000000 // 30) == "279037"


@pytest.fixture(scope="module")
def inst(tmp_path_factory):
    i = Nsupd(tmp_path_factory.mktemp("twofactor"))
    i.migrate()
    i.start()
    yield i
    assert i.stop() == 0, i.stderr()


def enrol(c):
    """Turns two-factor login on; returns (secret, recovery codes, step used)."""
    page = c.get("/account/two-factor/")
    assert page.status_code == 200 and 'id="totp-start-form"' in page.text
    r = c.post("/account/two-factor/", {"action": "start", "password": PASSWORD})
    assert r.status_code == 200, r.text[:1000]
    assert "<svg" in r.text and "<path" in r.text and 'class="totp-qr"' in r.text
    secret = re.search(r'id="totp-secret">([A-Z2-7 ]+)<', r.text).group(1).replace(" ", "")
    assert len(secret) == 32
    # A wrong confirming code does not turn it on.
    bad = "%06d" % ((int(totp(secret, now_step())) + 1) % 1000000)
    r = c.post("/account/two-factor/", {"action": "confirm", "code": bad},
               form_page="/account/two-factor/")
    assert r.status_code == 200 and 'id="id_code_error"' in r.text
    assert 'id="totp-secret"' in r.text
    step = now_step()
    r = c.post("/account/two-factor/", {"action": "confirm", "code": totp(secret, step)},
               form_page="/account/two-factor/")
    assert r.status_code == 200, r.text[:1000]
    assert 'id="tfa-enabled"' in r.text
    codes = re.findall(r'<span class="d-block[^"]*">([a-z2-9]{5}-[a-z2-9]{5})</span>', r.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    # Shown once: the page afterwards has no codes.
    page = c.get("/account/two-factor/").text
    assert "Unused recovery codes: 10" in page and codes[0] not in page
    return secret, codes, step


def password_step(inst, name, next_=None):
    c = client(inst)
    data = {"username": name, "password": PASSWORD}
    if next_:
        data["next"] = next_
    r = c.post("/accounts/login/", data)
    assert r.status_code == 302 and r.headers["Location"] == "/accounts/login/two-factor/", \
        (r.status_code, r.headers.get("Location"))
    # Not logged in yet.
    assert c.get("/overview/").status_code == 302
    assert c.get("/account/profile/").status_code == 302
    return c


def code_step(c, code):
    return c.post("/accounts/login/two-factor/", {"code": code})


def test_enrol_and_log_in_with_codes(inst):
    create_user(inst, "tfa1", PASSWORD)
    c = client(inst)
    c.login("tfa1", PASSWORD)
    secret, codes, enrol_step = enrol(c)

    # The password alone no longer logs in.
    c2 = password_step(inst, "tfa1", next_="/domain/add/")
    r = code_step(c2, "000000" if totp(secret, now_step()) != "000000" else "111111")
    assert r.status_code == 200 and "This code is not valid" in r.text
    assert c2.get("/overview/").status_code == 302
    # The code used for enrolment is used up.
    r = code_step(c2, totp(secret, enrol_step))
    assert r.status_code == 200
    assert "already been used" in r.text or "not valid" in r.text
    # The next step's code (one step of clock skew is allowed) logs in.
    step = max(now_step(), enrol_step) + 1
    r = code_step(c2, totp(secret, step))
    assert r.status_code == 302 and r.headers["Location"] == "/domain/add/", r.text[:500]
    assert c2.get("/overview/").status_code == 200

    # The same code again, in another login: refused as reused.
    c3 = password_step(inst, "tfa1")
    r = code_step(c3, totp(secret, step))
    assert r.status_code == 200 and "already been used" in r.text
    assert c3.get("/overview/").status_code == 302
    # An older one too.
    r = code_step(c3, totp(secret, step - 1))
    assert r.status_code == 200
    assert c3.get("/overview/").status_code == 302

    # A recovery code works once (any case, with or without the dash).
    r = code_step(c3, codes[0].upper().replace("-", " "))
    assert r.status_code == 302 and r.headers["Location"] == "/overview/"
    assert c3.get("/overview/").status_code == 200
    c4 = password_step(inst, "tfa1")
    r = code_step(c4, codes[0])
    assert r.status_code == 200 and "not valid" in r.text
    r = code_step(c4, codes[1])
    assert r.status_code == 302
    assert "Unused recovery codes: 8" in c4.get("/account/two-factor/").text


def test_pending_login_is_not_a_session_and_codes_need_csrf(inst):
    create_user(inst, "tfa2", PASSWORD)
    c = client(inst)
    c.login("tfa2", PASSWORD)
    secret, _, _ = enrol(c)
    c2 = password_step(inst, "tfa2")
    r = c2.post("/accounts/login/two-factor/", {"code": totp(secret, now_step() + 1)},
                token=False)
    assert r.status_code == 403
    # Without a pending login, the code page sends to the login page.
    c3 = client(inst)
    r = c3.get("/accounts/login/two-factor/")
    assert r.status_code == 302 and r.headers["Location"] == "/accounts/login/"
    # A wrong password never reaches the code page.
    r = c3.post("/accounts/login/", {"username": "tfa2", "password": "wrong password"})
    assert r.status_code == 200 and "correct username and password" in r.text


def test_wrong_codes_are_rate_limited(inst):
    create_user(inst, "tfa3", PASSWORD)
    c = client(inst)
    c.login("tfa3", PASSWORD)
    secret, _, _ = enrol(c)
    c2 = password_step(inst, "tfa3")
    good = {totp(secret, now_step() + d) for d in (-1, 0, 1)}
    wrong = next("%06d" % n for n in range(1000000) if "%06d" % n not in good)
    statuses = [code_step(c2, wrong).status_code for _ in range(11)]
    assert statuses[:10] == [200] * 10 and statuses[10] == 429, statuses
    # Even the right code is refused while the limit holds.
    r = code_step(c2, totp(secret, now_step() + 1))
    assert r.status_code == 429
    assert c2.get("/overview/").status_code == 302
    # From other addresses, the account's own limit (twice the one per
    # address) holds too.
    c3 = password_step(inst, "tfa3")
    assert [code_step(c3, wrong).status_code for _ in range(10)] == [200] * 10
    c4 = password_step(inst, "tfa3")
    r = code_step(c4, totp(secret, now_step() + 1))
    assert r.status_code == 429
    assert c4.get("/overview/").status_code == 302


def test_disable_needs_password_and_code(inst):
    create_user(inst, "tfa4", PASSWORD)
    c = client(inst)
    c.login("tfa4", PASSWORD)
    secret, codes, step = enrol(c)
    r = c.post("/account/two-factor/", {"action": "disable", "password": "wrong pw",
                                        "code": totp(secret, step + 1)})
    assert r.status_code == 200 and 'id="id_password_error"' in r.text
    r = c.post("/account/two-factor/", {"action": "disable", "password": PASSWORD,
                                        "code": "123"})
    assert r.status_code == 200 and 'id="id_code_error"' in r.text
    assert 'id="tfa-status">On<' in c.get("/account/two-factor/").text
    r = c.post("/account/two-factor/", {"action": "disable", "password": PASSWORD,
                                        "code": codes[5]})
    assert r.status_code == 302
    page = c.get("/account/two-factor/").text
    assert "Two-factor login is off" in page and 'id="tfa-status">Off<' in page
    # The password alone logs in again.
    c2 = client(inst)
    r = c2.login("tfa4", PASSWORD)
    assert r.headers["Location"] == "/overview/"


def test_enrolment_needs_the_password_and_a_local_password(inst):
    create_user(inst, "tfa5", PASSWORD)
    c = client(inst)
    c.login("tfa5", PASSWORD)
    r = c.post("/account/two-factor/", {"action": "start", "password": "not it"})
    assert r.status_code == 200 and 'id="id_password_error"' in r.text
    assert 'id="totp-secret"' not in r.text
    # Confirming without a started enrolment does nothing.
    r = c.post("/account/two-factor/", {"action": "confirm", "code": "123456"})
    assert r.status_code == 302
    assert 'id="tfa-status">Off<' in c.get("/account/two-factor/").text
    # Anonymous users are sent to the login page.
    r = client(inst).get("/account/two-factor/")
    assert r.status_code == 302 and r.headers["Location"].startswith("/accounts/login/?next=")


def test_update_api_keeps_host_secrets(inst, tmp_path):
    """The dyndns2 API does not ask for a second factor: a host of a user
    with two-factor login still authenticates with its own secret (the
    answer is about DNS, not authentication: no nameserver runs here)."""
    create_user(inst, "tfa6", PASSWORD)
    c = client(inst)
    c.login("tfa6", PASSWORD)
    enrol(c)
    inst.cli("domain", "add", "tfa.nsupd.test", "--owner", "tfa6", "--nameserver",
             "127.0.0.1:9", "--algorithm", "hmac-sha256", "--secret",
             base64.b64encode(b"k" * 32).decode())
    host = inst.add_host("tfa.nsupd.test", "tfa6")
    r = inst.update(host, {"myip": "192.0.2.1"}, timeout=60)
    assert r.status_code == 200 and r.text.split()[0] != "badauth", r.text
    r = inst.update(host, {"myip": "192.0.2.1"}, auth=(host.fqdn, "wrong secret"))
    assert r.text == "badauth"
