"""The policy file's break-the-glass and `never` sections: what loads, and what is refused."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
import yaml

from eenplan.privacy.policy import DEFAULT_FILE, Policy, PolicyError, load_policy

SHIPPED: dict[str, Any] = yaml.safe_load(DEFAULT_FILE.read_text())


def parse(change: Callable[[dict[str, Any]], None], *, recorded: bool = False) -> Policy:
    """The shipped policy with one change, parsed as a file would be."""
    raw = copy.deepcopy(SHIPPED)
    change(raw)
    return Policy.parse(yaml.safe_dump(raw), recorded=recorded)


def test_the_shipped_policy_opens_no_health_data_to_the_police_in_an_emergency() -> None:
    policy = load_policy()
    assert policy.categories("police", "emergency") == {"identity", "general", "safety", "justice"}
    assert "health" not in policy.categories("police", "regisseur")
    assert "bsn" not in policy.categories("police", "emergency")
    assert policy.categories("mental_health", "emergency") >= {"health", "bsn"}
    assert {"welfare", "housing", "education"}.isdisjoint(policy.break_the_glass.kinds)
    assert policy.break_the_glass.roles == {"professional", "team_lead"}


def test_a_policy_that_leaves_out_the_police_health_floor_is_refused() -> None:
    with pytest.raises(PolicyError, match=r"never\.police must list \['health'\]"):
        parse(lambda raw: raw.pop("never"))
    with pytest.raises(PolicyError, match=r"never\.police must list"):
        parse(lambda raw: raw["never"].update(police=["bsn"]))


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (
            lambda raw: raw["kinds"]["police"].update(care_team=["general", "health"]),
            "kinds.police.care_team",
        ),
        (lambda raw: raw["kinds"]["police"].update(consent=["health"]), "kinds.police.consent"),
        (
            lambda raw: raw["break_the_glass"]["kinds"].update(police=["health"]),
            "break_the_glass.kinds.police",
        ),
    ],
)
def test_a_policy_that_grants_the_police_health_data_anywhere_is_refused(
    change: Callable[[dict[str, Any]], None], where: str
) -> None:
    with pytest.raises(PolicyError, match=rf"{where} grants \['health'\], which never\.police forbids"):
        parse(change)


def test_a_kind_the_file_itself_forbids_a_category_may_not_be_granted_it_either() -> None:
    def housing_never_finance(raw: dict[str, Any]) -> None:
        raw["never"]["housing"] = ["finance"]
        raw["kinds"]["housing"]["mandate"] = ["general", "finance"]

    with pytest.raises(PolicyError, match=r"kinds\.housing\.mandate grants \['finance'\]"):
        parse(housing_never_finance)
    stricter = parse(lambda raw: raw["never"].update(housing=["finance"]))
    assert "finance" not in stricter.categories("housing", "regisseur")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda raw: raw["default"].update(emergency=["general"]), r"default\.emergency: set what"),
        (lambda raw: raw["kinds"]["police"].update(emergency=["general"]), r"kinds\.police\.emergency"),
        (lambda raw: raw["break_the_glass"].update(roles=["professional", "janitor"]), r"roles: a list"),
        (lambda raw: raw["break_the_glass"]["kinds"].update(bakery=["general"]), r"unknown organisation"),
        (lambda raw: raw["break_the_glass"].update(who=["anyone"]), r"break_the_glass has `roles`"),
        (
            lambda raw: raw["never"].update(police=["health", "gossip"]),
            r"never\.police: a list of categories",
        ),
        (lambda raw: raw.update(brake_the_glass={}), r"unknown sections \['brake_the_glass'\]"),
    ],
)
def test_a_malformed_break_the_glass_or_never_section_is_refused(
    change: Callable[[dict[str, Any]], None], message: str
) -> None:
    with pytest.raises(PolicyError, match=message):
        parse(change)


def test_without_a_break_the_glass_section_nobody_may_break_the_glass() -> None:
    policy = parse(lambda raw: raw.pop("break_the_glass"))
    assert policy.break_the_glass.roles == set() and policy.break_the_glass.kinds == {}
    assert policy.categories("safe_home", "emergency") == set()


def test_a_policy_recorded_in_the_older_shape_reads_back_with_the_statutory_floor() -> None:
    def older(raw: dict[str, Any]) -> None:
        raw["version"] = "2026.1"
        raw["default"]["emergency"] = raw["all_categories"]
        raw["kinds"]["police"]["care_team"] = ["general", "health"]
        raw.pop("never")
        raw.pop("break_the_glass")

    with pytest.raises(PolicyError):
        parse(older)
    then = parse(older, recorded=True)
    assert then.version == "2026.1" and then.never["police"] == {"health"}
    assert then.categories("police", "care_team") == {"general"}
    assert then.categories("social_work", "emergency") == set()  # emergency is judged now, never replayed
