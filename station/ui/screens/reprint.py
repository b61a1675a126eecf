"""Reprint: the last labels, each with what it is for and when; tap one to print exactly its bytes again
(a ``label.printed`` records it). A scanned LPN, RMA or order lists its labels, older ones too. The list
is rebuilt only when it changed, and never while a finger is on it."""

from __future__ import annotations

import time
from typing import Any

from kivy.factory import Factory

from station.runtime.desk import DeskView
from station.runtime.service import label_row
from station.store.print_jobs import PrintJob
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
        self._found: tuple[str, tuple[PrintJob, ...]] | None = None

    def on_enter(self, *_args: Any) -> None:
        self.app.touch("lookup_labels", "on")  # a scanned LPN, RMA or order now finds its labels
        self.refresh()

    def on_leave(self, *_args: Any) -> None:
        self.app.touch("lookup_labels", "off")
        self._found = None

    def show(self, view: DeskView) -> None:
        self._found = view.found_labels
        if self.manager is not None and self.manager.current == self.name:
            self.refresh()

    def refresh(self) -> None:
        if self._found is not None:
            code, found = self._found
            title = _("Labels for {code} (newest first)").format(code=code)
            jobs = [label_row(j) for j in found]
        else:
            title = _("The last labels; scan an LPN, RMA or order to find older ones")
            jobs = self.app.station.status.get("labels", [])
        wanted = [(title, j["job"], j["state"]) for j in jobs]
        rows = self.ids.jobs
        if (wanted == self._shown and rows.children) or any(
            r.state == "down" for r in rows.children if hasattr(r, "state")
        ):
            return  # unchanged, or a finger is on a row: the list stays put
        self._shown = wanted
        self.ids.heading.text = title
        rows.clear_widgets()
        for job in jobs:
            button = Factory.ChoiceButton(text=_row_text(job))
            if job["state"] in ("printed", "failed"):  # a tap prints exactly this label's bytes again
                button.bind(on_release=lambda _b, job=job: self.app.touch("reprint", "job", str(job["job"])))
            else:
                button.disabled = True  # still in the queue: it prints by itself
            rows.add_widget(button)
        if not rows.children:
            rows.add_widget(Factory.ListRow(text=_("No labels printed yet.")))


def _row_text(job: dict[str, Any]) -> str:
    """What the label is for, its item, the label kind, when it was made and its state."""
    made = job.get("created_at")
    when = time.strftime("%H:%M", time.localtime(made)) if made else ""
    return "  ·  ".join(
        part
        for part in (
            str(job.get("for") or ""),
            job.get("lpn") or "",
            str(job.get("title") or ""),
            template_words(job["template"]),
            when,
            _(STATES.get(job["state"], job["state"])),
        )
        if part
    )
