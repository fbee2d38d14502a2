"""Security acceptance of the web interface (issue 3), across all pages:

- an XSS payload in every text field of every form (user, staff and
  anonymous forms; stored values and values echoed back by a form with
  errors) comes back escaped wherever it is shown, and no page of the whole
  walk has it unescaped;
- every POST form found on any page is refused without the CSRF token (and
  with a wrong one) and changes nothing;
- another user's hosts, domains, related hosts and forward configurations
  are 404 for every URL (GET and POST with a valid token);
- cookies carry the right flags (HttpOnly, SameSite=Lax, Path=/, Secure
  when the site has TLS, Max-Age only for "keep me logged in").

Parts of this are checked per page by the page tests (test_web_*.py); this
file walks all of them at once."""

import html.parser
import re

import pytest

from nsupdlib import Nsupd
from webutil import csrf_token
from webworld import (ALICE, BOB, PASSWORD, STAFF, admin_walk, client, start_world, stop_world,
                      walk)
from webutil import create_user

PAYLOAD = "<script>alert(1)</script>\"'&"
# What the templates make of it (escaping & < > " ').
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#x27;&amp;"


def mark(tag):
    """The payload with a tag, so each field's value can be told apart."""
    return PAYLOAD + tag


def escaped(tag):
    return ESCAPED + tag


RAW = re.compile(r"<script>alert\(1\)|alert\(1\)</script>")
# After the escaped element: the quotes and the ampersand, escaped (in JSON
# shown as text the double quote comes as \\&quot;).
TAIL_OK = re.compile(r"\\?&quot;(?:&#x27;|&#39;)&amp;")


def unescaped_payloads(page):
    """Every place where the payload shows with one of its characters
    unescaped."""
    bad = [page[max(0, m.start() - 60):m.end() + 40] for m in RAW.finditer(page)]
    end = "alert(1)&lt;/script&gt;"
    for m in re.finditer(re.escape(end), page):
        if not TAIL_OK.match(page, m.end()):
            bad.append(page[max(0, m.start() - 60):m.end() + 40])
    return bad


def test_the_escaping_check_can_fail():
    assert unescaped_payloads("<td>%s</td><p title=\"%s\">" % (ESCAPED, ESCAPED)) == []
    for bad in ["<td>" + PAYLOAD, '<input value="&lt;script&gt;alert(1)&lt;/script&gt;"\'&">',
                "&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#x27;&x"]:
        assert unescaped_payloads(bad), bad


@pytest.fixture(scope="module")
def world(named, tmp_path_factory):
    w = start_world(named, tmp_path_factory.mktemp("web-security"))
    yield w
    stop_world(w)


def get_all(world, who_clients):
    """{(who, path): html} of every GET page of the walk (admin pages too)."""
    out = {}
    for who, method, path, data, status in walk(world):
        if method != "GET":
            continue
        c = who_clients[who]
        auth = (data or {}).get("auth")
        r = c.get(path, auth=auth)
        assert r.status_code == status, (who, path, r.status_code)
        out[(who, path)] = r.text
    for path, status in admin_walk(who_clients[STAFF]):
        r = who_clients[STAFF].get(path)
        assert r.status_code == status, (path, r.status_code)
        out[(STAFF, path)] = r.text
    return out


# ---- XSS ---------------------------------------------------------------------

def posted_back(r, tags):
    """A form answer with errors: 200, each echoed value escaped, nothing
    raw."""
    assert r.status_code == 200, (r.status_code, r.text[:2000])
    assert not unescaped_payloads(r.text), unescaped_payloads(r.text)
    for tag in tags:
        assert escaped(tag) in r.text, (tag, r.url)


