"""Early signals, matched per person the way the national Verwijsindex matches them.

A `SignalFile` is one person's signals in one tenant. Its id derives from a
pseudonymous key (an HMAC of the BSN, or of the normalised name and birth date,
under a secret from settings), so finding a person's file never needs an index
of names or BSNs in clear. Two or more signals from different organisations
within the match window, or one high-weight signal, make a match for the team of
the person's area. Signals stay active for a set term and are then erased: they
leave the state, and the person's identity with the last of them. A person's
erasure (art. 17) erases their whole file at once (`SignalFileErased`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate

from eenplan.domain.context import Actor, CommandContext
from eenplan.domain.intake.commands import Person
from eenplan.domain.intake.values import MATCH_WEIGHT, SIGNAL_WEIGHT, SignalType

_NAMESPACE = uuid5(NAMESPACE_URL, "https://eenplan.nl/signals")


@dataclass(frozen=True)
class SignalTerms:
    """The Verwijsindex terms, from settings: the HMAC key, the active term, the match window."""

    key: bytes
    active_days: int = 730
    window_days: int = 365


def normalised(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[\s'.-]+", " ", plain).strip().casefold()


def person_key(person: Person, key: bytes) -> str:
    """The pseudonymous key of a person: the BSN when given, else name and birth date."""
    if person.bsn:
        material = f"bsn:{person.bsn}"
    else:
        material = (
            f"name:{normalised(person.family_name)}|{normalised(person.given_name)}|{person.birth_date}"
        )
    return hmac.new(key, material.encode(), hashlib.sha256).hexdigest()


def person_keys(person: dict[str, Any], key: bytes) -> set[str]:
    """Every key a signal about this person may have been filed under: by BSN, and by name."""
    keys = set()
    if person.get("bsn"):
        keys.add(hmac.new(key, f"bsn:{person['bsn']}".encode(), hashlib.sha256).hexdigest())
    names = (person.get("family_name"), person.get("given_name"), person.get("birth_date"))
    if all(names):
        family, given, born = (str(n) for n in names)
        material = f"name:{normalised(family)}|{normalised(given)}|{born}"
        keys.add(hmac.new(key, material.encode(), hashlib.sha256).hexdigest())
    return keys


def file_id(tenant: str, key: str) -> UUID:
    return uuid5(_NAMESPACE, f"{tenant}:{key}")


def matching_signals(signals: dict[str, dict[str, Any]], today: date, window_days: int) -> list[str]:
    """The ids of the signals that make a match today, or [] when they do not."""
    since = today - timedelta(days=window_days)
    recent = {k: s for k, s in signals.items() if date.fromisoformat(s["recorded_on"]) >= since}
    best_per_org: dict[str, int] = {}
    for signal in recent.values():
        org = signal["organisation_id"]
        best_per_org[org] = max(best_per_org.get(org, 0), SIGNAL_WEIGHT[SignalType(signal["type"])])
    heavy = any(w >= MATCH_WEIGHT for w in best_per_org.values())
    if heavy or (len(best_per_org) >= 2 and sum(best_per_org.values()) >= MATCH_WEIGHT):
        return sorted(recent)
    return []


class SignalFileOpened(Aggregate.Created):
    meta: dict[str, Any]
    tenant: str

    def apply(self, file: Any) -> None:
        file.tenant = self.tenant
        file.signals = {}
        file.person = None
        file.match = None


class SignalEvent(Aggregate.Event):
    meta: dict[str, Any]


class SignalRecorded(SignalEvent):
    signal_id: str
    type: str
    organisation_id: str
    area: str | None
    person: dict[str, Any]
    recorded_on: str

    def apply(self, file: Any) -> None:
        file.signals[self.signal_id] = {
            "type": self.type,
            "organisation_id": self.organisation_id,
            "area": self.area,
            "recorded_on": self.recorded_on,
        }
        file.person = dict(self.person)


class SignalsMatched(SignalEvent):
    match_id: str
    signal_ids: list[str]
    organisation_ids: list[str]
    team_id: str | None
    matched_on: str

    def apply(self, file: Any) -> None:
        file.match = {
            "match_id": self.match_id,
            "signal_ids": list(self.signal_ids),
            "organisation_ids": list(self.organisation_ids),
            "team_id": self.team_id,
            "matched_on": self.matched_on,
        }


class SignalsExpired(SignalEvent):
    signal_ids: list[str]
    expired_on: str

    def apply(self, file: Any) -> None:
        for signal_id in self.signal_ids:
            file.signals.pop(signal_id, None)
        if file.match is not None:
            file.match["signal_ids"] = [s for s in file.match["signal_ids"] if s in file.signals]
            if not file.match["signal_ids"]:
                file.match = None
        if not file.signals:
            file.person = None


class SignalFileErased(SignalEvent):
    """Art. 17: the person's signals, match and identity leave the file; its key is destroyed."""

    receipt_id: str

    def apply(self, file: Any) -> None:
        file.signals = {}
        file.person = None
        file.match = None


