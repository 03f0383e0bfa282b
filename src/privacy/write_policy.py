"""The write policy: who may issue which plan command, from its versioned data file.

`write-policy.yaml` lists, per command, the rules under which it is allowed (see the file for
what each rule means). `WriteAuthority.authorise` is the one enforcement point: the application
calls it for every plan command, single, in a batch or from a CloudEvent, before the command
touches the plan. A caller for whom nothing holds (no rule, no read relation) gets the 404 of a
plan that does not exist; one who sees the plan but whom no rule allows gets 403 naming the rules.
Like the read policy, each version is recorded with its hash the first time it is loaded.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

from eenplan.domain import errors
from eenplan.domain.commands import COMMAND_TYPES
from eenplan.domain.context import Actor, CommandContext
from eenplan.domain.plan import HouseholdPlan
from eenplan.domain.values import Role
from eenplan.privacy.filter import can_see
from eenplan.privacy.policy import PolicyError, activities
from eenplan.privacy.service import Privacy

DEFAULT_FILE = Path(__file__).with_name("write-policy.yaml")
RELATION_RULES = ("regisseur", "team_lead", "care_team", "mandate")
SUBJECT_RULES = ("responsible", "self", "proposed", "proposer", "organisation")
ROLE_RULES = ("privacy_officer",)
RULES = (*RELATION_RULES, *SUBJECT_RULES, *ROLE_RULES)
# The roles through which an organisation acts for itself (its mandates, its workers' proposals).
ORGANISATION_ROLES = (Role.TEAM_LEAD, Role.PARTNER_SYSTEM)


# What the policy decides: every plan command, and decisions that are not a command of their own
# (opening a second plan beside an existing one, judged on the existing plan).
DECIDED = (*COMMAND_TYPES, "open_second_plan")


@dataclass(frozen=True)
class WritePolicy:
    version: str
    sha256: str
    commands: dict[str, tuple[str, ...]]
    source: str = field(default="", repr=False)

    def allowed(self, command: str) -> tuple[str, ...]:
        return self.commands.get(command, ())

    @classmethod
    def parse(cls, text: str) -> WritePolicy:
        raw = yaml.safe_load(text)
        if not isinstance(raw, dict) or "version" not in raw or not isinstance(raw.get("commands"), dict):
            raise PolicyError("a write policy is a mapping with a version and commands")
        commands = {name: _rules(name, rules) for name, rules in raw["commands"].items()}
        missing = set(DECIDED) - set(commands)
        if missing:
            raise PolicyError(f"the write policy says nothing of {sorted(missing)}; list [] to refuse one")
        unknown = set(commands) - set(DECIDED)
        if unknown:
            raise PolicyError(f"the write policy names unknown commands {sorted(unknown)}")
        return cls(str(raw["version"]), hashlib.sha256(text.encode()).hexdigest(), commands, text)


def _rules(command: str, rules: Any) -> tuple[str, ...]:
    if not isinstance(rules, list) or not set(rules) <= set(RULES):
        raise PolicyError(f"commands.{command}: a list of rules from {list(RULES)}")
    return tuple(rules)


def load_write_policy(path: Path | None = None) -> WritePolicy:
    return _load(Path(path or DEFAULT_FILE))


@lru_cache(maxsize=8)
def _load(path: Path) -> WritePolicy:
    return WritePolicy.parse(path.read_text(encoding="utf-8"))


_TABLE = """CREATE TABLE IF NOT EXISTS privacy_write_policies (
    sha256 TEXT PRIMARY KEY, version TEXT NOT NULL, first_loaded_at TEXT NOT NULL, source TEXT NOT NULL)"""


def write_authority(privacy: Privacy, path: Path | None = None) -> WriteAuthority:
    """The write policy in force, recorded for auditors, judging with the read filter's visibility."""
    policy = load_write_policy(path)
    privacy.store.execute(_TABLE)
    privacy.store.execute(
        "INSERT INTO privacy_write_policies (sha256, version, first_loaded_at, source) VALUES (?, ?, ?, ?) "
        "ON CONFLICT (sha256) DO NOTHING",
        (policy.sha256, policy.version, datetime.now(UTC).isoformat(), policy.source),
    )

    def sees(actor: Actor, plan: HouseholdPlan) -> bool:
        now = datetime.now(UTC)
        return can_see(privacy.caller(actor, plan, now), privacy.state(plan, now.date()), now)

    return WriteAuthority(policy, sees)


def recorded_write_policies(privacy: Privacy) -> list[dict[str, Any]]:
    """Each write policy version with the moment it was first in force, oldest first."""
    privacy.store.execute(_TABLE)
    return privacy.store.query(
        "SELECT version, sha256, first_loaded_at FROM privacy_write_policies ORDER BY first_loaded_at"
    )


def write_policy_source(privacy: Privacy, sha256: str) -> str | None:
    rows = privacy.store.query("SELECT source FROM privacy_write_policies WHERE sha256 = ?", (sha256,))
    return str(rows[0]["source"]) if rows else None


