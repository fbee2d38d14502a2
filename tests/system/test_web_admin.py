"""The administration pages (/admin/, the original's Django admin) against a
real named: 404 for everyone but staff on every admin URL, search, filters,
sorting and paging, the change forms' validation, delete with its
consequences (DNS records really removed), bulk actions, the audit log with
values before and after, and `nsupd user set`."""

import datetime
import html
import re

import pytest

from conftest import DEFAULT_ZONE
from nsupdlib import Nsupd, unique_label
from webutil import WebClient, assert_security_headers, create_user

PASSWORD = "admin pass 4242"
ZONE = DEFAULT_ZONE                 # owned by "carol", public
ZONE2 = "sha256.nsupd.test"         # owned by "dave"

MODELS = ["auth/user", "main/host", "main/domain", "main/relatedhost", "main/serviceupdater",
          "main/serviceupdaterhostconfig", "main/blacklistedhost", "admin/logentry"]


@pytest.fixture(scope="module")
def site(named, tmp_path_factory):
    inst = Nsupd(tmp_path_factory.mktemp("web-admin"))
    inst.migrate()
    create_user(inst, "boss", PASSWORD, staff=True)
    create_user(inst, "carol", PASSWORD)
    create_user(inst, "dave", PASSWORD)
    z = named.zone_specs[ZONE]
    inst.add_domain(z.name, "carol", named.server, z.algorithm, z.secret, public=True)
    z = named.zone_specs[ZONE2]
    inst.add_domain(z.name, "dave", named.server, z.algorithm, z.secret)
    inst.start()
    yield inst
    rc = inst.stop()
    assert rc == 0, inst.stderr()


def staff(site):
    c = WebClient(site)
    c.login("boss", PASSWORD)
    return c


def row_ids(text):
    return [int(x) for x in re.findall(r'<tr id="row-(\d+)"', text)]


def row_titles(text):
    return [html.unescape(t) for t in
            re.findall(r'<th scope="row" class="text-break"><a href="[^"]*" class="fw-semibold">([^<]*)</a>',
                       text)]


def host_id(c, fqdn):
    page = c.get("/admin/main/host/", params={"q": fqdn})
    assert page.status_code == 200
    m = re.search(r'<tr id="row-(\d+)"[^>]*>\s*<td class="admin-check">.*?>%s<' % re.escape(fqdn),
                  page.text, re.S)
    assert m, page.text[:3000]
    return int(m.group(1))


def object_id(c, model, text):
    page = c.get("/admin/%s/" % model, params={"q": text})
    assert page.status_code == 200
    ids = row_ids(page.text)
    assert len(ids) == 1, (model, text, ids)
    return ids[0]


def update(site, host, myip):
    return site.get("/nic/update", params={"hostname": host.fqdn, "myip": myip}, auth=host.auth)


def audit_entries(c, q):
    """[(id, action, object)] of the audit log entries matching q, newest first."""
    page = c.get("/admin/admin/logentry/", params={"q": q})
    assert page.status_code == 200
    out = []
    for m in re.finditer(r'<tr id="row-(\d+)".*?</tr>', page.text, re.S):
        cells = re.findall(r'<td[^>]*>([^<]*)</td>', m.group(0))
        out.append((int(m.group(1)), html.unescape(cells[1]), html.unescape(cells[2])))
    return out


def audit_changes(c, entry_id):
    page = c.get("/admin/admin/logentry/%d/change/" % entry_id)
    assert page.status_code == 200
    rows = re.findall(r'<tr><th scope="row" class="font-monospace small">([^<]*)</th>'
                      r'<td[^>]*>([^<]*)</td><td[^>]*>([^<]*)</td></tr>', page.text)
    return {k: (html.unescape(b), html.unescape(a)) for k, b, a in rows}


# --- access ------------------------------------------------------------------------------

