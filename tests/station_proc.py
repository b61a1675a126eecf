"""A real `station run --headless` process scanned over a pseudo-terminal, for crash tests: start it, send
scans, read its OK/NO lines, SIGKILL it."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

WAIT_S = 60.0  # generous: the machine may be busy


class PtyTaken(Exception):
    """Another process holds the pty (a stray station left running elsewhere on the machine, retrying a
    pty path that the kernel has since given to this test): start again on a new pty."""


class StationProc:
    """One station process on ``data``; scans go in through the pty master ``master``."""

    def __init__(self, config: Path, data: Path, pty_path: str, master: int) -> None:
        env = dict(os.environ, STATION_CONFIG="", XDG_CONFIG_HOME=str(data.parent / "cfg"))
        self.master = master
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "station.cli",
                "--config",
                str(config),
                "--data-dir",
                str(data),
                "run",
                "--headless",
                "--scanner",
                f"serial://{pty_path}",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            env=env,
        )
        assert self.proc.stdout is not None
        self._fd = self.proc.stdout.fileno()
        self._buffer = b""
        self.lines: list[str] = []

    def line(self, wanted: tuple[str, ...], timeout: float = WAIT_S) -> str | None:
        """The next output line starting with one of ``wanted``; None once the process has died."""
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" in self._buffer:
                raw, self._buffer = self._buffer.split(b"\n", 1)
                text = raw.decode(errors="replace")
                self.lines.append(text)
                if text.startswith(wanted):
                    return text
            left = deadline - time.monotonic()
            assert left > 0, f"no line starting {wanted} within {timeout} s; output: {self.lines[-20:]}"
            ready, _, _ = select.select([self._fd], [], [], min(left, 0.5))
            if ready:
                chunk = os.read(self._fd, 65536)
                if not chunk:
                    return None  # the process is gone
                self._buffer += chunk

    def ready(self) -> str:
        """Wait until the station is up and its scanner connected; the prompt it started with."""
        prompt, connected = None, False
        while prompt is None or not connected:
            line = self.line(("Station ", "scanner serial://"))
            assert line is not None, self.lines
            if line.startswith("Station ") and " ready. " in line:
                prompt = line.split(" ready. ", 1)[1]
            connected = connected or (line.startswith("scanner ") and ": connected" in line)
            if line.startswith("scanner ") and "held by another program" in line:
                raise PtyTaken(line)
        return prompt

    def scan(self, text: str) -> str | None:
        """Send one scan; its OK/NO line, or None when the process died first."""
        os.write(self.master, text.encode() + b"\r")
        return self.line(("OK ", "NO "))

    def kill(self) -> None:
        """SIGKILL (unless it is gone already), and wait for it."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(WAIT_S)
        assert self.proc.stdout is not None
        self.proc.stdout.close()

    def stop(self) -> None:
        """SIGTERM, as systemd stops it."""
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(WAIT_S)
        assert self.proc.stdout is not None
        self.proc.stdout.close()


def cli_json(data: Path, *args: str) -> list[dict]:
    """A read-only CLI command's --json lines."""
    env = dict(os.environ, STATION_CONFIG="", XDG_CONFIG_HOME=str(data.parent / "cfg"))
    result = subprocess.run(
        [sys.executable, "-m", "station.cli", "--data-dir", str(data), *args, "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in result.stdout.splitlines()]
