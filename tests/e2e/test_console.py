"""The console in a real browser (headless Chromium): each of its six parts, clicked through on a
store filled over HTTP, with axe-core's WCAG 2.1 AA check on every page.

One browser for the module. On PostgreSQL only the smoke test runs (a plan, as the police saw it);
the rest runs in the SQLite suite.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from tests.conftest import STORE
from tests.e2e.browser import assert_accessible, chromium, follow, navigate_by, sign_in
from tests.e2e.conftest import Server, TokenFactory
from tests.e2e.console_world import GRANT_REASON, ConsoleWorld, fill

sqlite_only = pytest.mark.skipif(
    STORE == "postgres", reason="the console's SQLite suite; PG runs the smoke test"
)


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    yield from chromium()


@pytest.fixture(scope="module")
def world(shared_server: Server, shared_token: TokenFactory) -> ConsoleWorld:
    with httpx.Client(base_url=shared_server.url, timeout=30) as client:
        return fill(client, shared_token)


def _text(browser: WebDriver) -> str:
    return str(browser.find_element(By.TAG_NAME, "main").text)


def test_smoke_the_police_sees_the_plan_without_health_or_names(
    browser: WebDriver, shared_server: Server, world: ConsoleWorld
) -> None:
    """The auditor picks a plan and the police: what the police could not see is marked hidden,
    and its value is nowhere in the page; what it could see is shown, with the policy in force."""
    sign_in(browser, shared_server.url, world.auditor, world.org, "auditor")
    follow(browser, browser.find_element(By.LINK_TEXT, "Plan door de tijd"))
    browser.find_element(By.ID, "plan_id").send_keys(world.plan_id)
    follow(browser, browser.find_element(By.CSS_SELECTOR, "main form button"))
    assert world.health_text in browser.page_source  # the auditor's own view holds it
    Select(browser.find_element(By.ID, "bekeken_als")).select_by_value(world.police)
    follow(browser, browser.find_element(By.ID, "toon"))
    source = browser.page_source
    assert f"bekeken_als={world.police}" in browser.current_url
    assert "verborgen" in _text(browser)
    assert world.health_text not in source and world.family_name not in source
    assert world.safety_text in source
    assert browser.find_element(By.ID, "beleidsversie").text == "2026.3"
    # Offline: everything the page loaded came from the server itself.
    loaded = browser.execute_script("return performance.getEntriesByType('resource').map(e => e.name)")
    assert loaded and all(str(url).startswith(shared_server.url + "/console/static/") for url in loaded), (
        loaded
    )
    assert_accessible(browser)


@sqlite_only
def test_the_timeline_picks_a_moment_and_shows_the_plan_as_it_was(
    browser: WebDriver, shared_server: Server, world: ConsoleWorld
) -> None:
    sign_in(browser, shared_server.url, world.auditor, world.org, "auditor")
    browser.get(f"{shared_server.url}/console/plannen/{world.plan_id}")
    timeline = browser.find_element(By.CSS_SELECTOR, ".tijdlijn ol").text
    assert "Opened" in timeline and "NoteAdded" in timeline and world.tenant.pro("welfare") in timeline
    assert_accessible(browser)
    # The slider (console.js, loaded under the CSP): moved to its start, it shows version 1.
    slider = browser.find_element(By.ID, "versie")
    navigate_by(browser, lambda: slider.send_keys(Keys.HOME))
    assert "versie=1" in browser.current_url and browser.find_element(By.ID, "versie-getal").text == "1"
    browser.back()
    follow(browser, browser.find_element(By.PARTIAL_LINK_TEXT, "Opened"))
    assert "versie=1" in browser.current_url
    assert "Het plan bij versie 1" in _text(browser)
    assert world.health_text not in browser.page_source  # the note came later
    # At version 1 the police was not on the care team: it could not see the plan at all.
    Select(browser.find_element(By.ID, "bekeken_als")).select_by_value(world.police)
    follow(browser, browser.find_element(By.ID, "toon"))
    assert "kon dit plan bij versie 1 niet zien" in browser.find_element(By.ID, "weigering").text


def _listed(browser: WebDriver, address: str) -> list[str]:
    """The plan ids the list shows, over all its pages."""
    found: list[str] = []
    browser.get(address)
    while True:
        found += [a.text for a in browser.find_elements(By.CSS_SELECTOR, "#plannen td a")]
        more = browser.find_elements(By.ID, "volgende")
        if not more:
            return found
        browser.get(str(more[0].get_attribute("href")))


@sqlite_only
def test_the_plan_list_is_what_get_plans_lists_the_caller(
    browser: WebDriver, shared_server: Server, world: ConsoleWorld
) -> None:
    """An auditor's list holds the tenant's plans (the views follow the log: a moment's wait);
    a privacy officer's holds none, as GET /plans gives them none."""
    sign_in(browser, shared_server.url, world.auditor, world.org, "auditor")
    deadline = time.monotonic() + 15
    while world.plan_id not in (
        listed := _listed(browser, f"{shared_server.url}/console/plannen?status=open")
    ):
        assert time.monotonic() < deadline, listed
        time.sleep(0.3)
    browser.get(f"{shared_server.url}/console/plannen?status=open")
    assert_accessible(browser)
    sign_in(browser, shared_server.url, world.officer, world.org, "privacy_officer")
    browser.get(f"{shared_server.url}/console/plannen")
    assert browser.find_element(By.ID, "geen-plannen").text


@sqlite_only
def test_integrity_shows_the_chain_of_the_store_and_of_a_plan(
    browser: WebDriver, shared_server: Server, world: ConsoleWorld
) -> None:
    sign_in(browser, shared_server.url, world.auditor, world.org, "auditor")
    follow(browser, browser.find_element(By.LINK_TEXT, "Integriteit"))
    assert browser.find_element(By.ID, "opslag-status").text
    browser.find_element(By.ID, "plan_id").send_keys(world.plan_id)
    follow(browser, browser.find_element(By.CSS_SELECTOR, "main form button"))
    assert browser.find_element(By.ID, "plan-status").text.startswith("Intact")
    assert_accessible(browser)


@sqlite_only
def test_who_looked_at_this_file_lists_the_auditor_and_offers_the_export(
    browser: WebDriver, shared_server: Server, world: ConsoleWorld
) -> None:
    sign_in(browser, shared_server.url, world.officer, world.org, "privacy_officer")
    follow(browser, browser.find_element(By.LINK_TEXT, "Wie keek in dit dossier"))
    browser.find_element(By.ID, "member_id").send_keys(world.member_id)
    follow(browser, browser.find_element(By.ID, "zoek-persoon"))
    table = browser.find_element(By.ID, "verwerkingen").text
    assert world.auditor in table and world.tenant.pro("welfare") in table and "audit" in table
    # Each line says for which organisation and how it ended, read from its LDV fields.
    assert world.org in table and "gelukt" in table
    assert_accessible(browser)
    link = browser.find_element(By.ID, "export").get_attribute("href")
    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    export = httpx.get(str(link), cookies=cookies, timeout=30)
    assert export.status_code == 200
    assert "attachment" in export.headers["content-disposition"]
    assert export.json()["member_id"] == world.member_id
    assert any(line["name"] for line in export.json()["processing_log"])


@sqlite_only
def test_a_privacy_officer_reviews_a_break_the_glass_grant_with_a_reason(
    browser: WebDriver, shared_server: Server, shared_client: httpx.Client, world: ConsoleWorld
) -> None:
    sign_in(browser, shared_server.url, world.officer, world.org, "privacy_officer")
    follow(browser, browser.find_element(By.LINK_TEXT, "Noodtoegang"))
    grant = browser.find_element(By.ID, f"toegang-{world.grant_id}")
    assert GRANT_REASON in grant.text and world.grant_plan_id in grant.text
    assert_accessible(browser)
    grant.find_element(By.CSS_SELECTOR, "input[value=rejected]").click()
    grant.find_element(By.TAG_NAME, "textarea").send_keys("geen acute nood; de wijkagent had kunnen bellen")
    follow(browser, grant.find_element(By.TAG_NAME, "button"))
    assert "afgewezen" in browser.find_element(By.ID, "melding").text
    assert "toon=decided" in browser.current_url
    queue = shared_client.get(
        "/privacy/emergency-access",
        params={"plan_id": world.grant_plan_id},
        headers=world.bearer(world.officer, "privacy_officer"),
    ).json()["grants"]
    review = next(g for g in queue if g["grant_id"] == world.grant_id)["review"]
    assert review["decision"] == "rejected" and review["reviewed_by"]["sub"] == world.officer


@sqlite_only
def test_erasure_receipts_and_retention_are_listed(
    browser: WebDriver, shared_server: Server, world: ConsoleWorld
) -> None:
    sign_in(browser, shared_server.url, world.officer, world.org, "privacy_officer")
    follow(browser, browser.find_element(By.LINK_TEXT, "Wissen en bewaren"))
    assert world.receipt_id in browser.find_element(By.ID, "bewijzen").text
    assert "Bewaartermijnen na sluiting: Jeugdwet 20 jaar, overige 15 jaar" in _text(browser)
    assert_accessible(browser)


@sqlite_only
def test_policies_in_force_and_a_comparison(
    browser: WebDriver, shared_server: Server, world: ConsoleWorld
) -> None:
    sign_in(browser, shared_server.url, world.auditor, world.org, "auditor")
    follow(browser, browser.find_element(By.LINK_TEXT, "Beleid"))
    assert "2026.3" in browser.find_element(By.ID, "leesbeleid").text
    assert "nu" in browser.find_element(By.ID, "schrijfbeleid").text
    assert_accessible(browser)
    follow(browser, browser.find_element(By.ID, "vergelijk-lezen"))
    assert "Geen verschil" in browser.find_element(By.ID, "verschil").text


@sqlite_only
def test_an_auditor_does_not_get_the_privacy_officers_parts(
    browser: WebDriver, shared_server: Server, world: ConsoleWorld
) -> None:
    sign_in(browser, shared_server.url, world.auditor, world.org, "auditor")
    follow(browser, browser.find_element(By.LINK_TEXT, "Noodtoegang"))
    assert "Niet toegestaan" in browser.find_element(By.TAG_NAME, "h1").text
    assert GRANT_REASON not in browser.page_source
    assert_accessible(browser)
