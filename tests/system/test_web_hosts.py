"""The overview and host pages against a real named: add, edit, delete,
secret rotation and configuration help, the session-authorized manual
update/delete (spec 2.8), the browser-based updater (spec 5.9), the status
codes of spec 9.2 for these URLs, and a dead nameserver not hanging the
overview."""

import base64
import os
import html
import re
import shutil
import time

import pytest
import requests

from conftest import DEFAULT_ZONE
from named import ZoneSpec, free_port
from nsupdlib import Nsupd, unique_label
from webutil import WebClient, assert_security_headers, create_user, csrf_token

PASSWORD = "hosts pass 42"
PRIVATE_ZONE = "sha256.nsupd.test"     # alice's, not public
BOB_ZONE = "sha384.nsupd.test"         # bob's, private
PUBLIC_ZONE = DEFAULT_ZONE             # bob's, public
DEAD_ZONE = "dead.nsupd.test"          # a nameserver that never answers


@pytest.fixture(scope="module")
def site(named, tmp_path_factory):
    inst = Nsupd(tmp_path_factory.mktemp("web-hosts"), dns={"resolver_timeout": 3})
    inst.migrate()
    create_user(inst, "alice", PASSWORD)
    create_user(inst, "bob", PASSWORD)
    specs = named.zone_specs
    z = specs[PRIVATE_ZONE]
    inst.add_domain(z.name, "alice", named.server, z.algorithm, z.secret)
    z = specs[BOB_ZONE]
    inst.add_domain(z.name, "bob", named.server, z.algorithm, z.secret)
    z = specs[PUBLIC_ZONE]
    inst.add_domain(z.name, "bob", named.server, z.algorithm, z.secret, public=True)
    # Nothing listens there: UDP queries go unanswered until they time out.
    inst.add_domain(DEAD_ZONE, "alice", "127.0.0.1:%d" % free_port(), "hmac-sha256",
                    ZoneSpec.random_secret("hmac-sha256"))
    inst.start()
    yield inst
    rc = inst.stop()
    assert rc == 0, inst.stderr()


def client(site, user="alice"):
    c = WebClient(site)
    c.login(user, PASSWORD)
    return c


def add_host(c, zone=PUBLIC_ZONE, name=None, comment=""):
    """Adds a host through the form; returns (id, fqdn, secret)."""
    name = name or unique_label("w")
    page = c.get("/host/add/")
    assert page.status_code == 200
    m = re.search(r'<option value="(\d+)"[^>]*>%s[ <(]' % re.escape(zone), page.text)
    assert m, page.text
    r = c.post("/host/add/", {"name": name, "domain": m.group(1), "comment": comment},
               form_page="/host/add/")
    assert r.status_code == 302, r.text[:3000]
    loc = r.headers["Location"]
    hid = int(re.fullmatch(r"/generate_secret/(\d+)/", loc).group(1))
    page = c.get(loc)
    assert page.status_code == 200
    secret = secret_of(page.text)
    return hid, "%s.%s" % (name, zone), secret


def secret_of(text):
    m = re.search(r'<code class="fs-5 secret" id="secret">([^<]+)</code>', text)
    assert m, "no secret on the page"
    return html.unescape(m.group(1))


def domain_id(c, zone):
    page = c.get("/host/add/")
    m = re.search(r'<option value="(\d+)"[^>]*>%s[ <(]' % re.escape(zone), page.text)
    return int(m.group(1)) if m else None


def comment_of(c, hid):
    """The comment as the host page's form shows it (the CLI does not show it)."""
    page = c.get("/host/%d/" % hid)
    assert page.status_code == 200
    m = re.search(r'id="id_comment" value="([^"]*)"', page.text)
    return html.unescape(m.group(1))


def host_id(c, fqdn):
    page = c.get("/overview/").text
    m = re.search(r'<a href="/host/(\d+)/"[^>]*>%s</a>' % re.escape(fqdn), page)
    assert m, fqdn
    return int(m.group(1))


def nic(site, fqdn, secret, **params):
    return requests.get(site.url("/nic/update"), params=params, auth=(fqdn, secret),
                        timeout=30)


# --- access rules (spec 9.2) ---------------------------------------------------------

def test_anonymous_is_sent_to_login(site):
    c = client(site)
    hid, fqdn, _ = add_host(c)
    anon = WebClient(site)
    for path in ["/overview/", "/host/add/", "/host/%d/" % hid, "/host/%d/delete/" % hid,
                 "/generate_secret/%d/" % hid, "/host/100000/", "/generate_secret/100000/"]:
        r = anon.get(path)
        assert r.status_code == 302, (path, r.status_code)
        assert r.headers["Location"] == "/accounts/login/?next=" + path, r.headers
    # The manual update needs a session too (with a valid token of an
    # anonymous session: the login redirect, not an update).
    token = csrf_token(anon.get("/").text)
    r = anon.s.post(site.url("/nic/update_authorized"), data={
        "csrfmiddlewaretoken": token, "hostname": fqdn}, allow_redirects=False, timeout=10)
    assert r.status_code == 302 and r.headers["Location"].startswith("/accounts/login/")


