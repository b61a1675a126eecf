"""The ``station`` command as a person runs it: one-shot commands, and a headless station fed line by line."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

DATA = Path(__file__).parent / "data"
AS_NOBODY = ("setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups")


def cli_env(home: Path) -> dict[str, str]:
    """No config file, and config/log folders inside the test's own folder."""
    return dict(
        os.environ,
        STATION_CONFIG="",
        XDG_CONFIG_HOME=str(home / "cfg"),
        XDG_STATE_HOME=str(home / "state"),
        PYTHONUNBUFFERED="1",
    )


def command(data_dir: Path, *args: str, prefix: Sequence[str] = ()) -> list[str]:
    return [*prefix, sys.executable, "-m", "station.cli", "--data-dir", str(data_dir), *args]


def station(
    data_dir: Path, *args: str, stdin: str | None = None, prefix: Sequence[str] = (), home: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        command(data_dir, *args, prefix=prefix),
        capture_output=True,
        text=True,
        input=stdin if stdin is not None else "",
        env=cli_env(home or data_dir.parent),
        timeout=120,
    )


class Headless:
    """``station run --headless --scanner stdin:``: scans written to its stdin, its lines read back."""

    def __init__(self, data_dir: Path, *extra: str, home: Path | None = None) -> None:
        self.proc = subprocess.Popen(
            command(data_dir, "run", "--headless", "--scanner", "stdin:", *extra),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=cli_env(home or data_dir.parent),
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.err: list[str] = []
        self._pumps = [
            threading.Thread(target=self._pump, args=(self.proc.stdout, self.lines.put), daemon=True),
            threading.Thread(target=self._pump, args=(self.proc.stderr, self.err.append), daemon=True),
        ]
        for pump in self._pumps:
            pump.start()

    @staticmethod
    def _pump(stream: object, put: object) -> None:
        for line in stream:  # type: ignore[attr-defined]
            put(line)  # type: ignore[operator]

    def wait_ready(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while not any("ready." in line for line in self.err):
            assert self.proc.poll() is None, "".join(self.err)
            assert time.monotonic() < deadline, "no ready line: " + "".join(self.err)
            time.sleep(0.02)

    def scan(self, text: str, timeout: float = 60) -> str:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()
        try:
            return self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no answer to {text!r}: {''.join(self.err)}") from None

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 30) -> tuple[int, str]:
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout)
        for pump in self._pumps:  # the last lines, up to the end of the pipes
            pump.join(10)
        return code, "".join(self.err)


def load_people(data_dir: Path) -> None:
    """The operators of tests/data/operators.json (with none loaded, nobody signs in)."""
    loaded = station(data_dir, "operators", "load", str(DATA / "operators.json"))
    assert loaded.returncode == 0, loaded.stderr
