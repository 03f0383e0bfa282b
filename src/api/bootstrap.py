"""The composition root: settings → application → token verifier → container.

`eenplan serve`, the CLI commands and the tests all build eenplan through
`build`, each with its own settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.auth import TokenVerifier
from api.idempotency import Idempotency
from api.keystore import KeyStore, build_keystore
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
    keys: KeyStore
    idempotency: Idempotency

    def close(self) -> None:
        self.keys.close()
        self.eenplan.close()


def build_application(settings: Settings) -> Eenplan:
    eenplan = Eenplan(env=settings.store_env())
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
    keys = build_keystore(settings)
    return Container(
        settings=settings,
        eenplan=eenplan,
        verifier=verifier,
        reader=PlanReader(eenplan),
        keys=keys,
        idempotency=Idempotency(keys, eenplan, settings),
    )
