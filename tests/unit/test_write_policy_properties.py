"""Random command sequences by random organisations, roles and relations, against the policies.

No command outside the write policy changes anything, every command inside it that the domain
accepts does, and no read shows a category outside the read policy at that moment. The oracle
is written apart from `privacy.write_policy`: it reads the rules from the policy file and judges
the relations from the plan as a person would (who is regisseur, who is on the care team).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eenplan.domain import errors
from eenplan.privacy.filter import Caller, filter_plan
from eenplan.privacy.policy import load_policy
from eenplan.privacy.service import Privacy
from eenplan.privacy.write_policy import DEFAULT_FILE
from tests.factories import World, command, ctx_for, in_memory_app, make_world

RULES: dict[str, list[str]] = yaml.safe_load(DEFAULT_FILE.read_text())["commands"]
READ_POLICY = load_policy()
ACTORS = ["regisseur", "colleague", "officer", "lead", "outsider"]
COMMANDS = [
    {"type": "add_note", "category": "health", "text": "slaapt slecht"},
    {"type": "add_note", "category": "justice", "text": "aangifte"},
    {"type": "set_goal", "life_domain": "finances", "description": "schulden"},
    {"type": "assess_risk", "level": "low", "rationale": "rustig"},
    {"type": "join_care_team", "professional_id": "@colleague", "role": "steun"},
    {"type": "join_care_team", "professional_id": "@officer", "role": "wijkagent"},
    {"type": "accept_proposal", "proposal_id": "careteam-@officer"},
    {"type": "leave_care_team", "professional_id": "@officer", "reason": "klaar"},
    {
        "type": "record_consent",
        "organisation_id": "@police",
        "categories": ["health"],
        "purpose": "plan_coordination",
        "given_by": "@member",
    },
    {"type": "close_plan", "reason": "klaar"},
    {"type": "reopen_plan", "reason": "terugval"},
]


class Scene:
    def __init__(self) -> None:
        self.world: World = make_world(in_memory_app(), kinds=("social_work", "police", "mental_health"))
        sw, police = self.world.orgs["social_work"], self.world.orgs["police"]
        self.people = {
            "regisseur": (self.world.pros[sw][0], sw, ("professional",)),
            "colleague": (self.world.pros[sw][1], sw, ("professional",)),
            "lead": (self.world.pros[police][1], police, ("professional", "team_lead")),
            "officer": (self.world.pros[police][0], police, ("professional",)),
            "outsider": (
                self.world.pros[self.world.orgs["mental_health"]][0],
                "mental_health",
                ("professional",),
            ),
        }
        self.outsider_org = self.world.orgs["mental_health"]
        self.plan_id = self.world.open(self.people["regisseur"][0]).plan_id
        # The officer starts on the care team (asked and accepted); the colleague does not.
        self.world.join(self.people["regisseur"][0], self.plan_id, self.people["officer"][0], "wijkagent")

    def plan(self) -> Any:
        return self.world.app.repository.get(UUID(self.plan_id))

    def body(self, template: dict[str, Any]) -> dict[str, Any]:
        member = next(iter(self.plan().members))
        names = {
            "@colleague": self.people["colleague"][0],
            "@officer": self.people["officer"][0],
            "@police": self.world.orgs["police"],
            "@member": member,
        }
        return {k: _fill(v, names) for k, v in template.items()}

    def ctx(self, who: str) -> Any:
        sub, org, roles = self.people[who]
        org = self.outsider_org if who == "outsider" else org
        return ctx_for(sub, org, *roles, tenants=(self.world.tenant,))


def _fill(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, str):
        for placeholder, name in names.items():
            value = value.replace(placeholder, name)
    return value


def oracle(scene: Scene, who: str, body: dict[str, Any]) -> bool:
    """Does a rule of the policy file hold for this caller and command? (The subset these commands use.)"""
    plan, (person, org, roles) = scene.plan(), scene.people[who]
    holds = set()
    on_team = person in plan.care_team and plan.care_team[person]["organisation_id"] == org
    if on_team and person == plan.regisseur_id:
        holds.add("regisseur")
    if on_team:
        holds.add("care_team")
    if "team_lead" in roles:
        holds.add("team_lead")  # every professional of the scene is in the plan's team
    if body["type"] == "leave_care_team" and body["professional_id"] == person:
        holds.add("self")
    proposal = plan.proposals.get(body.get("proposal_id", ""))
    if proposal and proposal["status"] == "pending" and proposal["professional_id"] == person:
        holds.add("proposed")
    return bool(holds & set(RULES[body["type"]]))


def police_sees_no_health(scene: Scene) -> None:
    now = datetime.now(UTC)
    actor = scene.ctx("officer").actor
    state = Privacy.state(scene.plan(), now.date())
    view = filter_plan(Caller(actor, "police"), state, READ_POLICY, now)
    assert view is None or all(n["category"] != "health" for n in view.get("notes", []))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(ACTORS), st.sampled_from(COMMANDS)), min_size=1, max_size=12))
def test_no_command_outside_the_write_policy_changes_anything(
    steps: list[tuple[str, dict[str, Any]]],
) -> None:
    scene = Scene()
    for who, template in steps:
        body = scene.body(template)
        allowed, before = oracle(scene, who, body), scene.plan().version
        try:
            scene.world.app.plans.execute(scene.ctx(who), scene.plan_id, command(**body))
        except (errors.WriteNotAllowedError, errors.PlanNotFoundError):
            assert not allowed, f"{who} was refused {body['type']} that the policy allows"
            assert scene.plan().version == before
        except errors.DomainError:
            assert scene.plan().version == before  # a rule of the plan refused it: nothing saved
        else:
            assert allowed, f"{who} ran {body['type']} outside the write policy"
            assert scene.plan().version > before
        police_sees_no_health(scene)
