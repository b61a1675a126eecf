"""The feedback bar's words and colours for outcomes (pure functions, no window): a voided label says to
take it off, a waiting label says why, an unknown code gets one headline and the scan shortened, plurals
are right, codes are shown as scanned, and any text fed in makes a headline that is one line."""

from __future__ import annotations

from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from station.core import intake, packing, repair, restock
from station.core.codes import DEFAULT_CODE_PATTERNS
from station.core.events import Event
from station.core.hlc import Hlc
from station.core.operators import Flow
from station.core.scans import Scan, ScanKind
from station.runtime.desk import DeskView, Outcome
from station.ui import theme
from station.ui.messages import ScannedCodes, feedback, shortened


def _event(type_: str, **data: Any) -> Event:
    return Event(1, "id", type_, "subject", "BADGE-1", Hlc(0), "boot", 0, True, data)


def _view(outcome: Outcome | None) -> DeskView:
    return DeskView(
        operator=None,
        flow=Flow.INTAKE,
        flows=(),
        intake=intake.IntakeState(),
        restock=restock.RestockState(),
        packing=packing.PackingState(),
        repair=repair.RepairState(),
        prompt="",
        outcome=outcome,
    )


def _bar(outcome: Outcome, printer: str = "ready", codes: ScannedCodes | None = None) -> Any:
    return feedback(_view(outcome), DEFAULT_CODE_PATTERNS, printer, codes or ScannedCodes())


def test_a_voided_label_says_to_take_it_off_whatever_came_with_it() -> None:
    events = [_event("label.voided", lpn="LPNX1"), _event("return.cancelled", rma="RMA-1000001")]
    bar = _bar(Outcome(True, "", "cancel", events=events))
    assert bar.headline == "Take off label LPNX1: it is void" and bar.colour == theme.WARN


def test_a_label_waiting_for_paper_says_so_not_that_it_was_made() -> None:
    events = [_event("return.dispositioned", disposition="repair", lpn="LPNX2", rule="r")]
    assert _bar(Outcome(True, "", "grade", events=events)).colour == theme.GOOD
    bar = _bar(Outcome(True, "", "grade", events=events), printer="paper_out")
    assert bar.headline == "Label waiting: printer out of paper" and bar.colour == theme.WARN


def test_plurals_and_the_finish_with_lines_missing_is_amber() -> None:
    one = _bar(Outcome(True, "", "finish", events=[_event("return.completed", rma="RMA-1", missing=1)]))
    two = _bar(Outcome(True, "", "finish", events=[_event("return.completed", rma="RMA-1", missing=2)]))
    assert one.headline == "Return RMA-1 finished: 1 item missing" and one.colour == theme.WARN
    assert two.headline == "Return RMA-1 finished: 2 items missing"


def test_codes_are_shown_as_scanned() -> None:
    codes = ScannedCodes()
    scan = Scan(ScanKind.WORK_ORDER, "]C1WO-500001", "500001")
    view = _view(Outcome(True, "", "WO-500001", scan=scan))
    codes.saw(view)
    assert codes.shown("500001") == "WO-500001"
    closed = Outcome(True, "", "close", events=[_event("workorder.closed", workorder="500001")])
    assert _bar(closed, codes=codes).headline == "Work order WO-500001 closed"


def test_idle_sign_out_is_no_error() -> None:
    bar = _bar(
        Outcome(True, "", "sign_out", events=[_event("operator.signed_out", badge="B", reason="idle")])
    )
    assert bar.colour == theme.NEUTRAL and "automatically" in bar.headline


@given(st.text(max_size=300))
def test_any_refused_text_makes_a_one_line_headline_and_a_short_detail(text: str) -> None:
    bar = _bar(Outcome(False, "Some refusal: with a long explanation " * 3, text))
    assert "\n" not in bar.headline and bar.colour == theme.BAD
    assert len(bar.detail) <= 200
    assert len(shortened(text)) <= 40


def test_unknown_code_gets_the_one_headline_and_the_scan_shortened() -> None:
    code = "Z" * 90
    bar = _bar(Outcome(False, f"Scan {code!r} looked like text; expected ...", code))
    assert bar.headline == "Not a code this station knows: scan the return label or the item's barcode"
    assert bar.detail.startswith("Scanned: ZZZ") and "…" in bar.detail and len(bar.detail) < 60
