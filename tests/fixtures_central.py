"""The central service for tests: ``hubsync serve`` as a real process (uvicorn on a free port) over a
fresh SQLite file or a fresh PostgreSQL database, with clients made the way ``hubsync client add`` does."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from sync.central import auth, schema
from sync.central.db import Database


@pytest.fixture(params=["sqlite", "postgresql"])
def central_db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh central database URL: an SQLite file, or a PostgreSQL database of this test's own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'central.db'}"
        return
    import psycopg

    admin = request.getfixturevalue("pg_admin_url")
    name = f"central_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    base, _, query = admin.partition("?")
    yield f"{base.rsplit('/', 1)[0]}/{name}" + (f"?{query}" if query else "")
    with psycopg.connect(admin, autocommit=True) as conn, contextlib.suppress(psycopg.Error):
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')


def add_client(
    db_url: str, name: str, hubs: tuple[str, ...] = ("*",), scopes: tuple[str, ...] = ("read",)
) -> str:
    db = Database(db_url)
    try:
        schema.create(db)
        return auth.add_client(db, name, hubs, scopes)
    finally:
        db.close()


class CentralProcess:
    """``hubsync serve`` in a process of its own; :meth:`get` calls its API with a client's token."""

    def __init__(
        self, db_url: str, workdir: Path, broker: str | None = None, *args: str, name: str = "c1"
    ) -> None:
        from tests.fixtures_mqtt import (
            free_port,
        )  # (imported late: fixtures_mqtt is a plugin loaded after this)

        self.db_url = db_url
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = workdir / f"central-{name}.log"
        command = [
            sys.executable,
            "-m",
            "sync",
            "-v",
            "serve",
            "--db",
            db_url,
            "--listen",
            f"127.0.0.1:{self.port}",
        ]
        command += ["--name", name, *(["--broker", broker] if broker else []), *args]
        self.command = command
        self.proc: subprocess.Popen[bytes] | None = None
        self.http = httpx.Client(base_url=self.url, timeout=20)

    def start(self) -> CentralProcess:
        from tests.fixtures_mqtt import wait_port

        self.proc = subprocess.Popen(
            self.command, stdout=self.log.open("ab"), stderr=subprocess.STDOUT, env=dict(os.environ)
        )
        try:
            wait_port(self.port, timeout=30)
        except TimeoutError:
            self.stop()
            raise RuntimeError(f"hubsync serve did not start: {self.log.read_text()[-3000:]}") from None
        return self

    def get(self, path: str, token: str, **params: Any) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return self.http.get(path, params=params, headers=headers)

    def post(self, path: str, token: str, body: Any) -> httpx.Response:
        return self.http.post(path, json=body, headers={"Authorization": f"Bearer {token}"})

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
        self.http.close()
