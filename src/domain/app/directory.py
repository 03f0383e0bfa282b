"""Directory commands and queries of the eenplan application."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Repository
from eventsourcing.persistence import IntegrityError

from eenplan.domain import errors
from eenplan.domain.context import Actor, CommandContext, ProfessionalRef
from eenplan.domain.directory import (
    DirectoryIndex,
    Organisation,
    Professional,
    RegisterOrganisation,
    RegisterProfessional,
    RegisterTeam,
    Team,
    directory_id,
)

RETRIES = 20
LABELS = {
    "organisation": "organisation",
    "professional": "professional",
    "team": "team",
    "system": "partner system",
}
SUBJECT_KINDS = {"professional": "system", "system": "professional"}


class DirectoryCommands:
    """Register and look up organisations, professionals and teams."""

    repository: Repository[UUID]
    save: Any
    directory_changes: int

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
        for _ in range(RETRIES):
            self._check_free(kind, entry.key)
            index = self._index()
            index.add(kind, entry.key)
            try:
                self.save(entry, index)
            except IntegrityError:
                continue
            self.directory_changes += 1
            return
        raise errors.ConcurrencyError("the directory is too busy; try again")

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

    def list_entries(self, kind: str) -> list[Any]:
        return [self._entry(kind, key) for key in self._index().entries.get(kind, [])]

    def visible_organisations(self, actor: Actor) -> list[Organisation]:
        return [o for o in self.list_entries("organisation") if set(o.tenants) & actor.tenants]

    def visible_teams(self, actor: Actor) -> list[Team]:
        return [t for t in self.list_entries("team") if t.tenant in actor.tenants]
