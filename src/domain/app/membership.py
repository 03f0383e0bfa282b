"""Who works where, over time: professionals move and leave, partner systems are registered and retire.

The API checks every token against these entries (a token's `sub` must be a current
professional or partner system of its `org`), so a move, a departure or a retirement
ends what a token naming them may do. Their history stays: plans keep the ids.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.persistence import IntegrityError

from eenplan.domain import errors
from eenplan.domain.context import Actor, CommandContext
from eenplan.domain.directory import (
    MoveProfessional,
    Organisation,
    PartnerSystem,
    Professional,
    ProfessionalLeaves,
    RegisterSystem,
    RetireSystem,
    directory_id,
)


@dataclass(frozen=True)
class Member:
    """What the directory says about a token's subject right now."""

    kind: str  # "professional" or "system"
    organisation_id: str
    active: bool


class DirectoryMembership:
    repository: Repository[UUID]
    save: Any
    organisation: Any
    team: Any
    _register: Any
    # Bumped on every directory change this process saves, so caches here notice at once.
    directory_changes: int = 0

    # --- queries -----------------------------------------------------------------------

    def member(self, key: str) -> Member | None:
        """The professional or partner system with this id, or None when there is neither."""
        found = self._get("professional", key) or self._get("system", key)
        if isinstance(found, Professional):
            return Member("professional", found.organisation_id, not found.left)
        if isinstance(found, PartnerSystem):
            return Member("system", found.organisation_id, not found.retired)
        return None

    def organisation_tenants(self, key: str) -> frozenset[str] | None:
        """The tenants an organisation serves, or None when it is not registered."""
        org = self._get("organisation", key)
        return frozenset(org.tenants) if isinstance(org, Organisation) else None

    def tenants_with_organisations(self) -> frozenset[str]:
        """Tenants with at least one registered organisation (the others are still being set up)."""
        index = self._get_index()
        keys = index.entries.get("organisation", []) if index is not None else []
        return frozenset(t for key in keys for t in (self.organisation_tenants(key) or ()))

    def system(self, key: str) -> PartnerSystem:
        found = self._get("system", key)
        if not isinstance(found, PartnerSystem):
            raise errors.UnknownReferenceError(f"unknown partner system {key}")
        return found

    def _get(self, kind: str, key: str) -> Any:
        try:
            return self.repository.get(directory_id(kind, key))
        except AggregateNotFoundError:
            return None

    def _get_index(self) -> Any:
        return self._get("index", "directory")

    # --- commands ----------------------------------------------------------------------

    def register_system(
        self, ctx: CommandContext, organisation_id: str, cmd: RegisterSystem
    ) -> PartnerSystem:
        self.organisation(organisation_id)
        system = PartnerSystem(key=cmd.id, organisation_id=organisation_id, name=cmd.name, meta=ctx.meta())
        self._register("system", system)
        return system

    def change_professional(self, ctx: CommandContext, key: str, cmd: Any) -> Professional:
        """Move the professional to another organisation, or record that they left."""
        professional: Professional = self._addressed(ctx.actor, "professional", key)
        if isinstance(cmd, MoveProfessional):
            self._check_teams(ctx.actor, cmd.organisation_id, cmd.team_ids)
            professional.move(cmd.organisation_id, cmd.team_ids, ctx.meta())
        elif isinstance(cmd, ProfessionalLeaves):
            if professional.left:
                raise errors.RuleViolationError(f"professional {key} has already left")
            professional.leave(cmd.reason, ctx.meta())
        return self._save_change(professional)

    def retire_system(self, ctx: CommandContext, key: str, cmd: RetireSystem) -> PartnerSystem:
        system: PartnerSystem = self._addressed(ctx.actor, "system", key)
        if system.retired:
            raise errors.RuleViolationError(f"partner system {key} is already retired")
        system.retire(cmd.reason, ctx.meta())
        return self._save_change(system)

    def _addressed(self, actor: Actor, kind: str, key: str) -> Any:
        """The entry a path names; one the caller's tenants do not see is not found, as an unknown one."""
        entry = self._get(kind, key)
        tenants = self.organisation_tenants(entry.organisation_id) if entry is not None else None
        if not (tenants or frozenset()) & actor.tenants:
            label = "partner system" if kind == "system" else kind
            raise errors.NotFoundError(f"{label} {key} not found")
        return entry

    def _check_teams(self, actor: Actor, organisation_id: str, team_ids: list[str]) -> None:
        tenants = self.organisation_tenants(organisation_id)
        if not (tenants or frozenset()) & actor.tenants:
            # Said as for an unknown one: other tenants' directories are not the caller's to probe.
            raise errors.UnknownReferenceError(f"unknown organisation {organisation_id}")
        for team_id in team_ids:
            team = self.team(team_id)
            if not actor.serves(team.tenant):
                raise errors.UnknownReferenceError(f"unknown team {team_id}")
            if team.tenant not in (tenants or frozenset()):
                raise errors.UnknownReferenceError(
                    f"team {team_id} serves {team.tenant}, which organisation {organisation_id} does not"
                )

    def _save_change(self, entry: Any) -> Any:
        try:
            self.save(entry)
        except IntegrityError:
            raise errors.ConcurrencyError("the directory entry changed meanwhile; try again") from None
        self.directory_changes += 1
        return entry
