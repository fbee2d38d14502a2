"""Remote login (OAuth2 / OpenID Connect), black-box, against a provider the
tests run on loopback (oidc_provider.py): a first remote login creates an
account without a password, a logged-in user connects a remote identity
from the profile and logs in with it, disconnecting keeps one way to log
in, and a forged state, a badly signed ID token, a wrong nonce, a wrong
audience or an expired token log nobody in. Also GitHub-style OAuth2
(no ID token) and the start-up checks of the [oauth.*]/[oidc.*] sections."""

import re
import urllib.parse

import pytest
import requests

from nsupdlib import Nsupd
from oidc_provider import OidcProvider
from webutil import WebClient, assert_security_headers, create_user

PASSWORD = "remote login pw 1"
_addr = [0]


def client(inst):
    """A client with its own address (X-Forwarded-For from the trusted
    127.0.0.1), so that rate limits do not leak between tests."""
    _addr[0] += 1
    c = WebClient(inst)
    c.s.headers["X-Forwarded-For"] = "198.19.%d.%d" % (_addr[0] // 250, _addr[0] % 250 + 1)
    return c


@pytest.fixture(scope="module")
def idp():
    p = OidcProvider().start()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def inst(idp, tmp_path_factory):
    i = Nsupd(tmp_path_factory.mktemp("remote"))
    # The redirect URI is built from www_host: the test's clients (and the
    # browser) reach nsupd under 127.0.0.1:PORT.
    with open(i.conf, "a") as f:
        f.write("\n[site]\nwww_host = 127.0.0.1:%d\n" % i.port + idp.config())
    i.migrate()
    i.start()
    yield i
    assert i.stop() == 0, i.stderr()


@pytest.fixture(autouse=True)
def reset_idp(idp):
    idp.bad_signature = False
    idp.nonce_override = None
    idp.aud_override = None
    idp.expired = False
    yield


def set_user(idp, sub, email=None, username=None):
    idp.user = {"sub": sub, "email": email or sub + "@example.org",
                "preferred_username": username or sub}


def start(c, provider="testidp", **params):
    """GET /login/<provider>/ -> the provider's authorize URL."""
    path = "/login/%s/" % provider
    if params:
        path += "?" + urllib.parse.urlencode(params)
    r = c.get(path)
    assert r.status_code == 302, (r.status_code, r.text[:500])
    return r.headers["Location"]


def via_provider(authorize_url):
    """The provider's answer: the callback URL it sends the browser to."""
    r = requests.get(authorize_url, allow_redirects=False, timeout=10)
    assert r.status_code == 302, (r.status_code, r.text)
    return r.headers["Location"]


def callback(c, url):
    parts = urllib.parse.urlsplit(url)
    return c.get(parts.path + "?" + parts.query)


def remote_login(c, provider="testidp", **params):
    return callback(c, via_provider(start(c, provider, **params)))


def logged_in_as(c):
    r = c.get("/account/profile/")
    if r.status_code != 200:
        return None
    m = re.search(r'id="profile-username">([^<]*)<', r.text)
    return m.group(1) if m else None


def flashes(c, path="/accounts/login/"):
    return c.get(path).text


def identities(c):
    return [(int(i), p) for p, i in re.findall(r'action="/disconnect/([\w-]+)/(\d+)/"',
                                                c.get("/account/profile/").text)]


# --- the happy paths ---------------------------------------------------------


def test_login_page_shows_configured_providers(inst):
    c = client(inst)
    r = c.get("/accounts/login/?next=/domain/add/")
    assert r.status_code == 200
    assert_security_headers(r)
    assert 'id="remote-login-testidp"' in r.text and "Log in with Test IdP" in r.text
    assert 'id="remote-login-github"' in r.text and "Log in with GitHub" in r.text
    assert 'href="/login/testidp/?next=%2Fdomain%2Fadd%2F"' in r.text


def test_authorize_request_has_state_pkce_and_nonce(inst, idp):
    c = client(inst)
    url = start(c)
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert url.startswith(idp.base + "/authorize?")
    assert q["client_id"] == OidcProvider.CLIENT_ID and q["response_type"] == "code"
    assert q["code_challenge_method"] == "S256" and len(q["code_challenge"]) == 43
    assert len(q["state"]) >= 32 and len(q["nonce"]) >= 32
    assert q["redirect_uri"] == "http://127.0.0.1:%d/complete/testidp/" % inst.port
    assert "openid" in q["scope"].split()
    # A second flow gets fresh values.
    q2 = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(start(client(inst))).query))
    assert q2["state"] != q["state"] and q2["code_challenge"] != q["code_challenge"]
    assert q2["nonce"] != q["nonce"]


