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
from privacy.as_seen_by import AsSeenBy
from privacy.audit import Audit
from privacy.reader import PlanReader


@dataclass
class Container:
    settings: Settings
    eenplan: Eenplan
    verifier: TokenVerifier
    reader: PlanReader
    as_seen_by: AsSeenBy
    audit: Audit

    def close(self) -> None:
        self.eenplan.close()


def build_application(settings: Settings) -> Eenplan:
    return Eenplan(env=settings.store_env())


def build(settings: Settings | None = None) -> Container:
    settings = settings or Settings()
    configure(settings)
    verifier = TokenVerifier.from_settings(settings)
    eenplan = build_application(settings)
    # The privacy policy's category filter slots in here: AsSeenBy(eenplan, view_filter=…).
    as_seen_by = AsSeenBy(eenplan)
    return Container(
        settings=settings,
        eenplan=eenplan,
        verifier=verifier,
        reader=PlanReader(eenplan),
        as_seen_by=as_seen_by,
        # The processing log and policy history plug in here: Audit(…, processing_log=…, policy_version=…).
        audit=Audit(eenplan, as_seen_by),
    )
