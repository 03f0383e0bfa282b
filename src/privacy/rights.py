"""Data subject rights and retention: export (art. 15), erasure (art. 17), expiry of terms.

Erasure is crypto-shredding. First a `PersonalDataErased` event (ids only) is
saved on the plan, so every process's copy of the plan blanks the values when
it catches up; then the keys are destroyed, so no stored ciphertext of the
person can be opened again; then a receipt without personal data is kept.
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import uuid4

from eventsourcing.persistence import IntegrityError

from eenplan.domain import errors
from eenplan.domain.context import Actor, CommandContext
from eenplan.domain.plan import HouseholdPlan
from eenplan.domain.plan import events as ev
from eenplan.domain.plan.categories import PERSONAL_FIELDS
from eenplan.domain.plan.personal import erase, personal_values
from eenplan.domain.plan.registry import MemberRegistration
from eenplan.domain.topics import stored_topics
from eenplan.privacy.mapper import key_id
from eenplan.privacy.processing import note_processing
from eenplan.privacy.service import Privacy
from eenplan.privacy.views import history_entry


@dataclass(frozen=True)
class Subject:
    tenant: str
    member_id: str
    plan: HouseholdPlan


def find_subject(privacy: Privacy, actor: Actor, member_id: str) -> Subject:
    """The member's plan, in one of the caller's tenants; unknown is 404."""
    for tenant in sorted(actor.tenants):
        registration_id = MemberRegistration.create_id(tenant, member_id)
        if registration_id in privacy.eenplan.repository:
            registration: MemberRegistration = privacy.eenplan.repository.get(registration_id)
            plan = privacy.eenplan.plan(actor, registration.plan_id)
            return Subject(tenant, member_id, plan)
    raise errors.NotFoundError(f"no data subject {member_id} in the caller's tenants")


def erase_subject(
    privacy: Privacy, ctx: CommandContext, member_id: str, legal_ground: str, reason_code: str = "request"
) -> dict[str, Any]:
    subject = find_subject(privacy, ctx.actor, member_id)
    return erase_plan_subjects(privacy, ctx, subject.plan, [member_id], legal_ground, reason_code)


def erase_plan_subjects(
    privacy: Privacy,
    ctx: CommandContext,
    plan: HouseholdPlan,
    member_ids: list[str],
    legal_ground: str,
    reason_code: str,
) -> dict[str, Any]:
    plan_id = str(plan.id)
    members, everyone = _scope(privacy, plan_id, member_ids)
    receipt_id = str(uuid4())
    _save_erasure_event(privacy, ctx, plan_id, receipt_id, members, everyone, legal_ground)
    keys = sorted({key_id(plan_id, m) for m in members} | ({plan_id} if everyone else set()))
    privacy.keyring.destroy(keys)
    _evict(privacy, plan.id)
    receipt = {
        "receipt_id": receipt_id,
        "plan_id": plan_id,
        "data_subject_ids": [privacy.log.subject_id(plan.tenant, m) for m in members],
        "household": everyone,
        "keys_destroyed": len(keys),
        "legal_ground": legal_ground,
        "reason_code": reason_code,
        "erased_at": datetime.now(UTC).isoformat(),
    }
    _store_receipt(privacy, ctx.actor, receipt, keys)
    note_processing(ctx.actor, plan_id, members, operation="erase")
    return receipt


def _scope(privacy: Privacy, plan_id: str, member_ids: list[str]) -> tuple[list[str], bool]:
    """Whose keys go, and whether the household key goes too (policy `erasure_scope`).

    With scope `member` the household key goes with the last member who still
    has a key: household data (address, notes) belongs to the household, so it
    is erased once nobody of the household is left to hold it for.
    """
    live = {k.split(":", 1)[1] for k in privacy.keyring.live_member_keys(plan_id)}
    if privacy.policy.erasure_scope == "household":
        return sorted(set(member_ids) | live), True
    return sorted(set(member_ids)), not (live - set(member_ids))


def _save_erasure_event(
    privacy: Privacy,
    ctx: CommandContext,
    plan_id: str,
    receipt_id: str,
    members: list[str],
    household: bool,
    legal_ground: str,
) -> None:
    for _ in range(20):
        plan = privacy.eenplan.plan(ctx.actor, plan_id)
        plan.record_erasure(ctx, receipt_id, members, household, legal_ground)
        try:
            privacy.eenplan.save(plan)
            return
        except IntegrityError:
            continue
    raise errors.ConcurrencyError(f"plan {plan_id} kept changing; erasure not recorded, try again")


def _evict(privacy: Privacy, plan_id: Any) -> None:
    """No copy of the plan decrypted before the erasure stays in this process's memory."""
    cache = privacy.eenplan.repository.cache
    if cache is not None:
        with contextlib.suppress(KeyError):
            cache.get(plan_id, evict=True)


