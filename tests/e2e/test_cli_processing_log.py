"""Writes made by the CLI are in the processing log, as an HTTP command's would be, read over HTTP.

`eenplan demo` opens plans and runs commands for the demo's professionals; `eenplan privacy erase`
erases a person. Each writes one line per data subject, with the operator who ran it as the
requesting user and the professional the change was recorded for after it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from eenplan.api.settings import Settings
from tests import ldv
from tests.e2e.conftest import Server, token_factory
from tests.e2e.test_ldv_conformance import assert_conforms

EENPLAN = os.path.join(os.path.dirname(sys.executable), "eenplan")
OPERATOR = "ops-anna"


def cli(settings: Settings, *args: str) -> str:
    env = {
        **os.environ,
        "EENPLAN_DATABASE_URL": settings.database_url,
        "EENPLAN_DATA_DIR": str(settings.data_dir),
        "EENPLAN_OPERATOR": OPERATOR,
    }
    done = subprocess.run([EENPLAN, *args], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


@pytest.fixture
def demo(settings: Settings) -> Iterator[tuple[httpx.Client, dict[str, str], dict[str, str]]]:
    """The demo loaded by the CLI; a server on its store; the demo auditor's headers; the plans."""
    loaded = cli(settings, "demo")
    plans = dict(re.findall(r"^\s{2}(\S.*?)\s+([0-9a-f-]{36})$", loaded, re.MULTILINE))
    assert set(plans) == {"Pietersen", "El Amrani", "de Jong"}, loaded
    server = Server(settings)
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            token = token_factory(settings)("demo-auditor", "gemeente-middelburg", "auditor")
            yield client, {"Authorization": f"Bearer {token}"}, plans
    finally:
        server.stop()


def _log(client: httpx.Client, auditor: dict[str, str], plan_id: str) -> list[dict[str, Any]]:
    response = client.get(f"/plans/{plan_id}/processing-log", headers=auditor)
    assert response.status_code == 200, response.text
    entries: list[dict[str, Any]] = response.json()["entries"]
    return entries


def test_the_demo_logs_each_plan_it_opens_and_each_command_it_runs_with_the_operator_as_requestor(
    demo: tuple[httpx.Client, dict[str, str], dict[str, str]],
) -> None:
    client, auditor, plans = demo
    entries = [e for e in _log(client, auditor, plans["Pietersen"]) if e["name"].startswith("cli:")]
    opened = [e for e in entries if e["name"] == "cli:demo:open_plan"]
    assert len(opened) == 2 and len({e["attributes"]["dpl.core.data_subject_id"] for e in opened}) == 2
    assert {ldv.activity(e) for e in opened} == {"intake"}
    assert {e["name"] for e in entries} >= {
        "cli:demo:join_care_team",
        "cli:demo:set_goal",
        "cli:demo:make_agreement",
    }
    for line in entries:
        assert_conforms(line)
        assert line["status_code"] == "STATUS_CODE_OK"
        assert line["resource"]["attributes"]["nen7513.AuditSourceId"] == "eenplan-cli"
        operator, recorded_for = line["attributes"]["dpl.nen7513.users"]
        assert operator == {
            "userID": OPERATOR,
            "alternateUserID": f"cli/{OPERATOR}",
            "roleIDCode": ["operator"],
            "userIsRequestor": True,
            "purposeOfUse": line["attributes"]["dpl.core.processing_activity_id"],
        }
        assert recorded_for["userID"] in ("p-chantal", "p-anouk") and recorded_for["userIsRequestor"] is False
    assert len({e["trace_id"] for e in entries}) == 1, "one run, one trace"
    closed = _log(client, auditor, plans["de Jong"])
    assert [e["name"] for e in closed] == ["cli:demo:open_plan", "cli:demo:close_plan"]


