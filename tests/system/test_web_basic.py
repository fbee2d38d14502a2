"""The web interface's foundations, black-box: security headers, CSRF,
sessions and their cookies, login/logout, the login rate limit, redirects,
static files, languages and operator templates."""

import os
import re

import pytest
import requests

from nsupdlib import Nsupd
from webutil import WebClient, assert_security_headers, create_user, csrf_token

PASSWORD = "correct horse 42"
MAX_FAILURES = 4


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    inst = Nsupd(tmp_path_factory.mktemp("web"),
                 extra="[web]\nlogin_failures_max = %d\nlogin_failures_window = 600\n"
                 % MAX_FAILURES)
    inst.migrate()
    create_user(inst, "alice", PASSWORD)
    create_user(inst, "bob", PASSWORD)
    inst.start()
    yield inst
    rc = inst.stop()
    assert rc == 0, inst.stderr()


def set_cookie_headers(r):
    raw = r.raw.headers.getlist("Set-Cookie") if hasattr(r.raw.headers, "getlist") else []
    return raw


def session_cookie_header(r):
    for h in set_cookie_headers(r):
        if h.startswith("sessionid="):
            return h
    return None


def test_home_page(web):
    c = WebClient(web)
    r = c.get("/")
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/html")
    assert_security_headers(r)
    assert r.headers.get("Cache-Control") == "no-store"
    assert "nsupd system test" in r.text
    assert 'id="ipv4">127.0.0.1<' in r.text
    assert "<script>" not in r.text.replace("<script src=", "")  # no inline scripts
    h = session_cookie_header(r)
    assert h is not None, set_cookie_headers(r)
    flags = [f.strip().lower() for f in h.split(";")]
    assert "httponly" in flags and "samesite=lax" in flags and "path=/" in flags, h
    assert "secure" not in flags, h   # we_have_tls = false
    assert not any(f.startswith("max-age") for f in flags), h  # browser-session cookie
    assert re.fullmatch(r"sessionid=[A-Za-z0-9_-]{43}", h.split(";")[0]), h


def test_home_page_over_ipv6(web):
    r = WebClient(web, v6=True).get("/")
    assert r.status_code == 200
    assert 'id="ipv6">::1<' in r.text


def test_api_paths_keep_api_behaviour(web):
    r = web.get("/nic/update", params={"hostname": "x.nsupd.test"})
    assert r.status_code == 401 and r.text == "badauth"
    assert "Set-Cookie" not in r.headers
    assert "Content-Security-Policy" not in r.headers
    # A POST to the API is not CSRF-checked by the web layer.
    r = requests.post(web.url("/nic/update"), data={"a": "b"}, timeout=10)
    assert r.status_code == 401 and r.text == "badauth"
    r = web.get("/myip")
    assert r.status_code == 200 and r.text == "127.0.0.1"
    assert "Set-Cookie" not in r.headers
    # No APPEND_SLASH for the API, no web 301.
    assert web.get("/nic/update/").status_code == 404


def test_post_without_csrf_token_is_refused(web):
    c = WebClient(web)
    data = {"username": "alice", "password": PASSWORD}
    r = c.post("/accounts/login/", data, token=False)
    assert r.status_code == 403
    assert_security_headers(r)
    c.get("/accounts/login/")               # now there is a session
    r = c.post("/accounts/login/", dict(data, csrfmiddlewaretoken="x" * 43), token=False)
    assert r.status_code == 403
    # A token of another session does not count either.
    other = WebClient(web)
    token = csrf_token(other.get("/accounts/login/").text)
    r = c.post("/accounts/login/", dict(data, csrfmiddlewaretoken=token), token=False)
    assert r.status_code == 403
    # A cross-origin POST is refused even with the right token.
    r = c.post("/accounts/login/", data, headers={"Origin": "http://evil.example"})
    assert r.status_code == 403
    assert c.get("/overview/").status_code == 302   # still not logged in


