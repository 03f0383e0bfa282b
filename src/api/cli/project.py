"""`eenplan project run|rebuild|status`: projection workers and blue-green rebuilds from the shell.

Run workers with `EENPLAN_PROJECTIONS_IN_PROCESS=false` on the API, so the API
only reads. On PostgreSQL any number of workers may run: an advisory lock per
projection lets one apply it and the others wait to take over.
"""

from __future__ import annotations

import json
import signal
import time
from typing import Annotated, Any

import typer

from eenplan.api.settings import Settings

project = typer.Typer(help="Projections: run workers, rebuild a view, show lag.", no_args_is_help=True)


def _container() -> Any:
    from eenplan.api.bootstrap import build

    return build(Settings())


def _check(container: Any, names: list[str]) -> None:
    unknown = container.projections.unknown(names)
    if unknown:
        known = ", ".join(container.projections.all)
        raise typer.BadParameter(f"unknown projections {unknown}; known: {known}")


@project.command("run")
def run(
    names: Annotated[list[str] | None, typer.Argument(help="projections to run; default all")] = None,
) -> None:
    """Follow the event log and keep the named projections up to date, until SIGTERM or Ctrl-C."""
    container = _container()
    _check(container, names or [])
    runner = container.projections.runner(names or None)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: runner.stopped.set() or runner.wake.set())
    typer.echo(f"projection worker running: {', '.join(names or container.projections.all)}", err=True)
    try:
        runner.run_forever()
    finally:
        container.close()


@project.command("rebuild")
def rebuild(name: Annotated[str, typer.Argument(help="the projection to rebuild")]) -> None:
    """Rebuild a view from position 0 into a new table set and swap it in; the old one serves meanwhile."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    container = _container()
    _check(container, [name])
    started = time.monotonic()
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, TextColumn("{task.fields[rate]} events/s")) as bar:
        task = bar.add_task(f"rebuild {name}", total=None, rate="-")

        def progress(position: int, head: int, applied: int) -> None:
            rate = position / max(time.monotonic() - started, 1e-6)
            bar.update(task, completed=position, total=max(head, position), rate=f"{rate:,.0f}")

        try:
            generation = container.projections.rebuild(name, progress)
        finally:
            container.close()
    typer.echo(f"{name}: generation {generation} is live", err=True)


@project.command("status")
def status() -> None:
    """Print each projection's position, head, lag and rate as JSON."""
    container = _container()
    try:
        typer.echo(json.dumps([s.as_dict() for s in container.projections.status()], indent=2))
    finally:
        container.close()
