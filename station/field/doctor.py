"""``station doctor``: every check at once, each problem with the command or action that fixes it.

Checks run concurrently, each with its own short timeout, and the whole run is bounded by ``deadline``
(a check still running then is reported as not answering), so the doctor finishes within seconds even
when the broker or the printer is unreachable.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait

from station.field import doctor_broker, doctor_checks
from station.field.findings import Check, Status
from station.runtime.config import Config

CheckFn = Callable[[], list[Check]]


def run_checks(checks: Iterable[tuple[str, CheckFn]], deadline: float = 4.0) -> list[Check]:
    """Run every check concurrently; one that has not returned after ``deadline`` seconds is a failure."""
    named = list(checks)
    results: dict[str, list[Check]] = {}
    pool = ThreadPoolExecutor(max_workers=max(1, len(named)), thread_name_prefix="doctor")
    futures: dict[Future[list[Check]], str] = {pool.submit(fn): name for name, fn in named}
    end = time.monotonic() + deadline
    pending = set(futures)
    while pending and (left := end - time.monotonic()) > 0:
        done, pending = wait(pending, timeout=left, return_when=FIRST_COMPLETED)
        for future in done:
            name = futures[future]
            try:
                results[name] = future.result()
            except Exception as exc:  # a bug in a check must not hide the others
                results[name] = [Check(name, Status.FAIL, f"the check itself failed: {exc!r}")]
    for future in pending:
        name = futures[future]
        results[name] = [
            Check(
                name,
                Status.FAIL,
                f"no answer within {deadline:g} s",
                "it hangs on the network or a device: check the cable and the address in the config",
            )
        ]
    pool.shutdown(wait=False, cancel_futures=True)
    return [check for name, _ in named for check in results[name]]


def doctor(config: Config, deadline: float = 4.0) -> list[Check]:
    """Every check of the station described by ``config``."""
    checks: list[tuple[str, CheckFn]] = [
        ("config", lambda: doctor_checks.config_check(config)),
        ("data_dir", lambda: doctor_checks.data_dir_check(config.data_dir)),
        ("disk", lambda: doctor_checks.disk_check(config.data_dir)),
        ("database", lambda: doctor_checks.database_check(config.db_path)),
        ("clock", doctor_checks.clock_check),
        ("printer", lambda: doctor_checks.printer_check(config.printer_uri)),
        ("broker", lambda: doctor_broker.broker_checks(config)),
    ]
    for uri in config.scanners:
        checks.append((f"scanner {uri}", functools.partial(doctor_checks.scanner_check, uri)))
    return run_checks(checks, deadline)


def healthy(checks: Iterable[Check]) -> bool:
    return all(c.status is not Status.FAIL for c in checks)
