"""Files that hold patient data are never readable by every account on the server (SPEC 4).

The rules, for the database and its ``-wal``/``-shm``, the keyring file, exports and backups:

- A file pctui creates is ``0600`` (its owner only) — or ``0660`` when it is created in a
  *shared folder*: one with the setgid bit, whose group every file inside inherits (README,
  "A database shared by several accounts"). A new keyring file follows its database: ``0660``
  in the database's group when the database is group-readable, else ``0600``.
- The process umask never widens or narrows that: modes are set explicitly after creation.
- An existing file keeps the group access an admin gave it. pctui only ever takes *world*
  access away, and only from files its account owns (another account's file cannot be changed
  and is left as it is).
- SQLite creates ``-wal`` and ``-shm`` with the database file's own mode, so they follow it.
"""

from __future__ import annotations

import os
import stat
import uuid
from pathlib import Path

PRIVATE_MODE = 0o600
SHARED_MODE = 0o660
PRIVATE_FOLDER_MODE = 0o700
WORLD = 0o007


def is_shared_folder(folder: Path) -> bool:
    """A folder set up for a group: files created inside belong to the folder's group."""
    try:
        return bool(os.stat(folder).st_mode & stat.S_ISGID)
    except OSError:
        return False


def mode_for_new_file(folder: Path) -> int:
    return SHARED_MODE if is_shared_folder(folder) else PRIVATE_MODE


def companion_mode(of: Path) -> tuple[int, int | None]:
    """Mode and group for a new file that belongs with ``of`` (the keyring beside a database):
    group read/write in ``of``'s group when ``of`` is group-readable, else owner only."""
    try:
        st = os.stat(of)
    except OSError:
        return mode_for_new_file(of.parent), None
    if st.st_mode & 0o040:
        return SHARED_MODE, st.st_gid
    return PRIVATE_MODE, None


def create_exclusive(path: Path, mode: int) -> int:
    """Create ``path`` (it must not exist) with exactly ``mode``, whatever the umask; returns an
    open write descriptor."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), mode)
    try:
        os.fchmod(fd, mode)
    except OSError:
        os.close(fd)
        os.unlink(path)
        raise
    return fd


def set_group(path: Path, gid: int | None) -> None:
    """Give ``path`` group ``gid`` when this account may (it owns the file and is a member)."""
    if gid is None:
        return
    try:
        if os.stat(path).st_gid != gid:
            os.chown(path, -1, gid)
    except OSError:
        pass  # not a member of that group: the file keeps the creator's group


def without_world_access(path: Path) -> None:
    """Take world read/write/execute away from ``path`` if it has any and this account owns it;
    group bits stay as an admin set them."""
    try:
        st = os.stat(path)
    except OSError:
        return
    if not st.st_mode & WORLD or st.st_uid != os.geteuid():
        return
    try:
        os.chmod(path, stat.S_IMODE(st.st_mode) & ~WORLD)
    except OSError:
        pass


def make_private_folder(folder: Path) -> None:
    """Create ``folder`` (and missing parents) readable by its owner only."""
    missing: list[Path] = []
    probe = folder
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    folder.mkdir(parents=True, exist_ok=True, mode=PRIVATE_FOLDER_MODE)
    for created in missing:
        try:
            os.chmod(created, PRIVATE_FOLDER_MODE)
        except OSError:
            pass


def write_private(target: Path, data: bytes, *, mode: int | None = None) -> None:
    """Write ``data`` to ``target`` whole or not at all (a reader never sees half a file), with
    ``mode`` (default: 0600, or 0660 in a shared folder)."""
    target = Path(target)
    mode = mode_for_new_file(target.parent) if mode is None else mode
    temp = target.with_name(f".{target.name}.{uuid.uuid4().hex[:8]}.partial")
    fd = create_exclusive(temp, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def share_with_group(db_path: Path, group: str) -> list[str]:
    """Set up the database's folder and files for every member of ``group`` (README, "A
    database shared by several accounts"): the folder group-owned with the setgid bit (2770),
    so what pctui creates inside later belongs to the group too, and the database, its
    ``-wal``/``-shm`` and keyring files group read/write (0660), never world. Returns what was
    done, one line each; raises OSError (e.g. not the owner, not a member of the group)."""
    import grp

    try:
        gid = grp.getgrnam(group).gr_gid
    except KeyError:
        raise FileNotFoundError(f"there is no group named {group!r} on this server") from None
    done: list[str] = []
    folder = db_path.parent
    os.chown(folder, -1, gid)
    os.chmod(folder, 0o2770)
    done.append(f"{folder}: group {group}, mode 2770 (setgid: new files belong to {group})")
    for path in (db_path, Path(f"{db_path}-wal"), Path(f"{db_path}-shm"),
                 Path(f"{db_path}.keyring.cfg"), Path(f"{db_path}.keyring.cfg.lock")):
        if path.exists():
            os.chown(path, -1, gid)
            os.chmod(path, SHARED_MODE)
            done.append(f"{path}: group {group}, mode 0660")
    return done
