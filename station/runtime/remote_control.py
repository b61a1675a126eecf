"""Config and commands sent down from the centre, handled by the running station.

Commands (reprint, resync, doctor) arrive on the sync thread. Each is answered with a
``command.answered`` event (what was done, or why not): a reprint is queued on the core worker, a resync
rewinds the uplink, the doctor runs on a thread of its own (it may wait seconds on the network) and its
checks come back as JSON.

Config messages are kept by the downlink (``downlink_messages``); every few seconds the core worker looks
for one newer than the version it applied. Its ``settings`` use the config file's keys; those that can
change while the station runs are ``disposition.rules``, ``idle_signout_minutes``, ``label`` (size,
dpi) and ``scanners`` (URIs: the old readers stop and the new ones start). They are checked with the
config file's own rules; a config that does not pass is answered with ``config.rejected`` (which key,
what was expected, what was found) and the config in use stays. One that passes is applied at the next
idle moment (no return, put-away, pack or work order open), then ``config.applied`` names its version; at
the next start the station applies it again.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, Protocol

from station.core.errors import ConfigError, FlowError
from station.core.events import NewEvent
from station.field.doctor import doctor, healthy
from station.runtime.config import Config, parse_config
from station.runtime.desk import Desk
from station.runtime.preview_drawer import PreviewDrawer
from station.runtime.print_worker import PrintWorker, reprint
from station.runtime.sync_link import SYSTEM_OPERATOR, SyncLink
from station.store.database import StationDB
from station.store.events import EventLog
from sync.downlink import DownlinkMessage


class Station(Protocol):
    """What of the running station (:mod:`station.runtime.service`) the remote control uses."""

    config: Config
    store: StationDB
    log: EventLog
    desk: Desk
    previews: PreviewDrawer
    printer: PrintWorker
    sync: SyncLink | None

    def run_on_worker(self, fn: Callable[[], None]) -> None: ...
    def use_scanners(self, uris: tuple[str, ...]) -> None: ...


log = logging.getLogger(__name__)

#: Settings the centre may change while the station runs.
LIVE_KEYS = ("disposition", "idle_signout_minutes", "label", "scanners")
_APPLIED, _SEEN = "config_version", "config_seen"  # meta keys: the version in use; the newest handled


def config_with(current: Config, settings: Mapping[str, Any], source: str) -> Config:
    """``current`` with ``settings`` (config-file keys) applied; ConfigError says what is wrong."""
    fixed = sorted(set(settings) - set(LIVE_KEYS))
    if fixed:
        raise ConfigError(
            source,
            fixed[0],
            "one of " + ", ".join(LIVE_KEYS) + " (the rest is set in station.toml)",
            fixed[0],
        )
    parsed = parse_config(settings, source)
    changes: dict[str, Any] = {}
    if "disposition" in settings:
        changes["rules"] = parsed.rules
    if "idle_signout_minutes" in settings:
        changes["idle_signout_minutes"] = parsed.idle_signout_minutes
    label = settings.get("label") or {}
    if "size" in label:
        changes["label_size"] = parsed.label_size
    if "dpi" in label:
        changes["label_dpi"] = parsed.label_dpi
    if "scanners" in settings:
        changes["scanners"] = parsed.scanners
    return replace(current, **changes)


class RemoteControl:
    """Wired to one running station (its sync link must be running)."""

    def __init__(self, station: Station) -> None:
        self.station = station
        #: the version of the config in use (read by the health message, from another thread)
        self.applied: int | None = None

    # --- config ---------------------------------------------------------------------------------------

    def _newest_config(self) -> tuple[int, dict[str, Any]] | None:
        row = self.station.store.conn.execute(
            "SELECT version, body FROM downlink_messages WHERE kind = 'config' ORDER BY version DESC LIMIT 1"
        ).fetchone()
        return None if row is None else (int(row[0]), json.loads(row[1]))

    def restore(self) -> None:
        """At start (on the core worker): apply again the config applied before the restart."""
        newest = self._newest_config()
        applied = int(self.station.store.meta(_APPLIED, "0") or 0)
        if newest is not None and newest[0] == applied:
            try:
                self._set(config_with(self.station.config, newest[1].get("settings", {}), "config"))
                self.applied = applied
            except ConfigError as exc:
                log.warning("The config applied before no longer passes: %s", exc)

    def check_config(self) -> None:
        """On the core worker: apply a newer config (when the desk is idle) or reject it."""
        newest = self._newest_config()
        if newest is None or newest[0] <= int(self.station.store.meta(_SEEN, "0") or 0):
            return
        version, body = newest
        try:
            config = config_with(self.station.config, body.get("settings", {}), f"config v{version}")
        except ConfigError as exc:
            self._answer("config.rejected", version, {"version": version, "reason": str(exc)})
            return
        if self.station.desk.busy() is not None or self.station.desk.pending is not None:
            return  # at the next idle moment
        self._set(config)
        self._answer("config.applied", version, {"version": version, "settings": body.get("settings", {})})
        self.applied = version

    def _set(self, config: Config) -> None:
        scanners_changed = config.scanners != self.station.config.scanners
        self.station.config = config
        self.station.desk.config = config  # rules, label dpi for the ZPL
        self.station.previews.dpi = config.label_dpi
        if scanners_changed:
            self.station.use_scanners(config.scanners)

    def _answer(self, kind: str, version: int, data: dict[str, Any]) -> None:
        """Commit the answer; a rejected version also counts as handled (the old config stays)."""
        store = self.station.store
        self.station.log.append([NewEvent(kind, f"config v{version}", data)], operator=SYSTEM_OPERATOR)
        with store.write():
            if kind == "config.applied":
                store.set_meta(_APPLIED, str(version))
            store.set_meta(_SEEN, str(version))

    # --- commands -------------------------------------------------------------------------------------

    def on_command(self, message: DownlinkMessage) -> None:
        """On the sync thread: start the command; its answer is committed on the core worker."""
        body = dict(message.body)
        command = str(body.get("command"))
        if command == "doctor":
            threading.Thread(target=self._doctor, args=(message,), name="remote-doctor", daemon=True).start()
        elif command == "resync":
            link = self.station.sync
            if link is not None and "from_seq" not in body:  # (the sync link handles from_seq itself)
                link.uplink.resend_from(link.uplink.outbox.acked_seq() + 1)
            self._later(message, {"ok": True, "detail": "resending every event not yet acknowledged"})
        elif command == "reprint":
            self.station.run_on_worker(lambda: self._reprint(message))

    def _reprint(self, message: DownlinkMessage) -> None:
        lpn, of_job = message.body.get("lpn"), message.body.get("job")
        try:
            if of_job is not None and not str(of_job).isdigit():
                raise FlowError(f"A reprint's job is the number of a label job; got {of_job!r}.")
            number = None if of_job is None else int(of_job)
            job = reprint(self.station.store, lpn=lpn, job=number, operator=SYSTEM_OPERATOR)
        except FlowError as exc:
            self._command_answer(message, {"ok": False, "detail": str(exc)})
            return
        self.station.printer.notify()
        what = (
            f"label job {of_job}"
            if of_job is not None
            else f"the last label of {lpn}"
            if lpn
            else "the last label"
        )
        self._command_answer(message, {"ok": True, "detail": f"{what} queued again (job {job})", "job": job})

    def _doctor(self, message: DownlinkMessage) -> None:
        checks = doctor(self.station.config)
        result = {"ok": healthy(checks), "checks": [c.as_dict() for c in checks]}
        self._later(message, result)

    def _later(self, message: DownlinkMessage, result: dict[str, Any]) -> None:
        self.station.run_on_worker(lambda: self._command_answer(message, result))

    def _command_answer(self, message: DownlinkMessage, result: dict[str, Any]) -> None:
        data = {
            "command": message.body.get("command"),
            "key": message.key,
            "version": message.version,
            **result,
        }
        self.station.log.append([NewEvent("command.answered", message.key, data)], operator=SYSTEM_OPERATOR)
