"""How an attempt to process personal data ended, in the words of the standards.

Logboek Dataverwerkingen (LDV) asks whether each processing succeeded or failed and gives every
line a `status_code`: STATUS_CODE_OK for a success, STATUS_CODE_ERROR for a refused (4xx) or
failed (5xx) attempt: the processing did not happen. NEN 7513 wants unsuccessful attempts to stand
out, and tells a minor failure (refused: the caller may correct and retry, EventOutcomeIndicator
4) from a serious one (failed, 8); the LDV extension maps EventOutcomeIndicator to `status_code`,
so the line says which in its `controles`: `refused` or `failed`, with the status and the reason.
The reason is the problem type the caller got (`plan-not-found`, `not-allowed`,
`version-mismatch`): a code, never the problem's detail text, which can name member ids where the
log holds pseudonyms only.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """How an attempt ended: the HTTP status and the problem type the caller got (the reason)."""

    status: int = 200
    reason: str = ""

    @property
    def successful(self) -> bool:
        return self.status < 400

    @property
    def ldv_status(self) -> str:
        """LDV `status_code`: OK for a success, ERROR for a refused or failed attempt."""
        return "STATUS_CODE_OK" if self.successful else "STATUS_CODE_ERROR"

    @property
    def event_outcome(self) -> str:
        """NEN 7513 EventOutcomeIndicator: 0 success, 4 minor failure (refused), 8 serious failure."""
        return "0" if self.successful else "4" if self.status < 500 else "8"

    @property
    def result(self) -> str:
        """How the request ended, as the line's `controles` say it: ok, refused or failed."""
        return "ok" if self.successful else "refused" if self.status < 500 else "failed"


SUCCESS = Outcome()
