"""Small widgets the screens share."""

from __future__ import annotations

from kivy.properties import ColorProperty
from kivy.uix.label import Label

from station.ui import theme


class Chip(Label):
    """A rounded status badge (printer, sync, scanners) whose colour says good, warning or bad."""

    colour = ColorProperty(theme.NEUTRAL)
