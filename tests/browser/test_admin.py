"""The administration pages in a real (headless) browser against nsupd and
a real named: an admin finds a host by name, sets abuse_blocked, and the
host's next update answers `abuse` and its records are gone; a non-staff
user gets 404 on admin URLs; the audit log shows the change. Also a bulk
action through the list's checkboxes (static JS, CSP clean) and screenshots
of the pages in the light and the dark theme."""

import os
import sys

import pytest
import requests
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select

import browserlib
import nsupdlib
from webutil import create_user

sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                                "system"))
from named import Named, ZoneSpec  # noqa: E402

ADMIN = "adminbrowser"
USER = "plainbrowser"
PASSWORD = "browser admin 77"
ZONE = "admin.nsupd.test"


@pytest.fixture(scope="module")

def dns(tmp_path_factory):
    ns = Named(str(tmp_path_factory.mktemp("named-admin")),
               [ZoneSpec(name=ZONE, algorithm="hmac-sha256",
                         secret=ZoneSpec.random_secret("hmac-sha256"))])
    ns.start()
    yield ns
    ns.stop()


@pytest.fixture(scope="module")
def asite(dns, tmp_path_factory):
    inst = nsupdlib.Nsupd(tmp_path_factory.mktemp("browser-admin"))
    inst.migrate()
    create_user(inst, ADMIN, PASSWORD, staff=True)
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


def login(b, site, user):
    d = b.driver
    d.get(site.url("/accounts/login/?next=/overview/"))
    wait = browserlib.page_wait(d, 15)
    wait.until(EC.presence_of_element_located((By.ID, "id_username"))).send_keys(user)
    d.find_element(By.ID, "id_password").send_keys(PASSWORD)
    d.find_element(By.CSS_SELECTOR, "form button[type=submit].btn-primary").click()
    wait.until(EC.presence_of_element_located((By.ID, "hosts")))


def click(d, css):
    el = d.find_element(By.CSS_SELECTOR, css)
    d.execute_script("arguments[0].scrollIntoView({block: 'center'});", el)
    el.click()
    return el


def csp_errors(b):
    return [e for e in b.console_errors() if "Content Security Policy" in e.get("message", "")]


def update(site, host, myip):
    return requests.get(site.url("/nic/update"), params={"hostname": host.fqdn, "myip": myip},
                        auth=host.auth, timeout=30)


def test_admin_blocks_a_host_found_by_name(asite, dns, browser):
    host = asite.add_host(ZONE, USER)
    others = [asite.add_host(ZONE, USER) for _ in range(3)]
    assert update(asite, host, "192.0.2.44,2001:db8::44").text.startswith("good")
    assert dns.query(host.fqdn, "A") == ["192.0.2.44"]
    d = browser.driver
    wait = browserlib.page_wait(d, 20)
    login(browser, asite, ADMIN)

    # Administration → Hosts → search by name.
    click(d, "#nav-admin")
    wait.until(EC.presence_of_element_located((By.ID, "model-host"))).click()
    box = wait.until(EC.presence_of_element_located((By.ID, "id_q")))
    box.send_keys(host.fqdn)
    click(d, "#search-button")
    wait.until(EC.text_to_be_present_in_element((By.ID, "total"), "1"))
    rows = d.find_elements(By.CSS_SELECTOR, "#result-list tbody tr")
    assert len(rows) == 1 and host.fqdn in rows[0].text
    browser.screenshot("admin-host-search")

    # The change form: switch abuse_blocked on and save.
    rows[0].find_element(By.LINK_TEXT, host.fqdn).click()
    switch = wait.until(EC.presence_of_element_located((By.ID, "id_abuse_blocked")))
    assert not switch.is_selected()
    click(d, "#id_abuse_blocked")
    click(d, "#save")
    wait.until(EC.text_to_be_present_in_element((By.TAG_NAME, "main"),
                                                "The changes were saved."))
    assert d.find_element(By.ID, "id_abuse_blocked").is_selected()
    browser.screenshot("admin-host-change")

    # The host's next update answers abuse; its records are gone.
    assert dns.query(host.fqdn, "A") == [] and dns.query(host.fqdn, "AAAA") == []
    assert update(asite, host, "192.0.2.45").text == "abuse"
    assert dns.query(host.fqdn, "A") == []
    assert asite.show(host.fqdn)["abuse_blocked"] is True
    # The other hosts were not touched.
    for o in others:
        assert asite.show(o.fqdn)["abuse_blocked"] is False

    # The audit log shows who changed what, with before and after.
    d.get(asite.url("/admin/"))
    click(d, "#audit-link")
    table = wait.until(EC.presence_of_element_located((By.ID, "result-list")))
    first = table.find_elements(By.CSS_SELECTOR, "tbody tr")[0]
    assert ADMIN in first.text and "host.change" in first.text and host.fqdn in first.text
    browser.screenshot("admin-audit-log")
    first.find_element(By.CSS_SELECTOR, "th a").click()
    changes = wait.until(EC.presence_of_element_located((By.ID, "audit-changes")))
    row = [r for r in changes.find_elements(By.CSS_SELECTOR, "tbody tr")
           if r.text.startswith("abuse_blocked")]
    assert row and row[0].text.split() == ["abuse_blocked", "false", "true"]
    browser.screenshot("admin-audit-entry")
    assert not csp_errors(browser), browser.console_errors()