def test_first_remote_login_creates_an_account(inst, idp):
    set_user(idp, "new-sub-1", email="fresh.person@example.org")
    c = client(inst)
    r = remote_login(c, next="/domain/add/")
    assert r.status_code == 302 and r.headers["Location"] == "/domain/add/", r.text
    assert logged_in_as(c) == "fresh.person@example.org"
    # No password was set; the token request used client_secret_basic and
    # the PKCE verifier the provider checked.
    tr = idp.token_requests[-1]
    assert tr["auth"].startswith("Basic ") and "client_secret" not in tr["form"]
    assert tr["form"]["code_verifier"]
    page = c.get("/account/settings/").text
    assert 'id="no-local-password"' in page
    assert 'name="old_password"' not in page
    # Logging in again with the same identity finds the same account, even
    # when the provider's e-mail address changed.
    set_user(idp, "new-sub-1", email="changed@example.org")
    c2 = client(inst)
    r = remote_login(c2)
    assert r.status_code == 302 and r.headers["Location"] == "/overview/"
    assert logged_in_as(c2) == "fresh.person@example.org"


def test_user_names_are_made_unique(inst, idp):
    create_user(inst, "taken@example.org", PASSWORD, email="taken@example.org")
    set_user(idp, "sub-taken", email="taken@example.org")
    c = client(inst)
    remote_login(c)
    name = logged_in_as(c)
    assert name and name != "taken@example.org" and name.startswith("taken@example.org-")


def test_associate_from_profile_then_log_in_with_it(inst, idp):
    create_user(inst, "assoc1", PASSWORD)
    c = client(inst)
    c.login("assoc1", PASSWORD)
    assert "connect-testidp" in c.get("/account/profile/").text
    set_user(idp, "assoc-sub-1", username="assoc-remote")
    r = remote_login(c, associate="1")
    assert r.status_code == 302 and r.headers["Location"] == "/account/profile/"
    page = c.get("/account/profile/").text
    assert "has been connected" in page
    assert "assoc-remote" in page and "Test IdP" in page
    assert len(identities(c)) == 1
    # A fresh browser logs in as assoc1 through the remote identity.
    c2 = client(inst)
    r = remote_login(c2)
    assert r.status_code == 302
    assert logged_in_as(c2) == "assoc1"


def test_identity_of_another_account_is_not_taken_over(inst, idp):
    set_user(idp, "owned-sub")
    c1 = client(inst)
    remote_login(c1)
    owner = logged_in_as(c1)
    create_user(inst, "assoc2", PASSWORD)
    c2 = client(inst)
    c2.login("assoc2", PASSWORD)
    r = remote_login(c2, associate="1")
    assert r.status_code == 302 and r.headers["Location"] == "/account/profile/"
    assert "already connected to another account" in c2.get("/account/profile/").text
    assert identities(c2) == []
    assert logged_in_as(c1) == owner


def test_disconnect_rules(inst, idp):
    # An account made by a remote login has no other way to log in.
    set_user(idp, "only-way-sub", email="onlyway@example.org")
    c = client(inst)
    remote_login(c)
    ids = identities(c)
    assert len(ids) == 0      # no disconnect form is offered ...
    page = c.get("/account/profile/").text
    assert "Your only way to log in" in page
    ident = re.search(r'id="disconnect-blocked-(\d+)"', page).group(1)
    # ... and a hand-made POST is refused.
    r = c.post("/disconnect/testidp/%s/" % ident, {}, form_page="/account/profile/")
    assert r.status_code == 302 and r.headers["Location"] == "/account/profile/"
    page = c.get("/account/profile/").text
    assert "This is your only way to log in" in page
    assert 'id="disconnect-blocked-%s"' % ident in page
    # A second remote identity makes each of them removable.
    set_user(idp, "only-way-sub-2")
    remote_login(c, associate="1")
    ids = identities(c)
    assert len(ids) == 2
    r = c.post("/disconnect/testidp/%d/" % ids[0][0], {}, form_page="/account/profile/")
    assert r.status_code == 302
    assert "has been disconnected" in c.get("/account/profile/").text
    assert "Your only way to log in" in c.get("/account/profile/").text
    last = re.search(r'id="disconnect-blocked-(\d+)"', c.get("/account/profile/").text).group(1)
    # Setting a local password (no old one needed) allows removing the last.
    r = c.post("/account/settings/", {"new_password1": "a new local pw 9",
                                      "new_password2": "a new local pw 9"})
    assert r.status_code == 302, r.text[:2000]
    r = c.post("/disconnect/testidp/%s/" % last, {}, form_page="/account/profile/")
    assert r.status_code == 302
    assert identities(c) == [] and "No remote account is connected" in \
        c.get("/account/profile/").text
    # The account still logs in with its password.
    name = logged_in_as(c)
    c3 = client(inst)
    c3.login(name, "a new local pw 9")
    assert logged_in_as(c3) == name


