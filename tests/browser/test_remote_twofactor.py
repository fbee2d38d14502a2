"""Remote login and two-factor login in a real (headless) browser: an OpenID
Connect login through the test provider (oidc_provider.py) on loopback,
redirects and cookies across the two origins included, and a TOTP
enrolment (QR code page) followed by a login with a code the test
computes. Screenshots light and dark."""

import base64
import hashlib
import hmac
import struct
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

import browserlib
import nsupdlib
from oidc_provider import OidcProvider
from webutil import create_user

PASSWORD = "browser tfa pw 1"


def totp(secret_b32, step):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    mac = hmac.new(key, struct.pack(">Q", step), hashlib.sha1).digest()
    off = mac[-1] & 0x0F
    return "%06d" % ((struct.unpack(">I", mac[off:off + 4])[0] & 0x7FFFFFFF) % 1000000)


@pytest.fixture(scope="module")
def idp():
    p = OidcProvider().start()
    yield p
    p.stop()


@pytest.fixture(scope="module")
def site2(idp, tmp_path_factory):
    inst = nsupdlib.Nsupd(tmp_path_factory.mktemp("browser-remote"))
    with open(inst.conf, "a") as f:
        f.write("\n[site]\nwww_host = 127.0.0.1:%d\n" % inst.port + idp.config())
    inst.migrate()
    create_user(inst, "tfabrowser", PASSWORD)
    inst.start()
    yield inst
    assert inst.stop() == 0, inst.stderr()


def no_csp_errors(browser):
    errors = [e for e in browser.console_errors() if "Content Security Policy" in
              e.get("message", "")]
    assert not errors, errors


@pytest.mark.parametrize("dark", [False, True])
def test_oidc_login_in_the_browser(site2, idp, dark):
    if not browserlib.available():
        pytest.fail("chromium/chromedriver not installed (scripts/install-deps.sh)")
    b = browserlib.Browser(dark=dark)
    try:
        d = b.driver
        wait = browserlib.page_wait(d, 20)
        suffix = "-dark" if dark else ""
        idp.user = {"sub": "browser-sub" + suffix, "email": "browser%s@example.org" % suffix,
                    "preferred_username": "browserperson"}
        d.get(site2.url("/overview/"))
        wait.until(EC.presence_of_element_located((By.ID, "remote-login-testidp")))
        b.screenshot("remote-login" + suffix)
        d.find_element(By.ID, "remote-login-testidp").click()
        # Through the provider and back, then on to the page asked for.
        wait.until(EC.presence_of_element_located((By.ID, "hosts")))
        assert d.current_url == site2.url("/overview/")
        assert "browser%s@example.org" % suffix in d.find_element(By.TAG_NAME, "nav").text
        assert idp.authorize_requests[-1]["code_challenge_method"] == "S256"
        d.get(site2.url("/account/profile/"))
        wait.until(EC.presence_of_element_located((By.ID, "remote-accounts")))
        text = d.find_element(By.ID, "remote-accounts").text
        assert "Test IdP" in text and "browserperson" in text
        assert "Your only way to log in" in text
        d.execute_script("document.getElementById('remote-accounts').scrollIntoView()")
        b.screenshot("remote-profile" + suffix)
        no_csp_errors(b)
    finally:
        b.quit()


def test_totp_enrol_and_login_in_the_browser(site2, browser):
    d = browser.driver
    wait = browserlib.page_wait(d, 20)
    d.get(site2.url("/accounts/login/"))
    wait.until(EC.presence_of_element_located((By.ID, "id_username")))
    d.find_element(By.ID, "id_username").send_keys("tfabrowser")
    d.find_element(By.ID, "id_password").send_keys(PASSWORD)
    d.find_element(By.CSS_SELECTOR, "form[action='/accounts/login/'] button[type=submit]").click()
    wait.until(EC.presence_of_element_located((By.ID, "hosts")))

    d.get(site2.url("/account/two-factor/"))
    wait.until(EC.presence_of_element_located((By.ID, "totp-start-form")))
    browser.screenshot("totp-off")
    d.find_element(By.ID, "id_password").send_keys(PASSWORD)
    d.find_element(By.CSS_SELECTOR, "#totp-start-form button[type=submit]").click()
    wait.until(EC.presence_of_element_located((By.ID, "totp-confirm-form")))
    qr = d.find_element(By.CSS_SELECTOR, "svg.totp-qr")
    assert qr.size["width"] >= 150 and qr.size["height"] == qr.size["width"]
    browser.screenshot("totp-enrol")
    d.find_element(By.CSS_SELECTOR, "details summary").click()
    secret = d.find_element(By.ID, "totp-secret").text.replace(" ", "")
    step = int(time.time()) // 30
    d.find_element(By.ID, "id_code").send_keys(totp(secret, step))
    d.find_element(By.CSS_SELECTOR, "#totp-confirm-form button[type=submit]").click()
    wait.until(EC.presence_of_element_located((By.ID, "recovery-codes")))
    assert len(d.find_elements(By.CSS_SELECTOR, "#recovery-codes li")) == 10
    browser.screenshot("totp-recovery-codes")

    d.find_element(By.CSS_SELECTOR, "form[action='/accounts/logout/'] button").click()
    # The logout's answer (the home page) first: a login page asked for while
    # the logout is still on its way would find the session alive and
    # send the browser on to the overview.
    wait.until(EC.presence_of_element_located((By.ID, "ipv4")))
    d.get(site2.url("/accounts/login/"))
    wait.until(EC.presence_of_element_located((By.ID, "id_username")))
    d.find_element(By.ID, "id_username").send_keys("tfabrowser")
    d.find_element(By.ID, "id_password").send_keys(PASSWORD)
    d.find_element(By.CSS_SELECTOR, "form[action='/accounts/login/'] button[type=submit]").click()
    wait.until(EC.presence_of_element_located((By.ID, "totp-login-form")))
    browser.screenshot("totp-login")
    # A reused code is refused, the next one logs in.
    d.find_element(By.ID, "id_code").send_keys(totp(secret, step))
    d.find_element(By.CSS_SELECTOR, "#totp-login-form button[type=submit]").click()
    wait.until(EC.presence_of_element_located((By.ID, "code-error")))
    d.find_element(By.ID, "id_code").send_keys(totp(secret, max(step, int(time.time()) // 30) + 1))
    d.find_element(By.CSS_SELECTOR, "#totp-login-form button[type=submit]").click()
    wait.until(EC.presence_of_element_located((By.ID, "hosts")))
    assert "tfabrowser" in d.find_element(By.TAG_NAME, "nav").text
    no_csp_errors(browser)
