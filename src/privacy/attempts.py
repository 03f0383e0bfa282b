"""Whom a refused or failed attempt concerned: the data subjects behind a plan id or a member id.

A refused request never loaded the plan through the caller's eyes (that is what
was refused), so its subjects are found here, in the store, whatever the caller
may see. They go only into the processing log, under the plan's own tenant,
which only that tenant's privacy officers and auditors read; the caller's answer
stays the refusal it was. An id that names nothing gives nothing: there is no
data subject to log an attempt for.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError

from eenplan.domain.app import Eenplan
from eenplan.domain.plan import HouseholdPlan
from eenplan.domain.plan.registry import MemberRegistration


@dataclass(frozen=True)
class Concerned:
    """The plan an attempt was about, its tenant, and the data subjects it concerned."""

    tenant: str
    plan_id: str
    member_ids: list[str]


def plan_subjects(eenplan: Eenplan, plan_id: str) -> Concerned | None:
    """The plan's tenant and current members, in any tenant; None for an id that is no plan."""
    try:
        key = UUID(str(plan_id))
    except ValueError:
        return None
    try:
        plan: object = eenplan.repository.get(key)
    except AggregateNotFoundError:
        return None
    if not isinstance(plan, HouseholdPlan):
        return None
    return Concerned(plan.tenant, str(plan.id), sorted(plan.members))


def member_subject(eenplan: Eenplan, tenants: Iterable[str], member_id: str) -> Concerned | None:
    """A member id means a person only within a tenant: look in the caller's tenants only."""
    for tenant in sorted(tenants):
        registration_id = MemberRegistration.create_id(tenant, member_id)
        if registration_id in eenplan.repository:
            registration: MemberRegistration = eenplan.repository.get(registration_id)
            return Concerned(tenant, registration.plan_id, [member_id])
    return None
