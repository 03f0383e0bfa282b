"""Commands: what a caller asks of a household plan, validated before the domain sees it.

Each command is a pydantic model with a literal `type`; `PlanCommand` is their
discriminated union, so the API and the CloudEvents intake parse one shape.
Values are checked here (BSN elfproef, postal code, enums, lengths); rules that
depend on the plan's state are checked by the aggregate.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StringConstraints,
    Tag,
    WithJsonSchema,
    field_validator,
)

from eenplan.domain.values import (
    POSTAL_CODE,
    DataCategory,
    GoalOutcome,
    LegalBasis,
    LifeDomain,
    MemberRole,
    RiskLevel,
    is_valid_bsn,
    normalise_postal_code,
)

CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _no_control_characters(value: str) -> str:
    # NUL and other control characters have no place in a plan, and some stores refuse them.
    if CONTROL_CHARACTERS.search(value):
        raise ValueError("control characters (such as NUL) are not allowed in text")
    return value


Id = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")]
# What the schema says of free text, as the checks do: no control characters, and not only spaces
# (text is stripped, then must not be empty). Stated for clients; the validators do the checking.
_ALLOWED = r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
_VISIBLE = r"[^\s\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"
TEXT_SCHEMA: dict[str, Any] = {"pattern": f"^{_ALLOWED}*{_VISIBLE}{_ALLOWED}*$"}
Name = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=200),
    AfterValidator(_no_control_characters),
    Field(json_schema_extra=TEXT_SCHEMA),
]
Text = Annotated[
    str,
    StringConstraints(strip_whitespace=True, min_length=1, max_length=10_000),
    AfterValidator(_no_control_characters),
    Field(json_schema_extra=TEXT_SCHEMA),
]
# Nobody alive was born before this; an earlier date is a typo (1090 for 1990).
EARLIEST_BIRTH_DATE = date(1900, 1, 1)
TenantCode = Annotated[str, StringConstraints(pattern=r"^GM[0-9]{4}$")]


def _check_bsn(value: str) -> str:
    if not is_valid_bsn(value):
        raise ValueError("a BSN has 9 digits and passes the elfproef")
    return value


def _check_postal_code(value: str) -> str:
    if not POSTAL_CODE.match(value.strip().upper()):
        raise ValueError("a Dutch postal code looks like '1234 AB'")
    return normalise_postal_code(value.strip())


def _not_in_future(value: date) -> date:
    if value > date.today():
        raise ValueError("a birth date cannot be in the future")
    if value < EARLIEST_BIRTH_DATE:
        raise ValueError("a birth date before 1900 is a typing error")
    return value


Bsn = Annotated[str, AfterValidator(_check_bsn)]
# The schema states the rule the validator checks (clients see it in the OpenAPI document); the
# validator also takes lower case and trims spaces, and stores the normal form "1234 AB".
POSTAL_CODE_SCHEMA = {
    "type": "string",
    "pattern": r"^[1-9][0-9]{3} ?(?![Ss][AaDdSs])[A-Za-z]{2}$",
    "description": "a Dutch postal code, e.g. 1234 AB (not SA, SD or SS)",
    "examples": ["1234 AB"],
}
PostalCode = Annotated[str, AfterValidator(_check_postal_code), WithJsonSchema(POSTAL_CODE_SCHEMA)]
BirthDate = Annotated[date, AfterValidator(_not_in_future)]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _not_a_bsn(value: str) -> str:
    # Member ids are stored in clear (they key erasure and the processing log); a BSN must not be one.
    if len(value) == 9 and value.isdigit():
        raise ValueError("a member id must not look like a BSN (9 digits): member ids are stored in clear")
    return value


class Member(Model):
    member_id: Annotated[Id, AfterValidator(_not_a_bsn)] | None = None
    given_name: Name
    family_name: Name
    birth_date: BirthDate
    bsn: Bsn | None = None
    role: MemberRole


class Address(Model):
    """Where the household lives (`residential`, the default), or only receives post (`postal`: a
    briefadres, for people without a home of their own, registered at a shelter or a relative)."""

    kind: Literal["residential", "postal"] = "residential"
    street: Name
    house_number: Annotated[
        str,
        StringConstraints(strip_whitespace=True, min_length=1, max_length=20),
        AfterValidator(_no_control_characters),
    ]
    postal_code: PostalCode
    city: Name


class NoFixedAddress(Model):
    """The household has no fixed address, not even a postal one (dak- en thuisloos)."""

    kind: Literal["none"]


def _address_kind(value: Any) -> str:
    kind = value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)
    return "none" if kind == "none" else "address"


# An address without `kind` is a residential one, as every address was before kinds existed.
HouseholdAddress = Annotated[
    Annotated[Address, Tag("address")] | Annotated[NoFixedAddress, Tag("none")],
    Discriminator(_address_kind),
]
NO_FIXED_ADDRESS = NoFixedAddress(kind="none")


class Household(Model):
    members: list[Member] = Field(min_length=1, max_length=30)
    # Left out or null: no fixed address.
    address: HouseholdAddress | None = None


class SecondPlan(Model):
    reason: Text


class OpenPlan(Model):
    """The body of `POST /plans`."""

    command_id: Id | None = None
    tenant: TenantCode
    team_id: Id
    legal_basis: LegalBasis
    household: Household
    reason: Text
    risk_level: RiskLevel | None = None
    regisseur_id: Id | None = None
    # Open beside the household's open plan on purpose (children in co-parenting live in two
    # households): a reason, and the write policy must allow it. Reported to the privacy officer.
    second_plan: SecondPlan | None = None


class Command(Model):
    command_id: Id | None = None


class AddMember(Command):
    type: Literal["add_member"]
    member: Member


class RemoveMember(Command):
    type: Literal["remove_member"]
    member_id: Id
    reason: Text


class CorrectMember(Command):
    type: Literal["correct_member"]
    member_id: Id
    given_name: Name | None = None
    family_name: Name | None = None
    birth_date: BirthDate | None = None
    bsn: Bsn | None = None
    role: MemberRole | None = None
    reason: Text


class ChangeAddress(Command):
    type: Literal["change_address"]
    # Required, but null (or `{"kind": "none"}`) says the household no longer has a fixed address.
    address: HouseholdAddress | None


class AssignRegisseur(Command):
    type: Literal["assign_regisseur"]
    professional_id: Id


class ProposeHandover(Command):
    type: Literal["propose_handover"]
    to_professional_id: Id
    note: Text


class AcceptHandover(Command):
    type: Literal["accept_handover"]


class DeclineHandover(Command):
    type: Literal["decline_handover"]
    reason: Text


class JoinCareTeam(Command):
    type: Literal["join_care_team"]
    professional_id: Id
    role: Name


class AcceptProposal(Command):
    """A professional, or their organisation, accepts joining the care team or an agreement."""

    type: Literal["accept_proposal"]
    proposal_id: Id


class DeclineProposal(Command):
    type: Literal["decline_proposal"]
    proposal_id: Id
    reason: Text


class AcceptJoinRequest(Command):
    """The regisseur (or a team lead) lets a professional who found this plan by a match join."""

    type: Literal["accept_join_request"]
    proposal_id: Id


class DeclineJoinRequest(Command):
    type: Literal["decline_join_request"]
    proposal_id: Id
    reason: Text


class ProposeMerge(Command):
    """Propose that this plan and another of the same household become one; `into` is the one
    that stays (`this` or `other`). The other plan's regisseur accepts or declines."""

    type: Literal["propose_merge"]
    other_plan_id: Id
    into: Literal["this", "other"]
    reason: Text


