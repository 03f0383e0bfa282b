"""Intake commands: a help request, its triage steps, a signal, an activity.

Validated before the domain sees them, like `domain.commands`. Rules that depend
on a request's state (it is already resolved, a reason is missing) are checked
by the aggregate.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, ConfigDict, Field, StringConstraints, model_validator

from eenplan.domain.commands import (
    BirthDate,
    Bsn,
    Id,
    Model,
    Name,
    OpenPlan,
    TenantCode,
    Text,
    _no_control_characters,
)
from eenplan.domain.intake.values import Channel, SignalType, Topic

Phone = Annotated[str, StringConstraints(strip_whitespace=True, pattern=r"^\+?[0-9 ()-]{6,20}$")]
Email = Annotated[
    str,
    StringConstraints(strip_whitespace=True, pattern=r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{2,}$"),
    AfterValidator(_no_control_characters),
]
Topics = Annotated[list[Topic], Field(min_length=1, max_length=8)]


class Contact(Model):
    given_name: Name
    family_name: Name
    phone: Phone | None = None
    email: Email | None = None


class SubmitHelpRequest(Model):
    """The body of `POST /help-requests`."""

    command_id: Id | None = None
    tenant: TenantCode
    channel: Channel
    location: Name | None = None
    area: Name | None = None
    topics: Topics
    summary: Text
    contact: Contact

    @model_validator(mode="after")
    def _walk_in_names_its_location(self) -> SubmitHelpRequest:
        if self.channel == Channel.WALK_IN and not self.location:
            raise ValueError("a walk-in request names the location where the person walked in")
        return self


class TriageCommand(Model):
    command_id: Id | None = None


class Assign(TriageCommand):
    type: Literal["assign"]
    professional_id: Id
    reason: Text | None = None


class RecordFirstContact(TriageCommand):
    type: Literal["record_first_contact"]


class ResolveSimple(TriageCommand):
    type: Literal["resolve_simple"]
    what_was_done: Text


class Refer(TriageCommand):
    # Exactly one of the two, as the validator below checks; said in the schema for clients.
    model_config = ConfigDict(
        json_schema_extra={
            "oneOf": [
                {"required": ["activity_id"], "properties": {"activity_id": {"type": "string"}}},
                {"required": ["organisation_id"], "properties": {"organisation_id": {"type": "string"}}},
            ]
        }
    )

    type: Literal["refer"]
    activity_id: Id | None = None
    organisation_id: Id | None = None

    @model_validator(mode="after")
    def _one_target(self) -> Refer:
        if (self.activity_id is None) == (self.organisation_id is None):
            raise ValueError("refer to exactly one of activity_id or organisation_id")
        return self


class OpenPlanFromRequest(OpenPlan):
    """`open_plan`: the `POST /plans` body; the plan's history links back to the request."""

    type: Literal["open_plan"]


HelpRequestCommand = Annotated[
    Assign | RecordFirstContact | ResolveSimple | Refer | OpenPlanFromRequest,
    Field(discriminator="type"),
]


class Person(Model):
    given_name: Name
    family_name: Name
    birth_date: BirthDate
    bsn: Bsn | None = None


class PostSignal(Model):
    """The body of `POST /signals`: who, which type, and where they live; no content."""

    command_id: Id | None = None
    tenant: TenantCode
    type: SignalType
    person: Person
    area: Name | None = None


class RegisterActivity(Model):
    """A welfare activity of the sociale kaart."""

    id: Id
    name: Name
    provider: Name
    topics: Topics
    location: Name
    times: Name
    tenant: TenantCode | None = None


class ReferPlan(Model):
    """The body of `POST /activities/{id}/referrals`: a plan's household is referred to the activity."""

    command_id: Id | None = None
    plan_id: Id