def test_disconnect_needs_post_csrf_and_ownership(inst, idp):
    create_user(inst, "disc1", PASSWORD)
    c = client(inst)
    c.login("disc1", PASSWORD)
    set_user(idp, "disc1-sub")
    remote_login(c, associate="1")
    (ident, prov), = identities(c)
    # GET is not allowed, a POST without the token is refused.
    assert c.get("/disconnect/testidp/%d/" % ident).status_code == 405
    r = c.post("/disconnect/testidp/%d/" % ident, {}, token=False)
    assert r.status_code == 403
    # Another user gets 404 for it; a wrong provider name too.
    create_user(inst, "disc2", PASSWORD)
    other = client(inst)
    other.login("disc2", PASSWORD)
    r = other.post("/disconnect/testidp/%d/" % ident, {}, form_page="/account/profile/")
    assert r.status_code == 404
    r = c.post("/disconnect/github/%d/" % ident, {}, form_page="/account/profile/")
    assert r.status_code == 404
    assert len(identities(c)) == 1
    # Anonymous: to the login page.
    r = client(inst).post("/disconnect/testidp/%d/" % ident, {}, token=False)
    assert r.status_code in (302, 403)


def test_github_style_oauth2(inst, idp):
    idp.gh_user = {"id": 90210, "login": "octo-cat", "email": None}
    idp.gh_emails = [{"email": "octo@example.net", "primary": True, "verified": True}]
    c = client(inst)
    url = start(c, "github")
    q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert url.startswith(idp.base + "/github/authorize?")
    assert q["code_challenge_method"] == "S256" and "nonce" not in q
    r = callback(c, via_provider(url))
    assert r.status_code == 302 and r.headers["Location"] == "/overview/"
    # The private address came from /user/emails.
    assert logged_in_as(c) == "octo@example.net"
    tr = idp.token_requests[-1]
    assert tr["form"]["client_id"] == OidcProvider.GH_CLIENT_ID


def test_unknown_provider_is_404(inst):
    c = client(inst)
    assert c.get("/login/nosuch/").status_code == 404
    assert c.get("/complete/nosuch/?code=x&state=y").status_code == 404


def test_logged_in_user_following_a_login_link_goes_to_profile(inst):
    create_user(inst, "already1", PASSWORD)
    c = client(inst)
    c.login("already1", PASSWORD)
    r = c.get("/login/testidp/")
    assert r.status_code == 302 and r.headers["Location"] == "/account/profile/"


# --- refused ------------------------------------------------------------------


def assert_refused(c, r, message):
    assert r.status_code == 302 and r.headers["Location"] == "/accounts/login/", \
        (r.status_code, r.headers.get("Location"))
    assert message in flashes(c)
    assert logged_in_as(c) is None
    assert c.get("/overview/").status_code == 302


def test_forged_state_is_refused(inst, idp):
    set_user(idp, "forged-state-sub")
    c = client(inst)
    cb = via_provider(start(c))
    forged = re.sub(r"state=[^&]+", "state=forgedforgedforgedforgedforgedforged123", cb)
    assert forged != cb
    assert_refused(c, callback(c, forged), "was not started in this browser")
    # The flow is used up: the genuine answer does not work afterwards.
    assert_refused(c, callback(c, cb), "was not started in this browser")


