"""The directory: organisations, professionals, partner systems and teams, event-sourced.

Each entry is its own aggregate with a name-based UUID, so registering an id
twice collides in the store instead of silently overwriting. `DirectoryIndex`
keeps the list of ids per kind, for listing without scanning the event log.
Professionals move between organisations and leave; partner systems retire.
Tokens are checked against these entries, so those events end a caller's access.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event
from pydantic import Field

from eenplan.domain.commands import Id, Model, Name, TenantCode
from eenplan.domain.values import OrganisationKind

_NAMESPACE = uuid5(NAMESPACE_URL, "https://eenplan.nl/directory")


def directory_id(kind: str, key: str) -> UUID:
    """The aggregate id of a directory entry, derived from its kind and client-chosen id."""
    return uuid5(_NAMESPACE, f"{kind}:{key}")


class RegisterOrganisation(Model):
    id: Id
    name: Name
    kind: OrganisationKind
    tenants: Annotated[list[TenantCode], Field(min_length=1, max_length=50)]


class RegisterProfessional(Model):
    id: Id
    name: Name
    disciplines: Annotated[list[Name], Field(max_length=20)] = []
    expertise: Annotated[list[Name], Field(max_length=50)] = []
    team_ids: Annotated[list[Id], Field(max_length=20)] = []
    capacity: Annotated[int, Field(ge=0, le=500)] = 0


class RegisterSystem(Model):
    """A partner organisation's system that posts commands and events for its professionals."""

    id: Id
    name: Name


class MoveProfessional(Model):
    """The professional now works for another organisation (or returns after leaving)."""

    type: Literal["move"]
    organisation_id: Id
    team_ids: Annotated[list[Id], Field(max_length=20)] = []


class ProfessionalLeaves(Model):
    type: Literal["leave"]
    reason: Name


class RetireSystem(Model):
    type: Literal["retire"]
    reason: Name


ProfessionalCommand = Annotated[MoveProfessional | ProfessionalLeaves, Field(discriminator="type")]


class RegisterTeam(Model):
    id: Id
    name: Name
    tenant: TenantCode
    areas: Annotated[list[Name], Field(max_length=200)] = []


class Organisation(Aggregate):
    @staticmethod
    def create_id(key: str) -> UUID:
        return directory_id("organisation", key)

    @event("Registered")
    def __init__(self, key: str, name: str, kind: str, tenants: list[str], meta: dict[str, Any]):
        self.key = key
        self.name = name
        self.kind = kind
        self.tenants = list(tenants)


class Professional(Aggregate):
    @staticmethod
    def create_id(key: str) -> UUID:
        return directory_id("professional", key)

    @event("Registered")
    def __init__(
        self,
        key: str,
        organisation_id: str,
        name: str,
        disciplines: list[str],
        expertise: list[str],
        team_ids: list[str],
        capacity: int,
        meta: dict[str, Any],
    ):
        self.key = key
        self.organisation_id = organisation_id
        self.name = name
        self.disciplines = list(disciplines)
        self.expertise = list(expertise)
        self.team_ids = list(team_ids)
        self.capacity = capacity

    # A professional registered before departures existed has not left.
    left: bool = False

    def move(self, organisation_id: str, team_ids: list[str], meta: dict[str, Any]) -> None:
        self._move(self.key, organisation_id, team_ids, meta)

    def leave(self, reason: str, meta: dict[str, Any]) -> None:
        """No longer works for the organisation: their tokens stop matching, their history stays."""
        self._leave(self.key, reason, meta)

    # The events carry the key, so a projection finds the professional's row by it.

    @event("Moved")
    def _move(self, key: str, organisation_id: str, team_ids: list[str], meta: dict[str, Any]) -> None:
        self.organisation_id = organisation_id
        self.team_ids = list(team_ids)
        self.left = False

    @event("Left")
    def _leave(self, key: str, reason: str, meta: dict[str, Any]) -> None:
        self.left = True


class PartnerSystem(Aggregate):
    @staticmethod
    def create_id(key: str) -> UUID:
        return directory_id("system", key)

    @event("Registered")
    def __init__(self, key: str, organisation_id: str, name: str, meta: dict[str, Any]):
        self.key = key
        self.organisation_id = organisation_id
        self.name = name

    retired: bool = False

    @event("Retired")
    def retire(self, reason: str, meta: dict[str, Any]) -> None:
        self.retired = True


class Team(Aggregate):
    @staticmethod
    def create_id(key: str) -> UUID:
        return directory_id("team", key)

    @event("Registered")
    def __init__(self, key: str, name: str, tenant: str, areas: list[str], meta: dict[str, Any]):
        self.key = key
        self.name = name
        self.tenant = tenant
        self.areas = list(areas)

    # A team registered before reorganisations existed has not been dissolved.
    dissolved_into: str | None = None

    @event("AreasReassigned")
    def reassign_areas(self, areas: list[str], reorganisation_id: str, meta: dict[str, Any]) -> None:
        self.areas = list(areas)

    @event("Dissolved")
    def dissolve(self, into: list[str], reorganisation_id: str, meta: dict[str, Any]) -> None:
        """Merged or split away: the team stays in the directory, for the history of its plans."""
        self.dissolved_into = ",".join(into)


class DirectoryIndex(Aggregate):
    """The ids registered so far, per kind of entry."""

    ID = directory_id("index", "directory")

    @event("Started")
    def __init__(self) -> None:
        self.entries: dict[str, list[str]] = {"organisation": [], "professional": [], "team": []}

    @event("EntryAdded")
    def add(self, kind: str, key: str) -> None:
        # An index started before partner systems were registered has no list for them yet.
        self.entries.setdefault(kind, []).append(key)
