"""Reprint: the last labels, each with what it is for; tap one to print it again (a ``label.printed``
records it). The list is rebuilt only when it changed, and never while a finger is on it."""

from __future__ import annotations

from typing import Any

from kivy.factory import Factory

from station.runtime.desk import DeskView
from station.ui.i18n import N_, _
from station.ui.screens.base import StationScreen
from station.ui.words import template_words

STATES = {
    "printed": N_("printed"),
    "queued": N_("waiting"),
    "printing": N_("printing"),
    "failed": N_("failed"),
}


class ReprintScreen(StationScreen):
    kv_name = "reprint"
    nav_title = N_("Reprint")

    def on_kv_post(self, _base: object) -> None:
        self._shown: list[tuple[Any, ...]] = []

    def on_enter(self, *_args: Any) -> None:
        self.refresh()

    def show(self, view: DeskView) -> None:
        if self.manager is not None and self.manager.current == self.name:
            self.refresh()

    def refresh(self) -> None:
        jobs = self.app.station.status.get("labels", [])
        wanted = [(j["job"], j["state"]) for j in jobs]
        rows = self.ids.jobs
        if (wanted == self._shown and rows.children) or any(
            r.state == "down" for r in rows.children if hasattr(r, "state")
        ):
            return  # unchanged, or a finger is on a row: the list stays put
        self._shown = wanted
        rows.clear_widgets()
        for job in jobs:
            lpn = job["lpn"] or ""
            text = "  ·  ".join(
                part
                for part in (
                    job.get("for") or "",
                    lpn,
                    template_words(job["template"]),
                    _(STATES.get(job["state"], job["state"])),
                )
                if part
            )
            button = Factory.ChoiceButton(text=text)
            args = _exact(job, jobs)
            if args is None:  # the desk cannot address this label's own bytes: no tap that prints another
                button.disabled = True
            else:
                button.bind(on_release=lambda _b, args=args: self.app.touch("reprint", *args))
            rows.add_widget(button)
        if not rows.children:
            rows.add_widget(Factory.ListRow(text=_("No labels printed yet.")))


def _exact(job: dict[str, Any], jobs: list[dict[str, Any]]) -> tuple[str, ...] | None:
    """The reprint touch that prints exactly ``job``'s bytes: the desk reprints the newest printed label
    for an LPN, or the newest printed label of all; a row that is neither (an older label of the same LPN,
    an older carrier label) or not printed yet has none."""
    printed = [j for j in jobs if j["state"] in ("printed", "failed")]  # newest first
    if job not in printed:
        return None
    if job["lpn"] and next(j for j in printed if j["lpn"] == job["lpn"]) is job:
        return (job["lpn"],)
    return () if printed[0] is job else None
