"""The `directory` projection: organisation kinds, team tenants and areas, and who works
in which team with which capacity, for dashboards, monitoring and access checks in SQL.

Privacy: no personal values. Professionals appear by id, organisation and
capacity only; their names stay in the event store.
"""

from __future__ import annotations

import json
from typing import Any

from eenplan.domain.directory import Organisation, Professional, Team
from eenplan.projections.db import Tx
from eenplan.projections.tracking import Handler, Projection, Tables


class DirectoryProjection(Projection):
    name = "directory"
    tables = {
        "organisations": [
            "CREATE TABLE IF NOT EXISTS {t} (organisation_id TEXT PRIMARY KEY, kind TEXT NOT NULL)",
        ],
        "teams": [
            "CREATE TABLE IF NOT EXISTS {t} (team_id TEXT PRIMARY KEY, tenant TEXT NOT NULL,"
            " areas TEXT NOT NULL, dissolved_into TEXT, aggregate_id TEXT NOT NULL UNIQUE)",
        ],
        "professionals": [
            "CREATE TABLE IF NOT EXISTS {t} (professional_id TEXT PRIMARY KEY,"
            " organisation_id TEXT NOT NULL, capacity INTEGER NOT NULL)",
        ],
        "team_members": [
            "CREATE TABLE IF NOT EXISTS {t} (team_id TEXT NOT NULL, professional_id TEXT NOT NULL,"
            " PRIMARY KEY (team_id, professional_id))",
        ],
    }

    def handlers(self) -> dict[type, Handler]:
        return {
            Organisation.Registered: _organisation,  # type: ignore[attr-defined]
            Team.Registered: _team,  # type: ignore[attr-defined]
            Professional.Registered: _professional,  # type: ignore[attr-defined]
            Professional.Moved: _moved,  # type: ignore[attr-defined]
            Professional.Left: _left,  # type: ignore[attr-defined]
            Team.AreasReassigned: _areas,  # type: ignore[attr-defined]
            Team.Dissolved: _dissolved,  # type: ignore[attr-defined]
        }


def _organisation(tx: Tx, t: Tables, e: Any, position: int) -> None:
    tx.execute(f"INSERT INTO {t.organisations} (organisation_id, kind) VALUES (?, ?)", (e.key, e.kind))


def _team(tx: Tx, t: Tables, e: Any, position: int) -> None:
    tx.execute(
        f"INSERT INTO {t.teams} (team_id, tenant, areas, aggregate_id) VALUES (?, ?, ?, ?)",
        (e.key, e.tenant, json.dumps(list(e.areas)), str(e.originator_id)),
    )


def _professional(tx: Tx, t: Tables, e: Any, position: int) -> None:
    tx.execute(
        f"INSERT INTO {t.professionals} (professional_id, organisation_id, capacity) VALUES (?, ?, ?)",
        (e.key, e.organisation_id, e.capacity),
    )
    for team_id in e.team_ids:
        tx.execute(f"INSERT INTO {t.team_members} (team_id, professional_id) VALUES (?, ?)", (team_id, e.key))


def _moved(tx: Tx, t: Tables, e: Any, position: int) -> None:
    tx.execute(
        f"UPDATE {t.professionals} SET organisation_id = ? WHERE professional_id = ?",
        (e.organisation_id, e.key),
    )
    tx.execute(f"DELETE FROM {t.team_members} WHERE professional_id = ?", (e.key,))
    for team_id in e.team_ids:
        tx.execute(f"INSERT INTO {t.team_members} (team_id, professional_id) VALUES (?, ?)", (team_id, e.key))


def _left(tx: Tx, t: Tables, e: Any, position: int) -> None:
    """Out of their teams: no longer counted in a team's load, nor a team lead of its plans."""
    tx.execute(f"DELETE FROM {t.team_members} WHERE professional_id = ?", (e.key,))


# Later team events carry no key: the team is found by its aggregate id.


def _areas(tx: Tx, t: Tables, e: Any, position: int) -> None:
    areas = json.dumps(list(e.areas))
    tx.execute(f"UPDATE {t.teams} SET areas = ? WHERE aggregate_id = ?", (areas, str(e.originator_id)))


def _dissolved(tx: Tx, t: Tables, e: Any, position: int) -> None:
    into = ",".join(e.into)
    tx.execute(
        f"UPDATE {t.teams} SET dissolved_into = ? WHERE aggregate_id = ?", (into, str(e.originator_id))
    )
