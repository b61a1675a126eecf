"""The central service's deployment: its systemd unit verifies and calls ``hubsync serve`` with options it
has; the Ansible central playbook, run into a prepared root, installs the unit and its settings (the
station playbook's test checks that a second run changes nothing)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests.system_packages import ensure
from tests.test_deploy_ansible import BIN, _run, _tool

ROOT = Path(__file__).resolve().parent.parent
UNIT = ROOT / "deploy/systemd/hubstation-central.service"


def test_unit_verifies_and_its_options_exist(tmp_path: Path) -> None:
    units = tmp_path / "etc/systemd/system"
    units.mkdir(parents=True)
    shutil.copy(UNIT, units / UNIT.name)
    bin_dir = tmp_path / "opt/hubstation/current/bin"
    bin_dir.mkdir(parents=True)
    shutil.copy("/bin/true", bin_dir / "hubsync")
    (tmp_path / "usr/lib/systemd").mkdir(parents=True)
    (tmp_path / "usr/lib/systemd/system").symlink_to("/usr/lib/systemd/system")
    analyze = ensure("systemd-analyze")["systemd-analyze"]
    result = subprocess.run(
        [analyze, "verify", f"--root={tmp_path}", str(units / UNIT.name)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 0 and UNIT.name not in result.stderr, result.stderr

    text = UNIT.read_text()
    assert "ProtectSystem=strict" in text and "NoNewPrivileges=yes" in text
    command = next(line for line in text.splitlines() if line.startswith("ExecStart="))
    helptext = subprocess.run(
        [sys.executable, "-m", "sync", "serve", "--help"], capture_output=True, text=True, timeout=60
    ).stdout
    for option in re.findall(r"(--[a-z-]+)", command):
        assert option in helptext, f"{option} is not an option of hubsync serve"


def test_central_playbook_installs_the_service(tmp_path: Path) -> None:
    root = tmp_path / "root"
    root.mkdir()
    pki = tmp_path / "pki"
    pki.mkdir()
    for name in (
        "ca.crt",
        "server.crt",
        "server.key",
        "acl",
        "receiver-central-1.crt",
        "receiver-central-1.key",
        "oms-central.crt",
        "oms-central.key",
    ):
        (pki / name).write_text(f"test {name}\n")
    inventory = tmp_path / "inventory.yml"
    inventory.write_text(
        "central:\n  hosts:\n    localhost:\n"
        "      ansible_connection: local\n      ansible_become: false\n"
        f"      ansible_python_interpreter: {BIN / 'python'}\n"
        "      hub_broker_url: mqtts://broker.hub.example:8883\n"
        "      hub_sink: postgresql://hubreceiver@db.hub.example/hubcentral\n"
        f"      hub_pki_dir: {pki}\n      hub_root: {root}\n"
        "      hub_system_tasks: false\n      hub_install_app: false\n"
    )
    env = {
        "ANSIBLE_NOCOLOR": "1",
        "ANSIBLE_LOCAL_TEMP": str(tmp_path / "tmp"),
        "HOME": os.environ.get("HOME", ""),
    }
    first = _run(_tool("ansible-playbook"), "-i", str(inventory), "central.yml", env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    settings = (root / "etc/hubstation/central.env").read_text()
    assert "CENTRAL_DB=postgresql://hubreceiver@db.hub.example/hubcentral" in settings
    assert (
        "PUBLISHER_CERT=/etc/mosquitto/pki/oms-central.crt" in settings
        and "LISTEN=127.0.0.1:8080" in settings
    )
    assert (root / "etc/systemd/system/hubstation-central.service").read_text() == UNIT.read_text()
