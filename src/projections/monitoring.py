"""Municipal monitoring: anonymised aggregates per team (with its areas) and for the tenant.

Plans opened and closed (by risk and by legal basis), the median duration of
closed plans, goals achieved per life domain, and agreements completed on time
or late, all within a period. No ids leave this module.

No arithmetic on an answer recovers a small cell. Each figure is built from
*combinations*, the finest cells behind it: for plans opened or closed one
combination is (team, risk level, legal basis), for goals (team, life domain),
for agreements (team, on time or late). Each combination's count is rounded
once to the nearest multiple of 5 (1 and 2 become 0, 3 and 4 become 5), and
every published count is the sum of the rounded combinations it covers: a
team's total and its counts by risk and by basis, and the tenant's counts, the
sums of its teams'. An answer is thus a function of the rounded combinations
alone: move any combination by one household within its rounding step and the
answer is the same, so no difference of totals, teams and tenant tells it.
(Rounding each figure on its own would not do: differences of independently
rounded figures bound the cells, and enough bounds together can pin one.)

A count that rounds to 0 is null, and every key of the grid (all risk levels,
legal bases, life domains) is always there, so absent keys reveal nothing. A
median needs `SUPPRESS_BELOW` closed plans behind it, else it is null.
"""

from __future__ import annotations

import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date
from typing import Any

from eenplan.domain.context import Actor
from eenplan.domain.values import LegalBasis, LifeDomain
from eenplan.projections.aggregates import RISK_LEVELS, SUPPRESS_BELOW, _days, may_monitor, period
from eenplan.projections.db import Tx, ViewDB
from eenplan.projections.queries import scope_of
from eenplan.projections.visibility import Scope

ROUNDED_TO = 5
LEGAL_BASES = tuple(basis.value for basis in LegalBasis)
LIFE_DOMAINS = tuple(domain.value for domain in LifeDomain)
TIMELINESS = ("on_time", "late")
Key = tuple[str, ...]


def rounded(count: int) -> int:
    """The nearest multiple of 5: 1 and 2 become 0, 3 and 4 become 5."""
    return ROUNDED_TO * ((count + ROUNDED_TO // 2) // ROUNDED_TO)


class Tally:
    """One team's counts per combination, and the durations of its closed plans."""

    def __init__(self) -> None:
        self.counts: Counter[Key] = Counter()
        self.durations: list[float] = []

    def add(self, *key: str) -> None:
        self.counts[key] += 1

    def rounded(self) -> Counter[Key]:
        """Each combination rounded once: all a published figure is made of."""
        return Counter({key: rounded(count) for key, count in self.counts.items()})


def report(combinations: Counter[Key], durations: list[float]) -> dict[str, Any]:
    """The published figures of rounded combinations: sums of them, and null where a sum is 0."""
    median = statistics.median(durations) if len(durations) >= SUPPRESS_BELOW else None

    def shown(*keys: Key) -> int | None:
        return sum(combinations[key] for key in keys) or None

    return {
        "plans_opened": _plans(shown, "opened"),
        "plans_closed": _plans(shown, "closed"),
        "median_duration_days": round(median, 1) if median is not None else None,
        "goals_achieved": {domain: shown(("goal", domain)) for domain in LIFE_DOMAINS},
        "agreements_completed": {when: shown(("agreement", when)) for when in TIMELINESS},
    }


def _plans(shown: Any, what: str) -> dict[str, Any]:
    grid = [(what, risk, basis) for risk in RISK_LEVELS for basis in LEGAL_BASES]
    return {
        "total": shown(*grid),
        "by_risk": {risk: shown(*(k for k in grid if k[1] == risk)) for risk in RISK_LEVELS},
        "by_legal_basis": {basis: shown(*(k for k in grid if k[2] == basis)) for basis in LEGAL_BASES},
    }


def tenant_and_teams(tallies: dict[str, Tally], teams: Iterable[str]) -> tuple[dict[str, Any], list[Any]]:
    """The tenant's figures (the sum of every team's rounded combinations) and the listed teams'."""
    per_team = {team_id: tally.rounded() for team_id, tally in tallies.items()}
    everything: Counter[Key] = Counter()
    for combinations in per_team.values():
        everything.update(combinations)
    durations = [d for tally in tallies.values() for d in tally.durations]
    listed = [report(per_team.get(t, Counter()), tallies[t].durations if t in tallies else []) for t in teams]
    return report(everything, durations), listed


def _count_plans(tx: Tx, scope: Scope, tenant: str, lo: str, hi: str, tallies: dict[str, Tally]) -> None:
    rows = tx.rows(
        f"SELECT team_id, COALESCE(risk_level, 'unassessed'), legal_basis, opened_at, closed_at"
        f" FROM {scope.plans.plans} WHERE tenant = ?"
        " AND ((opened_at >= ? AND opened_at < ?) OR (closed_at >= ? AND closed_at < ?))",
        (tenant, lo, hi, lo, hi),
    )
    for team_id, risk, basis, opened_at, closed_at in rows:
        tally = tallies[str(team_id)]
        for what, at in (("opened", opened_at), ("closed", closed_at)):
            if at is not None and lo <= at < hi:
                tally.add(what, str(risk), str(basis))
        if closed_at is not None and lo <= closed_at < hi:
            tally.durations.append(_days(opened_at, closed_at))


def _count_outcomes(tx: Tx, scope: Scope, tenant: str, lo: str, hi: str, tallies: dict[str, Tally]) -> None:
    p = scope.plans
    goals = tx.rows(
        f"SELECT x.team_id, g.life_domain FROM {p.goals} g"
        f" JOIN {p.plans} x ON x.plan_id = g.plan_id"
        " WHERE x.tenant = ? AND g.status = 'achieved' AND g.closed_at >= ? AND g.closed_at < ?",
        (tenant, lo, hi),
    )
    for team_id, domain in goals:
        tallies[str(team_id)].add("goal", str(domain))
    agreements = tx.rows(
        f"SELECT x.team_id, a.completed_at, a.due_date FROM {p.agreements} a"
        f" JOIN {p.plans} x ON x.plan_id = a.plan_id WHERE x.tenant = ? AND a.status = 'completed'"
        " AND a.completed_at >= ? AND a.completed_at < ?",
        (tenant, lo, hi),
    )
    for team_id, completed_at, due_date in agreements:
        late = str(completed_at)[:10] > str(due_date)
        tallies[str(team_id)].add("agreement", "late" if late else "on_time")


def monitoring(db: ViewDB, actor: Actor, tenant: str, start: date, end: date) -> dict[str, Any]:
    lo, hi = period(start, end)
    tallies: dict[str, Tally] = defaultdict(Tally)
    with db.read() as tx:
        scope = scope_of(tx)
        may_monitor(tx, scope, actor, tenant)
        teams = tx.rows(
            f"SELECT team_id, areas FROM {scope.directory.teams} WHERE tenant = ? ORDER BY team_id", (tenant,)
        )
        _count_plans(tx, scope, tenant, lo, hi, tallies)
        _count_outcomes(tx, scope, tenant, lo, hi, tallies)
    total, listed = tenant_and_teams(tallies, [str(team_id) for team_id, _ in teams])
    return {
        "tenant": tenant,
        "from": start.isoformat(),
        "to": end.isoformat(),
        "suppressed_below": SUPPRESS_BELOW,
        "rounded_to": ROUNDED_TO,
        "total": total,
        "teams": [
            {"team_id": str(team_id), "areas": json.loads(areas), **figures}
            for (team_id, areas), figures in zip(teams, listed, strict=True)
        ],
    }