def test_callback_into_another_session_is_refused(inst, idp):
    """Login CSRF: an attacker's own callback URL, opened in the victim's
    browser, logs nobody in."""
    set_user(idp, "attacker-sub")
    attacker = client(inst)
    cb = via_provider(start(attacker))
    victim = client(inst)
    victim.get("/accounts/login/")
    assert_refused(victim, callback(victim, cb), "was not started in this browser")


def test_provider_error_is_refused(inst):
    c = client(inst)
    url = start(c)
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))["state"]
    r = c.get("/complete/testidp/?error=access_denied&state=" + state)
    assert_refused(c, r, "cancelled or refused")


def test_bad_id_token_signature_is_refused(inst, idp):
    set_user(idp, "badsig-sub")
    idp.bad_signature = True
    c = client(inst)
    assert_refused(c, remote_login(c), "could not be verified")
    assert "bad signature" in inst.stderr()


def test_wrong_nonce_is_refused(inst, idp):
    set_user(idp, "nonce-sub")
    idp.nonce_override = "not-the-nonce-nsupd-sent"
    c = client(inst)
    assert_refused(c, remote_login(c), "could not be verified")
    assert "wrong nonce" in inst.stderr()


def test_wrong_audience_is_refused(inst, idp):
    set_user(idp, "aud-sub")
    idp.aud_override = "some-other-client"
    c = client(inst)
    assert_refused(c, remote_login(c), "could not be verified")
    assert "not issued to this client" in inst.stderr()


def test_expired_id_token_is_refused(inst, idp):
    set_user(idp, "exp-sub")
    idp.expired = True
    c = client(inst)
    assert_refused(c, remote_login(c), "could not be verified")


def test_refused_logins_created_no_accounts(inst):
    for sub in ("forged-state-sub", "badsig-sub", "nonce-sub", "aud-sub", "exp-sub",
                "attacker-sub"):
        # The name a remote login would have given the account is free.
        p = inst.run("user", "add", sub + "@example.org", "--email", sub + "@example.org")
        assert p.returncode == 0, (sub, p.stdout, p.stderr)


def test_registration_closed_refuses_new_remote_accounts(idp, tmp_path):
    i = Nsupd(tmp_path)
    with open(i.conf, "a") as f:
        f.write("\n[site]\nwww_host = 127.0.0.1:%d\nregistration_open = false\n" % i.port +
                idp.config(github=False))
    i.migrate()
    i.start()
    try:
        set_user(idp, "closed-sub")
        c = client(i)
        assert_refused(c, remote_login(c), "registration is closed")
        assert "remote-login-github" not in c.get("/accounts/login/").text
    finally:
        assert i.stop() == 0, i.stderr()


# --- configuration --------------------------------------------------------------


@pytest.mark.parametrize("text, message", [
    ("[oauth.github]\nclient_secret = x\n", ":1: [oauth.github] client_id: missing"),
    ("[oauth.bitbucket]\nclient_id = a\n", "[oauth.bitbucket]: unknown provider"),
    ("[oidc.corp]\nclient_id = a\nclient_secret = b\n",
     "[oidc.corp] authorize_url: missing"),
    ("[oidc.corp]\nclient_id = a\nclient_secret = b\ndiscovery_url = http://example.org/x\n",
     ":4: [oidc.corp] discovery_url: not an https:// URL"),
    ("[oidc.Corp]\nclient_id = a\n", "[oidc.Corp]: NAME may contain only"),
    ("[oidc.corp]\nclient_id = a\nclient_secret = b\nbogus = 1\n",
     ":4: [oidc.corp] bogus: unknown key"),
    ("[oidc.github]\nclient_id = a\n", "taken by a built-in provider"),
])
def test_bad_provider_config_stops_start_up(tmp_path, text, message):
    i = Nsupd(tmp_path)
    with open(i.conf) as f:
        lines = f.read().count("\n")
    with open(i.conf, "a") as f:
        f.write(text)
    p = i.run("serve")
    assert p.returncode != 0
    # Messages carry FILE:LINE; lines count from the end of the generated part.
    m = re.search(r"nsupd\.conf:(\d+): (.*)", p.stderr)
    assert m, p.stderr
    if message.startswith(":"):
        line, rest = message[1:].split(": ", 1)
        assert int(m.group(1)) == lines + int(line), (m.group(0), lines)
        assert rest in m.group(2), p.stderr
    else:
        assert message in m.group(2), p.stderr
