"""The systemd units pass ``systemd-analyze verify`` inside a prepared root, and carry the hardening."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.system_packages import ensure

ROOT = Path(__file__).resolve().parent.parent
UNITS = ("hubstation.service", "hubstation-receiver.service")


@pytest.fixture
def system_root(tmp_path: Path) -> Path:
    """A root with the units installed where Ansible puts them, their programs, and systemd's own units."""
    units = tmp_path / "etc/systemd/system"
    units.mkdir(parents=True)
    for name in UNITS:
        shutil.copy(ROOT / "deploy/systemd" / name, units / name)
    bin_dir = tmp_path / "opt/hubstation/current/bin"
    bin_dir.mkdir(parents=True)
    for program in ("station", "hubsync"):
        shutil.copy("/bin/true", bin_dir / program)
    (tmp_path / "usr/lib/systemd").mkdir(parents=True)
    (tmp_path / "usr/lib/systemd/system").symlink_to("/usr/lib/systemd/system")
    return tmp_path


def test_units_verify(system_root: Path) -> None:
    analyze = ensure("systemd-analyze")["systemd-analyze"]
    paths = [str(system_root / "etc/systemd/system" / n) for n in UNITS]
    result = subprocess.run(
        [analyze, "verify", f"--root={system_root}", *paths], capture_output=True, text=True, timeout=30
    )
    ours = [line for line in result.stderr.splitlines() if any(n in line for n in UNITS)]
    assert result.returncode == 0 and ours == [], result.stderr


def test_verify_catches_a_broken_unit(system_root: Path) -> None:
    analyze = ensure("systemd-analyze")["systemd-analyze"]
    unit = system_root / "etc/systemd/system/hubstation.service"
    unit.write_text(unit.read_text().replace("Restart=on-failure", "Restart=sometimes"))
    result = subprocess.run(
        [analyze, "verify", f"--root={system_root}", str(unit)], capture_output=True, text=True, timeout=30
    )
    assert "hubstation.service:" in result.stderr and "restart specifier" in result.stderr


def test_station_unit_is_hardened_with_only_the_data_dir_writable() -> None:
    text = (ROOT / "deploy/systemd/hubstation.service").read_text()
    for line in (
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ReadWritePaths=/var/lib/hubstation",
        "PrivateTmp=yes",
        "Restart=on-failure",
        "User=hubstation",
        "ExecStart=/opt/hubstation/current/bin/station run --kiosk",
    ):
        assert line in text.splitlines()
