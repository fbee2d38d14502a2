"""The acceptance journey of the web interface (issue 3), in one headless
Chromium session against nsupd, a real BIND9 `named` and a real SMTP server:

register, read the activation mail, follow its link, log in; add a domain
that points at named (the key the page generates goes into named's
configuration, then "available" runs the real connectivity test); add a
host, copy its secret from the page, update it with curl, see the address on
the host page and in dig; reset the password by mail and log in with the new
one; delete the account and see the records gone from named.

Screenshots of the main pages are kept as artefacts in $NSUPD_ARTIFACTS
(default: $NSUPD_BROWSER_ARTIFACTS/journey as scripts/check.sh sets it, else
$NSUPD_BUILD/browser-screenshots/journey)."""

import os
import re
import subprocess
import time

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

import browserlib
import nsupdlib
from named import Named, ZoneSpec
from smtpsink import SmtpSink

MAIL_ZONE = "journeymail.test"
ZONE = "journey.nsupd.test"
USER = "journey"
EMAIL = "journey@" + MAIL_ZONE
PASSWORD = "first journey pw 1"
NEW_PASSWORD = "second journey pw 2"
LABEL = "myrouter"
FQDN = LABEL + "." + ZONE
NEW_IP = "192.0.2.77"


def artifacts_dir():
    d = os.environ.get("NSUPD_ARTIFACTS")
    if not d and os.environ.get("NSUPD_BROWSER_ARTIFACTS"):
        d = os.path.join(os.environ["NSUPD_BROWSER_ARTIFACTS"], "journey")
    if not d:
        build = os.environ.get("NSUPD_BUILD") or os.path.dirname(nsupdlib.NSUPD_BIN)
        d = os.path.join(build, "browser-screenshots", "journey")
    os.makedirs(d, exist_ok=True)
    return d


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    # named starts with the zone the e-mail check resolves (spec 5.12); the
    # user's own zone is added once the domain page has made its key.
    ns = Named(str(tmp_path_factory.mktemp("journey-named")),
               [ZoneSpec(name=MAIL_ZONE, records=["@ IN MX 10 mx", "mx IN A 192.0.2.25"])])
    ns.start()
    sink = SmtpSink().start()
    inst = None
    try:
        inst = nsupdlib.Nsupd(tmp_path_factory.mktemp("journey-nsupd"))
        # The mails' links point at www_host: here, the instance itself, so
        # the browser follows them as they are.
        with open(inst.conf, "a") as f:
            f.write("\n[site]\nwww_host = 127.0.0.1:%d\nemail_check_resolver = %s\n"
                    "[mail]\nsmtp_url = %s\nfrom = accounts@nsupd.test\ntimeout = 10\n"
                    % (inst.port, ns.server, sink.url))
        inst.migrate()
        inst.start()
        yield inst, ns, sink
    finally:
        rc = inst.stop() if inst is not None else 0
        sink.stop()
        ns.stop()
    assert rc == 0, inst.stderr()


@pytest.fixture
def browser():
    if not browserlib.available():
        pytest.fail("chromium/chromedriver not installed (scripts/install-deps.sh)")
    b = browserlib.Browser()
    yield b
    b.quit()


def shot(b, name):
    b.driver.save_screenshot(os.path.join(artifacts_dir(), name + ".png"))


def click(d, el):
    """Like a user: scrolled into the middle of the window first (the footer
    must not take the click)."""
    d.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", el)
    el.click()


def submit(d, form_css):
    click(d, d.find_element(By.CSS_SELECTOR, form_css + " button[type=submit]"))


def wait_mail(sink, rcpt, n, timeout=20):
    """The n-th mail to rcpt (1-based), waiting for it (bounded)."""
    deadline = time.monotonic() + timeout
    while True:
        got = sink.to(rcpt)
        if len(got) >= n:
            return got[n - 1]
        if time.monotonic() > deadline:
            raise AssertionError("mail %d to %s did not come: %r" % (n, rcpt, sink.messages))
        time.sleep(0.05)


def link_in(mail, site, path_re):
    m = re.search(r"http://127\.0\.0\.1:%d(%s)" % (site.port, path_re), mail.body)
    assert m, mail.body
    return m.group(0)


