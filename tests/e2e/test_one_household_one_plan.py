"""One household, one plan, through HTTP: the two-organisation story ends in a 409 and a join request."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest

from tests.e2e.conftest import TokenFactory
from tests.e2e.privacy_world import HttpWorld, setup

# Makes its own ids and counts only what it made: the run's shared store and server will do.
pytestmark = pytest.mark.shared_store

ADDRESS = {"street": "Lange Delft", "house_number": "12", "postal_code": "4331 AB", "city": "Middelburg"}


def mother() -> dict[str, Any]:
    """A mother with a BSN of her own (the nine digits pass the elfproef)."""
    return {
        "given_name": "Fatima",
        "family_name": f"el Amrani {uuid.uuid4().hex[:8]}",
        "birth_date": "1988-04-12",
        "bsn": _bsn(),
        "role": "parent",
    }


def _bsn() -> str:
    while True:
        digits = [int(d) for d in f"{uuid.uuid4().int % 10**8:08d}"]
        body = sum(d * w for d, w in zip(digits, range(9, 1, -1), strict=True))
        last = body % 11
        if last < 10 and digits[0] != 0:
            return "".join(map(str, digits)) + str(last)


def body(world: HttpWorld, *members: dict[str, Any], **extra: Any) -> dict[str, Any]:
    household = {"members": list(members), "address": extra.pop("address", ADDRESS)}
    return {
        "tenant": "GM0687",
        "team_id": world.team_id,
        "legal_basis": "wmo2015",
        "household": household,
        "reason": "schulden",
        **extra,
    }


@pytest.fixture
def client(shared_client: httpx.Client) -> httpx.Client:
    """The shared server: these tests need their own people, not an empty store."""
    return shared_client


@pytest.fixture
def token(shared_token: TokenFactory) -> TokenFactory:
    return shared_token


@pytest.fixture
def world(client: httpx.Client, token: TokenFactory) -> HttpWorld:
    return setup(client, token, "welfare", "social_work", "police")


def test_two_organisations_one_mother_one_plan_and_a_join_request(
    client: httpx.Client, world: HttpWorld
) -> None:
    person = mother()
    first = client.post("/plans", json=body(world, person), headers=world.auth("welfare"))
    assert first.status_code == 201, first.text
    plan_id = first.json()["plan_id"]

    second = client.post("/plans", json=body(world, dict(person)), headers=world.auth("social_work"))
    assert second.status_code == 409, second.text
    assert second.headers["content-type"].startswith("application/problem+json")
    problem = second.json()
    assert problem["type"].endswith("/household-has-plan") and problem["match"] == "bsn"
    assert "plan_id" not in problem and plan_id not in second.text  # no content of a plan not theirs
    assert problem["regisseur"] == {
        "professional_id": world.pros["welfare"],
        "organisation_id": world.orgs["welfare"],
    }
    request_id = problem["join_request_id"]

    again = client.post("/plans", json=body(world, dict(person)), headers=world.auth("welfare"))
    assert again.status_code == 409 and again.json()["plan_id"] == plan_id  # who sees it gets its id

    # The regisseur sees the request in the plan and lets the social worker join.
    plan = client.get(f"/plans/{plan_id}", headers=world.auth("welfare")).json()
    assert plan["status"] == "open"
    world.command("welfare", plan_id, type="accept_join_request", proposal_id=request_id)
    seen = client.get(f"/plans/{plan_id}", headers=world.auth("social_work"))
    assert seen.status_code == 200
    # Still one open plan for her: the tenant's duplicates report is empty of her.
    admin = {"Authorization": f"Bearer {world.token('admin-1', 'gemeente-GM0687', 'admin')}"}
    report = client.get(
        "/households/duplicates", params={"tenant": "GM0687", "min_position": 1}, headers=admin
    )
    assert report.status_code == 200, report.text
    assert all(plan_id not in pair["plan_ids"] for pair in report.json()["pairs"])

    # The match and the request are in the processing log of the mother's plan.
    log = client.get(f"/plans/{plan_id}/processing-log", headers=world.officer()).json()["entries"]
    assert "household_match" in str(log), log


def test_a_declined_request_and_a_second_plan_on_purpose(client: httpx.Client, world: HttpWorld) -> None:
    child = {**mother(), "given_name": "Yara", "birth_date": "2016-02-02", "role": "child"}
    child.pop("bsn")
    first = client.post("/plans", json=body(world, child), headers=world.auth("welfare")).json()["plan_id"]
    refused = client.post("/plans", json=body(world, child), headers=world.auth("police"))
    assert refused.status_code == 409 and refused.json()["match"] == "name_birth_date_address"
    world.command(
        "welfare",
        first,
        type="decline_join_request",
        proposal_id=refused.json()["join_request_id"],
        reason="geen rol in dit plan",
    )
    assert client.get(f"/plans/{first}", headers=world.auth("police")).status_code == 404

    # Co-parenting: the child lives in two households. The existing plan's regisseur decides.
    on_purpose = body(
        world,
        child,
        address={**ADDRESS, "house_number": "40"},
        second_plan={"reason": "co-ouderschap: week om week bij vader"},
    )
    by_police = client.post("/plans", json=on_purpose, headers=world.auth("police"))
    assert by_police.status_code == 404, by_police.text  # not theirs to decide: no relation to the plan
    second = client.post("/plans", json=on_purpose, headers=world.auth("welfare"))
    assert second.status_code == 201, second.text
    # Reported to the privacy officer, with the reason, like break-the-glass.
    review = client.get("/privacy/second-plans", headers=world.officer())
    assert review.status_code == 200, review.text
    (mine,) = [p for p in review.json()["second_plans"] if p["plan_id"] == second.json()["plan_id"]]
    assert mine["beside_plan_ids"] == [first] and mine["reason"].startswith("co-ouderschap")
    assert client.get("/privacy/second-plans", headers=world.auth("police")).status_code == 403
    admin = {"Authorization": f"Bearer {world.token('admin-1', 'gemeente-GM0687', 'admin')}"}
    position = second.json()["position"]
    report = client.get(
        "/households/duplicates", params={"tenant": "GM0687", "min_position": position}, headers=admin
    ).json()
    assert all(first not in pair["plan_ids"] for pair in report["pairs"])  # beside on purpose: no duplicate


def test_merge_and_split_over_http_keep_both_histories(client: httpx.Client, world: HttpWorld) -> None:
    person = mother()
    teen = {**mother(), "given_name": "Sami", "birth_date": "2008-09-09", "role": "child"}
    stays = client.post("/plans", json=body(world, person, teen), headers=world.auth("welfare")).json()[
        "plan_id"
    ]
    duplicate = body(world, person, regisseur_id=world.pros["welfare"], second_plan={"reason": "dubbel"})
    goes = client.post("/plans", json=duplicate, headers=world.auth("welfare"))
    assert goes.status_code == 201, goes.text
    goes_id = goes.json()["plan_id"]
    world.command(
        "welfare", goes_id, type="set_goal", goal_id="g1", life_domain="finances", description="schulden"
    )
    world.command(
        "welfare", stays, type="propose_merge", other_plan_id=goes_id, into="this", reason="één gezin"
    )
    # Proposed on the plan that stays, recorded on both: the other plan's members are logged too.
    logged = client.get(f"/plans/{goes_id}/processing-log", headers=world.officer()).json()["entries"]
    assert "propose_merge" in str(logged), logged
    history = client.get(f"/plans/{goes_id}/history", headers=world.auth("welfare")).json()
    proposal_id = next(e["data"]["proposal_id"] for e in history["events"] if e["type"] == "MergeProposed")
    world.command("welfare", goes_id, type="accept_merge", proposal_id=proposal_id)
    closed = client.get(f"/plans/{goes_id}", headers=world.auth("welfare")).json()
    assert closed["status"] == "closed"
    merged = client.get(f"/plans/{stays}/history", headers=world.auth("welfare")).json()
    carried = [e for e in merged["events"] if e["type"] == "CarriedOver"]
    assert {e["data"]["kind"] for e in carried} >= {"goals"} and all(
        e["data"]["from_plan_id"] == goes_id for e in carried
    )
    # Both histories verify and replay.
    auditor = world.auditor()
    for plan_id in (stays, goes_id):
        verdict = client.get("/audit/verify", params={"plan_id": plan_id}, headers=auditor)
        assert verdict.status_code == 200 and verdict.json()["status"] == "intact", verdict.text
        replayed = client.get(f"/plans/{plan_id}", params={"version": 1}, headers=world.auth("welfare"))
        assert replayed.status_code == 200 and replayed.json()["version"] == 1

    # Split: the teen moves out with a goal of their own.
    view = client.get(f"/plans/{stays}", headers=world.auth("welfare")).json()
    teen_id = next(m["member_id"] for m in view["members"] if m.get("given_name") == "Sami")
    world.command(
        "welfare", stays, type="set_goal", goal_id="kamer", life_domain="housing", description="kamer"
    )
    split = world.command(
        "welfare",
        stays,
        type="split_household",
        member_ids=[teen_id],
        goal_ids=["kamer"],
        reason="gaat op kamers",
    ).json()
    assert [e["type"] for e in split["events"]] == ["HouseholdSplit"]
    after = client.get(f"/plans/{stays}/history", headers=world.auth("welfare")).json()
    new_id = next(e["data"]["new_plan_id"] for e in after["events"] if e["type"] == "HouseholdSplit")
    new_plan = client.get(f"/plans/{new_id}", headers=world.auth("welfare")).json()
    assert "members" in new_plan, new_plan
    assert [m["member_id"] for m in new_plan["members"]] == [teen_id]
    # The teen is found in their own plan now, and by their id.
    export = client.get(f"/subjects/{teen_id}/export", headers=world.officer())
    assert export.status_code == 200 and export.json()["plan"]["plan_id"] == new_id


def test_an_erased_person_leaves_the_index_and_the_duplicates_report(
    client: httpx.Client, world: HttpWorld
) -> None:
    person = mother()
    admin = {"Authorization": f"Bearer {world.token('admin-1', 'gemeente-GM0687', 'admin')}"}
    first = client.post("/plans", json=body(world, person), headers=world.auth("welfare"))
    assert first.status_code == 201, first.text
    # A second plan of her on purpose: the two are beside each other, so not reported; a third
    # party's plan for her is refused.
    beside = body(world, dict(person), second_plan={"reason": "dubbel"})
    second = client.post("/plans", json=beside, headers=world.auth("welfare"))
    assert second.status_code == 201, second.text
    refused = client.post("/plans", json=body(world, dict(person)), headers=world.auth("social_work"))
    assert refused.status_code == 409, refused.text

    erasure = {"reason": "verzoek betrokkene", "legal_ground": "avg_art_17"}
    for opened in (first, second):
        member_id = opened.json()["member_ids"][0]
        receipt = client.post(f"/subjects/{member_id}/erasure", json=erasure, headers=world.officer())
        assert receipt.status_code in (200, 202), receipt.text
    # Her pseudonyms went with her: no open plan matches her any more, and the view forgot her.
    again = client.post("/plans", json=body(world, dict(person)), headers=world.auth("social_work"))
    assert again.status_code == 201, again.text
    head = again.json()["position"]
    report = client.get(
        "/households/duplicates", params={"tenant": "GM0687", "min_position": head}, headers=admin
    )
    listed = {p for pair in report.json()["pairs"] for p in pair["plan_ids"]}
    assert not listed & {first.json()["plan_id"], second.json()["plan_id"], again.json()["plan_id"]}
