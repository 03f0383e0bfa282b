"""A claim left unanswered by a dead process, for commands other than plan commands, on a real store.

Each kind of `Recovery`: answered from the recorded events (help requests,
signals), run again where that cannot record twice, refused (409) where the
answer cannot be known.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from eenplan.api.bootstrap import Container
from eenplan.api.http import replies
from eenplan.api.http.commanding import ok
from eenplan.api.http.idempotency import Recovery, fingerprint
from eenplan.api.http.problems import ProblemError
from eenplan.api.http.schemas.intake import SignalsErased
from eenplan.api.settings import Settings
from eenplan.domain.app.effects import signal_posted, triage_outcome
from eenplan.domain.intake.commands import PostSignal, SubmitHelpRequest
from tests.factories import World, command, ctx_for
from tests.integration.crash import fast_stale, lose_the_answer, never

PRINT = fingerprint("/x", {}, None)


@pytest.fixture
def container_settings(settings: Settings) -> Settings:
    return fast_stale(settings)


def _crashed(container: Container, ctx: Any, run: Any, recovery: Recovery[Any]) -> list[Any]:
    return lose_the_answer(container, ctx, PRINT, run, ok, recovery)


def test_a_help_request_whose_answer_was_lost_is_answered_from_its_events_not_submitted_again(
    container: Container, world: World
) -> None:
    ctx = replace(world.ctx(world.pros[world.orgs["welfare"]][0]), command_id="lost-help-1")
    body = SubmitHelpRequest.model_validate(
        {
            "tenant": world.tenant,
            "channel": "phone",
            "topics": ["money"],
            "summary": "rekeningen",
            "contact": {"given_name": "Sam", "family_name": "Jansen"},
        }
    )
    recovery = replies.recall(container, triage_outcome)
    saved = _crashed(
        container, ctx, lambda: container.eenplan.intake.submit_help_request(ctx, body), recovery
    )
    reply = container.idempotency.run(ctx, True, PRINT, never, replies.help_request_created, recovery)
    assert reply == replies.help_request_created(saved[0])


def test_a_signal_whose_answer_was_lost_is_answered_from_its_events_not_recorded_again(
    container: Container, world: World
) -> None:
    ctx = replace(world.ctx(world.pros[world.orgs["welfare"]][0]), command_id="lost-signal-1")
    person = {"given_name": "Noa", "family_name": "de Vries", "birth_date": "1990-03-01"}
    body = PostSignal.model_validate({"tenant": world.tenant, "type": "rent_arrears", "person": person})
    recovery = replies.recall(container, signal_posted)
    saved = _crashed(container, ctx, lambda: container.eenplan.signals.post_signal(ctx, body), recovery)
    reply = container.idempotency.run(ctx, True, PRINT, never, replies.signal_posted, recovery)
    assert reply == replies.signal_posted(saved[0])


def test_a_stale_claim_of_a_command_safe_to_rerun_runs_it_again(container: Container, world: World) -> None:
    admin_ctx = ctx_for("admin", "gemeente", "admin", tenants=(world.tenant,))
    admin = replace(admin_ctx, command_id="lost-expiry-1")
    runs: list[int] = []

    def expire() -> SignalsErased:
        runs.append(container.eenplan.signals.expire_signals(admin, world.tenant))
        return SignalsErased(tenant=world.tenant, erased=runs[-1])

    _crashed(container, admin, expire, replies.RERUN)
    reply = container.idempotency.run(admin, True, PRINT, expire, ok, replies.RERUN)
    assert reply == ok(SignalsErased(tenant=world.tenant, erased=0))
    assert runs == [0, 0]


def test_a_stale_claim_whose_answer_cannot_be_known_is_refused_with_409_and_never_run_again(
    container: Container, world: World
) -> None:
    ctx = replace(world.ctx(world.pros[world.orgs["welfare"]][0]), command_id="lost-grant-1")
    _crashed(container, ctx, lambda: SignalsErased(tenant="GM0687", erased=0), Recovery())
    with pytest.raises(ProblemError) as refused:
        container.idempotency.run(ctx, True, PRINT, never, ok, Recovery())
    assert (refused.value.status, refused.value.kind) == (409, "idempotency-outcome-unknown")


def test_a_command_not_rebuilt_from_its_events_runs_again_only_when_it_recorded_none(
    container: Container, world: World
) -> None:
    pro = world.pros[world.orgs["welfare"]][0]
    plan_id = world.open(pro).plan_id
    recorded = replace(world.ctx(pro), command_id="erased-then-lost")
    nothing = replace(world.ctx(pro), command_id="lost-before-saving")
    note = command(type="add_note", category="general", text="huisbezoek")
    _crashed(
        container,
        recorded,
        lambda: container.eenplan.plans.execute(recorded, plan_id, note),
        replies.UNLESS_RECORDED,
    )
    _crashed(container, nothing, lambda: SignalsErased(tenant="GM0687", erased=0), replies.UNLESS_RECORDED)
    with pytest.raises(ProblemError) as refused:
        container.idempotency.run(recorded, True, PRINT, never, ok, replies.UNLESS_RECORDED)
    rerun = container.idempotency.run(
        nothing, True, PRINT, lambda: SignalsErased(tenant="GM0687", erased=1), ok, replies.UNLESS_RECORDED
    )
    assert refused.value.status == 409
    assert rerun == ok(SignalsErased(tenant="GM0687", erased=1))
