"""Token claims against the directory, and oversight within the organisation's kind, in memory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from eenplan.api.http.auth import AuthError
from eenplan.api.http.claims import CachedDirectory, ClaimsCheck
from eenplan.domain.context import Actor
from eenplan.domain.directory import MoveProfessional, ProfessionalLeaves, RetireSystem
from eenplan.privacy.policy import Policy, PolicyError, load_policy
from tests.factories import World, ctx_for, in_memory_app, make_world


@pytest.fixture
def world() -> Iterator[World]:
    yield make_world(in_memory_app(), kinds=("welfare", "police"))


def claims(world: World, ttl: float = 60) -> ClaimsCheck:
    return ClaimsCheck(CachedDirectory(world.app, ttl))


def actor(sub: str, org: str, *roles: str, tenants: tuple[str, ...] = ("GM0687",)) -> Actor:
    return Actor(sub, org, frozenset(roles or ("professional",)), frozenset(tenants))


def refusal(check: ClaimsCheck, who: Actor) -> tuple[str | None, str]:
    with pytest.raises(AuthError) as caught:
        check.check(who)
    return caught.value.claim, str(caught.value)


def test_a_professional_of_the_organisation_serving_the_tenant_matches(world: World) -> None:
    org = world.orgs["welfare"]
    claims(world).check(actor(world.pros[org][0], org, "professional", "team_lead"))
    claims(world).check(actor(world.auditor, world.municipality, "auditor"))


def test_sub_org_and_tenants_must_agree_with_the_directory(world: World) -> None:
    welfare, police = world.orgs["welfare"], world.orgs["police"]
    check, pro = claims(world), world.pros[welfare][0]
    assert refusal(check, actor(pro, police))[0] == "sub"
    assert refusal(check, actor("unknown", welfare))[0] == "sub"
    assert refusal(check, actor(pro, "unknown-org"))[0] == "org"
    assert refusal(check, actor(pro, welfare, tenants=("GM0687", "GM0363")))[1].endswith("tenant GM0363")


def test_systems_carry_partner_system_only_and_professionals_never(world: World) -> None:
    org = world.orgs["police"]
    system = world.systems[org]
    claims(world).check(actor(system, org, "partner_system"))
    assert refusal(claims(world), actor(system, org, "partner_system", "auditor"))[0] == "roles"
    assert refusal(claims(world), actor(world.pros[org][0], org, "partner_system"))[0] == "roles"
    assert claims(world).works_for(world.pros[org][0], org) and not claims(world).works_for(system, org)


def test_a_change_this_process_saves_is_seen_at_once_despite_the_cache(world: World) -> None:
    welfare, police = world.orgs["welfare"], world.orgs["police"]
    check, pro, admin = claims(world, ttl=3600), world.pros[welfare][0], ctx_for("a", "x", "admin")
    check.check(actor(pro, welfare))
    world.app.directory.change_professional(admin, pro, MoveProfessional(type="move", organisation_id=police))
    assert refusal(check, actor(pro, welfare))[0] == "sub"
    check.check(actor(pro, police))
    world.app.directory.change_professional(admin, pro, ProfessionalLeaves(type="leave", reason="weg"))
    assert refusal(check, actor(pro, police))[0] == "sub"
    system = world.systems[police]
    world.app.directory.retire_system(admin, system, RetireSystem(type="retire", reason="vervangen"))
    assert refusal(check, actor(system, police, "partner_system"))[0] == "sub"


def test_an_administrator_fills_an_empty_tenant_then_needs_its_own_organisation(world: World) -> None:
    check = claims(world)
    check.check(actor("boss", "not-yet-registered", "admin", tenants=("GM0718",)))
    assert refusal(check, actor("boss", "not-yet-registered", "admin"))[0] == "org"  # GM0687 has some
    check.check(actor("functional-admin", world.municipality, "admin"))
    borrowed = actor(world.pros[world.orgs["police"]][0], world.municipality, "admin")
    assert refusal(check, borrowed)[0] == "sub"
    assert refusal(check, actor("boss", "not-yet-registered", "auditor", tenants=("GM0718",)))[0] == "org"


def test_oversight_is_cut_to_the_kinds_ceiling() -> None:
    policy = load_policy()
    assert "health" not in policy.categories("police", "auditor")
    assert policy.categories("police", "auditor") == {"general", "safety", "justice"}
    assert "health" in policy.categories("municipality", "auditor")
    assert policy.categories("police", "team_lead") == {"general"}
    assert "bsn" not in policy.categories("mental_health", "auditor")
    # Relations that come with work on the plan are not cut (only by what a kind never sees).
    assert "health" in policy.categories("welfare", "regisseur")
    assert "health" not in policy.categories("police", "regisseur")


def test_a_kind_without_a_ceiling_is_cut_to_what_its_care_team_sees() -> None:
    never = {"police": ["health"]}
    policy = Policy.from_mapping(
        {"version": "t", "never": never, "default": {"auditor": ["general", "health"]}}
    )
    assert policy.categories("welfare", "auditor") == frozenset()  # the default care team sees nothing
    policy = Policy.from_mapping(
        {
            "version": "t",
            "never": never,
            "default": {"auditor": ["general", "health"], "care_team": ["general"]},
        }
    )
    assert policy.categories("welfare", "auditor") == {"general"}
    with pytest.raises(PolicyError, match="oversight_ceiling"):
        Policy.from_mapping({"version": "t", "never": never, "oversight_ceiling": {"circus": ["general"]}})
