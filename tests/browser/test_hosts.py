"""Hosts in a real (headless) browser against nsupd and a real named: add a
host through the form, see the secret and the configuration help, find the
host on the overview, use the manual update/delete buttons (static JS, CSP
clean) and the browser-based updater, in the light and the dark theme.
Screenshots go to the artefact directory (browserlib.ARTIFACTS)."""

import os
import re
import sys

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

import browserlib
import nsupdlib
from webutil import create_user

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "system"))
from named import Named, ZoneSpec  # noqa: E402

USER = "hostsbrowser"
PASSWORD = "browser hosts 99"
ZONE = "browser.nsupd.test"


@pytest.fixture(scope="module")
def dns(tmp_path_factory):
    ns = Named(str(tmp_path_factory.mktemp("named-browser")),
               [ZoneSpec(name=ZONE, algorithm="hmac-sha256",
                         secret=ZoneSpec.random_secret("hmac-sha256"))])
    ns.start()
    yield ns
    ns.stop()


@pytest.fixture(scope="module")
def hsite(dns, tmp_path_factory):
    inst = nsupdlib.Nsupd(tmp_path_factory.mktemp("browser-hosts"))
    inst.migrate()
    create_user(inst, USER, PASSWORD)
    z = dns.zone(ZONE)
    inst.add_domain(ZONE, USER, dns.server, z.algorithm, z.secret, public=True)
    inst.start()
    yield inst
    assert inst.stop() == 0, inst.stderr()


def make_browser(**kw):
    if not browserlib.available():
        pytest.fail("chromium/chromedriver not installed (scripts/install-deps.sh)")
    return browserlib.Browser(**kw)


@pytest.fixture
def browser():
    b = make_browser()
    yield b
    b.quit()


def login(b, site):
    d = b.driver
    d.get(site.url("/accounts/login/?next=/overview/"))
    wait = browserlib.page_wait(d, 15)
    wait.until(EC.presence_of_element_located((By.ID, "id_username"))).send_keys(USER)
    d.find_element(By.ID, "id_password").send_keys(PASSWORD)
    d.find_element(By.CSS_SELECTOR, "form button[type=submit].btn-primary").click()
    wait.until(EC.presence_of_element_located((By.ID, "hosts")))


def click(d, css):
    """Scrolls the element to the middle first (the viewport edge must not
    take the click)."""
    el = d.find_element(By.CSS_SELECTOR, css)
    # Bootstrap's smooth scrolling would still be moving at click time.
    d.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", el)
    el.click()
    return el


def csp_errors(b):
    return [e for e in b.console_errors() if "Content Security Policy" in e.get("message", "")]


def add_host_via_form(b, label):
    d = b.driver
    wait = browserlib.page_wait(d, 20)
    d.find_element(By.ID, "add-host").click()
    wait.until(EC.presence_of_element_located((By.ID, "id_name"))).send_keys(label)
    Select(d.find_element(By.ID, "id_domain")).select_by_visible_text(ZONE)
    d.find_element(By.ID, "id_comment").send_keys("living room router")
    click(d, "#host-add-form button[type=submit]")
    secret = wait.until(EC.presence_of_element_located((By.ID, "secret"))).text
    assert re.fullmatch(r"[A-Za-z0-9]{20,}", secret), secret
    return secret


