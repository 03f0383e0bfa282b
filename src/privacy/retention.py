"""Retention terms: closed plans are erased when their term has passed, signals when theirs has.

Terms are settings (Jeugdwet 20 years after closure, Wmo and the rest 15; signals
their active term). `expire` judges the plans of a caller's tenants (the CLI);
`expire_everywhere` judges every tenant, as the server's daily housekeeping does,
so erasure on time does not depend on anyone remembering to run a command.

Only plans whose last closure is older than the shortest term are loaded, and plans
whose household was erased already are skipped, so a daily run stays cheap as closed
plans pile up. A plan that cannot be read (a record fails its integrity check) is
logged and left for the auditor; it does not stop the run for the others.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from uuid import UUID

import structlog

from eenplan.domain.context import Actor, CommandContext
from eenplan.domain.errors import RecordIntegrityError
from eenplan.domain.intake.signals import SignalFileOpened
from eenplan.domain.plan import HouseholdPlan
from eenplan.domain.plan import events as ev
from eenplan.domain.topics import stored_topics
from eenplan.domain.values import Role
from eenplan.privacy import erasure_jobs
from eenplan.privacy.erasure import erase_plan_subjects, finish_pending
from eenplan.privacy.service import Privacy

PAGE = 1000
log = structlog.get_logger("eenplan.retention")


@dataclass
class RetentionRun:
    judged_on: str
    receipts: list[dict[str, Any]] = field(default_factory=list)
    signals_erased: int = 0


def expire(privacy: Privacy, ctx: CommandContext, today: date) -> list[dict[str, Any]]:
    """Erase the caller's tenants' closed plans whose term has passed; one receipt per plan."""
    due = [p for p in _due_plans(privacy, today) if ctx.actor.serves(p.tenant)]
    return _scrubbed(privacy, [_erase(privacy, ctx, p) for p in due])


def expire_everywhere(privacy: Privacy, today: date) -> RetentionRun:
    """Every tenant: closed plans past their term, and signals past theirs (the daily run)."""
    run = RetentionRun(today.isoformat())
    erased = [_erase(privacy, _system(p.tenant, today), p) for p in _due_plans(privacy, today)]
    run.receipts = _scrubbed(privacy, erased)
    tenants = {e.tenant for e in privacy.eenplan.scans.scan(SignalFileOpened)}
    for tenant in sorted(tenants):
        run.signals_erased += privacy.eenplan.signals.expire_signals(_system(tenant, today), tenant)
    return run


def overdue(privacy: Privacy, tenants: frozenset[str], today: date) -> list[dict[str, Any]]:
    """The tenants' closed plans whose term has passed and that are not erased yet (the console):
    the daily run erases them; listed here, they show a run that is late or skipped a plan."""
    listed = []
    for plan in _due_plans(privacy, today):
        if plan.tenant not in tenants:
            continue
        terms = privacy.config.retention_years
        years = terms.get(plan.legal_basis, terms["default"])
        closed = datetime.fromisoformat(str(plan.closed_at)).date()
        listed.append(
            {
                "plan_id": str(plan.id),
                "tenant": plan.tenant,
                "legal_basis": plan.legal_basis,
                "closed_on": closed.isoformat(),
                "term_years": years,
                "due_on": _add_years(closed, years).isoformat(),
            }
        )
    return listed


def _erase(privacy: Privacy, ctx: CommandContext, plan: HouseholdPlan) -> dict[str, Any]:
    live = {k.split(":", 1)[1] for k in privacy.keyring.live_member_keys(str(plan.id))}
    members = sorted(set(plan.members) | live)  # removed members' data goes with the plan too
    ground = f"retention:{plan.legal_basis}"
    return erase_plan_subjects(privacy, ctx, plan, members, ground, "retention", scrub=False)


def _scrubbed(privacy: Privacy, receipts: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One scrub for the whole run, then the receipts as they stand (complete, or still pending)."""
    if receipts:
        finish_pending(privacy, privacy.config.erasure_wait_seconds)
    return [erasure_jobs.receipt(privacy.store, r["receipt_id"]) or r for r in receipts]


def _due_plans(privacy: Privacy, today: date) -> list[HouseholdPlan]:
    """Closed plans whose term has passed and whose household is not erased yet."""
    shortest = min(privacy.config.retention_years.values())
    erased = {
        r["plan_id"] for r in privacy.store.query("SELECT plan_id FROM privacy_erasures WHERE household = 1")
    }
    due = []
    for plan_id, closed in sorted(_last_closures(privacy).items(), key=lambda c: str(c[0])):
        if str(plan_id) in erased or _add_years(closed, shortest) > today:
            continue
        try:
            plan: Any = privacy.eenplan.repository.get(plan_id)
        except RecordIntegrityError as failed:
            log.error("retention_skipped_unreadable_plan", plan_id=str(plan_id), where=failed.where)
            continue
        if isinstance(plan, HouseholdPlan) and _term_passed(privacy, plan, today):
            due.append(plan)
    return due


def _last_closures(privacy: Privacy) -> dict[UUID, date]:
    """Each plan's last closure day, from the log's PlanClosed events (a reopened plan is checked on load)."""
    recorder, mapper = privacy.eenplan.recorder, privacy.eenplan.mapper
    closures: dict[UUID, date] = {}
    start = 1
    while True:
        batch = recorder.select_notifications(start=start, limit=PAGE, topics=stored_topics(ev.PlanClosed))
        for notification in batch:
            try:
                event = mapper.to_domain_event(notification)
            except RecordIntegrityError as failed:
                log.error(
                    "retention_skipped_unreadable_plan", plan_id=str(failed.record_id), where=failed.where
                )
                continue
            if isinstance(event, ev.PlanClosed):
                closures[event.originator_id] = event.timestamp.date()
        if len(batch) < PAGE:
            return closures
        start = batch[-1].id + 1


def _term_passed(privacy: Privacy, plan: HouseholdPlan, today: date) -> bool:
    if getattr(plan, "household_erased", False) or plan.status != "closed" or not plan.closed_at:
        return False
    years = privacy.config.retention_years.get(plan.legal_basis, privacy.config.retention_years["default"])
    closed = datetime.fromisoformat(str(plan.closed_at)).date()
    return _add_years(closed, years) <= today


def _system(tenant: str, today: date) -> CommandContext:
    """The retention job itself, for one tenant: recorded as the actor of what it erases."""
    actor = Actor(
        "eenplan-retention", "eenplan", frozenset({Role.PRIVACY_OFFICER.value}), frozenset({tenant})
    )
    return CommandContext(actor, command_id=str(uuid.uuid4()), trace_id=uuid.uuid4().hex, today=today)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