def _store_receipt(privacy: Privacy, actor: Actor, receipt: dict[str, Any], keys: list[str]) -> None:
    privacy.store.execute(
        "INSERT INTO privacy_erasures (receipt_id, plan_id, data_subject_ids, household, keys_destroyed, "
        "legal_ground, reason_code, erased_at, by_sub, by_org) VALUES (?,?,?,?,?,?,?,?,?,?)",
        (
            receipt["receipt_id"],
            receipt["plan_id"],
            json.dumps(receipt["data_subject_ids"]),
            int(receipt["household"]),
            len(keys),
            receipt["legal_ground"],
            receipt["reason_code"],
            receipt["erased_at"],
            actor.professional_id,
            actor.org,
        ),
    )


def export_subject(privacy: Privacy, actor: Actor, member_id: str) -> dict[str, Any]:
    """Art. 15: the member's record, the household data, the events about them, the log."""
    subject = find_subject(privacy, actor, member_id)
    plan = subject.plan
    state = privacy.state(plan, date.today())
    state["members"] = [m for m in state["members"] if m["member_id"] == member_id]
    state.pop("relation", None)  # the export is the subject's, not a caller's view
    events = privacy.eenplan.plan_events(actor, plan.id)
    history = [history_entry(e) for e in events if _concerns(e, member_id)]
    erased = set(getattr(plan, "erased_members", []))
    for entry in history:
        paths = PERSONAL_FIELDS.get(entry["type"], {})
        erase(entry["data"], paths, erased, plan_household_erased(plan))
        _leave_out_others(entry["data"], paths, member_id)
    subject_id = privacy.log.subject_id(subject.tenant, member_id)
    note_processing(actor, str(plan.id), [member_id], operation="export")
    return {
        "member_id": member_id,
        "data_subject_id": subject_id,
        "plan": state,
        "history": history,
        "processing_log": privacy.log.for_subject(subject_id),
        "erasure_receipts": [
            r for r in privacy.receipts(str(plan.id)) if subject_id in r["data_subject_ids"]
        ],
    }


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


def expire(privacy: Privacy, ctx: CommandContext, today: date) -> list[dict[str, Any]]:
    """Erase closed plans whose retention term has passed; returns one receipt per plan."""
    receipts = []
    for plan in _closed_plans(privacy, ctx.actor):
        years = privacy.config.retention_years.get(
            plan.legal_basis, privacy.config.retention_years["default"]
        )
        closed = datetime.fromisoformat(str(plan.closed_at)).date()
        if _add_years(closed, years) > today or plan_household_erased(plan):
            continue
        members = sorted(
            set(plan.members) | {k.split(":", 1)[1] for k in privacy.keyring.live_member_keys(str(plan.id))}
        )
        receipts.append(
            erase_plan_subjects(privacy, ctx, plan, members, f"retention:{plan.legal_basis}", "retention")
        )
    return receipts


def _closed_plans(privacy: Privacy, actor: Actor) -> list[HouseholdPlan]:
    recorder = privacy.eenplan.recorder
    closed = stored_topics(ev.PlanClosed)
    plan_ids: set[Any] = set()
    start = 1
    while True:
        batch = recorder.select_notifications(start=start, limit=1000, topics=closed)
        if not batch:
            break
        plan_ids |= {n.originator_id for n in batch}
        start = batch[-1].id + 1
    plans = [privacy.eenplan.plan(actor, p) for p in sorted(plan_ids, key=str) if _serves(privacy, actor, p)]
    return [p for p in plans if p.status == "closed" and p.closed_at]


def _serves(privacy: Privacy, actor: Actor, plan_id: Any) -> bool:
    try:
        privacy.eenplan.plan(actor, plan_id)
    except errors.PlanNotFoundError:
        return False
    return True


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
