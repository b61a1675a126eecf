"""The doctor's local checks: config, data directory, disk, database, clock, scanners and printer."""

from __future__ import annotations

import errno
import os
import shutil
import sqlite3
import tempfile
from pathlib import Path

from station.core.errors import StationError
from station.field.findings import Check, Status
from station.runtime.config import SYSTEM_CONFIG, Config
from station.store.db_problems import check_files, explain, is_corruption

#: Below this much free space the station refuses to start new work; below WARN_FREE the doctor warns.
MIN_FREE, WARN_FREE = 200 * 2**20, 1024 * 2**20
SERVICE = "hubstation"


def config_check(config: Config) -> list[Check]:
    if config.source == "embedded defaults":
        return [
            Check(
                "config",
                Status.WARN,
                "no config file: embedded defaults (terminal scanning, labels to the spool, offline)",
                f"write {SYSTEM_CONFIG} (README: Configuration) and restart: systemctl restart {SERVICE}",
            )
        ]
    return [Check("config", Status.OK, f"{config.source}: hub {config.hub}, station {config.station}")]


def _existing(path: Path) -> Path:
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def data_dir_check(data_dir: Path) -> list[Check]:
    if not data_dir.is_dir():
        parent = _existing(data_dir)
        if os.access(parent, os.W_OK):
            return [Check("data_dir", Status.WARN, f"{data_dir} does not exist yet; the station creates it")]
        return [
            Check(
                "data_dir",
                Status.FAIL,
                f"{data_dir} does not exist",
                f"mkdir -p {data_dir} && chown {SERVICE}:{SERVICE} {data_dir} (on the writable partition)",
            )
        ]
    try:
        fd, name = tempfile.mkstemp(dir=data_dir, prefix=".doctor-")
        os.close(fd)
        os.unlink(name)
    except OSError as exc:
        if exc.errno == errno.EROFS:
            return [
                Check(
                    "data_dir",
                    Status.FAIL,
                    f"{data_dir} is on a read-only file system: nothing can be recorded",
                    "put data_dir on the writable data partition (deploy/README.md, step 'data partition'), "
                    f"or remount it read-write: mount -o remount,rw {_existing(data_dir)}",
                )
            ]
        return [
            Check(
                "data_dir",
                Status.FAIL,
                f"{data_dir} is not writable ({exc.strerror})",
                f"chown -R {SERVICE}:{SERVICE} {data_dir}",
            )
        ]
    return [Check("data_dir", Status.OK, f"{data_dir} is writable")]


def disk_check(data_dir: Path) -> list[Check]:
    where = _existing(data_dir)
    usage = shutil.disk_usage(where)
    free = f"{usage.free / 2**20:,.0f} MB free under {where}"
    fix = f"free space: journalctl --vacuum-size=100M; delete old labels in {data_dir / 'spool'}"
    if usage.free < MIN_FREE:
        return [Check("disk", Status.FAIL, f"{free}: scans will be refused", fix)]
    if usage.free < WARN_FREE:
        return [Check("disk", Status.WARN, f"{free}: running low", fix)]
    return [Check("disk", Status.OK, free)]


def database_check(db_path: Path) -> list[Check]:
    checks = [
        Check(
            "database",
            Status.WARN,
            f"an unreadable database was moved aside earlier: {old.name}",
            f"send {old} to support, then delete it",
        )
        for old in sorted(db_path.parent.glob(db_path.name + ".corrupt-*"))
        if not old.name.endswith(("-wal", "-shm"))
    ]
    try:
        check_files(db_path)  # an empty file, a lost -wal: their own sentence, never "corrupt"
    except StationError as exc:
        return [*checks, Check("database", Status.FAIL, str(exc))]
    if not db_path.exists():
        return [*checks, Check("database", Status.OK, f"{db_path} not created yet; the station creates it")]
    fix = (
        f"restart the station (systemctl restart {SERVICE}): at start it moves the corrupt file aside as "
        f"{db_path.name}.corrupt-TIME and starts a new one; then load the manifest, operators and orders "
        "again; unsynced events in the old file need support"
    )
    try:
        conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=1)
        try:
            rows = [str(r[0]) for r in conn.execute("PRAGMA quick_check").fetchall()]
        finally:
            conn.close()
    except sqlite3.Error as exc:
        problem = explain(exc, db_path, "checking the database")
        if is_corruption(exc):
            return [*checks, Check("database", Status.FAIL, f"{db_path} is corrupt ({exc})", fix)]
        return [*checks, Check("database", Status.FAIL, str(problem))]
    if rows != ["ok"]:
        found = "; ".join(rows[:3])
        return [*checks, Check("database", Status.FAIL, f"{db_path} fails its integrity check: {found}", fix)]
    return [*checks, Check("database", Status.OK, f"{db_path} passes quick_check")]


