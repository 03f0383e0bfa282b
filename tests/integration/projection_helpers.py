"""Helpers for projection tests: catch a runner up, snapshot a view generation, call as someone."""

from __future__ import annotations

from typing import Any

from eenplan.domain.context import Actor
from eenplan.projections.db import ViewDB
from eenplan.projections.service import Projections
from eenplan.projections.tracking import Projection
from tests.factories import World


def catch_up(projections: Projections, names: list[str] | None = None) -> None:
    """Apply every event written so far, in the foreground."""
    runner = projections.runner(names)
    try:
        while runner.run_once():
            pass
    finally:
        runner.locks.close()


def snapshot(db: ViewDB, projection: Projection, generation: int) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table of one generation, sorted: two equal snapshots are equal views."""
    tables = projection.names(generation)
    with db.read() as tx:
        return {
            base: sorted(tx.rows(f"SELECT * FROM {getattr(tables, base)}"), key=repr)
            for base in projection.tables
        }


def active(db: ViewDB, name: str) -> tuple[int, int]:
    """(active generation, its position)."""
    with db.read() as tx:
        rows = tx.rows(
            "SELECT p.generation, t.position FROM eenplan_projections p JOIN eenplan_projection_tracking t"
            " ON t.name = p.name AND t.generation = p.generation WHERE p.name = ?",
            (name,),
        )
    return int(rows[0][0]), int(rows[0][1])


def actor(sub: str, org: str, *roles: str, tenants: tuple[str, ...] = ("GM0687",)) -> Actor:
    return Actor(sub, org, frozenset(roles or ("professional",)), frozenset(tenants))


def regisseur(world: World) -> str:
    """The first welfare professional of a test world, who opens and coordinates its plans."""
    return world.pros[world.orgs["welfare"]][0]
