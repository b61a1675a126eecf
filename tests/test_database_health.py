"""A healthy database is never moved aside: a full disk, a root-owned file, a deleted -wal, an empty file
each get their own sentence and the station refuses to start; only a corrupt file is moved aside, at the
station's start alone, with what to reload. Real parts: a 1 MB tmpfs, a second user (nobody), the
headless station as a process."""

from __future__ import annotations

import hashlib
import os
import shutil
import signal
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures_disk import FailingDisk, fill_up
from tests.station_cli import AS_NOBODY, DATA, Headless, load_people, station


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _refused(result: object, *phrases: str) -> str:
    err: str = result.stderr  # type: ignore[attr-defined]
    assert result.returncode == 2, err  # type: ignore[attr-defined]
    assert "Traceback" not in err and err.strip().splitlines()[-1].startswith("error: "), err
    for phrase in phrases:
        assert phrase in err, err
    return err


def _nothing_moved(data: Path) -> None:
    assert not list(data.glob("station.db.corrupt-*")), os.listdir(data)


def _signed_in(data: Path) -> Path:
    """A station with one committed scan (the badge), stopped cleanly."""
    assert station(data, "manifest", "load", str(DATA / "manifest.json")).returncode == 0
    load_people(data)
    run = station(data, "run", "--headless", "--scanner", "stdin:", stdin="BADGE-1001\n")
    assert run.stdout.startswith("OK"), run.stderr
    return data / "station.db"


def _doctor_database(data: Path) -> dict[str, str]:
    """What ``station doctor`` says of the database: a failure with this problem's own sentence."""
    import json

    doctor = station(data, "doctor", "--json")
    [check] = [c for c in json.loads(doctor.stdout)["checks"] if c["name"] == "database"]
    assert check["status"] == "fail" and "corrupt" not in check["detail"], check
    return check  # type: ignore[no-any-return]


def _types(data: Path) -> list[str]:
    import json

    result = station(data, "events", "--json")
    assert result.returncode == 0, result.stderr
    return [json.loads(line)["type"] for line in result.stdout.splitlines()]


def test_full_disk_refuses_to_start_and_keeps_the_database(small_tmpfs: Path) -> None:
    data = small_tmpfs / "data"
    db = _signed_in(data)
    before = _digest(db)
    filler = fill_up(small_tmpfs)
    err = _refused(station(data, "run", "--headless", "--scanner", "stdin:", stdin="BADGE-1001\n"), "is full")
    assert "Free some space" in err and "KB free" in err
    _refused(station(data, "events"), "is full")  # a CLI command says the same, and moves nothing
    assert "is full" in _doctor_database(data)["detail"]
    _nothing_moved(data)
    assert _digest(db) == before
    filler.unlink()
    assert _types(data) == ["operator.signed_in"]


def test_empty_database_file_is_refused_not_started_over(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "station.db").touch()
    _refused(station(data, "run", "--headless", "--scanner", "stdin:"), "empty file (0 bytes)", "rm ")
    _refused(station(data, "events"), "empty file (0 bytes)")
    assert "empty file (0 bytes)" in _doctor_database(data)["detail"]
    assert (data / "station.db").stat().st_size == 0
    _nothing_moved(data)


@pytest.fixture
def shared_dir() -> Iterator[Path]:
    """A folder another user can reach (the pytest tmp folders are root's alone)."""
    folder = Path(tempfile.mkdtemp(prefix="station-perm-"))
    folder.chmod(0o755)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_root_owned_database_opened_by_another_user(shared_dir: Path) -> None:
    if os.geteuid() != 0 or shutil.which("setpriv") is None:
        pytest.skip("needs root and setpriv to run the station as nobody")
    data = shared_dir / "data"
    db = _signed_in(data)
    before = _digest(db)
    home = shared_dir / "nobody"
    home.mkdir()
    home.chmod(0o777)
    as_nobody = {"prefix": AS_NOBODY, "home": home}
    missing = shared_dir / "not-yet"
    _refused(
        station(missing, "run", "--headless", "--scanner", "stdin:", **as_nobody),  # type: ignore[arg-type]
        f"The data folder {missing} does not exist and this user (nobody) cannot create it in {shared_dir}",
        f"sudo mkdir -p {missing} && sudo chown nobody: {missing}",
    )
    # the folder is root's: not even the lock file can be made
    folder = station(data, "run", "--headless", "--scanner", "stdin:", **as_nobody)  # type: ignore[arg-type]
    _refused(folder, f"{data} belongs to root and this user (nobody) cannot write it", "sudo chown -R nobody")
    # the folder is open to all, the database file is still root's
    data.chmod(0o777)
    file = station(data, "run", "--headless", "--scanner", "stdin:", **as_nobody)  # type: ignore[arg-type]
    _refused(file, f"{db} belongs to root and this user (nobody) cannot write it", f"chown -R nobody: {data}")
    _refused(station(data, "manifest", "load", str(DATA / "manifest.json"), **as_nobody), "cannot write it")  # type: ignore[arg-type]
    assert _digest(db) == before
    _nothing_moved(data)
    assert _types(data) == ["operator.signed_in"]


