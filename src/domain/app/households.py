"""The household index of the application: which open plans hold which person, by pseudonym.

Every plan command that changes who is in an open plan (opening, adding, correcting or removing
a member, closing, reopening, merging, splitting) changes the index in the same save: `changes`
compares a plan's pseudonyms before and after and returns the index records to save with it, and
the matches that the change would make. A match is refused unless the plans were opened beside
each other on purpose (`domain.plan.matching` says what matches).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError
from eventsourcing.persistence import IntegrityError

from eenplan.domain import errors
from eenplan.domain.app.area import Area
from eenplan.domain.app.ports import Conflict
from eenplan.domain.plan import HouseholdPlan
from eenplan.domain.plan import events as ev
from eenplan.domain.plan.matching import STRENGTH, Match, PersonIndex, PersonKeys, index_id, person_keys

# Without a key from settings (an application in memory), one for this process only.
_PROCESS_KEY = secrets.token_bytes(32)


@dataclass
class Touched:
    """A plan a command changed, with the pseudonyms of its members before the change."""

    plan: HouseholdPlan
    before: dict[str, PersonKeys] = field(default_factory=dict)


class Households(Area):
    """Finds a person's open plans by pseudonym, and keeps the index in step with the plans."""

    def key(self) -> bytes:
        terms = self.ports.signal_terms
        return terms.key if terms is not None else _PROCESS_KEY

    def claims_of(self, plan: HouseholdPlan) -> dict[str, PersonKeys]:
        """The pseudonyms an open plan holds, per member; a closed plan holds none."""
        if plan.status != "open":
            return {}
        key = self.key()
        return {m: person_keys(member, plan.address, key) for m, member in plan.members.items()}

    def touched(self, plan: HouseholdPlan) -> Touched:
        return Touched(plan, self.claims_of(plan))

    def changes(self, touched: list[Touched]) -> tuple[list[PersonIndex], list[Match]]:
        """The index records to save with these plans, and the matches their new members make.

        Releases go first, so a member who moves between two plans of the same save (a merge,
        a split) does not match the plan they leave.
        """
        indexes: dict[str, PersonIndex] = {}
        in_save = {str(t.plan.id) for t in touched}
        added: list[tuple[HouseholdPlan, PersonKeys]] = []
        for t in touched:
            plan_id, after = str(t.plan.id), self.claims_of(t.plan)
            _one_of_each(after)
            for member_id, keys in t.before.items():
                if after.get(member_id) != keys:
                    for pseudonym in keys.all():
                        self._index(indexes, t.plan.tenant, pseudonym).release(plan_id, member_id, "changed")
            added += [(t.plan, keys) for m, keys in after.items() if t.before.get(m) != keys]
        matches: list[Match] = []
        for plan, keys in added:
            claimant, beside = str(plan.id), plan.beside_plans
            for by, by_key in (("bsn", keys.bsn), ("name", keys.name)):
                if by_key is None:
                    continue
                index = self._index(indexes, plan.tenant, by_key)
                found = index.matches(keys, by, claimant, beside)
                matches += [m for m in found if m.plan_id not in in_save]
                index.claim(claimant, keys, sorted(beside))
        changed = [i for i in indexes.values() if i.pending_events]
        return changed, strongest_first(matches)

    def matches_for(self, plan: HouseholdPlan) -> list[Match]:
        """The open plans that hold a member of this plan, without changing anything."""
        _, found = self.changes([Touched(plan, {})])
        return found

    def index_existing(self, indexed_plan: Callable[[HouseholdPlan], None] | None = None) -> tuple[int, int]:
        """Claim the people of every open plan opened before matching existed (safe to re-run).

        Returns (plans indexed, plans that share a person with another open plan): those are the
        duplicates `GET /households/duplicates` reports, for their regisseurs to merge.
        `indexed_plan` hears of each plan whose members were indexed (the CLI logs their processing).
        """
        indexed, duplicated = 0, 0
        for opened in self.scans.scan(ev.Opened):
            plan: HouseholdPlan = self.repository.get(opened.originator_id)
            if plan.status != "open":
                continue
            duplicated += self.ports.writes.run(f"index:{plan.id}", partial(self._claim, plan))
            indexed += 1
            if indexed_plan is not None:
                indexed_plan(plan)
        return indexed, duplicated

    def _claim(self, plan: HouseholdPlan) -> bool:
        indexes, matches = self.changes([Touched(plan)])
        if indexes:
            try:
                self.store.save(*indexes)
            except IntegrityError:
                raise Conflict("the household index kept changing; try again") from None
        return bool(matches)

    def shared_people(self, goes: HouseholdPlan, stays: HouseholdPlan) -> dict[str, str]:
        """Members of `goes` who are the same person as a member of `stays`, each paired once.

        By BSN first; then by family name and birth date where no BSNs differ, preferring the same
        given name, so that twins (same family name, same birth date) stay two people.
        """
        key = self.key()
        theirs = {m: person_keys(v, stays.address, key) for m, v in stays.members.items()}
        mine = {m: person_keys(v, goes.address, key) for m, v in goes.members.items()}
        same: dict[str, str] = {}
        for member_id, keys in mine.items():
            found = next((o for o, k in theirs.items() if keys.bsn and k.bsn == keys.bsn), None)
            if found is not None:
                same[member_id] = found
        for member_id, keys in mine.items():
            if member_id in same or keys.name is None:
                continue
            taken = set(same.values())
            candidates = [
                o
                for o, k in theirs.items()
                if o not in taken and k.name == keys.name and not (k.bsn and keys.bsn and k.bsn != keys.bsn)
            ]
            named = [o for o in candidates if theirs[o].full_name == keys.full_name]
            if named or len(candidates) == 1:
                same[member_id] = (named or candidates)[0]
        return same

    def _index(self, indexes: dict[str, PersonIndex], tenant: str, pseudonym: str) -> PersonIndex:
        key = str(index_id(tenant, pseudonym))
        if key not in indexes:
            try:
                loaded: PersonIndex = self.repository.get(index_id(tenant, pseudonym))
            except AggregateNotFoundError:
                loaded = PersonIndex.start(tenant, pseudonym)
            indexes[key] = loaded
        return indexes[key]

    def second_plans(self, tenants: frozenset[str] | set[str]) -> list[dict[str, Any]]:
        """Plans opened beside another on purpose, in these tenants, newest first: what the privacy
        officer reviews, as they review break-the-glass."""
        found: list[dict[str, Any]] = []
        for event in self.scans.scan(ev.SecondPlanOpened):
            plan: HouseholdPlan = self.repository.get(event.originator_id)
            if plan.tenant not in tenants:
                continue
            found.append(
                {
                    "plan_id": str(plan.id),
                    "tenant": plan.tenant,
                    "beside_plan_ids": list(event.beside_plan_ids),
                    "member_ids": list(event.member_ids),
                    "reason": event.reason,
                    "opened_by": {"sub": event.meta.get("sub"), "org": event.meta.get("org")},
                    "at": event.timestamp.isoformat(),
                }
            )
        return found[::-1]

    def forget(self, index_ids: list[str], member_ids: list[str]) -> list[PersonIndex]:
        """The index records that drop these members' claims, to save with their erasure."""
        found = []
        for index_id_ in index_ids:
            try:
                index: PersonIndex = self.repository.get(UUID(index_id_))
            except AggregateNotFoundError:
                continue
            index.forget(member_ids)
            if index.pending_events:
                found.append(index)
        return found

    def index_key_ids(self, tenant: str, people: list[tuple[str, dict[str, object]]]) -> list[str]:
        """The data keys under which the index holds these members' claims (`member id`, every
        version of their personal data): destroying them erases the pseudonyms with the person."""
        key, found = self.key(), set()
        for member_id, data in people:
            keys = person_keys({**data, "member_id": member_id}, None, key)
            found |= {f"{index_id(tenant, p)}:{member_id}" for p in keys.all()}
        return sorted(found)


def _one_of_each(members: dict[str, PersonKeys]) -> None:
    """A household holds each person once: the same BSN, or the same full name and birth date (where
    no BSNs differ), under two member ids is one person entered twice. The same family name and
    birth date alone is not: twins live together."""
    bsns: dict[str, str] = {}
    names: dict[str, str] = {}
    for member_id, keys in members.items():
        other = bsns.setdefault(keys.bsn, member_id) if keys.bsn else member_id
        if other == member_id and keys.full_name:
            other = names.setdefault(keys.full_name, member_id)
            if keys.bsn and members[other].bsn and members[other].bsn != keys.bsn:
                other = member_id  # same names, other BSNs: two people
        if other != member_id:
            raise errors.MemberError(f"member {member_id} is member {other} again: one person, once")


def strongest_first(matches: list[Match]) -> list[Match]:
    best: dict[tuple[str, str], Match] = {}
    for match in matches:
        seen = best.get((match.plan_id, match.member_id))
        if seen is None or STRENGTH[match.strength] > STRENGTH[seen.strength]:
            best[(match.plan_id, match.member_id)] = match
    return sorted(best.values(), key=lambda m: (-STRENGTH[m.strength], m.plan_id, m.member_id))
