"""Property: no caller ever receives a field whose category the policy denies it.

Random plans (members, goals, agreements, notes, risk, consents, mandates),
random callers (organisation kind, relation, roles, emergency grants) and
random policy files go through the one filter, in memory. Every personal value
left in the answer must be of a category the policy (plus active consent)
grants that caller under the relations it really has, or belong to the
caller's own agreement; a caller without a relation gets nothing at all.
"""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eenplan.domain.context import Actor
from eenplan.domain.plan.categories import PERSONAL_FIELDS, STATE_FIELDS
from eenplan.domain.plan.personal import personal_values
from eenplan.domain.values import LIFE_DOMAIN_CATEGORY, DataCategory, LifeDomain, OrganisationKind
from eenplan.privacy.filter import Caller, filter_history, filter_plan, relations
from eenplan.privacy.policy import FILE_RELATIONS, STATUTORY_NEVER, Policy

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
CATEGORIES = [c.value for c in DataCategory]
KINDS = [k.value for k in OrganisationKind]
ORGS = ["org-a", "org-b", "org-c"]
PROS = ["pro-1", "pro-2", "pro-3", "pro-4"]
# The hypothesis profile's count (tests/conftest.py: 2,000 in CI, 500 in a developer run).
EXAMPLES = int(os.environ.get("EENPLAN_PROPERTY_EXAMPLES") or settings.default.max_examples)

# A set of categories is one drawn integer, a bit per category: one choice instead of one per
# element, so hypothesis spends its time on cases, not on drawing them (it shrinks to the empty set).
category_sets = st.integers(0, 2 ** len(CATEGORIES) - 1).map(
    lambda bits: [c for i, c in enumerate(CATEGORIES) if bits >> i & 1]
)
# The filter looks up the caller's kind in the policy (its rules, its `never`, its break-the-glass
# grant) and nothing else about kinds: three kinds (plus none, plus one the policy never names)
# reach every path twelve do, and make "the caller's kind has rules" a common case. The police
# are one of the three: the statutory floor (STATUTORY_NEVER) is theirs.
POLICY_KINDS = ["municipality", "welfare", "police"]
assert set(POLICY_KINDS) <= set(KINDS) and set(STATUTORY_NEVER) <= set(POLICY_KINDS)


def _policy(
    default: dict[str, Any],
    kinds: dict[str, Any],
    grant: list[str],
    never: dict[str, Any],
    glass: dict[str, Any],
) -> Policy:
    """A valid random policy: the statutory floor in `never`, and nothing granted that `never` forbids."""
    never = {k: sorted({*cats, *STATUTORY_NEVER.get(k, ())}) for k, cats in {**never, "police": []}.items()}
    kinds = {
        k: {r: [c for c in cats if c not in never.get(k, [])] for r, cats in rules.items()}
        for k, rules in kinds.items()
    }
    glass = {k: [c for c in cats if c not in never.get(k, [])] for k, cats in glass.items()}
    raw = {"version": "t", "default": default, "kinds": kinds, "consent_can_grant": grant, "never": never}
    # The parsed content of a random policy file (Policy.parse = YAML + this; YAML is too slow here).
    return Policy.from_mapping({**raw, "break_the_glass": {"roles": ["professional"], "kinds": glass}})


policies = st.builds(
    _policy,
    st.dictionaries(st.sampled_from(FILE_RELATIONS), category_sets),
    st.dictionaries(
        st.sampled_from(POLICY_KINDS), st.dictionaries(st.sampled_from(FILE_RELATIONS), category_sets)
    ),
    category_sets,
    st.dictionaries(st.sampled_from(POLICY_KINDS), category_sets),
    st.dictionaries(st.sampled_from(POLICY_KINDS), category_sets),
)
dates = st.sampled_from([None, "2026-01-01", "2026-11-23", "2027-06-30"])


