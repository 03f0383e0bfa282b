"""A page of a plan list or a caseload is one SQL statement, waiting for `min_position` included.

Counted at the projection query layer: every statement a read sends through the view
database's transactions. The first read of a process also asks which generations serve;
a rebuild's swap, or two (the first one's tables dropped), is followed without a wrong answer.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import pytest

from eenplan.api.bootstrap import Container
from eenplan.projections.db import Tx
from eenplan.projections.queries import Filters
from tests.factories import World, command
from tests.integration.projection_helpers import catch_up, regisseur

CHILD = {"given_name": "Bo", "family_name": "Jansen", "role": "child"}


class Counting:
    """A transaction that counts the statements sent through it."""

    def __init__(self, tx: Tx, sent: list[str]) -> None:
        self.tx, self.sent = tx, sent

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        self.sent.append(sql)
        return self.tx.rows(sql, params)

    def execute(self, sql: str, params: Sequence[Any] = ()) -> int:
        self.sent.append(sql)
        return self.tx.execute(sql, params)


@pytest.fixture
def sent(container: Container, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    statements: list[str] = []
    db = container.projections.db
    read = db.read

    @contextmanager
    def counted() -> Iterator[Any]:
        with read() as tx:
            yield Counting(tx, statements)

    monkeypatch.setattr(db, "read", counted)
    return statements


def plans(world: World, container: Container, n: int) -> tuple[str, list[str]]:
    """`n` plans of one regisseur, each with a child of its own; the views caught up."""
    pro = regisseur(world)
    opened = [world.open(pro).plan_id for _ in range(n)]
    for i, plan_id in enumerate(opened):
        member = {**CHILD, "birth_date": f"2015-01-{i + 1:02d}"}
        world.app.plans.execute(world.ctx(pro), plan_id, command(type="add_member", member=member))
    catch_up(container.projections)
    return pro, opened


def test_each_page_of_plans_and_of_a_caseload_is_one_statement(
    container: Container, world: World, sent: list[str]
) -> None:
    pro, opened = plans(world, container, 5)
    me, views = world.ctx(pro).actor, container.projections
    head = container.eenplan.recorder.max_notification_id()
    views.plans(me, Filters(), None, 1)  # the process learns which generations serve
    sent.clear()

    first = views.plans(me, Filters(), None, 3, min_position=head)
    assert len(sent) == 1, sent
    second = views.plans(me, Filters(), first.next_cursor, 3, min_position=head)
    assert len(sent) == 2, sent
    load = views.caseload(me, Filters(), None, 10, min_position=head)
    assert len(sent) == 3, sent

    assert [i["plan_id"] for i in first.items + second.items] == opened
    assert second.next_cursor is None and [i["plan_id"] for i in load.items] == opened
    for page in (first, second, load):
        assert page.subjects is not None
        for item in page.items:
            members = container.eenplan.plans.plan(me, item["plan_id"]).members
            assert sorted(page.subjects[item["plan_id"]]) == sorted(members)


def test_an_empty_page_is_one_statement_too(container: Container, world: World, sent: list[str]) -> None:
    pro, _ = plans(world, container, 1)
    me, views = world.ctx(pro).actor, container.projections
    views.plans(me, Filters(), None, 1)
    sent.clear()
    page = views.plans(me, Filters(status="closed"), None, 10)
    assert (page.items, page.next_cursor, page.subjects, len(sent)) == ([], None, {}, 1)


def test_pages_follow_rebuilds_including_one_that_dropped_the_tables_last_read(
    container: Container, world: World
) -> None:
    pro, opened = plans(world, container, 3)
    me, views = world.ctx(pro).actor, container.projections
    assert [i["plan_id"] for i in views.plans(me, Filters(), None, 10).items] == opened
    views.rebuild("plans")  # swapped: the generation last read from still exists
    assert [i["plan_id"] for i in views.caseload(me, Filters(), None, 10).items] == opened
    views.rebuild("plans")
    views.rebuild("plans")  # the generation last read from is dropped
    page = views.plans(me, Filters(), None, 10)
    assert [i["plan_id"] for i in page.items] == opened and page.subjects is not None
