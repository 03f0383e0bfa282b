"""Who can consent for whom: the Dutch rule for the members of a household.

Consent is the household's: its members give it, the regisseur or a team lead records it on
their behalf. For each member whose data a consent opens, the members who gave it must be able
to consent for that person (WGBO art. 7:450 and AVG art. 8 as applied in youth care):

- 16 and over: the person themselves;
- 12 to 15: the child and a parent (or guardian);
- under 12: a parent (or guardian).

A member's age is taken from their birth date on the day of the consent. A child whose birth
date is unknown or erased cannot be placed in a band, so no consent can be recorded for them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from eenplan.domain import errors
from eenplan.domain.plan.personal import ERASED

GUARDIAN_ROLES = ("parent",)


def check_givers(
    members: dict[str, dict[str, Any]], concerning: list[str], given_by: list[str], today: date
) -> None:
    """Raise ConsentError unless `given_by` can consent for every member in `concerning`."""
    for member_id in [*given_by, *concerning]:
        if member_id not in members:
            raise errors.ConsentError(f"member {member_id} is not a current member of the household")
    givers = set(given_by)
    guardians = {m for m in givers if members[m].get("role") in GUARDIAN_ROLES}
    for member_id in concerning:
        needed = _needed(member_id, members[member_id], today)
        if "self" in needed and member_id not in givers:
            raise errors.ConsentError(f"member {member_id} consents for themselves ({needed['self']})")
        if "guardian" in needed and not guardians - {member_id}:
            raise errors.ConsentError(
                f"a parent or guardian consents for member {member_id} ({needed['guardian']})"
            )


def _needed(member_id: str, member: dict[str, Any], today: date) -> dict[str, str]:
    age = _age(member.get("birth_date"), today)
    if age is None:
        if member.get("role") == "child":
            raise errors.ConsentError(
                f"the birth date of member {member_id} is needed to know who can consent for them"
            )
        return {"self": "an adult"}
    if age >= 16:
        return {"self": "16 or over"}
    if age >= 12:
        return {"self": "12 to 15, with a parent", "guardian": "12 to 15, with the child"}
    return {"guardian": "under 12"}


def _age(birth_date: Any, today: date) -> int | None:
    if not isinstance(birth_date, str) or birth_date == ERASED:
        return None
    try:
        born = date.fromisoformat(birth_date)
    except ValueError:
        return None
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))