def test_add_host_configure_and_update(hsite, dns, browser):
    d = browser.driver
    wait = browserlib.page_wait(d, 20)
    login(browser, hsite)
    label = nsupdlib.unique_label("br")
    fqdn = "%s.%s" % (label, ZONE)
    secret = add_host_via_form(browser, label)
    assert "Host added." in d.find_element(By.TAG_NAME, "main").text
    assert d.find_element(By.ID, "cfg-fqdn").text == fqdn
    # The configuration help: sections open and carry the real values.
    click(d, "#cfg-fritzbox > summary")
    fritz = d.find_element(By.ID, "fritzbox-dualstack")
    assert fritz.is_displayed()
    assert fritz.text.endswith("/nic/update?myip=<ipaddr>,<ip6addr>")
    click(d, "#cfg-ddclient > summary")
    ddc = d.find_element(By.ID, "ddclient-old").text
    assert "login=%s" % fqdn in ddc and "password='%s'" % secret in ddc
    browser.screenshot("host-config")
    assert dns.query(fqdn, "A") == ["127.0.0.1"]

    # The overview lists it with the live address from named.
    d.get(hsite.url("/overview/"))
    link = wait.until(EC.presence_of_element_located((By.LINK_TEXT, fqdn)))
    row = link.find_element(By.XPATH, "./ancestor::tr")
    assert "127.0.0.1" in row.find_element(By.CSS_SELECTOR, ".dns-a").text
    assert "living room router" in row.text
    browser.screenshot("overview-hosts")

    # The host page: manual update with the button (JS, no reload).
    link.click()
    field = wait.until(EC.presence_of_element_located((By.ID, "id_myip4")))
    field.clear()
    field.send_keys("192.0.2.123")
    click(d, "#update-ipv4")
    wait.until(EC.text_to_be_present_in_element((By.ID, "nic-result"), "good 192.0.2.123"))
    assert d.find_element(By.ID, "current-a").text == "192.0.2.123"
    assert dns.query(fqdn, "A") == ["192.0.2.123"]
    field = d.find_element(By.ID, "id_myip6")
    field.clear()
    field.send_keys("2001:db8::123")
    click(d, "#update-ipv6")
    wait.until(EC.text_to_be_present_in_element((By.ID, "nic-result"), "good 2001:db8::123"))
    assert d.find_element(By.ID, "current-aaaa").text == "2001:db8::123"
    assert dns.query(fqdn, "AAAA") == ["2001:db8::123"]
    browser.screenshot("host")
    click(d, "#delete-ipv4")
    wait.until(EC.text_to_be_present_in_element((By.ID, "nic-result"), "deleted A"))
    assert d.find_element(By.ID, "current-a").text == "none"
    assert dns.query(fqdn, "A") == []
    # After a reload the page reads the same from named.
    d.refresh()
    wait.until(EC.presence_of_element_located((By.ID, "current-aaaa")))
    assert d.find_element(By.ID, "current-aaaa").text == "2001:db8::123"
    assert d.find_element(By.ID, "current-a").text == "none"
    assert not csp_errors(browser), browser.console_errors()

    # The browser-based updater, with the credentials from the help page.
    d.get(hsite.url("/update").replace("://", "://%s:%s@" % (fqdn, secret)))
    wait.until(EC.text_to_be_present_in_element((By.ID, "updater-status"), "Success"))
    assert "good 127.0.0.1" in d.find_element(By.ID, "updater-log").text
    assert dns.query(fqdn, "A") == ["127.0.0.1"]
    browser.screenshot("browser-updater")
    assert not csp_errors(browser), browser.console_errors()


def test_without_javascript_the_forms_still_work(hsite, dns):
    b = make_browser()
    try:
        d = b.driver
        d.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
        login(b, hsite)
        label = nsupdlib.unique_label("nojs")
        fqdn = "%s.%s" % (label, ZONE)
        add_host_via_form(b, label)
        d.get(hsite.url("/overview/"))
        browserlib.page_wait(d, 15).until(EC.presence_of_element_located((By.LINK_TEXT, fqdn))).click()
        field = browserlib.page_wait(d, 15).until(EC.presence_of_element_located((By.ID, "id_myip4")))
        field.clear()
        field.send_keys("192.0.2.77")
        click(d, "#update-ipv4")
        browserlib.page_wait(d, 15).until(EC.text_to_be_present_in_element((By.ID, "current-a"),
                                                                    "192.0.2.77"))
        assert "good 192.0.2.77" in d.find_element(By.CSS_SELECTOR, ".alert-success").text
        assert dns.query(fqdn, "A") == ["192.0.2.77"]
        # Delete the host through the confirmation page.
        click(d, "#delete-host")
        browserlib.page_wait(d, 15).until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, "#host-delete-form button[type=submit]"))).click()
        browserlib.page_wait(d, 15).until(EC.presence_of_element_located((By.ID, "hosts")))
        assert fqdn not in d.find_element(By.ID, "hosts").text
        assert dns.query(fqdn, "A") == []
    finally:
        b.quit()


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_screenshots(hsite, dns, dark):
    b = make_browser(dark=dark)
    theme = "dark" if dark else "light"
    try:
        d = b.driver
        login(b, hsite)
        assert d.execute_script(
            "return document.documentElement.getAttribute('data-bs-theme')") == theme
        label = nsupdlib.unique_label("shot")
        add_host_via_form(b, label)
        click(d, "#cfg-inadyn > summary")
        b.screenshot("host-config-" + theme)
        d.get(hsite.url("/overview/"))
        browserlib.page_wait(d, 15).until(EC.presence_of_element_located((By.ID, "domains")))
        b.screenshot("overview-" + theme)
        d.find_element(By.LINK_TEXT, "%s.%s" % (label, ZONE)).click()
        browserlib.page_wait(d, 15).until(EC.presence_of_element_located((By.ID, "host-form")))
        b.screenshot("host-" + theme)
        d.get(hsite.url("/host/add/"))
        b.screenshot("host-add-" + theme)
        assert not csp_errors(b), b.console_errors()
    finally:
        b.quit()
