"""Ten teams become four (seed 000) on a store with 2,000 plans: every plan moves exactly once.

CI opens the seed's 2,000 plans (200 per team); a developer run 600 (60 per team), in under a
third of the time (the store is loaded through the application, plan by plan: on PostgreSQL 34 s
for 2,000 here). 600 plans still fill more than one page (1,000 events) of the scans that find
the plans to move. The size follows the hypothesis profile (tests/conftest.py).
"""

from __future__ import annotations

import os
import subprocess
from collections import Counter
from pathlib import Path

import httpx
import pytest
import yaml

from eenplan.api.bootstrap import build_application
from eenplan.api.settings import Settings
from eenplan.domain.app import Eenplan
from eenplan.domain.directory import RegisterOrganisation, RegisterProfessional, RegisterTeam
from eenplan.domain.plan.events import PlanMovedToTeam
from eenplan.domain.values import OrganisationKind
from tests.conftest import full_size
from tests.e2e.conftest import EENPLAN, ROOT, Server, TokenFactory
from tests.factories import ctx_for, household, open_plan_body

TENANT = "GM0687"
PLANS_PER_TEAM = full_size(ci=200, dev=30)  # even: team-8 splits its plans half and half
PLANS = 10 * PLANS_PER_TEAM
OLD = [f"team-{i}" for i in range(10)]
NEW = ["mnw-veere", "m-zuidoost", "v-noordoost", "v-middencentrumwest"]
SPEC = {
    "id": "walcheren-2026",
    "tenant": TENANT,
    "teams": [{"id": team, "name": team} for team in NEW],
    "merge": [
        {"into": "mnw-veere", "from": OLD[0:3]},
        {"into": "m-zuidoost", "from": OLD[3:5]},
        {"into": "v-noordoost", "from": OLD[5:8]},
        {"into": "v-middencentrumwest", "from": [OLD[9]]},
    ],
    "split": [{"from": OLD[8], "into": ["v-noordoost", "v-middencentrumwest"], "default": "v-noordoost"}],
    "areas": {"4382": "v-middencentrumwest"},
}


def postal_code(team: int, n: int) -> str:
    return f"438{1 + n % 2} AB" if team == 8 else f"43{team:02d} AB"


def load_store(app: Eenplan) -> None:
    """Ten teams, two regisseurs each, PLANS_PER_TEAM plans per team, opened through the application."""
    admin = ctx_for("admin", "gemeente", "admin")
    org = RegisterOrganisation(id="porthos", name="Porthos", kind=OrganisationKind.WELFARE, tenants=[TENANT])
    app.directory.register_organisation(admin, org)
    for i, team in enumerate(OLD):
        app.directory.register_team(
            admin, RegisterTeam(id=team, name=team, tenant=TENANT, areas=[postal_code(i, 0)[:4]])
        )
        for k in range(2):
            pro = RegisterProfessional(id=f"pro-{i}-{k}", name="Sleutelwerker", team_ids=[team], capacity=200)
            app.directory.register_professional(admin, "porthos", pro)
    app.directory.register_team(admin, RegisterTeam(id="spare", name="spare", tenant=TENANT))  # untouched
    for i, team in enumerate(OLD):
        for n in range(PLANS_PER_TEAM):
            body = household()
            body["address"]["postal_code"] = postal_code(i, n)
            plan = open_plan_body(team, household=body)
            app.plans.open_plan(ctx_for(f"pro-{i}-{n % 2}", "porthos", tenants=(TENANT,)), plan)


def cli(settings: Settings, *args: str) -> str:
    env = {"EENPLAN_DATABASE_URL": settings.database_url, "EENPLAN_DATA_DIR": str(settings.data_dir)}
    done = subprocess.run(
        [str(EENPLAN), "teams", "reorganise", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.mark.slow
def test_ten_teams_become_four_and_every_plan_moves_exactly_once(
    settings: Settings, token: TokenFactory, tmp_path: Path
) -> None:
    app = build_application(settings)
    load_store(app)
    load_before = app.scans.regisseur_load_from_log(TENANT)
    app.close()
    spec_file = tmp_path / "walcheren.yaml"
    spec_file.write_text(yaml.safe_dump(SPEC))
    assert f"{PLANS} plans to move, 0 already moved" in cli(settings, str(spec_file), "--dry-run")

    server = Server(settings)
    try:
        headers = {"Authorization": f"Bearer {token('admin', 'porthos', 'admin')}"}
        with httpx.Client(base_url=server.url, timeout=600) as client:
            response = client.post("/teams/reorganisations", json=SPEC, headers=headers)
        assert response.status_code == 200, response.text
        summary = response.json()
    finally:
        server.stop()
    assert summary["moved"] == PLANS and summary["plans_in_tenant"] == PLANS
    assert summary["moves"]["team-8 -> v-middencentrumwest"] == PLANS_PER_TEAM // 2
    assert sorted(summary["dissolved"]) == sorted(OLD)

    assert f"0 plans to move, {PLANS} already moved" in cli(settings, str(spec_file))

    app = build_application(settings)
    try:
        moves = Counter(str(e.originator_id) for e in app.scans.scan(PlanMovedToTeam))
        facts = app.scans.plan_facts(TENANT)
        assert len(moves) == PLANS and set(moves.values()) == {1}
        per_team = Counter(f["team_id"] for f in facts.values())
        # With 200 per team: 600, 400, 700 and 300 (team-8's half each to v-noordoost and v-mcw).
        half = PLANS_PER_TEAM // 2
        assert per_team == {
            "mnw-veere": 3 * PLANS_PER_TEAM,
            "m-zuidoost": 2 * PLANS_PER_TEAM,
            "v-noordoost": 3 * PLANS_PER_TEAM + half,
            "v-middencentrumwest": PLANS_PER_TEAM + half,
        }
        assert app.scans.regisseur_load_from_log(TENANT) == load_before
        assert sum(load_before.values()) == PLANS
        assert app.directory.team("spare").areas == [] and not app.directory.team("spare").dissolved_into
    finally:
        app.close()
