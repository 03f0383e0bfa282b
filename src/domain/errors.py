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


class UnanswerableQueryError(DomainError):
    """A read asked for something the store cannot answer as asked, such as a plan as it will be
    tomorrow, or a version and a moment at once (HTTP 422). Never answered with something else."""
