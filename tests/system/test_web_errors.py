"""Custom error pages (issue 3): 400, 403, 404, 405 and 500 are the site's own
styled pages (the base layout with Bootstrap, the navigation and the
security headers), in the visitor's language, never with internal details
or a stack trace; the API paths keep answering plain text.

The 500 is made the way it happens in production: the database stops
answering (a lock another session holds, as in test_api's 911 test) while a
user saves a form."""

import os
import re

import pytest
import requests

import nsupdlib
from nsupdlib import check_plain, database_locked
from webutil import assert_security_headers, csrf_token
from webworld import ALICE, client, start_world, stop_world

TEMPLATES = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "templates")

# Words of internals that must never reach a visitor.
INTERNALS = re.compile(r"Traceback|AddressSanitizer|runtime error|\bsqlite|SQLITE|\bPQ|"
                       r"postgres|database is locked|lock timeout|\bstore:|nsupd_err|"
                       r"\.c:\d+|errno|segfault|NSUPD_ERR", re.I)


@pytest.fixture(scope="module")
def world(named, tmp_path_factory):
    w = start_world(named, tmp_path_factory.mktemp("web-errors"))
    yield w
    stop_world(w)


def assert_error_page(r, status, heading, lang="en"):
    """The styled error page of status in lang."""
    assert r.status_code == status, (r.status_code, r.text[:2000])
    assert r.headers["Content-Type"].startswith("text/html"), r.headers
    assert r.headers.get("Cache-Control") == "no-store"
    assert_security_headers(r)
    page = r.text
    assert page.startswith("<!doctype html>")
    assert '<html lang="%s"' % lang in page
    # The site's layout: its stylesheet, navigation, footer.
    assert re.search(r'<link [^>]*href="/static/bootstrap\.min\.css[^"]*"', page), page[:1500]
    assert "/static/nsupd.css" in page
    assert '<nav class="navbar' in page and "<footer" in page
    assert '<p class="display-4 fw-semibold text-body-secondary">%d</p>' % status in page
    assert '<h1 class="h3">%s</h1>' % heading in page, page
    assert 'href="/"' in page
    m = INTERNALS.search(page)
    assert m is None, (m.group(0), page)
    return page


def test_error_templates_exist_and_share_the_layout():
    for status in (400, 403, 404, 405, 500):
        path = os.path.join(TEMPLATES, "errors", "%d.html" % status)
        with open(path, encoding="utf-8") as f:
            text = f.read()
        assert text.startswith('{% extends "errors/generic.html" %}'), path
        assert "{% block heading %}{% trans " in text, path
    with open(os.path.join(TEMPLATES, "errors", "generic.html"), encoding="utf-8") as f:
        assert f.read().startswith('{% extends "base.html" %}')


@pytest.mark.parametrize("lang,heading", [("en", "Page not found"),
                                          ("de", "Seite nicht gefunden")])
def test_404_unknown_url(world, lang, heading):
    c = client(world.inst, lang=lang)
    for path in ["/no/such/page/", "/host/", "/host/abc/", "/nic/update/",
                 "/host/99999999999999999999999/", "/static/../templates/base.html/x/"]:
        assert_error_page(c.get(path), 404, heading, lang)
    # The same for a logged-in user (with the user's navigation).
    c = client(world.inst, ALICE, lang=lang)
    page = assert_error_page(c.get("/no/such/page/"), 404, heading, lang)
    assert 'href="/overview/"' in page
    # Another user's objects are simply not there.
    assert_error_page(c.get("/host/%d/" % world.bob_host_id), 404, heading, lang)
    assert_error_page(c.get("/domain/%d/" % world.bob_domain_id), 404, heading, lang)


def test_403_csrf_failure(world):
    c = client(world.inst, ALICE)
    r = c.post("/host/%d/" % world.host_id, {"comment": "no token"}, token=False)
    page = assert_error_page(r, 403, "Forbidden")
    assert 'id="error-message"' in page and "CSRF" in page
    r = c.post("/host/%d/" % world.host_id,
               {"comment": "bad token", "csrfmiddlewaretoken": "A" * 43}, token=False)
    assert_error_page(r, 403, "Forbidden")
    # A visitor without a session is told about cookies.
    anon = client(world.inst, lang="de")
    r = anon.post("/accounts/login/", {"username": "x", "password": "y"}, token=False)
    page = assert_error_page(r, 403, "Zugriff verweigert", "de")
    assert 'id="error-message"' in page
    # The refused forms changed nothing.
    page = c.get("/host/%d/" % world.host_id).text
    assert "no token" not in page and "bad token" not in page


