"""Station status: each scanner, the printer, sync, disk, clock and version, in words."""

from __future__ import annotations

import shutil

from station import __version__
from station.ui.screens.base import StationScreen
from station.ui.view import DeskView


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
        usage = shutil.disk_usage(config.data_dir)
        lines.append(f"[b]Disk[/b]  {usage.free / 1e9:.1f} GB free of {usage.total / 1e9:.1f} GB")
        synced = station.log.clock().synchronized
        lines.append(
            "[b]Clock[/b]  " + ("synchronized (NTP)" if synced else "NOT synchronized: times are estimates")
        )
        lines.append(f"[b]Data[/b]  {config.db_path}")
        self.ids.details.text = "\n".join(lines)