def test_update_page_needs_basic_header(site):
    r = WebClient(site).get("/update")
    assert r.status_code == 401
    assert r.text == "badauth"
    assert r.headers["WWW-Authenticate"].startswith("Basic realm=")
    # Logged in makes no difference (9.2: /update -> 401 for both).
    r = client(site).get("/update")
    assert r.status_code == 401
    r = WebClient(site).get("/update", headers={"Authorization": "Bearer x"})
    assert r.status_code == 401


def test_owner_gets_200_and_others_404(site):
    alice = client(site)
    hid, fqdn, _ = add_host(alice)
    bob = client(site, "bob")
    for path in ["/host/%d/", "/host/%d/delete/", "/generate_secret/%d/"]:
        r = alice.get(path % hid)
        assert r.status_code == 200, (path, r.status_code)
        assert_security_headers(r)
        assert bob.get(path % hid).status_code == 404, path
        assert alice.get(path % 100000).status_code == 404, path
    for path in ["/overview/", "/host/add/"]:
        assert alice.get(path).status_code == 200
    # POSTs to someone else's host: 404 too, and nothing changes.
    r = bob.post("/host/%d/" % hid, {"comment": "bob was here", "netmask_ipv4": "32",
                                     "netmask_ipv6": "64"}, form_page="/overview/")
    assert r.status_code == 404
    r = bob.post("/generate_secret/%d/" % hid, {}, form_page="/overview/")
    assert r.status_code == 404
    r = bob.post("/host/%d/delete/" % hid, {}, form_page="/overview/")
    assert r.status_code == 404
    assert comment_of(alice, hid) == ""


def test_post_without_csrf_token_is_refused(site):
    c = client(site)
    hid, fqdn, _ = add_host(c)
    for path, data in [("/host/add/", {"name": "x", "domain": "1"}),
                       ("/host/%d/" % hid, {"comment": "x", "netmask_ipv4": "32",
                                            "netmask_ipv6": "64"}),
                       ("/host/%d/delete/" % hid, {}),
                       ("/generate_secret/%d/" % hid, {}),
                       ("/nic/update_authorized", {"hostname": fqdn, "myip": "192.0.2.1"}),
                       ("/nic/delete_authorized", {"hostname": fqdn, "myip": "0.0.0.0"})]:
        r = c.post(path, data, token=False)
        assert r.status_code == 403, path
    assert comment_of(c, hid) == ""


def test_authorized_get_anonymous_goes_to_login_without_next(site):
    # A18. No ?next= back to it: after the login it would run the update.
    r = WebClient(site).get("/nic/update_authorized?hostname=x.%s&myip=192.0.2.1" % PUBLIC_ZONE)
    assert r.status_code == 302 and r.headers["Location"] == "/accounts/login/", r.headers
    r = WebClient(site).get("/nic/delete_authorized")
    assert r.status_code == 302 and r.headers["Location"] == "/accounts/login/", r.headers


# --- adding ----------------------------------------------------------------------------

def test_add_host_writes_dns_and_shows_the_secret_once(site, named):
    c = client(site)
    hid, fqdn, secret = add_host(c, comment="my router")
    # The first record is the browser's address (127.0.0.1 here).
    assert named.query(fqdn, "A") == ["127.0.0.1"]
    assert comment_of(c, hid) == "my router"
    info = site.show(fqdn)
    assert info["last_update_ipv4"] and info["last_update_ipv6"]
    # The shown secret works with the real API.
    r = nic(site, fqdn, secret, myip="192.0.2.33")
    assert (r.status_code, r.text) == (200, "good 192.0.2.33")
    assert named.query(fqdn, "A") == ["192.0.2.33"]
    # The secret is not shown again: the page now offers a new one.
    r = c.get("/generate_secret/%d/" % hid)
    assert r.status_code == 200
    assert secret not in r.text
    assert 'id="generate-secret"' in r.text
    # And that GET changed nothing.
    assert nic(site, fqdn, secret, myip="192.0.2.33").text == "nochg 192.0.2.33"
    # Added hosts are listed with a flash message first.
    page = c.get("/overview/")
    assert fqdn in page.text


@pytest.mark.parametrize("name,error", [
    ("", "This field is required."),
    ("-bad", "Use letters a-z"),
    ("bad-", "Use letters a-z"),
    ("a.b", "Use letters a-z"),
    ("under_score", "Use letters a-z"),
    ("x" * 64, "Use letters a-z"),
    ("<script>", "Use letters a-z"),
])
def test_add_host_rejects_bad_names(site, name, error):
    c = client(site)
    did = domain_id(c, PUBLIC_ZONE)
    r = c.post("/host/add/", {"name": name, "domain": str(did)})
    assert r.status_code == 200
    assert error in r.text
    assert "<script>" not in r.text.replace('<script src=', '')


