"""Property: whatever random organisations do, no person is in two open plans without an override.

A state machine opens plans, adds and removes members, closes and reopens, merges and splits, by
random organisations and sometimes with a second-plan override. The invariant is checked on the
plans themselves (who is in which open plan), not on the index that keeps it: two open plans share
a person only when one was opened beside the other on purpose.
"""

from __future__ import annotations

import os
import uuid
from typing import Any

from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from eenplan.domain import commands as c
from eenplan.domain import errors
from eenplan.domain.plan import HouseholdPlan
from tests.conftest import full_size
from tests.factories import World, command, in_memory_app, make_world, open_plan_body

# Each example is a run of up to 20 steps: fewer runs than the single-step properties.
EXAMPLES = int(os.environ.get("EENPLAN_PROPERTY_EXAMPLES") or full_size(ci=300, dev=30))
ADDRESSES = [
    {"street": "Lange Delft", "house_number": str(n), "postal_code": "4331 AB", "city": "Middelburg"}
    for n in (1, 2)
]
# Six people: two namesakes (same name and birth date, other BSNs), one who has no BSN on record.
PEOPLE = [
    {"given_name": "P0", "family_name": "van der Berg", "birth_date": "1980-01-01", "bsn": "123456782"},
    {"given_name": "P1", "family_name": "Berg", "birth_date": "1980-01-01", "bsn": "111222333"},
    {"given_name": "P2", "family_name": "Çelik", "birth_date": "2010-05-05", "bsn": "200000007"},
    {"given_name": "P3", "family_name": "Jansen", "birth_date": "1975-03-03", "bsn": None},
    {"given_name": "P4", "family_name": "de Vries", "birth_date": "2001-07-07", "bsn": "200000019"},
    {"given_name": "P5", "family_name": "Smit", "birth_date": "1999-09-09", "bsn": "200000020"},
]
REFUSALS = (errors.DomainError,)


def member(index: int, with_bsn: bool) -> dict[str, Any]:
    person = {**PEOPLE[index], "role": "adult"}
    if not with_bsn or person["bsn"] is None:
        person.pop("bsn")
    return person


def who(record: dict[str, Any]) -> int | None:
    """The person a member record is (by the given name the test chose), None when erased."""
    name = record.get("given_name")
    return int(name[1:]) if isinstance(name, str) and name.startswith("P") else None


