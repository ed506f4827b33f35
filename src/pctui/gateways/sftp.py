"""SFTP mailboxes (Availity, Claim.MD, Stedi, Office Ally, payer-direct), through asyncssh.

Decisions, in an administrator's words:

- The server's host key is pinned (``sftp.host_key``, a ``SHA256:`` fingerprint). It is checked
  during the key exchange, before the password or key is offered: a server showing another key
  is refused with both fingerprints, and with none pinned nothing is sent or received (Test
  connection shows the key the server offers, to be compared with what the provider published).
- The TCP connection is opened by pctui itself so that a failure names its step: the name
  (DNS), the network (refused, unreachable, no answer), then host key, login, folders.
- ``temp_rename`` uploads write ``NAME.tmp`` and rename it to ``NAME`` once complete; ``direct``
  writes ``NAME``. A name already waiting in the upload folder is not overwritten.
- Some servers move a file away the moment it lands; an upload is not checked by looking for the
  file afterwards, and its absence is reported as a note, not an error.
- Listing skips hidden files (``.name``) and ``*.tmp`` / ``*.part`` (files still being written);
  with ``include_subfolders`` it also reads folders inside the download folder (three levels at
  most), naming such a file ``subfolder/name``.
- Connecting, listing and fetching are retried after a dropped connection or a time-out;
  an upload is not resent once bytes have left (a second copy of a claim file is worse than a
  clear failure), only its connection is retried.
"""

from __future__ import annotations

import asyncio
import posixpath
import socket
import stat
from collections.abc import Coroutine, Mapping
from datetime import UTC, datetime
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

import asyncssh

from pctui.core.connection_settings import AfterDownload, SftpSettings, UploadMode
from pctui.core.gateway import sftp_address
from pctui.gateways.base import (
    DEFAULT_RETRY,
    GatewayConfig,
    GatewayError,
    RemoteFile,
    RetryPolicy,
    Sent,
    Step,
    TestReport,
    with_retries,
)

T = TypeVar("T")
MAX_LISTED = 10_000
MAX_DEPTH = 3
_SKIPPED_SUFFIXES = (".tmp", ".part", ".filepart")


class _PinnedHostKey(asyncssh.SSHClient):
    """Accepts exactly the pinned host key; remembers what the server offered."""

    def __init__(self, pinned: str) -> None:
        self.pinned = pinned
        self.offered = ""

    def validate_host_public_key(self, host: str, addr: str, port: int,
                                 key: asyncssh.SSHKey) -> bool:
        self.offered = key.get_fingerprint("sha256")
        return bool(self.pinned) and self.offered == self.pinned


