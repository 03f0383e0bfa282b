"""Every command, not only plan commands, runs once per Idempotency-Key, over HTTP against the real server.

What a command recorded is counted in the event store itself: the topics of all
stored events, before and after, so a repeat that recorded anything shows.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from eenplan.api.bootstrap import Container, build
from eenplan.api.settings import Settings
from tests.e2e import privacy_world
from tests.e2e.conftest import Server, TokenFactory
from tests.e2e.test_intake_http import TENANT, Admin, bearer
from tests.factories import household, uid

PERSON = {"given_name": "Noa", "family_name": "de Vries", "birth_date": "1990-03-01"}


@dataclass(frozen=True)
class Case:
    """One command: where it goes, its body, another body, who sends it, and its success status."""

    name: str
    path: str
    body: dict[str, Any] | None
    other: dict[str, Any] | None
    headers: dict[str, str]
    status: int
    other_path: str | None = None

    def key(self, prefix: str) -> str:
        return f"{prefix}-{self.name.replace(' ', '-')}"


@pytest.fixture
def store(settings: Settings) -> Iterator[Container]:
    """The server's store, read from the test process."""
    container = build(settings.model_copy(update={"projections_in_process": False}))
    yield container
    container.close()


def recorded(store: Container) -> Counter[str]:
    """How many events of each topic the store holds."""
    counts: Counter[str] = Counter()
    start = 1
    while page := store.eenplan.recorder.select_notifications(start=start, limit=1000):
        counts.update(n.topic for n in page)
        start = page[-1].id + 1
    return counts


def help_request(**extra: Any) -> dict[str, Any]:
    return {
        "tenant": TENANT,
        "channel": "phone",
        "area": "Oost",
        "topics": ["money"],
        "summary": "letters from the bailiff",
        "contact": {"given_name": "Sam", "family_name": "Jansen"},
        **extra,
    }


def cases(client: httpx.Client, token: TokenFactory) -> list[Case]:
    """A small tenant through the API, and one case per kind of command."""
    admin = Admin(client, token)
    team = admin.team("Oost")
    org = admin.organisation("social_work")
    pro = admin.professional(org, team, ["money"], capacity=5)
    desk = bearer(token, pro, org)
    request_id = admin_post(client, "/help-requests", help_request(), desk)["request_id"]
    plan = {"tenant": TENANT, "team_id": team, "legal_basis": "wmo2015", "household": household()}
    plans = [admin_post(client, "/plans", {**plan, "reason": "debts"}, desk)["plan_id"] for _ in range(2)]
    activity = {"name": "Budgetcafé", "provider": "Welzijn", "topics": ["money"], "location": "Oost"}
    activity |= {"times": "di 10-12"}
    activity_id = admin_post(client, "/activities", {**activity, "id": uid("act")}, admin.headers)["id"]
    system = bearer(token, f"{org}-sys", org, "partner_system")
    assign = {"type": "assign", "professional_id": pro, "reason": "knows the family"}
    new_team = {"id": uid("team"), "name": "Wijkteam West", "tenant": TENANT, "areas": ["West"]}
    new_org = {"id": uid("org"), "name": "Woonstad", "kind": "housing", "tenants": [TENANT]}
    new_pro = {"id": uid("pro"), "name": "Pro", "team_ids": [team], "capacity": 3}
    activity_body = {**activity, "id": uid("act")}
    signal = {"tenant": TENANT, "type": "rent_arrears", "person": PERSON, "area": "Oost"}
    return [
        Case("help request", "/help-requests", help_request(), help_request(summary="other"), desk, 201),
        Case(
            "triage",
            f"/help-requests/{request_id}/commands",
            assign,
            {**assign, "reason": "other"},
            desk,
            200,
        ),
        Case("signal", "/signals", signal, {**signal, "type": "energy_arrears"}, system, 201),
        Case("activity", "/activities", activity_body, {**activity_body, "name": "x"}, admin.headers, 201),
        Case(
            "referral",
            f"/activities/{activity_id}/referrals",
            {"plan_id": plans[0]},
            {"plan_id": plans[1]},
            desk,
            201,
        ),
        Case("team", "/teams", new_team, {**new_team, "name": "x"}, admin.headers, 201),
        Case("organisation", "/organisations", new_org, {**new_org, "name": "x"}, admin.headers, 201),
        Case(
            "professional",
            f"/organisations/{org}/professionals",
            new_pro,
            {**new_pro, "capacity": 4},
            admin.headers,
            201,
        ),
        Case(
            "signal expiry",
            f"/signals/expiry?tenant={TENANT}",
            None,
            None,
            admin.headers,
            200,
            other_path="/signals/expiry?tenant=GM0363",
        ),
    ]