class SignalFile(Aggregate):
    tenant: str
    signals: dict[str, dict[str, Any]]
    person: dict[str, Any] | None
    match: dict[str, Any] | None

    def __init__(self) -> None:
        """State comes from `SignalFileOpened.apply`; see `start`."""

    @classmethod
    def start(cls, ctx: CommandContext, tenant: str, key: str) -> SignalFile:
        return cls._create(SignalFileOpened, id=file_id(tenant, key), meta=ctx.meta(), tenant=tenant)

    def record(
        self,
        ctx: CommandContext,
        signal_type: SignalType,
        person: Person,
        area: str | None,
        terms: SignalTerms,
        team_for_area: Any,
    ) -> str:
        """Record a signal, erase what expired, and match; returns the signal id."""
        self.expire(ctx, terms)
        signal_id = str(uuid4())
        self.trigger_event(
            SignalRecorded,
            meta=ctx.meta(),
            signal_id=signal_id,
            type=SignalType(signal_type).value,
            organisation_id=ctx.actor.org,
            area=area,
            person=person.model_dump(mode="json", exclude_none=True),
            recorded_on=ctx.today.isoformat(),
        )
        self._match(ctx, terms, team_for_area)
        return signal_id

    def expire(self, ctx: CommandContext, terms: SignalTerms) -> list[str]:
        """Erase the signals past their active term; returns their ids."""
        until = ctx.today - timedelta(days=terms.active_days)
        expired = sorted(k for k, s in self.signals.items() if date.fromisoformat(s["recorded_on"]) < until)
        if expired:
            self.trigger_event(
                SignalsExpired, meta=ctx.meta(), signal_ids=expired, expired_on=ctx.today.isoformat()
            )
        return expired

    def erase(self, ctx: CommandContext, receipt_id: str) -> None:
        self.trigger_event(SignalFileErased, meta=ctx.meta(), receipt_id=receipt_id)

    def _match(self, ctx: CommandContext, terms: SignalTerms, team_for_area: Any) -> None:
        signal_ids = matching_signals(self.signals, ctx.today, terms.window_days)
        known = set(self.match["signal_ids"]) if self.match else set()
        if not signal_ids or set(signal_ids) <= known:
            return
        joined = sorted(known | set(signal_ids))
        with_area = [self.signals[s] for s in joined if self.signals[s]["area"]]
        area = max(with_area, key=lambda s: s["recorded_on"])["area"] if with_area else None
        self.trigger_event(
            SignalsMatched,
            meta=ctx.meta(),
            match_id=self.match["match_id"] if self.match else str(uuid4()),
            signal_ids=joined,
            organisation_ids=sorted({self.signals[s]["organisation_id"] for s in joined}),
            team_id=team_for_area(area),
            matched_on=ctx.today.isoformat(),
        )

    def visible_match(self, actor: Actor, actor_team_ids: set[str]) -> dict[str, Any] | None:
        """The match as this caller may see it: the team sees the person, signallers see the fact."""
        if self.match is None:
            return None
        if self.match["team_id"] is not None and self.match["team_id"] in actor_team_ids:
            signals = [{"signal_id": s, **self.signals[s]} for s in self.match["signal_ids"]]
            return {**self.match, "person": self.person, "signals": signals, "seen_as": "team"}
        if actor.org in self.match["organisation_ids"]:
            own = [s for s in self.match["signal_ids"] if self.signals[s]["organisation_id"] == actor.org]
            return {**self.match, "signal_ids": own, "seen_as": "signaller"}
        return None
