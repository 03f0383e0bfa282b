"""FastAPI dependencies: the container, the authenticated caller, the command context."""

from __future__ import annotations

import re
from typing import Annotated, Any, NoReturn
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
# draft-ietf-httpapi-idempotency-key-header: the header is an RFC 8941 Item whose value is a String,
# `"..."` of printable ASCII with `\"` and `\\` the only escapes (§3.3.3). Parameters may follow the
# Item (§3.1.2); the draft defines none, so they are read and not used.
_SF_STRING = r'"((?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*)"'
_SF_BARE_ITEM = (
    r'(?:-?[0-9]{1,12}\.[0-9]{1,3}|-?[0-9]{1,15}|"(?:[\x20\x21\x23-\x5b\x5d-\x7e]|\\["\\])*"'
    r"|[A-Za-z*][!#$%&'*+\-.^_`|~:/A-Za-z0-9]*|:[A-Za-z0-9+/=]*:|\?[01])"
)
SF_STRING_ITEM = re.compile(rf"{_SF_STRING}(?:;[ ]*[a-z*][a-z0-9_.*-]*(?:={_SF_BARE_ITEM})?)*")


async def get_container(request: Request) -> Services:
    # Async: FastAPI runs a plain function dependency on a worker thread, a hand-off per request.
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
    idempotency_key: Annotated[
        str | None,
        Header(
            alias="Idempotency-Key",
            description='a key of your own, as a structured-field String ("8e03978e-…") or bare',
        ),
    ] = None,
) -> CommandContext:
    """A command an organisation makes as itself, e.g. a partner system reporting a signal."""
    key = (
        None if idempotency_key is None else read_idempotency_key(request.headers.getlist("idempotency-key"))
    )
    return CommandContext(actor=caller, command_id=key or str(uuid4()), trace_id=trace_id(request))


def read_idempotency_key(lines: list[str]) -> str:
    """The key of the Idempotency-Key header: a structured-field String, or (as before) the bare key.

    `"k-1"` and `k-1` are the same key. Either way the key is 1 to 100 letters, digits or `._:-`, the
    alphabet of a body's `command_id`.
    """
    if len(lines) != 1:
        raise_validation("Idempotency-Key", "send one Idempotency-Key")
    value = lines[0].strip(" \t")
    if value.startswith('"'):
        item = SF_STRING_ITEM.fullmatch(value)
        if item is None:
            raise_validation(
                "Idempotency-Key",
                'a quoted key is a structured-field String: printable ASCII, \\" and \\\\ the only escapes',
            )
        value = re.sub(r'\\(["\\])', r"\1", item.group(1))
    if not IDEMPOTENCY_KEY.match(value):
        raise_validation("Idempotency-Key", "use 1 to 100 letters, digits or ._:-")
    return value


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

    async def check(request: Request) -> None:  # no I/O: on the event loop, not a worker thread
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


def raise_validation(where: str, message: str, part: str = "header") -> NoReturn:
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
