"""One household, one plan: finding a person's open plan by keyed pseudonym, the Verwijsindex way.

A person is found by a keyed pseudonym (an HMAC under a secret from settings) of their BSN, and
of their normalised family name with their birth date; never by a plaintext index of names or
BSNs. Each pseudonym has a `PersonIndex` aggregate (its id derives from the tenant and the
pseudonym) that records which open plans hold a member with it. Saving a claim together with the
plan makes the store refuse, by version, a second writer who claims the same person at the same
moment: the loser reloads and finds the match.

What makes a match:
- the same BSN: certain;
- the same family name and birth date, unless both have a BSN and the BSNs differ: probable,
  and `likely` when the address (postal code and house number) is the same too. An address alone
  is no match: student houses and flats share numbers.

The plan id in a claim is personal data of the member (it places them in a household), so the
field-encryption mapper seals it under the member's own key for this index record; erasing the
member destroys that key, and the claim reads as erased (see `privacy.erasure`).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import unicodedata
from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate

from eenplan.domain.plan.categories import BSN, IDENTITY

_NAMESPACE = uuid5(NAMESPACE_URL, "https://eenplan.nl/households")
# Dutch name prefixes (tussenvoegsels): "Van der Berg", "Berg, van der" and "berg" are one name.
PREFIXES = frozenset(
    [
        "van",
        "der",
        "den",
        "de",
        "het",
        "t",
        "ten",
        "ter",
        "te",
        "in",
        "op",
        "aan",
        "bij",
        "uit",
        "vd",
        "v",
        "d",
        "la",
        "le",
        "du",
        "des",
        "del",
        "della",
        "di",
        "da",
        "dos",
        "von",
        "zu",
    ]
)
CERTAIN, LIKELY, PROBABLE = "bsn", "name_birth_date_address", "name_birth_date"
STRENGTH = {CERTAIN: 3, LIKELY: 2, PROBABLE: 1}

# For the field-encryption mapper: which fields of the index's events are the member's data.
PERSONAL_FIELDS: dict[str, dict[str, str]] = {
    "PersonClaimed": {"plan_id": IDENTITY, "bsn_key": BSN, "address_key": IDENTITY},
    "PersonReleased": {"plan_id": IDENTITY},
}


def family_name(text: str) -> str:
    """Lower case, no diacritics, no prefixes; "Berg, van der" is "berg" as "Van der Berg" is."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().casefold()
    if "," in plain:  # "Berg, van der": the prefix written after the name
        plain = plain.split(",", 1)[0]
    words = [w for w in re.split(r"[\s'.\-/]+", plain) if w]
    kept = [w for w in words if w not in PREFIXES]
    return " ".join(kept or words)


def _hmac(key: bytes, material: str) -> str:
    return hmac.new(key, material.encode(), hashlib.sha256).hexdigest()


@dataclass(frozen=True)
class PersonKeys:
    """A member's pseudonyms: by BSN (when known) and by family name and birth date."""

    member_id: str
    bsn: str | None
    name: str | None
    address: str | None
    # With the given name too: within one household, twins share a family name and birth date.
    full_name: str | None = None

    def all(self) -> list[str]:
        return [k for k in (self.bsn, self.name) if k]


def person_keys(member: dict[str, Any], address: dict[str, Any] | None, key: bytes) -> PersonKeys:
    bsn, given = member.get("bsn"), member.get("given_name")
    family, born = member.get("family_name"), member.get("birth_date")
    named = isinstance(family, str) and isinstance(born, str)
    return PersonKeys(
        member_id=str(member["member_id"]),
        bsn=_hmac(key, f"bsn:{bsn}") if isinstance(bsn, str) and bsn else None,
        name=_hmac(key, f"name:{family_name(str(family))}|{born}") if named else None,
        address=address_key(address, key),
        full_name=_hmac(key, f"full:{family_name(str(family))}|{given_name(given)}|{born}")
        if named and isinstance(given, str)
        else None,
    )


def given_name(text: object) -> str:
    plain = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().casefold()
    return " ".join(w for w in re.split(r"[\s'.\-]+", plain) if w)


def address_key(address: dict[str, Any] | None, key: bytes) -> str | None:
    """Postal code and house number: where a household lives or gets its post; none without one."""
    if not isinstance(address, dict) or address.get("kind", "residential") == "none":
        return None
    postal, number = address.get("postal_code"), address.get("house_number")
    if not isinstance(postal, str) or not isinstance(number, str):
        return None  # erased, or not given
    return _hmac(key, f"address:{postal.replace(' ', '').upper()}|{number.strip().casefold()}")


