"""The composition root: settings → application → token verifier → container.

`eenplan serve`, the CLI commands and the tests all build eenplan through
`build`, each with its own settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.auth import TokenVerifier
from api.observability import configure
from api.settings import Settings
from domain.app import Eenplan
from domain.intake.signals import SignalTerms
from privacy.reader import PlanReader
from projections.service import ProjectionConfig, Projections
from projections.status import publish_metrics


@dataclass
class Container:
    settings: Settings
    eenplan: Eenplan
    verifier: TokenVerifier
    reader: PlanReader
    projections: Projections

    def close(self) -> None:
        self.projections.close()
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


def build_projections(settings: Settings, eenplan: Eenplan) -> Projections:
    config = ProjectionConfig(
        poll_interval=settings.projection_poll_interval_seconds,
        batch_size=settings.projection_batch_size,
        apply_delay=settings.projection_apply_delay_seconds,
        read_timeout=settings.read_your_writes_timeout_seconds,
    )
    projections = Projections(eenplan, settings.store_env(), config)
    projections.ensure_schema()
    publish_metrics(projections.status)
    # Allocation reads regisseur load from the caseload view when it is current, else scans the log.
    eenplan.regisseur_load = projections.current_regisseur_load(eenplan.regisseur_load_from_log)
    return projections


def build(settings: Settings | None = None) -> Container:
    settings = settings or Settings()
    configure(settings)
    verifier = TokenVerifier.from_settings(settings)
    eenplan = build_application(settings)
    return Container(
        settings=settings,
        eenplan=eenplan,
        verifier=verifier,
        reader=PlanReader(eenplan),
        projections=build_projections(settings, eenplan),
    )
