"""`eenplan households index`: put the open plans of an existing store in the household index.

A store written before matching existed has no index: a new plan for a person who already has
one would not be refused. Run this once after upgrading (it is safe to run again); it prints how
many plans it indexed and how many share a person with another open plan, which
`GET /households/duplicates` then lists for their regisseurs to merge. Indexing processes each
member's identifying data (to a pseudonym): it is logged per member, activity `intake`.
"""

from __future__ import annotations

import typer

from eenplan.api.settings import Settings

households_cli = typer.Typer(help="One household, one plan: the household index.", no_args_is_help=True)


@households_cli.command("index")
def index() -> None:
    """Index every open plan's members by pseudonym; report the plans that share a person."""
    from eenplan.api.bootstrap import build_stack
    from eenplan.api.cli.logged import logged
    from eenplan.domain.context import Actor
    from eenplan.privacy.processing import note_processing

    app, privacy = build_stack(Settings())
    actor = Actor("households-index", "eenplan", frozenset({"admin"}))
    try:
        with logged(app, privacy.log, "households_index", "intake"):
            indexed, duplicated = app.households.index_existing(
                lambda plan: note_processing(actor, str(plan.id), sorted(plan.members), tenant=plan.tenant)
            )
    finally:
        app.close()
    typer.echo(f"indexed {indexed} open plans; {duplicated} share a person with another open plan")
