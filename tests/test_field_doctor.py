"""``station doctor`` against real parts, with each fault made real: printer simulator stopped, broker
stopped, read-only data directory (a read-only bind mount), scanner unplugged, corrupt database."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from station.devices.printers.simulator import PrinterSimulator
from station.runtime.sync_link import start_sync
from station.store.database import open_database
from sync.publish import publish_downlink
from sync.settings import SyncSettings, TlsFiles
from tests.fixtures_mqtt import Broker
from tests.fixtures_scanners import Pty
from tests.fixtures_tls import TlsWorld
from tests.sync_helpers import wait_for


class Station:
    """A configured station: data dir, a scanner on a pty, the printer simulator, a real broker.

    The config names the scanner by a symlink in the test's folder, as udev's ``/dev/hub/scanner-1`` names
    a real one; unplugging removes the link, as udev does. (The pty's own ``/dev/pts/N`` cannot stand for
    an unplugged device: any process opening a pty may be given the same number again.)
    """

    def __init__(self, root: Path, pty: Pty, printer: PrinterSimulator, broker: Broker) -> None:
        self.data = root / "data"
        self.data.mkdir()
        open_database(self.data / "station.db").close()
        self.pty, self.printer, self.broker = pty, printer, broker
        self.scanner = root / "scanner-1"
        self.scanner.symlink_to(pty.path)
        self.config = root / "station.toml"
        self.write_config(f"serial://{self.scanner}")

    def unplug_scanner(self) -> None:
        """The device goes and its udev name with it."""
        self.scanner.unlink()
        self.pty.unplug()

    def write_config(
        self,
        scanner: str,
        broker_url: str | None = None,
        tls: TlsFiles | None = None,
        hub: str = "ams-1",
        station: str = "counter-2",
    ) -> None:
        tls = tls or TlsFiles()
        files = "".join(
            f'{name} = "{path}"\n'
            for name, path in (("ca", tls.ca), ("cert", tls.cert), ("key", tls.key))
            if path is not None
        )
        self.config.write_text(
            f'hub = "{hub}"\nstation = "{station}"\nscanners = ["{scanner}"]\n'
            f'printer = "tcp://127.0.0.1:{self.printer.port}"\ndata_dir = "{self.data}"\n'
            f'[broker]\nurl = "{broker_url or self.broker.url}"\n{files}'
        )

    def doctor(self) -> tuple[int, dict, float]:
        started = time.monotonic()
        result = subprocess.run(
            [sys.executable, "-m", "station.cli", "--config", str(self.config), "doctor", "--json"],
            capture_output=True,
            text=True,
            timeout=20,
        )
        took = time.monotonic() - started
        return result.returncode, json.loads(result.stdout), took

    def failed(self) -> dict[str, dict]:
        code, doc, took = self.doctor()
        assert took < 5.0, f"doctor took {took:.1f} s"
        assert code == (0 if doc["ok"] else 1)
        return {c["name"]: c for c in doc["checks"] if c["status"] == "fail"}


@pytest.fixture
def station(
    tmp_path: Path, make_pty: Callable[[], Pty], printer_sim: PrinterSimulator, broker: Broker
) -> Iterator[Station]:
    yield Station(tmp_path, make_pty(), printer_sim, broker)


def test_a_healthy_station_passes(station: Station) -> None:
    code, doc, took = station.doctor()
    assert code == 0, doc
    names = {c["name"] for c in doc["checks"]}
    assert {
        "config",
        "data_dir",
        "disk",
        "database",
        "clock",
        "printer",
        "broker tcp",
        "broker auth",
    } <= names
    assert any(n.startswith("scanner serial://") for n in names)
    assert took < 5.0


def test_printer_simulator_stopped(station: Station) -> None:
    station.printer.stop()
    failed = station.failed()
    assert list(failed) == ["printer"]
    assert "cannot be reached" in failed["printer"]["detail"]
    assert "station printer status" in failed["printer"]["fix"]


def test_printer_out_of_paper(station: Station) -> None:
    station.printer.set_fault("paper_out")
    failed = station.failed()
    assert failed["printer"]["fix"] == "Out of labels: load a new roll and close the head."


def test_broker_stopped(station: Station) -> None:
    station.broker.stop()
    failed = station.failed()
    assert list(failed) == ["broker tcp"]
    assert "systemctl status mosquitto" in failed["broker tcp"]["fix"]


def test_broker_that_accepts_but_never_answers_still_under_five_seconds(station: Station) -> None:
    with socket.socket() as hung:  # the kernel completes the TCP handshake; nothing ever answers
        hung.bind(("127.0.0.1", 0))
        hung.listen(8)
        station.write_config(f"serial://{station.scanner}", f"mqtt://127.0.0.1:{hung.getsockname()[1]}")
        failed = station.failed()
    assert list(failed) == ["broker auth"]
    assert "no CONNACK" in failed["broker auth"]["detail"]


def test_broker_name_that_does_not_resolve(station: Station) -> None:
    station.write_config(f"serial://{station.scanner}", "mqtt://no-such-broker.invalid:1883")
    failed = station.failed()
    assert list(failed) == ["broker name"]
    assert "resolvectl" in failed["broker name"]["fix"]


def test_broker_over_tls_with_this_stations_certificate(station: Station, tls_world: TlsWorld) -> None:
    station.write_config(f"serial://{station.scanner}", tls_world.url, tls_world.files("h1-s1"), "h1", "s1")
    code, doc, _ = station.doctor()
    checks = {c["name"]: c for c in doc["checks"]}
    assert code == 0, doc
    assert (
        checks["broker identity"]["status"] == "ok"
        and "h1/stations/s1" in checks["broker identity"]["detail"]
    )
    assert checks["broker tls"]["status"] == "ok" and "trusted certificate" in checks["broker tls"]["detail"]
    assert checks["broker auth"]["status"] == "ok"


def test_doctor_never_takes_the_stations_session(station: Station, tls_world: TlsWorld) -> None:
    """The broker binds the session to the certificate: the doctor's check must not wipe the downlink
    queued for the station (an MQTT connect with a clean start would)."""
    tls = tls_world.files("h1-s2")
    station.write_config(f"serial://{station.scanner}", tls_world.url, tls, "h1", "s2")
    settings = SyncSettings(
        broker=tls_world.url, hub="h1", station="s2", ca=tls.ca, cert=tls.cert, key=tls.key, backoff_max_s=0.5
    )
    db = station.data / "station.db"
    link = start_sync(settings, db, dict)
    assert link.conn.wait_online(10)
    link.stop()
    for n in range(3):  # queued in the station's session while it is stopped
        body = {
            "order_number": f"SO-90000{n}",
            "lines": [{"gtin": "00012345678905", "quantity": 1}],
            "carrier_zpl": "^XA^XZ",
        }
        publish_downlink(
            tls_world.url, "order", body, hub="h1", station="s2", version=1, tls=tls_world.files("oms-ops")
        )
    _, doc, _ = station.doctor()
    assert {c["name"]: c["status"] for c in doc["checks"]}["broker auth"] == "ok", doc
    link = start_sync(settings, db, dict)
    try:
        wait_for(
            lambda: link.downlink.counters.applied == 3, what="the 3 orders still queued for the station"
        )
        _, doc, _ = station.doctor()  # while the station is online: its live state, no connect
        auth = {c["name"]: c for c in doc["checks"]}["broker auth"]
        assert auth["status"] == "ok" and "connected now" in auth["detail"]
        assert link.conn.connects == 1
    finally:
        link.stop()


def test_certificate_of_another_station(station: Station, tls_world: TlsWorld) -> None:
    station.write_config(f"serial://{station.scanner}", tls_world.url, tls_world.files("h1-s1"), "h1", "s2")
    failed = station.failed()
    assert list(failed) == ["broker identity"]
    assert (
        "h1/stations/s1" in failed["broker identity"]["detail"]
        and "pki.sh" in failed["broker identity"]["fix"]
    )


def test_broker_certificate_from_a_ca_the_station_does_not_trust(
    station: Station, tls_world: TlsWorld
) -> None:
    files = tls_world.files("h1-s1")
    wrong_ca = TlsFiles(ca=tls_world.other_pki / "ca.crt", cert=files.cert, key=files.key)
    station.write_config(f"serial://{station.scanner}", tls_world.url, wrong_ca, "h1", "s1")
    failed = station.failed()
    assert list(failed) == ["broker tls"]
    assert "not trusted" in failed["broker tls"]["detail"]
    assert "ca.crt" in failed["broker tls"]["fix"]


def test_station_certificate_the_broker_does_not_trust(station: Station, tls_world: TlsWorld) -> None:
    files = tls_world.files("h1-s1", tls_world.other_pki)  # right CA for the broker, own cert from elsewhere
    station.write_config(
        f"serial://{station.scanner}",
        tls_world.url,
        TlsFiles(tls_world.pki / "ca.crt", files.cert, files.key),
        "h1",
        "s1",
    )
    failed = station.failed()
    assert list(failed) == ["broker tls"]
    assert "pki.sh" in failed["broker tls"]["fix"]


def test_station_without_a_certificate(station: Station, tls_world: TlsWorld) -> None:
    station.write_config(f"serial://{station.scanner}", tls_world.url, tls_world.files(None))
    failed = station.failed()
    assert list(failed) == ["broker tls"]
    assert "pki.sh" in failed["broker tls"]["fix"]


def test_certificate_files_that_are_missing(station: Station, tls_world: TlsWorld, tmp_path: Path) -> None:
    gone = TlsFiles(tls_world.pki / "ca.crt", tmp_path / "nope.crt", tmp_path / "nope.key")
    station.write_config(f"serial://{station.scanner}", tls_world.url, gone)
    failed = station.failed()
    assert list(failed) == ["broker"]
    assert "nope.crt" in failed["broker"]["detail"]


@pytest.fixture
def read_only(station: Station) -> Iterator[Path]:
    """The data dir made read-only by a read-only bind mount onto itself (we are root here)."""
    path = str(station.data)
    bound = subprocess.run(["mount", "--bind", path, path], capture_output=True, check=False)
    if bound.returncode != 0:
        pytest.skip(f"bind mounts are not allowed here: {bound.stderr.decode().strip()}")
    try:
        subprocess.run(["mount", "-o", "remount,bind,ro", path], check=True, capture_output=True)
        yield station.data
    finally:
        subprocess.run(["umount", path], check=True)


def test_read_only_data_directory(station: Station, read_only: Path) -> None:
    failed = station.failed()
    assert "data_dir" in failed
    assert "read-only" in failed["data_dir"]["detail"]
    assert "mount -o remount,rw" in failed["data_dir"]["fix"]


def test_missing_scanner_device(station: Station) -> None:
    station.write_config("serial:///dev/hub/scanner-0c2e-NOTHERE")
    failed = station.failed()
    [name] = failed
    assert name == "scanner serial:///dev/hub/scanner-0c2e-NOTHERE"
    assert "/dev/hub" in failed[name]["fix"]


def test_scanner_unplugged(station: Station) -> None:
    assert station.failed() == {}
    station.unplug_scanner()
    failed = station.failed()
    name = f"scanner serial://{station.scanner}"
    assert list(failed) == [name]
    assert "is missing" in failed[name]["detail"] and "ls -l /dev/hub/" in failed[name]["fix"]


def test_corrupt_database(station: Station) -> None:
    db = station.data / "station.db"
    for suffix in ("-wal", "-shm"):
        Path(str(db) + suffix).unlink(missing_ok=True)
    db.write_bytes(b"SQLite format 3\x00" + os.urandom(8192))
    failed = station.failed()
    assert list(failed) == ["database"]
    assert "systemctl restart hubstation" in failed["database"]["fix"]
    assert db.exists()  # the doctor only looks; the station moves it aside at its next start


def test_text_output_names_each_fix(station: Station) -> None:
    station.printer.stop()
    result = subprocess.run(
        [sys.executable, "-m", "station.cli", "--config", str(station.config), "doctor"],
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode == 1
    assert "FAIL printer" in result.stdout and "fix: switch the printer on" in result.stdout
    assert "1 problem(s) found." in result.stdout


def test_a_fresh_station_on_embedded_defaults_has_no_problem(tmp_path: Path) -> None:
    """Nothing exists yet (no data folder, no spool): what the station makes on first use is not a fault."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "station.cli",
            "--data-dir",
            str(tmp_path / "new" / "data"),
            "doctor",
            "--json",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        env=dict(os.environ, STATION_CONFIG="", XDG_CONFIG_HOME=str(tmp_path / "cfg")),
    )
    assert result.returncode == 0, result.stdout + result.stderr
    checks = {c["name"]: c["status"] for c in json.loads(result.stdout)["checks"]}
    assert checks["printer"] == "ok" and checks["database"] == "ok"
