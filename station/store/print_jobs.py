"""The persistent print queue: one row per label job, from ``queued`` to ``printed`` or ``failed``.

A job is rendered to ZPL when it is queued (so a bad field is refused to the person at once) and the bytes
are kept: a reprint sends exactly the same label. ``printing`` means the label may have left the station;
the print worker resolves it from the printer's label counter, never by blindly sending again. A job queued
for one printer (``station print --printer URI``) keeps it: only a worker on that printer takes it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from station.core.errors import FlowError
from station.store.database import StationDB


class JobState(StrEnum):
    QUEUED = "queued"
    PRINTING = "printing"
    PRINTED = "printed"
    FAILED = "failed"


@dataclass(frozen=True)
class PrintJob:
    id: int
    template: str
    data: Mapping[str, Any]
    zpl: bytes
    lpn: str | None
    copies: int
    operator: str
    state: JobState
    attempts: int
    last_error: str | None
    counter_before: int | None
    printer: str | None
    reprint_of: int | None
    subject: str | None = None  # the RMA, work order or order the label belongs to
    created_at: int = 0  # when it was queued (Unix seconds)

    @property
    def purpose(self) -> str:
        """What the label is for, in words: "LPN L-1 for RMA-1000001 (Phone X)", "carrier label for ORD-1"."""
        if self.template == "shipping":
            return f"carrier label for order {self.subject}" if self.subject else "carrier label"
        title = self.data.get("title")
        about = f" for {self.subject}" if self.subject else ""
        what = f"LPN {self.lpn}" if self.lpn else f"{self.template} label"
        return f"{what}{about}" + (f" ({title})" if title else "")


_COLUMNS = (
    "id, template, data, zpl, lpn, copies, operator, state, attempts, last_error, counter_before, printer, "
    "reprint_of, subject, created_at"
)


def _job(row: Any) -> PrintJob:
    return PrintJob(
        id=row[0],
        template=row[1],
        data=json.loads(row[2]),
        zpl=bytes(row[3]),
        lpn=row[4],
        copies=row[5],
        operator=row[6],
        state=JobState(row[7]),
        attempts=row[8],
        last_error=row[9],
        counter_before=row[10],
        printer=row[11],
        reprint_of=row[12],
        subject=row[13],
        created_at=row[14],
    )


def _now() -> int:
    return int(time.time())


def add_job(
    store: StationDB,
    template: str,
    data: Mapping[str, Any],
    zpl: bytes,
    *,
    lpn: str | None,
    copies: int,
    operator: str,
    reprint_of: int | None = None,
    printer: str | None = None,
) -> int:
    """Queue a rendered label (for ``printer`` only, when given); returns the job id (committed)."""
    with store.write() as conn:
        return insert_job(
            conn,
            template,
            data,
            zpl,
            lpn=lpn,
            copies=copies,
            operator=operator,
            reprint_of=reprint_of,
            printer=printer,
        )


def insert_job(
    conn: Any,
    template: str,
    data: Mapping[str, Any],
    zpl: bytes,
    *,
    lpn: str | None,
    copies: int,
    operator: str,
    reprint_of: int | None = None,
    printer: str | None = None,
) -> int:
    """Queue a rendered label inside a write transaction the caller holds (atomic with its events).

    Its subject (what it is for) is the label's RMA or work order, or for a carrier label the order whose
    label it is."""
    cur = conn.execute(
        "INSERT INTO print_jobs (template, data, zpl, lpn, copies, operator, reprint_of, printer, "
        "created_at, updated_at, subject) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            template,
            json.dumps(dict(data), ensure_ascii=False, sort_keys=True),
            zpl,
            lpn,
            copies,
            operator,
            reprint_of,
            printer,
            _now(),
            _now(),
            _subject(conn, template, data),
        ),
    )
    return int(cur.lastrowid or 0)


def _subject(conn: Any, template: str, data: Mapping[str, Any]) -> str | None:
    if template != "shipping":
        rma = data.get("rma")
        return str(rma) if rma else None
    row = conn.execute(
        "SELECT MAX(number) FROM orders WHERE carrier_label = ?", (str(data.get("zpl", "")),)
    ).fetchone()
    return None if row is None else row[0]


def drop_queued(conn: Any, lpn: str, reason: str) -> int:
    """Leave unprinted the jobs of ``lpn`` still waiting in the queue (its label was voided); inside the
    caller's transaction. Returns how many."""
    cur = conn.execute(
        "UPDATE print_jobs SET state = 'failed', last_error = ?, updated_at = ? "
        "WHERE lpn = ? AND state = 'queued'",
        (reason, _now(), lpn),
    )
    return int(cur.rowcount)


