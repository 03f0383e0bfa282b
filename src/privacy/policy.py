"""The visibility policy, loaded from its versioned data file (policy.yaml by default).

The file is data because municipalities adopt it in their privacy protocol. Its
version and the SHA-256 of its bytes identify exactly which rules applied to a
view; `privacy.store` records each new (version, hash) the first time it loads.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from eenplan.domain.values import DataCategory, OrganisationKind

DEFAULT_FILE = Path(__file__).with_name("policy.yaml")
ACTIVITIES_FILE = Path(__file__).with_name("activities.yaml")
RELATIONS = ("regisseur", "care_team", "mandate", "consent", "team_lead", "auditor", "admin", "emergency")
# Relations that come with a role rather than with work on the plan: cut to the kind's ceiling.
OVERSIGHT = frozenset({"team_lead", "auditor", "admin"})
CATEGORIES = frozenset(c.value for c in DataCategory)


class PolicyError(ValueError):
    """The policy file is not a valid policy; eenplan refuses to start on it."""


@dataclass(frozen=True)
class Policy:
    version: str
    sha256: str
    default: dict[str, frozenset[str]]
    kinds: dict[str, dict[str, frozenset[str]]]
    consent_can_grant: frozenset[str]
    erasure_scope: str = "member"
    ceilings: dict[str, frozenset[str]] = field(default_factory=dict)
    source: str = field(default="", repr=False)

    def categories(self, kind: str | None, relation: str) -> frozenset[str]:
        """What an organisation of this kind sees under this one relation (oversight: cut to the ceiling)."""
        by_kind = self.kinds.get(kind or "", {})
        found = by_kind.get(relation, self.default.get(relation, frozenset()))
        return found & self.ceiling(kind) if relation in OVERSIGHT else found

    def ceiling(self, kind: str | None) -> frozenset[str]:
        """The most an organisation of this kind sees through oversight: its line, else its care team's."""
        listed = self.ceilings.get(kind or "")
        if listed is not None:
            return listed
        by_kind = self.kinds.get(kind or "", {})
        return by_kind.get("care_team", self.default.get("care_team", frozenset())) - {"bsn"}

    @classmethod
    def parse(cls, text: str) -> Policy:
        policy = cls.from_mapping(yaml.safe_load(text))
        return replace(policy, sha256=hashlib.sha256(text.encode()).hexdigest(), source=text)

    @classmethod
    def from_mapping(cls, raw: Any) -> Policy:
        """A policy from the file's parsed content (hash and source are the file's: see `parse`)."""
        if not isinstance(raw, dict) or "version" not in raw:
            raise PolicyError("a policy is a mapping with a version")
        kinds = {kind: _relations(rules, f"kinds.{kind}") for kind, rules in (raw.get("kinds") or {}).items()}
        unknown = set(kinds) - {k.value for k in OrganisationKind}
        if unknown:
            raise PolicyError(f"unknown organisation kinds: {sorted(unknown)}")
        scope = raw.get("erasure_scope", "member")
        if scope not in ("member", "household"):
            raise PolicyError("erasure_scope is member or household")
        return cls(
            version=str(raw["version"]),
            sha256="",
            default=_relations(raw.get("default") or {}, "default"),
            kinds=kinds,
            consent_can_grant=_categories(raw.get("consent_can_grant") or [], "consent_can_grant"),
            erasure_scope=scope,
            ceilings=_ceilings(raw.get("oversight_ceiling") or {}),
        )


def _relations(rules: Any, where: str) -> dict[str, frozenset[str]]:
    if not isinstance(rules, dict):
        raise PolicyError(f"{where} maps relations to category lists")
    # `none` may be written down, to say so, but never grants anything: no relation is a 404.
    if rules.pop("none", None):
        raise PolicyError(f"{where}.none: an organisation without a relation sees nothing; use []")
    unknown = set(rules) - set(RELATIONS)
    if unknown:
        raise PolicyError(f"{where}: unknown relations {sorted(unknown)}")
    return {relation: _categories(cats, f"{where}.{relation}") for relation, cats in rules.items()}


def _ceilings(raw: Any) -> dict[str, frozenset[str]]:
    if not isinstance(raw, dict):
        raise PolicyError("oversight_ceiling maps organisation kinds to category lists")
    unknown = set(raw) - {k.value for k in OrganisationKind}
    if unknown:
        raise PolicyError(f"oversight_ceiling: unknown organisation kinds: {sorted(unknown)}")
    return {kind: _categories(cats, f"oversight_ceiling.{kind}") for kind, cats in raw.items()}


def _categories(values: Any, where: str) -> frozenset[str]:
    if not isinstance(values, list) or not set(values) <= CATEGORIES:
        raise PolicyError(f"{where}: a list of categories from {sorted(CATEGORIES)}")
    return frozenset(values)


def load_policy(path: Path | None = None) -> Policy:
    return _load(Path(path or DEFAULT_FILE))


@lru_cache(maxsize=8)
def _load(path: Path) -> Policy:
    return Policy.parse(path.read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def activities() -> dict[str, dict[str, Any]]:
    """The register of processing activities, by id."""
    register: dict[str, dict[str, Any]] = yaml.safe_load(ACTIVITIES_FILE.read_text(encoding="utf-8"))[
        "activities"
    ]
    return register