def test_xss_everywhere(world):
    inst = world.inst
    h, d, rel, fw = world.host_id, world.domain_id, world.related_id, world.forward_id
    anon = client(inst)
    alice = client(inst, ALICE)
    staff = client(inst, STAFF)

    # -- echoed back by forms with errors (nothing stored) --
    posted_back(anon.post("/accounts/login/", {"username": mark("lu"), "password": "x"}),
                ["lu"])
    posted_back(anon.post("/account/register/", {"username": mark("ru"), "email": mark("re"),
                                                 "password1": "a", "password2": "b"}),
                ["ru", "re"])
    posted_back(anon.post("/accounts/password_reset/", {"email": mark("pe")}), ["pe"])
    posted_back(alice.post("/host/add/", {"name": mark("hn"), "domain": str(d),
                                          "comment": mark("hac")}), ["hn", "hac"])
    posted_back(alice.post("/domain/add/", {"name": mark("dn"), "nameserver": mark("dns"),
                                            "nameserver2": mark("dns2"),
                                            "algorithm": "hmac-sha512",
                                            "comment": mark("dac")}),
                ["dn", "dns", "dns2", "dac"])
    posted_back(alice.post("/domain/%d/" % d, {"nameserver": mark("den"),
                                               "nameserver2": mark("den2"),
                                               "algorithm": "hmac-sha512",
                                               "secret": mark("des"), "comment": mark("dec"),
                                               "available": "1"}),
                ["den", "den2", "dec"])
    posted_back(alice.post("/host/%d/" % h, {"comment": mark("hec"), "netmask_ipv4": mark("n4"),
                                             "netmask_ipv6": mark("n6")}),
                ["hec", "n4", "n6"])
    posted_back(alice.post("/host/%d/related/add/" % h, {
        "name": mark("rn"), "comment": mark("rac"), "interface_id_ipv4": mark("ri4"),
        "interface_id_ipv6": mark("ri6")}), ["rn", "rac", "ri4", "ri6"])
    posted_back(alice.post("/host/%d/related/%d/" % (h, rel), {
        "name": mark("ren"), "comment": mark("rec"), "interface_id_ipv4": mark("rei4")}),
        ["ren", "rec", "rei4"])
    r = alice.post("/updater_hostconfig_overview/%d/" % h, {
        "service": "999999", "name": mark("fn"), "password": mark("fpw"),
        "hostname": mark("fh"), "comment": mark("fac")})
    posted_back(r, ["fn", "fh", "fac"])
    assert "alert(1)</script>\"'&fpw" not in r.text and escaped("fpw") not in r.text
    posted_back(alice.post("/account/profile/", {"first_name": mark("pf"),
                                                 "last_name": mark("pl"),
                                                 "email": mark("pm"), "language": ""}),
                ["pf", "pl", "pm"])
    posted_back(alice.post("/account/two-factor/", {"action": "start", "password": PASSWORD}),
                [])
    posted_back(alice.post("/account/two-factor/", {"action": "confirm", "code": mark("tc")}),
                [])
    r = staff.get("/admin/auth/user/", params={"q": mark("aq")})
    assert r.status_code == 200
    posted_back(r, ["aq"])
    r = staff.get("/admin/main/host/", params={"created_from": mark("acf"),
                                               "created_to": mark("act")})
    assert r.status_code in (200, 400)
    assert not unescaped_payloads(r.text)

    # -- stored, then shown on other pages --
    def ok(r):
        assert r.status_code == 302, (r.status_code, r.text[:3000])

    ok(alice.post("/host/%d/" % h, {"comment": mark("hc"), "available": "on",
                                    "netmask_ipv4": "32", "netmask_ipv6": "64"}))
    page = alice.get("/domain/%d/" % d).text
    algorithm = re.search(r'<option value="([a-z0-9-]+)" selected', page).group(1)
    ns = re.search(r'id="id_nameserver" value="([^"]*)"', page)
    ns = ns.group(1) if ns else re.search(r'name="nameserver"[^>]*value="([^"]*)"', page).group(1)
    ok(alice.post("/domain/%d/" % d, {"nameserver": ns, "algorithm": algorithm,
                                      "comment": mark("dc"), "available": "1"}))
    ok(alice.post("/host/%d/related/%d/" % (h, rel), {"name": "nas", "comment": mark("rc"),
                                                     "interface_id_ipv4": "0.0.0.5",
                                                     "interface_id_ipv6": "::5",
                                                     "available": "on"}))
    ok(alice.post("/updater_hostconfig/%d/" % fw, {
        "name": mark("fl"), "password": "", "hostname": "me.stub.example",
        "comment": mark("fc"), "give_ipv4": "on"}))
    ok(alice.post("/account/profile/", {"first_name": mark("pf"), "last_name": mark("pl"),
                                        "email": "alice@example.org", "language": ""}))
    # Staff: a service (its name and comment are shown to every user who
    # forwards to it) and a blacklist entry.
    ok(staff.post("/admin/main/serviceupdater/add/", {
        "name": mark("sn")[:32], "server": "127.0.0.1:9", "path": "/nic/update",
        "accept_ipv4": "1", "comment": mark("sc")}))
    ok(staff.post("/admin/main/blacklistedhost/add/", {"name_re": mark("bl")}))

    clients = {None: anon, ALICE: alice, STAFF: staff}
    pages = get_all(world, clients)
    for key, page in pages.items():
        assert not unescaped_payloads(page), (key, unescaped_payloads(page))

    def shown(tag, *where):
        for key in where:
            if key not in pages:
                r = clients[key[0]].get(key[1])
                assert r.status_code == 200, (key, r.status_code)
                pages[key] = r.text
                assert not unescaped_payloads(r.text), (key, unescaped_payloads(r.text))
            assert escaped(tag) in pages[key], (tag, key)

    host, dom = "/host/%d/" % h, "/domain/%d/" % d
    rel_list, rel_edit = "/host/%d/related/" % h, "/host/%d/related/%d/" % (h, rel)
    fw_list, fw_edit = "/updater_hostconfig_overview/%d/" % h, "/updater_hostconfig/%d/" % fw
    shown("hc", (ALICE, "/overview/"), (ALICE, host), (STAFF, "/admin/main/host/%d/change/"
                                                        % h))
    shown("dc", (ALICE, "/overview/"), (ALICE, dom), (STAFF, "/admin/main/domain/%d/change/"
                                                       % d))
    shown("rc", (ALICE, rel_list), (ALICE, rel_edit),
          (STAFF, "/admin/main/relatedhost/%d/change/" % rel))
    shown("fl", (ALICE, fw_list), (ALICE, fw_edit))
    shown("fc", (ALICE, fw_list), (ALICE, fw_edit))
    shown("pf", (ALICE, "/account/profile/"))
    shown("pl", (ALICE, "/account/profile/"))
    # The staff's service name on the user's page (the service select).
    shown("sn", (ALICE, fw_list), (STAFF, "/admin/main/serviceupdater/"))
    sid = re.search(r'href="/admin/main/serviceupdater/(\d+)/change/"[^>]*>%s<'
                    % re.escape(escaped("sn")), pages[(STAFF, "/admin/main/serviceupdater/")])
    assert sid, "the new service is not in the admin's list"
    shown("sc", (STAFF, "/admin/main/serviceupdater/%s/change/" % sid.group(1)))
    assert escaped("bl") in staff.get("/admin/main/blacklistedhost/").text
    # The admin's views of the profile names.
    uid = re.search(r'href="/admin/auth/user/(\d+)/change/"[^>]*>alice<',
                    staff.get("/admin/auth/user/").text)
    assert uid, "alice not in the admin's user list"
    page = staff.get("/admin/auth/user/%s/change/" % uid.group(1)).text
    assert escaped("pf") in page and escaped("pl") in page
    # The audit log names the staff's objects: escaped there too.
    audit = staff.get("/admin/admin/logentry/").text
    assert not unescaped_payloads(audit)

    # The answers of the JS endpoints are plain text, whatever came in.
    token = csrf_token(alice.get(host).text)
    r = alice.post("/nic/update_authorized", {"csrfmiddlewaretoken": token,
                                              "hostname": world.alice_host.fqdn,
                                              "myip": mark("my")}, token=False)
    assert r.status_code == 200 and r.headers["Content-Type"].startswith("text/plain"), \
        (r.status_code, r.headers, r.text[:500])


