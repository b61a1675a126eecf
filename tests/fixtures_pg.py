"""A PostgreSQL database for the sink tests: the local server when one runs, else a private one.

The private server is made with initdb and started with pg_ctl in a tmp dir on a free port (as the
``postgres`` user when the tests run as root, since PostgreSQL refuses to run as root). Each test session
gets its own database, dropped at the end. ``SYNC_TEST_PRIVATE_PG=1`` forces the private server.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures_mqtt import free_port
from tests.system_packages import ensure, find_program

LOCAL_URLS = (
    "postgresql://postgres@127.0.0.1:5432/postgres",
    "postgresql:///postgres?host=/var/run/postgresql",
)


def _reachable(url: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(url, connect_timeout=2):
            return True
    except psycopg.Error:
        return False


def _run(args: list[str]) -> None:
    done = subprocess.run(args, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed: {done.stderr or done.stdout}")


class PrivatePostgres:
    """initdb + pg_ctl in a dir of its own (outside pytest's root-only tmp when run as root)."""

    def __init__(self) -> None:
        ensure("pg_ctl")
        self.initdb = str(find_program("initdb"))
        self.pg_ctl = str(find_program("pg_ctl"))
        self.root = Path(tempfile.mkdtemp(prefix="sync-pg-"))
        self.data = self.root / "pgdata"
        self.port = free_port()
        self.prefix: list[str] = []
        if os.geteuid() == 0:
            user = pwd.getpwnam("postgres")
            shutil.chown(self.root, user.pw_uid, user.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]

    def start(self) -> str:
        _run([*self.prefix, self.initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres"])
        options = f"-p {self.port} -k {self.data} -h 127.0.0.1 -c fsync=off"
        _run(
            [
                *self.prefix,
                self.pg_ctl,
                "-D",
                str(self.data),
                "-w",
                "-l",
                str(self.root / "log"),
                "-o",
                options,
                "start",
            ]
        )
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        subprocess.run(
            [*self.prefix, self.pg_ctl, "-D", str(self.data), "-m", "fast", "stop"], capture_output=True
        )
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    """A URL with rights to create databases."""
    if not os.environ.get("SYNC_TEST_PRIVATE_PG"):
        for url in LOCAL_URLS:
            if _reachable(url):
                yield url
                return
    private = PrivatePostgres()
    url = private.start()
    try:
        yield url
    finally:
        private.stop()


@pytest.fixture(scope="session")
def pg_url(pg_admin_url: str) -> Iterator[str]:
    """A fresh database of this session's own."""
    import psycopg

    name = f"sync_test_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base = pg_admin_url.rsplit("/", 1)[0]
    query = ""
    if "?" in pg_admin_url:
        base, query = pg_admin_url.split("?", 1)[0].rsplit("/", 1)[0], "?" + pg_admin_url.split("?", 1)[1]
    yield f"{base}/{name}{query}"
    with psycopg.connect(pg_admin_url, autocommit=True) as conn, contextlib.suppress(psycopg.Error):
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
