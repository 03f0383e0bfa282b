"""Verification of the hash chain: one plan, or the whole store streamed page by page.

The answer is "intact" with the number of records checked, or the first broken link:
which plan, which version, which chain position, and what differs. A record whose links
hold is also given to an `Inspect` (the privacy module opens its encrypted values there),
so a record altered by someone who also rewrote the chain is still found and located.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from uuid import UUID

from eenplan.domain.audit.chain import Break, ChainRow, check_row

PAGE = 1000
Progress = Callable[[int, int], None]
# Looks inside one record whose links hold: its first problem, or None.
Inspect = Callable[[ChainRow], Break | None]


def _no_inspection(row: ChainRow) -> Break | None:
    return None


class ChainStore(Protocol):
    def chain_page(self, after_position: int, limit: int) -> list[ChainRow]: ...
    def chain_of(self, originator_id: Any) -> list[ChainRow]: ...
    def chain_head(self) -> tuple[int, str] | None: ...
    def chain_at(self, position: int) -> str | None: ...
    def chain_count(self) -> int: ...
    def unchained_event(self, originator_id: Any = None) -> tuple[str, int] | None: ...
    def adopt_unchained(self, page: int = 1000) -> int: ...


@dataclass(frozen=True)
class Anchor:
    """A published chain head: everything up to `position` is fixed by `chain_hash`."""

    position: int
    chain_hash: str

    def __str__(self) -> str:
        return f"{self.position}:{self.chain_hash}"

    @classmethod
    def parse(cls, text: str) -> Anchor:
        position, _, chain_hash = text.strip().partition(":")
        if not position.isdigit() or len(chain_hash) != 64:
            raise ValueError("an anchor reads POSITION:HASH, as `eenplan audit anchor` prints it")
        return cls(int(position), chain_hash.lower())


@dataclass
class Verdict:
    checked: int = 0
    broken: Break | None = None
    head: Anchor | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def intact(self) -> bool:
        return self.broken is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "status": "intact" if self.intact else "broken",
            "checked": self.checked,
            "head": None
            if self.head is None
            else {"position": self.head.position, "hash": self.head.chain_hash},
            "broken": None if self.broken is None else self.broken.as_dict(),
            **self.extra,
        }


def anchor(store: ChainStore) -> Anchor | None:
    head = store.chain_head()
    return None if head is None else Anchor(*head)


def verify_plan(
    store: ChainStore, plan_id: UUID, against: Anchor | None = None, inspect: Inspect = _no_inspection
) -> Verdict:
    """Check one aggregate's records: contiguous versions, each link, no unchained event."""
    verdict = Verdict(head=anchor(store))
    expected = 1
    for row in store.chain_of(plan_id):
        if row.version != expected:
            verdict.broken = Break(row.originator_id, expected, None, _gap("version", expected, row.version))
            return verdict
        verdict.broken = check_row(row) or inspect(row)
        if verdict.broken:
            return verdict
        verdict.checked += 1
        expected += 1
    verdict.broken = _unchained(store, plan_id) or _against(store, against)
    return verdict


def verify_store(
    store: ChainStore,
    against: Anchor | None = None,
    progress: Progress | None = None,
    inspect: Inspect = _no_inspection,
) -> Verdict:
    """Walk the whole chain in pages (bounded memory), then look for events around it."""
    total = store.chain_count()
    verdict = Verdict(head=anchor(store))
    expected = 1
    while True:
        page = store.chain_page(expected - 1, PAGE)
        for row in page:
            if row.position != expected:
                verdict.broken = Break(
                    row.originator_id, row.version, expected, _gap("position", expected, row.position)
                )
                return verdict
            verdict.broken = check_row(row) or inspect(row)
            if verdict.broken:
                return verdict
            verdict.checked += 1
            expected += 1
        if progress:
            progress(verdict.checked, total)
        if len(page) < PAGE:
            break
    verdict.broken = _unchained(store, None) or _against(store, against)
    return verdict


def _gap(what: str, expected: int, found: int) -> str:
    span = str(expected) if found == expected + 1 else f"{expected} to {found - 1}"
    return f"{what} {span} is missing: records were deleted"


def _unchained(store: ChainStore, plan_id: UUID | None) -> Break | None:
    found = store.unchained_event(plan_id)
    if found is None:
        return None
    return Break(
        found[0], found[1], None, "a stored event has no chain record: it was written around the recorder"
    )


def _against(store: ChainStore, against: Anchor | None) -> Break | None:
    """Has anything up to a published anchor changed since it was published?"""
    if against is None:
        return None
    now = store.chain_at(against.position)
    if now is None:
        return Break(
            None, None, against.position, "the anchored position no longer exists: records were deleted"
        )
    if now != against.chain_hash:
        return Break(
            None, None, against.position, "the chain at the anchored position differs from the anchor"
        )
    return None