def test_login_logout_flow(web):
    c = WebClient(web)
    c.get("/")
    before = c.cookie("sessionid")
    r = c.login("alice", PASSWORD)
    assert r.headers["Location"] == "/overview/"
    assert_security_headers(r)
    after = c.cookie("sessionid")
    assert after and after != before, "the session id must change at login"
    r = c.get("/overview/")
    assert r.status_code == 200
    assert "alice" in r.text and 'id="hosts"' in r.text
    # The old (pre-login) id is worthless now.
    stale = requests.get(web.url("/overview/"), cookies={"sessionid": before},
                         allow_redirects=False, timeout=10)
    assert stale.status_code == 302
    r = c.logout()
    assert r.status_code == 302 and r.headers["Location"] == "/"
    h = session_cookie_header(r)
    assert h is not None and "max-age=0" in h.lower(), h
    r = c.get("/overview/")
    assert r.status_code == 302
    assert r.headers["Location"] == "/accounts/login/?next=/overview/"
    # The logged-out id stays logged out even if a client keeps sending it.
    stale = requests.get(web.url("/overview/"), cookies={"sessionid": after},
                         allow_redirects=False, timeout=10)
    assert stale.status_code == 302


def test_logout_is_post_only(web):
    r = WebClient(web).get("/accounts/logout/")
    assert r.status_code == 405
    assert r.headers.get("Allow") == "POST"


def test_wrong_password_and_escaping(web):
    c = WebClient(web)
    r = c.post("/accounts/login/", {"username": "<script>alert(1)</script>", "password": "nope"})
    assert r.status_code == 200
    assert 'role="alert"' in r.text
    assert "<script>alert(1)</script>" not in r.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in r.text
    assert c.get("/overview/").status_code == 302


@pytest.mark.parametrize("next_,expected", [
    ("/overview/?x=1", "/overview/?x=1"),
    ("//evil.example/", "/overview/"),
    ("https://evil.example/", "/overview/"),
    ("/\\evil.example", "/overview/"),
    ("", "/overview/"),
])
def test_login_redirects_only_to_local_paths(web, next_, expected):
    r = WebClient(web).login("bob", PASSWORD, next_=next_)
    assert r.headers["Location"] == expected


def test_login_required_redirect_keeps_query(web):
    r = WebClient(web).get("/overview/?a=1&b=x y")
    assert r.status_code == 302
    assert r.headers["Location"] == "/accounts/login/?next=/overview/%3Fa%3D1%26b%3Dx%2520y"


def test_keep_me_logged_in_sets_a_persistent_cookie(web):
    c = WebClient(web)
    c.get("/accounts/login/")
    r = c.login("alice", PASSWORD, keep=True)
    h = session_cookie_header(r)
    m = re.search(r"max-age=(\d+)", h.lower())
    assert m and 29 * 86400 < int(m.group(1)) <= 30 * 86400, h
    # Logged in already: the login form sends the user on.
    r = c.get("/accounts/login/")
    assert r.status_code == 302 and r.headers["Location"] == "/overview/"
    assert c.get("/overview/").status_code == 200


def test_login_rate_limit(web):
    # Over IPv6, so that the IPv4 tests' failures do not count (an IPv6
    # client is counted per /64).
    c = WebClient(web, v6=True)
    for _ in range(MAX_FAILURES):
        r = c.post("/accounts/login/", {"username": "alice", "password": "wrong"})
        assert r.status_code == 200
    r = c.post("/accounts/login/", {"username": "alice", "password": PASSWORD})
    assert r.status_code == 429
    assert 'role="alert"' in r.text
    assert c.get("/overview/").status_code == 302
    # Other clients are not affected.
    WebClient(web).login("alice", PASSWORD)


def test_append_slash_and_404(web):
    c = WebClient(web)
    r = c.get("/overview")
    assert r.status_code == 301 and r.headers["Location"] == "/overview/"
    r = c.get("/accounts/login?next=/x")
    assert r.status_code == 301 and r.headers["Location"] == "/accounts/login/?next=/x"
    r = c.get("/no/such/page/")
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith("text/html")
    assert_security_headers(r)
    assert "Traceback" not in r.text