def test_405_wrong_method(world):
    """A page asked with a method it does not take: the styled page with
    Allow, before the CSRF check (there is no form to check)."""
    anon = client(world.inst)
    r = anon.post("/about/", {"x": "1"}, token=False)
    assert_error_page(r, 405, "Method not allowed")
    assert r.headers["Allow"] == "GET, HEAD"
    r = anon.get("/accounts/logout/")
    assert_error_page(r, 405, "Method not allowed")
    assert r.headers["Allow"] == "POST"
    # In the visitor's language, logged in (with the user's navigation).
    c = client(world.inst, ALICE, lang="de")
    r = c.post("/host/%d/delete/x/" % world.host_id, {}, token=False)
    assert r.status_code == 404
    r = c.post("/overview/", {"comment": "x"}, token=False)
    page = assert_error_page(r, 405, "Methode nicht erlaubt", "de")
    assert 'href="/overview/"' in page
    assert r.headers["Allow"] == "GET, HEAD"
    # HEAD gets the status and headers.
    r = c.s.head(c.url("/accounts/logout/"), allow_redirects=False, timeout=30)
    assert r.status_code == 405 and r.headers["Allow"] == "POST"
    # Static files are part of the site too.
    r = anon.post("/static/nsupd.css", {}, token=False)
    assert_error_page(r, 405, "Method not allowed")
    assert r.headers["Allow"] == "GET, HEAD"


@pytest.mark.parametrize("body,ctype,status,heading", [
    ("a=%zz", "application/x-www-form-urlencoded", 400, "Bad request"),
    ("a=1%00", "application/x-www-form-urlencoded", 400, "Bad request"),
    ("comment=" + "x" * 70000, "application/x-www-form-urlencoded", 413, None),
    ('{"comment": "json"}', "application/json", 415, None),
])
def test_bad_request_bodies(world, body, ctype, status, heading):
    """A form body the server cannot take gets the styled page (before the
    CSRF check: there is nothing to check), not plain text."""
    c = client(world.inst, ALICE)
    token = csrf_token(c.get("/host/%d/" % world.host_id).text)
    r = c.s.post(c.url("/host/%d/" % world.host_id),
                 data=body + "&csrfmiddlewaretoken=" + token,
                 headers={"Content-Type": ctype}, allow_redirects=False, timeout=30)
    if heading is None:
        heading = "Something went wrong"   # generic.html for the rarer ones
    assert_error_page(r, status, heading)
    # Also for anonymous visitors on a public form.
    r = client(world.inst, lang="fr").s.post(world.inst.url("/accounts/login/"), data=body,
                                             headers={"Content-Type": ctype},
                                             allow_redirects=False, timeout=30)
    assert r.status_code == status and '<html lang="fr"' in r.text
    assert r.headers["Content-Type"].startswith("text/html")


def test_500_when_the_database_fails(world):
    c = client(world.inst, ALICE)
    path = "/host/%d/" % world.host_id
    token = csrf_token(c.get(path).text)
    result = {}
    with database_locked(world.inst):
        r = c.post(path, {"comment": "while locked", "csrfmiddlewaretoken": token,
                          "netmask_ipv4": "32", "netmask_ipv6": "64"}, token=False, timeout=120)
        result["r"] = r
    page = assert_error_page(result["r"], 500, "Server error")
    assert "Something went wrong on our side" in page
    # The service works again once the database does; nothing was saved.
    r = c.get(path)
    assert r.status_code == 200 and "while locked" not in r.text
    # The details went to the log, for the operator.
    assert "web: updating host" in world.inst.stderr(10 ** 6) or nsupdlib.PG


def test_api_paths_answer_plain_text(world):
    inst = world.inst
    h = world.alice_host
    # Wrong credentials, bad parameters, a body the web would refuse: the
    # dyndns2 answers, never an HTML page.
    check_plain(inst.get("/nic/update"), 401)
    check_plain(inst.get("/nic/update", params={"hostname": "a%zz"}), 401)
    r = requests.post(inst.url("/nic/update"), data="a=%zz",
                      headers={"Content-Type": "application/x-www-form-urlencoded"}, timeout=30)
    assert r.status_code == 401 and r.text == "badauth"
    assert r.headers["Content-Type"].startswith("text/plain")
    r = requests.post(inst.url("/nic/update"), data='{"x": 1}',
                      headers={"Content-Type": "application/json"}, timeout=30)
    assert r.status_code == 401 and r.headers["Content-Type"].startswith("text/plain")
    for path in ["/nic/update", "/nic/delete"]:
        r = inst.get(path, auth=("nohost.nsupd.test", "x"))
        check_plain(r, 401)
        assert "<" not in r.text
    check_plain(inst.get("/myip"), 200)
    r = inst.get("/nic/checkip.html")
    assert r.status_code == 200 and "Content-Security-Policy" not in r.headers
    assert "Set-Cookie" not in r.headers
    # Still plain while the database is down.
    with database_locked(inst):
        r = inst.update(h, {"myip": "192.0.2.201"}, timeout=120)
    assert check_plain(r, r.status_code) == "911"