def admin_urls(site):
    """Every admin URL with real ids, for GET, plus the POST targets."""
    c = staff(site)
    h = site.add_host(ZONE, "carol")
    hid = host_id(c, h.fqdn)
    site.cli("host", "related", "add", h.fqdn, "acc", "--interface-id-ipv4", "0.0.0.5")
    svc = unique_label("svc")
    site.cli("service", "add", svc, "--server", "127.0.0.1:9", "--accept-ipv4")
    site.cli("host", "forward", "add", h.fqdn, "--service", svc, "--login", "x",
             "--password-stdin", input="pw\n")
    site.cli("blacklist", "add", "^acc" + unique_label("b"))
    ids = {
        "auth/user": object_id(c, "auth/user", "carol"),
        "main/host": hid,
        "main/domain": object_id(c, "main/domain", ZONE2),
        "main/relatedhost": object_id(c, "main/relatedhost", "acc." + h.fqdn),
        "main/serviceupdater": object_id(c, "main/serviceupdater", svc),
        "main/serviceupdaterhostconfig": object_id(c, "main/serviceupdaterhostconfig", svc),
        "main/blacklistedhost": row_ids(c.get("/admin/main/blacklistedhost/").text)[0],
    }
    c.post("/admin/main/host/%d/change/" % hid, {"netmask_ipv4": "32", "netmask_ipv6": "64",
                                                 "available": "1", "comment": "acc"})
    ids["admin/logentry"] = row_ids(c.get("/admin/admin/logentry/").text)[0]
    gets = ["/admin/", "/admin/nosuch/model/", "/admin", "/admin/main/host"]
    posts = []
    for m in MODELS:
        base = "/admin/%s/" % m
        gets += [base, base + "?q=a&sort=id&dir=desc&page=2", base + "%d/change/" % ids[m]]
        posts += [base, base + "%d/change/" % ids[m]]
        if m != "admin/logentry":
            gets.append(base + "%d/delete/" % ids[m])
            posts.append(base + "%d/delete/" % ids[m])
    for m in ("main/serviceupdater", "main/blacklistedhost"):
        gets.append("/admin/%s/add/" % m)
        posts.append("/admin/%s/add/" % m)
    return c, gets, posts, h


def test_admin_urls_are_404_for_everyone_but_staff(site, named):
    c, gets, posts, host = admin_urls(site)
    for path in gets:
        if "nosuch" in path or not path.endswith(("/", "/?q=a&sort=id&dir=desc&page=2")):
            continue
        r = c.get(path)
        assert r.status_code == 200, (path, r.status_code)
        assert_security_headers(r)
    anon = WebClient(site)
    user = WebClient(site)
    user.login("carol", PASSWORD)
    token_page = user.get("/overview/")
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]*)"', token_page.text).group(1)
    for who, client in (("anonymous", anon), ("carol", user)):
        for path in gets:
            r = client.get(path)
            assert r.status_code == 404, (who, "GET", path, r.status_code)
            assert "Location" not in r.headers
        for path in posts:
            for data in ({"action": "set_abuse_blocked", "ids": "1"},
                         {"csrfmiddlewaretoken": token, "action": "set_abuse_blocked",
                          "ids": "1", "comment": "x"}):
                r = client.s.post(site.url(path), data=data, allow_redirects=False, timeout=30)
                assert r.status_code == 404, (who, "POST", path, r.status_code)
    # Nothing changed behind the 404s.
    assert site.show(host.fqdn)["abuse_blocked"] is False
    assert update(site, host, "192.0.2.80").text.startswith("good")


def test_staff_sees_the_link_and_users_do_not(site):
    assert 'href="/admin/"' in staff(site).get("/overview/").text
    user = WebClient(site)
    user.login("carol", PASSWORD)
    assert 'href="/admin/"' not in user.get("/overview/").text


