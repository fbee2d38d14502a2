"""Headless Debian chromium driven by selenium, for the browser tests.

Only loopback is used: the browser is started with networking features that
phone home (component updates, sync, background networking) switched off
and a fresh profile per test; pages come from the nsupd under test."""

import os
import shutil
import tempfile

from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.support.ui import WebDriverWait
from selenium.webdriver.chrome.service import Service

CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")
# Screenshots go here (kept as test artefacts).
ARTIFACTS = os.environ.get("NSUPD_BROWSER_ARTIFACTS", os.path.join(tempfile.gettempdir(),
                                                                    "nsupd-browser"))


def available():
    return os.access(CHROMIUM, os.X_OK) and os.access(CHROMEDRIVER, os.X_OK)


class Browser:
    def __init__(self, width=1280, height=900, lang="en-US", dark=False):
        self.profile = tempfile.mkdtemp(prefix="nsupd-chromium-")
        opts = webdriver.ChromeOptions()
        opts.binary_location = CHROMIUM
        for arg in ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                    "--disable-background-networking", "--disable-component-update",
                    "--disable-sync", "--no-first-run", "--no-default-browser-check",
                    # Pages may name other hosts (the home page's hidden
                    # requests to www_ipv4_host/www_ipv6_host, e.g.
                    # ipv4.nsupd.test): no name ever reaches a real resolver.
                    "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE localhost , "
                    "EXCLUDE 127.0.0.1 , EXCLUDE [::1] , EXCLUDE ::1",
                    "--disable-default-apps", "--disable-extensions",
                    "--user-data-dir=" + self.profile,
                    "--window-size=%d,%d" % (width, height), "--lang=" + lang]:
            opts.add_argument(arg)
        if dark:
            opts.add_argument("--force-dark-mode")
            opts.add_argument("--blink-settings=preferredColorScheme=0")
        opts.add_experimental_option("prefs", {"intl.accept_languages": lang})
        service = Service(CHROMEDRIVER, log_path=os.devnull)
        try:
            self.driver = webdriver.Chrome(service=service, options=opts)
        except Exception:
            shutil.rmtree(self.profile, ignore_errors=True)
            raise
        self.driver.set_page_load_timeout(30)

    def screenshot(self, name):
        os.makedirs(ARTIFACTS, exist_ok=True)
        path = os.path.join(ARTIFACTS, name + ".png")
        self.driver.save_screenshot(path)
        return path

    def console_errors(self):
        try:
            return [e for e in self.driver.get_log("browser") if e.get("level") == "SEVERE"]
        except Exception:
            return []

    def quit(self):
        try:
            self.driver.quit()
        finally:
            shutil.rmtree(self.profile, ignore_errors=True)


def page_wait(driver, seconds, poll_frequency=0.5):
    """A WebDriverWait that survives the page being replaced under it: after a
    form post or a link, Chromium may report an element of the old page as a
    node that no longer belongs to the document (a plain WebDriverException,
    not a stale element), which would otherwise end the wait at once."""
    return WebDriverWait(driver, seconds, poll_frequency=poll_frequency,
                         ignored_exceptions=(StaleElementReferenceException, WebDriverException))
