"""The composition root: settings → application → token verifier → container.

`eenplan serve`, the CLI commands and the tests all build eenplan through
`build`, each with its own settings.
"""

from __future__ import annotations

from dataclasses import dataclass

from api.auth import TokenVerifier
from api.keys import master_key
from api.observability import configure
from api.settings import Settings
from domain.app import Eenplan
from privacy.reader import PlanReader
from privacy.service import MAPPER_ENV, Privacy, PrivacyConfig


@dataclass
class Container:
    settings: Settings
    eenplan: Eenplan
    verifier: TokenVerifier
    reader: PlanReader
    privacy: Privacy

    def close(self) -> None:
        self.eenplan.close()


def build_application(settings: Settings) -> Eenplan:
    return build_stack(settings)[0]


def build_stack(settings: Settings) -> tuple[Eenplan, Privacy]:
    """The application with field encryption wired in: personal values never reach the store in clear."""
    eenplan = Eenplan(env={**settings.store_env(), **MAPPER_ENV})
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
    return Container(
        settings=settings,
        eenplan=eenplan,
        verifier=verifier,
        reader=PlanReader(eenplan, privacy),
        privacy=privacy,
    )
