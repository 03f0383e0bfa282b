"""Idempotency on a real store: crash recovery from the events, in-progress duplicates, expiry."""

from __future__ import annotations

import threading
import time
from dataclasses import replace

import pytest

from eenplan.api.bootstrap import Container
from eenplan.api.http.commanding import command_reply, opened_reply
from eenplan.api.http.idempotency import fingerprint
from eenplan.api.http.problems import ProblemError
from eenplan.api.settings import Settings
from eenplan.api.store.idempotency_keys import Reply
from eenplan.domain.app import Outcome
from tests.factories import World, command, open_plan_body
from tests.integration.crash import StoreWentAway, fast_stale, lose_the_answer, never

NOTE = command(type="add_note", category="general", text="huisbezoek")


@pytest.fixture
def container_settings(settings: Settings) -> Settings:
    return fast_stale(settings)


def test_a_command_whose_answer_was_lost_is_answered_from_its_events_not_run_again(
    container: Container, world: World
) -> None:
    pro = world.pros[world.orgs["welfare"]][0]
    plan_id = world.open(pro).plan_id
    ctx = replace(world.ctx(pro), command_id="lost-answer-1")
    print_ = fingerprint("/plans/x/commands", {"text": "huisbezoek"}, None)
    saved = lose_the_answer(
        container, ctx, print_, lambda: container.eenplan.plans.execute(ctx, plan_id, NOTE), command_reply
    )
    reply = container.idempotency.run(ctx, True, print_, never, command_reply)
    assert reply == command_reply(saved[0])
    assert container.eenplan.plans.plan(ctx.actor, plan_id).version == saved[0].version


def test_an_opened_plan_whose_answer_was_lost_is_answered_from_its_events(
    container: Container, world: World
) -> None:
    pro = world.pros[world.orgs["welfare"]][0]
    ctx = replace(world.ctx(pro), command_id="lost-open-1")
    body = open_plan_body(world.team_id)
    print_ = fingerprint("/plans", body.model_dump(mode="json"), None)
    saved = lose_the_answer(
        container, ctx, print_, lambda: container.eenplan.plans.open_plan(ctx, body), opened_reply
    )
    assert container.idempotency.run(ctx, True, print_, never, opened_reply) == opened_reply(saved[0])


def test_a_stale_claim_without_events_runs_the_command(container: Container, world: World) -> None:
    pro = world.pros[world.orgs["welfare"]][0]
    plan_id = world.open(pro).plan_id
    ctx = replace(world.ctx(pro), command_id="crashed-before-saving")
    print_ = fingerprint("/p", {}, None)

    def crash() -> Outcome:
        raise StoreWentAway

    assert lose_the_answer(container, ctx, print_, crash, command_reply) == []
    reply = container.idempotency.run(
        ctx, True, print_, lambda: container.eenplan.plans.execute(ctx, plan_id, NOTE), command_reply
    )
    assert reply.status == 200


def test_a_duplicate_waits_for_the_first_and_gets_409_in_progress_when_it_takes_too_long(
    container: Container, world: World
) -> None:
    pro = world.pros[world.orgs["welfare"]][0]
    plan_id = world.open(pro).plan_id
    ctx = replace(world.ctx(pro), command_id="slow-1")
    print_ = fingerprint("/p", {}, None)
    release = threading.Event()

    def slow() -> Outcome:
        release.wait(10)
        return container.eenplan.plans.execute(ctx, plan_id, NOTE)

    first = threading.Thread(target=container.idempotency.run, args=(ctx, True, print_, slow, command_reply))
    first.start()
    time.sleep(0.05)
    with pytest.raises(ProblemError) as refused:
        container.idempotency.run(ctx, True, print_, never, command_reply)
    release.set()
    first.join()
    assert (refused.value.status, refused.value.kind) == (409, "idempotency-in-progress")


def test_a_failed_command_gives_its_key_back_for_a_corrected_retry(
    container: Container, world: World
) -> None:
    pro = world.pros[world.orgs["welfare"]][0]
    plan_id = world.open(pro).plan_id
    ctx = replace(world.ctx(pro), command_id="retry-after-409")
    print_ = fingerprint("/p", {}, None)
    progress = command(type="record_progress", goal_id="later", score=2)
    with pytest.raises(Exception, match="goal"):
        container.idempotency.run(
            ctx, True, print_, lambda: container.eenplan.plans.execute(ctx, plan_id, progress), command_reply
        )
    goal = command(type="set_goal", goal_id="later", life_domain="housing", description="woning")
    container.eenplan.plans.execute(world.ctx(pro), plan_id, goal)
    reply = container.idempotency.run(
        ctx, True, print_, lambda: container.eenplan.plans.execute(ctx, plan_id, progress), command_reply
    )
    assert reply.status == 200


def test_keys_expire_after_the_configured_period_and_are_purged(container: Container) -> None:
    owned, _ = container.keys.claim("expiring", "print", 0)
    ttl = container.settings.idempotency_ttl_seconds
    assert owned
    assert container.keys.purge(now=time.time() + ttl / 2) == 0
    assert container.keys.purge(now=time.time() + ttl + 1) == 1
    assert container.keys.get("expiring") is None


def test_a_key_whose_claim_expired_is_claimed_anew_and_a_live_one_answers_as_before(
    container: Container,
) -> None:
    keys, ttl = container.keys, container.keys.ttl_seconds
    owned, live = keys.claim("k-live", "print-1", 0)
    keys.answer(live, Reply(200, {}, b"first"))
    keys.ttl_seconds = -1  # the next claims expire at once
    try:
        _, expired = keys.claim("k-expired", "print-1", 0)
        keys.answer(expired, Reply(200, {}, b"old"))
    finally:
        keys.ttl_seconds = ttl
    again, found = keys.claim("k-live", "print-2", 0)
    assert owned and not again and found.reply is not None and found.reply.body == b"first"
    anew, claim = keys.claim("k-expired", "print-2", 0)
    assert anew and claim.reply is None and claim.fingerprint == "print-2"
    stored = keys.get("k-expired")
    assert stored is not None and (stored.owner, stored.reply, stored.fingerprint) == (
        claim.owner,
        None,
        "print-2",
    )
