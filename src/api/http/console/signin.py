"""Signing in and out of the console: the organisation's OpenID Connect provider, or in
development mode the development key (as `eenplan token` signs), to the same `Actor` a token makes."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from eenplan.api.http.auth import KNOWN_ROLES, AuthError, mint_dev_token
from eenplan.api.http.console.oidc import OidcClient, SignInError
from eenplan.api.http.console.session import Person, Session
from eenplan.api.http.console.web import (
    CONSOLE_ROLES,
    SIGN_IN,
    ConsoleError,
    checked_form,
    forget,
    keep,
    page,
    see_other,
    session_of,
)
from eenplan.api.http.deps import ContainerDep
from eenplan.api.http.services import Services
from eenplan.domain.context import Actor

router = APIRouter(prefix="/console", include_in_schema=False)
DEV_ROLES = ("auditor", "privacy_officer")


@router.get("/aanmelden")
def sign_in_page(request: Request, container: ContainerDep) -> Response:
    """The sign-in page: the organisation's provider, and in development the development key."""
    session = session_of(request, container)
    oidc = bool(container.settings.console_oidc_issuer)
    return page(request, container, session, "aanmelden.html", oidc=oidc, dev_roles=DEV_ROLES)


@router.get("/oidc/begin")
def begin_oidc(request: Request, container: ContainerDep) -> Response:
    """Send the browser to the provider with a fresh state, nonce and PKCE challenge (S256)."""
    client = _client(request, container)
    try:
        login, address = client.begin(_redirect_uri(request, container))
    except SignInError as e:
        raise ConsoleError(e.status, "sign-in", f"Aanmelden lukt nu niet: {e}") from None
    response = see_other(address)
    keep(response, container, session_of(request, container).starting(login))
    return response


@router.get("/oidc/terug", name="console_oidc_callback")
def finish_oidc(
    request: Request,
    container: ContainerDep,
    code: Annotated[str | None, Query(max_length=2000)] = None,
    state: Annotated[str | None, Query(max_length=200)] = None,
    error: Annotated[str | None, Query(max_length=200)] = None,
) -> Response:
    """The provider's answer: the state must be this browser's, the code is traded with the verifier."""
    session = session_of(request, container)
    login = session.login
    if login is None or not state or not secrets.compare_digest(login.state.encode(), state.encode()):
        raise ConsoleError(400, "sign-in-state", "Dit antwoord hoort bij geen aanmelding in deze browser.")
    if error or not code:
        raise ConsoleError(401, "sign-in", f"De aanbieder meldde niet aan: {error or 'geen code'}.")
    try:
        actor = _client(request, container).finish(login, code, _redirect_uri(request, container))
    except SignInError as e:
        raise ConsoleError(e.status, "sign-in", f"Aanmelden mislukt: {e}") from None
    return _signed_in(container, session, actor, "oidc")


@router.post("/aanmelden/ontwikkeling")
async def sign_in_for_development(request: Request, container: ContainerDep) -> Response:
    """Development mode only: sign in as anyone in the directory, signed with the development key."""
    if container.settings.is_production:
        raise ConsoleError(404, "not-found", "Deze pagina bestaat niet.")
    session = session_of(request, container)
    fields = await checked_form(request, session)
    sub, org, tenant = (fields.get(k, "").strip() for k in ("sub", "org", "tenant"))
    role = fields.get("role", "")
    if not (sub and org and tenant) or role not in KNOWN_ROLES:
        raise ConsoleError(422, "validation", "Vul medewerker, organisatie, gemeente en rol in.")
    return await run_in_threadpool(_signed_in_for_development, container, session, sub, org, tenant, role)


def _signed_in_for_development(
    container: Services, session: Session, sub: str, org: str, tenant: str, role: str
) -> Response:
    token = mint_dev_token(container.settings, sub=sub, org=org, tenants=[tenant], roles=[role])
    # The very path a development token takes in the API: verified, then checked in the directory.
    actor = container.verifier.session(token).actor
    return _signed_in(container, session, actor, "development")


@router.post("/afmelden")
async def sign_out(request: Request, container: ContainerDep) -> Response:
    """Sign out: the cookie goes."""
    await checked_form(request, session_of(request, container))
    response = see_other(SIGN_IN)
    forget(response)
    return response


def _signed_in(container: Services, session: Session, actor: Actor, via: str) -> Response:
    try:
        container.claims.check(actor)
    except AuthError as e:
        raise ConsoleError(401, "sign-in", f"De gegevens passen niet bij de adresgids: {e}") from None
    if not any(actor.has_role(role) for role in CONSOLE_ROLES):
        raise ConsoleError(403, "forbidden", "De console is er voor auditors en privacy officers.")
    response = see_other("/console")
    hours = container.settings.console_session_hours
    keep(response, container, session.signed_in_as(Person.of(actor), hours, via))
    return response


def _client(request: Request, container: Services) -> OidcClient:
    if not container.settings.console_oidc_issuer:
        raise ConsoleError(404, "not-found", "Er is geen aanmeldaanbieder ingesteld.")
    client: OidcClient | None = getattr(request.app.state, "console_oidc", None)
    if client is None:
        client = request.app.state.console_oidc = OidcClient(container.settings)
    return client


def _redirect_uri(request: Request, container: Services) -> str:
    return container.settings.console_oidc_redirect_url or str(request.url_for("console_oidc_callback"))
