"""Counted nouns for the sentences a biller reads: "1 claim", "2 claims", "1,250 payments"."""

from __future__ import annotations

from datetime import UTC, datetime


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """``n`` and the noun in the form that agrees with it (``nouns`` when adding "s" is wrong)."""
    return f"{n:,} {noun if n == 1 else nouns or noun + 's'}"


def local_time(moment: datetime, *, seconds: bool = False) -> str:
    """A stored time (UTC; naive means UTC) as the server's local time: "2026-11-21 09:30"."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone().strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")


def local_zone() -> str:
    """The server's time zone as people write it ("CST", "UTC")."""
    return datetime.now().astimezone().tzname() or "local time"
