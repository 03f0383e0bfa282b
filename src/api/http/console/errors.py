"""Domain refusals as console pages: the status the API would answer, the reason in the page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from eenplan.api.http.console.web import ConsoleError
from eenplan.api.http.problems import describe
from eenplan.domain import errors


@contextmanager
def shown() -> Iterator[None]:
    """Turn a domain error into the console's error page with the API's status for it."""
    try:
        yield
    except errors.RecordIntegrityError:
        raise  # a broken record is a failure (500), logged as one; the integrity page locates it
    except errors.DomainError as e:
        found = describe(e)  # the status and problem type the API answers, logged the same way
        raise ConsoleError(found.status, found.reason, str(e)) from None
