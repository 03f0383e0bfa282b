"""The console's browser tests: a headless Chromium from the OS packages, sign-in, and axe-core.

Chromium and its driver come from Debian (`chromium`, `chromium-driver`; `./ops/test` installs
them); no browser is downloaded. axe-core is vendored under tests/e2e/vendor/axe-core with its
licence and runs in the page through the driver (not through the page, whose CSP allows no
inline script).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

CHROMIUM = os.environ.get("EENPLAN_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("EENPLAN_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
AXE = Path(__file__).resolve().parent / "vendor" / "axe-core" / "axe.min.js"
# WCAG 2.1 AA, as Digitoegankelijk requires; "serious" and "critical" fail the test.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def chromium() -> Iterator[WebDriver]:
    """One headless Chromium; skipped where the OS packages are missing, except in CI."""
    if not (Path(CHROMIUM).exists() and shutil.which(CHROMEDRIVER)):
        if os.environ.get("CI"):
            pytest.fail(f"{CHROMIUM} and {CHROMEDRIVER} are needed: apt-get install chromium chromium-driver")
        pytest.skip("chromium and chromium-driver are not installed (./ops/test installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,1000"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.implicitly_wait(2)
    try:
        yield driver
    finally:
        driver.quit()


def sign_in(driver: WebDriver, base: str, sub: str, org: str, role: str, tenant: str = "GM0687") -> None:
    """The development sign-in, as a person would fill it in."""
    driver.delete_all_cookies()
    driver.get(f"{base}/console/aanmelden")
    for field, value in (("sub", sub), ("org", org), ("tenant", tenant)):
        box = driver.find_element(By.ID, field)
        box.clear()
        box.send_keys(value)
    Select(driver.find_element(By.ID, "role")).select_by_value(role)
    follow(driver, driver.find_element(By.ID, "aanmelden-ontwikkeling"))
    assert driver.current_url.rstrip("/").endswith("/console"), driver.page_source[:2000]


def follow(driver: WebDriver, element: WebElement) -> None:
    """Click a link or a button and wait until the page it leads to has loaded."""
    navigate_by(driver, element.click)


def navigate_by(driver: WebDriver, act: Callable[[], None]) -> None:
    """Do what leads to another page (a click, a key on a slider) and wait until it has loaded.

    The old page is marked with a property on its window, which the new page's window does not
    have. Selenium's `staleness_of` asks the old element, and mid-navigation Chromium may answer
    with an inspector error ("Node with given id does not belong to the document") instead of a
    stale reference; here a question asked mid-navigation is simply asked again.
    """
    driver.execute_script("window.__eenplanOldPage = true;")
    act()

    def loaded(d: WebDriver) -> bool:
        try:
            return bool(
                d.execute_script(
                    "return window.__eenplanOldPage === undefined && document.readyState === 'complete';"
                )
            )
        except WebDriverException:
            return False  # the page is being replaced; ask again

    WebDriverWait(driver, 15).until(loaded)


def axe_violations(driver: WebDriver) -> list[dict[str, Any]]:
    """axe-core's serious and critical WCAG 2.1 AA violations on the page shown."""
    if not driver.execute_script("return typeof window.axe !== 'undefined'"):
        driver.execute_script(AXE.read_text(encoding="utf-8"))
    result = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}})"
        ".then(r => done(r.violations))"
        ".catch(e => done([{id: 'axe-error', impact: 'critical', help: String(e)}]));",
        AXE_TAGS,
    )
    return [
        {"id": v["id"], "impact": v["impact"], "help": v.get("help"), "nodes": len(v.get("nodes", []))}
        for v in result
        if v.get("impact") in ("serious", "critical")
    ]


def assert_accessible(driver: WebDriver) -> None:
    found = axe_violations(driver)
    assert not found, f"{driver.current_url}: {found}"