def test_add_host_lowercases_and_refuses_duplicates(site, named):
    c = client(site)
    did = domain_id(c, PUBLIC_ZONE)
    label = unique_label("up")
    r = c.post("/host/add/", {"name": label.upper(), "domain": str(did)})
    assert r.status_code == 302
    assert site.show("%s.%s" % (label, PUBLIC_ZONE))["name"] == label
    r = c.post("/host/add/", {"name": label, "domain": str(did)})
    assert r.status_code == 200
    assert "Host with this Name and Domain already exists." in r.text
    # Another user cannot take it either.
    r = client(site, "bob").post("/host/add/", {"name": label, "domain": str(did)})
    assert r.status_code == 200 and "already exists" in r.text


def test_add_host_domain_choice_is_limited(site):
    alice = client(site)
    page = alice.get("/host/add/").text
    assert PUBLIC_ZONE in page and PRIVATE_ZONE in page
    assert BOB_ZONE not in page          # bob's private domain is not offered
    bob = client(site, "bob")
    bob_private = domain_id(bob, BOB_ZONE)
    assert bob_private
    r = alice.post("/host/add/", {"name": unique_label(), "domain": str(bob_private)})
    assert r.status_code == 200
    assert "Select a valid choice." in r.text
    r = alice.post("/host/add/", {"name": unique_label(), "domain": "999999"})
    assert r.status_code == 200 and "Select a valid choice." in r.text


def test_add_host_respects_blacklist(site):
    site.cli("blacklist", "add", "^forbidden")
    c = client(site)
    did = domain_id(c, PUBLIC_ZONE)
    r = c.post("/host/add/", {"name": "forbidden-" + unique_label(), "domain": str(did)})
    assert r.status_code == 200
    assert "This name is blacklisted." in r.text


def test_add_host_refused_when_dns_fails(site):
    c = client(site)
    did = domain_id(c, DEAD_ZONE)
    label = unique_label()
    t0 = time.monotonic()
    r = c.post("/host/add/", {"name": label, "domain": str(did)})
    assert r.status_code == 200
    assert 'id="dns-error"' in r.text
    assert time.monotonic() - t0 < 20
    with pytest.raises(AssertionError):
        site.show("%s.%s" % (label, DEAD_ZONE))     # not saved


# --- secret and configuration help ------------------------------------------------------

def test_new_secret_invalidates_the_old_one(site, named):
    c = client(site)
    hid, fqdn, old = add_host(c)
    assert nic(site, fqdn, old, myip="192.0.2.40").text == "good 192.0.2.40"
    r = c.post("/generate_secret/%d/" % hid, {})
    assert r.status_code == 200
    new = secret_of(r.text)
    assert new != old and len(new) >= 20
    r = nic(site, fqdn, old, myip="192.0.2.41")
    assert r.status_code == 401 and r.text == "badauth"
    assert nic(site, fqdn, new, myip="192.0.2.41").text == "good 192.0.2.41"
    assert named.query(fqdn, "A") == ["192.0.2.41"]


def test_configuration_help_has_the_real_values(site):
    c = client(site)
    hid, fqdn, _ = add_host(c)
    r = c.post("/generate_secret/%d/" % hid, {})
    text = r.text
    secret = secret_of(text)
    plain = html.unescape(re.sub(r"<[^>]+>", "", text))
    # General URLs on the single-stack hosts (no TLS in this configuration).
    assert "http://%s:%s@ipv4.nsupd.test/nic/update" % (fqdn, secret) in plain
    assert "http://%s:%s@ipv6.nsupd.test/nic/update" % (fqdn, secret) in plain
    assert "http://ipv4.nsupd.test/myip" in plain
    # Fritz!Box dual stack sends both addresses.
    assert "http://www.nsupd.test/nic/update?myip=<ipaddr>,<ip6addr>" in plain
    # ddclient, new and old syntax.
    new = re.search(r'id="ddclient-new"><code>(.*?)</code>', text, re.S).group(1)
    new = html.unescape(new).splitlines()
    assert "usev4=webv4, webv4=http://ipv4.nsupd.test/myip" in new
    assert "login=%s" % fqdn in new and "password='%s'" % secret in new
    assert new[-1] == fqdn and "ssl=no" in new
    old = html.unescape(re.search(r'id="ddclient-old"><code>(.*?)</code>', text, re.S).group(1))
    assert "use=web, web=http://ipv4.nsupd.test/myip" in old.splitlines()
    # inadyn 2.x: both families, the real credentials.
    ina = html.unescape(re.search(r'id="inadyn2"><code>(.*?)</code>', text, re.S).group(1))
    assert ina.count('password       = "%s"' % secret) == 2
    assert 'ddns-server    = "ipv6.nsupd.test"' in ina
    assert 'ddns-path      = "/nic/update?hostname=%h&myip=%i"' in ina
    ina199 = html.unescape(re.search(r'id="inadyn199"><code>(.*?)</code>', text, re.S).group(1))
    assert "alias %s" % fqdn in ina199 and "  ssl" not in ina199
    # The other sections are there and carry the host.
    for section in ["general", "fritzbox", "ddwrt", "ddclient", "dyndnsc", "edgeos", "inadyn",
                    "ipfire", "m0n0wall", "openwrt", "pfsense", "speedport", "browser"]:
        m = re.search(r'<details[^>]*id="cfg-%s"[^>]*>(.*?)</details>' % section, text, re.S)
        assert m, section
        assert fqdn in m.group(1), section
    openwrt = html.unescape(re.search(r'id="openwrt"><code>(.*?)</code>', text, re.S).group(1))
    assert ("option update_url 'http://[USERNAME]:[PASSWORD]@ipv4.nsupd.test/nic/update"
            "?hostname=[DOMAIN]&myip=[IP]'") in openwrt
    assert "good %IP%|nochg %IP%" in plain
    assert "http://%s:%s@www.nsupd.test/update" % (fqdn, secret) in plain
    # The page with the secret is not cached anywhere.
    assert r.headers["Cache-Control"] == "no-store"


