"""Install the system programs the tests need (mosquitto, Xvfb, cupsd, PostgreSQL) when they are missing.

The README's test command must work on a fresh Debian / Raspberry Pi OS machine, so the test session
installs what it needs with apt-get when it runs as root; otherwise it says which packages to install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
from pathlib import Path

_lock = threading.Lock()
_updated = False

#: program -> Debian package that provides it
PROGRAMS = {
    "mosquitto": "mosquitto",
    "mosquitto_pub": "mosquitto-clients",
    "Xvfb": "xvfb",
    "cupsd": "cups",
    "lpadmin": "cups-client",
    "lpstat": "cups-client",
    "lpr": "cups-bsd",
    "openssl": "openssl",
    "pg_ctl": "postgresql",
    "systemd-analyze": "systemd",
    "node": "nodejs",
    "npm": "npm",
    "chromium": "chromium",
    "chromedriver": "chromium-driver",
}

_EXTRA_PATHS = ("/usr/sbin", "/sbin")


def find_program(name: str) -> str | None:
    """The program's path, looking in sbin too (mosquitto and cupsd live there) and PostgreSQL's bin."""
    found = shutil.which(name)
    if found:
        return found
    candidates = [Path(p) / name for p in _EXTRA_PATHS]
    candidates += sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), reverse=True)
    for candidate in candidates:
        if candidate.exists():
            return str(candidate)
    return None


def _apt_install(packages: list[str], why: str) -> None:
    """apt-get install ``packages`` (as root), or say which to install and stop. Call with ``_lock`` held."""
    global _updated
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise RuntimeError(
            f"The tests need {why}: install the packages {' '.join(packages)} "
            "(sudo apt-get install ...) and run the tests again."
        )
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    if not _updated:
        subprocess.run(["apt-get", "update", "-q"], check=True, env=env, stdout=subprocess.DEVNULL)
        _updated = True
    subprocess.run(
        ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
        check=True,
        env=env,
        stdout=subprocess.DEVNULL,
    )


def ensure(*programs: str) -> dict[str, str]:
    """Paths of ``programs``, installing their Debian packages first when they are missing."""
    with _lock:
        missing = [p for p in programs if find_program(p) is None]
        if missing:
            _apt_install(sorted({PROGRAMS[p] for p in missing}), ", ".join(missing))
        paths = {}
        for p in programs:
            path = find_program(p)
            if path is None:
                raise RuntimeError(f"{p} is still missing after installing {PROGRAMS[p]}.")
            paths[p] = path
        return paths


def _deb_installed(package: str) -> bool:
    result = subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", package], capture_output=True, text=True, check=False
    )
    return result.stdout.strip() == "install ok installed"


def ensure_debs(*packages: str) -> None:
    """Install Debian packages that hold no program to look for (Mesa's GL drivers, say) when missing."""
    with _lock:
        missing = [p for p in packages if not _deb_installed(p)]
        if missing:
            _apt_install(missing, "Mesa's OpenGL drivers and other libraries")
