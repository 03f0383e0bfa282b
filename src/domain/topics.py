"""What a stored topic means: the one registry between the names in a store and today's classes.

A stored event names its class by topic, `module:QualName`, and an aggregate's first event and its
snapshots name the aggregate class the same way. Modules move, so a topic in a store is a name
given at the time it was written, not a path to import today. This module decides what every
such name means, and no other code compares raw topic strings:

- `resolve(topic)`: the class a stored topic means today (former names included);
- `is_of(topic, *classes)`: whether a stored topic means one of these classes or a subclass;
- `stored_topics(*classes)`: every topic under which these classes' events may be stored, today's
  and former, for filters on the notification log.

Moves are recorded here, never undone in the store (the hash chain covers the stored topic):

- `FORMER_PACKAGES`: a package that moved as a whole. Until 2026-12 the domain installed as the
  top-level package `domain`; a store written then says `domain.plan.events:NoteAdded`.
- `MOVED_CLASSES`: a class that moved on its own, e.g. when `plan/events.py` is split. Add the
  old topic with the class it means now: `"eenplan.domain.plan.events:NoteAdded": NoteAdded`.
"""

from __future__ import annotations

import importlib
from typing import Any

from eventsourcing.utils import TopicError, get_topic, register_topic, resolve_topic

# Former package name -> the package it is now; every module below it moved with it.
FORMER_PACKAGES: dict[str, str] = {"domain": "eenplan.domain"}

# Former topic -> its class now, for classes that moved on their own (none yet).
MOVED_CLASSES: dict[str, type[Any]] = {}


def install() -> None:
    """Teach eventsourcing's topic resolver every former name (idempotent; done on import)."""
    for former, now in FORMER_PACKAGES.items():
        register_topic(former, importlib.import_module(now))
    for topic, cls in MOVED_CLASSES.items():
        register_topic(topic, cls)


def resolve(topic: str) -> Any:
    """The class (or other object) that a stored topic means today."""
    return resolve_topic(topic)


def known(topic: str) -> type[Any] | None:
    """What a stored topic means today, or None where it names nothing this code has (any more)."""
    try:
        found = resolve_topic(topic)
    except TopicError:
        return None
    return found if isinstance(found, type) else None


def is_of(topic: str, *classes: type[Any]) -> bool:
    """Whether a stored topic means one of `classes` (or a subclass of one)."""
    found = resolve(topic)
    return isinstance(found, type) and issubclass(found, classes)


def stored_topics(*classes: type[Any]) -> list[str]:
    """Every topic under which events of exactly these classes may be stored, today's and former."""
    return sorted({t for cls in classes for t in _names_of(cls)})


def _names_of(cls: type[Any]) -> tuple[str, ...]:
    today = get_topic(cls)
    names = {today} | {t for t, moved in MOVED_CLASSES.items() if moved is cls}
    module, _, qualname = today.partition(":")
    for former, now in FORMER_PACKAGES.items():
        if module == now or module.startswith(now + "."):
            names.add(f"{former}{module[len(now) :]}:{qualname}")
    return tuple(sorted(names))


install()