def test_configuration_uses_https_with_tls(named, tmp_path):
    inst = Nsupd(tmp_path, extra="")
    with open(inst.conf) as f:
        conf = f.read().replace("we_have_tls = false", "we_have_tls = true")
    with open(inst.conf, "w") as f:
        f.write(conf)
    inst.migrate()
    create_user(inst, "carol", PASSWORD)
    z = named.zone_specs[PUBLIC_ZONE]
    inst.add_domain(z.name, "carol", named.server, z.algorithm, z.secret, public=True)
    inst.start()
    try:
        c = WebClient(inst)
        # The Secure cookie is not sent back over http by requests; carry it by hand.
        r = c.get("/accounts/login/")
        token = csrf_token(r.text)
        sid = r.cookies.get("sessionid")
        r = requests.post(inst.url("/accounts/login/"), data={
            "csrfmiddlewaretoken": token, "username": "carol", "password": PASSWORD},
            cookies={"sessionid": sid}, allow_redirects=False, timeout=30)
        assert r.status_code == 302
        sid = r.cookies.get("sessionid")
        fqdn = "tls%s.%s" % (unique_label(), PUBLIC_ZONE)
        inst.cli("host", "add", fqdn, "--owner", "carol")
        page = requests.get(inst.url("/overview/"), cookies={"sessionid": sid}, timeout=30)
        hid = int(re.search(r'<a href="/host/(\d+)/"[^>]*>%s</a>' % re.escape(fqdn),
                            page.text).group(1))
        page = requests.get(inst.url("/generate_secret/%d/" % hid), cookies={"sessionid": sid},
                            timeout=30)
        token = csrf_token(page.text)
        r = requests.post(inst.url("/generate_secret/%d/" % hid), data={
            "csrfmiddlewaretoken": token}, cookies={"sessionid": sid}, timeout=30)
        assert r.status_code == 200
        secret = secret_of(r.text)
        plain = html.unescape(re.sub(r"<[^>]+>", "", r.text))
        assert "https://%s:%s@ipv4.nsupd.test/nic/update" % (fqdn, secret) in plain
        assert "http://%s" % fqdn not in plain
        assert "ssl=yes" in plain
    finally:
        assert inst.stop() == 0, inst.stderr()


# --- the host page -----------------------------------------------------------------------

def test_host_page_shows_live_dns_faults_and_messages(site, named):
    c = client(site)
    hid, fqdn, secret = add_host(c)
    nic(site, fqdn, secret, myip="192.0.2.50,2001:db8::50")
    nic(site, fqdn, secret, myip="192.0.2.50")          # nochg: a client fault
    page = c.get("/host/%d/" % hid).text
    assert re.search(r'id="current-a">192\.0\.2\.50<', page), page
    assert re.search(r'id="current-aaaa"[^>]*>2001:db8::50<', page)
    assert re.search(r'id="client-faults">1<', page)
    assert "received no-change update, ip: 192.0.2.50" in page
    assert "api authentication success" in page
    # Someone else changes the record behind our back: the page shows DNS.
    named.update(PUBLIC_ZONE, fqdn, "A", ["192.0.2.51"])
    page = c.get("/host/%d/" % hid).text
    assert re.search(r'id="current-a">192\.0\.2\.51<', page)
    named.update(PUBLIC_ZONE, fqdn, "AAAA", [])
    page = c.get("/host/%d/" % hid).text
    assert re.search(r'id="current-aaaa"[^>]*><span[^>]*>none<', page)


