"""A plan view laid side by side with what an organisation could see of it: fields it could not
see become "verborgen" markers that carry no value, so a hidden value never reaches the page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# The keys that name a record in a plan's lists, so records are matched by identity, not position.
ID_KEYS = (
    "member_id",
    "goal_id",
    "agreement_id",
    "note_id",
    "consent_id",
    "mandate_id",
    "conference_id",
    "assessment_id",
    "professional_id",
    "request_id",
    "proposal_id",
)


@dataclass
class Node:
    kind: str  # "value", "hidden", "record" or "list"
    label: str
    value: Any = None
    children: list[Node] = field(default_factory=list)
    hint: str | None = None  # a hidden record's category: what kind of thing was left out


def laid_side_by_side(full: dict[str, Any], seen: dict[str, Any]) -> list[Node]:
    """The fields of `full`, each with its value as `seen` has it, or hidden where `seen` lacks it."""
    return [_node(key, value, seen, key in seen) for key, value in full.items() if key != "relation"]


def _node(label: str, full: Any, holder: Any, present: bool) -> Node:
    if not present:
        hint = full.get("category") if isinstance(full, dict) else None
        return Node("hidden", label, hint=str(hint) if hint else None)
    seen = holder[label] if isinstance(holder, dict) else holder
    if isinstance(full, dict) and isinstance(seen, dict):
        return Node("record", label, children=laid_side_by_side(full, seen))
    if isinstance(full, list) and isinstance(seen, list) and any(isinstance(x, dict) for x in full):
        return Node("list", label, children=_records(label, full, seen))
    return Node("value", label, value=_plain(seen))


def _records(label: str, full: list[Any], seen: list[Any]) -> list[Node]:
    # Records that share an id (a proposal's steps) are matched in their order.
    by_id: dict[str, list[Any]] = {}
    for item in seen:
        if _ident(item):
            by_id.setdefault(str(_ident(item)), []).append(item)
    nodes = []
    for n, item in enumerate(full, start=1):
        ident = _ident(item)
        if ident:
            same = by_id.get(ident) or []
            match = same.pop(0) if same else None
        else:
            match = seen[n - 1] if n <= len(seen) else None
        name = f"{label} {n}"
        nodes.append(_node(name, item, {name: match}, match is not None))
    return nodes


def _ident(item: Any) -> str | None:
    if not isinstance(item, dict):
        return None
    return next((f"{key}={item[key]}" for key in ID_KEYS if item.get(key)), None)


def _plain(value: Any) -> Any:
    if isinstance(value, list):
        return ", ".join(str(_plain(v)) for v in value) if value else "—"
    if value is None or value == "":
        return "—"
    return value
