"""Projection reads over HTTP against a real `eenplan serve` (projections run in the process)."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from eenplan.api.settings import Settings
from tests.e2e.conftest import Server, TokenFactory
from tests.e2e.directory_setup import municipality, register_municipality, register_people
from tests.factories import household, uid
from tests.processes import started, stop, until, worker

# Makes its own ids and counts only what it made: the run's shared store and server will do.
pytestmark = pytest.mark.shared_store


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def quick_server(settings: Settings) -> Iterator[Server]:
    """A server whose read-your-writes wait gives up after a second."""
    srv = Server(settings, extra_env={"EENPLAN_READ_YOUR_WRITES_TIMEOUT_SECONDS": "1"})
    try:
        yield srv
    finally:
        srv.stop()


def setup_team(client: httpx.Client, token: TokenFactory) -> tuple[str, str, str]:
    admin = register_municipality(client, token, "GM0687")
    team_id, org_id, pro_id = uid("team"), uid("welzijn"), uid("pro")
    team = {"id": team_id, "name": "Gebiedsteam", "tenant": "GM0687", "areas": ["Noord"]}
    assert client.post("/teams", json=team, headers=admin).status_code == 201
    org = {"id": org_id, "name": "Welzijn", "kind": "welfare", "tenants": ["GM0687"]}
    assert client.post("/organisations", json=org, headers=admin).status_code == 201
    professional = {"id": pro_id, "name": "Pro", "team_ids": [team_id], "capacity": 12}
    assert (
        client.post(f"/organisations/{org_id}/professionals", json=professional, headers=admin).status_code
        == 201
    )
    return team_id, org_id, pro_id


def test_after_a_command_a_read_with_min_position_shows_the_change(
    quick_server: Server, token: TokenFactory
) -> None:
    with httpx.Client(base_url=quick_server.url, timeout=30) as client:
        team_id, org_id, pro_id = setup_team(client, token)
        me = auth(token(pro_id, org_id))
        body = {"tenant": "GM0687", "team_id": team_id, "legal_basis": "wmo2015", "household": household()}
        opened = client.post(
            "/plans", json={**body, "reason": "x", "risk_level": "medium"}, headers=me
        ).json()

        caseload = client.get("/caseload", params={"min_position": opened["position"]}, headers=me)
        assert caseload.status_code == 200
        (row,) = caseload.json()["items"]
        assert (row["plan_id"], row["relation"], row["risk_level"]) == (
            opened["plan_id"],
            "regisseur",
            "medium",
        )

        agreement = {"type": "make_agreement", "responsible": {"organisation_id": org_id}}
        agreement |= {"action": "x", "due_date": "2020-01-01"}
        done = client.post(f"/plans/{opened['plan_id']}/commands", json=agreement, headers=me).json()
        listed = client.get("/plans", params={"min_position": done["position"], "overdue": True}, headers=me)
        assert [(r["plan_id"], r["overdue_agreements"]) for r in listed.json()["items"]] == [
            (opened["plan_id"], 1)
        ]
        board = client.get(f"/teams/{team_id}/dashboard", headers=me).json()
        assert board["overdue_agreements"]["count"] == 1

        too_far = client.get("/plans", params={"min_position": done["position"] + 10_000}, headers=me)
        assert too_far.status_code == 503
        assert too_far.headers["content-type"] == "application/problem+json"


def test_ready_reports_each_projections_position_and_lag(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    setup_team(shared_client, shared_token)
    ready = shared_client.get("/ready").json()
    names = {p["name"] for p in ready["projections"]}
    assert names == {"plans", "directory", "households"}
    assert all(p["head"] == ready["position"] for p in ready["projections"])


def test_views_refuse_bad_queries_with_problem_json(
    shared_client: httpx.Client, shared_token: TokenFactory
) -> None:
    _team, org_id, pro_id = setup_team(shared_client, shared_token)
    me = auth(shared_token(pro_id, org_id))
    bad_cursor = shared_client.get("/plans", params={"cursor": "nonsense"}, headers=me)
    assert bad_cursor.status_code == 422
    two_modes = shared_client.get("/caseload", params={"team_id": "a", "organisation_id": "b"}, headers=me)
    assert two_modes.status_code == 422
    monitoring = shared_client.get("/monitoring", params={"tenant": "GM0687"}, headers=me)
    assert monitoring.status_code == 403
    period = {"tenant": "GM0687", "from": "2026-02-01", "to": "2026-01-01"}
    assert shared_client.get("/monitoring", params=period, headers=me).status_code == 422
    admin = register_municipality(shared_client, shared_token, "GM0687")
    auditor_id = uid("auditor")
    register_people(shared_client, admin, municipality("GM0687"), auditor_id)
    auditor = auth(shared_token(auditor_id, municipality("GM0687"), "auditor"))
    report = shared_client.get("/monitoring", params={**period, "to": "2026-03-01"}, headers=auditor)
    assert report.status_code == 200
    assert (report.json()["from"], report.json()["suppressed_below"]) == ("2026-02-01", 5)
    assert shared_client.get("/caseload").status_code == 401


def test_an_api_without_in_process_projections_reads_what_a_separate_worker_applies(
    settings: Settings, token: TokenFactory
) -> None:
    srv = Server(settings, extra_env={"EENPLAN_PROJECTIONS_IN_PROCESS": "false"})
    projector = worker(settings)
    try:
        # A worker still starting would leave the read-your-writes wait below to time out (503)
        # on a busy machine: the test is about reading what it applies, so it waits for it first.
        until(lambda: started(settings, projector), what="the projection worker running")
        with httpx.Client(base_url=srv.url, timeout=30) as client:
            team_id, org_id, pro_id = setup_team(client, token)
            me = auth(token(pro_id, org_id))
            body = {
                "tenant": "GM0687",
                "team_id": team_id,
                "legal_basis": "jeugdwet",
                "household": household(),
            }
            opened = client.post("/plans", json={**body, "reason": "x"}, headers=me).json()
            listed = client.get("/plans", params={"min_position": opened["position"]}, headers=me)
            assert [r["legal_basis"] for r in listed.json()["items"]] == ["jeugdwet"]
    finally:
        stop(projector)
        srv.stop()
