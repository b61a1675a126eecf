"""One station per data folder, with two real processes: the second refuses naming the folder and the
first one's PID; reading commands work beside a running station, writing ones refuse; a SIGKILLed
holder leaves no stale lock."""

from __future__ import annotations

import json
import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.station_cli import DATA, Headless, cli_env, command, station


def _busy(result: subprocess.CompletedProcess[str], data: Path, holder: int, what: str) -> None:
    assert result.returncode == 2, result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("error: ") and "Traceback" not in result.stderr, result.stderr
    assert f"The data folder {data} is in use by PID {holder} (station run)" in last, last
    assert f"'{what}' cannot run beside it" in last, last


@pytest.fixture
def running(tmp_path: Path) -> Headless:
    data = tmp_path / "data"
    assert station(data, "manifest", "load", str(DATA / "manifest.json")).returncode == 0
    assert station(data, "operators", "load", str(DATA / "operators.json")).returncode == 0
    first = Headless(data)
    first.wait_ready()
    assert first.scan("BADGE-1001").startswith("OK")
    assert first.scan("RMA-1000001").startswith("OK")
    return first


def test_second_station_refuses_and_the_return_is_received_once(running: Headless, tmp_path: Path) -> None:
    data = tmp_path / "data"
    second = station(data, "run", "--headless", "--scanner", "stdin:", stdin="BADGE-1001\nRMA-1000001\n")
    _busy(second, data, running.proc.pid, "station run")
    assert second.stdout == ""  # not one scan was taken
    no_display = {k: v for k, v in cli_env(tmp_path).items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    plain = subprocess.run(
        command(data, "run"), capture_output=True, text=True, input="", env=no_display, timeout=60
    )
    _busy(plain, data, running.proc.pid, "station run")
    code, err = running.stop(signal.SIGTERM)
    assert code == 0 and "Station stopped." in err
    result = station(data, "events", "--json")
    types = [json.loads(line)["type"] for line in result.stdout.splitlines()]
    assert types == ["operator.signed_in", "return.received"]


def test_app_refuses_on_a_held_folder(running: Headless, tmp_path: Path, xvfb_display: str) -> None:
    data = tmp_path / "data"
    env = dict(cli_env(tmp_path), DISPLAY=xvfb_display)
    app = subprocess.run(command(data, "run"), capture_output=True, text=True, env=env, timeout=60)
    _busy(app, data, running.proc.pid, "station run")
    running.stop()


def test_reading_commands_work_beside_a_running_station(running: Headless, tmp_path: Path) -> None:
    data = tmp_path / "data"
    events = station(data, "events")
    assert events.returncode == 0 and "return.received" in events.stdout, events.stderr
    stock = station(data, "stock", "--json")
    assert stock.returncode == 0 and stock.stdout == "", stock.stderr
    sync = station(data, "sync", "status", "--json")
    assert sync.returncode == 0 and json.loads(sync.stdout)["last_seq"] == 2, sync.stderr
    doctor = station(data, "doctor", "--json")
    checks = {c["name"]: c for c in json.loads(doctor.stdout)["checks"]}
    assert checks["database"]["status"] == "ok", checks["database"]
    assert running.scan("]C1010950110153000321SN-1").startswith("OK")  # the station went on meanwhile
    running.stop()


def test_writing_commands_refuse_while_a_station_runs(running: Headless, tmp_path: Path) -> None:
    data = tmp_path / "data"
    label = tmp_path / "label.json"
    label.write_text(json.dumps({"lpn": "LPNAB12345", "title": "Phone X"}))
    pid = running.proc.pid
    _busy(station(data, "manifest", "load", str(DATA / "manifest.json")), data, pid, "station manifest load")
    _busy(
        station(data, "operators", "load", str(DATA / "operators.json")), data, pid, "station operators load"
    )
    orders = DATA / "hubwork_orders.json"
    _busy(station(data, "orders", "load", str(orders)), data, pid, "station orders load")
    _busy(station(data, "print", "return_lpn", "--data", str(label)), data, pid, "station print")
    _busy(station(data, "printer", "reprint"), data, pid, "station printer reprint")
    assert running.scan("]C1010950110153000321SN-1").startswith("OK")
    running.stop()


def test_a_killed_station_leaves_no_stale_lock(running: Headless, tmp_path: Path) -> None:
    data = tmp_path / "data"
    running.stop(signal.SIGKILL)
    assert (data / "station.lock").read_text().startswith(f"{running.proc.pid} station run")
    again = station(data, "run", "--headless", "--scanner", "stdin:", stdin="")
    # it starts (and takes up the return that was open at the kill) instead of refusing the folder
    assert again.returncode == 0 and "ready. Return RMA-1000001" in again.stderr, again.stderr
    assert not os.path.exists(f"/proc/{running.proc.pid}")
