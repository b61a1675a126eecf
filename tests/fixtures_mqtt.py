"""A real mosquitto per test on a free port (persistence on, in a tmp dir) that tests can stop and restart."""

from __future__ import annotations

import contextlib
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.system_packages import ensure


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_port(port: int, timeout: float = 10.0, up: bool = True) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                if up:
                    return
        except OSError:
            if not up:
                return
        time.sleep(0.02)
    raise TimeoutError(f"port {port} did not come {'up' if up else 'down'} in {timeout} s")


PLAIN_CONF = """\
listener {port} 127.0.0.1
allow_anonymous true
persistence true
persistence_location {dir}/
autosave_interval 1
max_queued_messages 1000000
max_inflight_messages 100
set_tcp_nodelay true
log_dest file {dir}/mosquitto.log
log_type error
log_type warning
log_type notice
"""


class Broker:
    """One mosquitto process with its own config; ``restart()`` keeps the port and the persisted sessions."""

    def __init__(self, workdir: Path, conf: str | None = None, port: int | None = None) -> None:
        self.binary = ensure("mosquitto")["mosquitto"]
        self.dir = workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.conf_path = self.dir / "mosquitto.conf"
        # ``user root``: started as root, mosquitto would drop to the 'mosquitto' user, who cannot read
        # the test's tmp dirs; as any other user the setting does nothing.
        text = (conf or PLAIN_CONF).format(port=self.port, dir=self.dir) + "\nuser root\n"
        self.conf_path.write_text(text)
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self) -> Broker:
        self.proc = subprocess.Popen(
            [self.binary, "-c", str(self.conf_path)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        try:
            wait_port(self.port)
        except TimeoutError:
            self.proc.kill()
            _, err = self.proc.communicate()
            raise RuntimeError(f"mosquitto did not start: {err.decode(errors='replace')}") from None
        self.starts += 1
        return self

    def stop(self, kill: bool = False) -> None:
        if self.proc is None:
            return
        self.proc.send_signal(signal.SIGKILL if kill else signal.SIGTERM)
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc = None
        wait_port(self.port, up=False)

    def restart(self, kill: bool = False, down_s: float = 0.0) -> None:
        self.stop(kill=kill)
        time.sleep(down_s)
        self.start()

    def log(self) -> str:
        path = self.dir / "mosquitto.log"
        return path.read_text(errors="replace") if path.exists() else ""


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    """A running plain-TCP mosquitto of this test's own."""
    b = Broker(tmp_path / "broker").start()
    try:
        yield b
    finally:
        with contextlib.suppress(Exception):
            b.stop()
