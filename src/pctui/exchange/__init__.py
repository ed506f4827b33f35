"""Connections at work: test a connection, send files through it, poll its mailbox.

This is where transports (:mod:`pctui.gateways`, no SQL) meet the database (:mod:`pctui.store`,
no network): it reads a connection and its secret, runs the transport, stores what comes back
(:mod:`pctui.store.mailbox`) and hands each received file on (:mod:`pctui.exchange.handoff`).
The command line and the app call these functions, the app from a worker thread.

Sending (:func:`send_files`) is the path claims submission builds on: give it the connection and
``(name, bytes)`` pairs; each file is checked (X12 whose every ISA15 matches the connection's
usage), recorded, named by the connection's file-name template, uploaded, and its result
recorded with who sent it. It returns one :class:`SendResult` per file, in order.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from pctui.core.connection_settings import AfterDownload, SftpSettings, render_template
from pctui.exchange.handoff import ReceivedItem, hand_off, hand_off_stored
from pctui.gateways import (
    DEFAULT_RETRY,
    GatewayConfig,
    GatewayError,
    RetryPolicy,
    Step,
    TestReport,
    open_transport,
)
from pctui.secrets import KeyringLocked, KeyringUnavailable, SecretStore
from pctui.store import connections, mailbox
from pctui.store.connections import ConnectionView
from pctui.store.db import Store
from pctui.store.users import Actor
from pctui.x12.interchange_summary import kind_of, usage_flags

# Told as work goes on: (connection label, what is happening now).
Progress = Callable[[str, str], None]


def connection_config(view: ConnectionView, secrets: SecretStore) -> GatewayConfig:
    """The transport's view of a connection, its secret read from the keyring."""
    secret = None
    if view.api_key_set:
        try:
            secret = secrets.get_key(view.id)
        except (KeyringLocked, KeyringUnavailable) as exc:
            raise GatewayError(Step.SETTINGS, str(exc)) from None
    return GatewayConfig(view.gateway_type.value, view.endpoint, view.settings, secret,
                         view.label)


# -- test ------------------------------------------------------------------------------------


def test_connection(store: Store, secrets: SecretStore, actor: Actor, connection_id: int,
                    retry: RetryPolicy = DEFAULT_RETRY) -> TestReport:
    """Each step in order (settings, name, network, TLS or host key, login, folders), stopping
    at the first that fails; never raises for a network problem."""
    actor.require_release()
    view = connections.get_connection(store, connection_id)
    report = TestReport()
    try:
        config = connection_config(view, secrets)
    except GatewayError as exc:
        return report.fail(exc)
    with open_transport(config, retry) as transport:
        return transport.test(mailbox.cursors(store, view.id))


# -- send ------------------------------------------------------------------------------------


@dataclass
class SendResult:
    file: str
    connection: str
    status: str  # sent | refused (never left pctui) | failed (the transfer failed)
    remote_name: str = ""
    errors: list[str] = field(default_factory=list)
    note: str = ""
    mailbox_id: int | None = None

    def to_json(self) -> dict[str, Any]:
        return {"file": self.file, "connection": self.connection, "remote_name": self.remote_name,
                "status": self.status, "errors": self.errors, "note": self.note,
                "mailbox_id": self.mailbox_id}


def refusal(view: ConnectionView, data: bytes) -> str | None:
    """Why this file must not go out through this connection, or None."""
    if not data:
        return "the file is empty"
    flags = usage_flags(data)
    if not flags:
        return "not an X12 interchange (no ISA segment): only X12 files are sent"
    wanted = view.usage.isa15
    wrong = sorted({f for f in flags if f != wanted})
    if wrong:
        said = "/".join(f"'{f}'" for f in wrong)
        return (f"ISA15 is {said} but {view.label} is a {view.usage.value} connection "
                f"(ISA15 {wanted}): not sent")
    return None