def test_edit_host(site):
    c = client(site)
    hid, fqdn, _ = add_host(c)
    r = c.post("/host/%d/" % hid, {"comment": "  edited <b>x</b> ", "netmask_ipv4": "29",
                                   "netmask_ipv6": "56"})
    assert r.status_code == 302 and r.headers["Location"] == "/overview/"
    page = c.get("/overview/").text
    assert "Host updated." in page
    assert "edited &lt;b&gt;x&lt;/b&gt;" in page and "<b>x</b>" not in page
    assert comment_of(c, hid) == "edited <b>x</b>"
    info = site.show(fqdn)
    assert (info["netmask_ipv4"], info["netmask_ipv6"], info["available"]) == (29, 56, False)
    r = c.post("/host/%d/" % hid, {"comment": "", "available": "on", "netmask_ipv4": "32",
                                   "netmask_ipv6": "64"})
    assert r.status_code == 302
    assert site.show(fqdn)["available"] is True


@pytest.mark.parametrize("v4,v6,field", [("33", "64", "0 to 32"), ("-1", "64", "0 to 32"),
                                         ("x", "64", "0 to 32"), ("32", "65", "0 to 64"),
                                         ("32", "", "0 to 64")])
def test_edit_host_netmask_ranges(site, v4, v6, field):
    c = client(site)
    hid, fqdn, _ = add_host(c)
    r = c.post("/host/%d/" % hid, {"comment": "changed", "netmask_ipv4": v4, "netmask_ipv6": v6})
    assert r.status_code == 200
    assert field in r.text and 'role="alert"' in r.text
    info = site.show(fqdn)
    assert (info["netmask_ipv4"], info["netmask_ipv6"]) == (32, 64)
    assert comment_of(c, hid) == ""


def test_abuse_flag_is_clearable_not_settable(site):
    c = client(site)
    hid, fqdn, _ = add_host(c)
    form = {"comment": "", "available": "on", "netmask_ipv4": "32", "netmask_ipv6": "64"}
    r = c.post("/host/%d/" % hid, dict(form, abuse="on"))
    assert r.status_code == 302
    assert site.show(fqdn)["abuse"] is False
    site.set(fqdn, abuse=True)
    page = c.get("/host/%d/" % hid).text
    assert 'id="id_abuse"' in page and "Abuse</span>" in page
    assert "Abuse</span>" in c.get("/overview/").text
    r = c.post("/host/%d/" % hid, dict(form, abuse="on"))        # kept
    assert site.show(fqdn)["abuse"] is True
    r = c.post("/host/%d/" % hid, form)                          # cleared
    assert r.status_code == 302
    assert site.show(fqdn)["abuse"] is False


def test_abuse_blocked_host_cannot_be_deleted(site):
    c = client(site)
    hid, fqdn, _ = add_host(c)
    site.set(fqdn, abuse_blocked=True)
    page = c.get("/host/%d/" % hid)
    assert page.status_code == 200 and "Abuse-Blocked" in page.text
    assert 'id="delete-host"' not in page.text
    assert c.get("/host/%d/delete/" % hid).status_code == 404
    r = c.post("/host/%d/delete/" % hid, {}, form_page="/host/%d/" % hid)
    assert r.status_code == 404
    assert site.show(fqdn)["abuse_blocked"] is True


def test_delete_host_removes_records(site, named):
    c = client(site)
    hid, fqdn, secret = add_host(c)
    nic(site, fqdn, secret, myip="192.0.2.60,2001:db8::60")
    site.set(fqdn, netmask_ipv4=24)
    site.cli("host", "related", "add", fqdn, "rel", "--interface-id-ipv4", "0.0.0.9")
    nic(site, fqdn, secret, myip="192.0.2.61")
    assert named.query("rel." + fqdn, "A") == ["192.0.2.9"]
    page = c.get("/host/%d/delete/" % hid)
    assert page.status_code == 200 and fqdn in page.text
    r = c.post("/host/%d/delete/" % hid, {})
    assert r.status_code == 302 and r.headers["Location"] == "/overview/"
    assert named.query(fqdn, "A") == [] and named.query(fqdn, "AAAA") == []
    assert named.query("rel." + fqdn, "A") == []
    assert c.get("/host/%d/" % hid).status_code == 404
    page = c.get("/overview/").text
    assert "Host deleted." in page and fqdn not in page
    assert nic(site, fqdn, secret).status_code == 401


# --- /nic/update_authorized, /nic/delete_authorized (spec 2.8) ----------------------------

def post_nic(c, path, data, host_page):
    return c.post(path, data, form_page=host_page)