# ---- CSRF --------------------------------------------------------------------

class Forms(html.parser.HTMLParser):
    """The POST forms of a page: (action, {field: value})."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms, self.cur = [], None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and (a.get("method") or "").lower() == "post":
            self.cur = (a.get("action") or "", {})
            self.forms.append(self.cur)
        elif tag in ("input", "select", "textarea", "button") and self.cur and a.get("name"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                self.cur[1].setdefault(a["name"], a.get("value") or "on")
            else:
                self.cur[1].setdefault(a["name"], a.get("value") or "")

    def handle_endtag(self, tag):
        if tag == "form":
            self.cur = None


def post_forms(page, path):
    p = Forms()
    p.feed(page)
    return [(action or path, fields) for action, fields in p.forms]


def test_every_form_refuses_a_post_without_csrf_token(world):
    inst = world.inst
    clients = {None: client(inst), ALICE: client(inst, ALICE), STAFF: client(inst, STAFF)}
    pages = get_all(world, clients)
    forms = {}
    for (who, path), page in pages.items():
        for action, fields in post_forms(page, path.split("?")[0]):
            assert action.startswith("/"), (path, action)
            assert "csrfmiddlewaretoken" in fields, ("form without a token", who, path, action)
            forms.setdefault((who, action), fields)
    # The buttons that post from JS and have no form of their own.
    for action in ("/nic/update_authorized", "/nic/delete_authorized"):
        forms.setdefault((ALICE, action), {"hostname": world.alice_host.fqdn})
    actions = {a for _, a in forms}
    # Sanity: the walk found the forms of every area.
    for must in ("/accounts/login/", "/accounts/logout/", "/i18n/setlang/", "/account/delete/",
                 "/host/add/", "/domain/add/", "/host/%d/delete/" % world.host_id,
                 "/generate_secret/%d/" % world.host_id,
                 "/generate_ns_secret/%d/" % world.domain_id,
                 "/host/%d/related/%d/delete/" % (world.host_id, world.related_id),
                 "/updater_hostconfig/%d/delete/" % world.forward_id,
                 "/account/profile/", "/account/settings/", "/account/register/",
                 "/accounts/password_reset/"):
        assert must in actions, (must, sorted(actions))
    assert any(a.startswith("/admin/") for a in actions), sorted(actions)
    assert len(forms) >= 40, len(forms)

    for (who, action), fields in sorted(forms.items(), key=lambda kv: str(kv[0])):
        c = clients[who]
        data = {k: v for k, v in fields.items() if k != "csrfmiddlewaretoken"}
        data.setdefault("confirm", "1")
        for extra in ({}, {"csrfmiddlewaretoken": "B" * 43}):
            r = c.post(action, dict(data, **extra), token=False)
            assert r.status_code == 403, (who, action, extra, r.status_code, r.text[:500])
        # The Origin check: the right token from another site is refused.
        token = csrf_token(c.get("/accounts/login/" if who is None else "/about/").text)
        r = c.post(action, dict(data, csrfmiddlewaretoken=token), token=False,
                   headers={"Origin": "http://evil.example"})
        assert r.status_code == 403, (who, action, "origin", r.status_code)

    # Nothing happened: everything is still there, everyone still logged in.
    alice, staff = clients[ALICE], clients[STAFF]
    for path in ("/host/%d/" % world.host_id, "/domain/%d/" % world.domain_id,
                 "/host/%d/related/%d/" % (world.host_id, world.related_id),
                 "/updater_hostconfig/%d/" % world.forward_id, "/account/profile/"):
        assert alice.get(path).status_code == 200, path
    assert staff.get("/admin/").status_code == 200
    assert client(inst, BOB).get("/overview/").status_code == 200
    # The host's secret is unchanged (no new secret was made).
    r = inst.update(world.alice_host, {"myip": "192.0.2.44"})
    assert r.status_code == 200 and r.text.split()[0] in ("good", "nochg"), r.text


# ---- other users' objects -----------------------------------------------------

def test_other_users_objects_are_404(world):
    alice = client(world.inst, ALICE)
    bh, bd = world.bob_host_id, world.bob_domain_id
    br, bf = world.bob_related_id, world.bob_forward_id
    paths = ["/host/%d/" % bh, "/host/%d/delete/" % bh, "/generate_secret/%d/" % bh,
             "/domain/%d/" % bd, "/domain/%d/delete/" % bd, "/generate_ns_secret/%d/" % bd,
             "/host/%d/related/" % bh, "/host/%d/related/add/" % bh,
             "/host/%d/related/%d/" % (bh, br), "/host/%d/related/%d/delete/" % (bh, br),
             # Alice's host with bob's related host: still not hers.
             "/host/%d/related/%d/" % (world.host_id, br),
             "/host/%d/related/%d/delete/" % (world.host_id, br),
             "/updater_hostconfig_overview/%d/" % bh, "/updater_hostconfig/%d/" % bf,
             "/updater_hostconfig/%d/delete/" % bf]
    token = csrf_token(alice.get("/overview/").text)
    for path in paths:
        r = alice.get(path)
        assert r.status_code == 404, (path, r.status_code)
        r = alice.post(path, {"csrfmiddlewaretoken": token, "name": "x", "comment": "x",
                              "confirm": "1", "nameserver": "127.0.0.1",
                              "algorithm": "hmac-sha512"}, token=False)
        assert r.status_code in (404, 405), (path, r.status_code)
        assert "alert" not in r.text
    # The update buttons: another user's host is "nohost", and its record
    # stays as it was.
    before = world.named.query(world.bob_host.fqdn, "A")
    for action in ("/nic/update_authorized", "/nic/delete_authorized"):
        r = alice.post(action, {"csrfmiddlewaretoken": token, "hostname": world.bob_host.fqdn,
                                "myip": "192.0.2.9"}, token=False)
        assert r.text == "nohost", (action, r.status_code, r.text[:300])
    assert world.named.query(world.bob_host.fqdn, "A") == before
    # Bob's things are unharmed, and his record was not touched.
    bob = client(world.inst, BOB)
    for path in paths[:10]:
        if path.startswith("/host/%d/related/%d/" % (world.host_id, br)):
            continue
        assert bob.get(path).status_code == 200, path
    # Admin pages do not exist for users.
    for path in ("/admin/", "/admin/auth/user/", "/admin/main/host/%d/change/" % bh):
        assert alice.get(path).status_code == 404, path


# ---- cookies -----------------------------------------------------------------

def cookie_flags(r, name):
    for h in r.raw.headers.getlist("Set-Cookie"):
        if h.startswith(name + "="):
            return h, [f.strip().lower() for f in h.split(";")[1:]]
    raise AssertionError("no %s cookie in %r" % (name, r.raw.headers.getlist("Set-Cookie")))


@pytest.mark.parametrize("tls", [False, True], ids=["http", "we_have_tls"])
def test_cookie_flags(tmp_path, tls):
    inst = Nsupd(tmp_path)
    if tls:
        with open(inst.conf) as f:
            conf = f.read().replace("we_have_tls = false", "we_have_tls = true")
        with open(inst.conf, "w") as f:
            f.write(conf)
    inst.migrate()
    create_user(inst, "carol", PASSWORD)
    inst.start()
    try:
        c = client(inst)
        r = c.get("/accounts/login/")
        token = csrf_token(r.text)
        sid = r.cookies.get("sessionid")
        checks = []
        checks.append(cookie_flags(r, "sessionid"))
        for keep in (False, True):
            data = {"csrfmiddlewaretoken": token, "username": "carol", "password": PASSWORD}
            if keep:
                data["keep"] = "1"
            r = c.s.post(inst.url("/accounts/login/"), data=data, cookies={"sessionid": sid},
                         allow_redirects=False, timeout=30)
            assert r.status_code == 302, r.text[:2000]
            h, flags = cookie_flags(r, "sessionid")
            checks.append((h, flags))
            new_sid = h.split(";")[0].split("=", 1)[1]
            assert new_sid != sid            # a new id at login (no fixation)
            max_age = [f for f in flags if f.startswith("max-age=")]
            if keep:
                assert max_age and int(max_age[0].split("=")[1]) >= 7 * 86400, h
            else:
                assert not max_age, h
            page = c.s.get(inst.url("/about/"), cookies={"sessionid": new_sid}, timeout=30)
            token = csrf_token(page.text)
            sid = new_sid
        # The language selector's cookie.
        r = c.s.post(inst.url("/i18n/setlang/"), data={"csrfmiddlewaretoken": token,
                                                      "language": "de", "next": "/"},
                     cookies={"sessionid": sid}, allow_redirects=False, timeout=30)
        assert r.status_code == 302
        # A logged-in choice may go into the profile only; anonymous gets the
        # cookie. Ask as anonymous as well.
        anon = client(inst)
        page = anon.get("/")
        r = anon.s.post(inst.url("/i18n/setlang/"), data={
            "csrfmiddlewaretoken": csrf_token(page.text), "language": "fr", "next": "/"},
            cookies={"sessionid": page.cookies.get("sessionid")}, allow_redirects=False,
            timeout=30)
        assert r.status_code == 302
        checks.append(cookie_flags(r, "nsupd_lang"))
        for h, flags in checks:
            assert "httponly" in flags, h
            assert "samesite=lax" in flags, h
            assert "path=/" in flags, h
            assert ("secure" in flags) == tls, h
            assert not any(f.startswith("domain=") for f in flags), h
        # Logout deletes the session cookie.
        page = c.s.get(inst.url("/about/"), cookies={"sessionid": sid}, timeout=30)
        r = c.s.post(inst.url("/accounts/logout/"), data={
            "csrfmiddlewaretoken": csrf_token(page.text)}, cookies={"sessionid": sid},
            allow_redirects=False, timeout=30)
        assert r.status_code == 302
        h, flags = cookie_flags(r, "sessionid")
        assert "max-age=0" in flags or "expires=thu, 01 jan 1970 00:00:00 gmt" in flags, h
        r = c.s.get(inst.url("/overview/"), cookies={"sessionid": sid}, allow_redirects=False,
                    timeout=30)
        assert r.status_code == 302            # the old id is dead on the server too
    finally:
        assert inst.stop() == 0, inst.stderr()
