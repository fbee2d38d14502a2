"""Logging in through the real form in a real (headless) browser: the CSRF
token, the session cookie and the redirect work together, the page is
styled (Bootstrap loaded from nsupd itself, no CSP violations), and the
overview shows the user's hosts."""

import browserlib
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from conftest import PASSWORD, USER


def test_login_through_the_form(site, browser):
    d = browser.driver
    wait = browserlib.page_wait(d, 15)
    d.get(site.url("/overview/"))
    # Not logged in: sent to the login page, which will send us back.
    wait.until(EC.presence_of_element_located((By.ID, "id_username")))
    assert "/accounts/login/?next=/overview/" in d.current_url
    # Bootstrap's CSS is applied (served by nsupd, not a CDN).
    button = d.find_element(By.CSS_SELECTOR, "form button[type=submit].btn-primary")
    color = button.value_of_css_property("background-color")
    assert color not in ("rgba(0, 0, 0, 0)", "transparent"), color
    assert d.execute_script("return document.documentElement.getAttribute('data-bs-theme')") \
        in ("light", "dark")
    browser.screenshot("login")

    d.find_element(By.ID, "id_username").send_keys(USER)
    d.find_element(By.ID, "id_password").send_keys(PASSWORD)
    d.find_element(By.ID, "id_keep").click()
    button.click()
    wait.until(EC.presence_of_element_located((By.ID, "hosts")))
    assert d.current_url.endswith("/overview/")
    assert USER in d.find_element(By.TAG_NAME, "nav").text
    cookie = d.get_cookie("sessionid")
    assert cookie is not None and cookie["httpOnly"] and cookie.get("sameSite") == "Lax"
    assert d.execute_script("return document.cookie").find("sessionid") == -1
    browser.screenshot("overview")

    # The theme toggle switches to dark (static JS, allowed by the CSP).
    before = d.execute_script("return document.documentElement.getAttribute('data-bs-theme')")
    d.find_element(By.ID, "theme-toggle").click()
    after = d.execute_script("return document.documentElement.getAttribute('data-bs-theme')")
    assert before != after
    browser.screenshot("overview-" + after)

    # Log out with the navbar's POST form.
    d.find_element(By.CSS_SELECTOR, "form[action='/accounts/logout/'] button").click()
    wait.until(EC.presence_of_element_located((By.ID, "ipv4")))
    # The home page starts a fresh anonymous session; the old one is gone.
    new = d.get_cookie("sessionid")
    assert new is None or new["value"] != cookie["value"]
    d.get(site.url("/overview/"))
    wait.until(EC.presence_of_element_located((By.ID, "id_username")))
    assert not [e for e in browser.console_errors() if "Content Security Policy" in
                e.get("message", "")], browser.console_errors()
