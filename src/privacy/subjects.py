"""Every record held about a data subject, found from their member id: for export and erasure.

A member's records are their household plan (events and snapshots), the help request that
opened it, the early signals filed about them (found by the same keyed pseudonyms the
signals were filed under: BSN, or name and birth date, as the plan knows them now or knew
them before a correction), the referrals to the welfare offer, and the commands that wrote
all of these (their stored idempotent answers). Ids only leave this module; values stay in
the records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eenplan.domain import errors
from eenplan.domain.context import Actor
from eenplan.domain.intake.request import HelpRequest
from eenplan.domain.intake.signals import SignalFile
from eenplan.domain.plan import HouseholdPlan
from eenplan.domain.plan import events as ev
from eenplan.domain.plan.personal import ERASED
from eenplan.domain.plan.registry import MemberRegistration
from eenplan.privacy.service import Privacy

PERSON_FIELDS = ("given_name", "family_name", "birth_date", "bsn")
# A command that wrote a record: (organisation, caller, command id), as its events' meta says.
CommandRef = tuple[str, str, str]


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
            plan = privacy.eenplan.plans.plan(actor, registration.plan_id)
            return Subject(tenant, member_id, plan)
    raise errors.NotFoundError(f"no data subject {member_id} in the caller's tenants")


def person_records(events: list[Any]) -> dict[str, list[dict[str, Any]]]:
    """Each member's identity as the plan has held it, every version (before and after corrections)."""
    held: dict[str, list[dict[str, Any]]] = {}

    def keep(member_id: str, record: dict[str, Any]) -> None:
        person = {k: record[k] for k in PERSON_FIELDS if record.get(k) not in (None, ERASED)}
        if person and person not in held.setdefault(member_id, []):
            held[member_id].append(person)

    for event in events:
        if isinstance(event, ev.Opened):
            for member in event.members:
                keep(member["member_id"], member)
        elif isinstance(event, ev.MemberAdded):
            keep(event.member["member_id"], event.member)
        elif isinstance(event, ev.MemberCorrected) and held.get(event.member_id):
            keep(event.member_id, {**held[event.member_id][-1], **event.corrections})
    return held


def opening_request(privacy: Privacy, plan: HouseholdPlan) -> HelpRequest | None:
    """The help request the plan was opened from, if any."""
    if not plan.help_request_id:
        return None
    return privacy.eenplan.intake.help_request_record(plan.help_request_id)


def contact_members(request: HelpRequest, people: dict[str, list[dict[str, Any]]]) -> set[str]:
    """The members whose name the request's contact bears (it names no member id)."""
    return {
        member_id
        for member_id, records in people.items()
        if any(
            request.contact_is(str(r.get("given_name", "")), str(r.get("family_name", ""))) for r in records
        )
    }


def request_concerns(request: HelpRequest, member_id: str, people: dict[str, list[dict[str, Any]]]) -> bool:
    """Whose the request is: the member its contact names; naming none, the whole household's."""
    named = contact_members(request, people)
    return member_id in named or not named


def signal_files(privacy: Privacy, tenant: str, people: list[dict[str, Any]]) -> list[SignalFile]:
    """The person's signal files that still hold something (an erased or expired file holds nothing)."""
    if not people:
        return []
    found = privacy.eenplan.signals.signal_files_of(tenant, people)
    return [f for f in found if f.person is not None or f.signals]


def command_refs(*event_lists: list[Any]) -> list[CommandRef]:
    """The commands that wrote these events, once each."""
    refs = {
        (str(m.get("org", "")), str(m.get("sub", "")), str(m.get("command_id", "")))
        for events in event_lists
        for m in (getattr(e, "meta", None) for e in events)
        if isinstance(m, dict) and m.get("command_id")
    }
    return sorted(refs)