def send_files(store: Store, secrets: SecretStore, actor: Actor, connection_id: int,
               files: Sequence[tuple[str, bytes]], retry: RetryPolicy = DEFAULT_RETRY,
               progress: Progress | None = None) -> list[SendResult]:
    """Send each ``(name, bytes)`` through the connection; one result per file, in order."""
    actor.require_release()
    view = connections.get_connection(store, connection_id)
    run_id = mailbox.start_run(store, view.id, "send", actor.login)
    results: list[SendResult] = []
    ready: list[tuple[SendResult, bytes, str]] = []
    for name, data in files:
        sha = hashlib.sha256(data).hexdigest()
        result = SendResult(name, view.label, "refused")
        results.append(result)
        problem = refusal(view, data)
        if problem:
            result.errors.append(problem)
            file_id, _ = mailbox.start_send(store, view.id, run_id, name, data, sha,
                                            kind_of(data), actor.login)
            mailbox.finish_send(store, file_id, mailbox.Result.REFUSED, "", {"errors": [problem]})
            result.mailbox_id = file_id
        else:
            ready.append((result, data, sha))
    try:
        if ready:
            _upload(store, secrets, actor, view, run_id, ready, retry, progress)
    finally:
        mailbox.finish_run(store, run_id, all(r.status == "sent" for r in results), {
            "sent": sum(1 for r in results if r.status == "sent"),
            "refused": sum(1 for r in results if r.status == "refused"),
            "failed": sum(1 for r in results if r.status == "failed"),
            "errors": [f"{r.file}: {e}" for r in results for e in r.errors]})
    return results


def _upload(store: Store, secrets: SecretStore, actor: Actor, view: ConnectionView, run_id: int,
            ready: list[tuple[SendResult, bytes, str]], retry: RetryPolicy,
            progress: Progress | None) -> None:
    not_ready = view.not_ready()
    blocked = ("; ".join(not_ready) + ": not sent") if not_ready else ""
    config: GatewayConfig | None = None
    if not blocked:
        try:
            config = connection_config(view, secrets)
        except GatewayError as exc:
            blocked = f"{exc}: not sent"
    if config is None:
        for result, data, sha in ready:
            result.errors.append(blocked)
            file_id, _ = mailbox.start_send(store, view.id, run_id, result.file, data, sha,
                                            kind_of(data), actor.login)
            mailbox.finish_send(store, file_id, mailbox.Result.REFUSED, "", {"errors": [blocked]})
            result.mailbox_id = file_id
        return
    with open_transport(config, retry) as transport:
        stop = ""
        for result, data, sha in ready:
            base = result.file.replace("\\", "/").rsplit("/", 1)[-1]
            file_id, seq = mailbox.start_send(store, view.id, run_id, base, data, sha,
                                              kind_of(data), actor.login)
            result.mailbox_id = file_id
            remote_name = _remote_name(view, base, seq)
            if stop:
                result.status = "failed"
                result.errors.append(f"not sent: {stop}")
                mailbox.finish_send(store, file_id, mailbox.Result.FAILED, remote_name,
                                    {"errors": result.errors})
                continue
            if progress is not None:
                progress(view.label, f"sending {remote_name}")
            try:
                sent = transport.put(remote_name, data)
            except GatewayError as exc:
                result.status = "failed"
                result.errors.append(str(exc))
                mailbox.finish_send(store, file_id, mailbox.Result.FAILED, remote_name,
                                    {"errors": result.errors})
                if exc.step not in (Step.TRANSFER, Step.FOLDER):
                    stop = str(exc)  # the connection itself does not work: the rest waits
                continue
            result.status, result.remote_name, result.note = "sent", sent.remote_name, sent.note
            mailbox.finish_send(store, file_id, mailbox.Result.SENT, sent.remote_name,
                                {"note": sent.note, "reference": sent.reference})


def _remote_name(view: ConnectionView, name: str, seq: int) -> str:
    if isinstance(view.settings, SftpSettings):
        return render_template(view.settings.file_name_template, name, datetime.now(UTC),
                               view.usage.isa15, view.submitter_id, seq, uuid.uuid4().hex)
    return name


# -- poll ------------------------------------------------------------------------------------


@dataclass
class PollResult:
    connection: str
    connection_id: int
    received: list[ReceivedItem] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def to_json(self) -> dict[str, Any]:
        return {"connection": self.connection, "received": [r.to_json() for r in self.received],
                "errors": self.errors}