class WriteAuthority:
    """The application's `WritePolicy` port: the policy file applied to one command on one plan.

    `sees(actor, plan, today)` answers whether a caller without a write rule can see the plan
    (through consent, an emergency grant, or as auditor): then a refusal is 403, else 404.
    """

    def __init__(self, policy: WritePolicy, sees: Callable[[Actor, HouseholdPlan], bool]) -> None:
        self.policy = policy
        self.sees = sees

    def may_see(self, actor: Actor, plan: HouseholdPlan) -> bool:
        return self.sees(actor, plan)

    def authorise(self, ctx: CommandContext, plan: HouseholdPlan, cmd: Any, team_lead: bool) -> None:
        allowed = self.policy.allowed(cmd.type)
        held = set(holding(ctx, plan, cmd, team_lead))
        if held & set(allowed):
            _check_purpose(cmd)
            return
        if not held and not self.sees(ctx.actor, plan):
            raise errors.PlanNotFoundError(plan.id)
        raise errors.WriteNotAllowedError(cmd.type, list(allowed) or ["nobody"], self.policy.version)


def holding(ctx: CommandContext, plan: HouseholdPlan, cmd: Any, team_lead: bool) -> Iterator[str]:
    """The rules of the policy's vocabulary that hold for this caller, plan and command."""
    actor, person = ctx.actor, ctx.actor.professional_id
    member = plan.care_team.get(person)
    on_team = member is not None and member["organisation_id"] == actor.org
    if on_team and person == plan.regisseur_id:
        yield "regisseur"
    if on_team:
        yield "care_team"
    if team_lead:
        yield "team_lead"
    if any(_mandated(m, actor, ctx) for m in plan.mandates.values()):
        yield "mandate"
    if actor.has_role(Role.PRIVACY_OFFICER) and actor.serves(plan.tenant):
        yield "privacy_officer"
    yield from _subject_rules(ctx, plan, cmd, on_team)


def _subject_rules(ctx: CommandContext, plan: HouseholdPlan, cmd: Any, on_team: bool) -> Iterator[str]:
    actor, person = ctx.actor, ctx.actor.professional_id
    if getattr(cmd, "professional_id", None) == person and cmd.type == "leave_care_team":
        yield "self"
    handover = plan.handover or {}
    if cmd.type in ("accept_handover", "decline_handover"):
        if handover.get("to_professional_id") == person:
            yield "proposed"
        if handover.get("proposed_by") == person:
            yield "proposer"
    proposal = plan.pending_proposal(getattr(cmd, "proposal_id", "") or "")
    # Asked of a worker or their organisation: joining, an agreement. A join request and a merge
    # are answered by the plan's regisseur, under the rules that name them.
    if proposal is not None and proposal["kind"] in ("care_team", "agreement"):
        named = proposal["professional_id"] == person or (proposal["professional_id"] is None and on_team)
        if named and proposal["organisation_id"] == actor.org:
            yield "proposed"
        if proposal["organisation_id"] == actor.org and _acts_for_organisation(actor):
            yield "organisation"
    mandates = cmd.type in ("grant_mandate", "revoke_mandate")
    if mandates and _acts_for_organisation(actor) and _mandate_organisation(plan, cmd) == actor.org:
        yield "organisation"
    agreement = plan.agreements.get(getattr(cmd, "agreement_id", "") or "")
    if agreement is not None and _responsible(agreement["responsible"], actor, on_team):
        yield "responsible"


def _acts_for_organisation(actor: Actor) -> bool:
    return any(actor.has_role(role) for role in ORGANISATION_ROLES)


def _mandate_organisation(plan: HouseholdPlan, cmd: Any) -> str | None:
    if cmd.type == "grant_mandate":
        return str(cmd.organisation_id)
    mandate = plan.mandates.get(cmd.mandate_id)
    return str(mandate["organisation_id"]) if mandate else None


def _responsible(responsible: dict[str, Any], actor: Actor, on_team: bool) -> bool:
    if responsible.get("organisation_id") != actor.org:
        return False
    professional_id = responsible.get("professional_id")
    return professional_id == actor.professional_id if professional_id else on_team


def _mandated(mandate: dict[str, Any], actor: Actor, ctx: CommandContext) -> bool:
    if mandate["status"] != "active" or mandate["organisation_id"] != actor.org:
        return False
    if mandate["valid_until"] and mandate["valid_until"] < ctx.today.isoformat():
        return False
    return mandate["scope"] == "all" or actor.professional_id in mandate["scope"]


def _check_purpose(cmd: Any) -> None:
    """A consent names the processing activity it is for; the read policy uses it for that one only."""
    if cmd.type == "record_consent" and cmd.purpose not in activities():
        raise errors.IncompleteCommandError(
            f"purpose {cmd.purpose!r} is not a processing activity; one of {sorted(activities())}"
        )
