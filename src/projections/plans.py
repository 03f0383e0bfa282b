"""The `plans` projection: one row per plan, with its care team, mandates, goals,
agreements and handovers, for caseloads, plan lists, dashboards and monitoring.

Privacy: these tables hold NO personal values. No names, BSN, birth dates,
addresses, reasons, note, goal or agreement text: only ids, statuses, dates,
risk levels, life domains and scores. Crypto-shredding a household therefore
needs no purge here: nothing in these rows is readable as the person.

`members` holds the member ids (the data subjects) of each plan, as the plan has
them now: a list read writes its processing-log lines from it instead of loading
every listed plan from the event store. Member ids are random ids, not personal
values; an erasure blanks a member's values but keeps the member in the plan
(and the log keeps naming it, pseudonymised), so erasure changes nothing here.

Overdue is not stored: an agreement is overdue when it is open and its due date
is before today, decided at read time.
"""

from __future__ import annotations

from typing import Any

from eenplan.domain.plan import events as ev
from eenplan.projections.db import Tx
from eenplan.projections.tracking import Handler, Projection, Tables


def _at(event: Any) -> str:
    return str(event.timestamp.isoformat())


MEMBERS_SINCE = 2  # the first version with the members table


class PlansProjection(Projection):
    name = "plans"
    version = 2  # 2: the members table (runners rebuild a version-1 view beside the serving one)
    tables = {
        "plans": [
            "CREATE TABLE IF NOT EXISTS {t} (plan_id TEXT PRIMARY KEY, tenant TEXT NOT NULL,"
            " team_id TEXT NOT NULL, legal_basis TEXT NOT NULL, status TEXT NOT NULL, risk_level TEXT,"
            " regisseur_id TEXT, opened_at TEXT NOT NULL, closed_at TEXT, last_activity TEXT NOT NULL,"
            " version INTEGER NOT NULL, first_agreement_at TEXT)",
            "CREATE INDEX IF NOT EXISTS {t}_tenant ON {t} (tenant, opened_at, plan_id)",
            "CREATE INDEX IF NOT EXISTS {t}_team ON {t} (team_id, status)",
            "CREATE INDEX IF NOT EXISTS {t}_regisseur ON {t} (regisseur_id, status)",
        ],
        "care_team": [
            "CREATE TABLE IF NOT EXISTS {t} (plan_id TEXT NOT NULL, professional_id TEXT NOT NULL,"
            " organisation_id TEXT NOT NULL, PRIMARY KEY (plan_id, professional_id))",
            "CREATE INDEX IF NOT EXISTS {t}_pro ON {t} (professional_id, plan_id)",
            "CREATE INDEX IF NOT EXISTS {t}_org ON {t} (organisation_id, plan_id)",
        ],
        "mandates": [
            # One row per covered professional; '*' when the mandate covers all of them.
            "CREATE TABLE IF NOT EXISTS {t} (plan_id TEXT NOT NULL, mandate_id TEXT NOT NULL,"
            " organisation_id TEXT NOT NULL, professional_id TEXT NOT NULL, valid_until TEXT,"
            " status TEXT NOT NULL, PRIMARY KEY (plan_id, mandate_id, professional_id))",
        ],
        "agreements": [
            "CREATE TABLE IF NOT EXISTS {t} (plan_id TEXT NOT NULL, agreement_id TEXT NOT NULL,"
            " goal_id TEXT, status TEXT NOT NULL, due_date TEXT NOT NULL, made_at TEXT NOT NULL,"
            " completed_at TEXT, organisation_id TEXT, professional_id TEXT,"
            " PRIMARY KEY (plan_id, agreement_id))",
            # Lookups are per plan (counts, overdue): lead with plan_id, never with status alone.
            "CREATE INDEX IF NOT EXISTS {t}_open ON {t} (plan_id, status, due_date)",
        ],
        "goals": [
            "CREATE TABLE IF NOT EXISTS {t} (plan_id TEXT NOT NULL, goal_id TEXT NOT NULL,"
            " life_domain TEXT NOT NULL, status TEXT NOT NULL, score INTEGER, set_at TEXT NOT NULL,"
            " closed_at TEXT, PRIMARY KEY (plan_id, goal_id))",
        ],
        "handovers": [
            "CREATE TABLE IF NOT EXISTS {t} (plan_id TEXT NOT NULL, proposed_position BIGINT NOT NULL,"
            " to_professional_id TEXT NOT NULL, proposed_at TEXT NOT NULL, accepted_at TEXT,"
            " outcome TEXT, PRIMARY KEY (plan_id, proposed_position))",
        ],
        "members": [
            "CREATE TABLE IF NOT EXISTS {t} (plan_id TEXT NOT NULL, member_id TEXT NOT NULL,"
            " PRIMARY KEY (plan_id, member_id))",
        ],
    }

    def handlers(self) -> dict[type, Handler]:
        specific: dict[type, Handler] = {
            ev.Opened: _opened,
            ev.MemberAdded: _member_added,
            ev.MemberRemoved: _member_removed,
            ev.CareTeamJoined: _joined,
            ev.CareTeamLeft: _left,
            ev.RegisseurAssigned: _regisseur,
            ev.HandoverProposed: _handover_proposed,
            ev.RegisseurHandedOver: _handed_over,
            ev.HandoverDeclined: _handover_declined,
            ev.MandateGranted: _mandate_granted,
            ev.MandateRevoked: _mandate_revoked,
            ev.GoalSet: _goal_set,
            ev.ProgressRecorded: _progress,
            ev.GoalClosed: _goal_closed,
            ev.AgreementMade: _agreement_made,
            ev.AgreementCompleted: _agreement_completed,
            ev.AgreementRevised: _agreement_revised,
            ev.AgreementCancelled: _agreement_cancelled,
            ev.RiskAssessed: _risk,
            ev.PlanClosed: _closed,
            ev.PlanReopened: _reopened,
            ev.PlanMovedToTeam: _moved,
        }
        every = [c for c in vars(ev).values() if isinstance(c, type) and issubclass(c, ev.PlanEvent)]
        return {c: _touching(specific.get(c)) for c in every if c is not ev.PlanEvent} | {ev.Opened: _opened}


