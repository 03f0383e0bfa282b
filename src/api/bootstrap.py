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
    return Eenplan(env=settings.store_env())


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
