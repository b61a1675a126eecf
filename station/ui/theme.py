"""Colours and sizes for a touchscreen read at arm's length: high contrast, targets of at least 48 dp."""

from __future__ import annotations

BACKGROUND = (0.08, 0.09, 0.11, 1)
PANEL = (0.16, 0.18, 0.22, 1)
TEXT = (0.97, 0.97, 0.97, 1)
MUTED = (0.72, 0.75, 0.80, 1)
GOOD = (0.05, 0.55, 0.22, 1)
BAD = (0.80, 0.12, 0.12, 1)
WARN = (0.85, 0.55, 0.05, 1)
NEUTRAL = (0.25, 0.28, 0.34, 1)
ACCENT = (0.10, 0.40, 0.80, 1)
#: Closing a work order: a colour of its own, never one the feedback bar uses.
CLOSE = (0.45, 0.25, 0.75, 1)

#: State words -> chip colour, for printer, sync and scanner states alike.
STATE_COLOURS = {
    "ready": GOOD,
    "connected": GOOD,
    "online": GOOD,
    "printing": GOOD,
    "offline": WARN,
    "connecting": WARN,
    "disconnected": BAD,
    "paused": WARN,
    "paper_out": BAD,
    "head_open": BAD,
    "ribbon_out": BAD,
    "unreachable": BAD,
    "failed": BAD,
}

TOUCH_MIN_DP = 48
BUTTON_DP = 64
FONT_SP = 20
BIG_FONT_SP = 24
