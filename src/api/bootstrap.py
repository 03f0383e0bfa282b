"""The composition root: settings → application → token verifier → container.

`eenplan serve`, the CLI commands and the tests all build eenplan through
`build`, each with its own settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.auth import TokenVerifier
from api.idempotency import Idempotency
from api.instrumented import InstrumentedEenplan
from api.keys import master_key
from api.keystore import KeyStore, build_keystore
from api.observability import configure
from api.settings import Settings
from domain.app import Eenplan
from domain.intake.signals import SignalTerms
from privacy.reader import PlanReader
from privacy.service import MAPPER_ENV, Privacy, PrivacyConfig


@dataclass
class Container:
    settings: Settings
    eenplan: Eenplan
    verifier: TokenVerifier
    reader: PlanReader
    keys: KeyStore
    idempotency: Idempotency
    privacy: Privacy

    def close(self) -> None:
        self.keys.close()
        self.eenplan.close()


def build_application(settings: Settings) -> Eenplan:
    return build_stack(settings)[0]


def build_stack(settings: Settings) -> tuple[Eenplan, Privacy]:
    """The application with field encryption wired in: personal values never reach the store in clear."""
    # The instrumented subclass: same application, with a span and metrics per command.
    eenplan = InstrumentedEenplan(env={**settings.store_env(), **MAPPER_ENV})
    eenplan.signal_terms = SignalTerms(
        key=settings.signal_key.get_secret_value().encode(),
        active_days=settings.signal_active_days,
        window_days=settings.signal_match_window_days,
    )
    # Regisseur load for allocation: the slow log scan until the caseload projection is wired here.
    eenplan.regisseur_load = eenplan.regisseur_load_from_log
    config = PrivacyConfig(
        master_key=master_key(settings),
        policy_file=settings.privacy_policy_file,
        emergency_hours=settings.emergency_access_hours,
        retention_years={
            "jeugdwet": settings.retention_jeugdwet_years,
            "default": settings.retention_wmo_years,
        },
    )
    return eenplan, Privacy.attach(eenplan, config)


def build(settings: Settings | None = None) -> Container:
    settings = settings or Settings()
    configure(settings)
    verifier = TokenVerifier.from_settings(settings)
    eenplan, privacy = build_stack(settings)
    keys = build_keystore(settings)
    return Container(
        settings=settings,
        eenplan=eenplan,
        verifier=verifier,
        reader=PlanReader(eenplan, privacy),
        keys=keys,
        idempotency=Idempotency(keys, eenplan, settings),
        privacy=privacy,
    )
