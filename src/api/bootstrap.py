"""The composition root: settings → application → token verifier → container.

`eenplan serve`, the CLI commands and the tests all build eenplan through
`build`, each with its own settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.auth import TokenVerifier
from api.instrumented import InstrumentedEenplan
from api.observability import configure
from api.settings import Settings
from domain.app import Eenplan
from privacy.reader import PlanReader


@dataclass
class Container:
    settings: Settings
    eenplan: Eenplan
    verifier: TokenVerifier
    reader: PlanReader

    def close(self) -> None:
        self.eenplan.close()


def build_application(settings: Settings) -> Eenplan:
    # The instrumented subclass: same application, with a span and metrics per command.
    return InstrumentedEenplan(env=settings.store_env())


def build(settings: Settings | None = None) -> Container:
    settings = settings or Settings()
    configure(settings)
    verifier = TokenVerifier.from_settings(settings)
    eenplan = build_application(settings)
    return Container(settings=settings, eenplan=eenplan, verifier=verifier, reader=PlanReader(eenplan))
