"""The repair bench: work orders opened or resumed by LPN or number, and the repair commands."""

from __future__ import annotations

from collections.abc import Sequence

from station.core import repair
from station.core.errors import FlowError
from station.core.events import Event
from station.core.operators import Flow
from station.core.scans import Scan, ScanKind
from station.runtime.desk.intake_routes import gtin_of
from station.runtime.desk.session import Session
from station.store import stock as units
from station.store import workorders


class RepairRoutes:
    flow = Flow.REPAIR
    touches = frozenset({"diag", "wipe", "labour", "labor", "note", "close", "park"})

    def __init__(self, session: Session) -> None:
        self.session = session

    def scan_input(self, scan: Scan) -> repair.RepairInput:
        store = self.session.store
        if scan.kind is ScanKind.LPN:
            number = workorders.open_number_for(store, scan.value)
            if number is not None:
                return self._resume(number)
            return repair.Open(self.session.next_work_order(), unit=units.find_unit(store, scan.value))
        if scan.kind is ScanKind.WORK_ORDER:
            sent = workorders.find_sent(store, scan.value)
            if sent is None:
                raise FlowError(
                    "Work order {number} was not sent to this hub: scan the unit's LPN instead.",
                    number=scan.value,
                )
            return self._resume(sent.number) if sent.status == "open" else repair.Open(sent.number, sent=sent)
        if scan.kind is ScanKind.PART:
            return repair.UsePart(scan.value)
        return repair.UsePart(gtin_of(scan), scan.gtin, scan.serial)

    def touch(self, action: str, args: Sequence[str]) -> list[Event]:
        if self.session.flow is not Flow.REPAIR:
            raise FlowError(
                "{action!r} is a repair command: open a work order at the repair bench first.", action=action
            )
        return self.session.advance(Flow.REPAIR, self._command(action, args))

    def finish_input(self) -> None:
        return None

    def cancel_input(self) -> repair.RepairInput:
        return repair.Park()

    def _resume(self, number: str) -> repair.Resume:
        wo = workorders.load_work_order(self.session.store, number)
        if wo is None:  # pragma: no cover - the index and the log are written together
            raise FlowError("Work order {number} has no events here: call a supervisor.", number=number)
        return repair.Resume(wo)

    def _command(self, action: str, args: Sequence[str]) -> repair.RepairInput:
        if action == "park":
            return repair.Park()
        if not args:
            raise FlowError(
                "{action!r} needs a value, e.g. diag:SCREEN, labour:25, close:repaired:B:restock_local.",
                action=action,
            )
        if action == "diag":
            return repair.Diagnose(args[0])
        if action in ("labour", "labor"):
            if not args[0].isdigit():
                raise FlowError("Labour is a whole number of minutes, found {args!r}.", args=args[0])
            return repair.Labour(int(args[0]))
        if action == "note":
            kind = args[0].lower()
            if kind not in ("internal", "customer") or len(args) < 2:
                raise FlowError("A note is note:internal:TEXT or note:customer:TEXT.")
            return repair.AddNote(":".join(args[1:]), kind == "customer")
        if action == "wipe":
            return self._wipe(args)
        if len(args) < 3:
            raise FlowError("Close with outcome, grade and disposition, e.g. close:repaired:B:restock_local.")
        return repair.Close(args[0], args[1], args[2])

    def _wipe(self, args: Sequence[str]) -> repair.RecordWipe:
        """A wipe record waiting for its verifier: a second person scans their own badge and types
        their PIN (the verifier is never part of the command)."""
        if len(args) != 2:
            raise FlowError(
                "A data wipe is wipe:METHOD:TOOL, e.g. wipe:purge:blancco; then the person who verified "
                "it scans their own badge and enters their PIN."
            )
        tools = self.session.config.wipe_tools
        tool = next((t for t in tools if t.lower() == args[1].lower()), None)
        if tool is None:
            raise FlowError(
                "Wipe tool {tool!r} is not one this hub uses: choose {tools} (the config's wipe_tools).",
                tool=args[1],
                tools=", ".join(tools),
            )
        return repair.RecordWipe(args[0], tool)
