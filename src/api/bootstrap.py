"""The composition root: settings → application → token verifier → container.

`eenplan serve`, the CLI commands and the tests all build eenplan through
`build`, each with its own settings.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any, cast

from eventsourcing.application import LRUCache
from eventsourcing.postgres import PostgresAggregateRecorder
from fastapi import FastAPI

from eenplan.api.http.app import create_app
from eenplan.api.http.auth import TokenVerifier
from eenplan.api.http.claims import CachedDirectory, ClaimsCheck
from eenplan.api.http.idempotency import Idempotency
from eenplan.api.settings import Settings
from eenplan.api.store import unit as units
from eenplan.api.store.chain import binary_insert
from eenplan.api.store.gate import StoreGate
from eenplan.api.store.group_commit import GroupCommit
from eenplan.api.store.housekeeping import JobRunner
from eenplan.api.store.idempotency_keys import TABLE as IDEMPOTENCY_TABLE
from eenplan.api.store.idempotency_keys import KeyStore, build_keystore
from eenplan.api.store.master_key import master_key
from eenplan.api.store.planlocks import AdvisoryPlanLocks
from eenplan.api.store.schemalock import schema_lock
from eenplan.api.store.writers import PlanGuard, PlanWriters, Retrying
from eenplan.api.telemetry.instrumented import InstrumentedEenplan
from eenplan.api.telemetry.logs import configure
from eenplan.api.telemetry.metrics import watch_emergency_reviews
from eenplan.domain.app import Eenplan
from eenplan.domain.intake.signals import SignalTerms
from eenplan.privacy.audit import Audit
from eenplan.privacy.erasure import shred_one
from eenplan.privacy.reader import PlanReader
from eenplan.privacy.service import MAPPER_ENV, Privacy, PrivacyConfig
from eenplan.privacy.write_policy import write_authority
from eenplan.projections.db import ReplicaViewDB
from eenplan.projections.service import ProjectionConfig, Projections
from eenplan.projections.status import publish_metrics


@dataclass
class Container:
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
    # Processing-log lines of concurrent requests, committed together (api/store/group_commit.py).
    log_lines: GroupCommit[Any]
    plan_locks: AdvisoryPlanLocks | None = None

    def close(self) -> None:
        self.projections.close()
        self.keys.close()
        if self.plan_locks is not None:
            self.plan_locks.close()
        self.eenplan.close()


def build_application(settings: Settings) -> Eenplan:
    return build_stack(settings)[0]


def build_stack(settings: Settings, plan_guard: PlanGuard | None = None) -> tuple[Eenplan, Privacy]:
    """The application with field encryption wired in: personal values never reach the store in clear.

    Its ports: writers that retry on conflict (one plan's writers taking turns, across processes
    through `plan_guard`), the signal terms, the privacy module's write policy and shredder.
    Until build_projections gives it the caseload view, allocation scans the log for loads.
    """
    # Processes that start together create their tables in turn (api/schemalock.py).
    with schema_lock(settings):
        # The instrumented subclass: same application, with a span and metrics per command.
        eenplan = InstrumentedEenplan(env={**settings.store_env(), **MAPPER_ENV})
        snapshots = getattr(eenplan.snapshots, "recorder", None)
        if isinstance(snapshots, PostgresAggregateRecorder):
            binary_insert(snapshots)  # snapshots: a plan's whole state, escaped field by field otherwise
        ports = eenplan.ports
        ports.plan_writes = PlanWriters(guard=plan_guard)
        ports.writes = Retrying()
        ports.signal_terms = SignalTerms(
            key=settings.signal_key.get_secret_value().encode(),
            active_days=settings.signal_active_days,
            window_days=settings.signal_match_window_days,
        )
        config = PrivacyConfig(
            master_key=master_key(settings),
            policy_file=settings.privacy_policy_file,
            emergency_hours=settings.emergency_access_hours,
            emergency_review_days=settings.emergency_review_days,
            retention_years={
                "jeugdwet": settings.retention_jeugdwet_years,
                "default": settings.retention_wmo_years,
            },
            erasure_wait_seconds=settings.erasure_wait_seconds,
            public_url=settings.public_url,
            key_cache_size=settings.key_cache_size,
        )
        privacy = Privacy.attach(eenplan, config)
        ports.write_policy = write_authority(privacy, settings.write_policy_file)
        # Expired signals: the key goes now, its old row versions at the next scrub.
        ports.shred_subject = partial(shred_one, privacy)
    return eenplan, privacy


def build_projections(settings: Settings, eenplan: Eenplan) -> Projections:
    config = ProjectionConfig(
        poll_interval=settings.projection_poll_interval_seconds,
        batch_size=settings.projection_batch_size,
        apply_delay=settings.projection_apply_delay_seconds,
        read_timeout=settings.read_your_writes_timeout_seconds,
    )
    # Projection reads on a streaming replica, when one is set (projections/service.py says why
    # `min_position` still gives read-your-writes there); the runner writes on the primary.
    replica = (
        ReplicaViewDB(
            settings.read_database_url,
            pool_size=settings.pool_size + settings.pool_max_overflow,
            connect_timeout=settings.connect_timeout_seconds,
            pool_timeout=settings.pool_timeout_seconds,
        )
        if settings.read_database_url
        else None
    )
    projections = Projections(eenplan, settings.store_env(), config, eenplan.households.key(), replica)
    projections.ensure_schema()
    publish_metrics(projections.status)
    # Allocation reads regisseur load from the caseload view when it is current, else scans the log.
    eenplan.ports.regisseur_load = projections.current_regisseur_load(eenplan.scans.regisseur_load_from_log)
    return projections


def build(settings: Settings | None = None) -> Container:
    settings = settings or Settings()
    configure(settings)
    verifier = TokenVerifier.from_settings(settings)
    # API workers share PostgreSQL: one plan's writers take turns across processes (api/planlocks.py).
    plan_locks = AdvisoryPlanLocks(settings) if settings.is_postgres and settings.plan_locks else None
    eenplan, privacy = build_stack(settings, plan_locks)
    # One breaker per process: requests and the store's own retries give up at once in an outage.
    store_gate = StoreGate.for_settings(settings)
    store_gate.guard(getattr(eenplan.factory, "datastore", None))
    # A plan command commits its claim, events, chain links, reply and log lines together.
    units.join(cast(Any, eenplan.factory).datastore, before_rollback=[evict_from_cache(eenplan)])
    keys = build_keystore(settings)
    # An erasure blanks the stored answers of the commands that wrote the erased records.
    privacy.erasure_hooks.append(keys.erase_answers)
    privacy.scrubber.also_vacuum.append(IDEMPOTENCY_TABLE)
    housekeeping = JobRunner(settings)
    with schema_lock(settings):
        housekeeping.create_table()
    reader = PlanReader(eenplan, privacy)
    # Keys destroyed anywhere: what this process holds decrypted goes, read again under the keys left.
    privacy.keyring.on_destroyed += [reader.forget_decrypted, forget_aggregates(eenplan)]
    watch_emergency_reviews(lambda: privacy.review_queue.counts(datetime.now(UTC)))
    return Container(
        settings=settings,
        eenplan=eenplan,
        verifier=verifier,
        claims=ClaimsCheck(CachedDirectory(eenplan, settings.directory_cache_seconds)),
        reader=reader,
        keys=keys,
        idempotency=Idempotency(keys, eenplan, settings),
        privacy=privacy,
        projections=build_projections(settings, eenplan),
        audit=Audit(
            eenplan,
            reader,
            processing_log=lambda plan_id, _version: privacy.log.for_plan(plan_id, limit=100_000),
            policy_version=lambda moment: privacy.policy_at(moment).version,
        ),
        store_gate=store_gate,
        log_lines=GroupCommit(privacy.log.write_all),
        housekeeping=housekeeping,
        plan_locks=plan_locks,
    )


def evict_from_cache(eenplan: Eenplan) -> Callable[[Iterable[Any]], None]:
    """Take aggregates out of the application's cache (saved by a unit that is rolling back)."""

    def evict(ids: Iterable[Any]) -> None:
        cache = eenplan.repository.cache
        if cache is None:
            return
        for aggregate_id in ids:
            with contextlib.suppress(KeyError):
                cache.get(aggregate_id, evict=True)

    return evict


def forget_aggregates(eenplan: Eenplan) -> Callable[[], None]:
    """Empty the application's aggregate cache (they hold decrypted values)."""

    def forget() -> None:
        cache = eenplan.repository.cache
        if isinstance(cache, LRUCache):
            eenplan.repository.cache = LRUCache(maxsize=cache.maxsize)

    return forget


def app_factory() -> FastAPI:
    """For uvicorn `--factory`: the HTTP API on settings from the environment."""
    return create_app(build())
