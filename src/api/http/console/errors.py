"""Domain refusals as console pages: the status the API would answer, the reason in the page."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from eenplan.api.http.console.web import ConsoleError
from eenplan.api.http.problems import status_of
from eenplan.domain import errors

TITLES = {
    400: "Dit verzoek klopt niet",
    401: "Niet aangemeld",
    403: "Niet toegestaan",
    404: "Niet gevonden",
    409: "Dit kan nu niet",
    422: "Dit klopt niet",
}


@contextmanager
def shown() -> Iterator[None]:
    """Turn a domain error into the console's error page with the API's status for it."""
    try:
        yield
    except errors.RecordIntegrityError:
        raise  # a broken record is a failure (500), logged as one; the integrity page locates it
    except errors.DomainError as e:
        raise ConsoleError(status_of(e), type(e).__name__, str(e)) from None
