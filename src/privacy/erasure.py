"""Erasure (art. 17) by crypto-shredding, over every record held about the person.

One erasure, in order:

1. The scope (`_scope`): the member's key; the household key once no current member is
   left un-erased (a removed member left the household: their own key does not keep the
   household's data alive); the help request that opened the plan, with the household or
   with the member who is its contact; the member's early-signal files.
2. An event with ids only on each of those records (`PersonalDataErased`,
   `HelpRequestErased`, `SignalFileErased`), saved in one transaction, so every process's
   copy blanks the values when it catches up.
3. The receipt and its job (`erasure_jobs`), in one transaction.
4. `finish`: the keys are destroyed; the stored answers of the commands that wrote these
   records are blanked (`privacy.erasure_hooks`, registered by the composition root); the
   old row versions are scrubbed from the store's files (`privacy.scrub`), waiting a
   bounded time. Only then is the receipt `complete`; otherwise it says `pending` and the
   server's housekeeping completes it (`finish_pending`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from eventsourcing.persistence import IntegrityError

from eenplan.domain import errors
from eenplan.domain.context import CommandContext
from eenplan.domain.intake.request import HelpRequest
from eenplan.domain.intake.signals import SignalFile
from eenplan.domain.plan import HouseholdPlan
from eenplan.privacy import erasure_jobs as jobs
from eenplan.privacy.mapper import key_id
from eenplan.privacy.processing import note_processing
from eenplan.privacy.service import Privacy
from eenplan.privacy.subjects import (
    CommandRef,
    command_refs,
    contact_members,
    find_subject,
    opening_request,
    person_records,
    signal_files,
)

RETRIES = 20
# Blanks the stored answers of these commands; returns how many it blanked.
ErasureHook = Callable[[list[CommandRef]], int]


@dataclass
class Scope:
    plan: HouseholdPlan
    members: list[str]
    household: bool
    request: HelpRequest | None
    files: list[SignalFile]
    commands: list[CommandRef]

    def key_ids(self) -> list[str]:
        plan_id = str(self.plan.id)
        keys = {key_id(plan_id, m) for m in self.members} | ({plan_id} if self.household else set())
        keys |= {str(r.id) for r in (self.request, *self.files) if r is not None}
        return sorted(keys)

    def records(self) -> dict[str, int]:
        return {"plans": 1, "help_requests": int(self.request is not None), "signal_files": len(self.files)}

    def aggregates(self) -> list[Any]:
        return [self.plan, *([self.request] if self.request else []), *self.files]


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
    *,
    scrub: bool = True,
) -> dict[str, Any]:
    """Erase these members' data (and what goes with it); `scrub` False leaves the scrub to
    `finish_pending`, for a batch that scrubs once at its end."""
    receipt_id = str(uuid4())
    scope = _record(privacy, ctx, str(plan.id), member_ids, receipt_id, legal_ground)
    job = jobs.Job(receipt_id, scope.key_ids(), scope.commands)
    receipt = _receipt(privacy, scope, job, legal_ground, reason_code)
    jobs.start(privacy.store, receipt, ctx.actor, job, scope.records())
    if scrub:
        finish(privacy, [job], privacy.config.erasure_wait_seconds)
    else:
        _shred(privacy, [job])
    _evict(privacy, [a.id for a in scope.aggregates()])
    note_processing(ctx.actor, str(plan.id), scope.members, operation="erase")
    stored = jobs.receipt(privacy.store, receipt_id)
    assert stored is not None  # written above, in this process
    return stored


def _receipt(
    privacy: Privacy, scope: Scope, job: jobs.Job, legal_ground: str, reason_code: str
) -> dict[str, Any]:
    """Ids, pseudonyms, counts and codes: nothing personal."""
    return {
        "receipt_id": job.receipt_id,
        "plan_id": str(scope.plan.id),
        "data_subject_ids": [privacy.log.subject_id(scope.plan.tenant, m) for m in scope.members],
        "household": scope.household,
        "keys_destroyed": len(job.key_ids),
        "legal_ground": legal_ground,
        "reason_code": reason_code,
        "erased_at": datetime.now(UTC).isoformat(),
    }


def _record(
    privacy: Privacy, ctx: CommandContext, plan_id: str, member_ids: list[str], receipt_id: str, ground: str
) -> Scope:
    """The erasure events on every record in scope, saved together; reloaded when another won."""
    for _ in range(RETRIES):
        scope = _scope(privacy, privacy.eenplan.plans.plan(ctx.actor, plan_id), member_ids)
        scope.plan.record_erasure(ctx, receipt_id, scope.members, scope.household, ground)
        if scope.request is not None:
            scope.request.record_erasure(ctx, receipt_id)
        for file in scope.files:
            file.erase(ctx, receipt_id)
        try:
            privacy.eenplan.save(*scope.aggregates())
        except IntegrityError:
            continue
        return scope
    raise errors.ConcurrencyError(f"plan {plan_id} kept changing; erasure not recorded, try again")


def _scope(privacy: Privacy, plan: HouseholdPlan, member_ids: list[str]) -> Scope:
    events = list(privacy.eenplan.repository.event_store.get(plan.id))
    people = person_records(events)
    members, household = _whose_keys(privacy, plan, member_ids)
    request = opening_request(privacy, plan)
    if request is not None and (request.erased or not _request_goes(request, members, household, people)):
        request = None
    files = signal_files(privacy, plan.tenant, [p for m in members for p in people.get(m, [])])
    record_events = [list(privacy.eenplan.repository.event_store.get(r.id)) for r in (request, *files) if r]
    return Scope(plan, members, household, request, files, command_refs(events, *record_events))


def _whose_keys(privacy: Privacy, plan: HouseholdPlan, member_ids: list[str]) -> tuple[list[str], bool]:
    """Whose keys go, and whether the household key goes too (policy `erasure_scope`).

    With scope `member` the household key goes with the last current member: household data
    (address, notes) belongs to the household, so it is erased once nobody of the household
    is left to hold it for. Members removed earlier are not of the household any more.
    """
    wanted = set(member_ids)
    current = set(plan.members) - set(getattr(plan, "erased_members", []))
    if privacy.policy.erasure_scope == "household":
        live = {k.split(":", 1)[1] for k in privacy.keyring.live_member_keys(str(plan.id))}
        return sorted(wanted | current | live), True
    return sorted(wanted), not (current - wanted)


def _request_goes(
    request: HelpRequest, members: list[str], household: bool, people: dict[str, list[dict[str, Any]]]
) -> bool:
    """With the household; or with the member named as its contact."""
    return household or bool(contact_members(request, people) & set(members))


def finish(privacy: Privacy, pending: list[jobs.Job], wait_seconds: float) -> bool:
    """Destroy the keys, blank the stored answers, scrub once; True when these erasures are complete.

    Every step may run again (a retry, or a process that died in the middle): a destroyed
    key stays destroyed, a blanked answer stays blanked.
    """
    since = _shred(privacy, pending)
    done = privacy.scrubber.scrub(since, wait_seconds)
    for job in pending:
        jobs.attempted(privacy.store, job.receipt_id, done)
    return done


def _shred(privacy: Privacy, pending: list[jobs.Job]) -> str | None:
    """Destroy the keys and blank the answers; the transaction id of the destruction (PostgreSQL)."""
    since = privacy.keyring.destroy(sorted({k for job in pending for k in job.key_ids}))
    commands = sorted({c for job in pending for c in job.commands})
    for hook in privacy.erasure_hooks:
        hook(commands)
    return since


def shred(privacy: Privacy, key_ids: list[str]) -> None:
    """Destroy keys now (a term expired); their old row versions go at the next scrub."""
    job = jobs.Job(f"shred:{uuid4()}", sorted(key_ids), [])
    jobs.open_job(privacy.store, ",".join(job.key_ids), job)
    _shred(privacy, [job])


def shred_one(privacy: Privacy, key_id: str) -> None:
    """Destroy one record's key now: the application's `shred_subject` port."""
    shred(privacy, [key_id])


def finish_pending(privacy: Privacy, wait_seconds: float = 0.0) -> int:
    """Complete the erasures left pending (a reader held the store, or a process died); how many."""
    pending = jobs.pending(privacy.store)
    if not pending:
        return 0
    return len(pending) if finish(privacy, pending, wait_seconds) else 0


def _evict(privacy: Privacy, ids: list[Any]) -> None:
    """No copy decrypted before the erasure stays in this process's memory."""
    cache = privacy.eenplan.repository.cache
    if cache is not None:
        for aggregate_id in ids:
            with contextlib.suppress(KeyError):
                cache.get(aggregate_id, evict=True)
