"""Which intake event fields hold personal data, and of which category.

The same plain metadata as `domain.plan.categories`, for the privacy module's
encrypting mapper: per event class name, field path → data category. The
contact of a help request and the person of a signal are identity; the BSN is
its own category. Signals carry no content beyond their type, so nothing else
of theirs is personal. Event class names here do not collide with plan events.
"""

from __future__ import annotations

from eenplan.domain.plan.categories import BSN, GENERAL, IDENTITY

_CONTACT = {"given_name": IDENTITY, "family_name": IDENTITY, "phone": IDENTITY, "email": IDENTITY}
_PERSON = {"given_name": IDENTITY, "family_name": IDENTITY, "birth_date": IDENTITY, "bsn": BSN}

PERSONAL_FIELDS: dict[str, dict[str, str]] = {
    "HelpRequestSubmitted": {
        **{f"contact.{k}": v for k, v in _CONTACT.items()},
        "summary": GENERAL,
        "location": GENERAL,
    },
    "HelpRequestAssigned": {"reason": GENERAL},
    "ResolvedSimply": {"what_was_done": GENERAL},
    "SignalRecorded": {f"person.{k}": v for k, v in _PERSON.items()},
}

# Whom the personal fields are about: a help request's contact is the request
# itself (its aggregate id); a signal's person is the signal file (its aggregate
# id, derived from the pseudonymous person key). Erasing a signal file's key
# when its last signal expires shreds the person's identity in stored events.
SUBJECT_FIELDS: dict[str, str] = {
    "HelpRequestSubmitted": "@originator_id",
    "SignalRecorded": "@originator_id",
}
