"""The related-host pages (spec 5.7) and the pages for updating other services
(spec 5.8) against a real named: the status codes of spec 9.2 for their URLs,
add/edit/delete with validation messages, a related host's record following
the main host through /nic/update, delete removing its records, and the
forward configuration (whose password never appears in a page) with the
result of a forward to a dyndns2 stub shown on the pages."""

import base64
import html
import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests

from nsupdlib import Nsupd, answer
from webutil import WebClient, assert_security_headers, create_user

PASSWORD = "related pass 42"
ZONE = "sha256.nsupd.test"          # alice's
BOB_ZONE = "sha384.nsupd.test"      # bob's
SERVICE_PASSWORD = "Fw-pa55word-never-shown-7f3a"
A, AAAA = "A", "AAAA"


class Stub:
    """A dyndns2 server on loopback that answers `good` and records requests."""

    def __init__(self, status=200, body="good"):
        self.requests = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                u = urlsplit(self.path)
                stub.requests.append({"path": u.path, "query": parse_qsl(u.query, True),
                                      "auth": self.headers.get("Authorization", "")})
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


@pytest.fixture(scope="module")
def stub():
    s = Stub(200, "good 192.0.2.99")
    yield s
    s.close()


@pytest.fixture(scope="module")
def site(named, stub, tmp_path_factory):
    inst = Nsupd(tmp_path_factory.mktemp("web-related"),
                 extra="[forward]\nretry_min = 1\nretry_max = 2\n")
    inst.migrate()
    create_user(inst, "alice", PASSWORD)
    create_user(inst, "bob", PASSWORD)
    for zone, owner in ((ZONE, "alice"), (BOB_ZONE, "bob")):
        z = named.zone_specs[zone]
        inst.add_domain(zone, owner, named.server, z.algorithm, z.secret)
    inst.cli("service", "add", "stubdns", "--server", "127.0.0.1:%d" % stub.port,
             "--path", "/nic/update", "--no-tls", "--accept-ipv4", "--accept-ipv6")
    inst.cli("service", "add", "v4only", "--server", "127.0.0.1:9", "--no-tls",
             "--accept-ipv4")
    inst.start()
    yield inst
    rc = inst.stop()
    assert rc == 0, inst.stderr()
    for bad in ("runtime error", "AddressSanitizer", "LeakSanitizer"):
        assert bad not in inst.stderr(10 ** 6), inst.stderr()


def client(site, user="alice"):
    c = WebClient(site)
    c.login(user, PASSWORD)
    return c


def host_id(c, fqdn):
    page = c.get("/overview/").text
    m = re.search(r'<a href="/host/(\d+)/"[^>]*>%s</a>' % re.escape(fqdn), page)
    assert m, fqdn
    return int(m.group(1))


def new_host(site, c, zone=ZONE, owner="alice"):
    h = site.add_host(zone, owner)
    return h, host_id(c, h.fqdn)


def nic(site, h, **params):
    return requests.get(site.url("/nic/update"), params=params, auth=(h.fqdn, h.secret),
                        timeout=30)


def add_related(c, hid, name, id4="", id6="", comment="", available=True):
    data = {"name": name, "comment": comment, "interface_id_ipv4": id4,
            "interface_id_ipv6": id6}
    if available:
        data["available"] = "on"
    return c.post("/host/%d/related/add/" % hid, data)


def related_ids(c, hid):
    """{name: id} from the list page."""
    page = c.get("/host/%d/related/" % hid)
    assert page.status_code == 200
    return {m.group(2).split(".")[0]: int(m.group(1)) for m in re.finditer(
        r'<a href="/host/%d/related/(\d+)/" class="[^"]*related-name">([^<]+)</a>' % hid,
        page.text)}


def field_error(text, field):
    m = re.search(r'id="id_%s_error" role="alert">([^<]*)<' % field, text)
    return html.unescape(m.group(1)) if m else None


