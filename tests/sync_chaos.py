"""The chaos run shared by the normal suite (small) and tests/bench (20,000 events).

Three station processes drain their logs through a real mosquitto to two receiver processes sharing the
subscription and one SQLite sink, while the test SIGKILLs station processes, restarts the broker (clean
stop and SIGKILL alternately) and SIGKILLs one of the receivers.
"""

from __future__ import annotations

import itertools
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from sync.protocol import source_of
from tests.fixtures_mqtt import Broker

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class ChaosResult:
    events: int
    distinct_ids: int
    per_station: dict[str, tuple[int, int, int]]  # station -> (count, min seq, max seq)
    outboxes: dict[str, tuple[int, int]]  # station -> (last_seq, acked_seq)
    station_kills: int
    broker_restarts: int
    receiver_kills: int
    seconds: float


class Proc:
    def __init__(self, args: list[str], log: Path) -> None:
        self.args = args
        self.log = log
        self.p: subprocess.Popen[bytes] | None = None
        self.kills = 0

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.p = subprocess.Popen(self.args, cwd=ROOT, stdout=out, stderr=out)

    def kill(self) -> None:
        if self.p is not None and self.p.poll() is None:
            self.p.send_signal(signal.SIGKILL)
            self.p.wait()
            self.kills += 1

    def done(self) -> bool:
        return self.p is not None and self.p.poll() == 0


def run_chaos(
    workdir: Path,
    broker: Broker,
    total: int,
    station_kills: int = 20,
    broker_restarts: int = 5,
    receiver_kills: int = 5,
    every_s: float = 0.3,
    timeout_s: float = 150.0,
) -> ChaosResult:
    started = time.monotonic()
    sink = workdir / "central.db"
    py = sys.executable
    receivers = [
        Proc(
            [py, "-m", "sync", "receive", "--broker", broker.url, "--sink", f"sqlite:///{sink}", "--name", n],
            workdir / f"receiver-{n}.log",
        )
        for n in ("rA", "rB")
    ]
    chunk = max(50, total // 90)
    stations = {
        name: Proc(
            [
                py,
                "-m",
                "tests.sync_station_proc",
                str(workdir / f"{name}.db"),
                broker.url,
                name,
                str(count),
                str(chunk),
                "0.1",
            ],
            workdir / f"{name}.log",
        )
        for name, count in split(total).items()
    }
    for p in [*receivers, *stations.values()]:
        p.start()
    order = itertools.cycle(stations.values())
    kills = restarts = rkills = 0
    step = 0
    try:
        while kills < station_kills or restarts < broker_restarts or rkills < receiver_kills:
            time.sleep(every_s)
            step += 1
            if kills < station_kills:
                victim = next(order)
                if not victim.done():
                    victim.kill()
                    victim.start()
                kills += 1
            if step % 4 == 0 and restarts < broker_restarts:
                broker.restart(kill=restarts % 2 == 1)
                restarts += 1
            if step % 4 == 2 and rkills < receiver_kills:
                receivers[0].kill()
                receivers[0].start()
                rkills += 1
        deadline = time.monotonic() + timeout_s
        while not all(p.done() for p in stations.values()):
            if time.monotonic() > deadline:
                raise AssertionError(f"stations did not drain in {timeout_s} s; see logs in {workdir}")
            for p in stations.values():
                if p.p is not None and p.p.poll() not in (None, 0):
                    raise AssertionError(f"{p.args} exited {p.p.returncode}; see {p.log}")
            time.sleep(0.1)
    finally:
        for p in [*stations.values(), *receivers]:
            if p.p is not None and p.p.poll() is None:
                p.p.terminate()
                p.p.wait(10)
    seconds = time.monotonic() - started
    with sqlite3.connect(sink) as conn:
        events, distinct = conn.execute("SELECT count(*), count(DISTINCT id) FROM events").fetchone()
        rows = conn.execute(
            "SELECT source, count(*), min(seq), max(seq) FROM events GROUP BY source"
        ).fetchall()
    outboxes = {}
    sources: dict[str, str] = {}  # each station's source (with its log id) -> station name
    for name in stations:
        with sqlite3.connect(workdir / f"{name}.db") as conn:
            meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
            outboxes[name] = (int(meta.get("last_seq", 0)), int(meta.get("acked_seq", 0)))
            sources[source_of("h1", name, meta.get("log_id", ""))] = name
    return ChaosResult(
        events,
        distinct,
        {sources.get(s, s): (c, lo, hi) for s, c, lo, hi in rows},
        outboxes,
        kills,
        restarts,
        rkills,
        seconds,
    )


def split(total: int) -> dict[str, int]:
    """``total`` events over the three stations s1, s2, s3."""
    return {f"s{i}": total // 3 + (1 if i <= total % 3 else 0) for i in range(1, 4)}


def check(result: ChaosResult, total: int) -> None:
    """What the issue asks: exactly N distinct events, no gap in any station's seq, every outbox acked."""
    counts = split(total)
    assert result.events == total and result.distinct_ids == total
    assert result.per_station == {s: (n, 1, n) for s, n in counts.items()}
    assert result.outboxes == {s: (n, n) for s, n in counts.items()}
    assert result.station_kills >= 20 and result.broker_restarts >= 5 and result.receiver_kills >= 5
