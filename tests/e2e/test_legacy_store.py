"""A store written before the packages moved under `eenplan` still serves, over HTTP.

The fixture in `tests/fixtures/legacy_store/` was made with the code of commit db0f92c (topics
such as `domain.plan.events:NoteAdded`): the demo, a health note, a risk assessment and a help
request; the SQLite file as it was, and a `pg_dump --inserts` of the same on PostgreSQL, both
without projection tables. Its master key is 32 bytes of "L".
"""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import psycopg
import pytest
from typer.testing import CliRunner

from eenplan.api.cli.main import cli
from eenplan.api.settings import Settings
from tests.conftest import STORE, fresh_store
from tests.e2e.conftest import Server, TokenFactory, token_factory
from tests.e2e.test_changes import FAST, sse_items, take

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "legacy_store"
MASTER_KEY = base64.b64encode(b"L" * 32).decode()
CHANTAL = ("p-chantal", "mw-walcheren")
NOTE = "Marloes slaapt slecht sinds de huurachterstand"


@contextmanager
def legacy_copy(directory: Path) -> Iterator[Settings]:
    """A copy of the old store in `directory` (SQLite) or a database of its own (PostgreSQL)."""
    with fresh_store(directory) as database_url:
        if STORE == "sqlite":
            path = directory / "legacy.db"
            shutil.copy(FIXTURE / "sqlite.db", path)
            database_url = f"sqlite:///{path}"
        else:
            with psycopg.connect(database_url, autocommit=True) as conn:
                conn.execute((FIXTURE / "postgres.sql").read_text())  # type: ignore[arg-type]  # a trusted file
        yield Settings(database_url=database_url, data_dir=directory / "data", master_key=MASTER_KEY)


@pytest.fixture(scope="module")
def legacy_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Settings]:
    """The old store, set up once for this module: its tests read it and add only an auditor."""
    with legacy_copy(tmp_path_factory.mktemp("legacy")) as settings:
        yield settings


@pytest.fixture(scope="module")
def legacy(legacy_settings: Settings) -> Iterator[httpx.Client]:
    """One server started on the old store: its projections begin from nothing."""
    server = Server(legacy_settings, extra_env={"EENPLAN_MASTER_KEY": MASTER_KEY, **FAST})
    try:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            yield client
    finally:
        server.stop()


@pytest.fixture
def token(legacy_settings: Settings) -> TokenFactory:
    """Tokens the server on the old store trusts."""
    return token_factory(legacy_settings)


def _bearer(token: TokenFactory, sub: str, org: str, *roles: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token(sub, org, *roles)}"}


def _pietersen(client: httpx.Client, headers: dict[str, str]) -> str:
    """The one plan the regisseur Chantal has, found through the plans projection."""
    head = client.get("/ready").json()["position"]
    listed = client.get("/plans", params={"min_position": head}, headers=headers)
    assert listed.status_code == 200, listed.text
    ids = [p["plan_id"] for p in listed.json()["items"]]
    assert len(ids) == 1, "Chantal is regisseur of the Pietersen plan only"
    return str(ids[0])


def test_an_old_store_loads_its_plans_and_decrypts_their_personal_values(
    legacy: httpx.Client, token: TokenFactory
) -> None:
    headers = _bearer(token, *CHANTAL)
    plan = legacy.get(f"/plans/{_pietersen(legacy, headers)}", headers=headers)
    assert plan.status_code == 200, plan.text
    body = plan.json()
    assert {m["given_name"] for m in body["members"]} == {"Marloes", "Sem"}
    assert NOTE in [n["text"] for n in body["notes"]]
    # Stored before addresses had a kind: read as where the household lives.
    assert body["address"]["kind"] == "residential" and body["address"]["street"] == "Seisweg"


def test_an_old_store_verifies_its_hash_chain(legacy: httpx.Client, token: TokenFactory) -> None:
    # The old demo's auditor was never in the directory; tokens must match it now, so the
    # administrator (whose organisation is registered) registers them first.
    admin = _bearer(token, "demo-admin", "gemeente-middelburg", "admin")
    auditor = {"id": "demo-auditor", "name": "Auditor"}
    registered = legacy.post("/organisations/gemeente-middelburg/professionals", json=auditor, headers=admin)
    assert registered.status_code == 201, registered.text
    verdict = legacy.get(
        "/audit/verify", headers=_bearer(token, "demo-auditor", "gemeente-middelburg", "auditor")
    )
    assert verdict.status_code == 200, verdict.text
    assert verdict.json()["status"] == "intact"
    assert verdict.json()["checked"] >= 40


