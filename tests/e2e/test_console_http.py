"""The console's guards over HTTP: sign-in, session cookie, CSRF, roles, headers, and the
processing log of what it shows."""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import STORE
from tests.e2e.conftest import Server, TokenFactory
from tests.e2e.console_http import csrf_of, dev_sign_in
from tests.e2e.console_world import ConsoleWorld, fill

pytestmark = pytest.mark.skipif(STORE == "postgres", reason="the console's guards run in the SQLite suite")


@pytest.fixture(scope="module")
def world(shared_server: Server, shared_token: TokenFactory) -> ConsoleWorld:
    with httpx.Client(base_url=shared_server.url, timeout=30) as client:
        return fill(client, shared_token)


@pytest.fixture
def browserless(shared_server: Server) -> Iterator[httpx.Client]:
    """A client with a cookie jar of its own, as one browser."""
    with httpx.Client(base_url=shared_server.url, timeout=30) as client:
        yield client


def test_without_a_session_every_page_sends_you_to_sign_in(browserless: httpx.Client) -> None:
    for path in ("/console", "/console/plannen", "/console/noodtoegang", "/console/beleid"):
        answer = browserless.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == "/console/aanmelden", path


def test_the_session_cookie_is_httponly_samesite_and_scoped_to_the_console(browserless: httpx.Client) -> None:
    cookie = browserless.get("/console/aanmelden").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "path=/console" in cookie
    assert "secure" not in cookie  # development mode on plain http; production sets Secure


def test_console_pages_carry_a_strict_content_security_policy(browserless: httpx.Client) -> None:
    answer = browserless.get("/console/aanmelden")
    policy = answer.headers["content-security-policy"]
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy and "script-src 'self'" in policy
    assert "<script>" not in answer.text and " style=" not in answer.text  # no inline script or style
    assert answer.headers["x-frame-options"] == "DENY"


def test_signing_in_without_the_forms_csrf_token_is_refused(
    browserless: httpx.Client, world: ConsoleWorld
) -> None:
    browserless.get("/console/aanmelden")
    form = {"sub": world.auditor, "org": world.org, "tenant": "GM0687", "role": "auditor"}
    assert browserless.post("/console/aanmelden/ontwikkeling", data=form).status_code == 403
    wrong = {**form, "csrf": "x" * 43}
    assert browserless.post("/console/aanmelden/ontwikkeling", data=wrong).status_code == 403
    assert browserless.get("/console").status_code == 303


def test_a_role_other_than_auditor_or_privacy_officer_is_refused(
    browserless: httpx.Client, world: ConsoleWorld
) -> None:
    welfare = world.tenant.pro("welfare")
    answer = dev_sign_in(browserless, welfare, world.tenant.orgs["welfare"], "professional")
    assert answer.status_code == 403
    assert "auditors en privacy officers" in answer.text
    assert browserless.get("/console").status_code == 303  # no session came of it


def test_a_person_the_directory_does_not_know_cannot_sign_in(
    browserless: httpx.Client, world: ConsoleWorld
) -> None:
    answer = dev_sign_in(browserless, "nobody-at-all", world.org, "auditor")
    assert answer.status_code == 401


def test_a_forged_session_cookie_counts_as_none(browserless: httpx.Client, world: ConsoleWorld) -> None:
    assert dev_sign_in(browserless, world.auditor, world.org, "auditor").status_code == 303
    sealed = browserless.cookies["eenplan_console"]
    forged = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    browserless.cookies.clear()
    browserless.cookies.set("eenplan_console", forged, path="/console")
    assert browserless.get("/console").status_code == 303


def test_a_review_without_the_csrf_token_is_refused_and_changes_nothing(
    browserless: httpx.Client, shared_client: httpx.Client, world: ConsoleWorld
) -> None:
    assert dev_sign_in(browserless, world.officer, world.org, "privacy_officer").status_code == 303
    form = {"decision": "approved", "reason": "de melding was ernstig genoeg voor toegang zonder overleg"}
    path = f"/console/noodtoegang/{world.grant_id}/beoordeling"
    assert browserless.post(path, data=form).status_code == 403
    assert browserless.post(path, data={**form, "csrf": "not-the-token"}).status_code == 403
    queue = shared_client.get(
        "/privacy/emergency-access",
        params={"plan_id": world.grant_plan_id},
        headers=world.bearer(world.officer, "privacy_officer"),
    ).json()["grants"]
    assert next(g for g in queue if g["grant_id"] == world.grant_id)["review"] is None


def test_a_review_with_a_reason_too_thin_is_refused_with_the_rule(
    browserless: httpx.Client, world: ConsoleWorld
) -> None:
    assert dev_sign_in(browserless, world.officer, world.org, "privacy_officer").status_code == 303
    page = browserless.get("/console/noodtoegang")
    form = {"csrf": csrf_of(page), "decision": "approved", "reason": "ok"}
    answer = browserless.post(f"/console/noodtoegang/{world.grant_id}/beoordeling", data=form)
    assert answer.status_code == 422 and "reason" in answer.text


def test_signing_out_needs_the_token_and_ends_the_session(
    browserless: httpx.Client, world: ConsoleWorld
) -> None:
    assert dev_sign_in(browserless, world.auditor, world.org, "auditor").status_code == 303
    assert browserless.post("/console/afmelden", data={}).status_code == 403
    page = browserless.get("/console")
    assert browserless.post("/console/afmelden", data={"csrf": csrf_of(page)}).status_code == 303
    assert browserless.get("/console").status_code == 303