def get_job(store: StationDB, job_id: int) -> PrintJob:
    row = store.conn.execute(f"SELECT {_COLUMNS} FROM print_jobs WHERE id = ?", (job_id,)).fetchone()
    if row is None:
        raise FlowError(
            "There is no label job {job_id} at this station: choose a label from the list, or scan its LPN, "
            "RMA or order to find it.",
            job_id=job_id,
        )
    return _job(row)


def jobs(store: StationDB, *states: JobState, limit: int = 100) -> list[PrintJob]:
    """Jobs in ``states`` (all when none given), oldest first."""
    sql = f"SELECT {_COLUMNS} FROM print_jobs"
    if states:
        sql += f" WHERE state IN ({','.join('?' * len(states))})"
    rows = store.conn.execute(sql + " ORDER BY id LIMIT ?", (*states, limit)).fetchall()
    return [_job(r) for r in rows]


def recent_jobs(store: StationDB, limit: int = 10) -> list[PrintJob]:
    """The newest jobs, newest first (the reprint screen lists them)."""
    rows = store.conn.execute(f"SELECT {_COLUMNS} FROM print_jobs ORDER BY id DESC LIMIT ?", (limit,))
    return [_job(r) for r in rows.fetchall()]


def labels_of(store: StationDB, code: str, limit: int = 50) -> list[PrintJob]:
    """The labels for an LPN, an RMA, a work order or an order (as stored: the scan's value), newest first,
    however old; reprints included."""
    rows = store.conn.execute(
        f"SELECT {_COLUMNS} FROM print_jobs WHERE lpn = ? OR subject = ? ORDER BY id DESC LIMIT ?",
        (code, code, limit),
    )
    return [_job(r) for r in rows.fetchall()]


def next_job(store: StationDB, printer: str | None = None, *, any_printer: bool = True) -> PrintJob | None:
    """The job for ``printer`` to work on: one left ``printing`` first (it must be resolved), else the
    oldest queued. Jobs queued for another printer are left to it; with ``any_printer`` False, so are jobs
    queued for no printer in particular."""
    mine = "printer = ?" + (" OR printer IS NULL" if any_printer else "")
    row = store.conn.execute(
        f"SELECT {_COLUMNS} FROM print_jobs WHERE state IN ('printing', 'queued') AND ({mine}) "
        "ORDER BY state = 'queued', id LIMIT 1",
        (printer,),
    ).fetchone()
    return None if row is None else _job(row)


def set_state(
    conn: Any, job_id: int, state: JobState, *, claim: PrintJob | None = None, **fields: Any
) -> bool:
    """Move a job on inside the caller's transaction; returns whether it moved.

    With ``claim`` (the job as last read) it moves only if nobody moved it since (same state and attempts),
    so two workers on one database never both send it.
    """
    assignments = "".join(f", {k} = ?" for k in fields)
    sql = f"UPDATE print_jobs SET state = ?, updated_at = ?{assignments} WHERE id = ?"
    params: list[Any] = [state.value, _now(), *fields.values(), job_id]
    if claim is not None:
        sql += " AND state = ? AND attempts = ?"
        params += [claim.state.value, claim.attempts]
    return int(conn.execute(sql, params).rowcount) == 1


def printed_job(store: StationDB, job_id: int) -> PrintJob:
    """Job ``job_id`` once it has printed (or failed): what a reprint of that exact label copies."""
    job = get_job(store, job_id)
    if job.state in (JobState.QUEUED, JobState.PRINTING):
        raise FlowError(
            "Label job {job_id} ({purpose}) has not printed yet: it prints when the printer is ready; "
            "reprint it after that if it is missing.",
            job_id=job_id,
            purpose=job.purpose,
        )
    return job


def last_printed(store: StationDB, lpn: str | None = None) -> PrintJob:
    """The latest printed (or failed) job, for the LPN when given: what a reprint copies."""
    sql = f"SELECT {_COLUMNS} FROM print_jobs WHERE state IN ('printed', 'failed')"
    params: tuple[Any, ...] = ()
    if lpn is not None:
        sql += " AND lpn = ?"
        params = (lpn,)
    row = store.conn.execute(sql + " ORDER BY id DESC LIMIT 1", params).fetchone()
    if row is None:
        what = f"for LPN {lpn}" if lpn else "yet"
        raise FlowError(
            "No label has been printed {what}; nothing to reprint. Check the LPN and scan it again.",
            what=what,
        )
    return _job(row)