def test_cli_user_set_staff_and_active(site):
    name = unique_label("u")
    create_user(site, name, PASSWORD)
    c = WebClient(site)
    c.login(name, PASSWORD)
    assert c.get("/admin/").status_code == 404
    site.cli("user", "set", name, "--staff", "yes")
    assert c.get("/admin/").status_code == 200
    site.cli("user", "set", name, "--staff", "no")
    assert c.get("/admin/").status_code == 404
    site.cli("user", "set", name, "--active", "no")
    # The session ended and a new login is refused.
    assert c.get("/overview/").status_code == 302
    r = c.post("/accounts/login/", {"username": name, "password": PASSWORD})
    assert r.status_code == 200
    site.cli("user", "set", name, "--active", "yes")
    c.login(name, PASSWORD)
    for bad in (["user", "set", name], ["user", "set", name, "--staff", "maybe"],
                ["user", "set", "nosuchuser" + name, "--staff", "yes"]):
        p = site.run(*bad)
        assert p.returncode != 0 and p.stderr.count("\n") == 1, (bad, p.stderr)
    entries = audit_entries(staff(site), name)
    assert entries and entries[0][1] == "user.change"
    assert audit_changes(staff(site), entries[0][0])["active"] == ("false", "true")


# --- lists -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def many(site):
    """25 hosts of one prefix: 3 abuse, 2 abuse-blocked, 4 unavailable."""
    prefix = unique_label("lst")
    hosts = [site.add_host(ZONE, "carol", "%s-%02d" % (prefix, i)) for i in range(25)]
    for h in hosts[:3]:
        site.set(h.fqdn, abuse=True)
    for h in hosts[3:5]:
        site.set(h.fqdn, abuse_blocked=True)
    for h in hosts[5:9]:
        site.set(h.fqdn, available=False)
    return prefix, hosts


def test_search_finds_a_host_by_name(site, many):
    prefix, hosts = many
    c = staff(site)
    page = c.get("/admin/main/host/", params={"q": hosts[7].fqdn.upper()})
    assert page.status_code == 200
    assert row_titles(page.text) == [hosts[7].fqdn]
    page = c.get("/admin/main/host/", params={"q": prefix})
    assert len(row_ids(page.text)) == 25
    assert '<span class="badge text-bg-secondary align-middle fs-6" id="total">25</span>' in page.text
    # Wildcards are taken literally.
    assert row_ids(c.get("/admin/main/host/", params={"q": prefix + "%"}).text) == []
    assert row_ids(c.get("/admin/main/host/", params={"q": "_" + prefix[1:]}).text) == []
    # Search also covers the owner.
    page = c.get("/admin/main/host/", params={"q": "carol", "per_page": "100"})
    assert set(h.fqdn for h in hosts) <= set(row_titles(page.text))


@pytest.mark.parametrize("flag, expected", [("abuse", range(0, 3)), ("abuse_blocked", range(3, 5)),
                                            ("unavailable", range(5, 9))])
def test_filters(site, many, flag, expected):
    prefix, hosts = many
    page = staff(site).get("/admin/main/host/", params={"q": prefix, flag: "1"})
    assert sorted(row_titles(page.text)) == [hosts[i].fqdn for i in expected]
    assert 'id="filter-%s"' % flag in page.text


def test_filter_created_period(site, many):
    prefix, hosts = many
    c = staff(site)
    today = datetime.datetime.now(datetime.timezone.utc).date()
    tomorrow = today + datetime.timedelta(days=1)
    yesterday = today - datetime.timedelta(days=1)
    n = len(row_ids(c.get("/admin/main/host/", params={"q": prefix, "created_from": str(today),
                                                       "created_to": str(today)}).text))
    assert n == 25
    assert row_ids(c.get("/admin/main/host/", params={"q": prefix,
                                                      "created_from": str(tomorrow)}).text) == []
    assert row_ids(c.get("/admin/main/host/", params={"q": prefix,
                                                      "created_to": str(yesterday)}).text) == []
    # A malformed date is ignored, not an error.
    assert c.get("/admin/main/host/", params={"created_from": "2024-13-99"}).status_code == 200


