"""The `households` projection: suspected duplicate open plans, for administrators and auditors.

Plans opened before matching existed (or in a store that skipped it) can hold the same person
twice. This view keeps, per member of each plan, keyed pseudonyms of their BSN, their normalised
family name and their birth date (HMACs under the same secret as the household index, never the
values), and whether the plan is open; two open plans that share a BSN, or a family name with a
birth date (where the BSNs do not differ), are reported, unless one was opened beside the other
on purpose. The regisseurs then merge them.

Privacy: pseudonyms are personal data. An erasure deletes the member's rows (and a rebuild finds
their values erased, so it writes none); a closed plan's rows stay only while the plan could be
reopened and are ignored by the report.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

from eenplan.domain.plan import events as ev
from eenplan.domain.plan.matching import family_name
from eenplan.projections.db import Tx, ViewDB
from eenplan.projections.tracking import Handler, Projection, Tables


class HouseholdsProjection(Projection):
    name = "households"
    tables = {
        "household_plans": [
            "CREATE TABLE IF NOT EXISTS {t} (plan_id TEXT PRIMARY KEY, tenant TEXT NOT NULL,"
            " status TEXT NOT NULL, beside TEXT NOT NULL)",
        ],
        "household_people": [
            "CREATE TABLE IF NOT EXISTS {t} (plan_id TEXT NOT NULL, member_id TEXT NOT NULL,"
            " tenant TEXT NOT NULL, bsn_key TEXT, family_key TEXT, birth_key TEXT,"
            " PRIMARY KEY (plan_id, member_id))",
            "CREATE INDEX IF NOT EXISTS {t}_bsn ON {t} (tenant, bsn_key)",
            "CREATE INDEX IF NOT EXISTS {t}_name ON {t} (tenant, family_key, birth_key)",
        ],
    }

    def __init__(self, key: bytes) -> None:
        self.key = key

    def handlers(self) -> dict[type, Handler]:
        key = self.key

        def opened(tx: Tx, t: Tables, e: Any, position: int) -> None:
            plan_id = str(e.originator_id)
            tx.execute(
                f"INSERT INTO {t.household_plans} (plan_id, tenant, status, beside)"
                " VALUES (?, ?, 'open', '[]')",
                (plan_id, e.tenant),
            )
            for member in e.members:
                _person(tx, t, key, plan_id, e.tenant, member)

        def added(tx: Tx, t: Tables, e: Any, position: int) -> None:
            tenant = _tenant(tx, t, str(e.originator_id))
            if tenant is not None:
                _person(tx, t, key, str(e.originator_id), tenant, e.member)

        def carried(tx: Tx, t: Tables, e: Any, position: int) -> None:
            tenant = _tenant(tx, t, str(e.originator_id))
            if e.kind == "members" and tenant is not None:
                for member_id, member in e.items.items():
                    _person(tx, t, key, str(e.originator_id), tenant, {**member, "member_id": member_id})

        def corrected(tx: Tx, t: Tables, e: Any, position: int) -> None:
            parts = _parts(key, e.corrections)
            for column, fields in _FIELDS_OF.items():
                if fields & set(e.corrections):
                    tx.execute(
                        f"UPDATE {t.household_people} SET {column} = ? WHERE plan_id = ? AND member_id = ?",
                        (parts[column], str(e.originator_id), e.member_id),
                    )

        return {
            ev.Opened: opened,
            ev.MemberAdded: added,
            ev.CarriedOver: carried,
            ev.MemberCorrected: corrected,
            ev.MemberRemoved: _removed,
            ev.HouseholdSplit: _split,
            ev.PersonalDataErased: _erased,
            ev.PlanClosed: _status("closed"),
            ev.PlanMerged: _status("closed"),
            ev.PlanReopened: _status("open"),
            ev.SecondPlanOpened: _beside,
        }


_FIELDS_OF = {"bsn_key": {"bsn"}, "family_key": {"family_name"}, "birth_key": {"birth_date"}}


def _hmac(key: bytes, material: str) -> str:
    return hmac.new(key, material.encode(), hashlib.sha256).hexdigest()


def _parts(key: bytes, person: dict[str, Any]) -> dict[str, str | None]:
    """The pseudonyms of a person's BSN, family name and birth date; None where not held (or erased)."""
    bsn, family, born = person.get("bsn"), person.get("family_name"), person.get("birth_date")
    return {
        "bsn_key": _hmac(key, f"bsn:{bsn}") if isinstance(bsn, str) and bsn else None,
        "family_key": _hmac(key, f"family:{family_name(family)}") if isinstance(family, str) else None,
        "birth_key": _hmac(key, f"born:{born}") if isinstance(born, str) else None,
    }


