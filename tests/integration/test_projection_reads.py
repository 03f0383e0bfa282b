"""The read models on a real store (SQLite and PostgreSQL): caseloads, plan lists, dashboards,
monitoring, overdue against today, and need-to-know filtering in SQL."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from eenplan.api.bootstrap import Container
from eenplan.domain.directory import RegisterTeam
from eenplan.domain.errors import NotAllowedError, NotFoundError
from eenplan.domain.reorganisation import Reorganisation
from eenplan.domain.values import LegalBasis, LifeDomain
from eenplan.projections import queries
from eenplan.projections.aggregates import dashboard
from eenplan.projections.monitoring import monitoring
from eenplan.projections.queries import Filters, InvalidCursorError, caseload, list_plans
from tests.factories import World, command, ctx_for, uid
from tests.integration.projection_helpers import actor, catch_up

TODAY = date.today()


def do(world: World, who: str, plan_id: str, **fields: object) -> None:
    world.app.plans.execute(world.ctx(who), plan_id, command(**fields))


def pro(world: World, kind: str, n: int = 0) -> str:
    return world.pros[world.orgs[kind]][n]


def auditor(world: World) -> object:
    return actor("auditor-1", "gemeente", "auditor", tenants=(world.tenant,))


def agreement(world: World, by: str, plan_id: str, due: date) -> None:
    responsible = {"organisation_id": world.orgs["welfare"]}
    due_date = due.isoformat()
    do(world, by, plan_id, type="make_agreement", responsible=responsible, action="x", due_date=due_date)


def test_the_regisseurs_caseload_shows_relation_risk_open_and_overdue_agreements(
    container: Container, world: World
) -> None:
    regisseur, colleague = pro(world, "welfare"), pro(world, "social_work")
    plan_id = world.open(regisseur, risk_level="high").plan_id
    world.join(regisseur, plan_id, colleague, "schuldhulp")
    agreement(world, regisseur, plan_id, TODAY - timedelta(days=3))
    agreement(world, regisseur, plan_id, TODAY + timedelta(days=10))
    catch_up(container.projections)

    me = world.ctx(regisseur).actor
    (row,) = caseload(container.projections.db, me, TODAY, Filters()).items
    assert (row["plan_id"], row["relation"], row["risk_level"]) == (plan_id, "regisseur", "high")
    assert (row["open_agreements"], row["overdue_agreements"]) == (2, 1)
    assert row["next_due_date"] == (TODAY - timedelta(days=3)).isoformat()
    theirs = caseload(container.projections.db, world.ctx(colleague).actor, TODAY, Filters()).items
    assert [(r["plan_id"], r["relation"]) for r in theirs] == [(plan_id, "member")]


def test_an_agreement_becomes_overdue_by_the_calendar_alone(container: Container, world: World) -> None:
    regisseur = pro(world, "welfare")
    plan_id = world.open(regisseur).plan_id
    agreement(world, regisseur, plan_id, TODAY + timedelta(days=2))
    catch_up(container.projections)
    me, db = world.ctx(regisseur).actor, container.projections.db

    assert list_plans(db, me, TODAY, Filters(overdue=True)).items == []
    later = TODAY + timedelta(days=3)
    assert [r["plan_id"] for r in list_plans(db, me, later, Filters(overdue=True)).items] == [plan_id]


def test_plan_pages_follow_a_stable_order_without_repeats_or_gaps(container: Container, world: World) -> None:
    regisseur = pro(world, "welfare")
    opened = [world.open(regisseur).plan_id for _ in range(7)]
    do(world, regisseur, opened[0], type="close_plan", reason="done")
    catch_up(container.projections)
    db, me = container.projections.db, world.ctx(regisseur).actor

    seen, cursor = [], None
    while True:
        page = list_plans(db, me, TODAY, Filters(team_id=world.team_id), cursor, limit=3)
        seen += [r["plan_id"] for r in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert seen == opened  # opened in this order, listed in this order, each once
    closed = list_plans(db, me, TODAY, Filters(status="closed")).items
    assert [r["plan_id"] for r in closed] == [opened[0]]
    with pytest.raises(InvalidCursorError):
        list_plans(db, me, TODAY, Filters(), cursor="not-a-cursor")


def test_lists_show_only_plans_the_caller_works_on_or_oversees(container: Container, world: World) -> None:
    regisseur, police, police_colleague = pro(world, "welfare"), pro(world, "police"), pro(world, "police", 1)
    plan_id = world.open(regisseur).plan_id
    catch_up(container.projections)
    db = container.projections.db

    def visible(who: object) -> list[tuple[str, str]]:
        return [(r["plan_id"], r["relation"]) for r in list_plans(db, who, TODAY, Filters()).items]  # type: ignore[arg-type]

    assert visible(world.ctx(police_colleague).actor) == []
    assert visible(actor("auditor-2", "gemeente", "auditor", tenants=("GM0001",))) == []
    assert visible(auditor(world)) == [(plan_id, "auditor")]

    world.join(regisseur, plan_id, police, "wijkagent")
    chief = world.ctx(police, "team_lead")
    world.app.plans.execute(
        chief, plan_id, command(type="grant_mandate", organisation_id=world.orgs["police"], scope="all")
    )
    catch_up(container.projections)
    assert visible(world.ctx(police).actor) == [(plan_id, "care_team")]
    assert visible(world.ctx(police_colleague).actor) == [(plan_id, "mandate")]


def test_another_professionals_caseload_needs_an_overseeing_role(container: Container, world: World) -> None:
    me = world.ctx(pro(world, "welfare")).actor
    with pytest.raises(NotAllowedError):
        caseload(container.projections.db, me, TODAY, Filters(professional_id=pro(world, "police")))


def test_the_team_dashboard_counts_plans_load_overdue_and_waiting_times(
    container: Container, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    regisseur, successor = pro(world, "welfare"), pro(world, "welfare", 1)
    first = world.open(regisseur, risk_level="medium").plan_id
    world.open(regisseur)
    agreement(world, regisseur, first, TODAY - timedelta(days=1))
    world.join(regisseur, first, successor, "maatschappelijk werk")
    # The successor accepts two and a half days after the proposal (event times set by the clock).
    stamp = {"at": datetime.now(UTC) - timedelta(days=3)}
    monkeypatch.setattr("eventsourcing.domain.datetime_now_with_tzinfo", lambda: stamp["at"])
    do(world, regisseur, first, type="propose_handover", to_professional_id=successor, note="x")
    stamp["at"] += timedelta(days=2, hours=12)
    do(world, successor, first, type="accept_handover")
    monkeypatch.undo()
    catch_up(container.projections)

    board = dashboard(container.projections.db, world.ctx(regisseur).actor, world.team_id, TODAY)
    assert board["plans_by_status"] == {"open": 2}
    assert board["open_plans_by_risk"]["medium"] == 1 and board["open_plans_by_risk"]["unassessed"] == 1
    load = {r["professional_id"]: r["open_plans"] for r in board["regisseur_load"]}
    assert (load[regisseur], load[successor]) == (1, 1)
    assert board["overdue_agreements"]["count"] == 1
    assert board["overdue_agreements"]["items"][0]["days_overdue"] == 1
    waits = board["waiting_times"]
    assert waits["opening_to_first_agreement"]["count"] == 1
    assert waits["handover_proposal_to_acceptance"]["count"] == 1
    assert waits["handover_proposal_to_acceptance"]["median_days"] == 2.5
    assert waits["handover_proposal_to_acceptance"]["p90_days"] == 2.5


def test_the_dashboard_is_for_the_team_and_unknown_outside_the_tenant(
    container: Container, world: World
) -> None:
    catch_up(container.projections)
    db = container.projections.db
    outsider = actor("someone", "elders", "professional")
    with pytest.raises(NotAllowedError):
        dashboard(db, outsider, world.team_id, TODAY)
    with pytest.raises(NotFoundError):
        dashboard(db, actor("lead", "x", "team_lead", tenants=("GM0001",)), world.team_id, TODAY)


def test_monitoring_rounds_each_combination_and_shows_every_key(container: Container, world: World) -> None:
    regisseur = pro(world, "welfare")
    for _ in range(6):
        world.open(regisseur, risk_level="low")
    youth = [world.open(regisseur, legal_basis="jeugdwet").plan_id for _ in range(2)]
    do(world, regisseur, youth[0], type="set_goal", goal_id="g1", life_domain="finances", description="x")
    do(world, regisseur, youth[0], type="close_goal", goal_id="g1", outcome="achieved")
    catch_up(container.projections)

    report = monitoring(container.projections.db, auditor(world), world.tenant, TODAY, TODAY)  # type: ignore[arg-type]
    opened = report["total"]["plans_opened"]
    # Six low-risk Wmo plans round to 5; two unassessed Jeugdwet plans round to 0 and show as null.
    assert opened["total"] == 5
    assert opened["by_legal_basis"] == {b.value: 5 if b == "wmo2015" else None for b in LegalBasis}
    assert opened["by_risk"] == {"none": None, "low": 5, "medium": None, "high": None, "unassessed": None}
    assert report["total"]["goals_achieved"] == {d.value: None for d in LifeDomain}
    (team,) = report["teams"]
    assert team["team_id"] == world.team_id and team["areas"] == ["Noord"]
    assert team["plans_opened"] == opened and report["rounded_to"] == 5
    earlier = TODAY - timedelta(days=30)
    assert (
        monitoring(container.projections.db, auditor(world), world.tenant, earlier, earlier)[  # type: ignore[arg-type]
            "total"
        ]["plans_opened"]["total"]
        is None
    )


def test_monitoring_is_for_auditors_admins_and_municipality_staff(container: Container, world: World) -> None:
    catch_up(container.projections)
    with pytest.raises(NotAllowedError):
        me = world.ctx(pro(world, "welfare")).actor
        monitoring(container.projections.db, me, world.tenant, TODAY, TODAY)


def test_regisseur_load_counts_open_plans_per_regisseur(container: Container, world: World) -> None:
    one, other = pro(world, "welfare"), pro(world, "social_work")
    world.open(one)
    world.open(one)
    closed = world.open(other).plan_id
    do(world, other, closed, type="close_plan", reason="done")
    catch_up(container.projections)
    assert container.projections.regisseur_load(world.tenant) == {one: 2}
    assert queries.regisseur_load(container.projections.db, "GM0001") == {}


def test_allocation_reads_regisseur_load_from_the_view_only_when_it_is_current(
    container: Container, world: World
) -> None:
    one = pro(world, "welfare")
    world.open(one)
    load = container.projections.current_regisseur_load(lambda tenant: {"scanned the log": 1}, wait=0.0)
    assert load(world.tenant) == {"scanned the log": 1}
    catch_up(container.projections)
    assert load(world.tenant) == {one: 1}
    assert container.eenplan.intake.loads(world.tenant) == {one: 1}  # wired by the composition root


def test_a_reorganisation_moves_plans_and_areas_in_the_views(container: Container, world: World) -> None:
    admin = ctx_for("admin", "gemeente", "admin")
    container.eenplan.directory.register_team(
        admin, RegisterTeam(id=uid("zuid"), name="Zuid", tenant=world.tenant)
    )
    zuid = container.eenplan.directory.list_entries("team")[-1].key
    regisseur, successor = pro(world, "welfare"), pro(world, "social_work")
    plan_id = world.open(regisseur).plan_id
    spec = {
        "id": uid("r"),
        "merge": [{"into": zuid, "from": [world.team_id]}],
        "regisseurs": {regisseur: successor},  # old regisseur → new
    }
    container.eenplan.reorganisations.reorganise(admin, Reorganisation.model_validate(spec))
    catch_up(container.projections)

    db, lead = container.projections.db, actor("lead", "gemeente", "admin", tenants=(world.tenant,))
    (row,) = list_plans(db, lead, TODAY, Filters(team_id=zuid)).items
    assert (row["plan_id"], row["regisseur_id"]) == (plan_id, successor)
    theirs = caseload(db, world.ctx(successor).actor, TODAY, Filters()).items
    assert [(r["plan_id"], r["relation"]) for r in theirs] == [(plan_id, "regisseur")]
    assert dashboard(db, lead, zuid, TODAY)["areas"] == ["Noord"]
