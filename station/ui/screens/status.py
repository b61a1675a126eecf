"""Station status: each scanner, the printer, sync, disk, clock and version, in words."""

from __future__ import annotations

from station import __version__
from station.runtime.desk import DeskView
from station.ui.i18n import N_, _
from station.ui.screens.base import StationScreen


class StatusScreen(StationScreen):
    kv_name = "status"
    nav_title = N_("Status")

    def on_enter(self, *_args: object) -> None:
        self.refresh()

    def show(self, view: DeskView) -> None:
        if self.manager is not None and self.manager.current == self.name:
            self.refresh()

    def refresh(self) -> None:
        station = self.app.station
        config = station.config
        lines = ["[b]" + _("Station") + f"[/b]  {config.hub} / {config.station}   version {__version__}"]
        for uri, (state, detail) in station.scanner_states.items():
            lines.append(
                "[b]" + _("Scanner") + f"[/b]  {uri}: {state.value}" + (f" - {detail}" if detail else "")
            )
        health, sync = station.status["health"], station.status["sync"]
        printer = station.printer.state
        if printer is not None:
            detail = f" - {printer.detail}" if printer.detail else ""
            lines.append("[b]" + _("Printer") + f"[/b]  {config.printer_uri}: {printer.state.value}{detail}")
        lines.append(_sync_line(sync))
        free = health.get("disk_free_bytes")
        if free is not None:
            lines.append("[b]" + _("Disk") + "[/b]  " + _("{gb:.1f} GB free").format(gb=free / 1e9))
        synced = health.get("clock_synced")
        if synced is not None:
            clock = _("synchronized (NTP)") if synced else _("NOT synchronized: times are estimates")
            lines.append("[b]" + _("Clock") + f"[/b]  {clock}")
        lines.append("[b]" + _("Data") + f"[/b]  {config.db_path}")
        if self.app.last_message:
            lines.append("[b]" + _("Last message") + f"[/b]  {self.app.last_message}")
        self.ids.details.text = "\n".join(lines)


def _sync_line(sync: dict[str, object]) -> str:
    state = str(sync.get("state", "unknown"))
    text = "[b]" + _("Sync") + f"[/b]  {'online' if sync.get('online') else state}"
    if "backlog" in sync:
        text += f", {sync['backlog']} events waiting"
    if sync.get("acked_seq") is not None:
        text += f", acked up to {sync['acked_seq']}"
    if sync.get("error"):
        text += f" - {sync['error']}"
    return text
