"""The HouseholdPlan aggregate: one household, one plan, one regisseur.

Each public method is a command. It checks the rules, raising a named domain
error before anything changes, and then triggers past-tense events from
`domain.plan.events`. The commands come in groups: the care team and its
regisseur (`team.py`), goals, agreements and risk (`work.py`), and here the
household itself, consent, notes, conferences, closing, moves and erasure.
Directory facts (does this professional exist, which organisation is theirs)
are resolved by the application and passed in, so the aggregate does no I/O.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from eventsourcing.domain import Aggregate

from eenplan.domain import errors
from eenplan.domain.commands import NO_FIXED_ADDRESS, Address, Member, NoFixedAddress, OpenPlan
from eenplan.domain.context import CommandContext, ProfessionalRef
from eenplan.domain.plan import events as ev
from eenplan.domain.plan.consent import check_givers
from eenplan.domain.plan.proposals import ProposalCommands
from eenplan.domain.plan.state import new_id
from eenplan.domain.plan.team import CareTeamCommands
from eenplan.domain.plan.work import WorkCommands
from eenplan.domain.values import DataCategory


def address_record(address: Address | NoFixedAddress | None) -> dict[str, Any]:
    """Always a dict with its `kind`: `none` is recorded, not left out, so views can say so."""
    return (address or NO_FIXED_ADDRESS).model_dump(mode="json")


def member_record(member: Member) -> dict[str, Any]:
    record = member.model_dump(mode="json")
    record["member_id"] = member.member_id or new_id()
    return record


class HouseholdPlan(CareTeamCommands, ProposalCommands, WorkCommands, Aggregate):
    # v2: the address has a `kind`; snapshots taken before it get one on loading.
    class_version = 2
    upcast_v1_v2 = staticmethod(ev.with_address_kind)

    def __init__(self) -> None:
        """State comes from `Opened.apply`; see `open`."""

    @classmethod
    def open(cls, ctx: CommandContext, cmd: OpenPlan, help_request_id: str | None = None) -> HouseholdPlan:
        members = [member_record(m) for m in cmd.household.members]
        if len({m["member_id"] for m in members}) != len(members):
            raise errors.MemberError("member ids must be unique within the household")
        return cls._create(
            ev.Opened,
            meta=ctx.meta(),
            tenant=cmd.tenant,
            team_id=cmd.team_id,
            legal_basis=cmd.legal_basis.value,
            members=members,
            address=address_record(cmd.household.address),
            reason=cmd.reason,
            help_request_id=help_request_id,
        )

    # --- household -------------------------------------------------------------------

    def add_member(self, ctx: CommandContext, member: Member) -> None:
        record = member_record(member)
        if record["member_id"] in self.members:
            raise errors.MemberError(f"member {record['member_id']} is already in the household")
        self._emit(ctx, ev.MemberAdded, member=record)

    def remove_member(self, ctx: CommandContext, member_id: str, reason: str) -> None:
        self._check_member(member_id)
        if len(self.members) == 1:
            raise errors.MemberError("a household keeps at least one member")
        self._emit(ctx, ev.MemberRemoved, member_id=member_id, reason=reason)

    def correct_member(
        self, ctx: CommandContext, member_id: str, corrections: dict[str, Any], reason: str
    ) -> None:
        self._check_member(member_id)
        if not corrections:
            raise errors.MemberError("a correction names at least one field to correct")
        self._emit(ctx, ev.MemberCorrected, member_id=member_id, corrections=corrections, reason=reason)

    def change_address(self, ctx: CommandContext, address: Address | NoFixedAddress | None) -> None:
        self._emit(ctx, ev.AddressChanged, address=address_record(address))

    # --- consent, notes, conferences, closing ----------------------------------------

    def record_consent(
        self,
        ctx: CommandContext,
        organisation_id: str,
        categories: list[str],
        purpose: str,
        given_by: list[str],
        concerning: list[str] | None,
        valid_until: date | None,
    ) -> str:
        if organisation_id == ctx.actor.org:
            raise errors.NotAllowedError(
                "consent is recorded on the household's behalf, never by the organisation that receives it"
            )
        check_givers(self.members, concerning or list(self.members), given_by, ctx.today)
        consent_id = new_id()
        self._emit(
            ctx,
            ev.ConsentRecorded,
            consent_id=consent_id,
            organisation_id=organisation_id,
            categories=sorted({str(c) for c in categories}),
            purpose=purpose,
            given_by=sorted(set(given_by)),
            concerning=sorted(set(concerning)) if concerning else None,
            valid_until=valid_until.isoformat() if valid_until else None,
        )
        return consent_id

    def withdraw_consent(self, ctx: CommandContext, consent_id: str) -> None:
        consent = self.consents.get(consent_id)
        if consent is None or consent["status"] != "active":
            raise errors.ConsentError(f"no active consent {consent_id}")
        self._emit(ctx, ev.ConsentWithdrawn, consent_id=consent_id)

    def add_note(self, ctx: CommandContext, category: DataCategory, text: str) -> str:
        note_id = new_id()
        self._emit(ctx, ev.NoteAdded, note_id=note_id, category=DataCategory(category).value, text=text)
        return note_id

    def hold_case_conference(
        self, ctx: CommandContext, held_on: date, attendees: list[str], decisions: list[str]
    ) -> None:
        unknown = [a for a in attendees if a not in self.care_team and a not in self.members]
        if unknown:
            raise errors.ConferenceError(
                f"attendees must be on the care team or in the household: {', '.join(unknown)}"
            )
        self._emit(
            ctx,
            ev.CaseConferenceHeld,
            conference_id=new_id(),
            held_on=held_on.isoformat(),
            attendees=list(attendees),
            decisions=list(decisions),
        )

    def close_plan(self, ctx: CommandContext, reason: str) -> None:
        self._emit(ctx, ev.PlanClosed, reason=reason)

    def reopen_plan(self, ctx: CommandContext, reason: str) -> None:
        if self.status != "closed":
            raise errors.PlanNotClosedError()
        self._trigger(ctx, ev.PlanReopened, reason=reason)

    # --- reorganisation --------------------------------------------------------------

    def move_to_team(
        self,
        ctx: CommandContext,
        reorganisation_id: str,
        to_team_id: str,
        new_regisseur: ProfessionalRef | None = None,
    ) -> None:
        """Move to another team; closed plans move too, so their history stays with the team."""
        if to_team_id == self.team_id:
            raise errors.ReorganisationError(f"the plan is already in team {to_team_id}")
        regisseur = None
        if new_regisseur is not None and new_regisseur.professional_id != self.regisseur_id:
            regisseur = {
                "professional_id": new_regisseur.professional_id,
                "organisation_id": new_regisseur.organisation_id,
            }
        self._trigger(
            ctx,
            ev.PlanMovedToTeam,
            reorganisation_id=reorganisation_id,
            from_team_id=self.team_id,
            to_team_id=to_team_id,
            regisseur=regisseur,
        )

    def record_erasure(
        self, ctx: CommandContext, receipt_id: str, member_ids: list[str], household: bool, legal_ground: str
    ) -> None:
        """Erasure applies to closed plans too: retention runs on closed plans."""
        self._trigger(
            ctx,
            ev.PersonalDataErased,
            receipt_id=receipt_id,
            member_ids=sorted(member_ids),
            household=household,
            legal_ground=legal_ground,
        )
