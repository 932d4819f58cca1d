"""Real read-only, tiny and failing filesystems for disk-failure tests.

The suite runs as root, and ``chmod`` does not stop root from writing, so a read-only directory
has to be a read-only *mount*, a full disk a small tmpfs, and a failing disk an ext4 image
that is shut down mid-session. All need ``mount`` (root with
CAP_SYS_ADMIN, as in the CI container); without it the tests skip and say why.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import shutil
import struct
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, check=False)


def _can_mount(probe: Path) -> str | None:
    """None when tmpfs mounts work here, else the reason they do not."""
    if shutil.which("mount") is None or shutil.which("umount") is None:
        return "mount/umount are not installed"
    if os.geteuid() != 0:
        return "mounting needs root"
    probe.mkdir(parents=True, exist_ok=True)
    done = _run("mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(probe))
    if done.returncode != 0:
        return f"mount is not permitted here ({done.stderr.strip()})"
    _run("umount", str(probe))
    return None


def _umount(path: Path) -> None:
    done = _run("umount", str(path))
    if done.returncode != 0:
        _run("umount", "-l", str(path))  # busy (a killed child's fd): detach lazily


@contextlib.contextmanager
def tmpfs(path: Path, size: str) -> Iterator[Path]:
    """A tmpfs of ``size`` (e.g. ``64k``, ``2m``) mounted at ``path``."""
    reason = _can_mount(path.with_name(path.name + "-probe"))
    if reason:
        pytest.skip(f"needs a real tmpfs: {reason}")
    path.mkdir(parents=True, exist_ok=True)
    done = _run("mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(path))
    assert done.returncode == 0, done.stderr
    try:
        yield path
    finally:
        _umount(path)


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[Path]:
    """``path`` (an existing directory) bind-mounted onto itself read-only."""
    reason = _can_mount(path.with_name(path.name + "-probe"))
    if reason:
        pytest.skip(f"needs a read-only bind mount: {reason}")
    done = _run("mount", "--bind", "-o", "ro", str(path), str(path))
    assert done.returncode == 0, done.stderr
    try:
        yield path
    finally:
        _umount(path)


def make_ext4(image: Path, size: str = "16M") -> Path:
    """A fresh ext4 filesystem in an image file (mount it with :func:`loop_mount`)."""
    reason = _can_mount(image.with_name(image.name + "-probe"))
    if reason:
        pytest.skip(f"needs a loop-mounted ext4 image: {reason}")
    if shutil.which("mkfs.ext4") is None:
        pytest.skip("needs mkfs.ext4 (e2fsprogs) for a loop-mounted image")
    done = _run("truncate", "-s", size, str(image))
    assert done.returncode == 0, done.stderr
    done = _run("mkfs.ext4", "-q", "-F", str(image))
    assert done.returncode == 0, done.stderr
    return image


@contextlib.contextmanager
def loop_mount(image: Path, path: Path) -> Iterator[Path]:
    """Mount a filesystem image at ``path``; unmounting then remounting it shows exactly what
    reached the disk, as after a reboot."""
    path.mkdir(parents=True, exist_ok=True)
    done = _run("mount", "-o", "loop", str(image), str(path))
    if done.returncode != 0:
        pytest.skip(f"loop mounts are not permitted here ({done.stderr.strip()})")
    try:
        yield path
    finally:
        _umount(path)


#: EXT4_IOC_SHUTDOWN = _IOR('X', 125, __u32); flag 2 = EXT4_GOING_FLAGS_NOLOGFLUSH.
_EXT4_IOC_SHUTDOWN = 0x8004587D


def shut_down(filesystem: Path) -> None:
    """Make an ext4 filesystem fail every further write with EIO, as a dying disk does."""
    probe = filesystem / ".shutdown-probe"
    fd = os.open(probe, os.O_RDONLY | os.O_CREAT, 0o644)
    try:
        fcntl.ioctl(fd, _EXT4_IOC_SHUTDOWN, struct.pack("I", 2))
    finally:
        os.close(fd)


def fill(directory: Path, name: str = "filler") -> Path:
    """Write zeros into ``directory`` until its filesystem says ENOSPC; returns the file."""
    filler = directory / name
    block = b"\0" * 4096
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    try:
        while True:
            try:
                os.write(fd, block)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                break
        # Take the last sub-page bytes too, so no free block is left for anyone.
        for size in (2048, 1024, 512, 256, 128, 64, 32, 16, 8, 4, 2, 1):
            with contextlib.suppress(OSError):
                os.write(fd, block[:size])
    finally:
        os.close(fd)
    return filler
