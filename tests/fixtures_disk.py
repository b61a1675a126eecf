"""Real small filesystems for disk-full tests: a 1 MB tmpfs mounted in the test's folder (root only)."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture
def small_tmpfs(tmp_path: Path) -> Iterator[Path]:
    """A 1 MB tmpfs, world-writable; skipped with the reason where this machine refuses the mount."""
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root; this run is not root")
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m,mode=1777", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.skip(f"this machine refuses to mount a tmpfs: {done.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill_up(folder: Path) -> Path:
    """Fill the filesystem under ``folder`` to its last byte; the filler file, to delete for space."""
    filler = folder / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND)
    try:
        for size in (65536, 4096, 512, 1):
            try:
                while True:
                    os.write(fd, b"\0" * size)
            except OSError:
                continue
    finally:
        os.close(fd)
    assert os.statvfs(folder).f_bavail == 0
    return filler


class FailingDisk:
    """An ext4 filesystem on a loop device whose far end can be cut off: reads there fail with EIO."""

    def __init__(self, image: Path, device: str, mount: Path) -> None:
        self.image, self.device, self.mount = image, device, mount

    def fail_beyond(self, size: str, *files: Path) -> None:
        """Shrink the device to ``size``; drop the page cache of ``files`` so their reads reach it."""
        fds = [os.open(file, os.O_RDONLY) for file in files]
        try:
            for fd in fds:
                os.fsync(fd)  # all written while the device still works
            subprocess.run(["truncate", "-s", size, str(self.image)], check=True)
            subprocess.run(["losetup", "-c", self.device], check=True)
            for fd in fds:
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        finally:
            for fd in fds:
                os.close(fd)


@pytest.fixture
def failing_disk(tmp_path: Path) -> Iterator[FailingDisk]:
    """An 8 MB ext4 on a loop device; skipped with the reason where this machine cannot make one."""
    if os.geteuid() != 0:
        pytest.skip("a loop device needs root; this run is not root")
    image, mount = tmp_path / "disk.img", tmp_path / "disk"
    mount.mkdir()
    subprocess.run(["truncate", "-s", "8M", str(image)], check=True)
    made = subprocess.run(["mkfs.ext4", "-q", "-F", str(image)], capture_output=True, text=True)
    attached = subprocess.run(["losetup", "-f", "--show", str(image)], capture_output=True, text=True)
    if made.returncode != 0 or attached.returncode != 0:
        pytest.skip(f"no loop device with ext4 here: {made.stderr.strip()} {attached.stderr.strip()}")
    device = attached.stdout.strip()
    mounted = subprocess.run(["mount", device, str(mount)], capture_output=True, text=True)
    if mounted.returncode != 0:
        subprocess.run(["losetup", "-d", device], check=False)
        pytest.skip(f"this machine refuses to mount a loop device: {mounted.stderr.strip()}")
    try:
        yield FailingDisk(image, device, mount)
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)
        subprocess.run(["losetup", "-d", device], check=False)
