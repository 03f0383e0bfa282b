"""The console on a store of its own, changed the ways only an operator or an intruder can:
a stored record altered behind the application's back, and a new write policy at a restart.

Its server runs two API worker processes, as a deployment would, and a session works on both.
The integrity page locates and explains the first broken link; the policy page shows what
changed between the two write policies in force. SQLite suite (the smoke test covers PostgreSQL).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import Select

from eenplan.api.settings import Settings
from tests.conftest import STORE
from tests.e2e.browser import assert_accessible, chromium, follow, sign_in
from tests.e2e.conftest import Server, token_factory
from tests.e2e.console_http import dev_sign_in
from tests.e2e.directory_setup import municipality, register_municipality, register_people, setup_tenant
from tests.integration.tamper import RawStore

pytestmark = pytest.mark.skipif(
    STORE == "postgres", reason="the console's SQLite suite; PG runs the smoke test"
)
WRITE_POLICY = Path(__file__).resolve().parents[2] / "src" / "privacy" / "write-policy.yaml"
AUDITOR, OFFICER = "aud-own-store", "po-own-store"
GRANT_REASON = "schoten gehoord in de woning, de wijkagent moet weten wie er wonen"


@pytest.fixture(scope="module")
def browser() -> Iterator[WebDriver]:
    yield from chromium()


@pytest.fixture(scope="module")
def altered(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str]]:
    """A plan written by one server, and a break-the-glass grant on another; a byte of the first
    plan's note changed in the store; a second server started with a write policy that lets team
    leads close plans no more, and a review term so short that the grant is overdue."""
    directory = tmp_path_factory.mktemp("console-own")
    settings = Settings(database_url=f"sqlite:///{directory / 'eenplan.db'}", data_dir=directory / "data")
    first = Server(settings)
    try:
        with httpx.Client(base_url=first.url, timeout=30) as client:
            mint = token_factory(settings)
            admin = register_municipality(client, mint, "GM0687")
            register_people(client, admin, municipality("GM0687"), AUDITOR, OFFICER)
            tenant = setup_tenant(client, mint, kinds=("welfare", "police"))
            welfare = tenant.pro("welfare")
            plan_id = tenant.open_plan(welfare)["plan_id"]
            note = tenant.command(welfare, plan_id, type="add_note", category="general", text="gesprek gehad")
            assert note.status_code == 200, note.text
            other = tenant.open_plan(welfare)["plan_id"]
            grant = client.post(
                f"/plans/{other}/emergency-access",
                json={"reason": GRANT_REASON},
                headers=tenant.headers(tenant.pro("police")),
            )
            assert grant.status_code == 200, grant.text
    finally:
        first.stop()
    RawStore(settings.database_url).flip_one_byte(plan_id, 2)
    policy = directory / "write-policy.yaml"
    text = WRITE_POLICY.read_text(encoding="utf-8")
    policy.write_text(
        text.replace('version: "2026.2"', 'version: "2026.2-test"').replace(
            "close_plan: [regisseur, team_lead]", "close_plan: [regisseur]"
        ),
        encoding="utf-8",
    )
    assert "close_plan: [regisseur]\n" in policy.read_text(encoding="utf-8")
    # Two API worker processes: a session made by one is read by the other.
    env = {"EENPLAN_WRITE_POLICY_FILE": str(policy), "EENPLAN_EMERGENCY_REVIEW_DAYS": "0.00001"}
    second = Server(settings, workers=2, extra_env=env)
    try:
        yield second, plan_id
    finally:
        second.stop()


def test_the_first_broken_link_is_located_and_explained(
    browser: WebDriver, altered: tuple[Server, str]
) -> None:
    server, plan_id = altered
    sign_in(browser, server.url, AUDITOR, municipality("GM0687"), "auditor")
    browser.get(f"{server.url}/console/integriteit?plan_id={plan_id}")
    store = browser.find_element(By.ID, "opslag-status").text
    plan = browser.find_element(By.ID, "plan-status").text
    assert store.startswith("Gebroken") and plan.startswith("Gebroken")
    assert plan_id in plan and "Versie\n2" in plan
    assert "Alles vóór deze schakel is nagerekend" in plan
    assert_accessible(browser)


def test_what_changed_between_two_write_policies_is_shown(
    browser: WebDriver, altered: tuple[Server, str]
) -> None:
    server, _ = altered
    sign_in(browser, server.url, AUDITOR, municipality("GM0687"), "auditor")
    browser.get(f"{server.url}/console/beleid")
    periods = browser.find_element(By.ID, "schrijfbeleid").text
    assert "2026.2-test" in periods and "nu" in periods
    old, new = (Select(browser.find_element(By.ID, f"{end}-schrijven")) for end in ("van", "naar"))
    assert old.first_selected_option.text.startswith("2026.2 ")
    assert new.first_selected_option.text.startswith("2026.2-test")
    follow(browser, browser.find_element(By.ID, "vergelijk-schrijven"))
    diff = browser.find_element(By.ID, "verschil")
    removed = [e.text for e in diff.find_elements(By.CSS_SELECTOR, ".eraf")]
    added = [e.text for e in diff.find_elements(By.CSS_SELECTOR, ".erbij")]
    assert "-  close_plan: [regisseur, team_lead]" in removed and "+  close_plan: [regisseur]" in added
    assert '+version: "2026.2-test"' in added
    assert_accessible(browser)


def test_a_session_is_good_on_every_worker_process(altered: tuple[Server, str]) -> None:
    """Each request on a new connection, so the two workers share them out; none asks to sign in."""
    server, _ = altered
    with httpx.Client(base_url=server.url, timeout=30) as browser:
        assert dev_sign_in(browser, AUDITOR, municipality("GM0687"), "auditor").status_code == 303
        cookies = dict(browser.cookies)
    answers = [httpx.get(f"{server.url}/console/beleid", cookies=cookies, timeout=30) for _ in range(12)]
    assert [a.status_code for a in answers] == [200] * 12


def test_an_overdue_review_is_listed_as_overdue(browser: WebDriver, altered: tuple[Server, str]) -> None:
    server, _ = altered
    sign_in(browser, server.url, OFFICER, municipality("GM0687"), "privacy_officer")
    browser.get(f"{server.url}/console/noodtoegang")
    follow(browser, browser.find_element(By.LINK_TEXT, "Te laat"))
    grant = browser.find_element(By.CSS_SELECTOR, "article.toegang")
    assert GRANT_REASON in grant.text
    assert grant.find_element(By.CSS_SELECTOR, "dd.status-overdue").text == "te laat"
    assert_accessible(browser)
