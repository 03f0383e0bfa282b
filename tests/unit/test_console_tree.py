"""The console lays a plan beside what an organisation saw: hidden fields carry no value."""

from __future__ import annotations

from typing import Any

from eenplan.api.http.console.tree import Node, laid_side_by_side

FULL = {
    "plan_id": "p-1",
    "members": [{"member_id": "m-1", "given_name": "Ann", "family_name": "Geheim", "role": "parent"}],
    "notes": [
        {"note_id": "n-1", "category": "health", "text": "GGZ-diagnose"},
        {"note_id": "n-2", "category": "safety", "text": "veiligheidsplan"},
    ],
    "relation": "auditor",
}
SEEN = {
    "plan_id": "p-1",
    "members": [{"member_id": "m-1", "role": "parent"}],
    "notes": [{"note_id": "n-2", "category": "safety", "text": "veiligheidsplan"}],
    "relation": "care_team",
}


def _walk(nodes: list[Node]) -> list[Node]:
    found: list[Node] = []
    for node in nodes:
        found += [node, *_walk(node.children)]
    return found


def _values(nodes: list[Node]) -> list[Any]:
    return [n.value for n in _walk(nodes)]


def test_fields_the_organisation_could_not_see_are_hidden_without_their_value() -> None:
    nodes = laid_side_by_side(FULL, SEEN)
    hidden = [n for n in _walk(nodes) if n.kind == "hidden"]
    assert {n.label for n in hidden} == {"given_name", "family_name", "notes 1"}
    assert all(n.value is None for n in hidden)
    assert "Geheim" not in str(_values(nodes)) and "GGZ-diagnose" not in str(_values(nodes))
    assert [n.hint for n in hidden if n.label == "notes 1"] == ["health"]


def test_records_are_matched_by_their_id_not_their_place() -> None:
    nodes = laid_side_by_side(FULL, SEEN)
    notes = next(n for n in nodes if n.label == "notes")
    shown = [n for n in notes.children if n.kind == "record"]
    assert len(shown) == 1 and "veiligheidsplan" in _values(shown)


def test_the_view_beside_itself_hides_nothing_and_leaves_out_the_relation() -> None:
    nodes = laid_side_by_side(FULL, FULL)
    assert not [n for n in _walk(nodes) if n.kind == "hidden"]
    assert "relation" not in {n.label for n in nodes}
    assert "GGZ-diagnose" in _values(nodes)


def test_records_sharing_an_id_are_matched_in_their_order() -> None:
    full = {
        "proposals": [
            {"proposal_id": "x", "role": "a", "status": "open"},
            {"proposal_id": "x", "status": "ok"},
        ]
    }
    seen = {
        "proposals": [
            {"proposal_id": "x", "role": "a", "status": "open"},
            {"proposal_id": "x", "status": "ok"},
        ]
    }
    assert not [n for n in _walk(laid_side_by_side(full, seen)) if n.kind == "hidden"]
