"""Help requests: triage resolves simply, refers on, or opens a plan; assignment is explained."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import TypeAdapter, ValidationError

from eenplan.api.store.writers import Retrying
from eenplan.domain import errors
from eenplan.domain.intake.commands import HelpRequestCommand, SubmitHelpRequest
from eenplan.domain.intake.request import HelpRequest
from tests.factories import ctx_for, household, in_memory_app, make_world

TRIAGE = TypeAdapter(HelpRequestCommand)


def submit(**extra: Any) -> SubmitHelpRequest:
    body = {
        "tenant": "GM0687",
        "channel": "phone",
        "topics": ["mobility_aids"],
        "summary": "needs a wheelchair",
        "contact": {"given_name": "Sam", "family_name": "Jansen", "phone": "06 1234 5678"},
        **extra,
    }
    return SubmitHelpRequest.model_validate(body)


def new_request(**extra: Any) -> HelpRequest:
    return HelpRequest.submit(ctx_for("desk", "gemeente"), submit(**extra))


def test_a_walk_in_request_must_name_the_location() -> None:
    with pytest.raises(ValidationError, match="location"):
        submit(channel="walk_in")
    assert submit(channel="walk_in", location="De Burgt").location == "De Burgt"


def test_a_contact_email_with_control_characters_is_refused() -> None:
    with pytest.raises(ValidationError, match="control characters"):
        submit(contact={"given_name": "Sam", "family_name": "Jansen", "email": "sam\x00@example.nl"})


def test_a_simple_request_is_resolved_with_what_was_done_and_counts_as_contact() -> None:
    request = new_request()
    request.resolve_simple(ctx_for("desk", "gemeente"), "wheelchair ordered from the Wmo supplier")
    assert request.status == "resolved"
    assert request.outcome is not None and request.outcome["what_was_done"].startswith("wheelchair")
    assert request.first_contact_at is not None


def test_a_concluded_request_takes_no_further_triage() -> None:
    request = new_request()
    request.refer(ctx_for("desk", "gemeente"), "koffie-ochtend", None)
    with pytest.raises(errors.TriageError, match="already referred"):
        request.resolve_simple(ctx_for("desk", "gemeente"), "done")


def test_choosing_another_than_the_top_candidate_needs_a_reason_and_is_recorded() -> None:
    request = new_request()
    ctx = ctx_for("lead", "gemeente", "team_lead")
    with pytest.raises(errors.TriageError, match="reason"):
        request.assign(ctx, "pro-b", "team-1", "pro-a", None)
    request.assign(ctx, "pro-b", "team-1", "pro-a", "knows the family already")
    assert request.assignment is not None
    assert request.assignment["chosen_by"] == "lead"
    assert request.assignment["differs_from_top"] is True
    request.assign(ctx, "pro-a", "team-1", "pro-a", None)
    assert request.assignment["differs_from_top"] is False


def test_refer_names_exactly_one_target() -> None:
    with pytest.raises(ValidationError, match="exactly one"):
        TRIAGE.validate_python({"type": "refer", "activity_id": "a", "organisation_id": "o"})
    with pytest.raises(ValidationError, match="exactly one"):
        TRIAGE.validate_python({"type": "refer"})


def test_a_complex_request_becomes_a_plan_whose_history_links_back() -> None:
    app = in_memory_app()
    world = make_world(app)
    pro = world.pros[world.orgs["welfare"]][0]
    ctx = world.ctx(pro)
    request_id = app.intake.submit_help_request(ctx, submit(topics=["money", "housing"])).request_id
    body = {"type": "open_plan", "tenant": "GM0687", "team_id": world.team_id, "legal_basis": "wmo2015"}
    body.update(household=household(), reason="debts and rent arrears")
    outcome = app.intake.triage(ctx, request_id, TRIAGE.validate_python(body))
    assert outcome.status == "planned" and outcome.plan_id is not None
    plan = app.plans.plan(ctx.actor, outcome.plan_id)
    assert plan.help_request_id == request_id
    with pytest.raises(errors.TriageError):
        app.intake.triage(ctx, request_id, TRIAGE.validate_python(body))


def test_a_request_of_another_tenant_does_not_exist_for_the_caller() -> None:
    app = in_memory_app()
    request_id = app.intake.submit_help_request(ctx_for("desk", "gemeente"), submit()).request_id
    with pytest.raises(errors.HelpRequestNotFoundError):
        app.intake.help_request(ctx_for("x", "other", tenants=("GM0363",)).actor, request_id)


def test_a_plan_is_not_opened_when_the_request_was_concluded_meanwhile() -> None:
    app = in_memory_app()
    world = make_world(app)
    ctx = world.ctx(world.pros[world.orgs["welfare"]][0])
    request_id = app.intake.submit_help_request(ctx, submit()).request_id
    app.ports.writes = Retrying()  # the store's writers: a conflicting attempt runs again
    opening = app.plans.open_plan

    def after_a_colleague_resolved_it(*args: Any, **kwargs: Any) -> Any:
        app.plans.open_plan = opening  # type: ignore[method-assign]
        app.intake.triage(
            ctx, request_id, TRIAGE.validate_python({"type": "resolve_simple", "what_was_done": "x"})
        )
        return opening(*args, **kwargs)

    app.plans.open_plan = after_a_colleague_resolved_it  # type: ignore[method-assign]
    body = {"type": "open_plan", "tenant": "GM0687", "team_id": world.team_id, "legal_basis": "wmo2015"}
    body.update(household=household(), reason="debts")
    with pytest.raises(errors.TriageError, match="already resolved"):
        app.intake.triage(ctx, request_id, TRIAGE.validate_python(body))
    assert app.scans.plan_facts("GM0687") == {}
