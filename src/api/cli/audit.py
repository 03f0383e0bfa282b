"""`eenplan audit …`: verify the hash chain, print its head, export a plan, check an export offline.

These run on the store directly (the operator's machine), not through the HTTP API.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from eenplan.api.settings import Settings
from eenplan.domain.audit.export import verify_export
from eenplan.domain.audit.verify import Anchor, Verdict
from eenplan.domain.errors import DomainError

audit_cli = typer.Typer(help="Audit: a tamper-evident history, replayed and exported.", no_args_is_help=True)


@contextmanager
def _audit() -> Iterator[Any]:
    """The container for one command; domain errors become a message and exit code 2."""
    from eenplan.api.bootstrap import build

    container = build(Settings())
    try:
        yield container
    except DomainError as e:
        typer.echo(f"error: {e.detail}", err=True)
        raise typer.Exit(2) from None
    finally:
        container.close()


def _report(verdict: Verdict) -> None:
    typer.echo(json.dumps(verdict.as_dict(), indent=2))
    if not verdict.intact:
        raise typer.Exit(1)


@audit_cli.command()
def verify(
    plan: Annotated[str | None, typer.Option(help="one plan id; without it, the whole store")] = None,
    against: Annotated[str | None, typer.Option(help="a head printed by `eenplan audit anchor`")] = None,
) -> None:
    """Check the hash chain: "intact" with the count, or the first broken link (exit 1)."""
    anchor = _anchor(against)
    with _audit() as container:
        if plan is not None:
            verdict = container.audit.verify(None, plan, anchor)
        else:
            with typer.progressbar(length=1, label="verifying", file=sys.stderr) as bar:

                def progress(done: int, total: int) -> None:
                    bar.length = max(total, 1)
                    bar.update(done - bar.pos)

                verdict = container.audit.verify(None, None, anchor, progress)
    _report(verdict)


@audit_cli.command()
def anchor() -> None:
    """Print the chain head, POSITION:HASH, to publish or keep elsewhere."""
    with _audit() as container:
        head = container.audit.anchor()
    typer.echo(str(head) if head else "the chain is empty")


@audit_cli.command()
def adopt() -> None:
    """Chain the events of a store written before the chain existed (once; stop writers first)."""
    with _audit() as container:
        position = container.audit.adopt()
    typer.echo(f"chained {position} records; publish the head: `eenplan audit anchor`")


@audit_cli.command()
def export(
    plan: Annotated[str, typer.Option(help="the plan id")],
    out: Annotated[Path, typer.Option(help="the JSON file to write")] = Path("audit-export.json"),
    as_of: Annotated[datetime | None, typer.Option(help="ISO 8601 moment, with offset")] = None,
    as_seen_by: Annotated[str | None, typer.Option(help="an organisation id")] = None,
) -> None:
    """Write a self-contained JSON file: records, chain hashes, history, view, policy, log."""
    if as_of is not None and as_of.tzinfo is None:
        raise typer.BadParameter("give the moment with its offset, e.g. 2026-03-01T12:00:00+01:00")
    with _audit() as container:
        auditor = container.audit.operator(plan)
        document = container.audit.export(auditor, plan, as_of=as_of, as_seen_by=as_seen_by)
    out.write_text(json.dumps(document, indent=1, default=str))
    typer.echo(f"wrote {out}: {len(document['records'])} records up to version {document['version']}")


@audit_cli.command("verify-export")
def verify_export_file(file: Path) -> None:
    """Re-verify an export offline, without the database."""
    checked, broken = verify_export(json.loads(file.read_text()))
    _report(Verdict(checked=checked, broken=broken))


def _anchor(text: str | None) -> Anchor | None:
    try:
        return None if text is None else Anchor.parse(text)
    except ValueError as e:
        raise typer.BadParameter(str(e)) from None