class OneHouseholdOnePlan(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.world: World = make_world(in_memory_app(), kinds=("welfare", "social_work", "police"))
        self.plans: list[str] = []
        self.pros = [p for ps in self.world.pros.values() for p in ps]

    def plan(self, plan_id: str) -> HouseholdPlan:
        plan: HouseholdPlan = self.world.app.repository.get(uuid.UUID(plan_id))
        return plan

    def regisseur(self, plan_id: str) -> str:
        return self.plan(plan_id).regisseur_id or self.pros[0]

    def attempt(self, who_: str, plan_id: str, **body: Any) -> None:
        try:
            self.world.app.plans.execute(self.world.ctx(who_), plan_id, command(**body))
        except REFUSALS as refused:
            event(f"{body['type']} refused: {type(refused).__name__} {refused}"[:90])
        else:
            event(f"{body['type']} done")

    @rule(
        people=st.lists(st.integers(0, 5), min_size=1, max_size=3, unique=True),
        bsn=st.booleans(),
        pro=st.integers(0, 5),
        address=st.integers(0, 1),
        override=st.booleans(),
    )
    def open(self, people: list[int], bsn: bool, pro: int, address: int, override: bool) -> None:
        household = {"members": [member(i, bsn) for i in people], "address": ADDRESSES[address]}
        extra: dict[str, Any] = {"household": household}
        if override:
            extra["second_plan"] = {"reason": "co-ouderschap"}
        body = open_plan_body(self.world.team_id, self.world.tenant, **extra)
        try:
            opened = self.world.app.plans.open_plan(
                self.world.ctx(self.pros[pro]), c.OpenPlan.model_validate(body)
            )
        except REFUSALS as refused:
            event(f"open refused: {type(refused).__name__}")
            return
        event("open done" + (" beside" if override else ""))
        self.plans.append(opened.plan_id)

    @rule(data=st.data(), person=st.integers(0, 5), bsn=st.booleans())
    def add(self, data: st.DataObject, person: int, bsn: bool) -> None:
        if self.plans:
            plan_id = data.draw(st.sampled_from(self.plans))
            self.attempt(self.regisseur(plan_id), plan_id, type="add_member", member=member(person, bsn))

    @rule(data=st.data())
    def remove(self, data: st.DataObject) -> None:
        if self.plans:
            plan_id = data.draw(st.sampled_from(self.plans))
            members = list(self.plan(plan_id).members)  # in the order they joined: draws replay
            self.attempt(
                self.regisseur(plan_id),
                plan_id,
                type="remove_member",
                member_id=data.draw(st.sampled_from(members)),
                reason="verhuisd",
            )

    @rule(data=st.data(), close=st.booleans())
    def close_or_reopen(self, data: st.DataObject, close: bool) -> None:
        if self.plans:
            plan_id = data.draw(st.sampled_from(self.plans))
            kind = "close_plan" if close else "reopen_plan"
            self.attempt(self.regisseur(plan_id), plan_id, type=kind, reason="wisseling")

    @rule(data=st.data())
    def merge(self, data: st.DataObject) -> None:
        if len(self.plans) >= 2:
            one, other = data.draw(st.lists(st.sampled_from(self.plans), min_size=2, max_size=2, unique=True))
            self.merge_into(one, other, "this")

    @rule(data=st.data())
    def merge_a_plan_opened_beside(self, data: st.DataObject) -> None:
        """The duplicates a merge is for: plans that share a person (here, opened beside on purpose)."""
        known = list(dict.fromkeys(self.plans))  # in the order opened: draws replay
        pairs = [(p, b) for p in known for b in known if b in self.plan(p).beside_plans]
        if pairs:
            one, other = data.draw(st.sampled_from(pairs))
            self.merge_into(one, other, "other")

    def merge_into(self, one: str, other: str, into: str) -> None:
        """The regisseur of `one` proposes, the regisseur of `other` accepts."""
        self.attempt(
            self.regisseur(one), one, type="propose_merge", other_plan_id=other, into=into, reason="één"
        )
        proposals = self.plan(other).proposals.items()
        pending = [k for k, p in proposals if p["kind"] == "merge" and p["status"] == "pending"]
        if pending:
            self.attempt(self.regisseur(other), other, type="accept_merge", proposal_id=pending[-1])

    @rule(data=st.data())
    def split(self, data: st.DataObject) -> None:
        if not self.plans:
            return
        plan_id = data.draw(st.sampled_from(self.plans))
        plan = self.plan(plan_id)
        if len(plan.members) < 2:
            return
        leaving = data.draw(st.sampled_from(list(plan.members)))
        before = list(plan.__dict__.get("split_into", []))
        self.attempt(
            self.regisseur(plan_id), plan_id, type="split_household", member_ids=[leaving], reason="uit huis"
        )
        self.plans += [p for p in self.plan(plan_id).__dict__.get("split_into", []) if p not in before]

    @invariant()
    def no_person_in_two_open_plans_unless_beside(self) -> None:
        holders: dict[int, list[HouseholdPlan]] = {}
        for plan_id in dict.fromkeys(self.plans):
            plan = self.plan(plan_id)
            if plan.status != "open":
                continue
            people = [who(record) for record in plan.members.values()]
            held = [p for p in people if p is not None]
            assert len(held) == len(set(held)), f"a person is in plan {plan.id} twice"
            for person in held:
                holders.setdefault(person, []).append(plan)
        for person, plans in holders.items():
            for i, first in enumerate(plans):
                for second in plans[i + 1 :]:
                    beside = str(second.id) in first.beside_plans or str(first.id) in second.beside_plans
                    assert beside, f"person P{person} is in open plans {first.id} and {second.id}"


OneHouseholdOnePlan.TestCase.settings = settings(
    max_examples=EXAMPLES,
    stateful_step_count=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
test_no_person_in_two_open_plans_without_an_override = OneHouseholdOnePlan.TestCase
