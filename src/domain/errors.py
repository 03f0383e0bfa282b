"""Domain errors. One base class; the API maps each family to one HTTP status."""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """Base of every error the domain raises on purpose."""

    # Set by a batch: the place of the failing command in it.
    index: int | None = None
    # Members of the problem+json body beyond type, title, status and detail.
    extra: dict[str, Any] = {}

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail

    def fields(self) -> dict[str, Any]:
        """Facts beyond the detail for the problem document: ids and codes, never personal values."""
        return {}


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


class ProposalError(RuleViolationError):
    """A proposal to another organisation's worker that is not pending, or asked twice."""


class ConsentError(RuleViolationError):
    pass


class ConferenceError(RuleViolationError):
    pass


class NotAllowedError(DomainError):
    """The caller is known and sees the plan, but its role may not do this (HTTP 403)."""


class WriteNotAllowedError(NotAllowedError):
    """The write policy allows this command under other rules than the caller's (HTTP 403)."""

    def __init__(self, command: str, allowed: list[str], policy_version: str) -> None:
        super().__init__(
            f"write policy {policy_version}: {command} is for {', '.join(allowed)}; none of these holds "
            "for the caller"
        )
        self.rule = {"command": command, "allowed": allowed, "policy_version": policy_version}

    def fields(self) -> dict[str, Any]:
        return {"rule": self.rule}


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


class TrivialReasonError(IncompleteCommandError):
    """A stated reason that says nothing ("abc"); the detail states the rule (HTTP 422)."""


class EmergencyAccessNotAllowedError(NotAllowedError):
    """The policy does not let this caller break the glass; `rule` names the rule (HTTP 403)."""

    def __init__(self, rule: str, detail: str) -> None:
        super().__init__(detail)
        self.rule = rule

    def fields(self) -> dict[str, Any]:
        return {"rule": self.rule}


class EmergencyAccessOpenError(RuleViolationError):
    """The professional already holds an open emergency grant on this plan (HTTP 409)."""

    def __init__(self, grant_id: str, expires_at: str) -> None:
        super().__init__(
            f"emergency access {grant_id} to this plan is open until {expires_at}; one open grant "
            "per professional and plan: use it, and ask again once it has ended"
        )
        self.grant_id, self.expires_at = grant_id, expires_at

    def fields(self) -> dict[str, Any]:
        return {"grant_id": self.grant_id, "expires_at": self.expires_at}


class EmergencyGrantNotFoundError(NotFoundError):
    def __init__(self, grant_id: object) -> None:
        super().__init__(f"emergency access grant {grant_id} not found")


class AlreadyReviewedError(RuleViolationError):
    """A review is final: a grant is reviewed once and the review is never changed (HTTP 409)."""

    def __init__(self, grant_id: str, decision: str, reviewed_at: str) -> None:
        super().__init__(f"emergency access {grant_id} was {decision} on {reviewed_at}; a review is final")
        self.grant_id, self.decision, self.reviewed_at = grant_id, decision, reviewed_at

    def fields(self) -> dict[str, Any]:
        return {"grant_id": self.grant_id, "decision": self.decision, "reviewed_at": self.reviewed_at}


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


class UnanswerableQueryError(DomainError):
    """A read asked for something the store cannot answer as asked, such as a plan as it will be
    tomorrow, or a version and a moment at once (HTTP 422). Never answered with something else."""
