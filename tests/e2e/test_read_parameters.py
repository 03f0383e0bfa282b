"""Reads answer what was asked, over HTTP: every combination of version, as_of and as_seen_by.

On the plan, its history and its FHIR bundle. What the server cannot honour is a 422 that says
why; nothing is silently answered with the head instead.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.conftest import TokenFactory
from tests.e2e.privacy_world import HttpWorld, open_plan, setup

UNANSWERABLE = "https://eenplan.nl/problems/unanswerable-query"


class Timeline:
    """A plan with notes; the police joins at `joined`. `moments[v]` is when version v was written."""

    def __init__(self, client: httpx.Client, token: TokenFactory) -> None:
        self.client = client
        self.world: HttpWorld = setup(client, token, "social_work", "police")
        world = self.world
        self.plan_id: str = open_plan(world, "social_work")["plan_id"]
        world.command("social_work", self.plan_id, type="add_note", category="health", text="GGZ")
        world.command("social_work", self.plan_id, type="add_note", category="safety", text="veilig")
        self.before_joining = self.head()
        world.command(
            "social_work",
            self.plan_id,
            type="join_care_team",
            professional_id=world.pros["police"],
            role="agent",
        )
        # No police mandate: the officer was asked, and joins on accepting.
        world.command(
            "police", self.plan_id, type="accept_proposal", proposal_id=f"careteam-{world.pros['police']}"
        )
        self.joined = self.head()
        world.command("social_work", self.plan_id, type="add_note", category="justice", text="pv")
        history = self.get("/history").json()["events"]
        self.moments = {e["version"]: e["time"] for e in history}

    def head(self) -> int:
        return int(self.get("").json()["version"])

    def get(self, suffix: str, headers: dict[str, str] | None = None, **params: Any) -> httpx.Response:
        headers = headers or self.world.auth("social_work")
        return self.client.get(f"/plans/{self.plan_id}{suffix}", params=params, headers=headers)


@pytest.fixture
def timeline(shared_client: httpx.Client, shared_token: TokenFactory) -> Timeline:
    """On the shared server: the plan, its people and its organisations are the test's own."""
    return Timeline(shared_client, shared_token)


def versions(response: httpx.Response) -> list[int]:
    assert response.status_code == 200, response.text
    return [e["version"] for e in response.json()["events"]]


def test_a_version_or_a_moment_picks_the_plan_its_history_and_its_bundle(timeline: Timeline) -> None:
    for version, moment in timeline.moments.items():
        by_version, by_moment = timeline.get("", version=version), timeline.get("", as_of=moment)
        for answer in (by_version, by_moment):
            assert answer.status_code == 200 and answer.json()["version"] == version
            assert answer.headers["etag"] == f'"{version}"'
        assert versions(timeline.get("/history", version=version)) == list(range(1, version + 1))
        assert versions(timeline.get("/history", as_of=moment)) == list(range(1, version + 1))
        assert timeline.get("/fhir", version=version).headers["etag"] == f'"{version}"'
        assert timeline.get("/fhir", as_of=moment).headers["etag"] == f'"{version}"'


def test_as_seen_by_honours_a_version_or_a_moment_on_the_plan_history_and_bundle(timeline: Timeline) -> None:
    auditor, police = timeline.world.auditor(), timeline.world.orgs["police"]
    before, joined = timeline.before_joining, timeline.joined

    def seen(suffix: str, **params: Any) -> httpx.Response:
        return timeline.get(suffix, headers=auditor, as_seen_by=police, **params)

    now = seen("")
    assert now.json()["version"] == timeline.head() and now.json()["relation"] == "care_team"
    assert {n["category"] for n in now.json()["notes"]} == {"safety", "justice"}
    for point in ({"version": before}, {"as_of": timeline.moments[before]}):
        for suffix in ("", "/history", "/fhir"):
            answer = seen(suffix, **point)
            assert answer.status_code == 404 and "no relation then" in answer.json()["detail"], (
                suffix,
                point,
            )
    for point in ({"version": joined}, {"as_of": timeline.moments[joined]}):
        view = seen("", **point)
        assert view.status_code == 200 and view.json()["version"] == joined, view.text
        assert {n["category"] for n in view.json()["notes"]} == {"safety"}  # the justice note came later
        assert versions(seen("/history", **point)) == list(range(1, joined + 1))
        assert seen("/fhir", **point).headers["etag"] == f'"{joined}"'


def test_what_cannot_be_honoured_is_a_422_that_says_why(timeline: Timeline) -> None:
    auditor, police = timeline.world.auditor(), timeline.world.orgs["police"]
    moment = timeline.moments[2]
    for suffix in ("", "/history", "/fhir"):
        for headers, extra in ((None, {}), (auditor, {"as_seen_by": police})):
            both = timeline.get(suffix, headers=headers, version=2, as_of=moment, **extra)
            assert both.status_code == 422 and both.json()["type"] == UNANSWERABLE, both.text
            assert "not both" in both.json()["detail"]
            future = timeline.get(suffix, headers=headers, as_of="2999-01-01T00:00:00Z", **extra)
            assert future.status_code == 422 and "future" in future.json()["detail"], future.text
        typo = timeline.get(suffix, versoin=2)
        assert typo.status_code == 422 and typo.json()["errors"][0]["loc"] == ["query", "versoin"]
        twice = timeline.client.get(
            f"/plans/{timeline.plan_id}{suffix}?version=1&version=2",
            headers=timeline.world.auth("social_work"),
        )
        assert twice.status_code == 422 and twice.json()["errors"][0]["loc"] == ["query", "version"]


def test_a_point_the_plan_never_had_is_a_404_that_says_so_to_whoever_may_see_the_plan(
    timeline: Timeline,
) -> None:
    head = timeline.head()
    beyond = timeline.get("", version=head + 1)
    assert beyond.status_code == 404 and f"its latest is {head}" in beyond.json()["detail"]
    early = timeline.get("/history", as_of="2000-01-01T00:00:00+00:00")
    assert early.status_code == 404 and "did not exist yet" in early.json()["detail"]
