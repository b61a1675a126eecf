"""What to do now, in one short line: the large line under the top bar."""

from __future__ import annotations

from station.core.intake import IntakeState, Match, Phase
from station.core.operators import Flow, OverrideKind
from station.runtime.desk import DeskView
from station.ui.i18n import _, ngettext
from station.ui.messages import ScannedCodes


def prompt_for(view: DeskView, codes: ScannedCodes) -> str:
    if view.pin_for is not None:
        return _("{name}: type your PIN").format(name=view.pin_for)
    if view.operator is None:
        return _("Scan your badge to sign in")
    if view.pending_kind is OverrideKind.WIPE:
        return _("Who verified the wipe scans their badge")
    if view.pending is not None or view.intake.pending_code is not None:
        return _("Call a supervisor to scan their badge")
    if view.flow is Flow.INTAKE:
        return _intake(view.intake)
    if view.flow is Flow.RESTOCK:
        unit = view.restock.unit
        if unit is None:
            return _("Scan the LPN label on the unit")
        return _("Scan the bin label for {lpn}").format(lpn=unit.lpn)
    if view.flow is Flow.PACK:
        packing = view.packing
        if packing.order is None:
            return _("Scan the order")
        left = sum(n for _line, n in packing.missing())
        if left == 0:
            return _("All in: tap Finish to print the carrier label")
        return ngettext("Scan the next unit: {n} to go", "Scan the next unit: {n} to go", left).format(n=left)
    wo = view.repair.current
    if wo is None:
        return _("Scan the unit's LPN or the work order")
    return _("Record the work on {wo}, then close it").format(wo=codes.shown(wo.number))


def _intake(state: IntakeState) -> str:
    if state.phase is Phase.IDLE:
        return _("Scan the return label (RMA or QR)")
    if state.phase is Phase.GRADING and state.units:
        return _("Grade the item: tap its condition")
    if state.blind:
        return _("Scan the next item, or tap Finish")
    matched = sum(1 for u in state.units if u.match is Match.MATCHED)
    left = state.expected_count - matched
    if left <= 0:
        return _("All items in: tap Finish")
    return ngettext("Scan the next item: {n} to go", "Scan the next item: {n} to go", left).format(n=left)
