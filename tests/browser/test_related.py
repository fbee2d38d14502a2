"""Related hosts and updating other services in a real (headless) browser
against nsupd and a real named: add a related host with interface ID `1`
from the host page, update the main host, see the related address on the
list; configure a forward to a dyndns2 stub and see its result on the host
page. Screenshots (light and dark) go to the artefact directory."""

import os
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

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

USER = "relatedbrowser"
PASSWORD = "browser related 77"
ZONE = "related.nsupd.test"
SERVICE_PASSWORD = "browser-forward-pw-991"


class Stub:
    """A dyndns2 service on loopback that answers `good`."""

    def __init__(self):
        self.hits = 0
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                stub.hits += 1
                data = b"good"
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture(scope="module")
def dns(tmp_path_factory):
    ns = Named(str(tmp_path_factory.mktemp("named-related")),
               [ZoneSpec(name=ZONE, algorithm="hmac-sha256",
                         secret=ZoneSpec.random_secret("hmac-sha256"))])
    ns.start()
    yield ns
    ns.stop()


@pytest.fixture(scope="module")
def stub():
    s = Stub()
    yield s
    s.close()


@pytest.fixture(scope="module")
def rsite(dns, stub, tmp_path_factory):
    inst = nsupdlib.Nsupd(tmp_path_factory.mktemp("browser-related"),
                          extra="[forward]\nretry_min = 1\n")
    inst.migrate()
    create_user(inst, USER, PASSWORD)
    z = dns.zone(ZONE)
    inst.add_domain(ZONE, USER, dns.server, z.algorithm, z.secret)
    inst.cli("service", "add", "otherdns", "--server", "127.0.0.1:%d" % stub.port, "--no-tls",
             "--accept-ipv4", "--accept-ipv6")
    inst.start()
    yield inst
    assert inst.stop() == 0, inst.stderr()


def make_browser(**kw):
    if not browserlib.available():
        pytest.fail("chromium/chromedriver not installed (scripts/install-deps.sh)")
    return browserlib.Browser(**kw)


def login(b, site):
    d = b.driver
    d.get(site.url("/accounts/login/?next=/overview/"))
    wait = browserlib.page_wait(d, 15)
    wait.until(EC.presence_of_element_located((By.ID, "id_username"))).send_keys(USER)
    d.find_element(By.ID, "id_password").send_keys(PASSWORD)
    d.find_element(By.CSS_SELECTOR, "form button[type=submit].btn-primary").click()
    wait.until(EC.presence_of_element_located((By.ID, "hosts")))


def click(d, css):
    el = d.find_element(By.CSS_SELECTOR, css)
    d.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});", el)
    el.click()
    return el


def nic(site, host, myip):
    r = requests.get(site.url("/nic/update"), params={"myip": myip},
                     auth=(host.fqdn, host.secret), timeout=30)
    assert r.status_code == 200 and r.text.startswith("good "), r.text
    return r.text


def open_host(b, site, fqdn):
    d = b.driver
    d.get(site.url("/overview/"))
    browserlib.page_wait(d, 15).until(EC.presence_of_element_located((By.LINK_TEXT, fqdn))).click()
    browserlib.page_wait(d, 15).until(EC.presence_of_element_located((By.ID, "host-fqdn")))


def add_related(b, name, id4, id6, comment=""):
    d = b.driver
    wait = browserlib.page_wait(d, 15)
    click(d, "#add-related")
    wait.until(EC.presence_of_element_located((By.ID, "id_name"))).send_keys(name)
    d.find_element(By.ID, "id_interface_id_ipv4").send_keys(id4)
    d.find_element(By.ID, "id_interface_id_ipv6").send_keys(id6)
    if comment:
        d.find_element(By.ID, "id_comment").send_keys(comment)
    click(d, "#related-form button[type=submit]")
    wait.until(EC.presence_of_element_located((By.ID, "related")))