def dig(ns, name, rdtype="A"):
    p = subprocess.run(["dig", "@127.0.0.1", "-p", str(ns.port), "+short", "+norecurse",
                        "+time=2", "+tries=2", name, rdtype],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, (p.returncode, p.stdout, p.stderr)
    return sorted(line for line in p.stdout.split() if line)


def main_text(d):
    return d.find_element(By.TAG_NAME, "main").text


def log_in(d, wait, password):
    wait.until(EC.presence_of_element_located((By.ID, "id_username"))).send_keys(USER)
    d.find_element(By.ID, "id_password").send_keys(password)
    submit(d, "form[action='/accounts/login/']")


def csp_errors(b):
    return [e for e in b.console_errors() if "Content Security Policy" in e.get("message", "")]


def test_journey(env, browser):
    site, ns, sink = env
    d = browser.driver
    wait = browserlib.page_wait(d, 20)

    # ---- register, activate by mail, log in ----
    d.get(site.url("/"))
    wait.until(EC.presence_of_element_located((By.TAG_NAME, "main")))
    shot(browser, "01-home")
    click(d, d.find_element(By.CSS_SELECTOR, "nav a[href='/account/register/']"))
    wait.until(EC.presence_of_element_located((By.ID, "register-form")))
    d.find_element(By.ID, "id_username").send_keys(USER)
    d.find_element(By.ID, "id_email").send_keys(EMAIL)
    d.find_element(By.ID, "id_password1").send_keys(PASSWORD)
    d.find_element(By.ID, "id_password2").send_keys(PASSWORD)
    shot(browser, "02-register")
    submit(d, "#register-form")
    wait.until(EC.url_contains("/account/register/complete/"))
    shot(browser, "03-register-complete")
    mail = wait_mail(sink, EMAIL, 1)
    assert mail.rcpts == [EMAIL]
    d.get(link_in(mail, site, r"/account/activate/[A-Za-z0-9]+/"))
    wait.until(EC.url_contains("/account/activate/complete/"))
    shot(browser, "04-activated")

    d.get(site.url("/accounts/login/"))
    log_in(d, wait, PASSWORD)
    wait.until(EC.url_contains("/overview/"))
    wait.until(EC.presence_of_element_located((By.ID, "hosts-heading")))
    shot(browser, "05-overview-empty")

    # ---- a domain on named: the page makes the key, named gets it ----
    click(d, d.find_element(By.CSS_SELECTOR, "nav a[href='/domain/add/']"))
    wait.until(EC.presence_of_element_located((By.ID, "id_name"))).send_keys(ZONE)
    d.find_element(By.ID, "id_nameserver").send_keys(ns.server)
    Select(d.find_element(By.ID, "id_algorithm")).select_by_value("hmac-sha256")
    d.find_element(By.ID, "id_comment").send_keys("journey zone")
    shot(browser, "06-domain-add")
    submit(d, "#domain-add-form")
    secret_el = wait.until(EC.presence_of_element_located((By.ID, "ns-secret")))
    zone_secret = secret_el.text.strip()
    assert 'secret "%s";' % zone_secret in d.find_element(By.ID, "bind-config").text
    shot(browser, "07-domain-key")
    domain_url = re.sub(r"/generate_ns_secret/(\d+)/$", r"/domain/\1/", d.current_url)
    assert domain_url != d.current_url, d.current_url

    # "Available" runs the connectivity test for real: refused while named
    # does not know the zone ...
    d.get(domain_url)
    avail = wait.until(EC.presence_of_element_located((By.ID, "id_available")))
    click(d, avail)
    submit(d, "#domain-form")
    err = wait.until(EC.presence_of_element_located((By.ID, "connectivity-error")))
    assert "connectivity-test." + ZONE in err.text, err.text
    shot(browser, "08-domain-connectivity-refused")
    assert dig(ns, "connectivity-test." + ZONE) == []

    # ... and accepted once named serves the zone with the page's key.
    ns.stop()
    ns.zones.append(ZoneSpec(name=ZONE, algorithm="hmac-sha256", secret=zone_secret))
    ns.start()
    d.get(domain_url)
    avail = wait.until(EC.presence_of_element_located((By.ID, "id_available")))
    if not avail.is_selected():
        click(d, avail)
    submit(d, "#domain-form")
    wait.until(EC.url_contains("/overview/"))
    assert "Domain updated." in main_text(d)
    assert len(dig(ns, "connectivity-test." + ZONE)) == 1
    row = d.find_element(By.XPATH, "//table[@id='domains']//tr[.//a[normalize-space()='%s']]"
                         % ZONE)
    assert "journey zone" in row.text

    # ---- a host, its secret copied from the page, updated with curl ----
    click(d, d.find_element(By.ID, "add-host"))
    wait.until(EC.presence_of_element_located((By.ID, "id_name"))).send_keys(LABEL)
    Select(d.find_element(By.ID, "id_domain")).select_by_visible_text(ZONE)
    d.find_element(By.ID, "id_comment").send_keys("home router")
    shot(browser, "09-host-add")
    submit(d, "#host-add-form")
    host_secret = wait.until(EC.presence_of_element_located((By.ID, "secret"))).text.strip()
    assert d.find_element(By.ID, "cfg-fqdn").text == FQDN
    assert re.fullmatch(r"[A-Za-z0-9]{20,}", host_secret), host_secret
    shot(browser, "10-host-config")
    # The new host starts with the address the browser came from.
    assert dig(ns, FQDN) == ["127.0.0.1"]

    p = subprocess.run(["curl", "-sS", "--max-time", "20", "-u", "%s:%s" % (FQDN, host_secret),
                        site.url("/nic/update?myip=" + NEW_IP)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert p.stdout == "good " + NEW_IP, p.stdout
    assert dig(ns, FQDN) == [NEW_IP]

    d.get(site.url("/overview/"))
    link = wait.until(EC.presence_of_element_located((By.LINK_TEXT, FQDN)))
    assert NEW_IP in link.find_element(By.XPATH, "./ancestor::tr").text
    shot(browser, "11-overview")
    click(d, link)
    current = wait.until(EC.presence_of_element_located((By.ID, "current-a")))
    assert current.text == NEW_IP
    assert d.find_element(By.ID, "host-fqdn").text == FQDN
    shot(browser, "12-host")
    assert not csp_errors(browser), browser.console_errors()

    # ---- password reset by mail ----
    submit(d, "nav form[action='/accounts/logout/']")
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR,
                                               "nav a[href='/accounts/login/']")))
    d.get(site.url("/accounts/login/"))
    click(d, wait.until(EC.presence_of_element_located(
        (By.CSS_SELECTOR, "main a[href='/accounts/password_reset/']"))))
    wait.until(EC.presence_of_element_located((By.ID, "id_email"))).send_keys(EMAIL)
    shot(browser, "13-password-reset")
    submit(d, "main form")
    wait.until(EC.url_contains("/accounts/password_reset_done/"))
    shot(browser, "14-password-reset-done")
    mail = wait_mail(sink, EMAIL, 2)
    d.get(link_in(mail, site, r"/accounts/password_reset_confirm/[A-Za-z0-9_-]+/[A-Za-z0-9]+/"))
    wait.until(EC.presence_of_element_located((By.ID, "id_new_password1"))).send_keys(NEW_PASSWORD)
    d.find_element(By.ID, "id_new_password2").send_keys(NEW_PASSWORD)
    shot(browser, "15-password-reset-confirm")
    submit(d, "main form")
    wait.until(EC.url_contains("/accounts/password_reset_complete/"))
    shot(browser, "16-password-reset-complete")

    # The old password no longer works, the new one does.
    d.get(site.url("/accounts/login/"))
    log_in(d, wait, PASSWORD)
    wait.until(EC.presence_of_element_located((By.ID, "login-error")))
    assert "/accounts/login/" in d.current_url
    d.find_element(By.ID, "id_username").clear()
    log_in(d, wait, NEW_PASSWORD)
    wait.until(EC.url_contains("/overview/"))
    wait.until(EC.presence_of_element_located((By.LINK_TEXT, FQDN)))

    # ---- delete the account: its records leave named ----
    click(d, d.find_element(By.CSS_SELECTOR, "nav a[href='/account/profile/']"))
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "a[href='/account/delete/']")))
    shot(browser, "17-profile")
    click(d, d.find_element(By.CSS_SELECTOR, "a[href='/account/delete/']"))
    wait.until(EC.presence_of_element_located((By.ID, "delete-form")))
    assert "(1)" in d.find_element(By.ID, "delete-hosts").text
    assert "(1)" in d.find_element(By.ID, "delete-domains").text
    shot(browser, "18-account-delete")
    click(d, d.find_element(By.ID, "id_confirm"))
    submit(d, "#delete-form")
    wait.until(lambda drv: drv.current_url.rstrip("/") == site.url("").rstrip("/"))
    assert "Your account has been deleted." in main_text(d)
    shot(browser, "19-account-deleted")
    assert dig(ns, FQDN) == []
    assert dig(ns, FQDN, "AAAA") == []

    # Gone for good: no login, and the host's secret no longer updates.
    d.get(site.url("/accounts/login/"))
    log_in(d, wait, NEW_PASSWORD)
    wait.until(EC.presence_of_element_located((By.ID, "login-error")))
    p = subprocess.run(["curl", "-sS", "--max-time", "20", "-o", "/dev/null", "-w",
                        "%{http_code}", "-u", "%s:%s" % (FQDN, host_secret),
                        site.url("/nic/update?myip=" + NEW_IP)],
                       capture_output=True, text=True, timeout=30)
    assert p.stdout == "401", (p.stdout, p.stderr)
    assert dig(ns, FQDN) == []
    assert not csp_errors(browser), browser.console_errors()
