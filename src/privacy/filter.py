"""THE privacy filter: what one caller may see of one plan, as a pure function.

`filter_plan(caller, state, policy, now)` and `filter_history(...)` take the
caller, the plan's unfiltered view (privacy.views.plan_view, or any dict with
the same relation keys: tenant, regisseur_id, care_team, mandates, consents),
the policy and the moment, and return what the caller receives, or None when
the caller may not see the plan at all (the API answers 404). Hidden fields are
left out, not nulled. Records that carry their own category (goals,
agreements, notes) are left out whole when the category is hidden, because
their life domain alone would tell; the caller's own agreements stay visible.
What the policy's `never` forbids an organisation kind (the police: health) is
taken off last, over every relation, consent and break the glass included, and
the caller's own agreements too.
Every read path (views, history, replay, projections) goes through here.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from eenplan.domain.context import Actor
from eenplan.domain.plan.categories import PERSONAL_FIELDS, STATE_FIELDS
from eenplan.domain.plan.personal import personal_values
from eenplan.domain.values import Role
from eenplan.privacy.policy import RELATIONS, Policy

CATEGORISED_RECORDS = ("goals", "agreements", "notes")


@dataclass(frozen=True)
class Caller:
    """The actor plus the facts about it that live outside the plan."""

    actor: Actor
    org_kind: str | None = None
    leads_team: bool = False
    emergency_until: datetime | None = None
    # For auditors' "as seen by <organisation>": the organisation as a whole, not one person.
    whole_organisation: bool = False
    # The processing activity of the read: a consent counts only for the purpose it was given for.
    purpose: str = "plan_coordination"
    # The most the person reading may see, whatever the relations say: an auditor looking through
    # another organisation's eyes never sees more than their own oversight allows.
    cap: frozenset[str] | None = None


def relations(caller: Caller, state: dict[str, Any], now: datetime) -> list[str]:
    """Every relation the caller has to the plan, closest first; empty means not visible."""
    actor = caller.actor
    if not actor.serves(state["tenant"]):
        return []
    found = [name for name, holds in _relation_checks(caller, state, now) if holds]
    return sorted(set(found), key=RELATIONS.index)


def _relation_checks(caller: Caller, state: dict[str, Any], now: datetime) -> Iterable[tuple[str, bool]]:
    if caller.whole_organisation:
        yield from _organisation_relations(caller.actor.org, state, now)
        return
    actor, person = caller.actor, caller.actor.professional_id
    team = {m["professional_id"]: m for m in state.get("care_team", [])}
    # On the team for this organisation: one who moved on no longer acts for the plan.
    on_team = person in team and team[person]["organisation_id"] == actor.org
    yield "regisseur", on_team and person == state.get("regisseur_id")
    yield "care_team", on_team
    yield "mandate", any(_mandate_covers(m, actor, now) for m in state.get("mandates", []))
    yield "consent", bool(_active_consents(actor, state, now, caller.purpose))
    yield "team_lead", caller.leads_team
    yield "emergency", caller.emergency_until is not None and now < caller.emergency_until
    yield "auditor", actor.has_role(Role.AUDITOR)
    yield "admin", actor.has_role(Role.ADMIN)


def _organisation_relations(org: str, state: dict[str, Any], now: datetime) -> list[tuple[str, bool]]:
    """The relations some professional of the organisation could have had."""
    team = {m["professional_id"]: m["organisation_id"] for m in state.get("care_team", [])}
    whole = Actor(sub="", org=org)
    return [
        ("regisseur", team.get(state.get("regisseur_id") or "") == org),
        ("care_team", org in team.values()),
        (
            "mandate",
            any(_mandate_covers({**m, "scope": "all"}, whole, now) for m in state.get("mandates", [])),
        ),
        ("consent", bool(_active_consents(whole, state, now, "plan_coordination"))),
    ]


def _mandate_covers(mandate: dict[str, Any], actor: Actor, now: datetime) -> bool:
    if mandate["status"] != "active" or mandate["organisation_id"] != actor.org:
        return False
    if mandate.get("valid_until") and mandate["valid_until"] < now.date().isoformat():
        return False
    return mandate["scope"] == "all" or actor.professional_id in mandate["scope"]


def _consented(
    actor: Actor, state: dict[str, Any], now: datetime, purpose: str, member: str | None = None
) -> set[str]:
    """Categories the household consented to show this organisation, today, for this purpose.

    Without `member`: the consents that concern the whole household. With it: those that concern
    that member (the whole household's included).
    """
    granted: set[str] = set()
    for consent in _active_consents(actor, state, now, purpose):
        concerning = consent.get("concerning")
        if concerning is None or (member is not None and member in concerning):
            granted |= set(consent["categories"])
    return granted


def _active_consents(
    actor: Actor, state: dict[str, Any], now: datetime, purpose: str
) -> list[dict[str, Any]]:
    today = now.date().isoformat()
    return [
        c
        for c in state.get("consents", [])
        if c["status"] == "active"
        and c["organisation_id"] == actor.org
        and c.get("purpose") == purpose
        and not (c.get("valid_until") and c["valid_until"] < today)
    ]


def _consented_per_member(
    caller: Caller, state: dict[str, Any], policy: Policy, now: datetime
) -> dict[str, set[str]]:
    """Categories opened for single members by consents that concern only some of the household."""
    opened: dict[str, set[str]] = {}
    for consent in _active_consents(caller.actor, state, now, caller.purpose):
        for member in consent.get("concerning") or []:
            opened.setdefault(member, set()).update(set(consent["categories"]) & policy.consent_can_grant)
    return opened


def allowed_categories(
    caller: Caller, state: dict[str, Any], policy: Policy, now: datetime
) -> frozenset[str]:
    """The categories the caller sees: its relations per the policy, widened by consent,
    less what its organisation kind never sees."""
    seen: set[str] = set()
    for relation in relations(caller, state, now):
        seen |= policy.categories(caller.org_kind, relation)
    seen |= _consented(caller.actor, state, now, caller.purpose) & policy.consent_can_grant
    return _capped(caller, frozenset(seen) - policy.forbidden(caller.org_kind))


def _capped(caller: Caller, categories: frozenset[str]) -> frozenset[str]:
    return categories if caller.cap is None else categories & caller.cap


def can_see(caller: Caller, state: dict[str, Any], now: datetime) -> bool:
    """May the caller see this plan at all? For projections: visibility without the fields."""
    return bool(relations(caller, state, now))


def visible_plan_ids(caller: Caller, states: Iterable[dict[str, Any]], now: datetime) -> list[str]:
    """The ids of the plans (by their relation keys) that the caller may see, in the given order."""
    return [str(state["plan_id"]) for state in states if can_see(caller, state, now)]


def filter_plan(
    caller: Caller,
    state: dict[str, Any],
    policy: Policy,
    now: datetime,
    basis: dict[str, Any] | None = None,
) -> dict[str, Any] | None:
    """The plan view as the caller may see it, or None when the plan is not visible.

    `basis` is the state the caller's relations are judged on (for a replay:
    the plan as it is now); by default the state itself.
    """
    basis = basis or state
    found = relations(caller, basis, now)
    if not found:
        return None
    allowed = allowed_categories(caller, basis, policy, now)
    forbidden = policy.forbidden(caller.org_kind)
    per_member = _consented_per_member(caller, basis, policy, now)
    own = _own_agreements(caller, basis, forbidden) | _own_agreements(caller, state, forbidden)
    view = copy.deepcopy(state)
    for name in CATEGORISED_RECORDS:
        view[name] = [r for r in view.get(name, []) if _record_visible(r, allowed, own)]
    for found_value in list(personal_values(view, STATE_FIELDS, with_none=True)):
        opened = allowed | _capped(
            caller, frozenset(per_member.get(found_value.subject or "", set())) - forbidden
        )
        if found_value.category not in opened and found_value.holder.get("agreement_id") not in own:
            del found_value.holder[found_value.key]
    view["relation"] = found[0]
    return view


def _record_visible(record: dict[str, Any], allowed: frozenset[str], own: set[str]) -> bool:
    return record.get("category") in allowed or record.get("agreement_id") in own


def _own_agreements(caller: Caller, state: dict[str, Any], forbidden: frozenset[str]) -> set[str]:
    """The caller's organisation's agreements, except of a category it never sees or its cap excludes."""
    return {
        a["agreement_id"]
        for a in state.get("agreements", [])
        if a.get("responsible", {}).get("organisation_id") == caller.actor.org
        and a.get("category") not in forbidden
        and (caller.cap is None or a.get("category") in caller.cap)
    }


def filter_history(
    caller: Caller, state: dict[str, Any], entries: list[dict[str, Any]], policy: Policy, now: datetime
) -> list[dict[str, Any]] | None:
    """History entries (privacy.views.history_entry) as the caller may see them, or None."""
    if not relations(caller, state, now):
        return None
    allowed = allowed_categories(caller, state, policy, now)
    own = _own_agreements(caller, state, policy.forbidden(caller.org_kind))
    return [_filter_entry(entry, allowed, own) for entry in entries]


def _filter_entry(entry: dict[str, Any], allowed: frozenset[str], own: set[str]) -> dict[str, Any]:
    entry = copy.deepcopy(entry)
    data = entry["data"]
    mine = data.get("agreement_id") in own
    if "category" in data and data["category"] not in allowed and not mine:
        entry["data"] = {}
        return entry
    for found in list(personal_values(data, PERSONAL_FIELDS.get(entry["type"], {}), with_none=True)):
        if found.category not in allowed and not mine:
            del found.holder[found.key]
    return entry