def index_id(tenant: str, pseudonym: str) -> UUID:
    return uuid5(_NAMESPACE, f"{tenant}:{pseudonym}")


@dataclass(frozen=True)
class Match:
    """An open plan that holds the same person: which plan, which of its members, how sure."""

    plan_id: str
    member_id: str
    strength: str
    asked_for: str  # the member id of the household being opened (or added) that matched


class PersonIndex(Aggregate):
    """The open plans that hold a member with one pseudonym, in one tenant."""

    @staticmethod
    def create_id(tenant: str, pseudonym: str) -> UUID:
        return index_id(tenant, pseudonym)

    class Started(Aggregate.Created):
        tenant: str

    @classmethod
    def start(cls, tenant: str, pseudonym: str) -> PersonIndex:
        index: PersonIndex = cls._create(cls.Started, id=index_id(tenant, pseudonym), tenant=tenant)
        return index

    def __init__(self, tenant: str) -> None:
        self.tenant = tenant
        self.claims: dict[str, dict[str, Any]] = {}

    def open_claims(self) -> list[dict[str, Any]]:
        """Claims of plans still open; a claim whose plan id was erased with its member is gone."""
        return [c for c in self.claims.values() if isinstance(c.get("plan_id"), str)]

    def claim(self, plan_id: str, keys: PersonKeys, beside: list[str]) -> None:
        """Record that this open plan holds the person; `beside`: plans it was opened beside on purpose."""
        if f"{plan_id}:{keys.member_id}" in self.claims:
            return
        self.trigger_event(
            PersonClaimed,
            plan_id=plan_id,
            member_id=keys.member_id,
            bsn_key=keys.bsn,
            address_key=keys.address,
            beside=sorted(beside),
        )

    def release(self, plan_id: str, member_id: str, why: str) -> None:
        if f"{plan_id}:{member_id}" in self.claims:
            self.trigger_event(PersonReleased, plan_id=plan_id, member_id=member_id, why=why)

    def forget(self, member_ids: list[str]) -> None:
        """An erasure: these members' claims go (their plan ids are shredded with their keys too)."""
        gone = sorted({c["member_id"] for c in self.claims.values() if c["member_id"] in set(member_ids)})
        if gone:
            self.trigger_event(PersonForgotten, member_ids=gone)

    def matches(self, keys: PersonKeys, by: str, plan_id: str, beside: set[str]) -> list[Match]:
        """The open claims of other plans that are this person, found by pseudonym `by` ("bsn" or
        "name"); plans opened beside each other on purpose do not match."""
        found = []
        for claim in self.open_claims():
            if claim["plan_id"] == plan_id or claim["plan_id"] in beside or plan_id in claim["beside"]:
                continue
            if by == "bsn":
                strength = CERTAIN
            else:
                theirs = claim.get("bsn_key")
                if isinstance(theirs, str) and keys.bsn and theirs != keys.bsn:
                    continue  # same name and birth date, another BSN: another person
                same_address = keys.address is not None and claim.get("address_key") == keys.address
                strength = LIKELY if same_address else PROBABLE
            found.append(Match(claim["plan_id"], claim["member_id"], strength, keys.member_id))
        return found


class PersonClaimed(Aggregate.Event):
    plan_id: str
    member_id: str
    bsn_key: str | None
    address_key: str | None
    beside: list[str]

    def apply(self, index: Any) -> None:
        index.claims[f"{self.plan_id}:{self.member_id}"] = {
            "plan_id": self.plan_id,
            "member_id": self.member_id,
            "bsn_key": self.bsn_key,
            "address_key": self.address_key,
            "beside": list(self.beside),
        }


class PersonReleased(Aggregate.Event):
    plan_id: str
    member_id: str
    why: str  # "closed", "removed", "merged", "split"

    def apply(self, index: Any) -> None:
        index.claims.pop(f"{self.plan_id}:{self.member_id}", None)


class PersonForgotten(Aggregate.Event):
    """Erased (art. 17): the members' claims leave the index, in every process that holds a copy."""

    member_ids: list[str]

    def apply(self, index: Any) -> None:
        gone = set(self.member_ids)
        index.claims = {k: c for k, c in index.claims.items() if c["member_id"] not in gone}
