"""Accounts, black-box: registration with e-mail activation (mails caught by a
real SMTP server, the address's domain checked against a real named),
closed registration, the registration rate limit, password reset by mail,
password change, the profile (language switch) and deleting an account with
its hosts' DNS records."""

import re
import sqlite3

import pytest

import nsupdlib
from named import Named, ZoneSpec
from nsupdlib import Nsupd
from smtpsink import SmtpSink
from webutil import WebClient, assert_security_headers, create_user

MAIL_ZONE = "mailcheck.test"
HOST_ZONE = "acct.nsupd.test"
GOOD_DOMAIN = MAIL_ZONE                       # MX -> mx (A 192.0.2.25)
PASSWORD = "tr0ub4dor and 3"
REGISTER_MAX = 3

ACTIVATION_RE = re.compile(r"http://www\.nsupd\.test(/account/activate/([A-Za-z0-9]+)/)")
RESET_RE = re.compile(r"http://www\.nsupd\.test(/accounts/password_reset_confirm/[A-Za-z0-9_-]+/"
                      r"[A-Za-z0-9]+/)")

_addr = [0]


def new_client_addr():
    """A distinct client address per test (the instance trusts
    X-Forwarded-For from 127.0.0.1), so rate limits do not leak between
    tests."""
    _addr[0] += 1
    return "198.18.%d.%d" % (_addr[0] // 250, _addr[0] % 250 + 1)


def client(inst, **kw):
    c = WebClient(inst, **kw)
    c.s.headers["X-Forwarded-For"] = new_client_addr()
    return c


@pytest.fixture(scope="module")
def ns(tmp_path_factory):
    zones = [
        ZoneSpec(name=MAIL_ZONE, records=[
            "@ IN MX 10 mx", "mx IN A 192.0.2.25",
            "nomx IN A 192.0.2.26",
            "loop IN MX 10 lo", "lo IN A 127.0.0.1",
            "v6 IN MX 5 mx6", "mx6 IN AAAA 2001:db8::25",
            "nullmx IN MX 0 .",
            "away IN MX 10 mail.elsewhere.invalid.",
            "evil IN MX 10 mx",
        ]),
        ZoneSpec(name=HOST_ZONE, algorithm="hmac-sha256"),
    ]
    n = Named(str(tmp_path_factory.mktemp("acct-named")), zones)
    n.start()
    yield n
    n.stop()


@pytest.fixture(scope="module")
def sink():
    s = SmtpSink().start()
    yield s
    s.stop()


def make_instance(path, ns, sink, site_extra="", web_extra=""):
    extra = ("[site]\nemail_check_resolver = %s\n"
             "email_blacklist = ^spam[0-9]*@ @evil\\.mailcheck\\.test$\n%s"
             "[web]\nregister_max = %d\nregister_window = 3600\n%s"
             "[mail]\nsmtp_url = %s\nfrom = accounts@nsupd.test\ntimeout = 10\n"
             % (ns.server, site_extra, REGISTER_MAX, web_extra, sink.url))
    inst = Nsupd(path, extra=extra)
    inst.migrate()
    return inst


@pytest.fixture(scope="module")
def site(tmp_path_factory, ns, sink):
    inst = make_instance(tmp_path_factory.mktemp("acct"), ns, sink)
    inst.start()
    yield inst
    assert inst.stop() == 0, inst.stderr()


def register(c, username, email, password=PASSWORD, password2=None):
    return c.post("/account/register/", {
        "username": username, "email": email, "password1": password,
        "password2": password if password2 is None else password2})


def mails_to(sink, rcpt, n=1):
    """Waits until n mails to rcpt arrived and returns them."""
    import time
    deadline = time.monotonic() + 20
    while True:
        got = sink.to(rcpt)
        if len(got) >= n:
            return got
        if time.monotonic() > deadline:
            raise AssertionError("no mail to %s (have %r)" % (rcpt, sink.messages))
        time.sleep(0.05)


def activation_path(mail):
    m = ACTIVATION_RE.search(mail.body)
    assert m, mail.body
    return m.group(1), m.group(2)


def register_and_activate(site, sink, username, email=None):
    email = email or "%s@%s" % (username, GOOD_DOMAIN)
    c = client(site)
    r = register(c, username, email)
    assert r.status_code == 302 and r.headers["Location"] == "/account/register/complete/", \
        (r.status_code, r.text[:3000])
    path, _ = activation_path(mails_to(sink, email)[-1])
    assert c.get(path).status_code == 302
    return c


def count_users(inst, name):
    if nsupdlib.PG:
        return int(nsupdlib.psql("SELECT count(*) FROM users WHERE username = '%s'" % name,
                                 url=inst.db_url).strip())
    con = sqlite3.connect(inst.db)
    try:
        return con.execute("SELECT count(*) FROM users WHERE username = ?",
                           (name,)).fetchone()[0]
    finally:
        con.close()


def token_hashes(inst):
    sql = "SELECT token_hash FROM account_tokens"
    if nsupdlib.PG:
        return nsupdlib.psql(sql, url=inst.db_url).split()
    con = sqlite3.connect(inst.db)
    try:
        return [row[0] for row in con.execute(sql)]
    finally:
        con.close()


# ---- registration ----------------------------------------------------------

def test_register_activate_login(site, sink):
    c = client(site)
    r = c.get("/account/register/")
    assert r.status_code == 200
    assert_security_headers(r)
    assert 'name="password1"' in r.text and 'name="email"' in r.text
    email = "newbie@" + GOOD_DOMAIN
    r = register(c, "newbie", email)
    assert r.status_code == 302, r.text[:3000]
    assert r.headers["Location"] == "/account/register/complete/"
    r = c.get("/account/register/complete/")
    assert r.status_code == 200 and "7" in r.text

    mail = mails_to(sink, email)[-1]
    assert mail.rcpts == [email]
    assert mail.mail_from == "accounts@nsupd.test"
    assert mail.subject == "Account registration for nsupd system test"
    assert "newbie" in mail.body and "7 days" in mail.body
    path, key = activation_path(mail)
    assert len(key) >= 40
    # Only a hash of the key is in the database.
    hashes = token_hashes(site)
    assert hashes and all(key not in h for h in hashes)

    # Not activated yet: the right password gets a clear message, no login.
    r = c.post("/accounts/login/", {"username": "newbie", "password": PASSWORD})
    assert r.status_code == 200
    assert "not active" in r.text and "activation link" in r.text
    assert c.get("/overview/").status_code == 302
    # ... and a wrong password the usual one.
    r = c.post("/accounts/login/", {"username": "newbie", "password": "wrong password"})
    assert "not active" not in r.text

    r = c.get(path)
    assert r.status_code == 302 and r.headers["Location"] == "/account/activate/complete/"
    assert c.get("/account/activate/complete/").status_code == 200
    # Single use.
    r = c.get(path)
    assert r.status_code == 200 and 'id="activation-error"' in r.text

    c.login("newbie", PASSWORD)
    assert c.get("/overview/").status_code == 200
    # A logged-in user is sent away from the registration form.
    assert c.get("/account/register/").status_code == 302


def test_activation_bad_keys(site):
    c = client(site)
    for key in ["x", "A" * 43, "complete2", "a" * 200]:
        r = c.get("/account/activate/%s/" % key)
        assert r.status_code == 200 and 'id="activation-error"' in r.text, key


def test_activation_expired(site, sink, tmp_path):
    """An activation key older than 7 days does not work: the expiry is
    moved into the past in the database."""
    email = "late@" + GOOD_DOMAIN
    c = client(site)
    assert register(c, "lateuser", email).status_code == 302
    path, _ = activation_path(mails_to(sink, email)[-1])
    sql = "UPDATE account_tokens SET expires = 1"
    if nsupdlib.PG:
        nsupdlib.psql(sql, url=site.db_url)
    else:
        con = sqlite3.connect(site.db, timeout=30)
        con.execute(sql)
        con.commit()
        con.close()
    r = c.get(path)
    assert r.status_code == 200 and 'id="activation-error"' in r.text
    r = c.post("/accounts/login/", {"username": "lateuser", "password": PASSWORD})
    assert "not active" in r.text


@pytest.mark.parametrize("username,email,password,password2,field,message", [
    ("u1", "u1@" + GOOD_DOMAIN, PASSWORD, "other password 9", "password2", "didn"),
    ("u2", "u2@" + GOOD_DOMAIN, "short1", None, "password1", "too short"),
    ("u3", "u3@" + GOOD_DOMAIN, "123456789012", None, "password1", "entirely numeric"),
    ("u4x", "u4@" + GOOD_DOMAIN, "u4x", None, "password1", "too short"),
    ("bad name!", "u5@" + GOOD_DOMAIN, PASSWORD, None, "username", "valid username"),
    ("", "u6@" + GOOD_DOMAIN, PASSWORD, None, "username", "choose a username"),
    ("u7", "", PASSWORD, None, "email", "enter your e-mail"),
    ("u8", "not-an-address", PASSWORD, None, "email", "valid email"),
    ("u9", "u9@nomx." + MAIL_ZONE, PASSWORD, None, "email", "valid email"),
    ("u10", "u10@nx." + MAIL_ZONE, PASSWORD, None, "email", "valid email"),
    ("u11", "u11@loop." + MAIL_ZONE, PASSWORD, None, "email", "valid email"),
    ("u12", "u12@nullmx." + MAIL_ZONE, PASSWORD, None, "email", "valid email"),
    ("u13", "u13@away." + MAIL_ZONE, PASSWORD, None, "email", "valid email"),
    ("u14", "spam7@" + GOOD_DOMAIN, PASSWORD, None, "email", "valid email"),
    ("u15", "u15@evil." + MAIL_ZONE, PASSWORD, None, "email", "valid email"),
    ("u16", "u16@example.com", PASSWORD, None, "email", "valid email"),
])
def test_register_refused(site, sink, username, email, password, password2, field, message):
    c = client(site)
    before = len(sink.messages)
    r = register(c, username, email, password, password2)
    assert r.status_code == 200, (r.status_code, r.text[:2000])
    m = re.search(r'id="id_%s_error" role="alert">([^<]*)<' % field, r.text)
    assert m, r.text[:5000]
    assert message.lower() in m.group(1).lower(), m.group(1)
    assert 'class="form-control is-invalid" name="%s"' % field in r.text
    # The form keeps what was typed (escaped), never the passwords.
    assert password not in r.text or password == username
    if username:
        assert count_users(site, username) == 0
    assert len(sink.messages) == before


def test_register_ipv6_only_mail_server_and_duplicate_name(site, sink):
    c = client(site)
    email = "sixer@v6." + MAIL_ZONE
    assert register(c, "sixer", email).status_code == 302
    mails_to(sink, email)
    # Names are unique ignoring case.
    r = register(client(site), "SIXER", "other@" + GOOD_DOMAIN)
    assert r.status_code == 200 and "already exists" in r.text
    assert count_users(site, "SIXER") == 0


def test_register_xss_escaped_and_csrf(site):
    c = client(site)
    payload = '"><script>alert(1)</script>'
    r = register(c, payload, payload + "@" + GOOD_DOMAIN)
    assert r.status_code == 200
    assert "<script>alert(1)</script>" not in r.text
    assert "&lt;script&gt;" in r.text
    r = c.post("/account/register/", {"username": "nocsrf", "email": "x@" + GOOD_DOMAIN,
                                      "password1": PASSWORD, "password2": PASSWORD},
               token=False)
    assert r.status_code == 403
    assert count_users(site, "nocsrf") == 0


def test_register_mail_in_visitors_language(site, sink):
    c = client(site, accept_language="fr-CH, fr;q=0.9")
    email = "francois@" + GOOD_DOMAIN
    r = c.get("/account/register/")
    assert '<html lang="fr"' in r.text
    assert register(c, "francois", email).status_code == 302
    mail = mails_to(sink, email)[-1]
    assert mail.subject == "Inscription d'un compte sur nsupd system test", mail.subject
    assert "7 jours" in mail.body, mail.body
    assert ACTIVATION_RE.search(mail.body)


def test_register_rate_limit(site, sink):
    addr = new_client_addr()
    for i in range(REGISTER_MAX):
        c = WebClient(site)
        c.s.headers["X-Forwarded-For"] = addr
        r = register(c, "rate%d" % i, "rate%d@%s" % (i, GOOD_DOMAIN))
        assert r.status_code == 302, (i, r.text[:2000])
    c = WebClient(site)
    c.s.headers["X-Forwarded-For"] = addr
    r = register(c, "rate9", "rate9@" + GOOD_DOMAIN)
    assert r.status_code == 429
    assert "Too many registrations" in r.text
    assert count_users(site, "rate9") == 0
    # Another address is not affected.
    r = register(client(site), "rate9", "rate9@" + GOOD_DOMAIN)
    assert r.status_code == 302


def test_registration_closed(tmp_path, ns, sink):
    inst = make_instance(tmp_path / "closed", ns, sink, site_extra="registration_open = no\n")
    inst.start()
    try:
        c = WebClient(inst)
        r = c.get("/account/register/")
        assert r.status_code == 302 and r.headers["Location"] == "/account/register/closed/"
        r = c.get("/account/register/closed/")
        assert r.status_code == 200 and "does not accept new accounts" in r.text
        r = c.post("/account/register/", {"username": "closed1", "email": "c@" + GOOD_DOMAIN,
                                          "password1": PASSWORD, "password2": PASSWORD},
                   form_page="/account/register/closed/")
        assert r.status_code == 302 and r.headers["Location"] == "/account/register/closed/"
        assert count_users(inst, "closed1") == 0
    finally:
        assert inst.stop() == 0, inst.stderr()


def test_bad_resolver_config_refused(tmp_path, ns, sink):
    inst = Nsupd(tmp_path / "badcfg", extra="[site]\nemail_check_resolver = dns.example\n")
    p = inst.run("serve")
    assert p.returncode != 0
    assert "email_check_resolver" in p.stderr
    inst = Nsupd(tmp_path / "badre", extra="[site]\nemail_blacklist = ok (unclosed\n")
    p = inst.run("serve")
    assert p.returncode != 0
    assert "email_blacklist" in p.stderr and "(unclosed" in p.stderr


# ---- anonymous and logged-in access (spec 9.2) -------------------------------

def test_access_rules(site):
    c = client(site)
    for path in ["/account/profile/", "/account/settings/", "/account/delete/"]:
        r = c.get(path)
        assert r.status_code == 302, path
        assert r.headers["Location"] == "/accounts/login/?next=" + path
    for path in ["/account/register/", "/account/register/complete/",
                 "/account/register/closed/", "/account/activate/complete/",
                 "/accounts/password_reset/", "/accounts/password_reset_done/",
                 "/accounts/password_reset_complete/"]:
        r = c.get(path)
        assert r.status_code == 200, path
        assert_security_headers(r)
    r = c.get("/.well-known/change-password")
    assert r.status_code == 302 and r.headers["Location"] == "/account/settings/"


# ---- password reset ----------------------------------------------------------

def test_password_reset(site, sink):
    create_user(site, "forgetful", PASSWORD, email="forgetful@" + GOOD_DOMAIN)
    other = client(site)
    other.login("forgetful", PASSWORD)
    assert other.get("/overview/").status_code == 200

    c = client(site)
    before = len(sink.messages)
    r = c.post("/accounts/password_reset/", {"email": "nobody@" + GOOD_DOMAIN})
    assert r.status_code == 302 and r.headers["Location"] == "/accounts/password_reset_done/"
    r = c.post("/accounts/password_reset/", {"email": "FORGETFUL@" + GOOD_DOMAIN})
    assert r.status_code == 302 and r.headers["Location"] == "/accounts/password_reset_done/"
    assert c.get("/accounts/password_reset_done/").status_code == 200
    mail = mails_to(sink, "forgetful@" + GOOD_DOMAIN)[-1]
    assert len(sink.messages) == before + 1       # nothing for the unknown address
    assert mail.subject == "Password reset on nsupd system test"
    assert "forgetful" in mail.body
    m = RESET_RE.search(mail.body)
    assert m, mail.body
    link = m.group(1)

    r = c.get(link)
    assert r.status_code == 200 and 'name="new_password1"' in r.text
    r = c.post(link, {"new_password1": "new secret 123", "new_password2": "different 123"})
    assert r.status_code == 200 and "didn" in r.text
    r = c.post(link, {"new_password1": "new secret 123", "new_password2": "new secret 123"})
    assert r.status_code == 302 and r.headers["Location"] == "/accounts/password_reset_complete/"
    assert c.get("/accounts/password_reset_complete/").status_code == 200

    # The link is used up; the old password is gone; the other session ended.
    r = c.get(link)
    assert r.status_code == 200 and 'id="reset-invalid"' in r.text
    r = c.post("/accounts/login/", {"username": "forgetful", "password": PASSWORD})
    assert r.status_code == 200
    assert other.get("/overview/").status_code == 302
    client(site).login("forgetful", "new secret 123")

    # A tampered link (other user id, other token) is invalid.
    bad = re.sub(r"/password_reset_confirm/[^/]+/", "/password_reset_confirm/OTk5/", link)
    assert 'id="reset-invalid"' in c.get(bad).text
    assert 'id="reset-invalid"' in c.get(link[:-5] + "abcd/").text


def test_password_reset_mail_in_profile_language(site, sink):
    create_user(site, "gisela", PASSWORD, email="gisela@" + GOOD_DOMAIN)
    c = client(site)
    c.login("gisela", PASSWORD)
    r = c.post("/account/profile/", {"first_name": "Gisela", "last_name": "", "language": "de",
                                     "email": "gisela@" + GOOD_DOMAIN})
    assert r.status_code == 302
    anon = client(site, accept_language="en")
    anon.post("/accounts/password_reset/", {"email": "gisela@" + GOOD_DOMAIN})
    mail = mails_to(sink, "gisela@" + GOOD_DOMAIN)[-1]
    assert mail.subject == "Passwort zurücksetzen auf nsupd system test", mail.subject
    assert RESET_RE.search(mail.body)


# ---- password change ---------------------------------------------------------

def test_password_change(site):
    create_user(site, "changer", PASSWORD)
    elsewhere = client(site)
    elsewhere.login("changer", PASSWORD)
    c = client(site)
    c.login("changer", PASSWORD)
    r = c.get("/account/settings/")
    assert r.status_code == 200 and 'name="old_password"' in r.text
    r = c.post("/account/settings/", {"old_password": "wrong one", "new_password1": "brand new 77",
                                      "new_password2": "brand new 77"})
    assert r.status_code == 200 and "old password was entered incorrectly" in r.text
    r = c.post("/account/settings/", {"old_password": PASSWORD, "new_password1": "1234567890",
                                      "new_password2": "1234567890"})
    assert r.status_code == 200 and "entirely numeric" in r.text
    old_cookie = c.cookie("sessionid")
    r = c.post("/account/settings/", {"old_password": PASSWORD, "new_password1": "brand new 77",
                                      "new_password2": "brand new 77"})
    assert r.status_code == 302 and r.headers["Location"] == "/account/settings/"
    # Still logged in here (under a new session id), logged out elsewhere.
    assert c.cookie("sessionid") != old_cookie
    r = c.get("/account/settings/")
    assert r.status_code == 200 and "password has been changed" in r.text
    assert elsewhere.get("/overview/").status_code == 302
    client(site).login("changer", "brand new 77")
    r = client(site).post("/accounts/login/", {"username": "changer", "password": PASSWORD})
    assert r.status_code == 200


# ---- profile -----------------------------------------------------------------

def test_profile_and_language_switch(site):
    create_user(site, "polyglot", PASSWORD, email="poly@" + GOOD_DOMAIN)
    c = client(site, accept_language="en")
    c.login("polyglot", PASSWORD)
    r = c.get("/account/profile/")
    assert r.status_code == 200
    assert_security_headers(r)
    assert 'value="poly@%s"' % GOOD_DOMAIN in r.text
    assert '<html lang="en"' in r.text

    r = c.post("/account/profile/", {"first_name": "<b>Poly</b>", "last_name": "Glot",
                                     "email": "bad address", "language": "de"})
    assert r.status_code == 200 and "valid email" in r.text
    assert "<b>Poly</b>" not in r.text and "&lt;b&gt;Poly&lt;/b&gt;" in r.text

    r = c.post("/account/profile/", {"first_name": "<b>Poly</b>", "last_name": "Glot",
                                     "email": "poly2@" + GOOD_DOMAIN, "language": "de"})
    assert r.status_code == 302 and r.headers["Location"] == "/account/profile/"
    r = c.get("/account/profile/")
    assert '<html lang="de"' in r.text
    assert "Profil" in r.text and "Ihr Profil wurde gespeichert." in r.text
    assert 'value="poly2@%s"' % GOOD_DOMAIN in r.text
    assert '<option value="de" lang="de" selected>' in r.text
    # The profile's language wins over the browser's on every page.
    assert '<html lang="de"' in c.get("/overview/").text

    r = c.post("/account/profile/", {"first_name": "", "last_name": "",
                                     "email": "poly2@" + GOOD_DOMAIN, "language": "it"})
    assert r.status_code == 302
    assert '<html lang="it"' in c.get("/account/profile/").text
    r = c.post("/account/profile/", {"first_name": "", "last_name": "",
                                     "email": "poly2@" + GOOD_DOMAIN, "language": "xx"})
    assert r.status_code == 200
    r = c.post("/account/profile/", {"first_name": "", "last_name": "",
                                     "email": "poly2@" + GOOD_DOMAIN, "language": ""})
    assert r.status_code == 302


# ---- delete account ----------------------------------------------------------

def test_delete_account_removes_hosts_and_records(site, ns):
    z = ns.zone(HOST_ZONE)
    create_user(site, "leaver", PASSWORD)
    create_user(site, "guest", PASSWORD)
    site.add_domain(HOST_ZONE, "leaver", ns.server, z.algorithm, z.secret, public=True)
    own = site.add_host(HOST_ZONE, "leaver")
    guests = site.add_host(HOST_ZONE, "guest")       # another user's host in leaver's domain
    for h, ip in ((own, "192.0.2.61"), (guests, "192.0.2.62")):
        r = site.update(h, params={"myip": ip})
        assert r.text.startswith("good"), r.text
        assert ns.query(h.fqdn, "A") == [ip]
    r = site.update(own, params={"myip": "2001:db8::61"})
    assert r.text.startswith("good"), r.text

    c = client(site)
    c.login("leaver", PASSWORD)
    r = c.get("/account/delete/")
    assert r.status_code == 200 and 'name="confirm"' in r.text
    # Without the confirmation nothing happens.
    r = c.post("/account/delete/", {})
    assert r.status_code == 200 and 'id="delete-error"' in r.text
    assert ns.query(own.fqdn, "A") == ["192.0.2.61"]
    # Without the CSRF token neither.
    r = c.post("/account/delete/", {"confirm": "1"}, token=False)
    assert r.status_code == 403

    r = c.post("/account/delete/", {"confirm": "1"})
    assert r.status_code == 302 and r.headers["Location"] == "/"
    r = c.get("/")
    assert "Your account has been deleted." in r.text
    assert c.get("/overview/").status_code == 302
    assert ns.query(own.fqdn, "A") == []
    assert ns.query(own.fqdn, "AAAA") == []
    assert ns.query(guests.fqdn, "A") == []
    assert count_users(site, "leaver") == 0
    assert count_users(site, "guest") == 1
    p = site.run("host", "show", own.fqdn, "--json")
    assert p.returncode != 0
    r = client(site).post("/accounts/login/", {"username": "leaver", "password": PASSWORD})
    assert r.status_code == 200 and "correct username" in r.text
