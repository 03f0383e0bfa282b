"""What the HTTP room needs from the composition root, as a type; `bootstrap.Container` is one.

The room does not import the root that builds it (that would be an import cycle): the root
builds these services and hands them to `app.create_app`.
"""

from __future__ import annotations

from typing import Any, Protocol

from eenplan.api.http.auth import TokenVerifier
from eenplan.api.http.claims import ClaimsCheck
from eenplan.api.http.idempotency import Idempotency
from eenplan.api.settings import Settings
from eenplan.api.store.gate import StoreGate
from eenplan.api.store.group_commit import GroupCommit
from eenplan.api.store.housekeeping import JobRunner
from eenplan.api.store.idempotency_keys import KeyStore
from eenplan.domain.app import Eenplan
from eenplan.privacy.audit import Audit
from eenplan.privacy.reader import PlanReader
from eenplan.privacy.service import Privacy
from eenplan.projections.service import Projections


class Services(Protocol):
    settings: Settings
    eenplan: Eenplan
    verifier: TokenVerifier
    claims: ClaimsCheck
    reader: PlanReader
    keys: KeyStore
    idempotency: Idempotency
    privacy: Privacy
    projections: Projections
    audit: Audit
    store_gate: StoreGate
    housekeeping: JobRunner
    log_lines: GroupCommit[Any]

    def close(self) -> None: ...
