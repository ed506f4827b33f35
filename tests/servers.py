"""Real servers the tests start on 127.0.0.1: an SFTP mailbox (asyncssh's SFTP server,
in-process, on its own thread and event loop) and an HTTPS API playing Claim.MD at the protocol
level (http.server behind TLS with a trustme certificate).

Both can misbehave on purpose, the way real mailboxes do: move a file away the moment it lands,
forbid renames, drop the connection in the middle of a transfer, answer 5xx, answer slowly.
"""

from __future__ import annotations

import asyncio
import email.parser
import email.policy
import json
import os
import shutil
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import asyncssh

# -- SFTP ------------------------------------------------------------------------------------


@dataclass
class SftpBehaviour:
    move_on_arrival: bool = False  # a file written is taken away when closed (to .processed/)
    forbid_rename: bool = False
    drop_reads: int = 0  # drop the connection this many times in the middle of a read
    drop_writes: int = 0  # likewise for writes
    on_list: Callable[[Path], None] | None = None  # called once, at the next listing
    uploads: list[str] = field(default_factory=list)  # paths written (relative to the root)
    renames: list[tuple[str, str]] = field(default_factory=list)


class SftpServer:
    """``with SftpServer(root) as server:`` — a real SSH/SFTP server on 127.0.0.1."""

    def __init__(self, root: Path, username: str = "acme", password: str = "mailbox-pw-1",
                 authorized_key: str | None = None) -> None:
        self.root = root
        self.username = username
        self.password = password
        self.authorized_key = authorized_key
        self.behaviour = SftpBehaviour()
        self.host_key = asyncssh.generate_private_key("ssh-ed25519")
        self.fingerprint = self.host_key.get_fingerprint("sha256")
        self.port = 0
        self.logins: list[tuple[str, str]] = []  # (user, method) of successful logins
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._acceptor: asyncssh.SSHAcceptor | None = None

    def __enter__(self) -> SftpServer:
        self._thread.start()
        self._acceptor = asyncio.run_coroutine_threadsafe(self._listen(), self._loop).result(10)
        self.port = self._acceptor.sockets[0].getsockname()[1]
        return self

    def __exit__(self, *exc: object) -> None:
        async def stop() -> None:
            if self._acceptor is not None:
                self._acceptor.close()
                await self._acceptor.wait_closed()

        asyncio.run_coroutine_threadsafe(stop(), self._loop).result(10)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._loop.close()

    @property
    def endpoint(self) -> str:
        return f"sftp://127.0.0.1:{self.port}"

    async def _listen(self) -> asyncssh.SSHAcceptor:
        server = self
        options: dict[str, Any] = {}
        if self.authorized_key:
            options["authorized_client_keys"] = asyncssh.import_authorized_keys(
                self.authorized_key)

        class Auth(asyncssh.SSHServer):
            def begin_auth(self, username: str) -> bool:
                return True

            def password_auth_supported(self) -> bool:
                return True

            def validate_password(self, username: str, password: str) -> bool:
                ok = username == server.username and password == server.password
                if ok:
                    server.logins.append((username, "password"))
                return ok

            def public_key_auth_supported(self) -> bool:
                return server.authorized_key is not None

            def validate_public_key(self, username: str, key: asyncssh.SSHKey) -> bool:
                return False  # authorized_client_keys decides

        return await asyncssh.listen(
            "127.0.0.1", 0, server_host_keys=[self.host_key], server_factory=Auth,
            sftp_factory=lambda chan: _MailboxSFTP(chan, server), allow_scp=False, **options)


class _MailboxSFTP(asyncssh.SFTPServer):
    def __init__(self, chan: asyncssh.SSHServerChannel, server: SftpServer) -> None:
        super().__init__(chan, chroot=str(server.root).encode())
        self.server = server
        self.writing: dict[int, str] = {}

    def _rel(self, path: bytes) -> str:
        return path.decode().lstrip("/")

    def open(self, path: bytes, pflags: int, attrs: asyncssh.SFTPAttrs) -> object:
        file_obj = super().open(path, pflags, attrs)
        if pflags & asyncssh.FXF_WRITE:
            self.writing[id(file_obj)] = self._rel(path)
        return file_obj

    def read(self, file_obj: object, offset: int, size: int) -> bytes:
        b = self.server.behaviour
        if b.drop_reads and offset > 0:
            b.drop_reads -= 1
            self.connection.abort()
            raise asyncssh.SFTPConnectionLost("dropped by the test server")
        if b.drop_reads and offset == 0:
            size = min(size, 16)  # make the client come back for more, then drop
        return super().read(file_obj, offset, size)  # type: ignore[return-value]

    def write(self, file_obj: object, offset: int, data: bytes) -> int:
        b = self.server.behaviour
        if b.drop_writes:
            b.drop_writes -= 1
            super().write(file_obj, offset, data[: len(data) // 2])
            self.connection.abort()
            raise asyncssh.SFTPConnectionLost("dropped by the test server")
        return super().write(file_obj, offset, data)  # type: ignore[return-value]

    def close(self, file_obj: object) -> None:
        super().close(file_obj)
        rel = self.writing.pop(id(file_obj), None)
        if rel is None:
            return
        b = self.server.behaviour
        b.uploads.append(rel)
        if b.move_on_arrival and not rel.endswith(".tmp"):
            target = self.server.root / ".processed" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(self.server.root / rel), target)

    def rename(self, oldpath: bytes, newpath: bytes) -> None:
        if self.server.behaviour.forbid_rename:
            raise asyncssh.SFTPPermissionDenied("renaming is not allowed here")
        self.server.behaviour.renames.append((self._rel(oldpath), self._rel(newpath)))
        super().rename(oldpath, newpath)
        rel = self._rel(newpath)
        if self.server.behaviour.move_on_arrival and rel in self.server.behaviour.uploads + [
                r for _, r in self.server.behaviour.renames]:
            target = self.server.root / ".processed" / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.move(str(self.server.root / rel), target)

    def posix_rename(self, oldpath: bytes, newpath: bytes) -> None:
        self.rename(oldpath, newpath)

    async def scandir(self, path: bytes):  # type: ignore[override]
        hook, self.server.behaviour.on_list = self.server.behaviour.on_list, None
        if hook is not None:
            hook(self.server.root)
        async for name in super().scandir(path):
            yield name


# -- HTTPS: Claim.MD at the protocol level ---------------------------------------------------


@dataclass
class ClaimMdState:
    key: str = "claimmd-account-key-0001"
    responses: list[dict[str, Any]] = field(default_factory=list)  # each with "responseid"
    eras: dict[int, bytes] = field(default_factory=dict)  # eraid -> 835 bytes
    uploads: list[tuple[str, bytes]] = field(default_factory=list)
    fail_next: int = 0  # the next N requests answer 503
    fail_status: int = 503
    delay_seconds: float = 0.0  # every answer waits this long
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)  # path, fields
    headers_seen: list[dict[str, str]] = field(default_factory=list)