def test_static_files(web):
    c = WebClient(web)
    page = c.get("/").text
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    css = [u for u in urls if "bootstrap.min.css" in u]
    js = [u for u in urls if "bootstrap.bundle.min.js" in u]
    assert css and js, urls
    for u in urls:
        assert u.startswith("/static/"), u   # no CDN, no third party
    r = c.get(css[0])
    assert r.status_code == 200
    assert r.headers["Content-Type"].startswith("text/css")
    assert r.headers["Cache-Control"] == "public, max-age=31536000, immutable"
    etag = r.headers["ETag"]
    assert len(r.content) > 100000  # the real Bootstrap, not a stub
    r2 = c.get(css[0], headers={"If-None-Match": etag})
    assert r2.status_code == 304 and r2.content == b""
    r3 = c.get("/static/bootstrap.min.css")
    assert r3.status_code == 200 and r3.headers["Cache-Control"] == "public, max-age=3600"
    r4 = c.get(js[0])
    assert r4.status_code == 200 and r4.headers["Content-Type"].startswith("text/javascript")
    for bad in ["/static/../nsupd.conf", "/static/%2e%2e/nsupd.conf", "/static/.hidden",
                "/static/..%2Fnsupd.conf", "/static/nope.css"]:
        assert c.get(bad).status_code == 404, bad


def test_languages(web):
    r = WebClient(web, accept_language="de-CH,de;q=0.9,en;q=0.5").get("/accounts/login/")
    assert r.status_code == 200
    assert '<html lang="de"' in r.text and "Anmelden" in r.text
    assert ">Log in<" not in r.text
    r = WebClient(web, accept_language="it;q=0.8, fr;q=0.9").get("/")
    assert '<html lang="fr"' in r.text and "Vos adresses IP" in r.text
    # The selector beats Accept-Language and is a POST with a CSRF token.
    c = WebClient(web, accept_language="de")
    r = c.post("/i18n/setlang/", {"language": "it", "next": "/accounts/login/"}, form_page="/")
    assert r.status_code == 302 and r.headers["Location"] == "/accounts/login/"
    assert c.cookie("nsupd_lang") == "it"
    r = c.get("/accounts/login/")
    assert '<html lang="it"' in r.text and "Accedi" in r.text
    # A logged-in choice goes into the profile.
    c.login("bob", PASSWORD)
    c.post("/i18n/setlang/", {"language": "fr", "next": "/overview/"}, form_page="/overview/")
    fresh = WebClient(web, accept_language="de")
    fresh.login("bob", PASSWORD)
    assert '<html lang="fr"' in fresh.get("/overview/").text


@pytest.mark.parametrize("value,lang", [
    ("de;", "de"), ("fr;q=0.5,de; ", "de"), ("de;q=", "en"), ("de;q=nan", "en"),
    ("de;q=1e3", "en"), (";", "en"), (",,;;", "en"), ("x" * 4000 + ";", "en"),
    ("de-" + "x" * 200, "de"), ("\u00e9;q=0.9", "en"),
])
def test_odd_accept_language(web, value, lang):
    # Headers that end right after ';' once made the parser read past the
    # header's end (tests/unit/test_i18n.c has the memory-checked case).
    r = requests.get(web.url("/"), headers={"Accept-Language": value.encode("utf-8")},
                     timeout=10)
    assert r.status_code == 200
    assert '<html lang="%s"' % lang in r.text


def test_every_page_translated(web):
    for lang in ["de", "fr", "it"]:
        c = WebClient(web, accept_language=lang)
        pages = [c.get("/"), c.get("/accounts/login/"), c.get("/no/such/")]
        c.login("alice", PASSWORD)
        pages.append(c.get("/overview/"))
        for r in pages:
            assert '<html lang="%s"' % lang in r.text, r.url
            assert "%(" not in r.text and "{%" not in r.text and "{{" not in r.text, r.url
            for english in [">Log in<", ">Overview<", "Your IP addresses", "Page not found",
                            ">Language<"]:
                assert english not in r.text, (lang, r.url, english)