def test_sort_and_paging(site, many):
    prefix, hosts = many
    c = staff(site)
    names = sorted(h.fqdn for h in hosts)
    got = []
    for page in (1, 2, 3):
        r = c.get("/admin/main/host/", params={"q": prefix, "sort": "name", "dir": "asc",
                                               "per_page": "10", "page": str(page)})
        got += row_titles(r.text)
        assert ("Rows %d–%d of 25" % (page * 10 - 9, min(page * 10, 25))) in html.unescape(r.text)
    assert got == names
    r = c.get("/admin/main/host/", params={"q": prefix, "sort": "name", "dir": "desc",
                                           "per_page": "10"})
    assert row_titles(r.text) == names[::-1][:10]
    # The next-page link keeps search, sort and page size.
    nxt = html.unescape(re.search(r'href="([^"]*)" id="page-next"', r.text).group(1))
    assert "q=" + prefix in nxt and "sort=name" in nxt and "dir=desc" in nxt and "page=2" in nxt
    assert row_titles(c.get(nxt).text) == names[::-1][10:20]
    # Unknown sort keys fall back to the default order instead of failing.
    assert c.get("/admin/main/host/", params={"sort": "secret_hash"}).status_code == 200
    # A page past the end is empty, not an error.
    r = c.get("/admin/main/host/", params={"q": prefix, "page": "99"})
    assert r.status_code == 200 and row_ids(r.text) == []


def test_other_lists_search_and_filter(site):
    c = staff(site)
    page = c.get("/admin/auth/user/", params={"staff": "1"})
    assert row_titles(page.text) == ["boss"]
    page = c.get("/admin/main/domain/", params={"public": "1"})
    assert ZONE in row_titles(page.text) and ZONE2 not in row_titles(page.text)
    page = c.get("/admin/main/domain/", params={"q": "dave"})
    assert row_titles(page.text) == [ZONE2]
    # The id filters from the detail pages' links.
    dave = object_id(c, "auth/user", "dave")
    page = c.get("/admin/main/domain/", params={"owner": str(dave)})
    assert row_titles(page.text) == [ZONE2]


def test_list_escapes_user_data(site):
    c = staff(site)
    h = site.add_host(ZONE, "carol")
    hid = host_id(c, h.fqdn)
    r = c.post("/admin/main/host/%d/change/" % hid, {"comment": "<script>x</script>",
                                                     "netmask_ipv4": "32", "netmask_ipv6": "64",
                                                     "available": "1"})
    assert r.status_code == 302
    page = c.get("/admin/main/host/%d/change/" % hid).text
    assert "<script>x</script>" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    page = c.get("/admin/admin/logentry/", params={"q": h.fqdn}).text
    assert "<script>x" not in page


# --- change forms ------------------------------------------------------------------------

HOST_OK = {"comment": "", "netmask_ipv4": "32", "netmask_ipv6": "64", "available": "1"}


@pytest.mark.parametrize("change, field, message", [
    ({"netmask_ipv4": "33"}, "netmask_ipv4", "Enter a whole number from 0 to 32."),
    ({"netmask_ipv6": "65"}, "netmask_ipv6", "Enter a whole number from 0 to 64."),
    ({"netmask_ipv6": "x"}, "netmask_ipv6", "Enter a whole number from 0 to 64."),
    ({"comment": "c" * 256}, "comment", "Ensure this value has at most 255 characters."),
])
def test_host_form_validation(site, change, field, message):
    c = staff(site)
    h = site.add_host(ZONE, "carol")
    hid = host_id(c, h.fqdn)
    data = dict(HOST_OK, **change)
    data["abuse_blocked"] = "1"
    r = c.post("/admin/main/host/%d/change/" % hid, data)
    assert r.status_code == 200
    assert 'id="error_%s">%s<' % (field, html.escape(message, quote=True)) in r.text
    shown = site.show(h.fqdn)
    assert shown["abuse_blocked"] is False and shown["netmask_ipv4"] == 32


