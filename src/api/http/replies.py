"""The stored replies of commands other than plan commands, and how a lost answer is recovered.

Each command's result is rendered once into a `Reply` (status, headers, body
bytes) that every repeat of its idempotency key gets back unchanged. A
`Recovery` says how a claim left unanswered by a dead process is settled: from
the events the command recorded (`recall`), by running it again where that
cannot record twice (`RERUN`), or, where the answer cannot be rebuilt, by
running it only when it recorded nothing (`UNLESS_RECORDED`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from eenplan.api.http.commanding import created, ok
from eenplan.api.http.idempotency import Recovery
from eenplan.api.http.schemas.intake import ActivityPublic, HelpRequestCreated, SignalPosted, TriageResult
from eenplan.api.http.schemas.public import OrganisationPublic, ProfessionalPublic, SystemPublic, TeamPublic
from eenplan.api.http.services import Services
from eenplan.api.store.idempotency_keys import Reply
from eenplan.domain.app.effects import Recorded, latest
from eenplan.domain.app.intake import TriageOutcome
from eenplan.domain.directory import Organisation, PartnerSystem, Professional, Team
from eenplan.domain.intake.activity import Activity

T = TypeVar("T")
RERUN: Recovery[Any] = Recovery(rerun_safe=True)
UNLESS_RECORDED: Recovery[Any] = Recovery(recall=lambda recorded: None)


def recall(container: Services, rebuild: Callable[[Any, list[Recorded]], T | None]) -> Recovery[T]:
    """Recover from the events recorded, with `rebuild(app, recorded)`."""
    return Recovery(recall=lambda recorded: rebuild(container.eenplan, recorded))


def recall_latest(container: Services, kind: type[T]) -> Recovery[T]:
    """Recover the `kind` aggregate the command created or changed, as it left it."""
    return Recovery(recall=lambda recorded: latest(container.eenplan, recorded, kind))


def help_request_created(outcome: TriageOutcome) -> Reply:
    body = HelpRequestCreated(
        request_id=outcome.request_id, version=outcome.version, position=outcome.position
    )
    return created(body, f"/help-requests/{outcome.request_id}")


def triage_result(outcome: TriageOutcome) -> Reply:
    return ok(TriageResult.model_validate(outcome, from_attributes=True))


def signal_posted(result: dict[str, Any]) -> Reply:
    return created(SignalPosted.model_validate(result))


def activity_public(a: Activity) -> ActivityPublic:
    return ActivityPublic(
        id=a.key,
        tenant=a.tenant,
        name=a.name,
        provider=a.provider,
        topics=a.topics,
        location=a.location,
        times=a.times,
        referrals=a.referrals,
    )


def activity_created(a: Activity) -> Reply:
    return created(activity_public(a), f"/activities/{a.key}")


def referral_created(a: Activity) -> Reply:
    return created(activity_public(a))


def organisation_public(o: Organisation) -> OrganisationPublic:
    return OrganisationPublic(id=o.key, name=o.name, kind=o.kind, tenants=o.tenants)


def professional_public(p: Professional) -> ProfessionalPublic:
    return ProfessionalPublic(
        id=p.key,
        organisation_id=p.organisation_id,
        name=p.name,
        disciplines=p.disciplines,
        expertise=p.expertise,
        team_ids=p.team_ids,
        capacity=p.capacity,
        active=not p.left,
    )


def system_public(s: PartnerSystem) -> SystemPublic:
    return SystemPublic(id=s.key, organisation_id=s.organisation_id, name=s.name, active=not s.retired)


def team_public(t: Team) -> TeamPublic:
    return TeamPublic(id=t.key, name=t.name, tenant=t.tenant, areas=t.areas)