def test_related_host_follows_the_main_host(rsite, dns):
    b = make_browser()
    try:
        d = b.driver
        wait = browserlib.page_wait(d, 15)
        host = rsite.add_host(ZONE, USER)
        rsite.set(host.fqdn, netmask_ipv4=24, netmask_ipv6=64)
        login(b, rsite)
        open_host(b, rsite, host.fqdn)
        d.find_element(By.LINK_TEXT, "Related hosts").click()
        wait.until(EC.presence_of_element_located((By.ID, "related")))
        assert "no related hosts yet" in d.find_element(By.ID, "related").text

        # A bad ID first: the form says why and keeps the input.
        click(d, "#add-related")
        wait.until(EC.presence_of_element_located((By.ID, "id_name"))).send_keys("nas")
        d.find_element(By.ID, "id_interface_id_ipv6").send_keys("1:2:3:4:5")
        click(d, "#related-form button[type=submit]")
        err = wait.until(EC.presence_of_element_located((By.ID, "id_ifid6_error")))
        assert "Enter a valid IPv6 interface ID" in err.text
        assert d.find_element(By.ID, "id_interface_id_ipv6").get_attribute("value") == \
            "1:2:3:4:5"
        b.screenshot("related-form-error")
        field = d.find_element(By.ID, "id_interface_id_ipv6")
        field.clear()
        field.send_keys("1")
        d.find_element(By.ID, "id_interface_id_ipv4").send_keys("1")
        click(d, "#related-form button[type=submit]")
        wait.until(EC.presence_of_element_located((By.ID, "related")))
        assert "Related host added." in d.find_element(By.TAG_NAME, "main").text
        rel = "nas." + host.fqdn
        row = d.find_element(By.LINK_TEXT, rel).find_element(By.XPATH, "./ancestor::tr")
        assert "0.0.0.1" in row.text and "::1" in row.text
        assert row.find_element(By.CSS_SELECTOR, ".dns-a").text == "none"

        # The main host changes address: the related host follows.
        nic(rsite, host, "198.51.7.200")
        nic(rsite, host, "2001:db8:77:1::200")
        d.refresh()
        row = wait.until(EC.presence_of_element_located((By.LINK_TEXT, rel))) \
            .find_element(By.XPATH, "./ancestor::tr")
        assert row.find_element(By.CSS_SELECTOR, ".dns-a").text == "198.51.7.1"
        assert row.find_element(By.CSS_SELECTOR, ".dns-aaaa").text == "2001:db8:77:1::1"
        assert dns.query(rel, "A") == ["198.51.7.1"]
        add_related(b, "printer", "0.0.0.20", "::216:3eff:fe00:20", "office printer")
        b.screenshot("related-list")

        # Edit page, then delete through the confirmation page.
        d.find_element(By.LINK_TEXT, rel).click()
        wait.until(EC.presence_of_element_located((By.ID, "related-fqdn")))
        assert d.find_element(By.ID, "related-fqdn").text == rel
        b.screenshot("related-edit")
        d.back()
        row = wait.until(EC.presence_of_element_located((By.LINK_TEXT, rel))) \
            .find_element(By.XPATH, "./ancestor::tr")
        row.find_element(By.LINK_TEXT, "Delete").click()
        wait.until(EC.presence_of_element_located(
            (By.CSS_SELECTOR, "#related-delete-form button[type=submit]"))).click()
        wait.until(EC.presence_of_element_located((By.ID, "related")))
        assert rel not in d.find_element(By.ID, "related").text
        assert dns.query(rel, "A") == []
        assert not [e for e in b.console_errors()
                    if "Content Security Policy" in e.get("message", "")]
    finally:
        b.quit()


