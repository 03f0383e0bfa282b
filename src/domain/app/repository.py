"""The aggregate cache, and how a command works on a cached plan without copying it.

`eventsourcing`'s repository hands out a deep copy of a cached aggregate on every `get`, so that
a command that changes its copy and then fails leaves the cache as it was. For a plan with a
few hundred notes that copy was about half a command's time in process. Here a command takes
the cached aggregate out of the cache instead (`take`): it is then the only holder, changes
it in place, and after its save puts it back (`give_back`). A command that fails after
changing it does not give it back, so the next load comes from the store (snapshot and
events): the cache never holds what was not saved.

Readers still get a copy, made while they hold the aggregate's turn, as is every fast-forward
and every `take`, so no reader copies an aggregate while a command changes it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from copy import deepcopy
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, ProjectorFunction, Repository, project_aggregate

PROJECT: ProjectorFunction[Any, Any] = project_aggregate


class OwningRepository(Repository[UUID]):
    """`Repository`, with `take` and `give_back` for commands; `get` copies under the aggregate's turn."""

    def get(
        self,
        aggregate_id: UUID,
        *,
        version: int | None = None,
        projector_func: ProjectorFunction[Any, Any] = PROJECT,
        fastforward_skipping: bool = False,
        deepcopy_from_cache: bool = True,
    ) -> Any:
        if version is not None or not self.cache or not self.fastforward or not deepcopy_from_cache:
            return super().get(
                aggregate_id,
                version=version,
                projector_func=projector_func,
                fastforward_skipping=fastforward_skipping,
                deepcopy_from_cache=deepcopy_from_cache,
            )
        with self._turn(aggregate_id):
            try:
                aggregate = self._fast_forward(self.cache.get(aggregate_id), projector_func)
            except KeyError:
                aggregate = self._reconstruct_aggregate(aggregate_id, None, projector_func)
                self.cache.put(aggregate_id, aggregate)
            return deepcopy(aggregate)

    def take(self, aggregate_id: UUID) -> Any:
        """The aggregate as stored, out of the cache and not copied: the caller's alone to change."""
        if not self.cache or not self.fastforward:
            return self.get(aggregate_id)
        with self._turn(aggregate_id):
            try:
                cached = self.cache.get(aggregate_id, evict=True)
            except KeyError:
                return self._reconstruct_aggregate(aggregate_id, None, PROJECT)
            return self._fast_forward(cached, PROJECT)

    def give_back(self, aggregate: Any) -> None:
        """Cache a taken aggregate that holds nothing unsaved, unless the cache has a newer one."""
        if not self.cache or not self.fastforward or aggregate.pending_events:
            return
        with self._turn(aggregate.id):
            try:
                cached = self.cache.get(aggregate.id)
            except KeyError:
                cached = None
            if cached is None or cached.version < aggregate.version:
                self.cache.put(aggregate.id, aggregate)

    def _fast_forward(self, aggregate: Any, projector_func: ProjectorFunction[Any, Any]) -> Any:
        new_events = self.event_store.get(originator_id=aggregate.id, gt=aggregate.version)
        forwarded = projector_func(aggregate, new_events)
        if forwarded is None:
            raise AggregateNotFoundError(aggregate.id)
        return forwarded

    @contextmanager
    def _turn(self, aggregate_id: UUID) -> Iterator[None]:
        """The lock `eventsourcing` fast-forwards a cached aggregate under: one holder at a time."""
        lock = self._use_fastforward_lock(aggregate_id)
        try:
            with lock:
                yield
        finally:
            self._disuse_fastforward_lock(aggregate_id)
