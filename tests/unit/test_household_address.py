"""A household may have no fixed address, or a postal one only (briefadres), in memory.

The plan records the kind of address it has, `none` included, so views can say so; an address
stored before kinds existed reads as where the household lives.
"""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from eenplan.domain import commands as c
from eenplan.domain.app.scan import _area_keys
from eenplan.domain.plan import events as ev
from tests.factories import World, command, household, in_memory_app, make_world, open_plan_body

POSTAL = {
    "kind": "postal",
    "street": "Postbus",
    "house_number": "6000",
    "postal_code": "4330 LA",
    "city": "Middelburg",
}


@pytest.fixture
def world() -> World:
    return make_world(in_memory_app())


def _address(world: World, opener: str, plan_id: str) -> dict[str, Any]:
    return dict(world.app.plans.plan(world.ctx(opener).actor, plan_id).address)


def _open_with(world: World, opener: str, **address: Any) -> str:
    body = open_plan_body(world.team_id, world.tenant).model_dump(mode="json")
    body["household"] = {"members": household()["members"], **address}
    return world.app.plans.open_plan(world.ctx(opener), c.OpenPlan.model_validate(body)).plan_id


def test_a_plan_opens_without_an_address_and_records_that_it_has_none(world: World) -> None:
    opener = world.pros[world.orgs["welfare"]][0]
    left_out = _open_with(world, opener)
    said = _open_with(world, opener, address={"kind": "none"})
    assert _address(world, opener, left_out) == _address(world, opener, said) == {"kind": "none"}


def test_a_plan_opens_with_a_postal_address_only(world: World) -> None:
    opener = world.pros[world.orgs["welfare"]][0]
    plan_id = _open_with(world, opener, address=POSTAL)
    assert _address(world, opener, plan_id) == {**POSTAL, "postal_code": "4330 LA"}


def test_an_address_without_a_kind_is_where_the_household_lives(world: World) -> None:
    opener = world.pros[world.orgs["welfare"]][0]
    plan_id = world.open(opener).plan_id
    assert _address(world, opener, plan_id)["kind"] == "residential"


def test_the_address_changes_to_none_and_back(world: World) -> None:
    opener = world.pros[world.orgs["welfare"]][0]
    plan_id = world.open(opener).plan_id
    world.run(opener, plan_id, type="change_address", address=None)
    assert _address(world, opener, plan_id) == {"kind": "none"}
    world.run(opener, plan_id, type="change_address", address=POSTAL)
    assert _address(world, opener, plan_id)["kind"] == "postal"
    world.run(opener, plan_id, type="change_address", address={"kind": "none"})
    assert _address(world, opener, plan_id) == {"kind": "none"}


@pytest.mark.parametrize(
    "address",
    [
        {"kind": "none", "street": "Markt"},
        {"kind": "postal", "city": "Middelburg"},
        {"kind": "somewhere", "street": "Markt", "house_number": "1", "postal_code": "4331 LK", "city": "M"},
        {"street": "Markt", "house_number": "1", "postal_code": "12", "city": "Middelburg"},
    ],
)
def test_an_address_that_contradicts_its_kind_is_refused(address: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        command(type="change_address", address=address)


def test_change_address_still_needs_its_address_field() -> None:
    with pytest.raises(ValidationError):
        command(type="change_address")


def test_events_stored_before_address_kinds_read_as_residential() -> None:
    state: dict[str, Any] = {"address": {"street": {"$enc": "..."}, "city": {"$enc": "..."}}}
    for upcast in (ev.Opened.upcast_v1_v2, ev.AddressChanged.upcast_v1_v2):
        old = {"address": dict(state["address"])}
        upcast(old)
        assert old["address"]["kind"] == "residential"
    assert ev.Opened.class_version == ev.AddressChanged.class_version == 2


def test_only_where_a_household_lives_places_it_in_an_area() -> None:
    residential = {"kind": "residential", "postal_code": "4331 AB", "city": "Middelburg"}
    assert _area_keys(residential) == ("4331", "middelburg")
    assert _area_keys({**residential, "kind": "postal"}) == () == _area_keys({"kind": "none"})
    assert _area_keys({"postal_code": "4331 AB", "city": "Middelburg"}) == ("4331", "middelburg")