class AcceptMerge(Command):
    type: Literal["accept_merge"]
    proposal_id: Id


class DeclineMerge(Command):
    type: Literal["decline_merge"]
    proposal_id: Id
    reason: Text


class SplitHousehold(Command):
    """Members leave the household (a young adult moves out, parents separate): a plan is opened
    for them, with the goals and agreements that are theirs; the histories link."""

    type: Literal["split_household"]
    member_ids: list[Id] = Field(min_length=1, max_length=29)
    goal_ids: list[Id] = Field(default_factory=list, max_length=200)
    agreement_ids: list[Id] = Field(default_factory=list, max_length=500)
    team_id: Id | None = None  # the new plan's team; the same team when left out
    regisseur_id: Id | None = None  # the new plan's regisseur; the caller when left out
    address: HouseholdAddress | None = None  # where the members who leave live now
    reason: Text


class LeaveCareTeam(Command):
    type: Literal["leave_care_team"]
    professional_id: Id
    reason: Text


class GrantMandate(Command):
    type: Literal["grant_mandate"]
    organisation_id: Id
    scope: Literal["all"] | Annotated[list[Id], Field(min_length=1, max_length=200)]
    valid_until: date | None = None


class RevokeMandate(Command):
    type: Literal["revoke_mandate"]
    mandate_id: Id
    reason: Text


