"""Every field of every plan event is either a catalogued personal field or known structure.

A new event field that may hold free text or a person's data fails here until
it is given a category in `domain.plan.categories` (or named as structure).
"""

from __future__ import annotations

import copy
import inspect
import typing

from eenplan.domain.plan import events as ev
from eenplan.domain.plan.categories import PERSONAL_FIELDS, STATE_FIELDS
from eenplan.domain.plan.personal import copied_along, personal_values

STRUCTURE = {
    "meta",
    "tenant",
    "team_id",
    "legal_basis",
    "help_request_id",
    "member_id",
    "professional_id",
    "organisation_id",
    "role",
    "from_professional_id",
    "to_professional_id",
    "mandate_id",
    "scope",
    "valid_until",
    "regisseur_id",
    "goal_id",
    "life_domain",
    "category",
    "target_date",
    "outcome",
    "agreement_id",
    "responsible",
    "due_date",
    "level",
    "consent_id",
    "categories",
    "given_by",
    "concerning",
    "proposal_id",
    "note_id",
    "conference_id",
    "held_on",
    "attendees",
    "receipt_id",
    "member_ids",
    "household",
    "legal_ground",
    "reorganisation_id",
    "from_team_id",
    "to_team_id",
    "regisseur",  # a reorganisation's new regisseur: professional and organisation ids
    # One household, one plan: ids of plans and proposals, and what kind of item was carried.
    "from_plan_id",
    "into_plan_id",
    "new_plan_id",
    "proposed_on",
    "beside_plan_ids",
    "goal_ids",
    "agreement_ids",
    "kind",
}


def plan_event_classes() -> list[type]:
    return [
        cls
        for _, cls in inspect.getmembers(ev, inspect.isclass)
        if cls.__module__ == ev.__name__ and cls is not ev.PlanEvent
    ]


def test_every_event_field_is_personal_with_a_category_or_known_structure() -> None:
    unclassified = []
    for cls in plan_event_classes():
        personal = {path.split(".")[0].removesuffix("[]") for path in PERSONAL_FIELDS.get(cls.__name__, {})}
        for name in typing.get_type_hints(cls, include_extras=False):
            if name.startswith("originator_") or name in ("timestamp", "class_version"):
                continue
            if name not in personal and name not in STRUCTURE:
                unclassified.append(f"{cls.__name__}.{name}")
    assert unclassified == []


def test_state_paths_find_a_members_name_in_a_snapshot_shaped_state() -> None:
    state = {
        "members": {"m1": {"member_id": "m1", "given_name": "Ann"}},
        "notes": [{"category": "health", "text": "x"}],
    }
    found = {(v.key, v.category, v.subject) for v in personal_values(state, STATE_FIELDS)}
    assert found == {("given_name", "identity", "m1"), ("text", "health", None)}


def test_a_copy_along_the_paths_lets_every_personal_value_be_replaced_and_leaves_the_original() -> None:
    """Field encryption replaces values in a copy (privacy.mapper): the copy must hold none of the
    original's containers on those paths, and share the rest rather than copy everything."""
    shared = {"untouched": ["a", "b"]}
    state = {
        "members": {
            "m1": {"member_id": "m1", "given_name": "Ann", "contact": {"phone": "06"}},
            "m2": {"member_id": "m2", "given_name": "Bo"},
        },
        "notes": [{"category": "health", "text": "x"}, {"category": "general", "text": "y"}],
        "address": {"street": "Dorpsstraat", "city": "Vlissingen"},
        "other": shared,
    }
    before = copy.deepcopy(state)
    copied = copied_along(state, STATE_FIELDS)
    found = list(personal_values(copied, STATE_FIELDS))
    assert len(found) >= 6
    for value in found:
        value.holder[value.key] = "[envelope]"
    assert state == before  # the original kept every value
    assert all(v.value == "[envelope]" for v in personal_values(copied, STATE_FIELDS))
    assert copied["other"] is shared  # what no path names is shared, not copied
