"""Domain errors. One base class; the API maps each family to one HTTP status."""

from __future__ import annotations


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    # Set by a batch: the place of the failing command in it.
    index: int | None = None

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class NotFoundError(DomainError):
    """The thing does not exist, or the caller may not know that it does."""


class PlanNotFoundError(NotFoundError):
    def __init__(self, plan_id: object) -> None:
        super().__init__(f"plan {plan_id} not found")


class UnknownReferenceError(DomainError):
    """A command names a professional, organisation or team the directory does not know."""


class AlreadyExistsError(DomainError):
    """An id chosen by the client is already taken."""


class RuleViolationError(DomainError):
    """A command breaks a rule given the current state (HTTP 409)."""


class PlanClosedError(RuleViolationError):
    def __init__(self) -> None:
        super().__init__("the plan is closed; only reopen_plan is accepted")


class PlanNotClosedError(RuleViolationError):
    def __init__(self) -> None:
        super().__init__("the plan is not closed")


class RegisseurAlreadyAssignedError(RuleViolationError):
    def __init__(self, current: str) -> None:
        super().__init__(f"the plan already has regisseur {current}; hand over with propose_handover")


class RegisseurRequiredError(RuleViolationError):
    pass


class NotOnCareTeamError(RuleViolationError):
    pass


class HandoverError(RuleViolationError):
    """A handover step out of order, or by the wrong professional."""


class MandateError(RuleViolationError):
    pass


class MemberError(RuleViolationError):
    pass


class GoalError(RuleViolationError):
    pass


class AgreementError(RuleViolationError):
    pass


class ConsentError(RuleViolationError):
    pass


class ConferenceError(RuleViolationError):
    pass


class NotAllowedError(DomainError):
    """The caller is known and sees the plan, but its role may not do this (HTTP 403)."""


class VersionMismatchError(DomainError):
    """The caller's If-Match version is not the plan's current version (HTTP 412)."""

    def __init__(self, expected: int, actual: int) -> None:
        super().__init__(f"expected version {expected}, but the plan is at version {actual}")
        self.expected = expected
        self.actual = actual


class ConcurrencyError(DomainError):
    """Retries ran out while others kept writing to the same plan (HTTP 409)."""


class HelpRequestNotFoundError(NotFoundError):
    def __init__(self, request_id: object) -> None:
        super().__init__(f"help request {request_id} not found")


class TriageError(RuleViolationError):
    """A triage step that the help request's state does not allow."""


class ReorganisationError(RuleViolationError):
    """A reorganisation file that contradicts itself or the directory."""


class IncompleteCommandError(DomainError):
    """A command that leaves out or contradicts what only the caller can say (HTTP 422), such
    as which tenant, when the caller serves several. Not a rule of the state: 409 is for those."""


class RecordIntegrityError(DomainError):
    """A stored record fails its integrity check: a value no longer opens under its key and context.

    Raised instead of showing the value, never instead of erasure: a destroyed key is erasure,
    a value that does not open is an alteration (of the ciphertext, or of what it is bound to:
    its category, event type, record or data subject) or a key table that was tampered with.
    """

    def __init__(self, record_id: object, version: int | None, where: str, reason: str) -> None:
        at = "" if version is None else f" version {version}"
        super().__init__(f"record {record_id}{at}: {where}: {reason}")
        self.record_id, self.version, self.where, self.reason = str(record_id), version, where, reason
