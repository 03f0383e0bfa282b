"""`eenplan households index`: put the open plans of an existing store in the household index.

A store written before matching existed has no index: a new plan for a person who already has
one would not be refused. Run this once after upgrading (it is safe to run again); it prints how
many plans it indexed and how many share a person with another open plan, which
`GET /households/duplicates` then lists for their regisseurs to merge.
"""

from __future__ import annotations

import typer

from eenplan.api.settings import Settings

households_cli = typer.Typer(help="One household, one plan: the household index.", no_args_is_help=True)


@households_cli.command("index")
def index() -> None:
    """Index every open plan's members by pseudonym; report the plans that share a person."""
    from eenplan.api.bootstrap import build_application

    app = build_application(Settings())
    try:
        indexed, duplicated = app.households.index_existing()
    finally:
        app.close()
    typer.echo(f"indexed {indexed} open plans; {duplicated} share a person with another open plan")
