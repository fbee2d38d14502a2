"""Domain pages and the home page in a real (headless) browser: adding a
domain through the form leads to its key and BIND9 configuration; the home
page shows the connection's address at once and the other family after the
hidden request to the single-stack host and the script's /ajax_get_ips/
call. Screenshots of these pages, light and dark, are kept as artefacts."""

import re
import uuid

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

import browserlib
import nsupdlib
from webutil import create_user

USER = "domainuser"
PASSWORD = "domain pass 123"


@pytest.fixture(scope="module")
def dsite(tmp_path_factory):
    inst = nsupdlib.Nsupd(tmp_path_factory.mktemp("browser-domains"))
    with open(inst.conf, "a") as f:
        f.write("\n[site]\nwww_ipv4_host = 127.0.0.1:%d\nwww_ipv6_host = [::1]:%d\n"
                % (inst.port, inst.port))
    inst.migrate()
    create_user(inst, USER, PASSWORD)
    inst.start()
    yield inst
    assert inst.stop() == 0, inst.stderr()


def log_in(b, site, wait):
    d = b.driver
    d.get(site.url("/accounts/login/"))
    wait.until(EC.presence_of_element_located((By.ID, "id_username")))
    d.find_element(By.ID, "id_username").send_keys(USER)
    d.find_element(By.ID, "id_password").send_keys(PASSWORD)
    click(d, d.find_element(By.CSS_SELECTOR, "form button[type=submit].btn-primary"))
    wait.until(lambda drv: "/accounts/login/" not in drv.current_url)


def click(d, el):
    """Scrolls el to the middle of the window first (the footer may cover
    the bottom of the viewport; Bootstrap makes scrolling smooth, so it is
    asked to be instant), then clicks it like a user."""
    d.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", el)
    el.click()


def csp_errors(b):
    return [e for e in b.console_errors() if "Content Security Policy" in e.get("message", "")]


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_add_domain_and_see_bind_snippet(dsite, dark):
    if not browserlib.available():
        pytest.fail("chromium/chromedriver not installed (scripts/install-deps.sh)")
    b = browserlib.Browser(dark=dark)
    theme = "dark" if dark else "light"
    try:
        d = b.driver
        wait = browserlib.page_wait(d, 15)
        log_in(b, dsite, wait)
        d.get(dsite.url("/domain/add/"))
        wait.until(EC.presence_of_element_located((By.ID, "id_name")))
        assert d.execute_script(
            "return document.documentElement.getAttribute('data-bs-theme')") == theme
        # A bad name first: the form comes back with the error and the values.
        d.find_element(By.ID, "id_name").send_keys("not a zone")
        d.find_element(By.ID, "id_nameserver").send_keys("192.0.2.53")
        click(d, d.find_element(By.CSS_SELECTOR, "#domain-add-form button[type=submit]"))
        err = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR,
                                                         "#id_name + .invalid-feedback")))
        assert "valid domain name" in err.text
        assert d.find_element(By.ID, "id_nameserver").get_attribute("value") == "192.0.2.53"
        b.screenshot("domain-add-error-" + theme)

        zone = "b%s.example.net" % uuid.uuid4().hex[:8]
        name = d.find_element(By.ID, "id_name")
        name.clear()
        name.send_keys(zone)
        Select(d.find_element(By.ID, "id_algorithm")).select_by_value("hmac-sha256")
        d.find_element(By.ID, "id_comment").send_keys("Family zone")
        click(d, d.find_element(By.CSS_SELECTOR, "#domain-add-form button[type=submit]"))
        wait.until(EC.presence_of_element_located((By.ID, "bind-config")))
        assert re.search(r"/generate_ns_secret/\d+/$", d.current_url), d.current_url
        assert "Domain added." in d.find_element(By.TAG_NAME, "main").text
        bind = d.find_element(By.ID, "bind-config").text
        secret = d.find_element(By.ID, "ns-secret").text
        assert 'key "%s." {' % zone in bind and 'secret "%s";' % secret in bind
        assert "algorithm hmac-sha256;" in bind
        assert "grant %s. name connectivity-test.%s. A;" % (zone, zone) in bind
        assert "$ORIGIN %s." % zone in d.find_element(By.ID, "zone-file").text
        # The snippet is readable: monospace on a tinted background.
        pre = d.find_element(By.ID, "bind-config")
        assert "monospace" in pre.value_of_css_property("font-family")
        b.screenshot("domain-key-" + theme)

        # Edit page, with the secret's page one click away.
        click(d, d.find_element(By.LINK_TEXT, "Edit domain"))
        wait.until(EC.presence_of_element_located((By.ID, "domain-form")))
        assert d.find_element(By.ID, "domain-name").text == zone
        assert not d.find_element(By.ID, "id_available").is_selected()
        b.screenshot("domain-edit-" + theme)
        # Public without available is refused with the spec's message.
        click(d, d.find_element(By.ID, "id_public"))
        click(d, d.find_element(By.CSS_SELECTOR, "#domain-form button[type=submit]"))
        fb = wait.until(EC.presence_of_element_located((By.CSS_SELECTOR,
                                                        "#id_public ~ .invalid-feedback")))
        assert "Domain must be available to be public." in fb.text

        click(d, d.find_element(By.LINK_TEXT, "Delete domain"))
        wait.until(EC.presence_of_element_located((By.ID, "confirm-delete")))
        b.screenshot("domain-delete-" + theme)
        click(d, d.find_element(By.ID, "confirm-delete"))
        wait.until(lambda drv: drv.current_url.endswith("/overview/"))
        d.get(dsite.url("/status/"))
        wait.until(EC.presence_of_element_located((By.ID, "status-summary")))
        b.screenshot("status-" + theme)
        d.get(dsite.url("/about/"))
        b.screenshot("about-" + theme)
        assert not csp_errors(b), b.console_errors()
    finally:
        b.quit()


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_home_shows_both_addresses(dsite, dark):
    if not browserlib.available():
        pytest.fail("chromium/chromedriver not installed (scripts/install-deps.sh)")
    b = browserlib.Browser(dark=dark)
    try:
        d = b.driver
        # Over IPv6: the page shows ::1 itself; the hidden request to the
        # IPv4-only host (127.0.0.1) and the script bring the IPv4 address.
        d.get(dsite.url("/", v6=True))
        wait = browserlib.page_wait(d, 15)
        wait.until(EC.presence_of_element_located((By.ID, "ipv6")))
        assert d.find_element(By.ID, "ipv6").text == "::1"
        wait.until(lambda drv: drv.find_element(By.ID, "ipv4").text == "127.0.0.1")
        wait.until(lambda drv: drv.find_element(By.ID, "ipv4_rdns").text == "localhost")
        b.screenshot("home-" + ("dark" if dark else "light"))
        # The session id is HttpOnly and appears nowhere in the page.
        sid = d.get_cookie("sessionid")["value"]
        assert sid not in d.page_source
        assert not csp_errors(b), b.console_errors()
    finally:
        b.quit()


def test_home_without_javascript_shows_connection_address(dsite):
    if not browserlib.available():
        pytest.fail("chromium/chromedriver not installed (scripts/install-deps.sh)")
    b = browserlib.Browser()
    try:
        d = b.driver
        d.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
        d.get(dsite.url("/"))
        assert d.find_element(By.ID, "ipv4").text == "127.0.0.1"
        assert d.find_element(By.ID, "ipv6").text == "not detected"
    finally:
        b.quit()
