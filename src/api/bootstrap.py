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
from domain.intake.signals import SignalTerms
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
    eenplan = InstrumentedEenplan(env=settings.store_env())
    eenplan.signal_terms = SignalTerms(
        key=settings.signal_key.get_secret_value().encode(),
        active_days=settings.signal_active_days,
        window_days=settings.signal_match_window_days,
    )
    # Regisseur load for allocation: the slow log scan until the caseload projection is wired here.
    eenplan.regisseur_load = eenplan.regisseur_load_from_log
    return eenplan


def build(settings: Settings | None = None) -> Container:
    settings = settings or Settings()
    configure(settings)
    verifier = TokenVerifier.from_settings(settings)
    eenplan = build_application(settings)
    return Container(settings=settings, eenplan=eenplan, verifier=verifier, reader=PlanReader(eenplan))