def _touching(handler: Handler | None) -> Handler:
    """Every plan event moves the plan's version and last activity; some do more."""

    def apply(tx: Tx, t: Tables, event: Any, position: int) -> None:
        plan_id = str(event.originator_id)
        # Only the batch's last event of the plan needs to set these (see tracking.BatchTx).
        tx.latest(
            f"UPDATE {t.plans} SET version = ?, last_activity = ? WHERE plan_id = ?",
            plan_id,
            (event.originator_version, _at(event), plan_id),
        )
        if handler is not None:
            handler(tx, t, event, position)

    return apply


def _opened(tx: Tx, t: Tables, e: Any, position: int) -> None:
    tx.execute(
        f"INSERT INTO {t.plans} (plan_id, tenant, team_id, legal_basis, status, opened_at,"
        " last_activity, version) VALUES (?, ?, ?, ?, 'open', ?, ?, ?)",
        (str(e.originator_id), e.tenant, e.team_id, e.legal_basis, _at(e), _at(e), e.originator_version),
    )
    for member in e.members:
        _add_member(tx, t, e, member["member_id"])


def _add_member(tx: Tx, t: Tables, e: Any, member_id: str) -> None:
    tx.execute(
        f"INSERT INTO {t.members} (plan_id, member_id) VALUES (?, ?)"
        " ON CONFLICT (plan_id, member_id) DO NOTHING",
        (str(e.originator_id), member_id),
    )


def _member_added(tx: Tx, t: Tables, e: Any, position: int) -> None:
    _add_member(tx, t, e, e.member["member_id"])


def _member_removed(tx: Tx, t: Tables, e: Any, position: int) -> None:
    tx.execute(
        f"DELETE FROM {t.members} WHERE plan_id = ? AND member_id = ?", (str(e.originator_id), e.member_id)
    )


def _plan(tx: Tx, t: Tables, e: Any, assignments: str, *values: Any) -> None:
    tx.execute(f"UPDATE {t.plans} SET {assignments} WHERE plan_id = ?", (*values, str(e.originator_id)))


def _joined(tx: Tx, t: Tables, e: Any, position: int) -> None:
    tx.execute(
        f"INSERT INTO {t.care_team} (plan_id, professional_id, organisation_id) VALUES (?, ?, ?)",
        (str(e.originator_id), e.professional_id, e.organisation_id),
    )


def _left(tx: Tx, t: Tables, e: Any, position: int) -> None:
    tx.execute(
        f"DELETE FROM {t.care_team} WHERE plan_id = ? AND professional_id = ?",
        (str(e.originator_id), e.professional_id),
    )


def _regisseur(tx: Tx, t: Tables, e: Any, position: int) -> None:
    _plan(tx, t, e, "regisseur_id = ?", e.professional_id)


def _handover_proposed(tx: Tx, t: Tables, e: Any, position: int) -> None:
    tx.execute(
        f"INSERT INTO {t.handovers} (plan_id, proposed_position, to_professional_id, proposed_at)"
        " VALUES (?, ?, ?, ?)",
        (str(e.originator_id), position, e.to_professional_id, _at(e)),
    )


def _close_handover(tx: Tx, t: Tables, e: Any, outcome: str, accepted_at: str | None) -> None:
    tx.execute(
        f"UPDATE {t.handovers} SET outcome = ?, accepted_at = ? WHERE plan_id = ? AND outcome IS NULL",
        (outcome, accepted_at, str(e.originator_id)),
    )