@pytest.mark.parametrize("model, lookup, data, field", [
    ("main/domain", ZONE2, {"nameserver": "not an address", "algorithm": "hmac-sha256"},
     "nameserver"),
    ("main/domain", ZONE2, {"nameserver": "127.0.0.1", "nameserver2": "1.2.3",
                            "algorithm": "hmac-sha256"}, "nameserver2"),
    ("main/domain", ZONE2, {"nameserver": "127.0.0.1", "algorithm": "hmac-sha999"}, "algorithm"),
    ("main/domain", ZONE2, {"nameserver": "127.0.0.1", "algorithm": "hmac-sha256",
                            "secret": "not base64!"}, "secret"),
    ("main/domain", ZONE2, {"nameserver": "127.0.0.1", "algorithm": "hmac-sha256",
                            "public": "1"}, "public"),
    ("auth/user", "dave", {"email": "not-an-address", "active": "1"}, "email"),
    ("auth/user", "dave", {"email": "dave@example.org", "language": "xx", "active": "1"},
     "language"),
])
def test_form_validation_other_models(site, model, lookup, data, field):
    c = staff(site)
    oid = object_id(c, model, lookup)
    before = c.get("/admin/%s/%d/change/" % (model, oid)).text
    r = c.post("/admin/%s/%d/change/" % (model, oid), data)
    assert r.status_code == 200
    assert 'id="error_%s"' % field in r.text, r.text[:4000]
    assert "Please correct the errors below." in r.text
    # Nothing was stored.
    after = c.get("/admin/%s/%d/change/" % (model, oid)).text
    strip = lambda t: re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", t)
    assert strip(before) == strip(after)


def test_related_and_service_and_blacklist_validation(site):
    c = staff(site)
    h = site.add_host(ZONE, "carol")
    site.cli("host", "related", "add", h.fqdn, "val", "--interface-id-ipv4", "0.0.0.5")
    rid = object_id(c, "main/relatedhost", "val." + h.fqdn)
    r = c.post("/admin/main/relatedhost/%d/change/" % rid, {"interface_id_ipv4": "1.2.3.4.5"})
    assert r.status_code == 200 and 'id="error_interface_id_ipv4"' in r.text
    r = c.post("/admin/main/relatedhost/%d/change/" % rid, {"interface_id_ipv4": "7",
                                                             "interface_id_ipv6": "::1:2",
                                                             "available": "1"})
    assert r.status_code == 302
    page = c.get("/admin/main/relatedhost/%d/change/" % rid).text
    assert 'value="0.0.0.7"' in page and 'value="::1:2"' in page

    r = c.post("/admin/main/serviceupdater/add/", {"name": "s", "server": "a b", "path": "/x"})
    assert r.status_code == 200 and 'id="error_server"' in r.text
    r = c.post("/admin/main/serviceupdater/add/", {"name": "s", "server": "example.net",
                                                   "path": "nope"})
    assert r.status_code == 200 and 'id="error_path"' in r.text
    name = unique_label("svc")
    r = c.post("/admin/main/serviceupdater/add/", {"name": name, "server": "example.net:8080",
                                                   "path": "/nic/update", "secure": "1",
                                                   "accept_ipv4": "1"})
    assert r.status_code == 302
    assert name in site.cli("service", "list")
    r = c.post("/admin/main/serviceupdater/add/", {"name": name, "server": "example.net",
                                                   "path": "/nic/update"})
    assert r.status_code == 200 and 'id="error_name"' in r.text

    r = c.post("/admin/main/blacklistedhost/add/", {"name_re": "a("})
    assert r.status_code == 200 and 'id="error_name_re"' in r.text
    expr = "^evil" + unique_label("x")
    r = c.post("/admin/main/blacklistedhost/add/", {"name_re": expr})
    assert r.status_code == 302
    assert expr in site.cli("blacklist", "list")
    entries = audit_entries(c, expr)
    assert entries[0][1] == "blacklist.add"


