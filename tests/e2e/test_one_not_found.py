"""One answer for "not there" and "not yours", over HTTP, on every plan path and parameter combination.

A plan the caller may not see answers exactly as a plan that does not exist: the same status,
headers and problem body, byte for byte once the requested id is read as a placeholder (the
detail names the id the caller asked for). The same holds for directory look-ups across tenants,
and a taken member id says nothing about the plan that holds it.
"""

from __future__ import annotations

import itertools
import json
import uuid
from typing import Any

import httpx

from tests.e2e.conftest import TokenFactory
from tests.e2e.directory_setup import admin_headers, setup_tenant
from tests.e2e.privacy_world import HttpWorld, open_plan, setup
from tests.factories import household

PATHS = ("/plans/{id}", "/plans/{id}/history", "/plans/{id}/fhir")
PARAMETERS: dict[str, list[Any]] = {
    "version": [None, 1, 3, 2**62],
    "as_of": [None, "2000-01-01T00:00:00+00:00", "2026-06-01T12:00:00+02:00", "2999-01-01T00:00:00Z"],
    "as_seen_by": [None, "org-that-does-not-exist"],
}
# Headers that differ per request whatever the answer (the trace, the clock), and the length,
# which differs with the length of the id asked for (the body is compared with the id read as ID).
VARYING = {"traceparent", "date", "x-request-id", "content-length"}


def the_same(unseen: httpx.Response, missing: httpx.Response, unseen_id: str, missing_id: str) -> None:
    """Status, headers and body equal, with the requested id as the only difference."""
    assert unseen.status_code == missing.status_code, (unseen.text, missing.text)
    assert unseen.content.replace(unseen_id.encode(), b"ID") == missing.content.replace(
        missing_id.encode(), b"ID"
    )
    assert _headers(unseen) == _headers(missing)


def _headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k not in VARYING}


def combinations() -> list[dict[str, Any]]:
    names = list(PARAMETERS)
    found = []
    for values in itertools.product(*PARAMETERS.values()):
        found.append({n: v for n, v in zip(names, values, strict=True) if v is not None})
    return found


def household_of(given_name: str, born: str) -> dict[str, Any]:
    """A household no other plan holds (one household, one plan: members are matched)."""
    body = household(given_name)
    body["members"][0].update(family_name=f"Fam{uuid.uuid4().hex[:6]}", birth_date=born)
    return body


def world_with_plan(client: httpx.Client, token: TokenFactory) -> tuple[HttpWorld, str]:
    world = setup(client, token, "social_work", "police")
    plan_id: str = open_plan(world, "social_work")["plan_id"]
    world.command("social_work", plan_id, type="add_note", category="health", text="GGZ")
    return world, plan_id