def test_forward_result_on_the_host_page(rsite, stub):
    b = make_browser()
    try:
        d = b.driver
        wait = browserlib.page_wait(d, 15)
        host = rsite.add_host(ZONE, USER)
        login(b, rsite)
        open_host(b, rsite, host.fqdn)
        d.find_element(By.LINK_TEXT, "Update other services").click()
        Select(wait.until(EC.presence_of_element_located((By.ID, "id_service")))) \
            .select_by_index(0)
        d.find_element(By.ID, "id_hostname").send_keys("me.other.example")
        d.find_element(By.ID, "id_name").send_keys("me")
        d.find_element(By.ID, "id_password").send_keys(SERVICE_PASSWORD)
        click(d, "#forward-add-form button[type=submit]")
        wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, "#forwards .forward-last, "
                                                   "#forwards tbody tr[id^=forward-]")))
        assert "Service configuration added." in d.find_element(By.TAG_NAME, "main").text
        assert SERVICE_PASSWORD not in d.page_source

        hits = stub.hits
        nic(rsite, host, "203.0.113.50")
        browserlib.page_wait(d, 20).until(lambda _: stub.hits > hits)

        def shown(_):
            d.refresh()
            return "HTTP 200" in d.find_element(By.TAG_NAME, "main").text

        open_host(b, rsite, host.fqdn)
        browserlib.page_wait(d, 20, poll_frequency=0.5).until(shown)
        item = d.find_element(By.ID, "host-forwards").text
        assert "otherdns" in item and "good" in item and "sent" in item
        d.execute_script("arguments[0].scrollIntoView({block: 'center', behavior: 'instant'});",
                         d.find_element(By.ID, "host-forwards"))
        b.screenshot("host-with-forward")
        d.find_element(By.LINK_TEXT, "Configure").click()
        wait.until(EC.presence_of_element_located((By.ID, "forwards")))
        assert "203.0.113.50" in d.find_element(By.ID, "forwards").text
        b.screenshot("updater-hostconfig-overview")
        d.find_element(By.CSS_SELECTOR, "#forwards tbody a.fw-semibold").click()
        pw = wait.until(EC.presence_of_element_located((By.ID, "id_password")))
        assert pw.get_attribute("value") == ""
        assert SERVICE_PASSWORD not in d.page_source
        b.screenshot("updater-hostconfig-edit")
    finally:
        b.quit()


@pytest.mark.parametrize("dark", [False, True], ids=["light", "dark"])
def test_screenshots(rsite, dark):
    b = make_browser(dark=dark)
    theme = "dark" if dark else "light"
    try:
        d = b.driver
        host = rsite.add_host(ZONE, USER)
        rsite.set(host.fqdn, netmask_ipv4=24, netmask_ipv6=64)
        rsite.cli("host", "related", "add", host.fqdn, "nas", "--interface-id-ipv4", "1",
                  "--interface-id-ipv6", "::1", "--comment", "storage")
        rsite.cli("host", "related", "add", host.fqdn, "tv", "--interface-id-ipv6",
                  "216:3eff:fe00:1", "--unavailable")
        rsite.cli("host", "forward", "add", host.fqdn, "--service", "otherdns", "--login",
                  "me", "--password-stdin", "--give-ipv4", input="pw\n")
        nic(rsite, host, "192.0.2.60")
        nic(rsite, host, "2001:db8:60:1::60")
        login(b, rsite)
        open_host(b, rsite, host.fqdn)
        hid = d.current_url.rstrip("/").split("/")[-1]
        d.get(rsite.url("/host/%s/related/" % hid))
        browserlib.page_wait(d, 15).until(EC.presence_of_element_located((By.ID, "related")))
        b.screenshot("related-list-" + theme)
        d.get(rsite.url("/host/%s/related/add/" % hid))
        browserlib.page_wait(d, 15).until(EC.presence_of_element_located((By.ID, "related-form")))
        b.screenshot("related-add-" + theme)
        d.get(rsite.url("/updater_hostconfig_overview/%s/" % hid))
        browserlib.page_wait(d, 15).until(EC.presence_of_element_located((By.ID, "forwards")))
        b.screenshot("updater-overview-" + theme)
        d.execute_script("window.scrollTo(0, document.body.scrollHeight)")
        b.screenshot("updater-overview-form-" + theme)
    finally:
        b.quit()
