"""The chaos run shared by the normal suite (small) and tests/bench (20,000 events).

Three station processes drain their logs through a real mosquitto to two receiver processes sharing the
subscription and one SQLite sink, while the run SIGKILLs station processes, restarts the broker (clean
stop and SIGKILL alternately) and SIGKILLs one of the receivers. With the deploy TLS broker it also rolls
station s1's database back to an earlier copy once, and lets a client with s2's certificate try to take
s1's session once.

Only what really happened is counted: a kill counts when the process was running (a finished station is
never picked), and the run fails unless every planned kill, restart, rollback and takeover attempt was
carried out. The counts at the sink are exact: after the rollback the centre holds s1's first log whole
and the new log's events, nothing twice.
"""

from __future__ import annotations

import itertools
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import paho.mqtt.client as mqtt

from sync.protocol import source_of
from tests.fixtures_mqtt import Broker
from tests.fixtures_tls import TlsWorld

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Plan:
    """What a run does; a run's ``done`` counts what really happened, in the same fields."""

    station_kills: int = 20
    broker_restarts: int = 5
    receiver_kills: int = 5
    rollbacks: int = 1
    takeovers: int = 1


@dataclass
class Rollback:
    backup_seq: int  # s1's last seq in the copy restored
    first_log_seq: int  # s1's last seq when it was rolled back (the first log, drained whole)


@dataclass
class ChaosResult:
    events: int
    distinct_ids: int
    per_source: dict[str, tuple[int, int, int]]  # log -> (count, min seq, max seq)
    outboxes: dict[str, tuple[int, int]]  # station -> (last_seq, acked_seq)
    sources: dict[str, str]  # log -> 'sN' or 'sN first log'
    plan: Plan
    done: Plan
    rollback: Rollback | None
    takeover_ids: list[str] = field(default_factory=list)  # the client ids the broker gave the thief
    seconds: float = 0.0


class Proc:
    def __init__(self, args: list[str], log: Path) -> None:
        self.args = args
        self.log = log
        self.p: subprocess.Popen[bytes] | None = None
        self.kills = 0  # SIGKILLs sent to this process while it was running

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.p = subprocess.Popen(self.args, cwd=ROOT, stdout=out, stderr=out)

    @property
    def running(self) -> bool:
        return self.p is not None and self.p.poll() is None

    def kill(self, counted: bool = True) -> bool:
        """SIGKILL the process if it is running (counted in ``kills``); whether it was."""
        if self.p is None or self.p.poll() is not None:
            return False
        self.p.send_signal(signal.SIGKILL)
        self.p.wait()
        self.kills += counted
        return True

    def done(self) -> bool:
        return self.p is not None and self.p.poll() == 0


