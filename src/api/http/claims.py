"""Token claims checked against the directory, on every request.

A verified signature says the identity provider issued the token; the directory says
whether what it claims is so. A token is accepted when:

- `org` is a registered organisation that serves every tenant in `tenants`;
- `sub` is a current professional of `org` (one who has not left or moved away), or a
  current (not retired) partner system of `org`; a partner system's token carries the role
  `partner_system` and no other, a professional's token never carries it.

Administrators. A token whose only role is `admin` may name a `sub` the directory does not
know: functional administrators are not care professionals. If its `sub` is a professional
or partner system, it must be a current one of `org`. Its `org` must serve each of its
tenants, except a tenant that has no registered organisation yet: that is how an empty
directory is filled (the first administrator registers their own organisation first).

A refusal is a 401 that names the failing claim, worded the same for an id that is unknown
and one registered in another tenant, so nobody learns other tenants' directories.

Cost: directory look-ups are cached for `EENPLAN_DIRECTORY_CACHE_SECONDS` (5). A change this
process saves clears the cache at once; other processes see it when their entry expires. So
a professional who leaves or moves stops matching within that many seconds everywhere.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from eenplan.api.http.auth import AuthError
from eenplan.domain.app import Eenplan
from eenplan.domain.app.directory import Member
from eenplan.domain.context import Actor
from eenplan.domain.values import Role

ADMIN_ONLY = frozenset({Role.ADMIN.value})
SYSTEM_ONLY = frozenset({Role.PARTNER_SYSTEM.value})
MAX_ENTRIES = 10_000


class CachedDirectory:
    """The directory look-ups a token check needs, remembered for `ttl` seconds."""

    def __init__(self, eenplan: Eenplan, ttl: float, max_entries: int = MAX_ENTRIES) -> None:
        self.eenplan, self.ttl, self.max_entries = eenplan, ttl, max_entries
        self.entries: OrderedDict[tuple[str, ...], tuple[float, int, Any]] = OrderedDict()
        self.lock = threading.Lock()

    def member(self, key: str) -> Member | None:
        found: Member | None = self._cached(("member", key), lambda: self.eenplan.directory.member(key))
        return found

    def organisation_tenants(self, key: str) -> frozenset[str]:
        """The tenants the organisation serves; none when it is not registered."""
        found = self._cached(("organisation", key), lambda: self.eenplan.directory.organisation_tenants(key))
        return found or frozenset()

    def tenants_with_organisations(self) -> frozenset[str]:
        found: frozenset[str] = self._cached(("staffed",), self.eenplan.directory.tenants_with_organisations)
        return found

    def _cached(self, key: tuple[str, ...], load: Callable[[], Any]) -> Any:
        now, generation = time.monotonic(), self.eenplan.directory.changes
        with self.lock:
            hit = self.entries.get(key)
            if hit is not None and hit[0] > now and hit[1] == generation:
                self.entries.move_to_end(key)
                return hit[2]
        value = load()
        with self.lock:
            self.entries[key] = (now + self.ttl, generation, value)
            self.entries.move_to_end(key)
            while len(self.entries) > self.max_entries:
                self.entries.popitem(last=False)
        return value


class ClaimsCheck:
    """Refuses (AuthError, 401) a token whose claims the directory does not bear out."""

    def __init__(self, directory: CachedDirectory) -> None:
        self.directory = directory

    def check(self, actor: Actor) -> None:
        admin_only = actor.roles == ADMIN_ONLY
        unserved = self._unserved(actor, admin_only)
        if unserved:
            tenants = ", ".join(unserved)
            raise AuthError(f"organisation {actor.org} is not registered for tenant {tenants}", claim="org")
        member = self.directory.member(actor.sub)
        if member is None and admin_only:
            return
        if member is None or member.organisation_id != actor.org or not member.active:
            raise AuthError(
                f"{actor.sub} is not a current professional or partner system of organisation {actor.org}",
                claim="sub",
            )
        _check_roles(actor, member)

    def works_for(self, professional_id: str, organisation_id: str) -> bool:
        """Whether the id is a current professional (not a system) of the organisation."""
        member = self.directory.member(professional_id)
        return (
            member is not None
            and member.kind == "professional"
            and member.active
            and member.organisation_id == organisation_id
        )

    def _unserved(self, actor: Actor, admin_only: bool) -> list[str]:
        """The token's tenants its organisation does not serve (administrators: set-up tenants aside)."""
        missing = sorted(actor.tenants - self.directory.organisation_tenants(actor.org))
        if missing and admin_only:
            staffed = self.directory.tenants_with_organisations()
            missing = [tenant for tenant in missing if tenant in staffed]
        return missing


def _check_roles(actor: Actor, member: Member) -> None:
    if member.kind == "system" and actor.roles != SYSTEM_ONLY:
        raise AuthError(
            f"{actor.sub} is a partner system: its token carries the role partner_system only", "roles"
        )
    if member.kind == "professional" and actor.has_role(Role.PARTNER_SYSTEM):
        raise AuthError(f"{actor.sub} is a professional: only partner systems carry partner_system", "roles")