def _handed_over(tx: Tx, t: Tables, e: Any, position: int) -> None:
    _plan(tx, t, e, "regisseur_id = ?", e.to_professional_id)
    _close_handover(tx, t, e, "accepted", _at(e))


def _handover_declined(tx: Tx, t: Tables, e: Any, position: int) -> None:
    _close_handover(tx, t, e, "declined", None)


def _mandate_granted(tx: Tx, t: Tables, e: Any, position: int) -> None:
    covered = ["*"] if e.scope == "all" else list(e.scope)
    for professional_id in covered:
        tx.execute(
            f"INSERT INTO {t.mandates} (plan_id, mandate_id, organisation_id, professional_id,"
            " valid_until, status) VALUES (?, ?, ?, ?, ?, 'active')",
            (str(e.originator_id), e.mandate_id, e.organisation_id, professional_id, e.valid_until),
        )


def _mandate_revoked(tx: Tx, t: Tables, e: Any, position: int) -> None:
    tx.execute(
        f"UPDATE {t.mandates} SET status = 'revoked' WHERE plan_id = ? AND mandate_id = ?",
        (str(e.originator_id), e.mandate_id),
    )


def _goal_set(tx: Tx, t: Tables, e: Any, position: int) -> None:
    tx.execute(
        f"INSERT INTO {t.goals} (plan_id, goal_id, life_domain, status, set_at) VALUES (?, ?, ?, 'open', ?)",
        (str(e.originator_id), e.goal_id, e.life_domain, _at(e)),
    )


def _goal(tx: Tx, t: Tables, e: Any, assignments: str, *values: Any) -> None:
    tx.execute(
        f"UPDATE {t.goals} SET {assignments} WHERE plan_id = ? AND goal_id = ?",
        (*values, str(e.originator_id), e.goal_id),
    )


def _progress(tx: Tx, t: Tables, e: Any, position: int) -> None:
    _goal(tx, t, e, "score = ?", e.score)


def _goal_closed(tx: Tx, t: Tables, e: Any, position: int) -> None:
    _goal(tx, t, e, "status = ?, closed_at = ?", e.outcome, _at(e))


def _agreement_made(tx: Tx, t: Tables, e: Any, position: int) -> None:
    responsible = e.responsible
    tx.execute(
        f"INSERT INTO {t.agreements} (plan_id, agreement_id, goal_id, status, due_date, made_at,"
        " organisation_id, professional_id) VALUES (?, ?, ?, 'open', ?, ?, ?, ?)",
        (
            str(e.originator_id),
            e.agreement_id,
            e.goal_id,
            e.due_date,
            _at(e),
            responsible.get("organisation_id"),
            responsible.get("professional_id"),
        ),
    )
    _plan(tx, t, e, "first_agreement_at = COALESCE(first_agreement_at, ?)", _at(e))


def _agreement(tx: Tx, t: Tables, e: Any, assignments: str, *values: Any) -> None:
    tx.execute(
        f"UPDATE {t.agreements} SET {assignments} WHERE plan_id = ? AND agreement_id = ?",
        (*values, str(e.originator_id), e.agreement_id),
    )


def _agreement_completed(tx: Tx, t: Tables, e: Any, position: int) -> None:
    _agreement(tx, t, e, "status = 'completed', completed_at = ?", _at(e))


def _agreement_revised(tx: Tx, t: Tables, e: Any, position: int) -> None:
    if e.due_date is not None:
        _agreement(tx, t, e, "due_date = ?", e.due_date)


def _agreement_cancelled(tx: Tx, t: Tables, e: Any, position: int) -> None:
    _agreement(tx, t, e, "status = 'cancelled'")


def _risk(tx: Tx, t: Tables, e: Any, position: int) -> None:
    _plan(tx, t, e, "risk_level = ?", e.level)


def _closed(tx: Tx, t: Tables, e: Any, position: int) -> None:
    _plan(tx, t, e, "status = 'closed', closed_at = ?", _at(e))


def _reopened(tx: Tx, t: Tables, e: Any, position: int) -> None:
    _plan(tx, t, e, "status = 'open', closed_at = NULL")


def _moved(tx: Tx, t: Tables, e: Any, position: int) -> None:
    """A reorganisation moved the plan; a new regisseur joins the care team if not on it yet."""
    _plan(tx, t, e, "team_id = ?", e.to_team_id)
    if e.regisseur is None:
        return
    new = e.regisseur
    tx.execute(
        f"INSERT INTO {t.care_team} (plan_id, professional_id, organisation_id) VALUES (?, ?, ?)"
        " ON CONFLICT (plan_id, professional_id) DO NOTHING",
        (str(e.originator_id), new["professional_id"], new["organisation_id"]),
    )
    _plan(tx, t, e, "regisseur_id = ?", new["professional_id"])
    _close_handover(tx, t, e, "superseded", None)