class Chaos:
    def __init__(self, workdir: Path, broker: Broker, total: int, tls: TlsWorld | None) -> None:
        self.workdir, self.broker, self.tls = workdir, broker, tls
        self.url = tls.url if tls else broker.url
        self.sink = workdir / "central.db"
        self.counts = split(total)
        self.chunk = max(10, total // 300)  # each station appends for ~10 s: it is alive to be killed
        self.receivers = [Proc(self._receiver_args(n), workdir / f"receiver-{n}.log") for n in ("rA", "rB")]
        self.station_procs: list[Proc] = []  # every station process of the run, for its kill count
        self.stations = {name: self.station(name, count) for name, count in self.counts.items()}
        self.rollbacks: list[Rollback] = []
        self.takeover_ids: list[str] = []
        self._broker_starts = broker.starts

    def _receiver_args(self, name: str) -> list[str]:
        args = [sys.executable, "-m", "sync", "receive", "--broker", self.url, "--name", name]
        args += ["--sink", f"sqlite:///{self.sink}"]
        if self.tls is not None:
            pki = self.tls.pki
            args += ["--ca", str(pki / "ca.crt"), "--cert", str(pki / f"receiver-{name}.crt")]
            args += ["--key", str(pki / f"receiver-{name}.key")]
        return args

    def db(self, name: str) -> Path:
        return self.workdir / f"{name}.db"

    def station(self, name: str, total: int, forked: bool = False, drain: bool = False) -> Proc:
        args = [sys.executable, "-m", "tests.sync_station_proc", str(self.db(name)), self.url, name]
        args += [str(total), str(self.chunk), "0.1", str(self.tls.pki) if self.tls else "-"]
        proc = Proc([*args, "fork" if forked else "-"], self.workdir / f"{name}.log")
        if not drain:
            self.station_procs.append(proc)
        return proc

    def done(self) -> Plan:
        """What really happened so far, counted where it happened (not by the loop that asked for it)."""
        return Plan(
            station_kills=sum(p.kills for p in self.station_procs),
            broker_restarts=self.broker.starts - self._broker_starts,
            receiver_kills=sum(p.kills for p in self.receivers),
            rollbacks=len(self.rollbacks),
            takeovers=len(self.takeover_ids),
        )

    # --- the rollback and the takeover ----------------------------------------------------------------

    def back_up(self) -> int:
        """A consistent copy of s1's database (what a backup tool takes); its last seq."""
        with closing(sqlite3.connect(self.db("s1"))) as src, closing(sqlite3.connect(self.backup)) as dst:
            src.backup(dst)
        return last_seq(self.backup)

    @property
    def backup(self) -> Path:
        return self.workdir / "s1-backup.db"

    def roll_back(self, backup_seq: int, timeout_s: float) -> None:
        """Stop s1, let its first log drain whole (so the centre's count is exact), restore the copy."""
        self.stations["s1"].kill(counted=False)
        first = last_seq(self.db("s1"))
        drain = self.station("s1", first, drain=True)
        drain.start()
        deadline = time.monotonic() + timeout_s
        while not drain.done():
            if time.monotonic() > deadline or (drain.p and drain.p.poll() not in (None, 0)):
                drain.kill()
                raise AssertionError(f"s1's first log did not drain before the rollback; see {drain.log}")
            time.sleep(0.1)
        db = self.db("s1")
        for part in (db, Path(f"{db}-wal"), Path(f"{db}-shm"), Path(f"{db}.log.json")):
            part.unlink(missing_ok=True)  # the whole card image: the mark file goes back too (lost here)
        shutil.copyfile(self.backup, db)
        assert backup_seq < first, "the copy must be older than the log it replaces"
        self.stations["s1"] = self.station("s1", self.counts["s1"], forked=True)
        self.stations["s1"].start()
        self.rollbacks.append(Rollback(backup_seq, first))

    def take_over(self) -> str | None:
        """A client with s2's valid certificate connects with s1's client id and a clean start."""
        assert self.tls is not None
        files = self.tls.files("h1-s2")
        thief = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="station-h1-s1", protocol=mqtt.MQTTv5)
        thief.tls_set(ca_certs=str(files.ca), certfile=str(files.cert), keyfile=str(files.key))
        connected: list[bool] = []
        thief.on_connect = lambda c, u, f, rc, p: connected.append(not rc.is_failure)
        before = self.broker.log()
        try:
            thief.connect("localhost", self.broker.port, keepalive=10)
            thief.loop_start()
            deadline = time.monotonic() + 10
            while not connected and time.monotonic() < deadline:
                time.sleep(0.02)
        except OSError:
            return None  # the broker was restarting: not an attempt
        finally:
            thief.disconnect()
            thief.loop_stop()
        if not connected or not connected[0]:
            return None
        new = self.broker.log()[len(before) :]
        ids = [line.split(" as ", 1)[1].split(" ", 1)[0] for line in new.splitlines() if "(p5, c1" in line]
        return ids[-1] if ids else "?"

    # --- the run --------------------------------------------------------------------------------------

    def run(self, plan: Plan, every_s: float, timeout_s: float) -> ChaosResult:
        started = time.monotonic()
        for p in [*self.receivers, *self.stations.values()]:
            p.start()
        order = itertools.cycle(sorted(self.stations))
        backup_seq = 0
        step = 0
        deadline = started + timeout_s
        try:
            while (done := self.done()) != plan:
                if time.monotonic() > deadline:
                    raise AssertionError(f"the chaos plan was not carried out in {timeout_s} s: did {done}")
                time.sleep(every_s)
                step += 1
                if done.station_kills < plan.station_kills:
                    live = [
                        n for n in itertools.islice(order, len(self.stations)) if self.stations[n].running
                    ]
                    if live and self.stations[live[0]].kill():
                        self.stations[live[0]].start()
                if step % 4 == 0 and done.broker_restarts < plan.broker_restarts:
                    self.broker.restart(kill=done.broker_restarts % 2 == 1)
                if step % 4 == 2 and done.receiver_kills < plan.receiver_kills:
                    self.receivers[0].kill()
                    self.receivers[0].start()
                if plan.rollbacks and not backup_seq and int(meta(self.db("s1")).get("acked_seq", 0)):
                    backup_seq = self.back_up()  # once s1 has synced something
                rollback_due = done.rollbacks < plan.rollbacks and backup_seq and step >= 12
                if rollback_due and last_seq(self.db("s1")) > backup_seq:
                    self.roll_back(backup_seq, timeout_s=60)
                if done.takeovers < plan.takeovers and step >= 6 and step % 4 == 1:
                    got = self.take_over()
                    if got is not None:
                        self.takeover_ids.append(got)
            self.wait_drained(deadline + 150)
        finally:
            for p in [*self.stations.values(), *self.receivers]:
                if p.running and p.p is not None:
                    p.p.terminate()
                    p.p.wait(10)
        return self.result(plan, time.monotonic() - started)

    def wait_drained(self, deadline: float) -> None:
        while not all(p.done() for p in self.stations.values()):
            if time.monotonic() > deadline:
                raise AssertionError(f"stations did not drain in time; see logs in {self.workdir}")
            for p in self.stations.values():
                if p.p is not None and p.p.poll() not in (None, 0):
                    raise AssertionError(f"{p.args} exited {p.p.returncode}; see {p.log}")
            time.sleep(0.1)

    def result(self, plan: Plan, seconds: float) -> ChaosResult:
        with closing(sqlite3.connect(self.sink)) as conn:
            events, distinct = conn.execute("SELECT count(*), count(DISTINCT id) FROM events").fetchone()
            rows = conn.execute("SELECT source, count(*), min(seq), max(seq) FROM events GROUP BY source")
            per_source = {str(s): (int(c), int(lo), int(hi)) for s, c, lo, hi in rows.fetchall()}
        outboxes, sources = {}, {}
        for name in self.stations:
            values = meta(self.db(name))
            outboxes[name] = (int(values.get("last_seq", 0)), int(values.get("acked_seq", 0)))
            sources[source_of("h1", name, values.get("log_id", ""))] = name
            if values.get("log_forked_from"):
                sources[values["log_forked_from"]] = f"{name} first log"
        rollback = self.rollbacks[0] if self.rollbacks else None
        return ChaosResult(
            events,
            distinct,
            per_source,
            outboxes,
            sources,
            plan,
            self.done(),
            rollback,
            self.takeover_ids,
            seconds,
        )