def wait_for(pred, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while True:
        v = pred()
        if v:
            return v
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting for " + what)
        time.sleep(0.1)


# --- access rules (spec 9.2) ---------------------------------------------------------

def test_status_codes(site):
    alice = client(site)
    bob = client(site, "bob")
    h1, hid1 = new_host(site, alice)
    h2, hid2 = new_host(site, bob, BOB_ZONE, "bob")
    assert add_related(alice, hid1, "rh", "0.0.0.1", "::1").status_code == 302
    assert add_related(bob, hid2, "rh", "0.0.0.1", "::1").status_code == 302
    rid1 = related_ids(alice, hid1)["rh"]
    rid2 = related_ids(bob, hid2)["rh"]
    r = alice.post("/updater_hostconfig_overview/%d/" % hid1,
                   {"service": service_id(alice, hid1, "stubdns"), "name": "login1",
                    "password": SERVICE_PASSWORD, "give_ipv4": "on"})
    assert r.status_code == 302, r.text[:2000]
    cid1 = config_ids(alice, hid1)[0]
    r = bob.post("/updater_hostconfig_overview/%d/" % hid2,
                 {"service": service_id(bob, hid2, "stubdns"), "name": "login2",
                  "password": SERVICE_PASSWORD, "give_ipv4": "on"})
    assert r.status_code == 302
    cid2 = config_ids(bob, hid2)[0]
    missing = 10 ** 6

    anon = WebClient(site)
    for path in ["/host/%d/related/" % hid1, "/host/%d/related/" % missing,
                 "/host/%d/related/%d/" % (hid1, rid1),
                 "/host/%d/related/add/" % hid1, "/host/%d/related/add/" % hid2,
                 "/host/%d/related/add/" % missing,
                 "/host/%d/related/%d/delete/" % (hid1, rid1),
                 "/updater_hostconfig_overview/%d/" % hid1, "/updater_hostconfig/%d/" % cid1,
                 "/updater_hostconfig/%d/delete/" % cid1]:
        r = anon.get(path)
        assert r.status_code == 302, (path, r.status_code)
        assert r.headers["Location"] == "/accounts/login/?next=" + path

    for path in ["/host/%d/related/" % hid1, "/host/%d/related/%d/" % (hid1, rid1),
                 "/host/%d/related/add/" % hid1, "/host/%d/related/%d/delete/" % (hid1, rid1),
                 "/updater_hostconfig_overview/%d/" % hid1, "/updater_hostconfig/%d/" % cid1,
                 "/updater_hostconfig/%d/delete/" % cid1]:
        r = alice.get(path)
        assert r.status_code == 200, (path, r.status_code)
        assert_security_headers(r)

    pairs = [(hid2, rid1), (missing, rid1), (hid1, rid2), (hid1, missing)]
    not_found = ["/host/%d/related/" % x for x in (hid2, missing)]
    not_found += ["/host/%d/related/add/" % x for x in (hid2, missing)]
    not_found += ["/host/%d/related/%d/" % p for p in pairs]
    not_found += ["/host/%d/related/%d/delete/" % p for p in pairs]
    not_found += ["/updater_hostconfig_overview/%d/" % x for x in (hid2, missing)]
    not_found += ["/updater_hostconfig/%d/" % x for x in (cid2, missing)]
    not_found += ["/updater_hostconfig/%d/delete/" % x for x in (cid2, missing)]
    for path in not_found:
        r = alice.get(path)
        assert r.status_code == 404, (path, r.status_code)
        # POSTs too (with a valid token of alice's session): never a change.
        r = alice.post(path, {"name": "x", "password": "y", "service": "1"},
                       form_page="/overview/")
        # The list is GET only.
        assert r.status_code == (405 if path.endswith("/related/") else 404), \
            (path, r.status_code)
    # bob's related host and configuration are still there.
    assert related_ids(bob, hid2) == {"rh": rid2}
    assert config_ids(bob, hid2) == [cid2]

    # Without the CSRF token: 403, nothing deleted.
    r = alice.post("/host/%d/related/%d/delete/" % (hid1, rid1), {}, token=False)
    assert r.status_code == 403
    r = alice.post("/updater_hostconfig/%d/delete/" % cid1, {}, token=False)
    assert r.status_code == 403
    assert related_ids(alice, hid1) == {"rh": rid1}
    assert config_ids(alice, hid1) == [cid1]
    # Trailing slash and methods.
    r = alice.get("/host/%d/related" % hid1)
    assert r.status_code == 301 and r.headers["Location"] == "/host/%d/related/" % hid1


# --- related hosts -------------------------------------------------------------------

def test_add_validation_messages(site):
    c = client(site)
    h, hid = new_host(site, c)
    cases = [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "-bad"}, "name", "Use letters a-z, digits and hyphens"),
        ({"name": "a" * 64}, "name", "Use letters a-z"),
        ({"name": "ok", "interface_id_ipv4": "1.2.3"}, "ifid4",
         "Enter a valid IPv4 interface ID: a dotted quad like 0.0.0.1, or a number like 1."),
        ({"name": "ok", "interface_id_ipv4": "4294967296"}, "ifid4",
         "too large for IPv4"),
        ({"name": "ok", "interface_id_ipv6": "xyz"}, "ifid6",
         "Enter a valid IPv6 interface ID: IPv6 notation like ::1"),
        ({"name": "ok", "interface_id_ipv6": "1:2:3:4:5"}, "ifid6", "Enter a valid IPv6"),
        ({"name": "ok", "comment": "x" * 256}, "comment", "at most 255 characters"),
    ]
    for data, field, msg in cases:
        r = add_related(c, hid, data.get("name", ""), data.get("interface_id_ipv4", ""),
                        data.get("interface_id_ipv6", ""), data.get("comment", ""))
        assert r.status_code == 200, (data, r.status_code)
        err = field_error(r.text, field)
        assert err is not None and msg in err, (data, err)
        assert 'id="form-errors"' in r.text
        # What was typed comes back (escaped).
        if data.get("interface_id_ipv6"):
            assert 'value="%s"' % data["interface_id_ipv6"] in r.text
    assert related_ids(c, hid) == {}

    # The forms users actually type are accepted and stored canonically.
    for name, id4, id6, s4, s6 in (("one", "1", "1", "0.0.0.1", "::1"),
                                   ("mac", "0.0.0.10", "::216:3eff:fe00:1", "0.0.0.10",
                                    "::216:3eff:fe00:1"),
                                   ("groups", " 10 ", "216:3eff:fe00:2", "0.0.0.10",
                                    "::216:3eff:fe00:2"),
                                   ("v6only", "", "::1", "", "::1")):
        r = add_related(c, hid, name.upper() if name == "one" else name, id4, id6)
        assert r.status_code == 302, (name, r.text[:2000])
        assert r.headers["Location"] == "/host/%d/related/" % hid
        got = [x for x in related_list_cli(site, h) if x["name"] == name][0]
        assert (got["interface_id_ipv4"], got["interface_id_ipv6"]) == (s4, s6)
    # Same name again: a form error, not a server error.
    r = add_related(c, hid, "one", "2")
    assert r.status_code == 200
    assert "already has a related host with this name" in field_error(r.text, "name")
    page = c.get("/host/%d/related/" % hid).text
    assert "one.%s" % h.fqdn in page and "::216:3eff:fe00:1" in page


