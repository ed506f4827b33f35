"""Errors services raise for the UI and CLI to show as plain messages."""

from __future__ import annotations


class PermissionDenied(Exception):
    """The user's role may not make this change; the message says why."""


class ValidationFailed(Exception):
    """Input is invalid. ``errors`` maps a field name (or a path) to what is wrong with it."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


class NotFound(Exception):
    """The thing asked for does not exist."""