def test_change_host_writes_audit_with_before_and_after(site, named):
    c = staff(site)
    h = site.add_host(ZONE, "carol")
    assert update(site, h, "192.0.2.91").text.startswith("good")
    hid = host_id(c, h.fqdn)
    r = c.post("/admin/main/host/%d/change/" % hid, dict(HOST_OK, comment="checked",
                                                         netmask_ipv4="24"))
    assert r.status_code == 302
    assert r.headers["Location"] == "/admin/main/host/%d/change/" % hid
    assert site.show(h.fqdn)["netmask_ipv4"] == 24
    assert 'value="checked"' in c.get("/admin/main/host/%d/change/" % hid).text
    # Records stay: no flag was set.
    assert named.query(h.fqdn, "A") == ["192.0.2.91"]
    entries = audit_entries(c, h.fqdn)
    assert entries[0][1] == "host.change" and h.fqdn in entries[0][2]
    changes = audit_changes(c, entries[0][0])
    assert changes == {"comment": ('""', '"checked"'), "netmask_ipv4": ("32", "24")}
    page = c.get("/admin/admin/logentry/%d/change/" % entries[0][0]).text
    assert "boss" in page
    # Saving again without a change writes no entry.
    r = c.post("/admin/main/host/%d/change/" % hid, dict(HOST_OK, comment="checked",
                                                         netmask_ipv4="24"))
    assert r.status_code == 302
    assert len(audit_entries(c, h.fqdn)) == 1


def test_setting_abuse_blocked_in_the_form_removes_records(site, named):
    c = staff(site)
    h = site.add_host(ZONE, "carol")
    assert update(site, h, "192.0.2.92,2001:db8::92").text.startswith("good")
    hid = host_id(c, h.fqdn)
    r = c.post("/admin/main/host/%d/change/" % hid, dict(HOST_OK, abuse_blocked="1"))
    assert r.status_code == 302
    assert named.query(h.fqdn, "A") == [] and named.query(h.fqdn, "AAAA") == []
    assert update(site, h, "192.0.2.93").text == "abuse"
    assert named.query(h.fqdn, "A") == []


def test_deactivating_a_user_in_the_form_ends_sessions(site):
    name = unique_label("u")
    create_user(site, name, PASSWORD)
    u = WebClient(site)
    u.login(name, PASSWORD)
    assert u.get("/overview/").status_code == 200
    c = staff(site)
    uid = object_id(c, "auth/user", name)
    r = c.post("/admin/auth/user/%d/change/" % uid, {"email": name + "@example.org",
                                                     "first_name": "First"})
    assert r.status_code == 302
    assert u.get("/overview/").status_code == 302
    changes = audit_changes(c, audit_entries(c, name)[0][0])
    assert changes["active"] == ("true", "false") and changes["first_name"] == ('""', '"First"')


def test_staff_cannot_lock_themselves_out(site):
    c = staff(site)
    bid = object_id(c, "auth/user", "boss")
    r = c.post("/admin/auth/user/%d/change/" % bid, {"email": "boss@example.org", "active": "1"})
    assert r.status_code == 200 and 'id="error_staff"' in r.text
    r = c.post("/admin/auth/user/", {"action": "deactivate", "ids": str(bid)},
               form_page="/admin/auth/user/")
    assert r.status_code == 302
    assert c.get("/admin/").status_code == 200


# --- bulk actions ------------------------------------------------------------------------

def bulk(c, model, action, ids):
    return c.post("/admin/%s/" % model, {"action": action, "ids": [str(i) for i in ids]},
                  form_page="/admin/%s/" % model)


def test_bulk_abuse_blocked_and_back(site, named):
    c = staff(site)
    hosts = [site.add_host(ZONE, "carol") for _ in range(3)]
    for i, h in enumerate(hosts):
        assert update(site, h, "192.0.2.%d" % (100 + i)).text.startswith("good")
    ids = [host_id(c, h.fqdn) for h in hosts[:2]]
    r = bulk(c, "main/host", "set_abuse_blocked", ids)
    assert r.status_code == 302
    page = c.get(r.headers["Location"]).text
    assert "2 of the selected rows changed" in page
    for h in hosts[:2]:
        assert site.show(h.fqdn)["abuse_blocked"] is True
        assert named.query(h.fqdn, "A") == []
        assert update(site, h, "192.0.2.110").text == "abuse"
    # The third host is untouched.
    assert named.query(hosts[2].fqdn, "A") == ["192.0.2.102"]
    assert site.show(hosts[2].fqdn)["abuse_blocked"] is False
    for h in hosts[:2]:
        entries = audit_entries(c, h.fqdn)
        assert entries[0][1] == "host.set_abuse_blocked"
        assert audit_changes(c, entries[0][0]) == {"abuse_blocked": ("false", "true")}
    r = bulk(c, "main/host", "clear_abuse_blocked", ids)
    assert r.status_code == 302
    for h in hosts[:2]:
        assert site.show(h.fqdn)["abuse_blocked"] is False
        assert update(site, h, "192.0.2.111").text.startswith("good")