def test_body_limits(web):
    c = WebClient(web)
    token = csrf_token(c.get("/accounts/login/").text)
    r = c.s.post(web.url("/accounts/login/"), data={"csrfmiddlewaretoken": token,
                                                    "username": "a" * 70000},
                 allow_redirects=False, timeout=10)
    assert r.status_code == 413
    r = c.s.post(web.url("/accounts/login/"), data='{"username": "alice"}',
                 headers={"Content-Type": "application/json"}, allow_redirects=False, timeout=10)
    assert r.status_code == 415
    # A field without '=' and an empty pair are fine (and must not crash).
    r = c.s.post(web.url("/accounts/login/"), data="csrfmiddlewaretoken=%s&flag&&username=x"
                 % token, headers={"Content-Type": "application/x-www-form-urlencoded"},
                 allow_redirects=False, timeout=10)
    assert r.status_code == 200 and 'role="alert"' in r.text
    r = c.s.post(web.url("/accounts/login/"), data="csrfmiddlewaretoken=%s&a=%%zz" % token,
                 headers={"Content-Type": "application/x-www-form-urlencoded"},
                 allow_redirects=False, timeout=10)
    assert r.status_code == 400


@pytest.fixture(scope="module")
def customised(tmp_path_factory):
    base = tmp_path_factory.mktemp("custom")
    over = base / "override"
    (over / "main" / "includes").mkdir(parents=True)
    (over / "main" / "includes" / "home_top.html").write_text(
        '<h1 id="operator-banner">Operated by {{ site.name }} &amp; friends</h1>\n')
    pages = base / "pages"
    pages.mkdir()
    (pages / "imprint.html").write_text(
        '{% extends "base.html" %}{% block content %}<p id="imprint">Imprint of '
        '{{ site.name }}</p>{% endblock %}')
    inst = Nsupd(base / "inst", extra="[web]\noverride_templates = %s\ncustom_pages = %s\n"
                 % (over, pages))
    inst.migrate()
    inst.start()
    yield inst
    assert inst.stop() == 0


def test_template_override(customised):
    r = WebClient(customised).get("/")
    assert r.status_code == 200
    assert '<h1 id="operator-banner">Operated by nsupd system test &amp; friends</h1>' in r.text
    assert "Welcome to" not in r.text          # the default home_top is replaced
    assert 'id="ipv4"' in r.text               # the rest of the page is still there


def test_custom_pages(customised):
    c = WebClient(customised)
    r = c.get("/custom/imprint.html")
    assert r.status_code == 200 and '<p id="imprint">Imprint of nsupd system test</p>' in r.text
    assert_security_headers(r)
    assert c.get("/custom/missing.html").status_code == 404
    assert c.get("/custom/..%2Fbase.html").status_code == 404


def test_broken_template_stops_startup(tmp_path):
    over = tmp_path / "override"
    (over / "includes").mkdir(parents=True)
    bad = over / "includes" / "base_footer.html"
    bad.write_text("<footer>\n{% if user %}\n<p>never closed</p>\n</footer>\n")
    inst = Nsupd(tmp_path / "inst", extra="[web]\noverride_templates = %s\n" % over)
    inst.migrate()
    p = inst.run("serve", timeout=30)
    assert p.returncode != 0
    assert "%s:2: unclosed {%% if %%}" % bad in p.stderr, p.stderr


def test_template_loop_stops_startup(tmp_path):
    # Two includes of itself made one view of the page take minutes.
    pages = tmp_path / "pages"
    pages.mkdir()
    page = pages / "loop.html"
    page.write_text('<p>\n{% include "custom/loop.html" %}{% include "custom/loop.html" %}</p>\n')
    inst = Nsupd(tmp_path / "inst", extra="[web]\ncustom_pages = %s\n" % pages)
    inst.migrate()
    p = inst.run("serve", timeout=30)
    assert p.returncode != 0
    assert ('%s:2: {%% include "custom/loop.html" %%} leads back to custom/loop.html'
            % page) in p.stderr, p.stderr
