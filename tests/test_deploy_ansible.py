"""The fleet playbook: ansible-lint and --syntax-check clean; run against localhost into a prepared directory
(check mode first, then for real twice: the second run changes nothing). System tasks (apt, users, mounts,
services) are switched off here so this machine's real system is never touched; the release test installs
tiny hand-built wheels into real venvs under the prepared directory and runs their health check."""

from __future__ import annotations

import json
import os
import subprocess
import tomllib
import zipfile
from pathlib import Path

import pytest

from station.runtime.config import parse_config

ROOT = Path(__file__).resolve().parent.parent
ANSIBLE = ROOT / "deploy" / "ansible"
BIN = Path(os.environ.get("VIRTUAL_ENV", ROOT / ".venv")) / "bin"
TIMEOUT = 120


def _tool(name: str) -> str:
    path = BIN / name
    if not path.exists():
        pytest.fail(f"{name} is missing: pip install ansible-core ansible-lint (the test extra)")
    return str(path)


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        args, cwd=ANSIBLE, capture_output=True, text=True, timeout=TIMEOUT, env={**os.environ, **(env or {})}
    )


def test_ansible_lint_is_clean() -> None:
    result = _run(_tool("ansible-lint"), "--offline", "--nocolor", "site.yml")
    assert result.returncode == 0, result.stdout + result.stderr


def test_syntax_check() -> None:
    result = _run(_tool("ansible-playbook"), "-i", "inventory.example.yml", "site.yml", "--syntax-check")
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.fixture
def target(tmp_path: Path) -> tuple[Path, Path]:
    """A prepared target root, an inventory with localhost as a station, and a PKI folder."""
    root = tmp_path / "root"
    root.mkdir()
    pki = tmp_path / "pki"
    pki.mkdir()
    for name in ("ca.crt", "ams-1-counter-9.crt", "ams-1-counter-9.key"):
        (pki / name).write_text(f"test {name}\n")
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(
        "stations:\n  hosts:\n    localhost:\n"
        "      ansible_connection: local\n      ansible_become: false\n"
        "      ansible_python_interpreter: " + str(BIN / "python") + "\n"
        "      hub_id: ams-1\n      station_id: counter-9\n"
        "      hub_printer: tcp://10.0.1.21:9100\n"
        "      hub_broker_url: mqtts://broker.hub.example:8883\n"
        f"      hub_pki_dir: {pki}\n      hub_root: {root}\n"
        "      hub_system_tasks: false\n      hub_install_app: false\n"
        "      hub_user: root\n"
    )
    return root, inventory


def _playbook(inventory: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return _run(
        _tool("ansible-playbook"),
        "-i",
        str(inventory),
        "station.yml",
        *extra,
        env={"ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOCAL_TEMP": str(inventory.parent / "tmp")},
    )


def _recap(output: str) -> dict[str, int]:
    line = next(line for line in output.splitlines() if line.startswith("localhost") and "ok=" in line)
    return {k: int(v) for k, v in (part.split("=") for part in line.split(":", 1)[1].split())}


def test_check_mode_changes_nothing_then_a_real_run_is_idempotent(target: tuple[Path, Path]) -> None:
    root, inventory = target
    check = _playbook(inventory, "--check", "--diff")
    assert check.returncode == 0, check.stdout + check.stderr
    assert _recap(check.stdout)["changed"] > 0 and _recap(check.stdout)["failed"] == 0
    assert not (root / "etc").exists()  # check mode wrote nothing

    first = _playbook(inventory)
    assert first.returncode == 0, first.stdout + first.stderr
    config = root / "etc" / "hubstation" / "station.toml"
    parsed = parse_config(tomllib.loads(config.read_text()), str(config))  # the station accepts it
    assert (parsed.hub, parsed.station, parsed.printer) == ("ams-1", "counter-9", "tcp://10.0.1.21:9100")
    assert parsed.broker is not None and str(parsed.broker.cert) == "/etc/hubstation/station.pem"
    assert (root / "etc/hubstation/station.key").stat().st_mode & 0o777 == 0o640
    assert (root / "etc/udev/rules.d/99-hubstation.rules").exists()
    assert (root / "usr/share/hubstation/firmware-config/scanners").is_dir()
    unit = (root / "etc/systemd/system/hubstation.service").read_text()
    assert "ProtectSystem=strict" in unit and "ReadWritePaths=/var/lib/hubstation" in unit
    assert "SystemMaxUse=200M" in (root / "etc/systemd/journald.conf.d/hubstation.conf").read_text()

    second = _playbook(inventory)
    assert second.returncode == 0, second.stdout + second.stderr
    assert _recap(second.stdout)["changed"] == 0, second.stdout


def _wheel(folder: Path, version: str, exit_code: int) -> Path:
    """A tiny app wheel whose ``python -m hubfake`` exits with ``exit_code``: a release that is healthy (0)
    or not. Built by hand so that the test needs no build backend and no download."""
    folder.mkdir(exist_ok=True)
    path = folder / f"hubfake-{version}-py3-none-any.whl"
    info = f"hubfake-{version}.dist-info"
    files = {
        "hubfake/__init__.py": "",
        "hubfake/__main__.py": f"raise SystemExit({exit_code})\n",
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: hubfake\nVersion: {version}\n",
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = "".join(f"{name},,\n" for name in files) + f"{info}/RECORD,,\n"
    with zipfile.ZipFile(path, "w") as whl:
        for name, text in {**files, f"{info}/RECORD": record}.items():
            whl.writestr(name, text)
    return path


def test_an_upgrade_that_fails_its_health_check_rolls_back(target: tuple[Path, Path], tmp_path: Path) -> None:
    root, inventory = target
    app = root / "opt" / "hubstation"
    health = f"{app}/current/bin/python -m hubfake"

    def release(version: str, exit_code: int) -> subprocess.CompletedProcess[str]:
        wheel = _wheel(tmp_path / "wheels", version, exit_code)
        extra = {"hub_install_app": True, "hub_version": version, "hub_package": str(wheel)}
        return _playbook(
            inventory, "--tags", "release", "-e", json.dumps(extra | {"hub_health_command": health})
        )

    first = release("1.0", 0)
    assert first.returncode == 0, first.stdout + first.stderr
    assert os.readlink(app / "current") == "releases/1.0"

    broken = release("2.0", 3)
    assert broken.returncode != 0
    assert "Release 2.0 failed its health check; rolled back to releases/1.0." in broken.stdout
    assert os.readlink(app / "current") == "releases/1.0"
    assert subprocess.run([*health.split()], check=False).returncode == 0  # the old release runs again

    fixed = release("2.1", 0)
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert os.readlink(app / "current") == "releases/2.1"
    assert os.readlink(app / "previous") == "releases/1.0"
    assert sorted(p.name for p in (app / "releases").iterdir()) == ["1.0", "2.1"]  # the failed one is gone