def clock_check() -> list[Check]:
    from station.runtime.clock import SystemClock

    if SystemClock()().synchronized:
        return [Check("clock", Status.OK, "the clock is NTP-synchronized")]
    return [
        Check(
            "clock",
            Status.WARN,
            "the clock is not NTP-synchronized (events are recorded with synchronized=false)",
            "timedatectl set-ntp true; check that the NTP server is reachable: timedatectl timesync-status",
        )
    ]


def _device_users(path: str) -> str:
    """Who may open ``path``: its group, for the fix sentence."""
    import grp

    try:
        return grp.getgrgid(os.stat(path).st_gid).gr_name
    except (KeyError, OSError):
        return "the device's group"


def scanner_check(uri: str) -> list[Check]:
    from station.devices.scanners.opener import open_scanner

    name = f"scanner {uri}"
    try:
        reader = open_scanner(uri)
    except StationError as exc:
        return [Check(name, Status.FAIL, str(exc), "correct the URI in the config's scanners list")]
    path = getattr(reader, "path", None)
    if path is None or uri.startswith(("replay:", "stdin:", "wedge:")):
        return [Check(name, Status.OK, "no device to check")]
    if not os.path.exists(path):
        return [
            Check(
                name,
                Status.FAIL,
                f"{path} is missing: the scanner is unplugged or has another name",
                "plug the scanner in; ls -l /dev/hub/ shows the names the udev rules give "
                "(firmware-config/udev); correct the path in the config",
            )
        ]
    evdev = uri.startswith("evdev:")
    if not os.access(path, os.R_OK | (0 if evdev else os.W_OK)):
        group = _device_users(path)
        return [
            Check(
                name,
                Status.FAIL,
                f"{path} is not accessible to this user",
                f"usermod -aG {group} {SERVICE} (then restart the station), or install the udev rules",
            )
        ]
    busy = _in_use(path, evdev)
    state = f"in use by another process ({busy})" if busy else "free"
    return [Check(name, Status.OK, f"{path} present and {state}{_settings(reader)}")]


def _settings(reader: object) -> str:
    """The setting a scanner must match, for a serial one: its line end (a mismatch loses every scan)."""
    terminator = getattr(reader, "terminator", None)
    if not isinstance(terminator, str):
        return ""
    from station.devices.scanners.serial_reader import END_NAMES

    return (
        f"; each scan must end with {END_NAMES[terminator]} (terminator={terminator} in the URI, the "
        "scanner's suffix setting: station scanner sheet MODEL --interface serial); scans ended otherwise "
        "are refused"
    )


def _in_use(path: str, evdev: bool) -> str:
    """Why the device is busy ('' when free): grabbed (evdev) or locked (serial) by another process."""
    if evdev:
        import evdev as ev

        try:
            device = ev.InputDevice(path)
        except OSError as exc:
            return f"cannot open: {exc.strerror}"
        try:
            device.grab()
            device.ungrab()
        except OSError:
            return "grabbed: the running station, or another program reading it"
        finally:
            device.close()
        return ""
    import serial

    try:
        serial.Serial(path, exclusive=True, timeout=0).close()
    except (serial.SerialException, OSError) as exc:
        return f"locked: {exc}"
    return ""


def printer_check(uri: str) -> list[Check]:
    from station.devices.printers import PrinterState, open_printer

    try:
        status = open_printer(uri, timeout=1.0).status()
    except StationError as exc:
        return [Check("printer", Status.FAIL, str(exc), "correct printer = ... in the config")]
    if status.ready:
        return [Check("printer", Status.OK, f"{uri}: {status.detail}")]
    if status.state is PrinterState.UNREACHABLE:
        if uri.startswith("file:"):
            fix = (
                "make the spool folder writable for the station's user (or point printer = at a real printer)"
            )
        else:
            fix = (
                f"switch the printer on and check its cable or network (station printer status {uri}); "
                "queued labels print once it answers"
            )
        return [Check("printer", Status.FAIL, status.detail, fix)]
    return [Check("printer", Status.FAIL, f"{uri}: {status.state.value}", status.detail)]