def test_an_unseen_plan_reads_exactly_as_a_missing_one_with_every_parameter(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world, plan_id = world_with_plan(shared_client, shared_token)
    missing = str(uuid.uuid4())
    other = setup_tenant(shared_client, shared_token, "GM0363", kinds=("welfare",))
    callers = {
        "an uninvolved organisation": world.auth("police"),
        "an auditor of another tenant": other.headers(other.pro("welfare"), "auditor"),
    }
    checked = 0
    for who, headers in callers.items():
        for path, params in itertools.product(PATHS, combinations()):
            unseen = shared_client.get(path.format(id=plan_id), params=params, headers=headers)
            gone = shared_client.get(path.format(id=missing), params=params, headers=headers)
            assert unseen.status_code in (403, 404), (who, path, params, unseen.text)
            the_same(unseen, gone, plan_id, missing)
            checked += 1
    assert checked == 2 * len(PATHS) * len(combinations())


def test_commands_on_an_unseen_plan_answer_as_on_a_missing_one(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world, plan_id = world_with_plan(shared_client, shared_token)
    missing = str(uuid.uuid4())
    outsider = world.auth("police")
    note = {"type": "add_note", "category": "general", "text": "x"}
    requests = [
        ("/plans/{id}/commands", note, {}),
        ("/plans/{id}/commands", note, {"If-Match": '"2"'}),
        ("/plans/{id}/commands", {"type": "close_plan", "reason": "x"}, {}),
        ("/plans/{id}/commands:batch", {"commands": [note, note]}, {}),
    ]
    for path, body, extra in requests:
        unseen = shared_client.post(path.format(id=plan_id), json=body, headers={**outsider, **extra})
        gone = shared_client.post(path.format(id=missing), json=body, headers={**outsider, **extra})
        assert unseen.status_code == 404, unseen.text
        the_same(unseen, gone, plan_id, missing)


def test_cloudevents_about_an_unseen_plan_answer_as_about_a_missing_one(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world, plan_id = world_with_plan(shared_client, shared_token)
    missing = str(uuid.uuid4())
    outsider = world.auth("police")

    def event(subject: str, n: int) -> dict[str, Any]:
        data = {"category": "general", "text": "melding"}
        return {"specversion": "1.0", "id": f"e{n}", "source": "urn:t", "type": "nl.eenplan.note.added",
                "subject": subject, "data": data}  # fmt: skip

    single = {**outsider, "content-type": "application/cloudevents+json"}
    unseen = shared_client.post("/events", content=json.dumps(event(plan_id, 1)), headers=single)
    gone = shared_client.post("/events", content=json.dumps(event(missing, 2)), headers=single)
    assert unseen.status_code == 404
    the_same(unseen, gone, plan_id, missing)

    batch = {**outsider, "content-type": "application/cloudevents-batch+json"}
    answer = shared_client.post(
        "/events", content=json.dumps([event(plan_id, 3), event(missing, 3)]), headers=batch
    )
    assert answer.status_code == 200, answer.text  # every event failed: still an answer per event
    first, second = answer.json()["results"]
    assert first["status"] == second["status"] == 404
    assert json.dumps(first["body"]).replace(plan_id, "ID") == json.dumps(second["body"]).replace(
        missing, "ID"
    )
    assert first["body"] == unseen.json()  # the same problem as the single form gets


def test_directory_look_ups_across_tenants_answer_as_for_unknown_ids(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world, plan_id = world_with_plan(shared_client, shared_token)
    other = setup_tenant(shared_client, shared_token, "GM0363", kinds=("welfare",))
    theirs, their_pro, their_team = other.orgs["welfare"], other.pro("welfare"), other.team_id
    me, admin = world.auth("social_work"), admin_headers(shared_token, "GM0687")
    police = world.orgs["police"]

    def command(body: dict[str, Any]) -> httpx.Response:
        return shared_client.post(f"/plans/{plan_id}/commands", json=body, headers=me)

    looks: dict[str, tuple[Any, str, str]] = {
        "read a professional": (
            lambda x: shared_client.get(f"/professionals/{x}", headers=me),
            their_pro,
            "nobody-1",
        ),
        "register a professional at": (
            lambda x: shared_client.post(
                f"/organisations/{x}/professionals", json={"id": "n1", "name": "N"}, headers=admin
            ),
            theirs,
            "nowhere-1",
        ),
        "register a system at": (
            lambda x: shared_client.post(
                f"/organisations/{x}/systems", json={"id": "s1", "name": "S"}, headers=admin
            ),
            theirs,
            "nowhere-1",
        ),
        "record a departure of": (
            lambda x: shared_client.post(
                f"/professionals/{x}/commands", json={"type": "leave", "reason": "r"}, headers=admin
            ),
            their_pro,
            "nobody-1",
        ),
        "register into the team": (
            lambda x: shared_client.post(
                f"/organisations/{police}/professionals",
                json={"id": "n2", "name": "N", "team_ids": [x]},
                headers=admin,
            ),
            their_team,
            "no-team-1",
        ),
        "grant a mandate to": (
            lambda x: command({"type": "grant_mandate", "organisation_id": x, "scope": "all"}),
            theirs,
            "nowhere-1",
        ),
        "take onto the care team": (
            lambda x: command({"type": "join_care_team", "professional_id": x, "role": "r"}),
            their_pro,
            "nobody-1",
        ),
        "audit as seen by": (
            lambda x: shared_client.get(
                f"/plans/{plan_id}", params={"as_seen_by": x}, headers=world.auditor()
            ),
            theirs,
            "nowhere-1",
        ),
    }
    for what, (call, foreign, unknown) in looks.items():
        a, b = call(foreign), call(unknown)
        # 403 where the write policy refuses the command itself, whoever it names: it reveals nothing.
        assert a.status_code in (403, 404, 422), (what, a.text)
        the_same(a, b, foreign, unknown)


def test_a_taken_member_id_says_nothing_about_the_plan_that_holds_it(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    world, hidden = world_with_plan(shared_client, shared_token)
    mine = open_plan(world, "police", household=household_of("Els", "1970-01-01"))["plan_id"]
    their_member = shared_client.get(f"/plans/{hidden}", headers=world.auth("social_work")).json()["members"][
        0
    ]
    my_member = shared_client.get(f"/plans/{mine}", headers=world.auth("police")).json()["members"][0]
    second = open_plan(world, "police", household=household_of("Jan", "1971-02-02"))["plan_id"]
    person = {"given_name": "Kim", "family_name": "Bos", "birth_date": "1990-01-01", "role": "adult"}

    def add(member_id: str) -> httpx.Response:
        body = {"type": "add_member", "member": {**person, "member_id": member_id}}
        return shared_client.post(f"/plans/{second}/commands", json=body, headers=world.auth("police"))

    taken_there, taken_here = add(their_member["member_id"]), add(my_member["member_id"])
    assert taken_there.status_code == 409
    assert hidden not in taken_there.text and "GM0687" not in taken_there.text
    the_same(taken_there, taken_here, their_member["member_id"], my_member["member_id"])
