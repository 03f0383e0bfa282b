"""Property: no arithmetic on a monitoring answer recovers a small cell, nor shows which cells exist.

Random tenants (three teams; plans opened or closed by risk and legal basis; goals per life
domain; agreements on time or late) go through the same figures the API publishes. The
differencing attack of the issue (the tenant's count minus the other teams' counts) yields the
rounded figure the answer already shows, never a count of one to four households. Stronger: two
tenants that differ by one household in any combination, empty ones included, get the same
answer, so nothing computed from the answer can tell them apart.
"""

from __future__ import annotations

import os
from collections import defaultdict
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from eenplan.projections.aggregates import RISK_LEVELS
from eenplan.projections.monitoring import LEGAL_BASES, LIFE_DOMAINS, TIMELINESS, Tally, tenant_and_teams

TEAMS = ["team-a", "team-b", "team-c"]
EXAMPLES = int(os.environ.get("EENPLAN_PROPERTY_EXAMPLES", "300"))
PLAN_KEYS = [(w, r, b) for w in ("opened", "closed") for r in RISK_LEVELS for b in LEGAL_BASES]
KEYS = [*PLAN_KEYS, *(("goal", d) for d in LIFE_DOMAINS), *(("agreement", t) for t in TIMELINESS)]
World = dict[tuple[str, tuple[str, ...]], int]  # (team, combination) -> count

worlds = st.dictionaries(
    st.tuples(st.sampled_from(TEAMS), st.sampled_from(KEYS)),
    st.integers(min_value=1, max_value=14),
    max_size=40,
)


def answer(world: World) -> tuple[dict[str, Any], list[Any]]:
    tallies: dict[str, Tally] = defaultdict(Tally)
    for (team, key), count in world.items():
        for _ in range(count):
            tallies[team].add(*key)
    return tenant_and_teams(tallies, TEAMS)


def cells(figures: dict[str, Any]) -> dict[str, int | None]:
    """Every published count of one team or the tenant, by a path name."""
    found: dict[str, int | None] = {}
    for what in ("plans_opened", "plans_closed"):
        found[f"{what}.total"] = figures[what]["total"]
        for group in ("by_risk", "by_legal_basis"):
            found |= {f"{what}.{group}.{k}": v for k, v in figures[what][group].items()}
    found |= {f"goals.{k}": v for k, v in figures["goals_achieved"].items()}
    found |= {f"agreements.{k}": v for k, v in figures["agreements_completed"].items()}
    return found


def true_cells(world: World, team: str) -> dict[str, int]:
    """The exact counts behind one team's published cells."""
    exact: dict[str, int] = defaultdict(int)
    for (owner, key), count in world.items():
        if owner != team:
            continue
        if key[0] in ("opened", "closed"):
            what = f"plans_{key[0]}"
            for name in ("total", f"by_risk.{key[1]}", f"by_legal_basis.{key[2]}"):
                exact[f"{what}.{name}"] += count
        else:
            exact[f"{'goals' if key[0] == 'goal' else 'agreements'}.{key[1]}"] += count
    return exact


@settings(max_examples=EXAMPLES, deadline=None)
@given(worlds)
def test_the_tenant_minus_the_other_teams_gives_the_published_rounded_figure_never_a_small_cell(
    world: World,
) -> None:
    tenant, teams = answer(world)
    published = [cells(t) for t in teams]
    for index, team in enumerate(TEAMS):
        exact = true_cells(world, team)
        for name, total in cells(tenant).items():
            others = sum(published[i][name] or 0 for i in range(len(TEAMS)) if i != index)
            derived = (total or 0) - others
            assert derived == (published[index][name] or 0)
            assert derived % 5 == 0 and not (1 <= exact.get(name, 0) <= 4 and derived == exact[name])


@settings(max_examples=EXAMPLES, deadline=None)
@given(worlds, st.sampled_from(TEAMS), st.sampled_from(KEYS))
def test_one_household_more_or_less_in_any_combination_leaves_the_answer_unchanged(
    world: World, team: str, key: tuple[str, ...]
) -> None:
    count = world.get((team, key), 0)
    neighbour = dict(world)
    # The step that stays within the count's rounding: 0, 1 and 3 up by one; 2 and 4 down by one.
    neighbour[(team, key)] = count + 1 if count % 5 in (0, 1, 3) else count - 1
    assert true_cells(neighbour, team) != true_cells(world, team)
    assert answer(neighbour) == answer(world)


@settings(max_examples=EXAMPLES, deadline=None)
@given(worlds)
def test_every_answer_has_the_full_grid_of_keys_and_adds_up(world: World) -> None:
    tenant, teams = answer(world)
    empty_tenant, _ = answer({})
    assert cells(tenant).keys() == cells(empty_tenant).keys()
    assert all(cells(t).keys() == cells(tenant).keys() for t in teams)
    for name, value in cells(tenant).items():
        assert (value or 0) == sum(cells(t)[name] or 0 for t in teams)
        assert value is None or (value > 0 and value % 5 == 0)
    for figures in (tenant, *teams):
        for what in ("plans_opened", "plans_closed"):
            total = figures[what]["total"] or 0
            assert total == sum(v or 0 for v in figures[what]["by_risk"].values())
            assert total == sum(v or 0 for v in figures[what]["by_legal_basis"].values())
