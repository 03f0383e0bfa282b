"""Allocation by expertise and free capacity, not by neighbourhood (seed 003); waiting times.

Pure functions over plain facts, so ranking and waiting times are tested without
a store. The weights make expertise dominate: a professional whose expertise
covers the request outranks one who merely works in the request's area.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import mean
from typing import Any

WEIGHTS = {"expertise": 0.6, "capacity": 0.25, "waiting": 0.1, "proximity": 0.05}
WAITING_SCALE_DAYS = 14.0  # a team waiting two weeks scores half on waiting
RECENT_DAYS = 90  # the team's "current" waiting time looks back this far
STEPS = {"to_first_contact": "first_contact_at", "to_assignment": "assigned_at", "to_plan": "planned_at"}


@dataclass(frozen=True)
class Candidacy:
    """What allocation needs to know about one professional."""

    professional_id: str
    team_ids: tuple[str, ...]
    expertise: frozenset[str]
    capacity: int


@dataclass(frozen=True)
class Candidate:
    professional_id: str
    team_id: str
    score: float
    parts: dict[str, float] = field(default_factory=dict)


def rank(
    topics: list[str],
    candidacies: list[Candidacy],
    load: dict[str, int],
    team_waiting_days: dict[str, float],
    area_team_ids: set[str],
) -> list[Candidate]:
    """Candidates best first; a professional without free capacity is not proposed."""
    ranked = []
    for candidacy in candidacies:
        free = candidacy.capacity - load.get(candidacy.professional_id, 0)
        teams = [t for t in candidacy.team_ids if t in team_waiting_days]
        if free <= 0 or not teams:
            continue
        team_id = min(teams, key=lambda t: (t not in area_team_ids, team_waiting_days[t], t))
        parts = {
            "expertise": len(set(topics) & candidacy.expertise) / len(topics) if topics else 0.0,
            "capacity": free / candidacy.capacity,
            "waiting": 1 / (1 + team_waiting_days[team_id] / WAITING_SCALE_DAYS),
            "proximity": 1.0 if team_id in area_team_ids else 0.0,
        }
        score = sum(WEIGHTS[name] * value for name, value in parts.items())
        rounded = {name: round(value, 3) for name, value in parts.items()}
        ranked.append(Candidate(candidacy.professional_id, team_id, round(score, 4), rounded))
    return sorted(ranked, key=lambda c: (-c.score, c.professional_id))


def _days(start: str, end: str | datetime) -> float:
    end_at = end if isinstance(end, datetime) else datetime.fromisoformat(end)
    return (end_at - datetime.fromisoformat(start)).total_seconds() / 86400


def team_waiting_days(requests: list[dict[str, Any]], team_id: str, now: datetime) -> float:
    """The team's current wait: mean days to first contact of recent requests, open ones to now."""
    since = now - timedelta(days=RECENT_DAYS)
    waits = [
        _days(r["submitted_at"], r["first_contact_at"] or now)
        for r in requests
        if r["team_id"] == team_id and datetime.fromisoformat(r["submitted_at"]) >= since
    ]
    return round(mean(waits), 3) if waits else 0.0


def waiting_times(requests: list[dict[str, Any]], now: datetime) -> list[dict[str, Any]]:
    """Per team and topic: mean days from request to first contact, assignment and plan."""
    groups: dict[tuple[str | None, str], list[dict[str, Any]]] = defaultdict(list)
    for request in requests:
        for topic in request["topics"]:
            groups[(request["team_id"], topic)].append(request)
    rows = []
    for (team_id, topic), members in sorted(groups.items(), key=lambda kv: (kv[0][0] or "", kv[0][1])):
        row: dict[str, Any] = {"team_id": team_id, "topic": topic, "requests": len(members)}
        for step, stamp in STEPS.items():
            done = [_days(r["submitted_at"], r[stamp]) for r in members if r[stamp]]
            row[step] = {"count": len(done), "mean_days": round(mean(done), 3) if done else None}
        row["waiting_for_contact"] = sum(1 for r in members if not r["first_contact_at"])
        rows.append(row)
    return rows
