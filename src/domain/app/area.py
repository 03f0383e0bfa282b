"""What an area of the application works with: the store, the directory, the log scans, the ports."""

from __future__ import annotations

from uuid import UUID

from eventsourcing.application import Application

from eenplan.domain.app.directory import Directory
from eenplan.domain.app.ports import Ports
from eenplan.domain.app.scan import LogScans


class Area:
    """An area saves to the application's one store and checks references against its directory."""

    def __init__(self, store: Application[UUID], directory: Directory, scans: LogScans, ports: Ports) -> None:
        self.store = store
        self.repository = store.repository
        self.directory = directory
        self.scans = scans
        self.ports = ports