def _person(tx: Tx, t: Tables, key: bytes, plan_id: str, tenant: str, member: dict[str, Any]) -> None:
    parts = _parts(key, member)
    tx.execute(
        f"DELETE FROM {t.household_people} WHERE plan_id = ? AND member_id = ?",
        (plan_id, member["member_id"]),
    )
    tx.execute(
        f"INSERT INTO {t.household_people} (plan_id, member_id, tenant, bsn_key, family_key, birth_key)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (plan_id, member["member_id"], tenant, parts["bsn_key"], parts["family_key"], parts["birth_key"]),
    )


def _tenant(tx: Tx, t: Tables, plan_id: str) -> str | None:
    rows = tx.rows(f"SELECT tenant FROM {t.household_plans} WHERE plan_id = ?", (plan_id,))
    return str(rows[0][0]) if rows else None


def _removed(tx: Tx, t: Tables, e: Any, position: int) -> None:
    tx.execute(
        f"DELETE FROM {t.household_people} WHERE plan_id = ? AND member_id = ?",
        (str(e.originator_id), e.member_id),
    )


def _split(tx: Tx, t: Tables, e: Any, position: int) -> None:
    for member_id in e.member_ids:
        tx.execute(
            f"DELETE FROM {t.household_people} WHERE plan_id = ? AND member_id = ?",
            (str(e.originator_id), member_id),
        )


def _erased(tx: Tx, t: Tables, e: Any, position: int) -> None:
    """The pseudonyms go with the person: the erased members' rows, or the household's."""
    plan_id = str(e.originator_id)
    if e.household:
        tx.execute(f"DELETE FROM {t.household_people} WHERE plan_id = ?", (plan_id,))
        return
    for member_id in e.member_ids:
        tx.execute(
            f"DELETE FROM {t.household_people} WHERE plan_id = ? AND member_id = ?", (plan_id, member_id)
        )


def _status(status: str) -> Handler:
    def handle(tx: Tx, t: Tables, e: Any, position: int) -> None:
        tx.execute(
            f"UPDATE {t.household_plans} SET status = ? WHERE plan_id = ?", (status, str(e.originator_id))
        )

    return handle


def _beside(tx: Tx, t: Tables, e: Any, position: int) -> None:
    tx.execute(
        f"UPDATE {t.household_plans} SET beside = ? WHERE plan_id = ?",
        (json.dumps(sorted(e.beside_plan_ids)), str(e.originator_id)),
    )


def suspected_duplicates(db: ViewDB, t: Tables, tenant: str) -> list[dict[str, Any]]:
    """Pairs of open plans of the tenant that hold the same person, strongest evidence first."""
    people, plans = t.household_people, t.household_plans
    pairs = (
        f"SELECT a.plan_id, b.plan_id, a.member_id, b.member_id, a.bsn_key, b.bsn_key"
        f" FROM {people} a JOIN {people} b ON b.tenant = a.tenant AND b.plan_id > a.plan_id"
        f" AND {{on}}"
        f" JOIN {plans} pa ON pa.plan_id = a.plan_id AND pa.status = 'open'"
        f" JOIN {plans} pb ON pb.plan_id = b.plan_id AND pb.status = 'open'"
        f" WHERE a.tenant = ?"
    )
    with db.read() as tx:
        rows = tx.rows(pairs.format(on="b.bsn_key = a.bsn_key"), (tenant,))
        rows += tx.rows(
            pairs.format(on="b.family_key = a.family_key AND b.birth_key = a.birth_key"), (tenant,)
        )
        beside = {
            str(r[0]): set(json.loads(r[1]))
            for r in tx.rows(
                f"SELECT plan_id, beside FROM {plans} WHERE tenant = ? AND beside <> '[]'", (tenant,)
            )
        }
    found: dict[tuple[str, str], dict[str, Any]] = {}
    for plan_a, plan_b, member_a, member_b, bsn_a, bsn_b in rows:
        if plan_b in beside.get(plan_a, set()) or plan_a in beside.get(plan_b, set()):
            continue  # opened beside each other on purpose
        if bsn_a and bsn_b and bsn_a != bsn_b:
            continue  # same name and birth date, another BSN: another person
        strength = "bsn" if bsn_a and bsn_a == bsn_b else "name_birth_date"
        pair = found.setdefault(
            (plan_a, plan_b), {"plan_ids": [plan_a, plan_b], "strength": strength, "members": []}
        )
        if strength == "bsn":
            pair["strength"] = "bsn"
        entry = {"member_ids": [member_a, member_b], "by": strength}
        if entry not in pair["members"]:
            pair["members"].append(entry)
    order = {"bsn": 0, "name_birth_date": 1}
    return sorted(found.values(), key=lambda p: (order[p["strength"]], p["plan_ids"]))
