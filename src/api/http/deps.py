"""FastAPI dependencies: the container, the authenticated caller, the command context."""

from __future__ import annotations

import re
from typing import Annotated, Any
from uuid import uuid4

import structlog
from fastapi import Depends, Header, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from eenplan.api.http.auth import AuthError
from eenplan.api.http.partners import ACTING_FOR_HEADER, acting_for, require_acting_for
from eenplan.api.http.services import Services
from eenplan.domain.context import Actor, CommandContext
from eenplan.domain.errors import NotAllowedError
from eenplan.domain.values import Role

bearer = HTTPBearer(auto_error=False, description="A JWT from your identity provider or `eenplan token`")
IDEMPOTENCY_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


def get_container(request: Request) -> Services:
    container: Services = request.app.state.container
    return container


ContainerDep = Annotated[Services, Depends(get_container)]


async def get_caller(
    request: Request,
    container: ContainerDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
    acting_for_header: Annotated[
        str | None,
        Header(alias=ACTING_FOR_HEADER, description="partner systems: the professional they act for"),
    ] = None,
) -> Actor:
    """The verified caller. Async, so the log context it binds reaches the access log."""
    if credentials is None:
        raise AuthError("send 'Authorization: Bearer <token>'")
    session = container.verifier.session(credentials.credentials)
    # The directory look-ups may touch the store: off the event loop.
    actor = await run_in_threadpool(_identified, container, session.actor, acting_for_header)
    structlog.contextvars.bind_contextvars(sub=actor.sub, org=actor.org)
    request.state.caller = actor
    request.state.token_expires_at = session.expires_at  # long streams end with their token
    return actor


def _identified(container: Services, actor: Actor, acting_for_header: str | None) -> Actor:
    """The verified token's caller, once the directory bears out its claims."""
    container.claims.check(actor)
    return acting_for(container.claims, actor, acting_for_header)


CallerDep = Annotated[Actor, Depends(get_caller)]


def require_role(actor: Actor, *roles: Role) -> None:
    if not any(actor.has_role(role) for role in roles):
        names = ", ".join(r.value for r in roles)
        raise NotAllowedError(f"this needs one of the roles: {names}")


def caller_with(*roles: Role) -> Any:
    """A dependency: the verified caller, refused (403) without one of `roles`."""

    def check(caller: CallerDep) -> Actor:
        require_role(caller, *roles)
        return caller

    return Depends(check)


def trace_id(request: Request) -> str | None:
    trace = getattr(request.state, "trace", None) or {}
    value: str | None = trace.get("trace_id")
    return value


def organisation_context(
    request: Request,
    caller: CallerDep,
    idempotency_key: Annotated[str | None, Header(alias="Idempotency-Key")] = None,
) -> CommandContext:
    """A command an organisation makes as itself, e.g. a partner system reporting a signal."""
    if idempotency_key is not None and not IDEMPOTENCY_KEY.match(idempotency_key):
        raise_validation("Idempotency-Key", "use 1 to 100 letters, digits or ._:-")
    return CommandContext(
        actor=caller, command_id=idempotency_key or str(uuid4()), trace_id=trace_id(request)
    )


OrganisationContextDep = Annotated[CommandContext, Depends(organisation_context)]


def command_context(ctx: OrganisationContextDep) -> CommandContext:
    """A command on a plan: a partner system must name the professional it acts for."""
    require_acting_for(ctx.actor)
    return ctx


def known_query(*names: str) -> Any:
    """A dependency refusing query parameters the route does not take, or takes once but got twice.

    A misspelt `?verison=3` would otherwise be ignored, and the answer would silently be another
    than the one asked for.
    """
    allowed = frozenset(names)

    def check(request: Request) -> None:
        params = request.query_params
        wrong = sorted({key for key in params if key not in allowed or len(params.getlist(key)) > 1})
        if wrong:
            from fastapi.exceptions import RequestValidationError

            takes = ", ".join(sorted(allowed))
            lines = [
                {
                    "loc": ["query", key[:100]],
                    "msg": f"not taken here, or given twice; this path takes {takes}",
                    "type": "value_error",
                }
                for key in wrong
            ]
            raise RequestValidationError(lines)

    return Depends(check)


def raise_validation(where: str, message: str, part: str = "header") -> None:
    """A 422 for a request header (or `part="query"`: a query parameter) that FastAPI cannot check."""
    from fastapi.exceptions import RequestValidationError

    raise RequestValidationError([{"loc": [part, where], "msg": message, "type": "value_error"}])


CommandContextDep = Annotated[CommandContext, Depends(command_context)]

# Readers by role: the check is made before the route runs.
PrivacyOfficerDep = Annotated[Actor, caller_with(Role.PRIVACY_OFFICER)]
PrivacyReaderDep = Annotated[Actor, caller_with(Role.PRIVACY_OFFICER, Role.AUDITOR)]
AuditorDep = Annotated[Actor, caller_with(Role.AUDITOR)]
INTAKE_ROLES = (Role.PROFESSIONAL, Role.TEAM_LEAD, Role.PARTNER_SYSTEM)
IntakeCallerDep = Annotated[Actor, caller_with(*INTAKE_ROLES)]