def test_wal_deleted_while_running_saves_what_was_committed(tmp_path: Path) -> None:
    data = tmp_path / "data"
    assert station(data, "manifest", "load", str(DATA / "manifest.json")).returncode == 0
    load_people(data)
    running = Headless(data)
    assert running.scan("BADGE-1001").startswith("OK")
    assert running.scan("RMA-1000001").startswith("OK")
    (data / "station.db-wal").unlink()
    refused = running.scan("]C1010950110153000321SN-1")
    assert refused.startswith("NO") and "was deleted while the station ran" in refused, refused
    assert "Restart the station" in refused
    code, _ = running.stop(signal.SIGKILL)  # even a crash now loses nothing that was said OK
    assert code == -signal.SIGKILL
    assert _types(data) == ["operator.signed_in", "return.received"]
    _nothing_moved(data)


def test_wal_deleted_after_a_crash_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    load_people(data)
    running = Headless(data)
    assert running.scan("BADGE-1001").startswith("OK")
    running.stop(signal.SIGKILL)  # the scan is in the -wal only
    (data / "station.db-wal").unlink()
    before = _digest(data / "station.db")
    err = _refused(station(data, "run", "--headless", "--scanner", "stdin:"), "station.db-wal is missing")
    assert "Put station.db-wal back" in err and "station.db-shm" in err
    _refused(station(data, "events"), "station.db-wal is missing")
    assert "station.db-wal is missing" in _doctor_database(data)["detail"]
    assert _digest(data / "station.db") == before
    _nothing_moved(data)


def test_database_deleted_beside_its_wal_is_refused(tmp_path: Path) -> None:
    data = tmp_path / "data"
    load_people(data)
    running = Headless(data)
    assert running.scan("BADGE-1001").startswith("OK")
    running.stop(signal.SIGKILL)
    (data / "station.db").unlink()
    _refused(
        station(data, "run", "--headless", "--scanner", "stdin:"), "station.db is missing but its write-ahead"
    )
    assert not (data / "station.db").exists()


def test_corrupt_database_moved_aside_only_by_the_station_start(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    garbage = b"not a database at all " * 400
    (data / "station.db").write_bytes(garbage)
    for args in (
        ("events",),
        ("stock",),
        ("sync", "status"),
        ("manifest", "load", str(DATA / "manifest.json")),
    ):
        _refused(station(data, *args), "is corrupt", "moves it aside when it next starts")
    assert (data / "station.db").read_bytes() == garbage
    run = station(data, "run", "--headless", "--scanner", "stdin:", stdin="BADGE-1001\n")
    # a new, empty database: nobody signs in until the operators are loaded again (no open door)
    assert run.returncode == 0 and "No operators are loaded" in run.stdout, run.stderr
    moved = list(data.glob("station.db.corrupt-*"))
    assert len(moved) == 1 and moved[0].read_bytes() == garbage
    assert f"was moved to {moved[0]}" in run.stderr
    for what in ("station manifest load", "station operators load", "station orders load"):
        assert what in run.stderr
    assert "Traceback" not in run.stderr


def test_io_errors_are_their_own_sentence_and_move_nothing(failing_disk: FailingDisk) -> None:
    data = failing_disk.mount / "data"
    db = _signed_in(data)
    with sqlite3.connect(db) as conn:  # a database of a few MB, spread over the 8 MB device
        conn.execute("CREATE TABLE ballast (x)")
        conn.executemany("INSERT INTO ballast VALUES (?)", [("b" * 3000,)] * 900)
    conn.close()
    failing_disk.fail_beyond("3M", db)  # the storage fails: reads past 3 MB give EIO
    for args in (("events",), ("stock",), ("run", "--headless", "--scanner", "stdin:")):
        err = _refused(station(data, *args, home=failing_disk.mount.parent), "failed with an I/O error")
        assert "Nothing was moved or deleted" in err and "dmesg" in err
    _nothing_moved(data)
    assert db.exists()
