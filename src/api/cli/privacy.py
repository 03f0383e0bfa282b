"""`eenplan privacy …`: erasure and retention from the command line, for privacy officers.

The server applies retention terms and completes pending erasures by itself (daily and every
few minutes, see api/http/housekeeping.py); these commands do the same on demand. They build
the whole container, so an erasure also blanks the stored answers of the commands involved.
"""

from __future__ import annotations

import json
import uuid
from datetime import date
from typing import Annotated

import typer

from eenplan.api.settings import Settings
from eenplan.domain.context import Actor, CommandContext

privacy_cli = typer.Typer(help="Data subject rights and retention.", no_args_is_help=True)


def _context(officer: str, org: str, tenants: list[str]) -> CommandContext:
    actor = Actor(officer, org, frozenset({"privacy_officer"}), frozenset(tenants))
    return CommandContext(actor, command_id=str(uuid.uuid4()), trace_id=uuid.uuid4().hex)


@privacy_cli.command()
def erase(
    member_id: Annotated[str, typer.Argument(help="the member id of the data subject")],
    tenant: Annotated[list[str], typer.Option(help="municipality code; repeatable")],
    legal_ground: Annotated[str, typer.Option(help="e.g. avg_art_17")] = "avg_art_17",
    officer: Annotated[str, typer.Option(help="who asks, for the receipt")] = "cli",
    org: Annotated[str, typer.Option(help="the officer's organisation")] = "privacy-office",
) -> None:
    """Crypto-shred one person's data; prints the erasure receipt (no personal data).

    A receipt with status "pending" completes when the reader that holds the store's old
    pages is done: by the server, or by `eenplan privacy complete`.
    """
    from eenplan.api.bootstrap import build
    from eenplan.api.cli.logged import logged
    from eenplan.privacy import rights

    container = build(Settings())
    try:
        ctx = _context(officer, org, tenant)
        with logged(container.eenplan, container.privacy.log, "privacy_erase", "erasure"):
            receipt = rights.erase_subject(container.privacy, ctx, member_id, legal_ground)
    finally:
        container.close()
    typer.echo(json.dumps(receipt, indent=2))


@privacy_cli.command()
def complete(
    wait: Annotated[float, typer.Option(help="seconds to wait for readers of the store")] = 10.0,
) -> None:
    """Complete pending erasures: scrub old row versions from the store's files; report how many."""
    from eenplan.api.bootstrap import build
    from eenplan.privacy.erasure import finish_pending

    container = build(Settings())
    try:
        completed = finish_pending(container.privacy, wait)
    finally:
        container.close()
    typer.echo(json.dumps({"completed": completed}))


@privacy_cli.command()
def expire(
    tenant: Annotated[list[str], typer.Option(help="municipality code; repeatable")],
    today: Annotated[str | None, typer.Option(help="judge terms on this day (YYYY-MM-DD)")] = None,
) -> None:
    """Erase closed plans past their retention term (Jeugdwet 20 years, Wmo 15); report what was done."""
    from eenplan.api.bootstrap import build
    from eenplan.api.cli.logged import logged
    from eenplan.privacy import rights

    container = build(Settings())
    day = date.fromisoformat(today) if today else date.today()
    try:
        with logged(container.eenplan, container.privacy.log, "privacy_expire", "erasure"):
            receipts = rights.expire(container.privacy, _context("retention", "eenplan", tenant), day)
    finally:
        container.close()
    typer.echo(
        json.dumps({"judged_on": day.isoformat(), "erased_plans": len(receipts), "receipts": receipts})
    )
