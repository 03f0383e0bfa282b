"""Group commit of processing-log lines: concurrent requests' lines go to the store together.

Every request that touches personal data writes its processing-log lines before it answers, so
under load each request paid for a transaction (and on PostgreSQL a WAL flush) of its own. Here
the first request to arrive writes, and the requests that arrive while it writes wait; when it
is done, one of them writes all their lines in one call, and so on. Each request still returns
only once its own lines are committed, or raises when they were not: nothing is sampled, nothing
is answered before its log line is durable.

Should a group's write fail, each request's lines are written again on their own, so one
request's bad line (or an outage that has passed meanwhile) fails that request only.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

E = TypeVar("E")


@dataclass
class _Waiter(Generic[E]):
    entries: Sequence[E]
    done: bool = False
    error: BaseException | None = None


class GroupCommit(Generic[E]):
    """`write_all(entries)` as the wrapped one, with concurrent callers' entries written together."""

    def __init__(self, write_all: Callable[[list[E]], Any]) -> None:
        self._write_all = write_all
        self._changed = threading.Condition()
        self._pending: list[_Waiter[E]] = []
        self._writing = False
        self.writes = 0  # calls of the wrapped writer (for tests)

    def write_all(self, entries: Sequence[E]) -> None:
        """Write `entries`; returns once they are committed, raises if they were not."""
        me: _Waiter[E] = _Waiter(entries)
        with self._changed:
            self._pending.append(me)
            while self._writing and not me.done:
                self._changed.wait()
            lead = not me.done
            if lead:  # take everyone who is waiting, this caller included
                group, self._pending = self._pending, []
                self._writing = True
        if lead:
            try:
                self._write(group)
            finally:
                with self._changed:
                    self._writing = False
                    self._changed.notify_all()
        if me.error is not None:
            raise me.error

    def _write(self, group: list[_Waiter[E]]) -> None:
        try:
            self._call([entry for waiter in group for entry in waiter.entries])
        except Exception as error:  # noqa: BLE001 - settled below, per request
            if len(group) == 1:
                group[0].error = error
            else:
                for waiter in group:  # each request's lines get a try of their own
                    try:
                        self._call(list(waiter.entries))
                    except Exception as own:  # noqa: BLE001 - this request's answer is its error
                        waiter.error = own
        for waiter in group:
            waiter.done = True  # read by the waiters under the condition, set before notify_all

    def _call(self, entries: list[E]) -> None:
        self.writes += 1
        self._write_all(entries)