# Every strategy below is built once, at import: hypothesis then computes each one's properties
# once, not again for every example (building them inside a composite cost most of the run).
ADDRESS = {"street": "Dorpsstraat", "house_number": "1", "postal_code": "4331 AB", "city": "Middelburg"}


def _members(bsns: list[str | None]) -> list[dict[str, Any]]:
    return [
        {
            "member_id": f"m{i}",
            "role": "adult",
            "given_name": "Ann",
            "family_name": "Jansen",
            "birth_date": "1990-01-01",
            "bsn": bsn,
        }
        for i, bsn in enumerate(bsns)
    ]


def _goals(domains: list[LifeDomain]) -> list[dict[str, Any]]:
    return [
        {
            "goal_id": f"g{i}",
            "life_domain": d.value,
            "category": LIFE_DOMAIN_CATEGORY[d].value,
            "description": "goal text",
            "score": 3,
            "status": "open",
        }
        for i, d in enumerate(domains)
    ]


def _agreements(pairs: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [
        {
            "agreement_id": f"a{i}",
            "category": c,
            "action": "do it",
            "due_date": "2027-01-01",
            "status": "open",
            "responsible": {"organisation_id": o},
        }
        for i, (c, o) in enumerate(pairs)
    ]


def _mandates(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [
        {"mandate_id": f"md{i}", "organisation_id": o, "scope": s, "valid_until": v, "status": status}
        for i, (o, s, v, status) in enumerate(rows)
    ]


def _consents(rows: list[tuple[Any, ...]]) -> list[dict[str, Any]]:
    return [
        {
            "consent_id": f"c{i}",
            "organisation_id": o,
            "categories": cats,
            "purpose": "plan_coordination" if i % 2 == 0 else "monitoring",
            "valid_until": v,
            "status": status,
            "given_by": "m0",
        }
        for i, (o, cats, v, status) in enumerate(rows)
    ]


orgs = st.sampled_from(ORGS)
plan_states = st.fixed_dictionaries(
    {
        "plan_id": st.just("p"),
        "tenant": st.sampled_from(["GM0687", "GM0363"]),
        "regisseur_id": st.sampled_from([None, *PROS]),
        "members": st.lists(st.sampled_from([None, "111222333"]), min_size=1, max_size=3).map(_members),
        "address": st.builds(lambda: dict(ADDRESS)),  # a fresh copy: a filter must not share one
        "reason": st.just("reason text"),
        "handover": st.sampled_from([None, {"to_professional_id": "pro-2", "note": "handover note"}]),
        "care_team": st.lists(st.tuples(st.sampled_from(PROS), orgs), unique_by=lambda t: t[0]).map(
            lambda team: [{"professional_id": p, "organisation_id": o} for p, o in team]
        ),
        "mandates": st.lists(
            st.tuples(
                orgs,
                st.sampled_from(["all", ["pro-1"], ["pro-3"]]),
                dates,
                st.sampled_from(["active", "revoked"]),
            ),
            max_size=2,
        ).map(_mandates),
        "consents": st.lists(
            st.tuples(orgs, category_sets, dates, st.sampled_from(["active", "withdrawn"])), max_size=2
        ).map(_consents),
        "goals": st.lists(st.sampled_from(list(LifeDomain)), max_size=3).map(_goals),
        "agreements": st.lists(st.tuples(st.sampled_from(CATEGORIES), orgs), max_size=3).map(_agreements),
        "risk": st.sampled_from([None, {"level": "high", "rationale": "why", "instrument": "LIRIK"}]),
        "notes": st.lists(st.sampled_from(CATEGORIES), max_size=3).map(
            lambda cats: [
                {"note_id": f"n{i}", "category": c, "text": "note text"} for i, c in enumerate(cats)
            ]
        ),
        "conferences": st.builds(lambda: [{"conference_id": "k", "decisions": ["decided"]}]),
    }
)


callers = st.builds(
    lambda sub, org, roles, tenants, kind, lead, emergency: Caller(
        Actor(sub, org, frozenset(roles), frozenset(tenants)),
        kind,
        lead,
        None if emergency is None else NOW + timedelta(hours=emergency),
    ),
    st.sampled_from(PROS),
    st.sampled_from(ORGS),
    st.lists(st.sampled_from(["professional", "auditor", "admin", "team_lead"]), unique=True),
    st.sampled_from([["GM0687"], ["GM0363"], ["GM0687", "GM0363"]]),
    st.sampled_from([None, *POLICY_KINDS, KINDS[-1]]),  # the last: a kind the policy never names
    st.booleans(),
    st.sampled_from([None, -1, 2]),
)


def granted(caller: Caller, state: dict[str, Any], policy: Policy) -> set[str]:
    """The oracle, written independently: union over real relations, plus active consent, less `never`."""
    seen: set[str] = set()
    kind = caller.org_kind or ""
    for relation in relations(caller, state, NOW):
        if relation == "emergency":
            seen |= set(policy.break_the_glass.kinds.get(kind, frozenset()))
            continue
        by_kind = policy.kinds.get(kind, {})
        seen |= set(by_kind.get(relation, policy.default.get(relation, frozenset())))
    for consent in state["consents"]:
        active = consent["status"] == "active" and consent["organisation_id"] == caller.actor.org
        active = active and consent["purpose"] == "plan_coordination"  # plan reads are coordination
        if active and (consent["valid_until"] is None or consent["valid_until"] >= "2026-11-23"):
            seen |= set(consent["categories"]) & policy.consent_can_grant
    return seen - set(policy.never.get(kind, frozenset()))


def own(caller: Caller, state: dict[str, Any], policy: Policy) -> set[str]:
    never = policy.never.get(caller.org_kind or "", frozenset())
    return {
        a["agreement_id"]
        for a in state["agreements"]
        if a["responsible"]["organisation_id"] == caller.actor.org and a["category"] not in never
    }


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(caller=callers, state=plan_states, policy=policies)
def test_no_caller_receives_a_field_of_a_denied_category(
    caller: Caller, state: dict[str, Any], policy: Policy
) -> None:
    view = filter_plan(caller, state, policy, NOW)
    if not relations(caller, state, NOW):
        assert view is None
        return
    assert view is not None
    allowed, mine = granted(caller, state, policy), own(caller, state, policy)
    if caller.org_kind == "police":
        assert "health" not in allowed  # the statutory floor, whatever the random file said
    for found in personal_values(view, STATE_FIELDS, with_none=True):
        assert found.category in allowed or found.holder.get("agreement_id") in mine, (
            found.key,
            found.category,
        )
    for name in ("goals", "agreements", "notes"):
        for record in view[name]:
            assert record["category"] in allowed or record.get("agreement_id") in mine


@settings(max_examples=EXAMPLES // 4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(caller=callers, state=plan_states, policy=policies, category=st.sampled_from(CATEGORIES))
def test_no_history_entry_carries_a_field_of_a_denied_category(
    caller: Caller, state: dict[str, Any], policy: Policy, category: str
) -> None:
    entries = [
        {"type": "NoteAdded", "data": {"note_id": "n", "category": category, "text": "note text"}},
        {"type": "MemberAdded", "data": {"member": dict(state["members"][0])}},
        {"type": "RiskAssessed", "data": {"level": "high", "rationale": "why", "instrument": "LIRIK"}},
    ]
    history = filter_history(caller, state, [{**e, "version": 1} for e in entries], policy, NOW)
    if not relations(caller, state, NOW):
        assert history is None
        return
    assert history is not None
    allowed = granted(caller, state, policy)
    for entry in history:
        for found in personal_values(entry["data"], PERSONAL_FIELDS[entry["type"]], with_none=True):
            assert found.category in allowed, (entry["type"], found.key)