def poll(store: Store, secrets: SecretStore, actor: Actor,
         connection_ids: Sequence[int] | None = None, retry: RetryPolicy = DEFAULT_RETRY,
         progress: Progress | None = None) -> list[PollResult]:
    """Receive what each connection's mailbox holds (every active connection when none are
    named); one result per connection."""
    actor.require_release()
    if connection_ids is None:
        views = connections.list_connections(store, include_inactive=False)
    else:
        views = [connections.get_connection(store, i) for i in connection_ids]
    results = [poll_connection(store, secrets, actor, v, retry, progress) for v in views]
    # The claims side turns the acknowledgments received into claim statuses (SPEC 6).
    from pctui.exchange.claims_out import after_poll

    after_poll(store, actor)
    return results


def poll_connection(store: Store, secrets: SecretStore, actor: Actor, view: ConnectionView,
                    retry: RetryPolicy = DEFAULT_RETRY,
                    progress: Progress | None = None) -> PollResult:
    result = PollResult(view.label, view.id)
    run_id = mailbox.start_run(store, view.id, "poll", actor.login)
    try:
        for file_id in mailbox.claim_stale_handoffs(store, view.id):
            result.received.append(hand_off_stored(store, actor, view, file_id))
        problems = view.not_ready()
        if problems:
            raise GatewayError(Step.SETTINGS, "not ready: " + "; ".join(problems))
        config = connection_config(view, secrets)
        if progress is not None:
            progress(view.label, "connecting")
        with open_transport(config, retry) as transport:
            _receive(store, actor, view, transport, run_id, result, progress)
    except GatewayError as exc:
        result.errors.append(str(exc))
    finally:
        mailbox.finish_run(store, run_id, result.ok, {
            "received": [r.to_json() for r in result.received], "errors": result.errors})
    return result


def _receive(store: Store, actor: Actor, view: ConnectionView, transport: Any, run_id: int,
             result: PollResult, progress: Progress | None) -> None:
    cursors = mailbox.cursors(store, view.id)
    known = mailbox.known_files(store, view.id)
    listing = transport.list(cursors)
    broken: set[str] = set()
    keeps = not isinstance(view.settings, SftpSettings) or (
        view.settings.after_download == AfterDownload.KEEP)
    for remote in listing:
        if remote.stream and (remote.stream in broken
                              or mailbox.behind_cursor(remote.position, cursors.get(remote.stream))):
            continue
        if not remote.stream:
            seen = [k for k in known.get(remote.name, [])
                    if k.size == remote.size and k.remote_modified == remote.modified]
            if seen:  # received before; finish what the connection does with received files
                if not keeps and not seen[0].remote_state:
                    _dispose(store, transport, remote, seen[0].id, result)
                continue
        if progress is not None:
            progress(view.label, f"fetching {remote.name}")
        try:
            data = transport.fetch(remote)
        except GatewayError as exc:
            result.errors.append(f"{remote.name}: {exc}")
            if remote.stream:
                broken.add(remote.stream)  # the cursor must not pass a file not received
            if exc.step not in (Step.TRANSFER, Step.FOLDER):
                raise
            continue
        sha = hashlib.sha256(data).hexdigest()
        kind = "other" if remote.stream == "response" else kind_of(data)
        file_id = mailbox.receive(
            store, view.id, run_id, remote.name, data, sha, kind, actor.login, remote.modified,
            (remote.stream, remote.position) if remote.stream else None)
        if file_id is None:  # this name and content arrived before (or another poller has it)
            continue
        result.received.append(hand_off(store, actor, view, file_id, remote.name, data, kind))
        if not keeps:
            _dispose(store, transport, remote, file_id, result)


def _dispose(store: Store, transport: Any, remote: Any, file_id: int, result: PollResult) -> None:
    try:
        state = transport.dispose(remote)
    except GatewayError as exc:
        result.errors.append(f"{remote.name}: stored, but {exc}")
        return
    if state:
        mailbox.record_remote_state(store, file_id, state)