class SftpTransport:
    """One SSH connection with its SFTP session, on a private event loop (callers are plain
    threads: the CLI, or an app worker)."""

    def __init__(self, config: GatewayConfig, retry: RetryPolicy = DEFAULT_RETRY) -> None:
        assert isinstance(config.settings, SftpSettings)
        self.config = config
        self.settings: SftpSettings = config.settings
        self.retry = retry
        self.host, self.port, _ = sftp_address(config.endpoint)
        self.timeout = float(self.settings.timeout_seconds)
        self._loop = asyncio.new_event_loop()
        self._conn: asyncssh.SSHClientConnection | None = None
        self._sftp: asyncssh.SFTPClient | None = None

    # -- life cycle -----------------------------------------------------------------------

    def __enter__(self) -> SftpTransport:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        try:
            self._disconnect()
        finally:
            self._loop.close()

    def _disconnect(self) -> None:
        conn, self._conn, self._sftp = self._conn, None, None
        if conn is not None:
            conn.abort()
            try:
                self._loop.run_until_complete(asyncio.wait_for(conn.wait_closed(), 2))
            except (TimeoutError, asyncssh.Error, OSError):
                pass

    def _run(self, coro: Coroutine[Any, Any, T], step: Step, what: str,
             timeout: float | None = None) -> T:
        """Run one network step with its time limit; low-level failures become GatewayErrors."""
        try:
            return self._loop.run_until_complete(asyncio.wait_for(coro, timeout or self.timeout))
        except GatewayError:
            raise
        except TimeoutError:
            self._disconnect()
            raise GatewayError(step, f"no answer from {self.host}:{self.port} within "
                               f"{self.timeout:g} s while {what}", retryable=True) from None
        except asyncssh.SFTPNoSuchFile:
            raise GatewayError(Step.FOLDER, f"{what}: no such file or folder on the server"
                               ) from None
        except asyncssh.SFTPPermissionDenied:
            raise GatewayError(Step.FOLDER, f"{what}: the server does not allow it "
                               "(permission denied)") from None
        except asyncssh.SFTPError as exc:
            lost = isinstance(exc, asyncssh.SFTPConnectionLost)
            if lost:
                self._disconnect()
            raise GatewayError(Step.TRANSFER if lost else Step.FOLDER,
                               f"{what}: {_said(exc.reason) or 'the server refused'}",
                               retryable=lost) from None
        except (asyncssh.Error, OSError, EOFError) as exc:
            self._disconnect()
            raise GatewayError(Step.TRANSFER, f"the connection dropped while {what} "
                               f"({_said(str(exc)) or type(exc).__name__})",
                               retryable=True) from None

    # -- connecting -----------------------------------------------------------------------

    def _settings_problem(self) -> GatewayError | None:
        s = self.settings
        if not s.username:
            return GatewayError(Step.SETTINGS, "no SFTP user name: set it in the connection")
        if not s.upload_dir or not s.download_dir:
            return GatewayError(Step.SETTINGS, "no upload or download folder: set them in the "
                                "connection")
        if s.private_key_file and not Path(s.private_key_file).expanduser().is_file():
            return GatewayError(Step.SETTINGS, f"the SSH key file {s.private_key_file} does not "
                                "exist or cannot be read")
        if not s.private_key_file and not self.config.secret:
            return GatewayError(Step.SETTINGS, "no password in the keyring for this connection")
        return None

    def _resolve(self) -> list[tuple[Any, ...]]:
        try:
            return self._loop.run_until_complete(asyncio.wait_for(
                self._loop.getaddrinfo(self.host, self.port, type=socket.SOCK_STREAM),
                self.timeout))
        except TimeoutError:
            raise GatewayError(Step.NAME, f"looking up {self.host} took longer than "
                               f"{self.timeout:g} s", retryable=True) from None
        except socket.gaierror:
            raise GatewayError(Step.NAME, f"the name {self.host} cannot be found (DNS): check "
                               "the endpoint") from None

    def _tcp(self, addresses: list[tuple[Any, ...]]) -> socket.socket:
        last: Exception | None = None
        for family, kind, proto, _, address in addresses:
            sock = socket.socket(family, kind, proto)
            sock.settimeout(self.timeout)
            try:
                sock.connect(address)
                sock.settimeout(None)
                sock.setblocking(False)
                return sock
            except OSError as exc:
                sock.close()
                last = exc
        if isinstance(last, TimeoutError):
            raise GatewayError(Step.NETWORK, f"no answer from {self.host}:{self.port} within "
                               f"{self.timeout:g} s (a firewall, or the wrong port?)",
                               retryable=True)
        if isinstance(last, ConnectionRefusedError):
            raise GatewayError(Step.NETWORK, f"{self.host} refused the connection on port "
                               f"{self.port}: nothing listens there (wrong port?)",
                               retryable=True)
        raise GatewayError(Step.NETWORK, f"cannot reach {self.host}:{self.port} "
                           f"({_said(str(last)) or 'network unreachable'})", retryable=True)

    def _login(self, sock: socket.socket) -> None:
        s = self.settings
        pinned = _PinnedHostKey(s.host_key)
        options: dict[str, Any] = {
            "username": s.username, "known_hosts": ([], [], []),
            "client_factory": lambda: pinned, "connect_timeout": self.timeout,
            "login_timeout": self.timeout, "keepalive_interval": 15,
            "agent_path": None, "config": [], "x509_trusted_certs": None,
            "password": None, "client_keys": None, "preferred_auth": "password",
        }
        if s.private_key_file:
            try:
                key = asyncssh.read_private_key(Path(s.private_key_file).expanduser(),
                                                self.config.secret or None)
            except (asyncssh.KeyImportError, ValueError):
                raise GatewayError(Step.LOGIN, f"the SSH key file {s.private_key_file} cannot "
                                   "be opened: wrong or missing passphrase, or not a private "
                                   "key") from None
            except OSError as exc:
                raise GatewayError(Step.SETTINGS, f"the SSH key file {s.private_key_file} "
                                   f"cannot be read ({exc.strerror})") from None
            options.update(client_keys=[key], preferred_auth="publickey")
        else:
            options["password"] = self.config.secret
        try:
            self._conn = self._loop.run_until_complete(asyncio.wait_for(
                asyncssh.connect(sock=sock, **options), self.timeout * 2))
        except asyncssh.HostKeyNotVerifiable:
            if not s.host_key:
                raise GatewayError(Step.HOST_KEY, f"no host key is pinned for this connection; "
                                   f"the server offers {pinned.offered}. Compare it with the "
                                   "fingerprint your provider published, then pin it",
                                   offered_host_key=pinned.offered) from None
            raise GatewayError(Step.HOST_KEY, f"the server's host key has changed: pinned "
                               f"{s.host_key}, offered {pinned.offered}. Do not connect until "
                               "your provider confirms the new key", offered_host_key=pinned.offered
                               ) from None
        except asyncssh.PermissionDenied:
            how = "key" if s.private_key_file else "password"
            raise GatewayError(Step.LOGIN, f"the server refused the login of {s.username} "
                               f"(wrong user name or {how})") from None
        except TimeoutError:
            raise GatewayError(Step.LOGIN, f"the SSH login to {self.host} did not finish "
                               f"within {self.timeout * 2:g} s", retryable=True) from None
        except (asyncssh.Error, OSError, EOFError) as exc:
            step = Step.HOST_KEY if pinned.offered == "" else Step.LOGIN
            raise GatewayError(step, f"the SSH connection to {self.host} failed "
                               f"({_said(str(exc)) or type(exc).__name__})",
                               retryable=True) from None
        self._sftp = self._run(self._conn.start_sftp_client(), Step.LOGIN,
                               "starting the SFTP session")

    def _connect(self) -> asyncssh.SFTPClient:
        if self._sftp is not None:
            return self._sftp
        problem = self._settings_problem()
        if problem is not None:
            raise problem
        self._login(self._tcp(self._resolve()))
        assert self._sftp is not None
        return self._sftp

    def _connected(self) -> asyncssh.SFTPClient:
        return with_retries(self._connect, self.retry)

    # -- test -----------------------------------------------------------------------------

    def test(self, cursors: Mapping[str, str] | None = None) -> TestReport:
        report = TestReport()
        try:
            problem = self._settings_problem()
            if problem is not None:
                return report.fail(problem)
            addresses = self._resolve()
            report.passed(Step.NAME, f"{self.host} is {addresses[0][4][0]}")
            sock = self._tcp(addresses)
            report.passed(Step.NETWORK, f"{self.host}:{self.port} answers")
            self._login(sock)
            report.passed(Step.HOST_KEY, f"the server shows the pinned key {self.settings.host_key}")
            report.passed(Step.LOGIN, f"logged in as {self.settings.username}")
            sftp = self._sftp
            assert sftp is not None
            for label, folder in (("upload", self.settings.upload_dir),
                                  ("download", self.settings.download_dir)):
                if not self._run(sftp.isdir(folder), Step.FOLDER, f"looking for {folder}"):
                    raise GatewayError(Step.FOLDER, f"the {label} folder {folder} does not "
                                       "exist on the server")
            waiting = len(self._list_files(sftp))
            report.passed(Step.FOLDER, f"{self.settings.upload_dir} and "
                          f"{self.settings.download_dir} exist; {waiting} file"
                          f"{'s' if waiting != 1 else ''} waiting")
        except GatewayError as exc:
            report.fail(exc)
        return report

    # -- receiving ------------------------------------------------------------------------

    def list(self, cursors: Mapping[str, str] | None = None) -> list[RemoteFile]:
        def attempt() -> list[RemoteFile]:
            return self._list_files(self._connected())

        return with_retries(attempt, self.retry)

    def _list_files(self, sftp: asyncssh.SFTPClient) -> list[RemoteFile]:
        root = self.settings.download_dir
        found: list[RemoteFile] = []
        pending: list[tuple[str, int]] = [("", 0)]
        while pending and len(found) < MAX_LISTED:
            relative, depth = pending.pop(0)
            folder = posixpath.join(root, relative) if relative else root
            entries = self._run(sftp.readdir(folder), Step.FOLDER, f"listing {folder}")
            for entry in sorted(entries, key=lambda e: str(e.filename)):
                name = str(entry.filename)
                if name.startswith(".") or name.lower().endswith(_SKIPPED_SUFFIXES):
                    continue
                mode = entry.attrs.permissions or 0
                rel = f"{relative}/{name}" if relative else name
                if stat.S_ISDIR(mode) or entry.attrs.type == asyncssh.FILEXFER_TYPE_DIRECTORY:
                    if self.settings.include_subfolders and depth + 1 < MAX_DEPTH:
                        pending.append((rel, depth + 1))
                    continue
                if not (stat.S_ISREG(mode) or entry.attrs.type == asyncssh.FILEXFER_TYPE_REGULAR):
                    continue
                mtime = entry.attrs.mtime
                found.append(RemoteFile(
                    name=rel, ref=posixpath.join(root, rel), size=entry.attrs.size,
                    modified=datetime.fromtimestamp(mtime, UTC) if mtime is not None else None))
        return found

    def fetch(self, remote: RemoteFile) -> bytes:
        def attempt() -> bytes:
            sftp = self._connected()

            async def read() -> bytes:
                async with sftp.open(remote.ref, "rb") as f:
                    return await f.read()

            data = self._run(read(), Step.TRANSFER, f"fetching {remote.name}",
                             timeout=self.timeout * 4)
            if remote.size is not None and len(data) < remote.size:
                self._disconnect()
                raise GatewayError(Step.TRANSFER, f"{remote.name} arrived cut short "
                                   f"({len(data)} of {remote.size} bytes)", retryable=True)
            return data

        return with_retries(attempt, self.retry)

    def dispose(self, remote: RemoteFile) -> str:
        action = self.settings.after_download
        if action == AfterDownload.KEEP:
            return ""
        sftp = self._connected()
        if action == AfterDownload.DELETE:
            self._run(sftp.remove(remote.ref), Step.FOLDER, f"deleting {remote.name}")
            return "deleted from the server"
        archive = self.settings.archive_dir
        target = posixpath.join(archive, posixpath.basename(remote.ref))
        if self._run(sftp.exists(target), Step.FOLDER, f"looking in {archive}"):
            stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S")
            target = f"{target}.{stamp}"
        self._run(sftp.rename(remote.ref, target), Step.FOLDER,
                  f"moving {remote.name} to {archive}")
        return f"moved to {target}"

    # -- sending --------------------------------------------------------------------------

    def put(self, remote_name: str, data: bytes) -> Sent:
        sftp = self._connected()
        folder = self.settings.upload_dir
        final = posixpath.join(folder, remote_name)
        if self._run(sftp.exists(final), Step.FOLDER, f"looking in {folder}"):
            raise GatewayError(Step.TRANSFER, f"a file named {remote_name} is already waiting "
                               f"in {folder}; it was not overwritten")
        temp = f"{final}.tmp" if self.settings.upload_mode == UploadMode.TEMP_RENAME else final

        async def write() -> None:
            async with sftp.open(temp, "wb") as f:
                await f.write(data)

        try:
            self._run(write(), Step.TRANSFER, f"sending {remote_name}",
                      timeout=self.timeout * 4)
        except GatewayError as exc:
            if exc.step is Step.TRANSFER:
                raise GatewayError(Step.TRANSFER, f"{exc.message}. It may be incomplete or "
                                   f"missing in {folder}: look before sending it again") from None
            raise
        if temp != final:
            try:
                self._run(sftp.rename(temp, final), Step.FOLDER,
                          f"renaming {posixpath.basename(temp)} to {remote_name}")
            except GatewayError as exc:
                try:
                    self._run(sftp.remove(temp), Step.FOLDER, "removing the temporary file")
                except GatewayError:
                    pass
                raise GatewayError(exc.step, f"{exc.message}. This server may not allow "
                                   "renaming: set the upload mode to direct") from None
        try:
            there = self._run(sftp.exists(final), Step.FOLDER, f"looking for {remote_name}")
        except GatewayError:
            there = False
        note = "" if there else "the server took the file away on arrival (normal for some mailboxes)"
        return Sent(remote_name, note)


def _said(text: str | None) -> str:
    """A server's or library's words, kept short and on one line."""
    if not text:
        return ""
    line = " ".join(str(text).split())
    return line if len(line) <= 160 else line[:157] + "..."
