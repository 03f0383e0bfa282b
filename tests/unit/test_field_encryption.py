"""Field encryption in memory: stored records hold envelopes, never the personal values."""

from __future__ import annotations

import copy
from uuid import UUID

import pytest

from eenplan.api.settings import Settings
from eenplan.domain.app import Eenplan
from eenplan.domain.plan import HouseholdPlan
from eenplan.domain.plan.personal import ERASED
from eenplan.privacy.policy import Policy, PolicyError, load_policy
from eenplan.privacy.service import MAPPER_ENV, Privacy, PrivacyConfig
from tests.factories import ctx_for, make_world, with_write_policy


def private_app() -> tuple[Eenplan, Privacy]:
    env = {"PERSISTENCE_MODULE": "eventsourcing.popo", **MAPPER_ENV}
    app = with_write_policy(Eenplan(env=env))
    return app, Privacy.attach(app, PrivacyConfig(master_key=b"k" * 32))


def test_stored_plan_events_and_snapshots_hold_no_personal_value() -> None:
    app, privacy = private_app()
    world = make_world(app, kinds=("social_work",))
    pro = world.pros[world.orgs["social_work"]][0]
    plan_id = world.open(pro).plan_id
    world.run(pro, plan_id, type="add_note", category="health", text="Slaapproblemen")
    app.take_snapshot(UUID(plan_id))
    stored = app.recorder.select_events(UUID(plan_id))
    assert stored and all(b"Alex" not in s.state and b"Slaapproblemen" not in s.state for s in stored)
    assert app.snapshots is not None
    snapshots = list(app.snapshots.recorder.select_events(UUID(plan_id)))
    assert snapshots and all(b"Alex" not in s.state and b"Dorpsstraat" not in s.state for s in snapshots)
    assert app.plans.plan(ctx_for(pro, "x").actor, plan_id).members  # and it still reconstructs
    privacy.keyring.destroy([plan_id])
    app.repository.cache = None
    assert app.plans.plan(ctx_for(pro, "x").actor, plan_id).address["street"] == ERASED


def test_the_shipped_policy_loads_and_a_broken_policy_is_refused() -> None:
    policy = load_policy()
    assert "health" not in policy.categories("police", "care_team")
    assert policy.categories("housing", "care_team") == {"general"}
    with pytest.raises(PolicyError):
        Policy.parse("version: x\nkinds:\n  bakery:\n    care_team: [general]\n")
    with pytest.raises(PolicyError):
        Policy.parse("version: x\ndefault:\n  care_team: [gossip]\n")
    with pytest.raises(PolicyError):
        Policy.parse("version: x\ndefault:\n  none: [general]\n")


def test_production_refuses_to_start_without_a_master_key() -> None:
    with pytest.raises(ValueError, match="MASTER_KEY"):
        Settings(mode="production", jwt_public_key_file="k.pem", jwt_issuer="https://idp", master_key=None)


def test_storing_an_event_or_a_snapshot_encrypts_a_copy_and_leaves_the_plan_in_memory_as_it_was() -> None:
    """A snapshot is taken of the plan in hand (domain.app), which stays in the cache: sealing
    its values must not touch it."""
    app, _ = private_app()
    world = make_world(app, kinds=("social_work",))
    pro = world.pros[world.orgs["social_work"]][0]
    plan_id = world.open(pro).plan_id
    world.run(pro, plan_id, type="add_note", category="health", text="Slaapproblemen")
    plan = app.repository.get(UUID(plan_id))
    before = copy.deepcopy(vars(plan))
    stored = app.mapper.to_stored_event(HouseholdPlan.Snapshot.take(plan))
    assert b"Slaapproblemen" not in stored.state and b"Alex" not in stored.state
    assert vars(plan) == before
    event = next(iter(app.repository.event_store.get(UUID(plan_id))))
    seen = copy.deepcopy(vars(event))
    app.mapper.to_stored_event(event)
    assert vars(event) == seen
