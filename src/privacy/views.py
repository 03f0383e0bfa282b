"""Views of a plan for a caller: the aggregate turned into plain, public dicts.

Agreements past their due date read as overdue, compared against today, so no
event is needed for an agreement to become overdue.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from eenplan.domain.plan import HouseholdPlan


def plan_view(plan: HouseholdPlan, relation: str, today: date) -> dict[str, Any]:
    return {
        "plan_id": str(plan.id),
        "version": plan.version,
        "relation": relation,
        "tenant": plan.tenant,
        "team_id": plan.team_id,
        "legal_basis": plan.legal_basis,
        "status": plan.status,
        "opened_at": plan.opened_at,
        "closed_at": plan.closed_at,
        "last_activity": plan.modified_on.isoformat(),
        "reason": plan.reason,
        "help_request_id": plan.help_request_id,
        "members": list(plan.members.values()),
        "address": plan.address,
        "regisseur_id": plan.regisseur_id,
        "handover": plan.handover,
        "care_team": [{"professional_id": k, **v} for k, v in plan.care_team.items()],
        "mandates": [{"mandate_id": k, **v} for k, v in plan.mandates.items()],
        "goals": [{"goal_id": k, **v} for k, v in plan.goals.items()],
        "agreements": [_agreement(k, v, today) for k, v in plan.agreements.items()],
        "risk": plan.risk,
        "consents": [{"consent_id": k, **v} for k, v in plan.consents.items()],
        "notes": list(plan.notes),
        "conferences": list(plan.conferences),
        # Who was asked to join or to take on an agreement, and the answer (the agreement itself
        # shows under agreements once accepted).
        "proposals": [
            {"proposal_id": k, **{f: v for f, v in p.items() if f != "agreement"}}
            for k, p in plan.__dict__.get("proposals", {}).items()
        ],
    }


def _agreement(agreement_id: str, agreement: dict[str, Any], today: date) -> dict[str, Any]:
    overdue = agreement["status"] == "open" and date.fromisoformat(agreement["due_date"]) < today
    return {"agreement_id": agreement_id, **agreement, "overdue": overdue}


def history_entry(event: Any) -> dict[str, Any]:
    """One stored event as the history shows it: type, version, time, actor, data."""
    data = {
        k: v
        for k, v in vars(event).items()
        if k not in ("originator_id", "originator_version", "timestamp", "meta", "originator_topic")
    }
    return {
        "type": type(event).__name__,
        "version": event.originator_version,
        "time": event.timestamp.isoformat(),
        "actor": who_did_it(event.meta),
        "data": data,
    }


def who_did_it(meta: dict[str, Any]) -> dict[str, Any]:
    """The recorded cause, plus who did what in plain words: the responsible professional,
    their organisation, the command and trace ids, and the partner system that sent it, if any."""
    acting_for = meta.get("acting_for")
    return {
        **meta,
        "professional_id": acting_for or meta.get("sub"),
        "organisation_id": meta.get("org"),
        "partner_system": meta.get("sub") if acting_for else None,
    }