def test_bulk_action_with_select_all(asite, dns, browser):
    prefix = nsupdlib.unique_label("bulk")
    hosts = [asite.add_host(ZONE, USER, "%s-%d" % (prefix, i)) for i in range(3)]
    for i, h in enumerate(hosts):
        assert update(asite, h, "192.0.2.%d" % (60 + i)).text.startswith("good")
    d = browser.driver
    wait = browserlib.page_wait(d, 20)
    login(browser, asite, ADMIN)
    d.get(asite.url("/admin/main/host/?q=" + prefix))
    wait.until(EC.text_to_be_present_in_element((By.ID, "total"), "3"))
    click(d, "#select-all")
    boxes = d.find_elements(By.CSS_SELECTOR, "input.row-select")
    assert len(boxes) == 3 and all(b.is_selected() for b in boxes)
    Select(d.find_element(By.ID, "id_action")).select_by_value("set_abuse_blocked")
    click(d, "#bulk-go")
    wait.until(EC.text_to_be_present_in_element((By.TAG_NAME, "main"),
                                                "3 of the selected rows changed"))
    for h in hosts:
        assert dns.query(h.fqdn, "A") == []
        assert update(asite, h, "192.0.2.70").text == "abuse"
    # The filter shows them, highlighted.
    click(d, "#filter-abuse_blocked")
    wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#filter-abuse_blocked.active")))
    rows = d.find_elements(By.CSS_SELECTOR, "#result-list tbody tr.table-danger")
    assert len(rows) == 3
    browser.screenshot("admin-bulk")
    assert not csp_errors(browser), browser.console_errors()


def test_non_staff_user_gets_404(asite, browser):
    d = browser.driver
    login(browser, asite, USER)
    assert not d.find_elements(By.ID, "nav-admin")
    for path in ("/admin/", "/admin/main/host/", "/admin/auth/user/1/change/",
                 "/admin/admin/logentry/"):
        d.get(asite.url(path))
        browserlib.page_wait(d, 15).until(EC.presence_of_element_located((By.TAG_NAME, "main")))
        assert "Page not found" in d.find_element(By.TAG_NAME, "main").text, path
        assert d.current_url == asite.url(path)
    browser.screenshot("admin-404-for-users")
    # Logged out: the same 404, no login redirect.
    d.delete_all_cookies()
    d.get(asite.url("/admin/"))
    assert "Page not found" in d.find_element(By.TAG_NAME, "main").text
    assert d.current_url == asite.url("/admin/")


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_screenshots(asite, dark):
    b = make_browser(dark=dark)
    theme = "dark" if dark else "light"
    try:
        d = b.driver
        h = asite.add_host(ZONE, USER)
        login(b, asite, ADMIN)
        for name, path in (("index", "/admin/"), ("hosts", "/admin/main/host/"),
                           ("users", "/admin/auth/user/"), ("domains", "/admin/main/domain/")):
            d.get(asite.url(path))
            browserlib.page_wait(d, 15).until(EC.presence_of_element_located((By.TAG_NAME, "main")))
            b.screenshot("admin-%s-%s" % (name, theme))
        d.get(asite.url("/admin/main/host/?q=" + h.fqdn))
        link = browserlib.page_wait(d, 15).until(EC.presence_of_element_located((By.LINK_TEXT, h.fqdn)))
        link.click()
        browserlib.page_wait(d, 15).until(EC.presence_of_element_located((By.ID, "change-form")))
        b.screenshot("admin-change-%s" % theme)
        click(d, "#delete-link")
        browserlib.page_wait(d, 15).until(EC.presence_of_element_located((By.ID, "delete-form")))
        assert "A and AAAA records are removed from DNS" in d.find_element(By.TAG_NAME,
                                                                            "main").text
        b.screenshot("admin-delete-%s" % theme)
        assert not csp_errors(b), b.console_errors()
    finally:
        b.quit()
