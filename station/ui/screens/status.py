"""Station status: each scanner, the printer, sync, disk, clock and version, in words."""

from __future__ import annotations

from station import __version__
from station.runtime.desk import DeskView
from station.ui.screens.base import StationScreen


class StatusScreen(StationScreen):
    kv_name = "status"
    nav_title = "Status"

    def on_enter(self, *_args: object) -> None:
        self.refresh()

    def show(self, view: DeskView) -> None:
        if self.manager is not None and self.manager.current == self.name:
            self.refresh()

    def refresh(self) -> None:
        station = self.app.station
        config = station.config
        lines = [f"[b]Station[/b]  {config.hub} / {config.station}   version {__version__}"]
        for uri, (state, detail) in station.scanner_states.items():
            lines.append(f"[b]Scanner[/b]  {uri}: {state.value}" + (f" - {detail}" if detail else ""))
        health, sync = station.status["health"], station.status["sync"]
        printer = station.printer.state
        if printer is not None:
            detail = f" - {printer.detail}" if printer.detail else ""
            lines.append(f"[b]Printer[/b]  {config.printer_uri}: {printer.state.value}{detail}")
        lines.append(_sync_line(sync))
        free = health.get("disk_free_bytes")
        if free is not None:
            lines.append(f"[b]Disk[/b]  {free / 1e9:.1f} GB free")
        synced = health.get("clock_synced")
        if synced is not None:
            clock = "synchronized (NTP)" if synced else "NOT synchronized: times are estimates"
            lines.append(f"[b]Clock[/b]  {clock}")
        lines.append(f"[b]Data[/b]  {config.db_path}")
        self.ids.details.text = "\n".join(lines)


def _sync_line(sync: dict[str, object]) -> str:
    state = str(sync.get("state", "unknown"))
    text = f"[b]Sync[/b]  {'online' if sync.get('online') else state}"
    if "backlog" in sync:
        text += f", {sync['backlog']} events waiting"
    if sync.get("acked_seq") is not None:
        text += f", acked up to {sync['acked_seq']}"
    if sync.get("error"):
        text += f" - {sync['error']}"
    return text
