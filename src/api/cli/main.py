"""The `eenplan` command: serve the API, mint development tokens, load the demo."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Annotated

import structlog
import typer

from eenplan.api.cli.audit import audit_cli
from eenplan.api.cli.households import households_cli
from eenplan.api.cli.privacy import privacy_cli
from eenplan.api.cli.teams import teams_cli
from eenplan.api.settings import Settings

cli = typer.Typer(help="eenplan: one household, one plan, one regisseur.", no_args_is_help=True)
cli.add_typer(privacy_cli, name="privacy")


@cli.command()
def serve(
    host: str = "127.0.0.1",
    port: int = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64)] = 1,
) -> None:
    """Serve the HTTP API on the configured store. Never adds data."""
    import uvicorn

    from eenplan.api.telemetry.logs import configure_logging

    settings = settings_or_exit()  # fail fast on bad settings, before forking workers
    configure_logging(settings)
    if not projections_in_api(settings, workers, os.environ):
        # Each API worker would run the projections too and contend for their locks, taking CPU
        # from requests: the workers forked below read this and leave them to `eenplan project run`.
        os.environ["EENPLAN_PROJECTIONS_IN_PROCESS"] = "false"
        structlog.get_logger("eenplan.cli").info(
            "projections_left_to_workers", workers=workers, run="eenplan project run"
        )
    uvicorn.run(
        "eenplan.api.bootstrap:app_factory",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        # Our own handler renders uvicorn's lines (start-up, "running on", shutdown) as ours; the
        # access log is ours too (api/http/middleware.py), with trace ids and without member ids.
        log_config=None,
        log_level=settings.log_level.lower(),
        access_log=False,
        timeout_keep_alive=settings.keep_alive_seconds,
    )


def settings_or_exit() -> Settings:
    """The settings, or exit with what is wrong in them: the messages only, never the values read
    (a database URL may hold a password), and no traceback to search through."""
    from pydantic import ValidationError

    try:
        return Settings()
    except ValidationError as error:
        for e in error.errors(include_input=False, include_url=False):
            where = ".".join(str(part) for part in e["loc"])
            name = f"EENPLAN_{where.upper()}: " if where else ""
            message = str(e["msg"]).removeprefix("Value error, ")
            typer.echo(f"eenplan: refusing to start: {name}{message}", err=True)
        raise typer.Exit(2) from None


def projections_in_api(settings: Settings, workers: int, environ: Mapping[str, str]) -> bool:
    """Whether `eenplan serve` runs the projections in its worker processes: as set, when set
    (EENPLAN_PROJECTIONS_IN_PROCESS); else on SQLite or with one worker; with several workers on
    PostgreSQL they are left to projection workers (`eenplan project run`, ops/README.md)."""
    if "EENPLAN_PROJECTIONS_IN_PROCESS" in environ:
        return settings.projections_in_process
    return not (settings.is_postgres and workers > 1)


@cli.command()
def token(
    sub: Annotated[str, typer.Option(help="professional or system id")],
    org: Annotated[str, typer.Option(help="organisation id")],
    tenant: Annotated[list[str], typer.Option(help="municipality code, e.g. GM0687; repeatable")],
    role: Annotated[
        list[str],
        typer.Option(
            help="professional, team_lead, auditor, privacy_officer, admin, partner_system; repeatable"
        ),
    ],
    ttl: Annotated[int, typer.Option(help="lifetime in seconds")] = 8 * 3600,
) -> None:
    """Print a development token (development mode only)."""
    from eenplan.api.http.auth import KNOWN_ROLES, mint_dev_token

    settings = Settings()
    if settings.is_production:
        raise typer.BadParameter("production mode does not mint tokens; use your identity provider")
    unknown = set(role) - KNOWN_ROLES
    if unknown:
        raise typer.BadParameter(f"unknown roles: {sorted(unknown)}")
    typer.echo(mint_dev_token(settings, sub=sub, org=org, tenants=tenant, roles=role, ttl_seconds=ttl))


@cli.command()
def demo(
    if_empty: Annotated[bool, typer.Option(help="load only into an empty store")] = False,
    show: Annotated[bool, typer.Option(help="load nothing: print the demo's plans and fresh tokens")] = False,
) -> None:
    """Load the demo tenant, team, professionals and households, and print its plans and tokens to try."""
    from eenplan.api.bootstrap import build_stack
    from eenplan.api.cli import demo as demo_data
    from eenplan.api.cli.logged import logged

    settings = Settings()
    app, privacy = build_stack(settings)
    try:
        if show or (if_empty and app.recorder.max_notification_id()):
            if not show:
                typer.echo("The store already holds data; the demo was not loaded again.")
            plans = demo_data.find(app)
        else:
            with logged(app, privacy.log, "demo", "plan_coordination"):
                plans = demo_data.load(app)
            typer.echo("Demo loaded.")
    finally:
        app.close()
    _print_demo_plans(plans)
    _print_demo_tokens(settings)


def _print_demo_plans(plans: dict[str, str]) -> None:
    if not plans:
        typer.echo("No demo plans in this store; `eenplan demo` loads them into an empty one.")
        return
    typer.echo("Plans:")
    for name, plan_id in plans.items():
        typer.echo(f"  {name:10} {plan_id}")


def _print_demo_tokens(settings: Settings) -> None:
    from eenplan.api.cli import demo as demo_data
    from eenplan.api.http.auth import mint_dev_token

    typer.echo("\nTokens for the demo users (valid 8 hours):")
    for sub, org, roles, what in demo_data.TOKEN_USERS:
        token = mint_dev_token(settings, sub=sub, org=org, tenants=[demo_data.TENANT], roles=roles)
        typer.echo(f"\n# {sub} ({org}): {what}\n{token}")


cli.add_typer(teams_cli, name="teams")
cli.add_typer(audit_cli, name="audit")
cli.add_typer(households_cli, name="households")

from eenplan.api.cli.project import project  # noqa: E402 - the `project` sub-commands live in their own module

cli.add_typer(project, name="project")


@cli.command("purge-keys")
def purge_keys() -> None:
    """Delete idempotency keys older than EENPLAN_IDEMPOTENCY_TTL_SECONDS (default 7 days)."""
    from eenplan.api.store.idempotency_keys import build_keystore

    store = build_keystore(Settings())
    try:
        typer.echo(f"purged {store.purge()} expired idempotency keys")
    finally:
        store.close()


def main() -> None:
    cli()
