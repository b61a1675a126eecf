"""Stops and helpers: SIGTERM stops `station run` cleanly in every mode (stdin open too); the preview
helper and multiprocessing's resource tracker die with the station, after a SIGKILL as well; a DISPLAY
that cannot be opened is one sentence within 5 s."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from tests.station_cli import DATA, Headless, cli_env, command, load_people, station


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


def _descendants(pid: int) -> set[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rpartition(")")[2].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    found: set[int] = set()
    todo = [pid]
    while todo:
        parent = todo.pop()
        kids = {p for p, pp in parents.items() if pp == parent and p not in found}
        found |= kids
        todo.extend(kids)
    return found


def _helpers_of(pid: int, count: int = 2, timeout: float = 60) -> set[int]:
    """The station's helper processes (the preview drawer and the resource tracker), once both run."""
    deadline = time.monotonic() + timeout
    while len(helpers := {p for p in _descendants(pid) if _alive(p)}) < count:
        assert time.monotonic() < deadline, f"helpers of {pid}: {helpers}"
        time.sleep(0.05)
    return helpers


def _all_gone(pids: set[int], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while alive := {p for p in pids if _alive(p)}:
        assert time.monotonic() < deadline, f"still running after the station: {alive}"
        time.sleep(0.05)


def test_sigterm_with_stdin_open_stops_cleanly_and_takes_the_helpers(tmp_path: Path) -> None:
    data = tmp_path / "data"
    load_people(data)
    running = Headless(data)  # stdin stays open: the station waits on it
    running.wait_ready()
    assert running.scan("BADGE-1001").startswith("OK")
    helpers = _helpers_of(running.proc.pid)
    code, err = running.stop(signal.SIGTERM)
    assert code == 0 and "Station stopped." in err and "Traceback" not in err, err
    _all_gone(helpers)
    assert "operator.signed_in" in station(data, "events").stdout


def test_sigterm_stops_a_replay_script_run(tmp_path: Path) -> None:
    script = tmp_path / "slow.scans"
    script.write_text("BADGE-1001\n@sleep 120\nRMA-1000001\n")
    load_people(tmp_path / "data")
    proc = subprocess.Popen(
        command(tmp_path / "data", "run", "--headless", "--scanner", f"replay:{script}"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(tmp_path),
    )
    assert proc.stdout is not None and proc.stdout.readline().startswith("OK")
    proc.terminate()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Station stopped." in err and "Traceback" not in err, err


def test_helpers_die_with_a_sigkilled_station(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert station(data, "manifest", "load", str(DATA / "manifest.json")).returncode == 0
    running = Headless(data)
    running.wait_ready()
    helpers = _helpers_of(running.proc.pid)
    running.stop(signal.SIGKILL)
    _all_gone(helpers)


def test_sigterm_stops_the_app(tmp_path: Path, xvfb_display: str) -> None:
    env = dict(cli_env(tmp_path), DISPLAY=xvfb_display)
    (tmp_path / "cfg").mkdir()  # Kivy keeps the app's settings there and makes only the last folder
    proc = subprocess.Popen(
        command(tmp_path / "data", "run"), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
    )
    helpers = _helpers_of(proc.pid)  # the app started: its label previews' helper runs
    proc.terminate()
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 0 and "Traceback" not in err, err
    _all_gone(helpers)


def test_a_display_that_cannot_be_opened_is_one_sentence(tmp_path: Path) -> None:
    unused = next(n for n in range(400, 500) if not Path(f"/tmp/.X11-unix/X{n}").exists())
    env = dict(cli_env(tmp_path), DISPLAY=f":{unused}")
    env.pop("WAYLAND_DISPLAY", None)
    started = time.monotonic()
    result = subprocess.run(
        command(tmp_path / "data", "run"), capture_output=True, text=True, env=env, timeout=60
    )
    took = time.monotonic() - started
    assert result.returncode == 2, result.stderr
    assert result.stderr.strip() == (
        f"error: The display ':{unused}' cannot be opened (no X server answers there within 4 s, or this "
        "user may not use it): check DISPLAY and XAUTHORITY, or run 'station run --headless' to scan "
        "without a screen."
    )
    print(f"unopenable display refused in {took:.2f} s")  # the interpreter's start included
    assert not os.path.exists(tmp_path / "data" / "station.db")


def test_sigterm_stops_a_station_waiting_on_a_serial_scanner(tmp_path: Path) -> None:
    # a scanner that never ends (here one not plugged in, retried for ever): the station waits for a stop
    proc = subprocess.Popen(
        command(tmp_path / "data", "run", "--headless", "--scanner", "serial:///dev/hub/not-plugged-in"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=cli_env(tmp_path),
    )
    assert proc.stderr is not None
    while "ready." not in (line := proc.stderr.readline()):
        assert line, "the station ended before it was ready"
    proc.terminate()
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0 and "Station stopped." in err and "Traceback" not in err, err
