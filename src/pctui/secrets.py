"""Payer API keys in a keyring, and the headless fallback. Nothing else.

Order of choice, made explicitly (installing keyrings.cryptfile registers an entry point that
could otherwise change keyring's automatic pick for the whole environment):

1. ``PCTUI_KEYRING=memory`` — an in-process keyring (tests, throwaway demos).
2. The OS keyring (Secret Service over D-Bus, macOS Keychain, Windows Credential Locker) when
   ``PCTUI_KEYRING`` is unset or ``os`` and one is available.
3. Otherwise (headless server: no D-Bus, ``NoKeyringError``) an encrypted file beside the
   database, ``<db>.keyring.cfg``, shared by every user of that database. It is unlocked with a
   passphrase from ``PCTUI_KEYRING_PASSPHRASE`` or typed into the app's unlock dialog; never a
   terminal prompt (``getpass`` would corrupt the Textual screen).
   ``PCTUI_KEYRING_FILE`` names the file explicitly. A PostgreSQL database has no "beside":
   there the file is wherever ``PCTUI_KEYRING_FILE`` says (for several application hosts, a
   shared filesystem that each host mounts), and without it the file keyring stays locked with
   a message saying so. The keyring never goes into the database.

Keys are stored under service ``pctui:<database id>`` and username ``connection:<id>``.

File modes (SPEC 4): a new keyring file follows its database — ``0660`` in the database's group
when the database is group-readable (a shared setup), else ``0600``. An existing file keeps the
group access an admin gave it (pctui only takes world access away, and only from its own
files), so another member of the group can unlock it. A wrong passphrase in
``PCTUI_KEYRING_PASSPHRASE`` is remembered as :attr:`SecretStore.passphrase_problem` for the
CLI and the app to report — never silently "locked".
"""

from __future__ import annotations

import fcntl
import os
import stat
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path

import keyring
from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, NoKeyringError, PasswordDeleteError

from pctui.store import files

PASSPHRASE_ENV = "PCTUI_KEYRING_PASSPHRASE"
BACKEND_ENV = "PCTUI_KEYRING"
FILE_ENV = "PCTUI_KEYRING_FILE"
NO_FILE = (f"no keyring file is set: the database is on a server, so set {FILE_ENV} to the "
           "encrypted keyring file (on a filesystem every pctui host shares)")


def keyring_file_for(db_path: Path | None) -> Path | None:
    """``PCTUI_KEYRING_FILE`` if set, else ``<db>.keyring.cfg`` beside a SQLite file, else None
    (a database on a server: the place must be set explicitly)."""
    explicit = os.environ.get(FILE_ENV, "").strip()
    if explicit:
        return Path(explicit).expanduser()
    return Path(f"{db_path}.keyring.cfg") if db_path is not None else None


class KeyringLocked(RuntimeError):
    """The encrypted-file keyring needs its passphrase before keys can be read or written."""


class KeyringUnavailable(RuntimeError):
    """No keyring could be used; the message says why (never includes a secret)."""


class KeyringKind(StrEnum):
    MEMORY = "memory"
    OS = "os"
    FILE = "file"


