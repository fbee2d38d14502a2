"""Accounts in a real (headless) browser: register through the form, read the
activation mail from a real SMTP server, follow the link, log in; switch the
profile's language; change the password; the deletion page. Screenshots of
every account page, light and dark, are kept as artefacts."""

import re
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

import browserlib
import nsupdlib
from named import Named, ZoneSpec
from smtpsink import SmtpSink

ZONE = "mailcheck.test"
PASSWORD = "browser secret 77"
LINK_RE = re.compile(r"http://www\.nsupd\.test(/account/activate/[A-Za-z0-9]+/)")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    ns = Named(str(tmp_path_factory.mktemp("acc-named")),
               [ZoneSpec(name=ZONE, records=["@ IN MX 10 mx", "mx IN A 192.0.2.25"])])
    ns.start()
    sink = SmtpSink().start()
    inst = nsupdlib.Nsupd(tmp_path_factory.mktemp("acc-browser"),
                          extra="[site]\nemail_check_resolver = %s\n[mail]\nsmtp_url = %s\n"
                          % (ns.server, sink.url))
    inst.migrate()
    inst.start()
    yield inst, sink
    rc = inst.stop()
    sink.stop()
    ns.stop()
    assert rc == 0, inst.stderr()


def wait_mail(sink, rcpt, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = sink.to(rcpt)
        if got:
            return got[-1]
        time.sleep(0.05)
    raise AssertionError("no mail to %s" % rcpt)


def styled(d):
    button = d.find_element(By.CSS_SELECTOR, "main .btn-primary, main .btn-danger")
    color = button.value_of_css_property("background-color")
    assert color not in ("rgba(0, 0, 0, 0)", "transparent"), color


def no_csp_errors(browser):
    errs = [e for e in browser.console_errors() if "Content Security Policy" in
            e.get("message", "")]
    assert not errs, errs


def test_register_activate_login(env, browser):
    site, sink = env
    d = browser.driver
    wait = browserlib.page_wait(d, 20)
    d.get(site.url("/"))
    d.find_element(By.CSS_SELECTOR, "nav a[href='/account/register/']").click()
    wait.until(EC.presence_of_element_located((By.ID, "register-form")))
    styled(d)
    browser.screenshot("accounts-register")

    # A mismatch first: the form comes back with the error at the field.
    d.find_element(By.ID, "id_username").send_keys("webby")
    d.find_element(By.ID, "id_email").send_keys("webby@" + ZONE)
    d.find_element(By.ID, "id_password1").send_keys(PASSWORD)
    d.find_element(By.ID, "id_password2").send_keys(PASSWORD + "x")
    d.find_element(By.CSS_SELECTOR, "#register-form button[type=submit]").click()
    err = wait.until(EC.presence_of_element_located((By.ID, "id_password2_error")))
    assert "match" in err.text
    assert d.find_element(By.ID, "id_username").get_attribute("value") == "webby"
    browser.screenshot("accounts-register-error")

    d.find_element(By.ID, "id_password1").send_keys(PASSWORD)
    d.find_element(By.ID, "id_password2").send_keys(PASSWORD)
    d.find_element(By.CSS_SELECTOR, "#register-form button[type=submit]").click()
    wait.until(EC.url_contains("/account/register/complete/"))
    assert "Check your e-mail" in d.find_element(By.TAG_NAME, "h1").text
    browser.screenshot("accounts-register-complete")

    # Logging in before activation is refused with a clear message.
    d.get(site.url("/accounts/login/"))
    d.find_element(By.ID, "id_username").send_keys("webby")
    d.find_element(By.ID, "id_password").send_keys(PASSWORD)
    d.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    err = wait.until(EC.presence_of_element_located((By.ID, "login-error")))
    assert "not active" in err.text

    mail = wait_mail(sink, "webby@" + ZONE)
    m = LINK_RE.search(mail.body)
    assert m, mail.body
    d.get(site.url(m.group(1)))
    wait.until(EC.url_contains("/account/activate/complete/"))
    browser.screenshot("accounts-activated")
    d.find_element(By.ID, "activated-login").click()
    wait.until(EC.presence_of_element_located((By.ID, "id_username")))
    d.find_element(By.ID, "id_username").send_keys("webby")
    d.find_element(By.ID, "id_password").send_keys(PASSWORD)
    d.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    wait.until(EC.url_contains("/overview/"))
    assert "webby" in d.find_element(By.TAG_NAME, "nav").text

    # Profile: switch the language to German; the page comes back in it.
    d.find_element(By.CSS_SELECTOR, "nav a[href='/account/profile/']").click()
    wait.until(EC.presence_of_element_located((By.ID, "profile-form")))
    styled(d)
    browser.screenshot("accounts-profile")
    d.find_element(By.ID, "id_first_name").send_keys("Web")
    Select(d.find_element(By.ID, "id_language")).select_by_value("de")
    d.find_element(By.CSS_SELECTOR, "#profile-form button[type=submit]").click()
    wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".alert-success"),
                                                "Ihr Profil wurde gespeichert"))
    assert d.find_element(By.TAG_NAME, "html").get_attribute("lang") == "de"
    assert "Ihr Konto" in d.find_element(By.TAG_NAME, "h1").text
    browser.screenshot("accounts-profile-de")

    d.get(site.url("/account/settings/"))
    wait.until(EC.presence_of_element_located((By.ID, "password-form")))
    browser.screenshot("accounts-settings-de")
    d.find_element(By.ID, "id_old_password").send_keys(PASSWORD)
    d.find_element(By.ID, "id_new_password1").send_keys("an even better one 1")
    d.find_element(By.ID, "id_new_password2").send_keys("an even better one 1")
    d.find_element(By.CSS_SELECTOR, "#password-form button[type=submit]").click()
    wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, ".alert-success"),
                                                "Passwort wurde geändert"))

    d.get(site.url("/account/delete/"))
    wait.until(EC.presence_of_element_located((By.ID, "delete-form")))
    styled(d)
    browser.screenshot("accounts-delete-de")
    no_csp_errors(browser)


def test_account_pages_dark(env):
    """The anonymous account pages in the dark theme (screenshots)."""
    site, _ = env
    if not browserlib.available():
        pytest.fail("chromium/chromedriver not installed")
    b = browserlib.Browser(dark=True)
    try:
        d = b.driver
        wait = browserlib.page_wait(d, 20)
        for path, name, marker in [
                ("/account/register/", "register", "register-form"),
                ("/accounts/password_reset/", "password-reset", "id_email"),
                ("/account/register/closed/", "register-closed", "main"),
                ("/account/activate/%s/" % ("a" * 43), "activate-failed", "activation-error")]:
            d.get(site.url(path))
            wait.until(EC.presence_of_element_located((By.ID, marker)))
            assert d.execute_script(
                "return document.documentElement.getAttribute('data-bs-theme')") == "dark"
            b.screenshot("accounts-%s-dark" % name)
        no_csp_errors(b)
    finally:
        b.quit()
