"""Signal commands of the eenplan application: post a signal, read matches, erase expired signals."""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from eenplan.domain import errors
from eenplan.domain.app.area import Area
from eenplan.domain.app.ports import Conflict
from eenplan.domain.context import Actor, CommandContext
from eenplan.domain.intake.commands import PostSignal
from eenplan.domain.intake.signals import (
    SignalFile,
    SignalFileOpened,
    SignalsMatched,
    SignalTerms,
    file_id,
    person_key,
    person_keys,
)


class Signals(Area):
    """Partners' signals about a person, matched per team, erased when their term ends."""

    def post_signal(self, ctx: CommandContext, cmd: PostSignal) -> dict[str, Any]:
        """Record a partner's signal on the person's file; say whether the file now matches."""
        if not ctx.actor.serves(cmd.tenant):
            raise errors.NotAllowedError(f"the caller does not serve tenant {cmd.tenant}")
        terms = self._terms()
        key = person_key(cmd.person, terms.key)

        def attempt() -> dict[str, Any]:
            file = self._signal_file(ctx, cmd.tenant, key)
            signal_id = file.record(
                ctx, cmd.type, cmd.person, cmd.area, terms, lambda a: self.team_for_area(cmd.tenant, a)
            )
            try:
                recordings = self.store.save(file)
            except IntegrityError:
                raise Conflict("the person's signals kept changing; try again") from None
            return {
                "signal_id": signal_id,
                "matched": file.match is not None,
                "position": max(r.notification.id for r in recordings),
            }

        return self.ports.writes.run(f"signals:{cmd.tenant}:{key}", attempt)

    def _terms(self) -> SignalTerms:
        if self.ports.signal_terms is None:
            raise RuntimeError("signal terms are not configured; the composition root sets them")
        return self.ports.signal_terms

    def _signal_file(self, ctx: CommandContext, tenant: str, key: str) -> SignalFile:
        try:
            file: SignalFile = self.repository.get(file_id(tenant, key))
        except AggregateNotFoundError:
            return SignalFile.start(ctx, tenant, key)
        return file

    def signal_files_of(self, tenant: str, people: list[dict[str, Any]]) -> list[SignalFile]:
        """The tenant's signal files that are about these people (by BSN, or by name and birth date)."""
        key = self._terms().key
        files: list[SignalFile] = []
        for person_key_ in sorted(set().union(*(person_keys(p, key) for p in people))):
            try:
                files.append(self.repository.get(file_id(tenant, person_key_)))
            except AggregateNotFoundError:
                continue
        return files

    def team_for_area(self, tenant: str, area: str | None) -> str | None:
        """The active team of the tenant whose areas include this one, if any."""
        if not area:
            return None
        for team in self.directory.list_entries("team"):
            serves = area.casefold() in {a.casefold() for a in team.areas}
            if serves and team.tenant == tenant and not team.dissolved_into:
                return str(team.key)
        return None

    def signal_matches(self, actor: Actor, team_id: str) -> list[dict[str, Any]]:
        """The team's matches, as the caller may see them: team members see all, signallers their own."""
        try:
            team = self.directory.team(team_id)
        except errors.UnknownReferenceError:
            raise errors.NotFoundError(f"team {team_id} not found") from None
        if not actor.serves(team.tenant):
            raise errors.NotFoundError(f"team {team_id} not found")
        mine = self.directory.teams_of(actor)
        seen = []
        for file in self._matched_files(team.tenant):
            view = file.visible_match(actor, mine)
            if view is not None and file.match is not None and file.match["team_id"] == team_id:
                seen.append(view)
        return seen

    def _matched_files(self, tenant: str) -> Iterator[SignalFile]:
        ids = dict.fromkeys(e.originator_id for e in self.scans.scan(SignalsMatched))
        for key in ids:
            file: SignalFile = self.repository.get(key)
            if file.tenant == tenant and file.match is not None:
                yield file

    def expire_signals(self, ctx: CommandContext, tenant: str) -> int:
        """Erase every signal of the tenant past its active term; returns how many went."""
        if not ctx.actor.serves(tenant):
            raise errors.NotAllowedError(f"the caller does not serve tenant {tenant}")
        erased = 0
        for opened in self.scans.scan(SignalFileOpened):
            if opened.tenant != tenant:
                continue
            key = opened.originator_id
            erased += self.ports.writes.run(f"signals:{key}", partial(self._expire, ctx, key))
        return erased

    def _expire(self, ctx: CommandContext, key: UUID) -> int:
        file: SignalFile = self.repository.get(key)
        gone = file.expire(ctx, self._terms())
        try:
            self.store.save(file)
        except IntegrityError:
            raise Conflict("the person's signals kept changing; try again") from None
        if file.person is None:
            # The last signal went: shred the person's identity in the stored events too.
            self.ports.shred_subject(str(file.id))
        return len(gone)