def test_update_and_delete_authorized(site, named):
    c = client(site)
    hid, fqdn, secret = add_host(c)
    hp = "/host/%d/" % hid
    r = post_nic(c, "/nic/update_authorized", {"hostname": fqdn, "myip": "192.0.2.70"}, hp)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain")
    assert r.text == "good 192.0.2.70"
    assert named.query(fqdn, "A") == ["192.0.2.70"]
    r = post_nic(c, "/nic/update_authorized", {"hostname": fqdn, "myip": "192.0.2.70"}, hp)
    assert r.text == "nochg 192.0.2.70"
    # Bad elements are skipped, not fatal.
    r = post_nic(c, "/nic/update_authorized",
                 {"hostname": fqdn.upper(), "myip": "1234,2001:db8::70,äü"}, hp)
    assert r.text == "good 2001:db8::70"
    assert named.query(fqdn, "AAAA") == ["2001:db8::70"]
    # Nothing valid: the browser's own address.
    r = post_nic(c, "/nic/update_authorized", {"hostname": fqdn, "myip": "garbage"}, hp)
    assert r.text == "good 127.0.0.1"
    r = post_nic(c, "/nic/delete_authorized", {"hostname": fqdn, "myip": "0.0.0.0"}, hp)
    assert r.text == "deleted A"
    assert named.query(fqdn, "A") == []
    r = post_nic(c, "/nic/delete_authorized", {"hostname": fqdn, "myip": "::"}, hp)
    assert r.text == "deleted AAAA"
    assert named.query(fqdn, "AAAA") == []
    info = site.show(fqdn)
    assert info["client_faults"] == 1 and info["server_faults"] == 0


def test_authorized_get_as_the_original(site, named):
    """A19-A22, A26: the original answers GET with the query's parameters."""
    c = client(site)
    hid, fqdn, _ = add_host(c)
    bob_hid, bob_fqdn, _ = add_host(client(site, "bob"))
    r = c.get("/nic/update_authorized")
    assert (r.status_code, r.text) == (200, "nohost")
    assert r.headers["Content-Type"].startswith("text/plain")
    r = c.get("/nic/update_authorized", params={"hostname": fqdn})
    assert r.status_code == 200 and r.text in ("good 127.0.0.1", "nochg 127.0.0.1"), r.text
    r = c.get("/nic/update_authorized", params={"hostname": fqdn, "myip": "192.0.2.71"})
    assert (r.status_code, r.text) == (200, "good 192.0.2.71")
    assert named.query(fqdn, "A") == ["192.0.2.71"]
    r = c.get("/nic/update_authorized", params={"hostname": bob_fqdn, "myip": "192.0.2.71"})
    assert (r.status_code, r.text) == (200, "nohost")
    assert named.query(bob_fqdn, "A") == ["127.0.0.1"]
    r = c.get("/nic/update_authorized", params={"hostname": fqdn, "myip": "2001:db8::71"})
    assert r.text == "good 2001:db8::71"
    # HEAD answers like GET and changes nothing.
    r = c.s.head(site.url("/nic/update_authorized"), params={"hostname": fqdn,
                 "myip": "192.0.2.72"}, allow_redirects=False, timeout=30)
    assert r.status_code == 200
    assert named.query(fqdn, "A") == ["192.0.2.71"]
    r = c.get("/nic/delete_authorized", params={"hostname": fqdn, "myip": "0.0.0.0"})
    assert r.text == "deleted A"
    r = c.get("/nic/delete_authorized", params={"hostname": fqdn, "myip": "::"})
    assert r.text == "deleted AAAA"
    assert named.query(fqdn, "A") == [] and named.query(fqdn, "AAAA") == []
    # next= works as with the form post, and only to local paths.
    r = c.get("/nic/update_authorized", params={"hostname": fqdn, "myip": "192.0.2.73",
                                                "next": "/host/%d/" % hid})
    assert r.status_code == 302 and r.headers["Location"] == "/host/%d/" % hid
    assert "good 192.0.2.73" in c.get("/host/%d/" % hid).text


def test_authorized_get_from_another_site_is_refused(site, named):
    c = client(site)
    hid, fqdn, _ = add_host(c)
    url = "/nic/update_authorized?hostname=%s&myip=192.0.2.74" % fqdn
    own = site.url("/host/%d/" % hid)
    refused = [{"Sec-Fetch-Site": "cross-site"},
               # Hosts under the base domain are users' hosts: same-site
               # is not enough.
               {"Sec-Fetch-Site": "same-site"},
               {"Origin": "http://evil.example"},
               {"Referer": "http://evil.example/page"},
               # The Host must be the whole authority, not a prefix.
               {"Referer": own.split("/host/")[0] + ".evil.example/x"}]
    for headers in refused:
        r = c.get(url, headers=headers)
        assert r.status_code == 403, (headers, r.status_code)
        assert "<html" in r.text and "not sent from this site" in r.text
        r = c.get(url.replace("update_", "delete_").replace("192.0.2.74", "0.0.0.0"),
                  headers=headers)
        assert r.status_code == 403, headers
    assert named.query(fqdn, "A") == ["127.0.0.1"]
    # Same origin, typed in, or a client that says nothing: as the original.
    for i, headers in enumerate([{"Sec-Fetch-Site": "same-origin"},
                                 {"Sec-Fetch-Site": "none"},
                                 {"Referer": own},
                                 {"Sec-Fetch-Site": "same-origin", "Referer": own}, {}]):
        ip = "192.0.2.%d" % (80 + i)
        r = c.get(url.replace("192.0.2.74", ip), headers=headers)
        assert (r.status_code, r.text) == (200, "good " + ip), headers
    assert named.query(fqdn, "A") == ["192.0.2.84"]


