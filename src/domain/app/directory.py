"""The directory of the eenplan application: organisations, teams, professionals, partner systems.

Who works where, over time: professionals move and leave, partner systems are registered and
retire. The API checks every token against these entries (a token's `sub` must be a current
professional or partner system of its `org`), so a move, a departure or a retirement ends what
a token naming them may do. Their history stays: plans keep the ids.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from eenplan.domain import errors
from eenplan.domain.app.ports import Conflict, Ports
from eenplan.domain.context import Actor, CommandContext, ProfessionalRef
from eenplan.domain.directory import (
    DirectoryIndex,
    MoveProfessional,
    Organisation,
    PartnerSystem,
    Professional,
    ProfessionalLeaves,
    RegisterOrganisation,
    RegisterProfessional,
    RegisterSystem,
    RegisterTeam,
    RetireSystem,
    Team,
    directory_id,
)

LABELS = {
    "organisation": "organisation",
    "professional": "professional",
    "team": "team",
    "system": "partner system",
}
SUBJECT_KINDS = {"professional": "system", "system": "professional"}


@dataclass(frozen=True)
class Member:
    """What the directory says about a token's subject right now."""

    kind: str  # "professional" or "system"
    organisation_id: str
    active: bool


class Directory:
    """Register and look up organisations, teams, professionals and partner systems."""

    def __init__(self, store: Application[UUID], ports: Ports) -> None:
        self.store = store
        self.repository = store.repository
        self.ports = ports
        # Bumped on every directory change this process saves, so caches here notice at once.
        self.changes = 0

    def register_organisation(self, ctx: CommandContext, cmd: RegisterOrganisation) -> Organisation:
        foreign = sorted(set(cmd.tenants) - ctx.actor.tenants)
        if foreign:
            raise errors.NotAllowedError(f"the caller does not serve tenant {', '.join(foreign)}")
        org = Organisation(
            key=cmd.id,
            name=cmd.name,
            kind=cmd.kind.value,
            tenants=sorted(set(cmd.tenants)),
            meta=ctx.meta(),
        )
        self._register("organisation", org)
        return org

    def register_professional(
        self, ctx: CommandContext, organisation_id: str, cmd: RegisterProfessional
    ) -> Professional:
        org = self.organisation(organisation_id)
        for team_id in cmd.team_ids:
            team = self.team(team_id)
            if not ctx.actor.serves(team.tenant):
                raise errors.UnknownReferenceError(f"unknown team {team_id}")
            if team.tenant not in org.tenants:
                raise errors.UnknownReferenceError(
                    f"team {team_id} serves {team.tenant}, which organisation {organisation_id} does not"
                )
        professional = Professional(
            key=cmd.id,
            organisation_id=organisation_id,
            name=cmd.name,
            disciplines=cmd.disciplines,
            expertise=cmd.expertise,
            team_ids=cmd.team_ids,
            capacity=cmd.capacity,
            meta=ctx.meta(),
        )
        self._register("professional", professional)
        return professional

    def register_team(self, ctx: CommandContext, cmd: RegisterTeam) -> Team:
        if not ctx.actor.serves(cmd.tenant):
            raise errors.NotAllowedError(f"the caller does not serve tenant {cmd.tenant}")
        team = Team(key=cmd.id, name=cmd.name, tenant=cmd.tenant, areas=cmd.areas, meta=ctx.meta())
        self._register("team", team)
        return team

    def _register(self, kind: str, entry: Any) -> None:
        """Save the entry and its index line atomically; a taken id is refused by the store.

        Every registration also saves the index, so registrations take turns: the check that a
        token subject's id is not both a professional and a partner system cannot be raced.
        """

        def attempt() -> None:
            self._check_free(kind, entry.key)
            index = self._index()
            index.add(kind, entry.key)
            try:
                self.store.save(entry, index)
            except IntegrityError:
                raise Conflict("the directory is too busy; try again") from None

        self.ports.writes.run("directory", attempt)
        self.changes += 1

    def _check_free(self, kind: str, key: str) -> None:
        if directory_id(kind, key) in self.repository:
            raise errors.AlreadyExistsError(f"{LABELS[kind]} {key} already exists")
        # A token's `sub` names a professional or a partner system: one id, one of them.
        other = SUBJECT_KINDS.get(kind)
        if other is not None and directory_id(other, key) in self.repository:
            raise errors.AlreadyExistsError(f"id {key} is already registered as a {LABELS[other]}")

    def _index(self) -> DirectoryIndex:
        try:
            index: DirectoryIndex = self.repository.get(DirectoryIndex.ID)
        except AggregateNotFoundError:
            index = DirectoryIndex._create(DirectoryIndex.Started, id=DirectoryIndex.ID)  # type: ignore[attr-defined]
        return index

    def _entry(self, kind: str, key: str) -> Any:
        try:
            return self.repository.get(directory_id(kind, key))
        except AggregateNotFoundError:
            raise errors.UnknownReferenceError(f"unknown {kind} {key}") from None

    def organisation(self, key: str) -> Organisation:
        entry: Organisation = self._entry("organisation", key)
        return entry

    def organisation_in(self, key: str, tenant: str) -> Organisation:
        """An organisation that serves `tenant`; one that does not is unknown to the tenant's plans."""
        org = self.organisation(key)
        if tenant not in org.tenants:
            # Said as for an unknown one: other tenants' directories are not the caller's to probe.
            raise errors.UnknownReferenceError(f"unknown organisation {key}")
        return org

    def professional(self, key: str) -> Professional:
        entry: Professional = self._entry("professional", key)
        return entry

    def team(self, key: str) -> Team:
        entry: Team = self._entry("team", key)
        return entry

    def professional_ref(self, key: str, tenant: str | None = None) -> ProfessionalRef:
        """A professional, checked to work for an organisation that serves `tenant`."""
        professional = self.professional(key)
        if tenant is not None and tenant not in self.organisation(professional.organisation_id).tenants:
            # Said as for an unknown one: other tenants' directories are not the caller's to probe.
            raise errors.UnknownReferenceError(f"unknown professional {key}")
        if professional.left:
            raise errors.UnknownReferenceError(f"professional {key} has left their organisation")
        return ProfessionalRef(key, professional.organisation_id, tuple(professional.team_ids))

    def current_team_ids(self, team_ids: Iterable[str]) -> set[str]:
        """These teams and every team they were merged or split into, however many times.

        A reorganisation dissolves teams but does not re-register their people, so a
        professional's registered teams lead, through this, to the teams they work in now.
        """
        found: set[str] = set()
        todo = list(team_ids)
        while todo:
            key = todo.pop()
            if key in found:
                continue
            found.add(key)
            try:
                into = self.team(key).dissolved_into
            except errors.UnknownReferenceError:
                continue
            todo.extend(into.split(",") if into else [])
        return found

    def teams_of(self, actor: Actor) -> set[str]:
        """The teams the caller works in now; none for a partner system or an unknown professional."""
        try:
            return self.current_team_ids(self.professional(actor.professional_id).team_ids)
        except errors.UnknownReferenceError:
            return set()

    def list_entries(self, kind: str) -> list[Any]:
        return [self._entry(kind, key) for key in self._index().entries.get(kind, [])]

    def visible_organisations(self, actor: Actor) -> list[Organisation]:
        return [o for o in self.list_entries("organisation") if set(o.tenants) & actor.tenants]

    def visible_teams(self, actor: Actor) -> list[Team]:
        return [t for t in self.list_entries("team") if t.tenant in actor.tenants]

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
            self.store.save(entry)
        except IntegrityError:
            raise errors.ConcurrencyError("the directory entry changed meanwhile; try again") from None
        self.changes += 1
        return entry
