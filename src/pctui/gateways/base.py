"""The one small interface every transport offers, and what goes wrong, in words.

A transport is opened for one piece of work (a test, a poll, a send) and closed after it::

    with open_transport(config) as transport:
        for remote in transport.list(cursors):
            data = transport.fetch(remote)
            ...                      # the caller stores it first,
            transport.dispose(remote)  # then lets the connection delete/move it, if it says so

``list``/``fetch``/``put``/``dispose``/``test`` are all a caller needs; what is particular to
a provider (Claim.MD's response list by ResponseID, its ERA list by ERAID) hides behind
``list`` as *streams* with a cursor: each listed file says which stream it belongs to and the
cursor value to save once it is stored. Folder mailboxes (SFTP) have no cursor.

Every network step has a time limit; a step that fails for a passing reason (a dropped
connection, a time-out, an HTTP 5xx) is tried again after a growing pause, a bounded number of
times (:class:`RetryPolicy`), then reported as a :class:`GatewayError` naming the step that
failed (name, network, TLS, host key, login, folder, transfer) in an administrator's words.
No error text ever holds a secret. This package does no SQL and knows nothing of Textual.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from types import TracebackType
from typing import Protocol, TypeVar

from pctui.core.connection_settings import Settings

T = TypeVar("T")


class Step(StrEnum):
    """The steps of reaching a mailbox, in order; a failure names one of them."""

    SETTINGS = "settings"
    NAME = "name"
    NETWORK = "network"
    TLS = "TLS"
    HOST_KEY = "host key"
    LOGIN = "login"
    FOLDER = "folder"
    TRANSFER = "transfer"

    @property
    def label(self) -> str:
        return {
            "settings": "Settings", "name": "Name (DNS)", "network": "Network (TCP)",
            "TLS": "TLS certificate", "host key": "Host key", "login": "Login",
            "folder": "Folders / API", "transfer": "Transfer",
        }[self.value]


class GatewayError(Exception):
    """A step failed. ``message`` says what happened and what to do; never a secret."""

    def __init__(self, step: Step, message: str, *, retryable: bool = False,
                 offered_host_key: str = "") -> None:
        super().__init__(message)
        self.step = step
        self.message = message
        self.retryable = retryable
        self.offered_host_key = offered_host_key

    def __str__(self) -> str:
        return f"{self.step.label}: {self.message}"


@dataclass(frozen=True)
class GatewayConfig:
    """Everything a transport needs, the secret included (it never leaves this object in
    text: ``repr`` hides it)."""

    gateway_type: str
    endpoint: str
    settings: Settings
    secret: str | None = field(default=None, repr=False)
    label: str = ""


@dataclass(frozen=True)
class RemoteFile:
    """A file waiting in a mailbox (or an item an API lists).

    ``name`` is what pctui records as its remote name (relative to the download folder, so
    ``741111111/era.835`` for a file in a subfolder; ``era-21.835`` for Claim.MD's ERA 21);
    ``ref`` is what fetch/dispose need. ``stream`` and ``position``: the cursor this item
    advances once stored (empty for folders). ``content`` is set when the listing carried it.
    """

    name: str
    ref: str
    size: int | None = None
    modified: datetime | None = None
    stream: str = ""
    position: str = ""
    content: bytes | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Sent:
    """A file handed over: the name it has there, and what the other side said about it."""

    remote_name: str
    note: str = ""
    reference: str = ""


@dataclass(frozen=True)
class StepResult:
    step: Step
    ok: bool
    detail: str


@dataclass
class TestReport:
    """What Test connection found, step by step; the first failed step ends it."""

    steps: list[StepResult] = field(default_factory=list)
    offered_host_key: str = ""

    @property
    def ok(self) -> bool:
        return bool(self.steps) and all(s.ok for s in self.steps)

    @property
    def failed(self) -> StepResult | None:
        return next((s for s in self.steps if not s.ok), None)

    def passed(self, step: Step, detail: str) -> None:
        self.steps.append(StepResult(step, True, detail))

    def fail(self, error: GatewayError) -> TestReport:
        self.steps.append(StepResult(error.step, False, error.message))
        if error.offered_host_key:
            self.offered_host_key = error.offered_host_key
        return self

    def lines(self) -> list[str]:
        return [f"{'✓' if s.ok else '✗'} {s.step.label}: {s.detail}" for s in self.steps]


class Transport(Protocol):
    """What every transport offers. Use it as a context manager (it closes its connection)."""

    def __enter__(self) -> Transport: ...

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...

    def test(self, cursors: Mapping[str, str]) -> TestReport:
        """Each step in order, stopping at the first that fails (never raises)."""
        ...

    def list(self, cursors: Mapping[str, str]) -> list[RemoteFile]:
        """What waits to be received, oldest cursor position first."""
        ...

    def fetch(self, remote: RemoteFile) -> bytes: ...

    def put(self, remote_name: str, data: bytes) -> Sent:
        """Send ``data`` as ``remote_name``. Not repeated once bytes have left (a second copy
        of a claim file is worse than a clear failure); connecting is."""
        ...

    def dispose(self, remote: RemoteFile) -> str:
        """After the caller stored ``remote``: delete or move it if the connection says so.
        Returns what was done ("" when nothing)."""
        ...


@dataclass(frozen=True)
class RetryPolicy:
    """How often a passing failure is tried again: ``attempts`` in all, pausing ``first_delay``
    seconds, then twice as long each time, never more than ``max_delay``."""

    attempts: int = 3
    first_delay: float = 1.0
    max_delay: float = 8.0

    def delays(self) -> list[float]:
        return [min(self.first_delay * 2 ** i, self.max_delay) for i in range(self.attempts - 1)]


DEFAULT_RETRY = RetryPolicy()


def with_retries(call: Callable[[], T], policy: RetryPolicy,
                 on_retry: Callable[[GatewayError, float], None] | None = None) -> T:
    """``call()``; a retryable GatewayError is tried again per ``policy``, then raised with the
    number of attempts said."""
    delays = policy.delays()
    for attempt in range(policy.attempts):
        try:
            return call()
        except GatewayError as exc:
            if not exc.retryable or attempt == policy.attempts - 1:
                if exc.retryable and policy.attempts > 1:
                    raise GatewayError(exc.step, f"{exc.message} (tried {policy.attempts} "
                                       "times)", offered_host_key=exc.offered_host_key) from exc
                raise
            if on_retry is not None:
                on_retry(exc, delays[attempt])
            time.sleep(delays[attempt])
    raise AssertionError("unreachable")
