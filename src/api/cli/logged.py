"""Processing-log lines for the CLI's writes, as `LoggedRoute` writes them for HTTP commands.

`logged(app, log, command, activity)` wraps a command's work in `privacy.runs.logged`: its lines
are named `cli:<command>[:<operation>]`, come from `eenplan-cli`, and name the operator
(`EENPLAN_OPERATOR`, else the login name) as the requesting user.
"""

from __future__ import annotations

import getpass
import os
from contextlib import AbstractContextManager

from eenplan.api.http.problems import describe
from eenplan.domain.app import Eenplan
from eenplan.privacy import runs
from eenplan.privacy.processing import ProcessingLog

SOURCE = "eenplan-cli"


def operator() -> str:
    """Who runs the command: `EENPLAN_OPERATOR`, else the login name, else `cli`."""
    try:
        return os.environ.get("EENPLAN_OPERATOR") or getpass.getuser()
    except (KeyError, OSError):  # a container user without a passwd entry
        return "cli"


def logged(eenplan: Eenplan, log: ProcessingLog, command: str, activity: str) -> AbstractContextManager[None]:
    """Log what the command processed, per data subject, when it ends (or fails)."""
    return runs.logged(eenplan, log, runs.Runner(SOURCE, "cli", operator(), describe), command, activity)