def test_an_old_store_projects_every_household(legacy: httpx.Client, token: TokenFactory) -> None:
    """The projections start from nothing and apply every old event, by what its topic means."""
    headers = _bearer(token, *CHANTAL)
    plan_id = _pietersen(legacy, headers)
    caseload = legacy.get("/caseload", headers=headers)
    assert caseload.status_code == 200, caseload.text
    assert [p["plan_id"] for p in caseload.json()["items"]] == [plan_id]
    assert caseload.json()["items"][0]["risk_level"] == "medium"


def test_an_old_store_streams_its_changes_with_their_type_names(
    legacy: httpx.Client, token: TokenFactory
) -> None:
    headers = _bearer(token, *CHANTAL)
    plan_id = _pietersen(legacy, headers)
    changes = take(sse_items(legacy, headers["Authorization"].removeprefix("Bearer ")), 10)
    assert {c["plan_id"] for c in changes} == {plan_id}
    assert [c["type"] for c in changes] == [
        "Opened",
        "CareTeamJoined",
        "RegisseurAssigned",
        "RiskAssessed",
        "CareTeamJoined",
        "GoalSet",
        "ProgressRecorded",
        "AgreementMade",
        "NoteAdded",
        "RiskAssessed",
    ]
    assert [c["version"] for c in changes] == list(range(1, 11))


def test_an_old_store_is_indexed_once_and_then_refuses_a_second_plan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plans opened before matching existed are not in the household index: until `eenplan households
    index` runs, a second plan for Marloes goes through (as in the old store); after it, it is refused,
    and the duplicate made before is reported for merging."""
    marloes = {
        "given_name": "Marloes",
        "family_name": "Pietersen",
        "birth_date": "1988-04-02",
        "role": "parent",
    }
    body = {
        "tenant": "GM0687",
        "team_id": "gebiedsteam-middelburg-noordwest",
        "legal_basis": "wmo2015",
        "household": {"members": [marloes]},
        "reason": "schulden",
    }
    with legacy_copy(tmp_path) as legacy_settings:  # a copy of its own: this test adds plans
        server = Server(legacy_settings, extra_env={"EENPLAN_MASTER_KEY": MASTER_KEY, **FAST})
        try:
            with httpx.Client(base_url=server.url, timeout=30) as legacy:
                _index_then_refuse(legacy, legacy_settings, token_factory(legacy_settings), body, monkeypatch)
        finally:
            server.stop()


def _index_then_refuse(
    legacy: httpx.Client,
    legacy_settings: Settings,
    token: TokenFactory,
    body: dict[str, object],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    bram = _bearer(token, "p-bram", "welzijn-walcheren", "professional")
    before = legacy.post("/plans", json=body, headers=bram)
    assert before.status_code == 201, before.text  # the old store has no index yet

    for name, value in {
        "EENPLAN_DATABASE_URL": legacy_settings.database_url,
        "EENPLAN_DATA_DIR": str(legacy_settings.data_dir),
        "EENPLAN_MASTER_KEY": MASTER_KEY,
    }.items():
        monkeypatch.setenv(name, value)
    ran = CliRunner().invoke(cli, ["households", "index"])
    assert ran.exit_code == 0, ran.output
    assert "share a person with another open plan" in ran.output and not ran.output.startswith("indexed 0")

    after = legacy.post("/plans", json=body, headers=bram)
    assert after.status_code == 409 and after.json()["match"] == "name_birth_date", after.text
    admin = _bearer(token, "demo-admin", "gemeente-middelburg", "admin")
    head = legacy.get("/ready").json()["position"]
    report = legacy.get(
        "/households/duplicates", params={"tenant": "GM0687", "min_position": head}, headers=admin
    )
    assert report.status_code == 200, report.text
    pairs = report.json()["pairs"]
    assert [p for p in pairs if before.json()["plan_id"] in p["plan_ids"]], pairs