class ClaimMdServer:
    """``with ClaimMdServer(tmp_path) as api:`` — HTTPS on 127.0.0.1 with a trustme CA;
    ``api.ca_file`` is the CA bundle a connection must be given to trust it."""

    def __init__(self, folder: Path) -> None:
        import trustme

        self.state = ClaimMdState()
        ca = trustme.CA()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        self.ca_file = folder / "claimmd-test-ca.pem"
        ca.cert_pem.write_to_path(str(self.ca_file))
        self._context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(self._context)
        handler = _handler(self.state)
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._httpd.daemon_threads = True
        self._httpd.socket = self._context.wrap_socket(self._httpd.socket, server_side=True)
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    @property
    def endpoint(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def __enter__(self) -> ClaimMdServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(10)

    def add_response(self, claim_id: str, status: str, message: str = "") -> int:
        rid = len(self.state.responses) + 1
        self.state.responses.append({"responseid": rid, "pcn": claim_id, "status": status,
                                     "message": message})
        return rid

    def add_era(self, data: bytes) -> int:
        eraid = max(self.state.eras, default=100) + 1
        self.state.eras[eraid] = data
        return eraid


def _handler(state: ClaimMdState) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:  # quiet
            return

        def _fields(self) -> tuple[dict[str, str], tuple[str, bytes] | None]:
            length = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(length)
            kind = self.headers.get("Content-Type", "")
            if kind.startswith("multipart/form-data"):
                message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
                    f"Content-Type: {kind}\r\n\r\n".encode() + body)
                fields: dict[str, str] = {}
                upload = None
                for part in message.iter_parts():
                    name = part.get_param("name", header="content-disposition")
                    payload = part.get_payload(decode=True) or b""
                    if part.get_filename():
                        upload = (part.get_filename(), payload)
                    else:
                        fields[str(name)] = payload.decode()
                return fields, upload
            return {k: v[0] for k, v in parse_qs(body.decode()).items()}, None

        def _send(self, status: int, payload: Any) -> None:
            data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json" if not isinstance(
                payload, bytes) else "text/plain")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_POST(self) -> None:  # noqa: N802 - http.server's name
            fields, upload = self._fields()
            state.requests.append((self.path, fields))
            state.headers_seen.append(dict(self.headers))
            if state.delay_seconds:
                time.sleep(state.delay_seconds)
            if state.fail_next:
                state.fail_next -= 1
                self._send(state.fail_status, {"error": "temporarily unavailable"})
                return
            if fields.get("AccountKey") != state.key:
                self._send(401, {"error": {"error_code": "AUTH", "error_mesg": "Invalid key"}})
                return
            if self.path == "/services/response/":
                since = int(fields.get("ResponseID", "0") or 0)
                new = [r for r in state.responses if r["responseid"] > since]
                last = max((r["responseid"] for r in state.responses), default=since)
                self._send(200, {"last_responseid": str(last), "claim": [
                    {"pcn": r["pcn"], "claimmd_id": str(9000 + r["responseid"]),
                     "status": r["status"], "messages": [
                         {"responseid": str(r["responseid"]), "status": r["status"],
                          "message": r["message"]}]} for r in new]})
            elif self.path == "/services/eralist/":
                since = int(fields.get("ERAID", "0") or 0)
                eras = [{"eraid": str(i), "check_number": f"CHK{i}", "payerid": "00001"}
                        for i in sorted(state.eras) if i > since]
                self._send(200, {"last_eraid": str(max(state.eras, default=since)), "era": eras})
            elif self.path == "/services/era835/":
                eraid = int(fields.get("eraid", "0") or 0)
                if eraid not in state.eras:
                    self._send(200, {"error": {"error_code": "NOERA", "error_mesg": "no such ERA"}})
                else:
                    self._send(200, {"eraid": str(eraid), "data": state.eras[eraid].decode()})
            elif self.path == "/services/upload/":
                if upload is None:
                    self._send(200, {"error": {"error_mesg": "no file"}})
                    return
                state.uploads.append(upload)
                self._send(200, {"fileid": str(500 + len(state.uploads)), "claim": []})
            else:
                self._send(404, {"error": "not found"})

    return Handler


def env_without_proxies() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if "proxy" not in k.lower()}
