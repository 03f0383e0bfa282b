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
