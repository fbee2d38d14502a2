"""Helpers for the web interface's system tests: a requests session that
knows about the CSRF token, user creation, and the header checks every web
page must pass."""

import re

import requests

SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

CSRF_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]*)"')


def create_user(inst, name, password, email=None, staff=False):
    """A user with a web password, through the CLI."""
    args = ["user", "add", name, "--email", email or name + "@example.org", "--password-stdin"]
    if staff:
        args.append("--staff")
    inst.cli(*args, input=password + "\n")


def assert_security_headers(r, hosts=("ipv4.nsupd.test", "ipv6.nsupd.test")):
    """The headers every web page carries (not the API paths)."""
    for name, value in SECURITY_HEADERS.items():
        assert r.headers.get(name) == value, (name, r.headers.get(name), r.url)
    csp = r.headers.get("Content-Security-Policy", "")
    assert "default-src 'self'" in csp, csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp, csp
    assert "frame-ancestors 'none'" in csp, csp
    # No third-party origins: only keywords, data: and the detection hosts.
    for directive in csp.split(";"):
        for source in directive.split()[1:]:
            assert source.startswith("'") or source == "data:" or source in hosts, (source, csp)


def csrf_token(html):
    m = CSRF_RE.search(html)
    assert m, "no CSRF token in the page"
    return m.group(1)


class WebClient:
    """A browser-like client for one nsupd instance: keeps cookies, never
    follows redirects on its own (tests look at them), and fills in the CSRF
    token of the page a form comes from."""

    def __init__(self, inst, v6=False, accept_language=None):
        self.inst = inst
        self.v6 = v6
        self.s = requests.Session()
        self.s.headers["User-Agent"] = "nsupd-web-test/1.0"
        if accept_language is not None:
            self.s.headers["Accept-Language"] = accept_language

    def url(self, path):
        return self.inst.url(path, v6=self.v6)

    def get(self, path, **kw):
        kw.setdefault("allow_redirects", False)
        kw.setdefault("timeout", 30)
        return self.s.get(self.url(path), **kw)

    def post(self, path, data=None, form_page=None, token=True, **kw):
        """POSTs data; with token=True the CSRF token is taken from
        form_page (default: path) first."""
        data = dict(data or {})
        if token:
            page = self.get(form_page or path)
            assert page.status_code == 200, (page.status_code, form_page or path)
            data.setdefault("csrfmiddlewaretoken", csrf_token(page.text))
        kw.setdefault("allow_redirects", False)
        kw.setdefault("timeout", 30)
        return self.s.post(self.url(path), data=data, **kw)

    def login(self, user, password, keep=False, next_=None):
        data = {"username": user, "password": password}
        if keep:
            data["keep"] = "1"
        if next_ is not None:
            data["next"] = next_
        r = self.post("/accounts/login/", data)
        assert r.status_code == 302, (r.status_code, r.text[:2000])
        return r

    def logout(self):
        return self.post("/accounts/logout/", form_page="/")

    def cookie(self, name):
        return self.s.cookies.get(name)
