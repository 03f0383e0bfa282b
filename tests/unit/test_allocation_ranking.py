"""Allocation ranks by expertise and free capacity, across teams; waiting times per team and topic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from eenplan.domain.intake.allocation import Candidacy, rank, team_waiting_days, waiting_times

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)


def pro(pid: str, team: str, expertise: set[str], capacity: int = 10) -> Candidacy:
    return Candidacy(pid, (team,), frozenset(expertise), capacity)


def test_expertise_beats_proximity() -> None:
    near = pro("near", "noord", set(), capacity=30)
    expert = pro("expert", "zuid", {"money", "housing"}, capacity=10)
    ranked = rank(["money", "housing"], [near, expert], {"expert": 8}, {"noord": 0, "zuid": 0}, {"noord"})
    assert [c.professional_id for c in ranked] == ["expert", "near"]
    assert ranked[0].parts["expertise"] == 1.0 and ranked[0].parts["proximity"] == 0.0
    assert ranked[1].parts["proximity"] == 1.0


def test_a_full_professional_is_not_proposed() -> None:
    full = pro("full", "zuid", {"money"}, capacity=5)
    other = pro("other", "noord", set(), capacity=5)
    ranked = rank(["money"], [full, other], {"full": 5}, {"noord": 0, "zuid": 0}, set())
    assert [c.professional_id for c in ranked] == ["other"]


def test_free_capacity_and_a_shorter_wait_break_ties_between_equal_experts() -> None:
    busy = pro("busy", "a", {"care"})
    free = pro("free", "a", {"care"})
    ranked = rank(["care"], [busy, free], {"busy": 9, "free": 1}, {"a": 0}, set())
    assert [c.professional_id for c in ranked] == ["free", "busy"]
    assert ranked[0].parts["capacity"] == 0.9
    slow = pro("slow", "b", {"care"})
    ranked = rank(["care"], [slow, free], {}, {"a": 0, "b": 14}, set())
    assert ranked[0].professional_id == "free" and ranked[1].parts["waiting"] == 0.5


def test_professionals_outside_the_tenants_teams_are_not_proposed() -> None:
    outsider = pro("outsider", "elsewhere", {"money"})
    assert rank(["money"], [outsider], {}, {"a": 0}, set()) == []


def request(team: str, topics: list[str], submitted_days_ago: float, **steps: float) -> dict[str, object]:
    submitted = NOW - timedelta(days=submitted_days_ago)
    stamp = {k: (submitted + timedelta(days=v)).isoformat() for k, v in steps.items()}
    return {
        "team_id": team,
        "topics": topics,
        "submitted_at": submitted.isoformat(),
        "first_contact_at": stamp.get("first_contact_at"),
        "assigned_at": stamp.get("assigned_at"),
        "planned_at": stamp.get("planned_at"),
    }


def test_waiting_times_are_given_per_team_and_topic_for_each_step() -> None:
    requests = [
        request("a", ["money"], 10, first_contact_at=2, assigned_at=1, planned_at=6),
        request("a", ["money", "care"], 10, first_contact_at=4, assigned_at=3),
        request("b", ["care"], 3),
    ]
    rows = {(r["team_id"], r["topic"]): r for r in waiting_times(requests, NOW)}
    money = rows[("a", "money")]
    assert money["requests"] == 2
    assert money["to_first_contact"] == {"count": 2, "mean_days": 3.0}
    assert money["to_assignment"] == {"count": 2, "mean_days": 2.0}
    assert money["to_plan"] == {"count": 1, "mean_days": 6.0}
    assert rows[("b", "care")]["waiting_for_contact"] == 1


def test_a_teams_current_wait_counts_open_requests_up_to_now() -> None:
    requests = [request("a", ["money"], 10, first_contact_at=2), request("a", ["money"], 4)]
    assert team_waiting_days(requests, "a", NOW) == 3.0
    assert team_waiting_days(requests, "b", NOW) == 0.0
