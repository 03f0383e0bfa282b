"""The console's plumbing: templates, the signed-in visitor, the session cookie, CSRF, error pages.

Every page is rendered here with the security headers the console promises: a Content-Security-
Policy that allows nothing from elsewhere (scripts and styles from /console/static only, no inline
script, no framing), no caching of pages that hold personal data, no referrer.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import SimpleNamespace
from typing import Annotated, Any
from urllib.parse import parse_qs

import structlog
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool

from eenplan.api.http.auth import AuthError
from eenplan.api.http.console.session import COOKIE, PATH, Session, SessionCodec
from eenplan.api.http.deps import ContainerDep
from eenplan.api.http.problems import ProblemError
from eenplan.api.http.services import Services
from eenplan.domain.context import Actor
from eenplan.domain.values import Role
from eenplan.privacy.keys import derive

HERE = Path(__file__).resolve().parent
CONSOLE_ROLES = (Role.AUDITOR, Role.PRIVACY_OFFICER)
SIGN_IN = "/console/aanmelden"
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; base-uri 'none'; object-src 'none'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}
ROLE_NAMES = {"auditor": "auditor", "privacy_officer": "privacy officer"}
TITLES = {
    400: "Dit verzoek klopt niet",
    401: "Niet aangemeld",
    403: "Niet toegestaan",
    404: "Niet gevonden",
    409: "Dit kan nu niet",
    422: "Dit klopt niet",
}


class SignInNeededError(AuthError):
    """No session, or one that ended or that the directory no longer bears out: sign in (303)."""


class ConsoleError(ProblemError):
    """A refusal the console shows as a page: the status, and a line in Dutch."""

    def __init__(self, status: int, kind: str, detail: str) -> None:
        super().__init__(status, kind, detail)


@cache
def templates() -> Environment:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["role_names"] = ROLE_NAMES
    env.globals["titles"] = TITLES
    return env


def codec(container: Services) -> SessionCodec:
    return SessionCodec(derive(container.privacy.config.master_key, "console-sessions"))


def session_of(request: Request, container: Services) -> Session:
    return codec(container).open(request.cookies.get(COOKIE))


@dataclass(frozen=True)
class Visit:
    """A signed-in auditor or privacy officer on one page request."""

    request: Request
    container: Services
    session: Session
    actor: Actor

    @property
    def auditor(self) -> bool:
        return self.actor.has_role(Role.AUDITOR)

    @property
    def privacy_officer(self) -> bool:
        return self.actor.has_role(Role.PRIVACY_OFFICER)

    def page(self, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        return page(self.request, self.container, self.session, template, status, visit=self, **context)

    async def form(self) -> dict[str, str]:
        """The posted form's fields (one value each), refused (403) without this session's CSRF token."""
        return await checked_form(self.request, self.session)


async def visitor(request: Request, container: ContainerDep) -> Visit:
    """The signed-in person as the API's caller, with the directory check a token gets; else sign in."""
    session = session_of(request, container)
    if not session.signed_in or session.person is None:
        raise SignInNeededError("sign in to use the console")
    actor = session.person.actor()
    try:
        await run_in_threadpool(container.claims.check, actor)
    except AuthError:
        raise SignInNeededError("the directory no longer bears out this sign-in") from None
    request.state.caller = actor
    structlog.contextvars.bind_contextvars(sub=actor.sub, org=actor.org)
    if not any(actor.has_role(role) for role in CONSOLE_ROLES):
        raise ConsoleError(403, "forbidden", "De console is er voor auditors en privacy officers.")
    return Visit(request, container, session, actor)


VisitDep = Annotated[Visit, Depends(visitor)]


async def checked_form(request: Request, session: Session) -> dict[str, str]:
    body = (await request.body()).decode("utf-8", errors="replace")
    fields = {key: values[0] for key, values in parse_qs(body, keep_blank_values=True).items()}
    if not session.csrf_matches(fields.get("csrf")):
        raise ConsoleError(403, "csrf", "Dit formulier is verlopen of niet van deze console; probeer weer.")
    return fields


def page(
    request: Request,
    container: Services,
    session: Session,
    template: str,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    html = (
        templates()
        .get_template(template)
        .render(
            csrf=session.csrf,
            development=not container.settings.is_production,
            path=request.url.path,
            **context,
        )
    )
    response = HTMLResponse(html, status_code=status)
    keep(response, container, session)
    return response


def keep(response: Response, container: Services, session: Session) -> None:
    """Set the session cookie: HttpOnly, SameSite=Lax (the provider's redirect back is a top-level
    GET), Secure outside development, on /console only."""
    response.set_cookie(
        COOKIE,
        codec(container).seal(session),
        max_age=int(container.settings.console_session_hours * 3600),
        path=PATH,
        httponly=True,
        secure=container.settings.is_production,
        samesite="lax",
    )


def forget(response: Response) -> None:
    response.delete_cookie(COOKIE, path=PATH)


def see_other(location: str) -> RedirectResponse:
    return RedirectResponse(location, status_code=303)


async def sign_in_needed(request: Request, error: Exception) -> Response:
    response = see_other(SIGN_IN)
    forget(response)
    return response


async def console_error(request: Request, error: Exception) -> Response:
    assert isinstance(error, ConsoleError)
    container: Services = request.app.state.container
    caller = getattr(request.state, "caller", None)
    # Signed in: the page keeps its menu (a visitor-like object: who, nothing more).
    visit = SimpleNamespace(actor=caller) if caller is not None and caller.sub else None
    session = session_of(request, container)
    return page(request, container, session, "fout.html", error.status, error=error, visit=visit)