def test_what_the_console_shows_an_auditor_is_in_the_processing_log(
    browserless: httpx.Client, shared_client: httpx.Client, world: ConsoleWorld
) -> None:
    assert dev_sign_in(browserless, world.auditor, world.org, "auditor").status_code == 303
    page = browserless.get(f"/console/plannen/{world.plan_id}", params={"bekeken_als": world.police})
    assert page.status_code == 200
    assert world.health_text not in page.text and world.family_name not in page.text
    log = shared_client.get(
        f"/plans/{world.plan_id}/processing-log", headers=world.bearer(world.auditor, "auditor")
    ).json()["entries"]
    console_reads = [e for e in log if e["name"].startswith("plan_through_time")]
    assert console_reads, [e["name"] for e in log]
    users = console_reads[-1]["attributes"]["dpl.nen7513.users"]
    assert users[0]["userID"] == world.auditor
    assert console_reads[-1]["attributes"]["dpl.core.processing_activity_id"] == "audit"


def test_a_plan_another_tenant_holds_is_not_found_and_the_attempt_is_logged(
    browserless: httpx.Client, world: ConsoleWorld
) -> None:
    assert dev_sign_in(browserless, world.auditor, world.org, "auditor").status_code == 303
    answer = browserless.get("/console/plannen/00000000-0000-0000-0000-000000000000")
    assert answer.status_code == 404 and "Niet gevonden" in answer.text


def test_a_privacy_officer_sees_no_plan_the_api_would_not_show_them(
    browserless: httpx.Client, shared_client: httpx.Client, world: ConsoleWorld
) -> None:
    """Privacy officers have no relation to plans: the API answers 404, and so does the console."""
    api = shared_client.get(f"/plans/{world.plan_id}", headers=world.bearer(world.officer, "privacy_officer"))
    assert api.status_code == 404
    assert dev_sign_in(browserless, world.officer, world.org, "privacy_officer").status_code == 303
    answer = browserless.get(f"/console/plannen/{world.plan_id}", params={"bekeken_als": world.police})
    assert answer.status_code == 404
    assert world.health_text not in answer.text and world.safety_text not in answer.text


def test_bad_input_and_unknown_pages_are_console_pages_not_500s(
    browserless: httpx.Client, world: ConsoleWorld
) -> None:
    assert dev_sign_in(browserless, world.auditor, world.org, "auditor").status_code == 303
    for path, status in (
        (f"/console/plannen/{world.plan_id}?versie=nul", 422),
        (f"/console/plannen/{world.plan_id}?versie=999999", 404),
        (f"/console/plannen/{world.plan_id}?bekeken_als=" + "x" * 500, 422),
        ("/console/beleid?soort=alles", 422),
        ("/console/bestaat-niet", 404),
        ("/console/beleid?soort=lezen&van=abc&naar=def", 404),
    ):
        answer = browserless.get(path)
        assert answer.status_code == status, (path, answer.text[:500])
        assert answer.headers["content-type"].startswith("text/html"), path
        assert "content-security-policy" in answer.headers
    unknown = browserless.get(f"/console/plannen/{world.plan_id}", params={"bekeken_als": "no-such-org"})
    assert unknown.status_code == 200 and "geen organisatie van de gemeente" in unknown.text


def test_a_review_form_sent_twice_is_one_review_answered_alike(
    browserless: httpx.Client, shared_client: httpx.Client, world: ConsoleWorld
) -> None:
    world.tenant.client = shared_client  # the world was filled by a client of its own, closed since
    plan_id = world.tenant.open_plan(world.tenant.pro("welfare"))["plan_id"]
    grant = shared_client.post(
        f"/plans/{plan_id}/emergency-access",
        json={"reason": "buren melden geschreeuw en een kind dat om hulp roept in de woning"},
        headers=world.tenant.headers(world.tenant.pro("police", 1)),
    ).json()["grant_id"]
    assert dev_sign_in(browserless, world.officer, world.org, "privacy_officer").status_code == 303
    page = browserless.get("/console/noodtoegang")
    command_id = re.search(r'name="command_id" value="([^"]+)"', page.text)
    assert command_id
    form = {
        "csrf": csrf_of(page),
        "command_id": command_id.group(1),
        "decision": "approved",
        "reason": "de melding rechtvaardigde directe toegang voor de politie",
    }
    first = browserless.post(f"/console/noodtoegang/{grant}/beoordeling", data=form)
    again = browserless.post(f"/console/noodtoegang/{grant}/beoordeling", data=form)
    assert first.status_code == again.status_code == 303
    assert "goedgekeurd" in first.headers["location"] == again.headers["location"]
    queue = shared_client.get(
        "/privacy/emergency-access",
        params={"plan_id": plan_id},
        headers=world.bearer(world.officer, "privacy_officer"),
    ).json()["grants"]
    assert [g["review"]["decision"] for g in queue] == ["approved"]
    other = {**form, "command_id": "00000000-0000-4000-8000-000000000000", "decision": "rejected"}
    assert browserless.post(f"/console/noodtoegang/{grant}/beoordeling", data=other).status_code == 409
