"""Who is acting, and the circumstances of one command."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

from eenplan.domain.values import Role


@dataclass(frozen=True)
class Actor:
    """The authenticated caller: a professional, or a system acting for one."""

    sub: str
    org: str
    roles: frozenset[str] = frozenset()
    tenants: frozenset[str] = frozenset()
    acting_for: str | None = None

    @property
    def professional_id(self) -> str:
        """The person responsible: the professional a partner system acts for, else the caller."""
        return self.acting_for or self.sub

    def has_role(self, role: Role) -> bool:
        return role.value in self.roles

    def serves(self, tenant: str) -> bool:
        return tenant in self.tenants


@dataclass(frozen=True)
class CommandContext:
    """One command's actor, ids for audit and tracing, and the day it is judged on."""

    actor: Actor
    command_id: str
    trace_id: str | None = None
    today: date = field(default_factory=date.today)
    extra: dict[str, Any] = field(default_factory=dict)

    def with_command_id(self, command_id: str | None) -> CommandContext:
        """The same context under the client's own command id (body `command_id`), if it gave one."""
        return replace(self, command_id=command_id) if command_id else self

    def meta(self) -> dict[str, Any]:
        """What every event records about its cause."""
        return {
            "sub": self.actor.sub,
            "org": self.actor.org,
            "acting_for": self.actor.acting_for,
            "roles": sorted(self.actor.roles),
            "command_id": self.command_id,
            "trace_id": self.trace_id,
            **self.extra,
        }


@dataclass(frozen=True)
class ProfessionalRef:
    """What a plan needs to know about a professional from the directory."""

    professional_id: str
    organisation_id: str
    team_ids: tuple[str, ...] = ()
