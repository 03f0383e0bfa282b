"""The visibility policy, loaded from its versioned data file (policy.yaml by default).

The file is data because municipalities adopt it in their privacy protocol. Its
version and the SHA-256 of its bytes identify exactly which rules applied to a
view; `privacy.store` records each new (version, hash) the first time it loads.

Besides the matrix (organisation kind, relation -> categories) the file says who
may break the glass and what an emergency opens per kind (`break_the_glass`),
and which categories a kind never sees under any relation (`never`). The law
sets a floor no file can lower (`STATUTORY_NEVER`: the police never see health
data): a file that leaves it out, or grants a kind what its `never` forbids, is
refused. Policies recorded before these sections existed are read back with
`Policy.parse(text, recorded=True)`, which accepts their shape and adds the floor.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from eenplan.domain.values import DataCategory, OrganisationKind, Role

DEFAULT_FILE = Path(__file__).with_name("policy.yaml")
ACTIVITIES_FILE = Path(__file__).with_name("activities.yaml")
RELATIONS = ("regisseur", "care_team", "mandate", "consent", "team_lead", "auditor", "admin", "emergency")
# What a file sets under `default` and `kinds`; the emergency relation is set under `break_the_glass`.
FILE_RELATIONS = tuple(r for r in RELATIONS if r != "emergency")
# Relations that come with a role rather than with work on the plan: cut to the kind's ceiling.
OVERSIGHT = frozenset({"team_lead", "auditor", "admin"})
CATEGORIES = frozenset(c.value for c in DataCategory)
KINDS = frozenset(k.value for k in OrganisationKind)
ROLES = frozenset(r.value for r in Role)
# Above any policy file: AVG art. 9 and medical secrecy keep health data from the police.
STATUTORY_NEVER: dict[str, frozenset[str]] = {"police": frozenset({"health"})}
SECTIONS = frozenset(
    {"version", "all_categories", "default", "kinds", "consent_can_grant", "erasure_scope"}
    | {"never", "break_the_glass", "oversight_ceiling"}
)


class PolicyError(ValueError):
    """The policy file is not a valid policy; eenplan refuses to start on it."""


@dataclass(frozen=True)
class BreakTheGlass:
    """Who may ask for emergency access (token roles, organisation kinds), and what it opens per kind."""

    roles: frozenset[str] = frozenset()
    kinds: dict[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class Policy:
    version: str
    sha256: str
    default: dict[str, frozenset[str]]
    kinds: dict[str, dict[str, frozenset[str]]]
    consent_can_grant: frozenset[str]
    erasure_scope: str = "member"
    never: dict[str, frozenset[str]] = field(default_factory=lambda: dict(STATUTORY_NEVER))
    break_the_glass: BreakTheGlass = field(default_factory=BreakTheGlass)
    ceilings: dict[str, frozenset[str]] = field(default_factory=dict)
    source: str = field(default="", repr=False)

    def categories(self, kind: str | None, relation: str) -> frozenset[str]:
        """What an organisation of this kind sees under this one relation: oversight cut to the kind's
        ceiling, and `never` taken off."""
        if relation == "emergency":
            found = self.break_the_glass.kinds.get(kind or "", frozenset())
        else:
            by_kind = self.kinds.get(kind or "", {})
            found = by_kind.get(relation, self.default.get(relation, frozenset()))
        if relation in OVERSIGHT:
            found = found & self.ceiling(kind)
        return found - self.forbidden(kind)

    def forbidden(self, kind: str | None) -> frozenset[str]:
        """The categories this kind never sees, whatever its relations or the household's consent."""
        return self.never.get(kind or "", frozenset())

    def ceiling(self, kind: str | None) -> frozenset[str]:
        """The most an organisation of this kind sees through oversight: its line, else its care team's."""
        listed = self.ceilings.get(kind or "")
        if listed is not None:
            return listed
        by_kind = self.kinds.get(kind or "", {})
        return by_kind.get("care_team", self.default.get("care_team", frozenset())) - {"bsn"}

    @classmethod
    def parse(cls, text: str, *, recorded: bool = False) -> Policy:
        """A policy from a file's text; `recorded`: one stored earlier, perhaps in an older shape."""
        policy = cls.from_mapping(yaml.safe_load(text), recorded=recorded)
        return replace(policy, sha256=hashlib.sha256(text.encode()).hexdigest(), source=text)

    @classmethod
    def from_mapping(cls, raw: Any, *, recorded: bool = False) -> Policy:
        """A policy from the file's parsed content (hash and source are the file's: see `parse`)."""
        if not isinstance(raw, dict) or "version" not in raw:
            raise PolicyError("a policy is a mapping with a version")
        unknown = set(raw) - SECTIONS
        if unknown and not recorded:
            raise PolicyError(f"unknown sections {sorted(unknown)}; a policy has {sorted(SECTIONS)}")
        policy = cls(
            version=str(raw["version"]),
            sha256="",
            default=_relations(raw.get("default") or {}, "default", recorded),
            kinds=_kinds(raw.get("kinds") or {}, recorded),
            consent_can_grant=_categories(raw.get("consent_can_grant") or [], "consent_can_grant"),
            erasure_scope=_erasure_scope(raw.get("erasure_scope", "member")),
            never=_never(raw.get("never") or {}, recorded),
            break_the_glass=_break_the_glass(raw.get("break_the_glass") or {}),
            ceilings=_ceilings(raw.get("oversight_ceiling") or {}),
        )
        if not recorded:
            _refuse_contradictions(policy)
        return policy


