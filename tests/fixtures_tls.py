"""A real mosquitto on the deploy config with TLS and ACLs, and certificates made by deploy/pki/pki.sh."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from sync.settings import TlsFiles
from tests.fixtures_mqtt import Broker, free_port
from tests.system_packages import ensure

ROOT = Path(__file__).resolve().parent.parent
PKI = ROOT / "deploy" / "pki" / "pki.sh"


def pki(directory: Path, *args: str) -> None:
    subprocess.run(["sh", str(PKI), str(directory), *args], check=True, capture_output=True)


def deploy_conf(pki_dir: Path, data_dir: Path, port: int) -> str:
    """deploy/mosquitto/mosquitto.conf with this test's port and paths (what Ansible templates)."""
    conf = (ROOT / "deploy" / "mosquitto" / "mosquitto.conf").read_text()
    return (
        conf.replace("listener 8883", f"listener {port} 127.0.0.1")
        .replace("/etc/mosquitto/pki/", f"{pki_dir}/")
        .replace("/var/lib/mosquitto/", f"{data_dir}/")
        .replace("log_dest syslog", f"log_dest file {data_dir}/mosquitto.log")
    )


@dataclass
class TlsWorld:
    broker: Broker
    pki: Path
    other_pki: Path

    @property
    def url(self) -> str:
        return f"mqtts://localhost:{self.broker.port}"

    def files(self, stem: str | None, pki_dir: Path | None = None) -> TlsFiles:
        d = pki_dir or self.pki
        if stem is None:
            return TlsFiles(ca=self.pki / "ca.crt")
        return TlsFiles(ca=self.pki / "ca.crt", cert=d / f"{stem}.crt", key=d / f"{stem}.key")


def make_tls_world(
    root: Path, stations: tuple[str, ...] = ("s1", "s2"), receivers: tuple[str, ...] = ("r1",)
) -> TlsWorld:
    """Certificates for hub h1's ``stations``, the ``receivers`` and OMS 'ops', and a started broker."""
    ensure("openssl", "mosquitto")
    pki_dir, other = root / "pki", root / "other-pki"
    pki(pki_dir, "ca")
    pki(pki_dir, "server", "localhost", "127.0.0.1")
    for station in stations:
        pki(pki_dir, "station", "h1", station)
    for receiver in receivers:
        pki(pki_dir, "receiver", receiver)
    pki(pki_dir, "oms", "ops")
    pki(other, "ca")  # a CA the broker does not trust
    pki(other, "station", "h1", "s1")
    port = free_port()
    data = root / "data"
    data.mkdir()
    broker = Broker(data, conf=deploy_conf(pki_dir, data, port), port=port).start()
    return TlsWorld(broker, pki_dir, other)


@pytest.fixture(scope="module")
def tls_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsWorld]:
    world = make_tls_world(tmp_path_factory.mktemp("tls"))
    yield world
    world.broker.stop()
