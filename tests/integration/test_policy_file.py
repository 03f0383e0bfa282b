"""The policy file is data: overridable by settings, and each new version is recorded for auditors."""

from __future__ import annotations

from pathlib import Path

import pytest

from eenplan.api.bootstrap import build
from eenplan.api.settings import Settings
from eenplan.domain.plan.personal import ERASED
from eenplan.privacy import rights
from eenplan.privacy.policy import DEFAULT_FILE, PolicyError
from tests.factories import ctx_for, make_world


def test_a_changed_policy_file_is_recorded_and_its_erasure_scope_applies(
    settings: Settings, tmp_path: Path
) -> None:
    first = build(settings)
    first.close()
    changed = tmp_path / "policy.yaml"
    shipped = first.privacy.policy.version
    text = DEFAULT_FILE.read_text().replace(f'version: "{shipped}"', 'version: "local.1"')
    changed.write_text(text.replace("erasure_scope: member", "erasure_scope: household"))
    container = build(settings.model_copy(update={"privacy_policy_file": changed}))
    try:
        assert [p["version"] for p in container.privacy.policies()] == [shipped, "local.1"]
        world = make_world(container.eenplan, kinds=("welfare",))
        pro = world.pros[world.orgs["welfare"]][0]
        outcome = world.open(pro, household={**_two_members(), "address": _address()})
        officer = ctx_for("po", "privacy-office", "privacy_officer")
        receipt = rights.erase_subject(container.privacy, officer, outcome.member_ids[0], "avg_art_17")
        assert receipt["household"] is True and len(receipt["data_subject_ids"]) == 2
        view = container.reader.plan(ctx_for(pro, world.orgs["welfare"]).actor, outcome.plan_id)
        assert {m["given_name"] for m in view["members"]} == {ERASED}
    finally:
        container.close()


def test_eenplan_refuses_to_start_on_a_policy_that_shows_the_police_health_data(
    settings: Settings, tmp_path: Path
) -> None:
    lax = tmp_path / "policy.yaml"
    text = DEFAULT_FILE.read_text()
    lax.write_text(text.replace("police: [identity, general, safety, justice]", "police: [general, health]"))
    with pytest.raises(PolicyError, match=r"break_the_glass\.kinds\.police grants \['health'\]"):
        build(settings.model_copy(update={"privacy_policy_file": lax}))


def _two_members() -> dict[str, object]:
    person = {"family_name": "Visser", "birth_date": "1990-01-01", "role": "adult"}
    return {"members": [{"given_name": "Ann", **person}, {"given_name": "Bas", **person}]}


def _address() -> dict[str, str]:
    return {"street": "Markt", "house_number": "1", "postal_code": "4331 AB", "city": "Middelburg"}