def test_an_erasure_from_the_cli_is_logged_for_the_person_under_the_erasure_activity(
    demo: tuple[httpx.Client, dict[str, str], dict[str, str]], settings: Settings
) -> None:
    client, auditor, plans = demo
    regisseur = {"Authorization": f"Bearer {token_factory(settings)('p-esra', 'intervence')}"}
    plan = client.get(f"/plans/{plans['de Jong']}", headers=regisseur)
    assert plan.status_code == 200, plan.text
    member_id = plan.json()["members"][0]["member_id"]

    receipt = json.loads(
        cli(settings, "privacy", "erase", member_id, "--tenant", "GM0687", "--officer", "po-1")
    )
    entries = _log(client, auditor, plans["de Jong"])
    (erased,) = [e for e in entries if e["name"] == "cli:privacy_erase:erase"]
    assert_conforms(erased)
    assert ldv.activity(erased) == "erasure" and erased["status_code"] == "STATUS_CODE_OK"
    assert erased["attributes"]["dpl.core.data_subject_id"] in receipt["data_subject_ids"]
    users = erased["attributes"]["dpl.nen7513.users"]
    assert [(u["userID"], u["userIsRequestor"]) for u in users] == [(OPERATOR, True), ("po-1", False)]
    assert member_id not in json.dumps(entries)


def test_indexing_households_and_a_reorganisation_from_the_cli_are_logged_per_member(
    demo: tuple[httpx.Client, dict[str, str], dict[str, str]], settings: Settings, tmp_path: Path
) -> None:
    client, auditor, plans = demo
    assert cli(settings, "households", "index").startswith("indexed 2 open plans")
    spec = {
        "id": "middelburg-2027",
        "tenant": "GM0687",
        "teams": [{"id": "middelburg-west", "name": "Middelburg West"}],
        "merge": [{"into": "middelburg-west", "from": ["gebiedsteam-middelburg-noordwest"]}],
    }
    spec_file = tmp_path / "reorganisation.yaml"
    spec_file.write_text(yaml.safe_dump(spec))
    cli(settings, "teams", "reorganise", str(spec_file), "--by", "admin-1")
    cli(settings, "teams", "reorganise", str(spec_file), "--by", "admin-1")  # moves nothing again

    pietersen = _log(client, auditor, plans["Pietersen"])
    indexed = [e for e in pietersen if e["name"] == "cli:households_index"]
    moved = [e for e in pietersen if e["name"] == "cli:teams_reorganise:move_plan"]
    assert len(indexed) == len(moved) == 2, "one line per member, and the re-run moved nothing"
    assert {ldv.activity(e) for e in indexed} == {"intake"} and {ldv.activity(e) for e in moved} == {
        "plan_coordination"
    }
    for line in indexed + moved:
        assert_conforms(line)
        assert line["attributes"]["dpl.nen7513.users"][0]["userID"] == OPERATOR
    assert moved[0]["attributes"]["dpl.nen7513.users"][1]["userID"] == "admin-1"
    closed = [e["name"] for e in _log(client, auditor, plans["de Jong"])]
    assert "cli:households_index" not in closed, "a closed plan is not indexed"


def test_a_reorganisation_over_http_logs_each_moved_plan_as_the_cli_does(
    demo: tuple[httpx.Client, dict[str, str], dict[str, str]], settings: Settings
) -> None:
    client, auditor, plans = demo
    admin = {
        "Authorization": f"Bearer {token_factory(settings)('demo-admin', 'gemeente-middelburg', 'admin')}"
    }
    spec = {
        "id": "middelburg-2028",
        "tenant": "GM0687",
        "teams": [{"id": "middelburg-oost", "name": "Middelburg Oost"}],
        "merge": [{"into": "middelburg-oost", "from": ["gebiedsteam-middelburg-noordwest"]}],
    }
    dry = client.post("/teams/reorganisations", json={**spec, "dry_run": True}, headers=admin)
    assert dry.status_code == 200 and dry.json()["would_move"] == 3, dry.text
    assert not [e for e in _log(client, auditor, plans["Pietersen"]) if "reorganisation" in e["name"]]

    done = client.post("/teams/reorganisations", json=spec, headers=admin)
    assert done.status_code == 200 and done.json()["moved"] == 3, done.text
    moved = [
        e for e in _log(client, auditor, plans["Pietersen"]) if e["name"] == "create_reorganisation:move_plan"
    ]
    assert len(moved) == 2, "one line per member of the moved plan"
    for line in moved:
        assert_conforms(line)
        assert ldv.activity(line) == "plan_coordination"
        assert line["attributes"]["dpl.nen7513.users"][0]["userID"] == "demo-admin"
