"""The headless station end to end: `station run --headless` with a replay: scan script, then
`station events --json`, as a person at a fresh station would run them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data"


def station(tmp_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, STATION_CONFIG="", XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    return subprocess.run(
        [sys.executable, "-m", "station.cli", "--data-dir", str(tmp_path / "data"), *args],
        capture_output=True,
        text=True,
        env=env,
        input=stdin,
        timeout=60,
    )


def load_operators(tmp_path: Path) -> None:
    """The operators of tests/data/operators.json (Ana, and Sam the supervisor with PIN 735190)."""
    loaded = station(tmp_path, "operators", "load", str(DATA / "operators.json"))
    assert loaded.returncode == 0, loaded.stderr


def events(tmp_path: Path) -> list[dict]:
    result = station(tmp_path, "events", "--json")
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]


SCRIPT = """\
# a whole return at the counter
BADGE-1001
RMA-1000001
]C1010950110153000321SN-1
CMD:GRADE:A
@sleep 0.05
0012345678905
CMD:GRADE:B:opened,no_box
4006381333931
CMD:GRADE:incorrect_item
CMD:DONE
"""


def test_whole_return_by_replay(tmp_path: Path) -> None:
    loaded = station(tmp_path, "manifest", "load", str(DATA / "manifest.json"))
    assert loaded.returncode == 0, loaded.stderr
    assert "Loaded 1 returns" in loaded.stdout
    load_operators(tmp_path)
    script = tmp_path / "return.scans"
    script.write_text(SCRIPT)
    run = station(tmp_path, "run", "--headless", "--scanner", f"replay:{script}")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert len(lines) == 9 and all(line.startswith("OK") for line in lines), run.stdout
    assert "Station stopped." in run.stderr

    everything = events(tmp_path)
    assert [e["seq"] for e in everything] == list(range(1, 18))
    labels = [e for e in everything if e["type"] == "label.printed"]
    log = [e for e in everything if e["type"] != "label.printed"]
    assert [e["type"] for e in log] == [
        "operator.signed_in",
        "return.received",
        "return.item_verified",
        "return.graded",
        "return.dispositioned",
        "return.item_verified",
        "return.graded",
        "return.dispositioned",
        "return.item_mismatch",
        "return.graded",
        "return.dispositioned",
        "return.item_mismatch",
        "refund.eligible",
        "return.completed",
    ]
    assert all(e["operator"] == "1001" for e in log)
    by_type = {e["type"]: e["data"] for e in log}
    assert log[2]["data"]["serial"] == "SN-1"
    assert [e["data"]["disposition"] for e in log if e["type"] == "return.dispositioned"] == [
        "restock_local",
        "liquidate",
        "return_to_dc",
    ]
    assert log[8]["data"]["reason"] == "wrong_item"
    assert log[11]["data"] == {
        "rma": "RMA-1000001",
        "reason": "missing",
        "line": 2,
        "gtin": "00012345678905",
        "serial": None,
        "quantity": 1,
    }
    assert by_type["refund.eligible"]["amount"] == 250.0 and by_type["refund.eligible"]["capped"] is True
    lpns = [e["data"]["lpn"] for e in log if e["type"] == "return.dispositioned"]
    assert len(set(lpns)) == 3 and all(lpn.startswith("LPN") for lpn in lpns)

    # each unit's LPN label was printed once, to the spool (the embedded default printer)
    assert sorted(e["data"]["lpn"] for e in labels) == sorted(lpns)
    assert all(e["data"]["template"] == "return_lpn" and not e["data"]["reprint"] for e in labels)
    spool = tmp_path / "data" / "spool"
    zpl = sorted(spool.glob("*.zpl"))
    assert len(zpl) == 3 and len(list(spool.glob("*.png"))) == 3
    first = zpl[0].read_bytes()
    assert first.startswith(b"^XA") and lpns[0].encode() in first and b"RESTOCK CART" in first

    # the return is now received: scanning its QR code again is refused, and nothing is recorded
    again = station(tmp_path, "run", "--headless", "--scanner", "stdin:", stdin="BADGE-1001\nLOOP:AB12CD34\n")
    assert again.stdout.splitlines()[1].startswith("NO") and "already received" in again.stdout
    assert len(events(tmp_path)) == 18


def test_refusals_say_what_to_do(tmp_path: Path) -> None:
    load_operators(tmp_path)
    run = station(
        tmp_path,
        "run",
        "--headless",
        "--scanner",
        "stdin:",
        stdin="RMA-1000001\nBADGE-777\nBADGE-1001\nhello\n0012345678906\nRMA-5555555\nCMD:DONE\n",
    )
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert lines[0].startswith("NO") and "badge" in lines[0]
    assert lines[1].startswith("NO") and "not known at this hub" in lines[1]
    assert lines[2].startswith("OK")
    assert lines[3].startswith("NO") and "expected" in lines[3]
    assert lines[4].startswith("NO") and "check digit" in lines[4]
    assert lines[5].startswith("OK") and "supervisor" in lines[5]  # unknown return: waits for a supervisor
    assert lines[6].startswith("NO")
    assert "embedded defaults" in run.stderr


def test_scan_test_json(tmp_path: Path) -> None:
    result = station(tmp_path, "scan-test", "--json", "4006381333931", "RMA-1000001", "nonsense!")
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["kind"] for r in rows] == ["gtin", "rma", "rejected"]
    assert rows[0]["gtin"] == "04006381333931"


def test_bad_config_is_one_sentence_and_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[label]\ndpi = 600\n")
    result = subprocess.run(
        [sys.executable, "-m", "station.cli", "--config", str(bad), "events"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {bad}: label.dpi: expected 203 or 300, found 600"


def test_ctrl_c_stops_cleanly_and_keeps_what_was_committed(tmp_path: Path) -> None:
    script = tmp_path / "slow.scans"
    script.write_text("BADGE-1001\n@sleep 60\nRMA-1000001\n")
    load_operators(tmp_path)
    env = dict(os.environ, STATION_CONFIG="", XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "station.cli",
            "--data-dir",
            str(tmp_path / "data"),
            "run",
            "--headless",
            "--scanner",
            f"replay:{script}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    first = proc.stdout.readline()
    assert first.startswith("OK")
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Station stopped." in err and "Traceback" not in err
    assert [e["type"] for e in events(tmp_path)] == ["operator.signed_in"]


def test_no_display_runs_headless_and_says_so(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    env.update(STATION_CONFIG="", XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    if any(Path("/dev/dri").glob("card*")):
        pytest.skip("this machine has a DRM device, so the app would start on its console")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "station.cli", "--data-dir", str(tmp_path / "data"), "run", *args],
            capture_output=True,
            text=True,
            env=env,
            input="BADGE-1001\n",
            timeout=60,
        )

    load_operators(tmp_path)
    plain = run()
    assert plain.returncode == 0 and "running headless" in plain.stderr
    assert plain.stdout.startswith("OK") and "signed in" in plain.stdout
    kiosk = run("--kiosk")  # the touchscreen's unit must not pretend: systemd retries it
    assert kiosk.returncode == 2 and "station run --headless" in kiosk.stderr
    assert "Traceback" not in plain.stderr + kiosk.stderr


def test_ctrl_c_at_any_moment_of_start_up_stops_cleanly(tmp_path: Path) -> None:
    """SIGINT as soon as the station's code runs (``-X importtime`` shows when: Python's own bootstrap and
    the first lines of ``station.cli`` come before), at many points of the start-up, after the ready line:
    never a traceback, a station that was made is stopped (its lock file, emptied by a clean stop, no longer
    names it), and every scan said OK is in the log (nothing committed lost)."""
    env = dict(os.environ, STATION_CONFIG="", XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    args = [sys.executable, "-X", "importtime", "-m", "station.cli", "--data-dir", str(tmp_path / "data")]
    args += ["run", "--headless"]
    load_operators(tmp_path)  # with none, nobody signs in
    said_ok = 0
    outcomes = []
    points = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.45, 0.6, 0.8, 1.0, 1.3, 1.7, "ready", "first OK")
    for delay in (*points, *["scanner connected"] * 5):  # the narrowest window: start() returning
        proc = subprocess.Popen(
            [*args, "--scanner", "stdin:"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        proc.stdin.write("BADGE-1001\n")  # taken as soon as the station reads; stdin stays open
        proc.stdin.flush()
        first = ""
        while proc.stderr.readline().rpartition("|")[2].strip() != "click":
            pass  # the first import after the station's own Ctrl-C handling is in place
        if delay in ("ready", "scanner connected"):  # the scanner's line comes as start() ends
            wanted = "ready." if delay == "ready" else "scanner stdin:: connected"
            while wanted not in proc.stderr.readline():
                pass
        elif delay == "first OK":
            first = proc.stdout.readline()
            assert first.startswith("OK"), first
        else:
            time.sleep(float(delay))
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        out = first + out
        assert "Traceback" not in err and "Exception" not in err, f"SIGINT at {delay}: {err}"
        assert proc.returncode in (0, 1, 130, -signal.SIGINT), f"SIGINT at {delay}: {proc.returncode} {err}"
        lock = tmp_path / "data" / "station.lock"
        holder = lock.read_text() if lock.exists() else ""
        assert not holder.startswith(f"{proc.pid} "), f"SIGINT at {delay}: the station did not stop: {err}"
        said_ok += sum(line.startswith("OK") for line in out.splitlines())
        outcomes.append((delay, proc.returncode, "Station stopped." in err))
    print(outcomes)
    assert [e["type"] for e in events(tmp_path)] == ["operator.signed_in"] * said_ok
    assert said_ok >= 2  # at least the runs stopped after their scan really scanned
