"""Packing at the bench: an order, then each unit by LPN, serial or GTIN."""

from __future__ import annotations

from station.core import packing
from station.core.operators import Flow
from station.core.scans import Scan, ScanKind
from station.runtime.desk.intake_routes import gtin_of
from station.runtime.desk.session import Session
from station.store import orders
from station.store import stock as units


class PackRoutes:
    flow = Flow.PACK

    def __init__(self, session: Session) -> None:
        self.session = session

    def scan_input(self, scan: Scan) -> packing.PackingInput:
        store = self.session.store
        if scan.kind is ScanKind.ORDER:
            return packing.OrderScan(scan.value, orders.find_order(store, scan.value))
        if scan.kind is ScanKind.LPN:
            return packing.UnitScan(scan.value, packing.ScannedBy.LPN, units.find_unit(store, scan.value))
        gtin = gtin_of(scan)
        taken = [p.lpn for p in self.session.packing.packed]
        by = packing.ScannedBy.GTIN if scan.serial is None else packing.ScannedBy.SERIAL
        found = units.find_stocked(store, gtin, scan.serial, taken)
        return packing.UnitScan(scan.serial or gtin, by, found)

    def finish_input(self) -> packing.PackingInput:
        return packing.Finish()

    def cancel_input(self) -> packing.PackingInput:
        return packing.Cancel()