def related_list_cli(site, h):
    return json.loads(site.cli("host", "related", "list", h.fqdn, "--json"))


def test_id_too_big_for_netmask_is_a_warning(site):
    c = client(site)
    h, hid = new_host(site, c)
    site.set(h.fqdn, netmask_ipv4=29)
    r = add_related(c, hid, "big", "0.0.0.9")
    assert r.status_code == 302
    page = c.get(r.headers["Location"]).text
    assert "does not fit behind the host&#39;s IPv4 netmask" in page or \
        "does not fit behind the host's IPv4 netmask" in html.unescape(page)


def test_record_follows_main_host_and_delete_removes_it(site, named):
    c = client(site)
    h, hid = new_host(site, c)
    site.set(h.fqdn, netmask_ipv4=24, netmask_ipv6=64)
    assert add_related(c, hid, "nas", "1", "::1", comment="<b>the NAS</b>").status_code == 302
    rel = "nas." + h.fqdn
    # Nothing is written when it is added.
    assert named.query(rel, A) == []
    assert answer(nic(site, h, myip="192.0.2.77")) == "good 192.0.2.77"
    assert named.query(rel, A) == ["192.0.2.1"]
    assert answer(nic(site, h, myip="2001:db8:5:6::99")) == "good 2001:db8:5:6::99"
    assert named.query(rel, AAAA) == ["2001:db8:5:6::1"]
    page = c.get("/host/%d/related/" % hid).text
    row = re.search(r'<tr id="related-\d+">.*?</tr>', page, re.S).group(0)
    assert "192.0.2.1" in row and "2001:db8:5:6::1" in row
    assert "&lt;b&gt;the NAS&lt;/b&gt;" in row and "<b>the NAS" not in row

    # Edit: new IDs apply at the next update; unavailable ones are left alone.
    rid = related_ids(c, hid)["nas"]
    r = c.post("/host/%d/related/%d/" % (hid, rid),
               {"name": "nas", "comment": "", "interface_id_ipv4": "0.0.0.5",
                "interface_id_ipv6": "", "available": "on"})
    assert r.status_code == 302, r.text[:2000]
    edit = c.get("/host/%d/related/%d/" % (hid, rid)).text
    assert 'value="0.0.0.5"' in edit and 'id="id_available" value="on" checked' in edit
    assert answer(nic(site, h, myip="192.0.2.78")) == "good 192.0.2.78"
    assert named.query(rel, A) == ["192.0.2.5"]
    # An empty IPv6 ID deletes the AAAA at the next IPv6 update.
    assert answer(nic(site, h, myip="2001:db8:5:7::99")) == "good 2001:db8:5:7::99"
    assert named.query(rel, AAAA) == []
    # Invalid edit: message, nothing changed.
    r = c.post("/host/%d/related/%d/" % (hid, rid),
               {"name": "nas", "interface_id_ipv4": "0.0.0.256", "available": "on"})
    assert r.status_code == 200
    assert "Enter a valid IPv4 interface ID" in field_error(r.text, "ifid4")
    assert related_list_cli(site, h)[0]["interface_id_ipv4"] == "0.0.0.5"

    # Rename: the old name's records go, the new name gets them at the next update.
    r = c.post("/host/%d/related/%d/" % (hid, rid),
               {"name": "store", "interface_id_ipv4": "0.0.0.5", "available": "on"})
    assert r.status_code == 302
    assert named.query(rel, A) == []
    assert answer(nic(site, h, myip="192.0.2.79")) == "good 192.0.2.79"
    assert named.query("store." + h.fqdn, A) == ["192.0.2.5"]

    # Delete: confirm page, then POST removes the row and its records.
    page = c.get("/host/%d/related/%d/delete/" % (hid, rid))
    assert page.status_code == 200 and "store." + h.fqdn in page.text
    r = c.post("/host/%d/related/%d/delete/" % (hid, rid), {})
    assert r.status_code == 302 and r.headers["Location"] == "/host/%d/related/" % hid
    assert "Related host deleted." in c.get("/host/%d/related/" % hid).text
    assert named.query("store." + h.fqdn, A) == []
    assert related_ids(c, hid) == {}
    # The main host's own record is untouched.
    assert named.query(h.fqdn, A) == ["192.0.2.79"]


