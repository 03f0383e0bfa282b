"""`eenplan privacy erase` and `eenplan privacy expire` against a real store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from eenplan.api.bootstrap import build
from eenplan.api.settings import Settings
from eenplan.domain.plan.personal import ERASED
from tests.factories import ctx_for, make_world

EENPLAN = Path(sys.executable).parent / "eenplan"


def run(settings: Settings, *args: str) -> dict[str, Any]:
    env = {
        **os.environ,
        "EENPLAN_DATABASE_URL": settings.database_url,
        "EENPLAN_DATA_DIR": str(settings.data_dir),
    }
    done = subprocess.run(
        [str(EENPLAN), "privacy", *args], env=env, capture_output=True, text=True, check=True
    )
    return json.loads(done.stdout)


def test_the_cli_erases_a_person_and_reports_expiry(settings: Settings) -> None:
    container = build(settings)
    world = make_world(container.eenplan, kinds=("welfare",))
    pro = world.pros[world.orgs["welfare"]][0]
    outcome = world.open(pro)
    container.close()

    receipt = run(settings, "erase", outcome.member_ids[0], "--tenant", "GM0687")
    assert receipt["plan_id"] == outcome.plan_id and receipt["household"] is True
    assert receipt["status"] == "complete"
    report = run(settings, "expire", "--tenant", "GM0687")
    assert report["erased_plans"] == 0 and report["judged_on"]
    assert run(settings, "complete", "--wait", "0") == {"completed": 0}  # nothing was left pending

    again = build(settings)
    try:
        view = again.reader.plan(ctx_for(pro, world.orgs["welfare"]).actor, outcome.plan_id)
        assert view["members"][0]["given_name"] == ERASED
    finally:
        again.close()