def test_bulk_reset_faults_and_availability(site):
    c = staff(site)
    h = site.add_host(ZONE, "carol")
    for _ in range(3):
        site.get("/nic/update", params={"hostname": h.fqdn, "myip": "192.0.2.120"},
                 auth=(h.fqdn, "wrong secret"))
    assert update(site, h, "192.0.2.120").text.startswith("good")
    assert update(site, h, "192.0.2.120").text.startswith("nochg")
    before = site.show(h.fqdn)
    assert before["client_faults"] >= 1 and before["api_auth_faults"] >= 3
    hid = host_id(c, h.fqdn)
    assert bulk(c, "main/host", "reset_faults", [hid]).status_code == 302
    after = site.show(h.fqdn)
    assert after["client_faults"] == 0 and after["api_auth_faults"] == 0
    changes = audit_changes(c, audit_entries(c, h.fqdn)[0][0])
    assert changes["api_auth_faults"] == (str(before["api_auth_faults"]), "0")
    assert bulk(c, "main/host", "make_unavailable", [hid]).status_code == 302
    assert update(site, h, "192.0.2.121").text == "nohost"
    assert bulk(c, "main/host", "make_available", [hid]).status_code == 302
    assert update(site, h, "192.0.2.121").text.startswith("good")


def test_bulk_deactivate_users(site):
    names = [unique_label("u") for _ in range(2)]
    clients = []
    for n in names:
        create_user(site, n, PASSWORD)
        u = WebClient(site)
        u.login(n, PASSWORD)
        clients.append(u)
    c = staff(site)
    ids = [object_id(c, "auth/user", n) for n in names]
    assert bulk(c, "auth/user", "deactivate", ids).status_code == 302
    for u in clients:
        assert u.get("/overview/").status_code == 302
    page = c.get("/admin/auth/user/", params={"inactive": "1"}).text
    assert set(names) <= set(row_titles(page))
    assert bulk(c, "auth/user", "activate", ids).status_code == 302
    clients[0].login(names[0], PASSWORD)


def test_bulk_needs_action_and_rows_and_token(site):
    c = staff(site)
    r = bulk(c, "main/host", "", [1])
    assert r.status_code == 302 and "Choose an action." in c.get(r.headers["Location"]).text
    r = bulk(c, "main/host", "reset_faults", [])
    assert r.status_code == 302
    assert "Select the rows to change first." in c.get(r.headers["Location"]).text
    r = c.post("/admin/main/host/", {"action": "reset_faults", "ids": "1"}, token=False)
    assert r.status_code == 403


# --- delete ------------------------------------------------------------------------------

def test_delete_host_confirms_and_removes_records(site, named):
    c = staff(site)
    h = site.add_host(ZONE, "carol")
    site.set(h.fqdn, netmask_ipv4=24)
    site.cli("host", "related", "add", h.fqdn, "nas", "--interface-id-ipv4", "0.0.0.9")
    assert update(site, h, "192.0.2.130,2001:db8::130").text.startswith("good")
    assert named.query("nas." + h.fqdn, "A") == ["192.0.2.9"]
    hid = host_id(c, h.fqdn)
    page = c.get("/admin/main/host/%d/delete/" % hid).text
    assert "A and AAAA records are removed from DNS" in page
    assert "Related hosts (their records are removed too): 1" in html.unescape(page)
    r = c.post("/admin/main/host/%d/delete/" % hid, {})
    assert r.status_code == 302 and r.headers["Location"] == "/admin/main/host/"
    assert named.query(h.fqdn, "A") == [] and named.query(h.fqdn, "AAAA") == []
    assert named.query("nas." + h.fqdn, "A") == []
    assert site.run("host", "show", h.fqdn, "--json").returncode != 0
    assert c.get("/admin/main/host/%d/change/" % hid).status_code == 404
    entries = audit_entries(c, h.fqdn)
    assert entries[0][1] == "host.delete"
    changes = audit_changes(c, entries[0][0])
    assert changes["fqdn"] == ('"%s"' % h.fqdn, "–")


