"""Where a file's bytes come from: only regular files, read in chunks, up to a size limit.

A named pipe (FIFO) would make a reader wait forever for a writer, and a device such as
``/dev/zero`` never ends: both are refused by name before a byte is read. The check is made on
the opened file itself (opened without blocking), so a path swapped for a pipe in between is
caught too. Files larger than :func:`max_file_bytes` are refused naming the limit (a file that
grows past it while being read is refused at that point).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

from pctui.x12.errors import FileRejected

CHUNK_BYTES = 1 << 20
DEFAULT_MAX_MB = 1024
MAX_MB_VARIABLE = "PCTUI_IMPORT_MAX_MB"


def max_file_bytes() -> int:
    """The size limit: ``PCTUI_IMPORT_MAX_MB`` megabytes (default 1,024, i.e. 1 GB)."""
    raw = os.environ.get(MAX_MB_VARIABLE, "").strip()
    megabytes = int(raw) if raw.isdigit() and int(raw) > 0 else DEFAULT_MAX_MB
    return megabytes << 20


def _megabytes(size: int) -> str:
    return f"{size / (1 << 20):,.1f} MB"


def size_refusal(size: int) -> FileRejected:
    limit = max_file_bytes()
    return FileRejected(
        f"the file is larger than pctui's size limit for one file ({_megabytes(limit)}; it is "
        f"at least {_megabytes(size)}); split it, or raise the limit with "
        f"{MAX_MB_VARIABLE}=<megabytes>")  # fmt: skip


def _kind_of(mode: int) -> str:
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "not a regular file"


def not_regular(mode: int) -> FileRejected:
    what = _kind_of(mode)
    if what == "a folder":
        return FileRejected("this is a folder, not a file")
    return FileRejected(
        f"this is {what}, not a regular file: only regular files are read")  # fmt: skip


def check_path(path: Path) -> None:
    """Refuse what is not a regular file of allowed size, without opening it."""
    try:
        info = path.stat()
    except FileNotFoundError:
        raise FileRejected("file not found") from None
    except PermissionError:
        raise FileRejected("permission denied reading the file") from None
    except OSError as exc:
        raise FileRejected(f"cannot read the file: {exc.strerror}") from None
    if not stat.S_ISREG(info.st_mode):
        raise not_regular(info.st_mode)
    if info.st_size > max_file_bytes():
        raise size_refusal(info.st_size)


class FileChunks:
    """The bytes of one regular file, chunk by chunk; use as a context manager."""

    def __init__(self, path: Path) -> None:
        check_path(path)
        try:
            # Non-blocking: opening a FIFO put there after the check must not hang.
            self.fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) |
                              getattr(os, "O_NOCTTY", 0))  # fmt: skip
        except FileNotFoundError:
            raise FileRejected("file not found") from None
        except PermissionError:
            raise FileRejected("permission denied reading the file") from None
        except OSError as exc:
            raise FileRejected(f"cannot read the file: {exc.strerror}") from None
        info = os.fstat(self.fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(self.fd)
            raise not_regular(info.st_mode)

    def __enter__(self) -> FileChunks:
        return self

    def __exit__(self, *_exc: object) -> None:
        os.close(self.fd)

    def __iter__(self) -> Iterator[bytes]:
        limit = max_file_bytes()
        total = 0
        while True:
            try:
                chunk = os.read(self.fd, CHUNK_BYTES)
            except OSError as exc:
                raise FileRejected(f"cannot read the file: {exc.strerror}") from None
            if not chunk:
                return
            total += len(chunk)
            if total > limit:
                raise size_refusal(total)
            yield chunk


def byte_chunks(data: bytes) -> Iterator[bytes]:
    """Bytes already in memory, in the same chunks a file is read in."""
    if len(data) > max_file_bytes():
        raise size_refusal(len(data))
    view = memoryview(data)
    for start in range(0, len(data), CHUNK_BYTES):
        yield bytes(view[start : start + CHUNK_BYTES])
