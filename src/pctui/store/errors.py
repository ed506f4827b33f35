"""Errors services raise for the UI and CLI to show as plain messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any


class PermissionDenied(Exception):
    """The user's role may not make this change; the message says why."""


class ValidationFailed(Exception):
    """Input is invalid. ``errors`` maps a field name (or a path) to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


class NotFound(Exception):
    """The thing asked for does not exist."""


class EditConflict(Exception):
    """Someone saved this record after the form showed it (its version moved on).

    ``differences`` maps each field where the stored record and the form differ to
    ``[stored now, yours]``; ``by`` and ``at`` say who saved last and when (from the audit log);
    ``version`` is the stored version — save again with it to replace theirs with yours."""

    def __init__(self, what: str, by: str, at: datetime | None,
                 differences: dict[str, list[Any]], version: int) -> None:
        self.what, self.by, self.at = what, by, at
        self.differences, self.version = differences, version
        when = f" at {at.astimezone():%H:%M}" if at else ""
        super().__init__(f"{by} changed {what}{when}, after you opened it; nothing was saved. "
                         "Reload to see their version, or save again to replace it with yours.")