class SetGoal(Command):
    type: Literal["set_goal"]
    goal_id: Id | None = None
    life_domain: LifeDomain
    description: Text
    target_date: date | None = None


class RecordProgress(Command):
    type: Literal["record_progress"]
    goal_id: Id
    score: Annotated[int, Field(ge=1, le=5, strict=True)]
    note: Text | None = None


class CloseGoal(Command):
    type: Literal["close_goal"]
    goal_id: Id
    outcome: GoalOutcome
    note: Text | None = None


class OrganisationResponsible(Model):
    organisation_id: Id
    professional_id: Id | None = None


class MemberResponsible(Model):
    member_id: Id


class MakeAgreement(Command):
    type: Literal["make_agreement"]
    agreement_id: Id | None = None
    goal_id: Id | None = None
    responsible: OrganisationResponsible | MemberResponsible
    action: Text
    due_date: date


class CompleteAgreement(Command):
    type: Literal["complete_agreement"]
    agreement_id: Id
    note: Text | None = None


class ReviseAgreement(Command):
    type: Literal["revise_agreement"]
    agreement_id: Id
    action: Text | None = None
    due_date: date | None = None
    reason: Text


class CancelAgreement(Command):
    type: Literal["cancel_agreement"]
    agreement_id: Id
    reason: Text


class AssessRisk(Command):
    type: Literal["assess_risk"]
    level: RiskLevel
    instrument: Name | None = None
    rationale: Text


class RecordConsent(Command):
    type: Literal["record_consent"]
    organisation_id: Id
    categories: Annotated[list[DataCategory], Field(min_length=1)]
    # The id of the processing activity it is for (its purpose): the consent counts for reads
    # of that activity only. See the activities register (src/privacy/activities.yaml).
    purpose: Id
    # Who consented: members who can consent for each member concerned (the Dutch rule for
    # children: under 12 a parent, 12 to 15 the child and a parent, 16 and over the child).
    given_by: Annotated[list[Id], Field(min_length=1, max_length=20)]
    # Whose data it opens; absent: every current member of the household.
    concerning: Annotated[list[Id], Field(min_length=1, max_length=20)] | None = None
    valid_until: date | None = None

    @field_validator("given_by", mode="before")
    @classmethod
    def _one_or_more(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class WithdrawConsent(Command):
    type: Literal["withdraw_consent"]
    consent_id: Id


class AddNote(Command):
    type: Literal["add_note"]
    category: DataCategory
    text: Text


class HoldCaseConference(Command):
    type: Literal["hold_case_conference"]
    held_on: date
    attendees: Annotated[list[Id], Field(min_length=1, max_length=100)]
    decisions: Annotated[list[Text], Field(min_length=1, max_length=100)]


class ClosePlan(Command):
    type: Literal["close_plan"]
    reason: Text


class ReopenPlan(Command):
    type: Literal["reopen_plan"]
    reason: Text


PlanCommand = Annotated[
    AddMember
    | RemoveMember
    | CorrectMember
    | ChangeAddress
    | AssignRegisseur
    | ProposeHandover
    | AcceptHandover
    | DeclineHandover
    | JoinCareTeam
    | AcceptProposal
    | DeclineProposal
    | AcceptJoinRequest
    | DeclineJoinRequest
    | ProposeMerge
    | AcceptMerge
    | DeclineMerge
    | SplitHousehold
    | LeaveCareTeam
    | GrantMandate
    | RevokeMandate
    | SetGoal
    | RecordProgress
    | CloseGoal
    | MakeAgreement
    | CompleteAgreement
    | ReviseAgreement
    | CancelAgreement
    | AssessRisk
    | RecordConsent
    | WithdrawConsent
    | AddNote
    | HoldCaseConference
    | ClosePlan
    | ReopenPlan,
    Field(discriminator="type"),
]

COMMAND_TYPES: tuple[str, ...] = tuple(
    cls.model_fields["type"].annotation.__args__[0]  # type: ignore[union-attr]
    for cls in Command.__subclasses__()
)

MAX_BATCH = 100


class CommandBatch(Model):
    """The body of `POST /plans/{plan_id}/commands:batch`: applied in order, all or nothing."""

    command_id: Id | None = None
    commands: Annotated[list[PlanCommand], Field(min_length=1, max_length=MAX_BATCH)]
