"""What the application asks of the world outside the domain, and what it does without it.

The composition root fills `Ports` with adapters (the privacy module's write policy, the
store's retrying writers, the projection's regisseur load, the keyring's shredder). Until
then each port has a plain default that keeps the application correct in one process with
an in-memory store: no write policy refuses every plan command; one attempt per command.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from eenplan.domain import errors
from eenplan.domain.context import CommandContext
from eenplan.domain.intake.signals import SignalTerms

if TYPE_CHECKING:
    from eenplan.domain.plan import HouseholdPlan

T = TypeVar("T")


class Conflict(Exception):
    """Another writer saved first: the attempt may run again, from a fresh load.

    The message says what kept changing and what to do; it is the ConcurrencyError's when the
    writer gives up.
    """


class Attempts(Protocol):
    """Runs a write attempt, and again while it raises `Conflict`; writers of one key take turns."""

    def run(self, key: str, attempt: Callable[[], T]) -> T: ...


class OneAttempt:
    """No retries and no locks: a conflict answers at once. Right for one process and one writer."""

    def run(self, key: str, attempt: Callable[[], T]) -> T:
        try:
            return attempt()
        except Conflict as conflict:
            raise errors.ConcurrencyError(str(conflict)) from None


class WritePolicy(Protocol):
    """Who may issue which plan command: the privacy module's write policy."""

    def authorise(self, ctx: CommandContext, plan: HouseholdPlan, cmd: Any, team_lead: bool) -> None:
        """Return when allowed; raise PlanNotFoundError (no relation) or NotAllowedError (no rule)."""


class RegisseurLoad(Protocol):
    """Open plans per regisseur in a tenant. The caseload projection's `regisseur_load` fits."""

    def __call__(self, tenant: str) -> dict[str, int]: ...


def _state_only(_key_id: str) -> None:
    """Without field encryption (in memory) an expired signal's values only leave the state."""


@dataclass
class Ports:
    """The adapters the application runs with; the composition root sets them before serving."""

    # None: every plan command is refused (a store without a policy changes nothing).
    write_policy: WritePolicy | None = None
    # Plan commands: serialised per plan and retried by the store adapter (api/store/writers.py).
    plan_writes: Attempts = field(default_factory=OneAttempt)
    # Other aggregates (directory, help requests, signal files, teams): retried, not locked.
    writes: Attempts = field(default_factory=OneAttempt)
    # Open plans per regisseur, for allocation; None: the application scans the log.
    regisseur_load: RegisseurLoad | None = None
    # The keys of pseudonymised signals; posting a signal needs them.
    signal_terms: SignalTerms | None = None
    # Destroys the data key of a record's personal values (the privacy keyring's shredder).
    shred_subject: Callable[[str], None] = _state_only
