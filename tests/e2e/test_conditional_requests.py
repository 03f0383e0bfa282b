"""Conditional requests on plans over HTTP, per RFC 9110: If-None-Match on reads, If-Match on commands."""

from __future__ import annotations

import httpx
import pytest

from tests.e2e.partner_world import auth

NOTE = {"type": "add_note", "category": "general", "text": "gebeld met school"}


# These tests make their own ids and plans: the run's shared server will do, which saves a server
# start per test (tests/e2e/conftest.py).
pytestmark = pytest.mark.shared_store


def _current(client: httpx.Client, plan_id: str, bearer: str) -> tuple[str, int]:
    response = client.get(f"/plans/{plan_id}", headers=auth(bearer))
    assert response.status_code == 200, response.text
    return response.headers["etag"], int(response.json()["version"])


def _refused(response: httpx.Response, status: int) -> None:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"


def test_a_read_whose_if_none_match_names_the_current_version_gets_304_with_the_etag_and_no_body(
    client: httpx.Client, regisseur_plan: tuple[str, str]
) -> None:
    plan_id, bearer = regisseur_plan
    etag, version = _current(client, plan_id, bearer)
    assert etag == f'"{version}"'
    for held in (etag, f"W/{etag}", "*", f'"0", {etag}', f'W/"0",,{etag}'):
        response = client.get(f"/plans/{plan_id}", headers=auth(bearer, **{"If-None-Match": held}))
        assert (response.status_code, response.headers["etag"], response.content) == (304, etag, b""), held
    replay = client.get(f"/plans/{plan_id}?version=1", headers=auth(bearer, **{"If-None-Match": '"1"'}))
    assert (replay.status_code, replay.headers["etag"]) == (304, '"1"')


def test_a_read_whose_if_none_match_is_stale_gets_the_plan_and_a_malformed_one_gets_422(
    client: httpx.Client, regisseur_plan: tuple[str, str]
) -> None:
    plan_id, bearer = regisseur_plan
    etag, version = _current(client, plan_id, bearer)
    stale = client.get(f"/plans/{plan_id}", headers=auth(bearer, **{"If-None-Match": f'"{version - 1}"'}))
    assert (stale.status_code, stale.headers["etag"], stale.json()["version"]) == (200, etag, version)
    for malformed in (str(version), '"7', f"{etag} {etag}", '*, "1"', ","):
        headers = auth(bearer, **{"If-None-Match": malformed})
        _refused(client.get(f"/plans/{plan_id}", headers=headers), 422)
    # A plan the caller cannot see stays a 404, whatever the condition: existence is not revealed.
    unknown = "00000000-0000-0000-0000-000000000000"
    _refused(client.get(f"/plans/{unknown}", headers=auth(bearer, **{"If-None-Match": "*"})), 404)


def test_if_match_compares_strongly_so_a_weak_etag_of_the_current_version_gets_412(
    client: httpx.Client, regisseur_plan: tuple[str, str]
) -> None:
    plan_id, bearer = regisseur_plan
    etag, version = _current(client, plan_id, bearer)
    for tags in (f"W/{etag}", f'"0{version}"', '"abc"', f'"{version + 1}"'):
        response = client.post(
            f"/plans/{plan_id}/commands", json=NOTE, headers=auth(bearer, **{"If-Match": tags})
        )
        _refused(response, 412)
    assert _current(client, plan_id, bearer) == (etag, version)


def test_if_match_with_a_list_or_a_star_runs_when_one_tag_is_current(
    client: httpx.Client, regisseur_plan: tuple[str, str]
) -> None:
    plan_id, bearer = regisseur_plan
    _, version = _current(client, plan_id, bearer)
    commands = f"/plans/{plan_id}/commands"
    listed = client.post(commands, json=NOTE, headers=auth(bearer, **{"If-Match": f'"1", "{version}"'}))
    assert (listed.status_code, listed.headers["etag"]) == (200, f'"{version + 1}"'), listed.text
    lines = [*auth(bearer).items(), ("If-Match", '"1"'), ("If-Match", f'W/"2", "{version + 1}"')]
    assert client.post(commands, json=NOTE, headers=lines).status_code == 200  # one list over two lines
    assert client.post(commands, json=NOTE, headers=auth(bearer, **{"If-Match": "*"})).status_code == 200
    batch = {"commands": [NOTE, NOTE]}
    stale = client.post(f"{commands}:batch", json=batch, headers=auth(bearer, **{"If-Match": '"1", "2"'}))
    _refused(stale, 412)
    assert _current(client, plan_id, bearer)[1] == version + 3
    unknown = "/plans/00000000-0000-0000-0000-000000000000/commands"
    _refused(client.post(unknown, json=NOTE, headers=auth(bearer, **{"If-Match": "*"})), 404)


def test_a_malformed_if_match_is_refused_with_422_and_runs_nothing(
    client: httpx.Client, regisseur_plan: tuple[str, str]
) -> None:
    plan_id, bearer = regisseur_plan
    before = _current(client, plan_id, bearer)
    for malformed in (str(before[1]), f"W/{before[1]}", '"1" "2"', '*, "1"', "", ",", '"a"b"'):
        headers = auth(bearer, **{"If-Match": malformed})
        _refused(client.post(f"/plans/{plan_id}/commands", json=NOTE, headers=headers), 422)
    assert _current(client, plan_id, bearer) == before
