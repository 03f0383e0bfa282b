"""Partner systems act for a professional of their own organisation.

A token with role `partner_system` names, on every command, the professional it
acts for: the `X-Acting-For` header (CloudEvents may instead carry the
`actingfor` extension attribute). That professional must work for the token's
organisation. Events record both: `sub` (the system, NEN 7513 requestor) and
`acting_for` (the responsible professional). Others may not act for anyone.
"""

from __future__ import annotations

import re
from dataclasses import replace

from eenplan.api.http.claims import ClaimsCheck
from eenplan.api.http.problems import ProblemError
from eenplan.domain.context import Actor
from eenplan.domain.errors import NotAllowedError
from eenplan.domain.values import Role

ACTING_FOR_HEADER = "X-Acting-For"
PROFESSIONAL_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$")


def acting_for(claims: ClaimsCheck, actor: Actor, professional_id: str | None) -> Actor:
    """The caller, acting for `professional_id` when it names one (checked)."""
    if not professional_id:
        return actor
    if not actor.has_role(Role.PARTNER_SYSTEM):
        raise NotAllowedError(f"only partner systems (role partner_system) may send {ACTING_FOR_HEADER}")
    if not PROFESSIONAL_ID.match(professional_id):
        raise ProblemError(422, "validation", f"{ACTING_FOR_HEADER} must be a professional id")
    if not claims.works_for(professional_id, actor.org):
        # One answer for an unknown id, another organisation's and a departed professional.
        raise NotAllowedError(f"{professional_id} is not a current professional of organisation {actor.org}")
    return replace(actor, acting_for=professional_id)


def require_acting_for(actor: Actor) -> None:
    """Partner systems name the professional responsible for every command."""
    if actor.has_role(Role.PARTNER_SYSTEM) and not actor.acting_for:
        raise ProblemError(
            422,
            "acting-for-required",
            f"a partner system names the professional it acts for: send the {ACTING_FOR_HEADER} header",
        )
