"""Return intake as a pure state machine: ``step(state, input) -> (state, events)``.

Return code -> expected items (from the manifest, offline) -> each item scanned and matched (GTIN, and
serial where the OMS authorized a specific unit) -> graded -> dispositioned by the configured rules, with
an LPN -> finished: missing items reported and the refund the OMS may pay at once. An unknown return is
taken only as a blind receipt approved by a supervisor and flagged for review. An input that does not fit
the current step raises :class:`FlowError` with one sentence saying what to do; the state is unchanged.
"""

from collections.abc import Sequence

from station.core.disposition import DEFAULT_RULES, DispositionRule
from station.core.errors import FlowError, NeedsOverride
from station.core.intake.finishing import on_cancel, on_finish
from station.core.intake.grading import on_cap_override, on_grade, on_regrade
from station.core.intake.model import (
    SELLABLE_GRADES,
    BlindApproval,
    Cancel,
    Finish,
    GradeUnit,
    IntakeInput,
    IntakeState,
    ItemScan,
    Match,
    Phase,
    RefundCapOverride,
    Regrade,
    ReturnCode,
    Step,
    Unit,
)
from station.core.intake.receiving import on_blind_approval, on_item, on_return_code
from station.core.intake.restoring import restore


def step(state: IntakeState, inp: IntakeInput, rules: Sequence[DispositionRule] = DEFAULT_RULES) -> Step:
    """Apply one input to the intake; the returned events are to be committed together."""
    match inp:
        case ReturnCode():
            return on_return_code(state, inp)
        case BlindApproval():
            return on_blind_approval(state, inp)
        case RefundCapOverride():
            return on_cap_override(state, inp)
        case ItemScan():
            return on_item(state, inp)
        case GradeUnit():
            return on_grade(state, inp, rules)
        case Regrade():
            return on_regrade(state)
        case Finish():
            return on_finish(state, inp)
        case Cancel():
            return on_cancel(state)
    raise FlowError(
        "Intake cannot take {__name__} here.", __name__=type(inp).__name__
    )  # pragma: no cover - exhaustive above


__all__ = [
    "SELLABLE_GRADES",
    "BlindApproval",
    "Cancel",
    "Finish",
    "GradeUnit",
    "IntakeInput",
    "IntakeState",
    "ItemScan",
    "Match",
    "NeedsOverride",
    "Phase",
    "RefundCapOverride",
    "Regrade",
    "ReturnCode",
    "Unit",
    "restore",
    "step",
]