def test_delete_domain_lists_its_hosts_and_removes_their_records(site, named):
    c = staff(site)
    z = named.zone_specs["sha384.nsupd.test"]
    site.add_domain(z.name, "dave", named.server, z.algorithm, z.secret)
    hosts = [site.add_host(z.name, "dave") for _ in range(2)]
    for i, h in enumerate(hosts):
        assert update(site, h, "192.0.2.%d" % (140 + i)).text.startswith("good")
    did = object_id(c, "main/domain", z.name)
    page = html.unescape(c.get("/admin/main/domain/%d/delete/" % did).text)
    assert "Hosts of this domain: 2" in page
    for h in hosts:
        assert h.fqdn in page
    r = c.post("/admin/main/domain/%d/delete/" % did, {})
    assert r.status_code == 302
    for h in hosts:
        assert named.query(h.fqdn, "A") == []
        assert site.run("host", "show", h.fqdn, "--json").returncode != 0
    assert audit_entries(c, z.name)[0][1] == "domain.delete"


def test_delete_user_says_what_goes(site, named):
    c = staff(site)
    name = unique_label("u")
    create_user(site, name, PASSWORD)
    h = site.add_host(ZONE, name)
    assert update(site, h, "192.0.2.150").text.startswith("good")
    uid = object_id(c, "auth/user", name)
    page = html.unescape(c.get("/admin/auth/user/%d/delete/" % uid).text)
    assert "Hosts of this user: 1" in page and h.fqdn in page
    assert c.post("/admin/auth/user/%d/delete/" % uid, {}).status_code == 302
    assert named.query(h.fqdn, "A") == []
    assert c.get("/admin/auth/user/%d/change/" % uid).status_code == 404
    # Staff cannot delete themselves.
    bid = object_id(c, "auth/user", "boss")
    assert c.post("/admin/auth/user/%d/delete/" % bid, {}).status_code == 302
    assert c.get("/admin/").status_code == 200


def test_delete_blacklist_and_service_entries(site):
    c = staff(site)
    expr = "^gone" + unique_label("x")
    site.cli("blacklist", "add", expr)
    bid = object_id(c, "main/blacklistedhost", expr)
    assert c.post("/admin/main/blacklistedhost/%d/delete/" % bid, {}).status_code == 302
    assert expr not in site.cli("blacklist", "list")
    # The audit log itself cannot be deleted or edited.
    eid = row_ids(c.get("/admin/admin/logentry/").text)[0]
    assert c.get("/admin/admin/logentry/%d/delete/" % eid).status_code == 404
    assert c.post("/admin/admin/logentry/%d/change/" % eid, {},
                  form_page="/admin/admin/logentry/").status_code == 404


@pytest.mark.parametrize("lang, words", [
    ("de", ["Verwaltung", "Änderungsprotokoll", "Wegen Missbrauchs gesperrt", "Suchen"]),
    ("fr", ["Administration", "Journal d'audit", "Bloqué pour abus", "Rechercher"]),
    ("it", ["Amministrazione", "Registro delle modifiche", "Bloccato per abuso", "Cerca"]),
])
def test_admin_pages_are_translated(site, lang, words):
    c = WebClient(site, accept_language=lang)
    c.login("boss", PASSWORD)
    text = html.unescape(c.get("/admin/").text + c.get("/admin/main/host/").text)
    for w in words:
        assert w in text, (lang, w)