def _kinds(raw: Any, recorded: bool) -> dict[str, dict[str, frozenset[str]]]:
    if not isinstance(raw, dict):
        raise PolicyError("kinds maps organisation kinds to their relations")
    _known_kinds(raw, "kinds")
    return {kind: _relations(rules, f"kinds.{kind}", recorded) for kind, rules in raw.items()}


def _relations(rules: Any, where: str, recorded: bool) -> dict[str, frozenset[str]]:
    if not isinstance(rules, dict):
        raise PolicyError(f"{where} maps relations to category lists")
    # `none` may be written down, to say so, but never grants anything: no relation is a 404.
    if rules.pop("none", None):
        raise PolicyError(f"{where}.none: an organisation without a relation sees nothing; use []")
    if "emergency" in rules:
        if not recorded:
            raise PolicyError(f"{where}.emergency: set what an emergency opens in break_the_glass.kinds")
        # An older recorded policy's emergency entry is not kept: emergency access is judged under
        # the policy in force, and replays (a plan as an organisation saw it) never involve it.
        rules = {r: c for r, c in rules.items() if r != "emergency"}
    unknown = set(rules) - set(FILE_RELATIONS)
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


def _known_kinds(mapping: dict[str, Any], where: str) -> None:
    unknown = set(mapping) - KINDS
    if unknown:
        raise PolicyError(f"{where}: unknown organisation kinds {sorted(unknown)}")


def _erasure_scope(scope: Any) -> str:
    if scope not in ("member", "household"):
        raise PolicyError("erasure_scope is member or household")
    return str(scope)


def _never(raw: Any, recorded: bool) -> dict[str, frozenset[str]]:
    if not isinstance(raw, dict):
        raise PolicyError("never maps organisation kinds to the categories they never see")
    _known_kinds(raw, "never")
    never = {kind: _categories(cats, f"never.{kind}") for kind, cats in raw.items()}
    for kind, floor in STATUTORY_NEVER.items():
        if not floor <= never.get(kind, frozenset()) and not recorded:
            raise PolicyError(
                f"never.{kind} must list {sorted(floor)}: the law keeps these from {kind} under any "
                "relation, consent and break the glass included, and no policy can lift that"
            )
        never[kind] = never.get(kind, frozenset()) | floor
    return never


def _break_the_glass(raw: Any) -> BreakTheGlass:
    """Absent: nobody may break the glass (fail closed)."""
    if not isinstance(raw, dict) or set(raw) - {"roles", "kinds"}:
        raise PolicyError("break_the_glass has `roles` (token roles) and `kinds` (kind -> categories)")
    roles = raw.get("roles") or []
    if not isinstance(roles, list) or not set(roles) <= ROLES:
        raise PolicyError(f"break_the_glass.roles: a list of roles from {sorted(ROLES)}")
    kinds = raw.get("kinds") or {}
    if not isinstance(kinds, dict):
        raise PolicyError("break_the_glass.kinds maps organisation kinds to the categories it opens")
    _known_kinds(kinds, "break_the_glass.kinds")
    opened = {kind: _categories(cats, f"break_the_glass.kinds.{kind}") for kind, cats in kinds.items()}
    return BreakTheGlass(roles=frozenset(roles), kinds=opened)


def _refuse_contradictions(policy: Policy) -> None:
    """A file may not grant a kind, under any relation it names, what its `never` forbids."""
    for kind, forbidden in policy.never.items():
        granted = {f"kinds.{kind}.{r}": cats for r, cats in policy.kinds.get(kind, {}).items()}
        granted[f"break_the_glass.kinds.{kind}"] = policy.break_the_glass.kinds.get(kind, frozenset())
        for where, cats in granted.items():
            clash = sorted(cats & forbidden)
            if clash:
                raise PolicyError(f"{where} grants {clash}, which never.{kind} forbids under any relation")


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