def test_login_does_not_redirect_to_an_unsafe_get(site, named):
    c = client(site)
    hid, fqdn, _ = add_host(c)
    target = "/nic/update_authorized?hostname=%s&myip=192.0.2.75" % fqdn
    for next_ in (target, target.replace("update_", "delete_"),
                  target.replace("update_authorized", "update%5Fauthorized"),
                  "/./" + target[1:], "/x/.." + target, "/nic/update_authorized"):
        r = WebClient(site).login("alice", PASSWORD, next_=next_)
        assert r.headers["Location"] == "/overview/", (next_, r.headers["Location"])
        # Already logged in: the login page's GET redirect drops it too.
        r = c.get("/accounts/login/", params={"next": next_})
        assert r.status_code == 302 and r.headers["Location"] == "/overview/", next_
    assert named.query(fqdn, "A") == ["127.0.0.1"]
    # Ordinary targets still work.
    r = WebClient(site).login("alice", PASSWORD, next_="/host/%d/?x=1" % hid)
    assert r.headers["Location"] == "/host/%d/?x=1" % hid


def test_authorized_refuses_other_hosts(site, named):
    alice = client(site)
    hid, fqdn, _ = add_host(alice)
    bob = client(site, "bob")
    bob_hid, bob_fqdn, _ = add_host(bob)
    hp = "/host/%d/" % hid
    for data in [{}, {"hostname": ""}, {"hostname": bob_fqdn, "myip": "192.0.2.80"},
                 {"hostname": "nohost." + PUBLIC_ZONE}, {"hostname": "nodot"}]:
        r = post_nic(alice, "/nic/update_authorized", data, hp)
        assert (r.status_code, r.text) == (200, "nohost"), data
        r = post_nic(alice, "/nic/delete_authorized", dict(data, myip="0.0.0.0"), hp)
        assert r.text == "nohost", data
    assert named.query(bob_fqdn, "A") == ["127.0.0.1"]
    info = site.show(bob_fqdn)
    assert info["client_faults"] == 0


def test_authorized_form_post_without_js(site, named):
    c = client(site)
    hid, fqdn, _ = add_host(c)
    hp = "/host/%d/" % hid
    r = post_nic(c, "/nic/update_authorized", {"hostname": fqdn, "myip": "192.0.2.90",
                                               "next": hp}, hp)
    assert r.status_code == 302 and r.headers["Location"] == hp
    page = c.get(hp).text
    assert "good 192.0.2.90" in page and 'id="current-a">192.0.2.90<' in page
    # An outside target is not followed.
    r = post_nic(c, "/nic/update_authorized", {"hostname": fqdn, "myip": "192.0.2.91",
                                               "next": "//evil.example/"}, hp)
    assert r.status_code == 302 and r.headers["Location"] == "/overview/"


# --- overview --------------------------------------------------------------------------------

def test_overview_lists_hosts_with_live_dns_and_domains(site, named):
    c = client(site)
    hid, fqdn, secret = add_host(c, comment="<img src=x onerror=alert(1)>")
    nic(site, fqdn, secret, myip="192.0.2.100,2001:db8::100")
    r = c.get("/overview/")
    assert r.status_code == 200
    assert_security_headers(r)
    row = re.search(r'<tr id="host-%d">(.*?)</tr>' % hid, r.text, re.S).group(1)
    assert 'href="/host/%d/"' % hid in row
    assert ">192.0.2.100<" in row and ">2001:db8::100<" in row
    assert "&lt;img src=x onerror=alert(1)&gt;" in row and "<img" not in row
    assert "no TLS" in row
    domains = re.search(r'<table[^>]*id="domains">(.*?)</table>', r.text, re.S).group(1)
    assert 'href="/domain/' in domains and PRIVATE_ZONE in domains
    assert PUBLIC_ZONE in domains and "bob" in domains
    assert BOB_ZONE not in domains
    # Own domains come first.
    assert domains.index(PRIVATE_ZONE) < domains.index(PUBLIC_ZONE)
    # Bob sees the public domain as his own (linked) and not alice's private one.
    bob = client(site, "bob").get("/overview/").text
    assert PRIVATE_ZONE not in bob and fqdn not in bob


