"""Retention terms apply by themselves: the server erases a plan past its term, no command needed.

Two closed plans are in the store before the server starts: one closed sixteen years ago
(its closure backdated as it was written, the way a store that old would hold it), one
closed today. The server, with a short housekeeping interval, erases the first and keeps
the second; nobody runs `eenplan privacy expire`.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from eenplan.api.bootstrap import build
from eenplan.api.settings import Settings
from eenplan.domain.plan.events import PlanClosed
from tests import ldv
from tests.e2e.conftest import Server, TokenFactory
from tests.factories import World, make_world

SOON = {"EENPLAN_RETENTION_INTERVAL_SECONDS": "1", "EENPLAN_ERASURE_RETRY_SECONDS": "1"}


def closed_plans(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> tuple[World, str, str, str]:
    """(world, regisseur, plan closed long ago, plan closed today), written straight to the store."""
    container = build(settings.model_copy(update={"projections_in_process": False}))
    try:
        world = make_world(container.eenplan, kinds=("social_work",))
        pro = world.pros[world.orgs["social_work"]][0]
        old, recent = world.open(pro).plan_id, world.open(pro).plan_id
        long_ago = datetime.now(UTC) - timedelta(days=366 * 16)
        with monkeypatch.context() as patched:
            patched.setattr(PlanClosed, "create_timestamp", staticmethod(lambda: long_ago))
            world.run(pro, old, type="close_plan", reason="afgerond")
        world.run(pro, recent, type="close_plan", reason="afgerond")
    finally:
        container.close()
    return world, pro, old, recent


def test_the_server_erases_a_plan_past_its_term_without_anyone_running_a_command(
    settings: Settings, token: TokenFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, pro, old, recent = closed_plans(settings, monkeypatch)
    server = Server(settings, extra_env=SOON)
    headers = {"Authorization": f"Bearer {token(pro, world.orgs['social_work'])}"}
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            deadline = time.monotonic() + 60
            while (
                client.get(f"/plans/{old}", headers=headers).json()["members"][0]["given_name"] != "[erased]"
            ):
                assert time.monotonic() < deadline, "retention did not run by itself"
                time.sleep(0.5)
            kept = client.get(f"/plans/{recent}", headers=headers).json()
            assert kept["members"][0]["given_name"] == "Alex" and kept["status"] == "closed"
            erased = _erasure_lines(client, token(world.officer, world.municipality, "privacy_officer"), old)
    finally:
        server.stop()
    # What the server erased by itself is in the processing log, one line per data subject.
    assert erased and len({e["attributes"]["dpl.core.data_subject_id"] for e in erased}) == len(erased)
    for line in erased:
        assert ldv.activity(line) == "erasure" and line["status_code"] == "STATUS_CODE_OK"
        assert line["resource"]["attributes"]["nen7513.AuditSourceId"] == "eenplan-housekeeping"
        assert line["attributes"]["dpl.nen7513.users"][0]["userID"] == "housekeeping"
    log = server.log.read_text()
    assert "housekeeping_done" in log and '"plans_erased": 1' in log


def _erasure_lines(client: httpx.Client, bearer: str, plan_id: str) -> list[dict[str, Any]]:
    """The retention job's lines for the plan, once written (they follow the erasure itself)."""
    deadline = time.monotonic() + 30
    while True:
        log = client.get(f"/plans/{plan_id}/processing-log", headers={"Authorization": f"Bearer {bearer}"})
        assert log.status_code == 200, log.text
        found = [e for e in log.json()["entries"] if e["name"] == "housekeeping:retention:erase"]
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.5)
