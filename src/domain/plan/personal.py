"""Finding the personal values in an event, a plan's state or a view, by the paths in `categories`.

One walker serves the privacy filter (hide by category), field encryption
(encrypt by data subject) and erasure (blank by data subject). A path segment
ending in `[]` runs over a list, or over a dict's values (the plan's state keeps
members, goals and agreements in dicts keyed by id; views list them). The data
subject of a value is the member id of the nearest enclosing record that has
one; values outside any member record concern the whole household (None).
`@category` takes the nearest enclosing record's own `category` field.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from eenplan.domain.plan.categories import OWN
from eenplan.domain.values import DataCategory

ERASED = "[erased]"


@dataclass(frozen=True)
class PersonalValue:
    """One personal value in place: `holder[key]`, its category, its data subject, and the path
    in `categories` that named it (`members[].bsn`): where it is, for an auditor."""

    holder: dict[str, Any]
    key: str
    category: str
    subject: str | None
    path: str = ""

    @property
    def value(self) -> Any:
        return self.holder[self.key]


def personal_values(
    data: dict[str, Any], paths: dict[str, str], *, with_none: bool = False
) -> Iterator[PersonalValue]:
    """Every personal value in `data` that the paths name; None values only `with_none`."""
    for path, category in paths.items():
        top = (data.get("member_id"), data.get("category"))
        for found in _walk(data, path.split("."), category, *top, with_none):
            yield PersonalValue(found.holder, found.key, found.category, found.subject, path)


def copied_along(data: dict[str, Any], paths: Iterable[str]) -> dict[str, Any]:
    """`data` with every dict and list on the way to a value the paths name copied, and the
    rest shared: the holders `personal_values` then finds in the copy are none of `data`'s, so
    their values can be replaced (by envelopes) leaving `data` as it was. Copies only those
    paths' containers, where a deep copy would copy a plan's whole state."""
    top = dict(data)
    for path in paths:
        _copy_along(top, path.split("."))
    return top


def _copy_along(node: dict[str, Any], parts: list[str]) -> None:
    head, rest = parts[0], parts[1:]
    if not rest:  # the value itself: replaced in its holder, which is a copy by now
        return
    name = head.removesuffix("[]")
    value = node.get(name)
    if value is None:
        return
    children: Iterable[Any]
    if not head.endswith("[]"):
        if not isinstance(value, dict):
            return  # not walked into (see `_walk`)
        node[name] = value = dict(value)
        children = [value]
    elif isinstance(value, dict):
        node[name] = value = {k: dict(c) if isinstance(c, dict) else c for k, c in value.items()}
        children = value.values()
    elif isinstance(value, list):
        node[name] = value = [dict(c) if isinstance(c, dict) else c for c in value]
        children = value
    else:  # another kind of collection (`_walk` takes any): copied whole
        node[name] = value = copy.deepcopy(value)
        return
    for child in children:
        if isinstance(child, dict):
            _copy_along(child, rest)


def _walk(
    node: dict[str, Any],
    parts: list[str],
    category: str,
    subject: str | None,
    own: str | None,
    with_none: bool,
) -> Iterator[PersonalValue]:
    head, rest = parts[0], parts[1:]
    name = head.removesuffix("[]")
    value = node.get(name)
    if value is None and not (with_none and not rest and name in node):
        return
    if not rest:
        resolved = (own or DataCategory.GENERAL.value) if category == OWN else category
        yield PersonalValue(node, name, resolved, subject)
        return
    if head.endswith("[]"):
        children = list(value.values()) if isinstance(value, dict) else list(value or [])
    else:
        children = [value]
    for child in children:
        if isinstance(child, dict):
            yield from _walk(
                child, rest, category, child.get("member_id", subject), child.get("category", own), with_none
            )


def erase(data: dict[str, Any], paths: dict[str, str], members: set[str], household: bool) -> None:
    """Blank, in place, the values of the erased members and, if so, of the household."""
    for found in list(personal_values(data, paths)):
        if (found.subject in members) or (household and found.subject is None):
            found.holder[found.key] = ERASED
