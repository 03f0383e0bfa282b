"""`eenplan privacy …`: erasure and retention from the command line, for privacy officers and cron."""

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
    """Crypto-shred one person's data; prints the erasure receipt (no personal data)."""
    from eenplan.api.bootstrap import build_stack
    from eenplan.privacy import rights

    eenplan, privacy = build_stack(Settings())
    try:
        receipt = rights.erase_subject(privacy, _context(officer, org, tenant), member_id, legal_ground)
    finally:
        eenplan.close()
    typer.echo(json.dumps(receipt, indent=2))


@privacy_cli.command()
def expire(
    tenant: Annotated[list[str], typer.Option(help="municipality code; repeatable")],
    today: Annotated[str | None, typer.Option(help="judge terms on this day (YYYY-MM-DD)")] = None,
) -> None:
    """Erase closed plans past their retention term (Jeugdwet 20 years, Wmo 15); report what was done."""
    from eenplan.api.bootstrap import build_stack
    from eenplan.privacy import rights

    eenplan, privacy = build_stack(Settings())
    day = date.fromisoformat(today) if today else date.today()
    try:
        receipts = rights.expire(privacy, _context("retention", "eenplan", tenant), day)
    finally:
        eenplan.close()
    typer.echo(
        json.dumps({"judged_on": day.isoformat(), "erased_plans": len(receipts), "receipts": receipts})
    )
