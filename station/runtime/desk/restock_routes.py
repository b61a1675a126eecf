"""Restock at the shelves: an LPN then a bin."""

from __future__ import annotations

from station.core import restock
from station.core.errors import FlowError
from station.core.operators import Flow
from station.core.scans import Scan, ScanKind
from station.runtime.desk.session import Session
from station.store import stock as units


class RestockRoutes:
    flow = Flow.RESTOCK

    def __init__(self, session: Session) -> None:
        self.session = session

    def scan_input(self, scan: Scan) -> restock.RestockInput:
        if scan.kind is ScanKind.BIN:
            return restock.BinScan(scan.value)
        if scan.kind is ScanKind.LPN:
            return restock.LpnScan(scan.value, units.find_unit(self.session.store, scan.value))
        raise FlowError("Restock goes by the unit's LPN label: scan the LPN, not the product barcode.")

    def finish_input(self) -> None:
        return None

    def cancel_input(self) -> restock.RestockInput:
        return restock.Cancel()