def admin_post(client: httpx.Client, path: str, body: dict[str, Any], headers: dict[str, str]) -> Any:
    response = client.post(path, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return response.json()


def send(client: httpx.Client, case: Case, key: str | None, other: bool = False) -> httpx.Response:
    headers = {**case.headers, **({"Idempotency-Key": key} if key else {})}
    path = (case.other_path or case.path) if other else case.path
    return client.post(path, json=case.other if other else case.body, headers=headers)


def test_every_command_repeated_with_its_key_gets_the_first_reply_and_records_nothing_also_after_a_restart(
    settings: Settings, store: Container, token: TokenFactory
) -> None:
    server = Server(settings)
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            all_cases = cases(client, token)
            firsts: dict[str, httpx.Response] = {}
            for case in all_cases:
                before = recorded(store)
                first = send(client, case, case.key("key"))
                assert first.status_code == case.status, (case.name, first.text)
                after_first = recorded(store)
                again = send(client, case, case.key("key"))
                assert (again.status_code, again.content) == (first.status_code, first.content), case.name
                assert again.headers.get("location") == first.headers.get("location"), case.name
                assert recorded(store) == after_first, case.name
                if case.body is not None:
                    assert after_first != before, f"{case.name} recorded nothing the first time"
                firsts[case.name] = first
    finally:
        server.stop()
    counts = recorded(store)
    restarted = Server(settings)
    try:
        with httpx.Client(base_url=restarted.url, timeout=30) as client:
            for case in all_cases:
                repeat = send(client, case, case.key("key"))
                assert (repeat.status_code, repeat.content) == (case.status, firsts[case.name].content)
    finally:
        restarted.stop()
    assert recorded(store) == counts


def test_every_command_with_a_key_reused_for_another_body_is_refused_with_422(
    server: Server, client: httpx.Client, store: Container, token: TokenFactory
) -> None:
    for case in cases(client, token):
        first = send(client, case, case.key("reused"))
        assert first.status_code == case.status, (case.name, first.text)
        before = recorded(store)
        other = send(client, case, case.key("reused"), other=True)
        assert other.status_code == 422, (case.name, other.text)
        assert other.headers["content-type"] == "application/problem+json"
        assert other.json()["type"].endswith("/idempotency-key-reused")
        assert recorded(store) == before, case.name


def test_without_a_key_each_post_records_again_and_a_registration_is_refused_the_second_time(
    server: Server, client: httpx.Client, store: Container, token: TokenFactory
) -> None:
    for case in cases(client, token):
        if case.body is None:
            continue
        before = recorded(store)
        first = send(client, case, None)
        once = recorded(store) - before
        second = send(client, case, None)
        twice = recorded(store) - before
        assert first.status_code == case.status, (case.name, first.text)
        if case.status == 201 and "id" in case.body:  # a registration names its own id
            assert second.status_code == 409, (case.name, second.text)
            assert twice == once, case.name
        else:
            assert second.status_code == case.status, (case.name, second.text)
            assert second.content != first.content, case.name
            assert sum(twice.values()) > sum(once.values()), case.name


def test_a_signal_posted_twice_with_one_key_is_one_signal_in_the_match(
    server: Server, client: httpx.Client, token: TokenFactory
) -> None:
    admin = Admin(client, token)
    team = admin.team("Noord")
    housing, energy, welfare = (admin.organisation(k) for k in ("housing", "municipality", "welfare"))
    member = admin.professional(welfare, team, [], capacity=10)
    signal = {"tenant": TENANT, "type": "rent_arrears", "person": PERSON, "area": "Noord"}
    housing_system = bearer(token, f"{housing}-sys", housing, "partner_system")
    posted = [
        client.post("/signals", json=signal, headers={**housing_system, "Idempotency-Key": "woon-17"})
        for _ in range(2)
    ]
    energy_signal = {**signal, "type": "energy_arrears"}
    matched = client.post(
        "/signals", json=energy_signal, headers=bearer(token, f"{energy}-sys", energy, "partner_system")
    )
    (match,) = client.get(
        "/signals/matches", params={"team_id": team}, headers=bearer(token, member, welfare)
    ).json()

    assert [p.status_code for p in posted] == [201, 201]
    assert posted[0].content == posted[1].content and posted[0].json()["matched"] is False
    assert matched.json()["matched"] is True
    assert sorted(match["signal_ids"]) == sorted([posted[0].json()["signal_id"], matched.json()["signal_id"]])
    assert match["organisation_ids"] == sorted([housing, energy])


def test_an_erasure_and_a_break_the_glass_repeated_with_their_key_answer_as_the_first_and_record_once(
    server: Server, client: httpx.Client, store: Container, token: TokenFactory
) -> None:
    world = privacy_world.setup(client, token, "welfare", "police")
    opened = privacy_world.open_plan(world, "welfare")
    glass = f"/plans/{opened['plan_id']}/emergency-access"
    police = {**world.auth("police"), "Idempotency-Key": "glass-1"}
    reason = {"reason": "Acute zorgen om de veiligheid van de kinderen"}
    grants = [client.post(glass, json=reason, headers=police) for _ in range(2)]
    other_grant = client.post(glass, json={"reason": "Iets anders aan de hand in dit gezin"}, headers=police)
    erasure = f"/subjects/{opened['member_ids'][0]}/erasure"
    officer = {**world.officer(), "Idempotency-Key": "erase-1"}
    body = {"reason": "verzoek", "legal_ground": "avg.17"}
    erased = client.post(erasure, json=body, headers=officer)
    after_first = recorded(store)
    again = client.post(erasure, json=body, headers=officer)
    other = client.post(erasure, json={**body, "legal_ground": "avg.17.1"}, headers=officer)
    review = client.get("/privacy/emergency-access", headers=world.officer()).json()["grants"]

    assert [g.status_code for g in grants] == [200, 200] and grants[0].content == grants[1].content
    assert len([g for g in review if g["plan_id"] == opened["plan_id"]]) == 1
    assert (erased.status_code, again.status_code) == (200, 200), erased.text
    assert again.content == erased.content and recorded(store) == after_first
    assert (other_grant.status_code, other.status_code) == (422, 422)
