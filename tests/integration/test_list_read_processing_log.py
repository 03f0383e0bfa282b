"""List reads log from the view, exactly as they logged from the event store (SQLite and PostgreSQL).

A caseload page writes one processing-log line per member of every listed plan. The members now
come from the `plans` view instead of loading each plan; these tests write the lines of one read
both ways (the view's members, and the old per-plan load) and require them to be the same, while
members are added and removed. A view from before members were kept still logs (by loading), and
the runner replaces it with a complete one.
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from types import SimpleNamespace
from typing import Any

from eenplan.api.bootstrap import Container
from eenplan.api.http.processing import _write
from eenplan.api.http.routes.views import listed_page
from eenplan.domain.context import Actor
from eenplan.privacy import processing
from eenplan.projections.plans import PlansProjection
from eenplan.projections.queries import Filters, Page, caseload
from tests.factories import World
from tests.integration.projection_helpers import active, catch_up, regisseur

CHILD = {"given_name": "Bo", "family_name": "Jansen", "birth_date": "2015-01-01", "role": "child"}
VARYING = ("id", "operation_id", "start_time", "end_time")


def write_lines(container: Container, notes: list[processing.Noted], plan_ids: list[str]) -> list[str]:
    """Write the notes through the route's log writer under a fresh trace; its lines, normalised."""
    trace_id = uuid.uuid4().hex
    request: Any = SimpleNamespace(
        app=SimpleNamespace(state=SimpleNamespace(container=container)),
        state=SimpleNamespace(trace={"trace_id": trace_id, "span_id": "b" * 16}),
    )
    _write(request, "plan_coordination", "read_caseload", notes, processing.now())
    lines = [line for p in plan_ids for line in container.privacy.log.for_plan(p, limit=10_000)]
    mine = [
        {k: v for k, v in line.items() if k not in VARYING} for line in lines if line["trace_id"] == trace_id
    ]
    return sorted(json.dumps({**line, "trace_id": "t"}, sort_keys=True) for line in mine)


def logged_both_ways(container: Container, me: Actor) -> tuple[list[str], list[str], Page]:
    catch_up(container.projections)
    page = caseload(container.projections.db, me, date.today(), Filters())
    plan_ids = [item["plan_id"] for item in page.items]
    from_view = processing.begin()
    listed_page(me, page)
    loaded = processing.begin()
    for plan_id in plan_ids:  # what the route noted before the view kept members: the plan id alone
        processing.note_processing(me, plan_id)
    return write_lines(container, from_view, plan_ids), write_lines(container, loaded, plan_ids), page


def subjects(container: Container, me: Actor, plan_ids: list[str]) -> set[str]:
    """The data subjects the event store says the plans have now (hashed as in the log)."""
    log = container.privacy.log
    return {
        log.subject_id(plan.tenant, m)
        for plan in (container.eenplan.plans.plan(me, p) for p in plan_ids)
        for m in plan.members
    }


def test_a_caseload_read_logs_the_same_lines_from_the_view_as_from_the_event_store(
    container: Container, world: World
) -> None:
    pro = regisseur(world)
    me = world.ctx(pro).actor
    first, second = world.open(pro).plan_id, world.open(pro).plan_id
    steps = [
        lambda: None,
        lambda: world.run(pro, first, type="add_member", member=CHILD),
        # Another child: one person is in one open plan (a second plan of the same child is refused).
        lambda: world.run(
            pro, second, type="add_member", member={**CHILD, "given_name": "Sam", "family_name": "Smit"}
        ),
        lambda: world.run(
            pro,
            first,
            type="remove_member",
            member_id=sorted(container.eenplan.plans.plan(me, first).members)[0],
            reason="verhuisd",
        ),
    ]
    counts = []
    for step in steps:
        step()
        from_view, loaded, page = logged_both_ways(container, me)
        assert from_view == loaded
        assert page.subjects is not None, "the read did not use the view's members"
        logged = {json.loads(line)["attributes"]["dpl.core.data_subject_id"] for line in from_view}
        assert logged == subjects(container, me, [first, second])
        counts.append(len(from_view))
    assert counts == [2, 3, 4, 3]  # one member each; +1, +1, -1


def test_an_empty_caseload_notes_that_nothing_personal_was_read(container: Container, world: World) -> None:
    catch_up(container.projections)
    page = caseload(container.projections.db, world.ctx(regisseur(world)).actor, date.today(), Filters())
    notes = processing.begin()
    listed_page(world.ctx(regisseur(world)).actor, page)
    assert page.items == [] and notes == [processing.NOTHING]


def downgrade_to_version_1(container: Container) -> int:
    """Make the serving plans view look like one written before members were kept."""
    generation, _ = active(container.projections.db, "plans")
    with container.projections.db.write() as tx:
        tx.execute(f"DROP TABLE {PlansProjection().names(generation).members}")
        tx.execute("DELETE FROM eenplan_projection_versions WHERE name = 'plans'")
    return generation


def test_an_upgraded_server_logs_from_an_old_view_then_rebuilds_it_with_members(
    container: Container, world: World
) -> None:
    pro = regisseur(world)
    me = world.ctx(pro).actor
    plan_id = world.open(pro).plan_id
    world.run(pro, plan_id, type="add_member", member=CHILD)
    catch_up(container.projections)
    old = downgrade_to_version_1(container)

    page = caseload(container.projections.db, me, date.today(), Filters())
    assert page.subjects is None  # the old view has no members: the log loads the plan instead
    notes = processing.begin()
    listed_page(me, page)
    assert [(n.plan_id, n.member_ids) for n in notes] == [(plan_id, None)]

    catch_up(container.projections)  # the runner fills a replacement and swaps it in
    generation, position = active(container.projections.db, "plans")
    assert generation > old and position == container.eenplan.recorder.max_notification_id()
    from_view, loaded, page = logged_both_ways(container, me)
    assert page.subjects is not None
    assert sorted(page.subjects[plan_id]) == sorted(container.eenplan.plans.plan(me, plan_id).members)
    assert from_view == loaded and len(from_view) == 2
