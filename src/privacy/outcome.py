"""How an attempt to process personal data ended, in the words of the standards.

Logboek Dataverwerkingen (LDV) gives every line a `status_code`: OK (a success,
marked explicitly), UNSET (the processing ran without an error of ours, which
the standard says of a refused request, a 4xx, too) or ERROR (a fault of ours,
a 5xx). NEN 7513 wants unsuccessful attempts to stand out, so every line also
carries its EventOutcomeIndicator: 0 success, 4 minor failure (refused: the
caller may correct and retry), 8 serious failure (failed). The reason is the
problem type the caller got (`plan-not-found`, `not-allowed`, `version-mismatch`),
as OpenTelemetry's `error.type`: a code, never the problem's detail text, which
can name member ids where the log holds pseudonyms only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


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
        """LDV `status_code`: OK (success, marked explicitly), UNSET (refused, 4xx), ERROR (failed, 5xx)."""
        return "OK" if self.successful else "UNSET" if self.status < 500 else "ERROR"

    @property
    def event_outcome(self) -> str:
        """NEN 7513 EventOutcomeIndicator: 0 success, 4 minor failure (refused), 8 serious failure."""
        return "0" if self.successful else "4" if self.status < 500 else "8"

    def status_record(self) -> dict[str, str]:
        if self.successful:
            return {"code": self.ldv_status}
        what = "refused" if self.status < 500 else "failed"
        return {"code": self.ldv_status, "message": f"{what}: {self.status} {self.reason}"}

    def attributes(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "dpl.nen7513.eventOutcomeIndicator": self.event_outcome,
            "http.response.status_code": self.status,
        }
        return found if self.successful else {**found, "error.type": self.reason}


SUCCESS = Outcome()
