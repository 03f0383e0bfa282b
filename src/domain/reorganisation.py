"""Team reorganisations (seed 000: from ten teams to four): what the file says, and which plans move.

Pure: the spec is validated, the teams' areas after the change are computed, and
each plan's new team is decided from its current team and its area (the 4-digit
postal code or the city of the household's address). The application applies
the decisions; a plan already moved by the same reorganisation is skipped.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field

from eenplan.domain import errors
from eenplan.domain.commands import Id, Model, Name, TenantCode


class NewTeam(Model):
    id: Id
    name: Name
    areas: Annotated[list[Name], Field(max_length=200)] = []


class Merge(Model):
    into: Id
    from_: Annotated[list[Id], Field(alias="from", min_length=1, max_length=100)]


class Split(Model):
    from_: Annotated[Id, Field(alias="from")]
    into: Annotated[list[Id], Field(min_length=2, max_length=20)]
    default: Id | None = None


class Reorganisation(Model):
    """The body of `POST /teams/reorganisations` and the content of `eenplan teams reorganise FILE`."""

    id: Id | None = None
    tenant: TenantCode | None = None
    teams: Annotated[list[NewTeam], Field(max_length=100)] = []
    merge: Annotated[list[Merge], Field(max_length=100)] = []
    split: Annotated[list[Split], Field(max_length=100)] = []
    areas: Annotated[dict[Name, Id], Field(max_length=2000)] = {}
    regisseurs: Annotated[dict[Id, Id], Field(max_length=5000)] = {}
    dry_run: bool = False

    def key(self) -> str:
        """The id, or a stable one from the content, so re-running the same file is recognised."""
        if self.id:
            return self.id
        content = self.model_dump(mode="json", by_alias=True, exclude={"dry_run", "id"})
        return "reorg-" + hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()[:16]

    def dissolved(self) -> dict[str, list[str]]:
        gone = {t: [m.into] for m in self.merge for t in m.from_ if t != m.into}
        gone.update({s.from_: list(s.into) for s in self.split if s.from_ not in s.into})
        return gone

    def named_teams(self) -> set[str]:
        named = {m.into for m in self.merge} | {t for m in self.merge for t in m.from_}
        named |= {s.from_ for s in self.split} | {t for s in self.split for t in s.into}
        return named | set(self.areas.values())


@dataclass(frozen=True)
class PlanFacts:
    plan_id: str
    team_id: str
    regisseur_id: str | None
    area_keys: tuple[str, ...]  # the 4-digit postal code and the city, case-folded
    moved_by: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Move:
    plan_id: str
    from_team_id: str
    to_team_id: str
    regisseur_to: str | None


def check(spec: Reorganisation, known_teams: set[str]) -> None:
    """Refuse a file that names unknown teams or sends a team two ways."""
    new = {t.id for t in spec.teams}
    unknown = sorted(spec.named_teams() - known_teams - new)
    if unknown:
        raise errors.ReorganisationError(f"unknown teams: {', '.join(unknown)}")
    sources = [t for m in spec.merge for t in m.from_ if t != m.into] + [s.from_ for s in spec.split]
    if len(sources) != len(set(sources)):
        raise errors.ReorganisationError("a team is merged or split more than once")
    targets = {m.into for m in spec.merge} | {t for s in spec.split for t in s.into}
    if targets & set(spec.dissolved()):
        raise errors.ReorganisationError("a team cannot receive plans and be dissolved in one file")
    for s in spec.split:
        if s.default is not None and s.default not in s.into:
            raise errors.ReorganisationError(f"the default of the split of {s.from_} is not among its teams")


def areas_after(spec: Reorganisation, areas_before: dict[str, list[str]]) -> dict[str, list[str]]:
    """Each team's areas once the file is applied; dissolved teams keep none."""
    after = {team: list(areas) for team, areas in areas_before.items()}
    after.update({t.id: list(t.areas) for t in spec.teams if t.id not in after})
    for merge in spec.merge:
        for source in merge.from_:
            if source != merge.into:
                after[merge.into] += after.get(source, [])
                after[source] = []
    for split in spec.split:
        leftover = [a for a in after.get(split.from_, []) if a not in spec.areas]
        after[split.from_] = []
        after[split.default or split.into[0]] += leftover
    for area, team in spec.areas.items():
        for areas in after.values():
            if area in areas:
                areas.remove(area)
        after.setdefault(team, []).append(area)
    return {team: sorted(dict.fromkeys(areas)) for team, areas in after.items()}


def decide(spec: Reorganisation, plans: list[PlanFacts], after: dict[str, list[str]]) -> list[Move]:
    """The move of every affected plan that this reorganisation has not moved yet."""
    merged = {t: m.into for m in spec.merge for t in m.from_ if t != m.into}
    splits = {s.from_: s for s in spec.split}
    area_team = {a.casefold(): team for team, areas in after.items() for a in areas}
    moves = []
    for plan in plans:
        if spec.key() in plan.moved_by:
            continue
        target = _target(plan, merged, splits, area_team, spec)
        if target is not None and target != plan.team_id:
            regisseur = spec.regisseurs.get(plan.regisseur_id or "")
            moves.append(Move(plan.plan_id, plan.team_id, target, regisseur))
    return moves


def _target(
    plan: PlanFacts,
    merged: dict[str, str],
    splits: dict[str, Split],
    area_team: dict[str, str],
    spec: Reorganisation,
) -> str | None:
    by_area = next((area_team[k] for k in plan.area_keys if k in area_team), None)
    if plan.team_id in merged:
        return merged[plan.team_id]
    if plan.team_id in splits:
        split = splits[plan.team_id]
        return by_area if by_area in split.into else (split.default or split.into[0])
    reassigned = {a.casefold() for a in spec.areas}
    if any(k in reassigned for k in plan.area_keys):
        return by_area
    return None


def summary_of(moves: list[Move]) -> dict[str, Any]:
    counts: dict[str, int] = {}
    for move in moves:
        key = f"{move.from_team_id} -> {move.to_team_id}"
        counts[key] = counts.get(key, 0) + 1
    return dict(sorted(counts.items()))