def test_dead_nameserver_does_not_hang_the_overview(site):
    c = client(site)
    # Hosts in the dead zone are made by the CLI (the form would refuse).
    labels = [unique_label("dead") for _ in range(6)]
    for label in labels:
        site.cli("host", "add", "%s.%s" % (label, DEAD_ZONE), "--owner", "alice")
    t0 = time.monotonic()
    r = c.get("/overview/")
    elapsed = time.monotonic() - t0
    assert r.status_code == 200
    assert elapsed < 4, elapsed
    for label in labels:
        row = re.search(r'<tr id="host-\d+">\s*<td><a[^>]*>%s\.%s</a>(.*?)</tr>'
                        % (label, re.escape(DEAD_ZONE)), r.text, re.S)
        assert row and ">error<" in row.group(1), label
    hid = int(re.search(r'<a href="/host/(\d+)/"[^>]*>%s\.%s</a>'
                        % (labels[0], re.escape(DEAD_ZONE)), r.text).group(1))
    t0 = time.monotonic()
    assert c.get("/host/%d/" % hid).status_code == 200
    assert time.monotonic() - t0 < 4


# --- the browser-based updater -----------------------------------------------------------------

def test_browser_updater_page(site):
    c = WebClient(site)
    hdr = "Basic " + base64.b64encode(b"h.example.org:s3cret").decode()
    r = c.get("/update", headers={"Authorization": hdr})
    assert r.status_code == 200
    assert_security_headers(r)
    assert 'data-fqdn="h.example.org"' in r.text and 'data-secret="s3cret"' in r.text
    assert re.search(r'<script src="/static/updater\.js\?v=[0-9a-f]+"></script>', r.text)
    js = c.get("/static/updater.js")
    assert js.status_code == 200 and "/nic/update" in js.text
    # Hostile credentials come back escaped.
    hdr = "Basic " + base64.b64encode(b'"><script>alert(1)</script>:x').decode()
    r = c.get("/update", headers={"Authorization": hdr})
    assert r.status_code == 200
    assert "<script>alert(1)" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text


# --- translations ------------------------------------------------------------------------

@pytest.mark.parametrize("lang,words", [
    ("de", ["Ihre Hosts", "Einstellungen", "Aktuelle Adressen"]),
    ("fr", ["Vos hôtes", "Paramètres", "Adresses actuelles"]),
    ("it", ["I tuoi host", "Impostazioni", "Indirizzi attuali"]),
])
def test_pages_are_translated(site, lang, words):
    c = WebClient(site, accept_language=lang)
    c.login("alice", PASSWORD)
    hid, fqdn, _ = add_host(c)
    text = c.get("/overview/").text + c.get("/host/%d/" % hid).text
    for w in words:
        assert html.unescape(w) in html.unescape(text), (lang, w)
    r = c.post("/generate_secret/%d/" % hid, {})
    assert r.status_code == 200
    for english in ["Set up your router or update client", "Your new secret"]:
        assert english not in r.text, (lang, english)


# --- the configuration help drives a real client ------------------------------------------

DDCLIENT = shutil.which("ddclient") or "/usr/sbin/ddclient"


@pytest.mark.skipif(not os.path.exists(DDCLIENT), reason="ddclient not installed")
def test_ddclient_runs_with_the_shown_configuration(named, tmp_path):
    """The old-syntax ddclient snippet, taken from the page as it is, updates
    the host (the single-stack update host is this instance itself)."""
    from test_clients import run_client
    inst = Nsupd(tmp_path / "inst")
    with open(inst.conf) as f:
        conf = f.read().replace("www_ipv4_host = ipv4.nsupd.test",
                                "www_ipv4_host = 127.0.0.1:%d" % inst.port)
    with open(inst.conf, "w") as f:
        f.write(conf)
    inst.migrate()
    create_user(inst, "dave", PASSWORD)
    z = named.zone_specs[PUBLIC_ZONE]
    inst.add_domain(z.name, "dave", named.server, z.algorithm, z.secret, public=True)
    inst.start()
    try:
        c = WebClient(inst)
        c.login("dave", PASSWORD)
        fqdn = "%s.%s" % (unique_label("ddc"), PUBLIC_ZONE)
        inst.cli("host", "add", fqdn, "--owner", "dave")     # no record yet
        hid = host_id(c, fqdn)
        r = c.post("/generate_secret/%d/" % hid, {})
        snippet = html.unescape(re.search(r'id="ddclient-old"><code>(.*?)</code>', r.text,
                                          re.S).group(1))
        assert "server=127.0.0.1:%d" % inst.port in snippet
        cfg = tmp_path / "ddclient.conf"
        cfg.write_text("daemon=0\nsyslog=no\n" + snippet + "\n")
        os.chmod(cfg, 0o600)
        rc, out = run_client([DDCLIENT, "-foreground", "-daemon=0", "-noquiet", "-verbose",
                              "-file", str(cfg), "-cache", str(tmp_path / "ddclient.cache")])
        assert named.query(fqdn, "A") == ["127.0.0.1"], out
        assert "SUCCESS" in out and "good" in out, out
        info = inst.show(fqdn)
        assert (info["client_faults"], info["api_auth_faults"]) == (0, 0)
    finally:
        assert inst.stop() == 0, inst.stderr()
