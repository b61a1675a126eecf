"""Issue 17's findings on people, tried through the real headless station (`station run --headless`):
badges without PINs, PINs after the request changed, self-approval, wipe verifiers, a fresh database,
operators dropped from the list, rounds of wrong PINs, and a test PIN that must show up nowhere."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest

from sync.publish import publish_downlink
from tests.fixtures_mqtt import Broker
from tests.fixtures_scanners import Pty
from tests.sync_helpers import wait_for
from tests.test_headless import DATA, events, station
from tests.test_hubwork_headless import load_hub
from tests.test_stock import INTAKE as STOCK_INTAKE
from tests.test_sync_e2e import Central

LPN2, LPN3 = "LPNHUBON10000002", "LPNHUBON10000003"  # the tablet (repair) and the cable (liquidate)
RITA, SAM = "246813", "135792"  # PINs of tests/data/hubwork_operators.json
INTAKE = STOCK_INTAKE[1:]  # the return of tests/test_stock.py, after Rita's badge


def headless(tmp_path: Path, *lines: str) -> subprocess.CompletedProcess[str]:
    """The headless station reading ``lines`` from a pipe (scans, and a PIN on the line after a badge)."""
    return station(
        tmp_path, "run", "--headless", "--scanner", "stdin:", stdin="".join(f"{x}\n" for x in lines)
    )


def of_type(tmp_path: Path, kind: str) -> list[dict]:
    return [e["data"] for e in events(tmp_path) if e["type"] == kind]


def test_a_supervisor_badge_typed_without_the_pin_approves_nothing(tmp_path: Path) -> None:
    """The finding: typing BADGE-9001 lifted a 250 EUR cap to pay 300. A scan script cannot type a PIN."""
    assert station(tmp_path, "manifest", "load", str(DATA / "manifest.json")).returncode == 0
    assert station(tmp_path, "operators", "load", str(DATA / "operators.json")).returncode == 0
    script = tmp_path / "typed.scans"
    script.write_text(
        "BADGE-1001\nRMA-1000001\n]C1010950110153000321SN-1\nCMD:GRADE:A\nCMD:OVERRIDE:REFUND_CAP\n"
        "BADGE-9001\nCMD:PIN:735190\nCMD:DONE\n"
    )
    run = station(tmp_path, "run", "--headless", "--scanner", f"replay:{script}")
    assert run.returncode == 0, run.stderr
    lines = run.stdout.splitlines()
    assert (
        lines[5].startswith("OK") and "Sam: enter your PIN to approve refund cap on RMA-1000001" in lines[5]
    )
    assert lines[6].startswith("NO") and "A PIN is never scanned" in lines[6]
    assert of_type(tmp_path, "override.granted") == []
    refund = of_type(tmp_path, "refund.eligible")[0]
    assert (refund["amount"], refund["capped"]) == (250.0, True)


def test_a_pin_after_the_request_changed_approves_nothing(
    tmp_path: Path, make_pty: Callable[[], Pty]
) -> None:
    """Sam's badge comes for the cable; before his PIN, another scanner brings the tablet: his PIN
    then approves nothing."""
    load_hub(tmp_path)
    pty = make_pty()
    live = Live(tmp_path, f"serial://{pty.path}?terminator=cr")
    try:
        live.send("BADGE-2001", RITA, *INTAKE, "CMD:FLOW:RESTOCK", LPN3)
        live.wait_out(lambda line: LPN3 in line and line.startswith("NO"))
        live.send("BADGE-2002")
        live.wait_err(lambda line: f"PIN for Sam to approve restock on {LPN3}" in line)
        pty.write(f"{LPN2}\r".encode())  # the other scanner, between the badge and the PIN
        live.wait_out(lambda line: LPN2 in line and line.startswith("NO"))
        live.send(SAM)
        void = live.wait_out(lambda line: line.startswith("NO  'PIN'"))
        assert "changed after Sam scanned their badge" in void and f"now: restock on {LPN2}" in void
    finally:
        out, err = live.close()
    assert SAM not in out + err and of_type(tmp_path, "override.granted") == []
    assert of_type(tmp_path, "inventory.restocked") == []


def test_nobody_approves_their_own_request(tmp_path: Path) -> None:
    load_hub(tmp_path)
    run = headless(tmp_path, "BADGE-2002", SAM, "RMA-9999999", "BADGE-2002")
    lines = run.stdout.splitlines()
    assert lines[1].startswith("OK") and "signed in" in lines[1]
    assert lines[3].startswith("NO") and "Sam asked for this and cannot also approve it" in lines[3]
    assert of_type(tmp_path, "override.granted") == [] and of_type(tmp_path, "return.received") == []


def test_a_wipe_needs_the_verifiers_own_badge_and_pin(tmp_path: Path) -> None:
    load_hub(tmp_path)
    work = ["BADGE-2001", RITA, "WO-500001", "CMD:DIAG:NO_POWER"]
    run = headless(
        tmp_path,
        *work,
        "CMD:WIPE:purge:blancco:BADGE-2002",  # the verifier written into the command: refused
        "CMD:WIPE:purge:blancco",
        "CMD:CLOSE:unrepairable:D:recycle",  # no verified wipe yet
        "BADGE-2001",  # the technician as their own verifier
        "BADGE-2003",  # Paul packs: not a verifier
        "BADGE-2004",
        "000000",  # Tom's badge, a wrong PIN
    )
    lines = run.stdout.splitlines()[4:]
    assert lines[0].startswith("NO") and "wipe:METHOD:TOOL" in lines[0]
    assert lines[1].startswith("NO") and "scans their own badge and enters their PIN" in lines[1]
    assert lines[2].startswith("NO") and "holds data: record the data wipe" in lines[2]
    assert lines[3].startswith("NO") and "Rita asked for this and cannot also approve it" in lines[3]
    assert lines[4].startswith("NO") and "Paul may not approve wipe" in lines[4]
    assert lines[5].startswith("OK") and lines[6].startswith("NO  'PIN': Wrong PIN")
    assert of_type(tmp_path, "workorder.wiped") == [] and of_type(tmp_path, "workorder.closed") == []
    again = headless(tmp_path, *work[:2], "WO-500001", "CMD:WIPE:purge:blancco", "BADGE-2004", "864209")
    assert again.stdout.splitlines()[-1].startswith("OK"), again.stdout
    assert [w["verified_by"] for w in of_type(tmp_path, "workorder.wiped")] == ["2004"]


def test_a_fresh_database_refuses_every_badge_until_set_up(tmp_path: Path) -> None:
    run = headless(tmp_path, "BADGE-1001", "BADGE-9001", "RMA-1000001")
    lines = run.stdout.splitlines()
    assert all(line.startswith("NO") for line in lines) and "No operators are loaded" in lines[0]
    assert "station setup OPERATORS.json" in lines[0] and events(tmp_path) == []
    setup = station(tmp_path, "setup", str(DATA / "operators.json"))
    assert setup.returncode == 0 and "Loaded 2 operators; added: 1001, 9001" in setup.stdout
    assert headless(tmp_path, "BADGE-1001").stdout.startswith("OK")
    twice = station(tmp_path, "setup", str(DATA / "operators.json"))
    assert twice.returncode == 2 and "already has operators" in twice.stderr


def test_an_operator_dropped_from_the_list_is_refused(tmp_path: Path) -> None:
    load_hub(tmp_path)
    assert headless(tmp_path, "BADGE-2003").stdout.startswith("OK")  # Paul packs today
    later = json.loads((DATA / "hubwork_operators.json").read_text())
    later["operators"] = [op for op in later["operators"] if op["name"] != "Paul"]
    path = tmp_path / "later.json"
    path.write_text(json.dumps(later))
    loaded = station(tmp_path, "operators", "load", str(path))
    assert "removed: 2003" in loaded.stdout
    run = headless(tmp_path, "BADGE-2003")
    assert run.stdout.startswith("NO") and "Badge 2003 is not known at this hub" in run.stdout
    # the manifest can no longer bring anyone (back) in
    sneaky = tmp_path / "sneaky.json"
    sneaky.write_text(
        json.dumps(
            {"returns": [], "operators": [{"badge": "BADGE-2003", "name": "P", "roles": ["supervisor"]}]}
        )
    )
    refused = station(tmp_path, "manifest", "load", str(sneaky))
    assert refused.returncode == 2 and "no longer carries operators" in refused.stderr


def test_rounds_of_wrong_pins_escalate_the_lockout(tmp_path: Path) -> None:
    """Round 1 locks for 15 min, round 2 for an hour, round 3 until a supervisor unlocks the badge. Between
    rounds the lock is expired in the database (as if the time had passed: a test cannot wait an hour)."""
    load_hub(tmp_path)
    wrong = ["000000"] * 5

    def round_(expected: str) -> None:
        run = headless(tmp_path, "BADGE-2001", *wrong, "BADGE-2001")
        lines = run.stdout.splitlines()
        assert all("Wrong PIN" in line for line in lines[1:6]), run.stdout
        assert expected in lines[5] and expected in lines[6]

    def time_passes() -> None:
        from station.store.database import open_database

        store = open_database(tmp_path / "data" / "station.db")
        with store.write() as conn:
            conn.execute("UPDATE operator_pins SET locked_until_ms = 1 WHERE locked_until_ms < 2e18")
        store.close()

    round_("try again in 15 min")
    time_passes()
    round_("try again in 60 min")
    time_passes()
    round_("a supervisor must unlock it")
    time_passes()  # no time is long enough now
    assert "a supervisor must unlock it" in headless(tmp_path, "BADGE-2001").stdout
    unlock = headless(
        tmp_path, "BADGE-2002", SAM, "CMD:UNLOCK:BADGE-2001", "CMD:SIGN_OUT", "BADGE-2001", RITA
    )
    assert all(line.startswith("OK") for line in unlock.stdout.splitlines()), unlock.stdout
    locked = of_type(tmp_path, "operator.locked_out")
    assert [(x["round"], x["needs_unlock"]) for x in locked] == [(1, False), (2, False), (3, True)]
    assert len(of_type(tmp_path, "operator.pin_failed")) == 15
    assert of_type(tmp_path, "operator.unlocked") == [{"badge": "2001"}]


PIN = "918273"  # the test PIN: grep finds it nowhere


def test_a_pin_shows_up_nowhere(broker: Broker, tmp_path: Path) -> None:
    """Sign-in, a wrong PIN, an approval, an operators list sent down with a plain PIN and one rejected:
    the PIN is in no terminal output or log, in no database file, downlink body, event or synced event."""
    central = Central(broker, tmp_path / "central.db")
    data = tmp_path / "data"
    config = tmp_path / "station.toml"
    config.write_text(f'hub = "h1"\nstation = "s1"\ndata_dir = "{data}"\n[broker]\nurl = "{broker.url}"\n')
    people = {
        "operators": [
            {"badge": "BADGE-2001", "name": "Rita", "roles": ["intake"], "pin": RITA},
            {"badge": "BADGE-2002", "name": "Sam", "roles": ["supervisor"], "pin": PIN},
        ]
    }
    rejected = {
        "operators": [{"badge": "BADGE-2009", "name": "Eve", "roles": ["supervisor"], "pin": PIN + "x"}]
    }
    outputs: list[str] = []

    def cli(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        env = dict(os.environ, XDG_CONFIG_HOME=str(tmp_path / "cfg"))
        done = subprocess.run(
            [sys.executable, "-m", "station.cli", "--config", str(config), *args],
            capture_output=True,
            text=True,
            input=stdin,
            env=env,
            timeout=60,
        )
        outputs.append(done.stdout + done.stderr)
        return done

    try:
        assert cli("manifest", "load", str(DATA / "manifest.json")).returncode == 0
        live = Live(tmp_path, config=config)
        wait_for(
            lambda: '"online": true' in cli("sync", "status", "--json").stdout, what="the station online"
        )
        publish_downlink(broker.url, "operators", people, hub="h1", key="all", version=1)
        publish_downlink(broker.url, "operators", rejected, hub="h1", key="all", version=2)
        wait_for(
            lambda: "downlink.rejected" in cli("events").stdout, what="the operators list and a rejection"
        )
        live.send("BADGE-2001", RITA, "RMA-9999999", "BADGE-2002", "000000")
        live.wait_err(lambda line: "PIN for Sam" in line)
        live.wait_out(lambda line: "Wrong PIN" in line)
        live.send(PIN)
        live.wait_out(lambda line: "blind_receipt allowed by 2002" in line)
        outputs.extend(live.close())
        log = [json.loads(line) for line in cli("events", "--json").stdout.splitlines()]
        wait_for(lambda: central.count() == len(log), what="every event at the centre")
    finally:
        central.stop()
    granted = next(e for e in log if e["type"] == "override.granted")["data"]
    assert granted["approver"] == "2002" and granted["pin_verified"] is True
    files = [p for p in (*data.rglob("*"), *tmp_path.glob("central.db*")) if p.is_file()]
    assert any(p.name.startswith("station.db") for p in files) and any(p.name == "central.db" for p in files)
    holding = [str(p) for p in files if PIN.encode() in p.read_bytes()]
    assert holding == [], f"the test PIN is in {holding}"
    assert not any(PIN in text for text in outputs)
    from station.store.database import open_database

    store = open_database(data / "station.db")
    body = store.conn.execute("SELECT body FROM downlink_messages WHERE kind = 'operators'").fetchone()[0]
    store.close()
    assert "pin_hash" in body and '"pin"' not in body


class Live:
    """A headless station process fed line by line, its output lines collected as they come."""

    def __init__(self, tmp_path: Path, *scanners: str, config: Path | None = None) -> None:
        env = dict(os.environ, STATION_CONFIG="", XDG_CONFIG_HOME=str(tmp_path / "cfg"))
        where = ["--config", str(config)] if config else ["--data-dir", str(tmp_path / "data")]
        # standard input, plus any other scanner (the config's list when there is none)
        extra = [a for uri in scanners and ("stdin:", *scanners) for a in ("--scanner", uri)]
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "station.cli", *where, "run", "--headless", *extra],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env,
        )
        self.endless = bool(scanners)  # another scanner keeps it running after standard input ends
        self.out: list[str] = []
        self.err: list[str] = []
        self._changed = threading.Condition()
        self._readers = [
            threading.Thread(target=self._collect, args=(stream, lines), daemon=True)
            for stream, lines in ((self.proc.stdout, self.out), (self.proc.stderr, self.err))
        ]
        for reader in self._readers:
            reader.start()

    def _collect(self, stream: object, lines: list[str]) -> None:
        for line in stream:  # type: ignore[attr-defined]
            with self._changed:
                lines.append(line.rstrip("\n"))
                self._changed.notify_all()

    def send(self, *lines: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("".join(f"{x}\n" for x in lines))
        self.proc.stdin.flush()

    def _wait(self, lines: list[str], match: Callable[[str], bool]) -> str:
        with self._changed:
            found = self._changed.wait_for(lambda: next((x for x in lines if match(x)), None), 60)
        assert found, f"no such line; stdout {self.out}, stderr {self.err}"
        lines.remove(found)
        return found

    def wait_out(self, match: Callable[[str], bool]) -> str:
        return self._wait(self.out, match)

    def wait_err(self, match: Callable[[str], bool]) -> str:
        return self._wait(self.err, match)

    def close(self) -> tuple[str, str]:
        """End standard input (and with another scanner, SIGTERM): the station finishes and stops.
        Everything it printed."""
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        if self.endless:
            self.proc.terminate()
        self.proc.wait(60)
        for reader in self._readers:
            reader.join(10)
        return "\n".join(self.out), "\n".join(self.err)


@pytest.fixture
def resync_requests(broker: Broker) -> Iterator[list[dict]]:
    requests: list[dict] = []
    spy = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, protocol=mqtt.MQTTv5)
    spy.on_message = lambda c, u, m: requests.append(json.loads(m.payload))
    spy.connect("127.0.0.1", broker.port)
    spy.subscribe("hubs/h1/stations/s1/resync", qos=1)
    spy.loop_start()
    yield requests
    spy.loop_stop()


def test_a_new_database_asks_the_centre_for_everything_at_once(
    broker: Broker, tmp_path: Path, resync_requests: list[dict]
) -> None:
    config = tmp_path / "station.toml"
    config.write_text(
        f'hub = "h1"\nstation = "s1"\ndata_dir = "{tmp_path / "data"}"\n[broker]\nurl = "{broker.url}"\n'
    )
    live = Live(tmp_path, config=config)
    try:
        wait_for(lambda: resync_requests, what="a resync request from the new database")
    finally:
        live.close()
    assert "new database" in resync_requests[0]["reason"]


def test_on_a_terminal_the_pin_is_read_without_echo(tmp_path: Path) -> None:
    """The headless station on a real terminal (a pseudo-terminal as its controlling tty): the typed scan
    is echoed as usual, the PIN is not."""
    import fcntl
    import pty as ptys
    import select
    import termios

    assert station(tmp_path, "operators", "load", str(DATA / "operators.json")).returncode == 0
    master, slave = ptys.openpty()
    env = dict(os.environ, STATION_CONFIG="", XDG_CONFIG_HOME=str(tmp_path / "cfg"))
    proc = subprocess.Popen(
        [sys.executable, "-m", "station.cli", "--data-dir", str(tmp_path / "data"), "run", "--headless"],
        stdin=slave,
        stdout=slave,
        stderr=slave,
        env=env,
        start_new_session=True,
        preexec_fn=lambda: fcntl.ioctl(0, termios.TIOCSCTTY, 0),  # the pty becomes its controlling tty
    )
    os.close(slave)
    seen = b""

    def read_until(text: bytes) -> None:
        nonlocal seen
        while text not in seen:
            ready, _, _ = select.select([master], [], [], 60)
            assert ready, f"no {text!r} in {seen!r}"
            seen += os.read(master, 4096)

    try:
        read_until(b"ready")
        os.write(master, b"BADGE-9001\n")
        read_until(b"PIN for Sam: ")
        os.write(master, b"735190\n")
        read_until(b"signed in: Sam")
        os.write(master, b"\x04")  # Ctrl-D: the end of input
        assert proc.wait(60) == 0
    finally:
        proc.kill()
        os.close(master)
    assert b"BADGE-9001" in seen and b"735190" not in seen