def meta(db: Path) -> dict[str, str]:
    """A station database's meta table ({} while the station has not made it yet)."""
    if not db.exists():
        return {}
    with closing(sqlite3.connect(db)) as conn:
        try:
            return {str(k): str(v) for k, v in conn.execute("SELECT key, value FROM meta").fetchall()}
        except sqlite3.OperationalError:
            return {}


def last_seq(db: Path) -> int:
    return int(meta(db).get("last_seq", 0))


def run_chaos(
    workdir: Path,
    broker: Broker,
    total: int,
    plan: Plan | None = None,
    every_s: float = 0.3,
    timeout_s: float = 150.0,
    tls: TlsWorld | None = None,
) -> ChaosResult:
    """A chaos run; without ``tls`` (a plain broker) there is no takeover attempt to make."""
    plan = plan or Plan(takeovers=1 if tls else 0)
    return Chaos(workdir, broker, total, tls).run(plan, every_s, timeout_s)


def split(total: int) -> dict[str, int]:
    """``total`` events over the three stations s1, s2, s3."""
    return {f"s{i}": total // 3 + (1 if i <= total % 3 else 0) for i in range(1, 4)}


def check(result: ChaosResult, total: int) -> None:
    """Every planned kill, restart, rollback and takeover attempt happened; the sink holds exactly every
    event of every log (both of s1's after its rollback), each once; every outbox is acked whole."""
    assert result.done == result.plan, f"planned {result.plan}, did {result.done}"
    counts = split(total)
    expected: dict[str, tuple[int, int, int]] = {}
    extra = 0
    for name, n in counts.items():
        last, acked = result.outboxes[name]
        assert acked == last, f"{name}: acked {acked} of {last}"
        if name == "s1" and result.rollback is not None:
            back, first = result.rollback.backup_seq, result.rollback.first_log_seq
            assert last in (
                n,
                n + 1,
            )  # its new log has the fork's own event, if it came after the last append
            # the first log ends at ``first`` when the restore was seen at start (the mark beside the
            # database); when the centre found the fork instead, the restored station had sent seqs after
            # ``first`` under the old log id too: those stay there, and the new log holds them as "held
            # elsewhere", not twice
            by_name = {result.sources.get(s, s): v for s, v in result.per_source.items()}
            k = by_name.get(f"{name} first log", (first, 1, first))[0]
            assert k >= first, f"the first log lost events: {k} < {first}"
            expected[f"{name} first log"] = (k, 1, k)
            expected[name] = (last - back - (k - first), back + 1, last)  # seqs 1..back: in the first log
            extra += first + last - back - n
        else:
            assert last == n
            expected[name] = (n, 1, n)
    assert {result.sources.get(s, s): v for s, v in result.per_source.items()} == expected
    assert result.events == result.distinct_ids == total + extra
    assert all(i == "h1/stations/s2" for i in result.takeover_ids), result.takeover_ids