def test_duplicate_name_on_edit(site):
    c = client(site)
    h, hid = new_host(site, c)
    assert add_related(c, hid, "a1", "1").status_code == 302
    assert add_related(c, hid, "b1", "2").status_code == 302
    ids = related_ids(c, hid)
    r = c.post("/host/%d/related/%d/" % (hid, ids["b1"]), {"name": "a1", "interface_id_ipv4": "2"})
    assert r.status_code == 200
    assert "already has a related host with this name" in field_error(r.text, "name")
    assert related_ids(c, hid) == ids


# --- other services ------------------------------------------------------------------

def service_id(c, hid, name):
    page = c.get("/updater_hostconfig_overview/%d/" % hid).text
    m = re.search(r'<option value="(\d+)"[^>]*>%s[ <(]' % re.escape(name), page)
    assert m, page
    return m.group(1)


def config_ids(c, hid):
    page = c.get("/updater_hostconfig_overview/%d/" % hid).text
    return [int(x) for x in re.findall(r'<tr id="forward-(\d+)">', page)]


def test_forward_config_and_results(site, stub):
    c = client(site)
    h, hid = new_host(site, c)
    page = c.get("/updater_hostconfig_overview/%d/" % hid)
    assert page.status_code == 200 and "No other service is updated" in page.text
    sid = service_id(c, hid, "stubdns")

    # Validation: service, login and password are required; nothing stored.
    r = c.post("/updater_hostconfig_overview/%d/" % hid,
               {"service": "999999", "name": "", "password": "", "hostname": "a b"})
    assert r.status_code == 200
    assert field_error(r.text, "service").startswith("Select a valid choice")
    assert field_error(r.text, "name") == "This field is required."
    assert field_error(r.text, "password") == "This field is required."
    assert field_error(r.text, "hostname").startswith("Enter a host name without spaces")
    assert config_ids(c, hid) == []
    # A form error never sends the password back.
    r = c.post("/updater_hostconfig_overview/%d/" % hid,
               {"service": sid, "name": "", "password": SERVICE_PASSWORD})
    assert r.status_code == 200 and SERVICE_PASSWORD not in r.text

    r = c.post("/updater_hostconfig_overview/%d/" % hid,
               {"service": sid, "name": "me@stub", "password": SERVICE_PASSWORD,
                "hostname": "mine.stub.example", "give_ipv4": "on",
                "comment": "<i>stub</i>"})
    assert r.status_code == 302
    assert r.headers["Location"] == "/updater_hostconfig_overview/%d/" % hid
    overview = c.get("/updater_hostconfig_overview/%d/" % hid).text
    assert "Service configuration added." in overview
    [cid] = config_ids(c, hid)
    assert "mine.stub.example" in overview and "me@stub" in overview
    assert "&lt;i&gt;stub&lt;/i&gt;" in overview and "<i>stub" not in overview

    # An update forwards to the stub; the result shows on both pages.
    n0 = len(stub.requests)
    assert answer(nic(site, h, myip="192.0.2.123")) == "good 192.0.2.123"
    wait_for(lambda: len(stub.requests) > n0, what="the forward")
    req = stub.requests[-1]
    assert req["path"] == "/nic/update"
    assert req["query"] == [("hostname", "mine.stub.example"), ("myip", "192.0.2.123")]

    def shown():
        p = c.get("/host/%d/" % hid).text
        return p if 'id="host-forward-%d"' % cid in p and "HTTP 200" in p else None
    host_page = wait_for(shown, what="the result on the host page")
    item = re.search(r'<li class="list-group-item" id="host-forward-%d">.*?</li>' % cid,
                     host_page, re.S).group(0)
    assert "stubdns" in item and "good" in item and "sent" in item
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", item)
    overview = c.get("/updater_hostconfig_overview/%d/" % hid).text
    row = re.search(r'<tr id="forward-%d">.*?</tr>' % cid, overview, re.S).group(0)
    assert "HTTP 200" in row and "192.0.2.123" in row

    # Edit: the password field is always empty; leaving it empty keeps it.
    edit = c.get("/updater_hostconfig/%d/" % cid)
    assert edit.status_code == 200
    assert 'name="password" id="id_password" value=""' in edit.text
    r = c.post("/updater_hostconfig/%d/" % cid,
               {"name": "me2@stub", "password": "", "hostname": "", "give_ipv4": "on",
                "give_ipv6": "on", "comment": "changed"})
    assert r.status_code == 302, r.text[:2000]
    n0 = len(stub.requests)
    assert answer(nic(site, h, myip="192.0.2.124")) == "good 192.0.2.124"
    wait_for(lambda: len(stub.requests) > n0, what="the second forward")
    req = stub.requests[-1]
    # No hostname= when it is empty; the stored password is still used.
    assert req["query"] == [("myip", "192.0.2.124")]
    assert req["auth"] == "Basic " + base64.b64encode(
        ("me2@stub:" + SERVICE_PASSWORD).encode()).decode()
    # A new password replaces it.
    r = c.post("/updater_hostconfig/%d/" % cid,
               {"name": "me2@stub", "password": "new-pass-2", "give_ipv6": "on"})
    assert r.status_code == 302
    n0 = len(stub.requests)
    assert answer(nic(site, h, myip="2001:db8:9::5")) == "good 2001:db8:9::5"
    wait_for(lambda: len(stub.requests) > n0, what="the IPv6 forward")
    assert stub.requests[-1]["auth"] == "Basic " + base64.b64encode(
        b"me2@stub:new-pass-2").decode()

    # The password appears in no page.
    for path in ["/host/%d/" % hid, "/updater_hostconfig_overview/%d/" % hid,
                 "/updater_hostconfig/%d/" % cid, "/updater_hostconfig/%d/delete/" % cid,
                 "/overview/"]:
        text = c.get(path).text
        assert SERVICE_PASSWORD not in text and "new-pass-2" not in text, path

    # Warning for a family the service does not take.
    v4only = service_id(c, hid, "v4only")
    r = c.post("/updater_hostconfig_overview/%d/" % hid,
               {"service": v4only, "name": "x", "password": "y", "give_ipv6": "on"})
    assert r.status_code == 302
    assert "does not accept every address family" in html.unescape(
        c.get("/updater_hostconfig_overview/%d/" % hid).text)

    # Delete: confirm, then gone.
    page = c.get("/updater_hostconfig/%d/delete/" % cid)
    assert page.status_code == 200 and "stubdns" in page.text
    r = c.post("/updater_hostconfig/%d/delete/" % cid, {})
    assert r.status_code == 302
    assert cid not in config_ids(c, hid)
    assert c.get("/updater_hostconfig/%d/" % cid).status_code == 404


