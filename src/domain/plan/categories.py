"""Which event fields hold personal data, and of which category.

Plain metadata for the privacy module: per event type, a map from a field path
to a data category. `members[].bsn` means "the bsn of every element of the
members list". The value `@category` means the event's own `category` field
decides (a note, or anything tied to a goal, takes its life domain's category).
Fields not listed are structure (ids, versions, statuses, dates of the process).
"""

from __future__ import annotations

from eenplan.domain.values import DataCategory

IDENTITY = DataCategory.IDENTITY.value
BSN = DataCategory.BSN.value
GENERAL = DataCategory.GENERAL.value
SAFETY = DataCategory.SAFETY.value
OWN = "@category"

_PERSON = {"given_name": IDENTITY, "family_name": IDENTITY, "birth_date": IDENTITY, "bsn": BSN}
# `kind` too: that a household has no fixed address, or only a postal one, is itself personal data.
_ADDRESS = {
    "kind": IDENTITY,
    "street": IDENTITY,
    "house_number": IDENTITY,
    "postal_code": IDENTITY,
    "city": IDENTITY,
}


def _under(prefix: str, fields: dict[str, str]) -> dict[str, str]:
    return {f"{prefix}.{name}": category for name, category in fields.items()}


PERSONAL_FIELDS: dict[str, dict[str, str]] = {
    "Opened": {**_under("members[]", _PERSON), **_under("address", _ADDRESS), "reason": GENERAL},
    "MemberAdded": _under("member", _PERSON),
    "MemberRemoved": {"reason": GENERAL},
    "MemberCorrected": {**_under("corrections", _PERSON), "reason": GENERAL},
    "AddressChanged": _under("address", _ADDRESS),
    "CareTeamLeft": {"reason": GENERAL},
    "HandoverProposed": {"note": GENERAL},
    "HandoverDeclined": {"reason": GENERAL},
    "MandateRevoked": {"reason": GENERAL},
    "GoalSet": {"description": OWN},
    "ProgressRecorded": {"note": OWN, "score": OWN},
    "GoalClosed": {"note": OWN},
    "AgreementMade": {"action": OWN},
    "AgreementProposed": {"action": OWN},
    "ProposalDeclined": {"reason": GENERAL},
    "AgreementCompleted": {"note": OWN},
    "AgreementRevised": {"action": OWN, "reason": OWN},
    "AgreementCancelled": {"reason": OWN},
    "RiskAssessed": {"rationale": SAFETY, "instrument": SAFETY},
    "ConsentRecorded": {"purpose": GENERAL},
    "NoteAdded": {"text": OWN},
    "CaseConferenceHeld": {"decisions": GENERAL},
    "PlanClosed": {"reason": GENERAL},
    "PlanReopened": {"reason": GENERAL},
}

# Where an event names the data subject its personal fields are about. Events
# not listed concern the whole household.
SUBJECT_FIELDS: dict[str, str] = {
    "Opened": "members[].member_id",
    "MemberAdded": "member.member_id",
    "MemberRemoved": "member_id",
    "MemberCorrected": "member_id",
    "ConsentRecorded": "given_by[]",
}

# The same personal fields in a plan's state (snapshots, the cached aggregate)
# and in its views: `[]` also runs over the dicts the state keeps by id.
STATE_FIELDS: dict[str, str] = {
    **_under("members[]", _PERSON),
    **_under("address", _ADDRESS),
    "reason": GENERAL,
    "handover.note": GENERAL,
    "goals[].description": OWN,
    "goals[].score": OWN,
    "agreements[].action": OWN,
    "proposals[].agreement.action": OWN,
    "risk.rationale": SAFETY,
    "risk.instrument": SAFETY,
    "consents[].purpose": GENERAL,
    "notes[].text": OWN,
    "conferences[].decisions": GENERAL,
}
