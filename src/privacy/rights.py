"""Data subject rights: export (art. 15) here; erasure (art. 17) and retention beside it.

The export holds everything kept about the person (see `privacy.subjects`): their record
in the plan and the household's data, the plan events about them, the help request that
opened the plan when it is theirs or the household's, their early signals, the referrals
made for them, the processing log and the erasure receipts. Values erased since read as
erased; other members' values are left out.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from eenplan.domain.context import Actor
from eenplan.domain.intake.request import HelpRequest
from eenplan.domain.intake.signals import SignalFile
from eenplan.domain.plan import HouseholdPlan
from eenplan.domain.plan.categories import PERSONAL_FIELDS
from eenplan.domain.plan.personal import erase, personal_values
from eenplan.privacy import erasure_jobs
from eenplan.privacy.erasure import erase_plan_subjects, erase_subject
from eenplan.privacy.processing import note_processing
from eenplan.privacy.retention import expire
from eenplan.privacy.service import Privacy
from eenplan.privacy.subjects import (
    find_subject,
    opening_request,
    person_records,
    request_concerns,
    signal_files,
)
from eenplan.privacy.views import history_entry

__all__ = ["erase_plan_subjects", "erase_subject", "expire", "export_subject"]


def export_subject(privacy: Privacy, actor: Actor, member_id: str) -> dict[str, Any]:
    """Art. 15: the member's record, the household data, the records about them, the log."""
    subject = find_subject(privacy, actor, member_id)
    plan = subject.plan
    state = privacy.state(plan, date.today())
    state["members"] = [m for m in state["members"] if m["member_id"] == member_id]
    state.pop("relation", None)  # the export is the subject's, not a caller's view
    events = privacy.eenplan.plans.plan_events(actor, plan.id)
    people = person_records(events)
    request = opening_request(privacy, plan)
    subject_id = privacy.log.subject_id(subject.tenant, member_id)
    note_processing(actor, str(plan.id), [member_id], operation="export")
    return {
        "member_id": member_id,
        "data_subject_id": subject_id,
        "plan": state,
        "history": _history(plan, events, member_id),
        "help_requests": [_request(request)]
        if request and request_concerns(request, member_id, people)
        else [],
        "signals": [_signals(f) for f in signal_files(privacy, plan.tenant, people.get(member_id, []))],
        "referrals": privacy.eenplan.intake.referrals_of(
            str(plan.id), *([str(request.id)] if request else [])
        ),
        "processing_log": privacy.log.for_subject(subject_id),
        "erasure_receipts": _receipts(privacy, str(plan.id), subject_id),
    }


def _history(plan: HouseholdPlan, events: list[Any], member_id: str) -> list[dict[str, Any]]:
    history = [history_entry(e) for e in events if _concerns(e, member_id)]
    erased = set(getattr(plan, "erased_members", []))
    for entry in history:
        paths = PERSONAL_FIELDS.get(entry["type"], {})
        erase(entry["data"], paths, erased, plan_household_erased(plan))
        _leave_out_others(entry["data"], paths, member_id)
    return history


def _request(request: HelpRequest) -> dict[str, Any]:
    return {
        "request_id": str(request.id),
        "channel": request.channel,
        "submitted_at": request.submitted_at,
        "status": request.status,
        "topics": list(request.topics),
        "location": request.location,
        "summary": request.summary,
        "contact": dict(request.contact),
        "first_contact_at": request.first_contact_at,
        "assignment": request.assignment,
        "outcome": request.outcome,
    }


def _signals(file: SignalFile) -> dict[str, Any]:
    """The person's signals as filed; who signalled is part of what is held about them."""
    signals = [{"signal_id": k, **v} for k, v in sorted(file.signals.items())]
    return {"file_id": str(file.id), "person": file.person, "signals": signals, "match": file.match}


def _receipts(privacy: Privacy, plan_id: str, subject_id: str) -> list[dict[str, Any]]:
    found = [erasure_jobs.receipt(privacy.store, r["receipt_id"]) for r in privacy.receipts(plan_id)]
    return [r for r in found if r is not None and subject_id in r["data_subject_ids"]]


def _leave_out_others(data: dict[str, Any], paths: dict[str, str], member_id: str) -> None:
    """An export is about one person: other members' values stay out of it."""
    for found in list(personal_values(data, paths, with_none=True)):
        if found.subject not in (None, member_id):
            del found.holder[found.key]


def plan_household_erased(plan: HouseholdPlan) -> bool:
    return bool(getattr(plan, "household_erased", False))


def _concerns(event: Any, member_id: str) -> bool:
    """Household events concern every member; member events only their member."""
    subjects = {
        v.subject for v in personal_values(vars(event), PERSONAL_FIELDS.get(type(event).__name__, {}))
    }
    return None in subjects or member_id in subjects