class MemoryKeyring(KeyringBackend):
    """Keys held in this process only. For tests and demos; nothing survives a restart."""

    priority = 0  # never picked automatically

    def __init__(self) -> None:
        super().__init__()
        self._items: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self._items.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self._items[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        if self._items.pop((service, username), None) is None:
            raise PasswordDeleteError(username)


def key_hint(secret: str) -> str:
    """What the screen and database may show of a key: its last 4 characters, if it is long
    enough that 4 characters leave most of it hidden."""
    tail = secret[-4:] if len(secret) >= 12 else ""
    return f"••••{tail}"


OS_KEYRING_PROBE_SECONDS = 3.0


def _os_keyring() -> KeyringBackend | None:
    """The platform keyring if one answers within a few seconds, else None.

    Over SSH a Secret Service whose collection is locked can wait forever for an unlock prompt
    nobody sees; the probe runs in a daemon thread and gives up after
    ``OS_KEYRING_PROBE_SECONDS`` so pctui falls back to the encrypted file instead of hanging.
    """
    found: list[KeyringBackend | None] = []
    probe = threading.Thread(target=lambda: found.append(_probe_os_keyring()), daemon=True)
    probe.start()
    probe.join(OS_KEYRING_PROBE_SECONDS)
    return found[0] if found else None


def _probe_os_keyring() -> KeyringBackend | None:
    try:
        from keyring.backends import chainer, fail

        backend = keyring.core.load_env() or None
        if backend is None:
            candidates = [
                b
                for b in keyring.backend.get_all_keyring()
                if b.priority > 0  # type: ignore[operator]
                and not isinstance(b, (fail.Keyring, chainer.ChainerBackend, MemoryKeyring))
                and type(b).__module__.startswith("keyring.backends")
            ]
            backend = max(candidates, key=lambda b: b.priority, default=None)  # type: ignore[arg-type]
        if backend is not None:
            backend.get_password("pctui:probe", "probe")  # a locked collection blocks here
        return backend
    except Exception:  # noqa: BLE001 - any probe failure means "no OS keyring"
        return None


class SecretStore:
    """API keys of payer connections, for one database."""

    def __init__(self, kind: KeyringKind, backend: KeyringBackend | None, service: str,
                 file_path: Path | None = None) -> None:
        self.kind = kind
        self._backend = backend
        self.service = service
        self.file_path = file_path
        self._lock = threading.Lock()
        # Why the passphrase from PCTUI_KEYRING_PASSPHRASE did not unlock the file, if it did not.
        self.passphrase_problem: str | None = None

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def for_database(cls, db_path: Path | None, database_id: str) -> SecretStore:
        """The keyring for a database: ``db_path`` is its SQLite file, None on PostgreSQL."""
        service = f"pctui:{database_id}"
        choice = os.environ.get(BACKEND_ENV, "").strip().lower()
        if choice == KeyringKind.MEMORY:
            return cls(KeyringKind.MEMORY, MemoryKeyring(), service)
        if choice in ("", KeyringKind.OS):
            backend = _os_keyring()
            if backend is not None:
                return cls(KeyringKind.OS, backend, service)
        store = cls(KeyringKind.FILE, None, service, keyring_file_for(db_path))
        passphrase = os.environ.get(PASSPHRASE_ENV)
        if passphrase:
            try:
                store.unlock(passphrase)
            except KeyringLocked as exc:  # the app shows it and asks again; the CLI says so
                store.passphrase_problem = f"{PASSPHRASE_ENV} did not unlock the keyring: {exc}"
        return store

    @classmethod
    def in_memory(cls, service: str = "pctui:test") -> SecretStore:
        return cls(KeyringKind.MEMORY, MemoryKeyring(), service)

    # -- state ----------------------------------------------------------------------------

    @property
    def locked(self) -> bool:
        return self._backend is None

    @property
    def why_locked(self) -> str:
        """What to do about a locked keyring, in words: set the file's place (a database on a
        server has none by default), or give its passphrase."""
        if self.kind is KeyringKind.FILE and self.file_path is None:
            return NO_FILE
        if self.passphrase_problem:
            return self.passphrase_problem
        return (f"the keyring is locked: set {PASSPHRASE_ENV} to its passphrase (or unlock it "
                "in the app)")

    @property
    def file_is_explicit(self) -> bool:
        """The file's place was set with PCTUI_KEYRING_FILE (not beside a SQLite database)."""
        return bool(os.environ.get(FILE_ENV, "").strip())

    @property
    def file_exists(self) -> bool:
        return self.file_path is not None and self.file_path.exists()

    def describe(self) -> str:
        if self.kind is KeyringKind.MEMORY:
            return "in-memory keyring (keys are lost when pctui exits)"
        if self.kind is KeyringKind.OS:
            return f"OS keyring ({type(self._backend).__module__.rsplit('.', 1)[-1]})"
        if self.file_path is None:
            return f"encrypted file (none set: {FILE_ENV})"
        state = "locked" if self.locked else "unlocked"
        return f"encrypted file {self.file_path} ({state})"

    def unlock(self, passphrase: str) -> None:
        """Unlock (or create, on first use) the encrypted-file keyring.

        Raises KeyringLocked with a plain reason on a wrong or empty passphrase.
        """
        if self.kind is not KeyringKind.FILE:
            return
        if self.file_path is None:
            raise KeyringLocked(NO_FILE)
        if not passphrase or not passphrase.strip():
            raise KeyringLocked("the passphrase is empty")
        from keyrings.cryptfile.cryptfile import CryptFileKeyring

        assert self.file_path is not None
        existed = self.file_path.exists()
        if existed and not os.access(self.file_path, os.R_OK):
            # keyrings.cryptfile would take an unreadable file for a missing one and write over it
            raise KeyringLocked(
                f"cannot read {self.file_path}: permission denied (a shared keyring must be "
                "readable by the database's group: README, shared setup)")
        backend = CryptFileKeyring()
        backend.file_path = str(self.file_path)
        try:
            # Setting keyring_key verifies it against the file, or creates the file.
            backend.keyring_key = passphrase
        except (ValueError, AssertionError) as exc:
            raise KeyringLocked("wrong passphrase for the encrypted keyring file") from exc
        except OSError as exc:
            raise KeyringLocked(f"cannot use {self.file_path}: {exc.strerror}") from exc
        if not existed and self.file_path.exists():
            mode, group = files.companion_mode(self.database_path)
            files.set_group(self.file_path, group)
            try:
                os.chmod(self.file_path, mode)
            except OSError:
                pass
        files.without_world_access(self.file_path)  # never chmod back to 0600: group stays
        with self._lock:
            self._backend = backend
            self.passphrase_problem = None

    @property
    def database_path(self) -> Path:
        assert self.file_path is not None
        return self.file_path.with_name(self.file_path.name.removesuffix(".keyring.cfg"))

    def lock(self) -> None:
        if self.kind is KeyringKind.FILE:
            with self._lock:
                self._backend = None

    # -- keys -----------------------------------------------------------------------------

    @staticmethod
    def _username(connection_id: int) -> str:
        return f"connection:{connection_id}"

    def _require(self) -> KeyringBackend:
        backend = self._backend
        if backend is None and self.file_path is None:
            raise KeyringLocked(NO_FILE)
        if backend is None:
            raise KeyringLocked(
                f"the keyring is locked: unlock it in the app, or set {PASSPHRASE_ENV}"
            )
        return backend

    @contextmanager
    def _writing(self) -> Iterator[None]:
        """One writer at a time, across threads and — for the shared encrypted file, which
        keyrings.cryptfile rewrites whole on every change — across processes (SSH sessions)."""
        with self._lock:
            if self.kind is not KeyringKind.FILE or self.file_path is None:
                yield
                return
            lock_path = Path(f"{self.file_path}.lock")
            mode, group = files.companion_mode(self.database_path)
            try:  # read-only is enough for flock, so any member of the group can take turns
                fd = os.open(lock_path, os.O_RDONLY | os.O_CREAT | os.O_CLOEXEC, mode)
            except OSError as exc:
                raise KeyringUnavailable(
                    f"cannot use {lock_path}: {exc.strerror or exc}") from None
            try:
                info = os.fstat(fd)
                if info.st_uid == os.geteuid():
                    files.set_group(lock_path, group)
                    # The umask narrowed os.open's mode (077: owner only), and every member of
                    # the group must be able to open the lock to take turns: the group's bits
                    # as for the keyring file, never world, none taken away.
                    current = stat.S_IMODE(info.st_mode)
                    wanted = (current | mode) & ~files.WORLD
                    if wanted != current:
                        try:
                            os.fchmod(fd, wanted)
                        except OSError:
                            pass
                fcntl.flock(fd, fcntl.LOCK_EX)
                try:
                    yield
                finally:
                    fcntl.flock(fd, fcntl.LOCK_UN)
            finally:
                os.close(fd)

    def set_key(self, connection_id: int, secret: str) -> str:
        """Store the API key; returns the hint to keep in the database."""
        backend = self._require()
        try:
            with self._writing():
                backend.set_password(self.service, self._username(connection_id), secret)
        except (KeyringError, NoKeyringError) as exc:
            raise KeyringUnavailable(f"the keyring refused the key: {type(exc).__name__}") from None
        except OSError as exc:
            raise KeyringUnavailable(
                f"cannot write the keyring file {self.file_path}: {exc.strerror or exc}") from None
        return key_hint(secret)

    def get_key(self, connection_id: int) -> str | None:
        backend = self._require()
        try:
            return backend.get_password(self.service, self._username(connection_id))
        except (KeyringError, NoKeyringError) as exc:
            raise KeyringUnavailable(f"the keyring cannot be read: {type(exc).__name__}") from None
        except OSError as exc:
            raise KeyringUnavailable(
                f"cannot read the keyring file {self.file_path}: {exc.strerror or exc}") from None

    def delete_key(self, connection_id: int) -> None:
        backend = self._require()
        try:
            with self._writing():
                backend.delete_password(self.service, self._username(connection_id))
        except PasswordDeleteError:
            pass
        except (KeyringError, NoKeyringError) as exc:
            raise KeyringUnavailable(f"the keyring refused: {type(exc).__name__}") from None
        except OSError as exc:
            raise KeyringUnavailable(
                f"cannot write the keyring file {self.file_path}: {exc.strerror or exc}") from None