def test_no_services_message(named, tmp_path):
    inst = Nsupd(tmp_path / "noservice")
    inst.migrate()
    create_user(inst, "carol", PASSWORD)
    z = named.zone_specs[ZONE]
    inst.add_domain(ZONE, "carol", named.server, z.algorithm, z.secret)
    inst.start()
    try:
        c = WebClient(inst)
        c.login("carol", PASSWORD)
        h = inst.add_host(ZONE, "carol")
        hid = host_id(c, h.fqdn)
        page = c.get("/updater_hostconfig_overview/%d/" % hid)
        assert page.status_code == 200 and 'id="no-services"' in page.text
        assert 'id="forward-add-form"' not in page.text
    finally:
        assert inst.stop() == 0, inst.stderr()


@pytest.mark.parametrize("lang,add_label,services_heading", [
    ("de", "Verwandten Host hinzufügen", "Eingerichtete Dienste"),
    ("fr", "Ajouter un hôte associé", "Services configurés"),
    ("it", "Aggiungi host correlato", "Servizi configurati"),
])
def test_pages_are_translated(site, lang, add_label, services_heading):
    c = WebClient(site, accept_language=lang)
    c.login("alice", PASSWORD)
    h, hid = new_host(site, c)
    assert add_related(c, hid, "nas", "1").status_code == 302
    rid = related_ids(c, hid)["nas"]
    page = c.get("/host/%d/related/" % hid).text
    assert add_label in page and "Related hosts</h1>" not in page
    form = c.get("/host/%d/related/%d/" % (hid, rid)).text
    assert "Edit related host" not in form
    r = add_related(c, hid, "bad", "1.2.3")
    assert "Enter a valid IPv4" not in r.text and field_error(r.text, "ifid4")
    page = c.get("/updater_hostconfig_overview/%d/" % hid).text
    assert services_heading in page and "Configured services" not in page


def test_odd_input_in_id_fields(site):
    c = client(site)
    h, hid = new_host(site, c)
    for value, msg in (("1" * 80, "too long"), ("\x01", "Enter a valid IPv4"),
                       ("<script>", "Enter a valid IPv4")):
        r = add_related(c, hid, "odd", value)
        assert r.status_code == 200
        assert msg in field_error(r.text, "ifid4"), (value, field_error(r.text, "ifid4"))
        assert "<script>" not in r.text.split("<main", 1)[1]
    assert related_ids(c, hid) == {}
