"""`eenplan teams reorganise FILE.yaml [--dry-run]`: the CLI face of `POST /teams/reorganisations`.

The file (the same shape as the endpoint's body)::

    id: walcheren-2026            # optional; re-running the same id skips plans it moved
    tenant: GM0687                # required here; the endpoint takes the admin's only tenant
    teams:                        # new teams, created if absent
      - {id: mnw-veere, name: Middelburg Noordwest en Veere, areas: []}
    merge:                        # every plan of the `from` teams moves to `into`
      - {into: mnw-veere, from: [middelburg-noord, veere]}
    split:                        # plans go to the team serving their area, else the default
      - {from: vlissingen, into: [v-noordoost, v-middencentrumwest], default: v-noordoost}
    areas: {"4382": v-middencentrumwest}   # area (4-digit postal code or city) -> team
    regisseurs: {pro-old: pro-new}          # optional; otherwise regisseurs stay

Each plan it moves changes that household's record: it is logged per member in the processing log
(`cli:teams_reorganise:move_plan`, activity `plan_coordination`), as the CLI logs its writes.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

import typer

teams_cli = typer.Typer(help="Teams: reorganise (merge, split, reassign areas).", no_args_is_help=True)


@teams_cli.command("reorganise")
def reorganise(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="the reorganisation, YAML")],
    dry_run: Annotated[bool, typer.Option(help="show what would move; change nothing")] = False,
    by: Annotated[str, typer.Option(help="who runs it, recorded on every event")] = "cli-admin",
) -> None:
    """Merge and split teams and move their plans; safe to re-run (moved plans are skipped)."""
    import yaml
    from pydantic import ValidationError

    from eenplan.api.bootstrap import build_stack
    from eenplan.api.cli.logged import logged
    from eenplan.api.settings import Settings
    from eenplan.domain.errors import DomainError
    from eenplan.domain.reorganisation import Reorganisation

    try:
        spec = Reorganisation.model_validate({**yaml.safe_load(file.read_text()), "dry_run": dry_run})
    except (ValidationError, yaml.YAMLError, TypeError) as error:
        raise typer.BadParameter(f"{file}: {error}") from None
    if spec.tenant is None:
        raise typer.BadParameter(f"{file}: name the tenant (e.g. tenant: GM0687)")
    app, privacy = build_stack(Settings())
    try:
        with logged(app, privacy.log, "teams_reorganise", "plan_coordination"):
            summary = _run(app, spec, by)
    except DomainError as error:
        typer.echo(f"refused: {error.detail}", err=True)
        raise typer.Exit(1) from None
    finally:
        app.close()
    typer.echo(json.dumps(summary, indent=2))


def _run(app: Any, spec: Any, by: str) -> dict[str, Any]:
    from eenplan.domain.context import Actor, CommandContext
    from eenplan.privacy.processing import note_processing

    actor = Actor(by, "cli", frozenset({"admin"}), frozenset({spec.tenant}))
    ctx = CommandContext(actor, command_id=f"{spec.key()}-cli")
    preview = app.reorganisations.reorganise(ctx, spec.model_copy(update={"dry_run": True}))
    typer.echo(f"{preview['would_move']} plans to move, {preview['already_moved']} already moved")
    if spec.dry_run:
        return dict(preview)
    with typer.progressbar(length=preview["would_move"], label="moving plans") as bar:
        # Each plan moved changes that household's record: logged for its members.
        return dict(
            app.reorganisations.reorganise(
                ctx,
                spec,
                progress=bar.update,
                moved_plan=lambda plan: note_processing(
                    actor, str(plan.id), sorted(plan.members), tenant=plan.tenant, operation="move_plan"
                ),
            )
        )
