"""Counted nouns for the sentences a biller reads: "1 claim", "2 claims", "1,250 payments"."""

from __future__ import annotations


def plural(n: int, noun: str, nouns: str | None = None) -> str:
    """``n`` and the noun in the form that agrees with it (``nouns`` when adding "s" is wrong)."""
    return f"{n:,} {noun if n == 1 else nouns or noun + 's'}"
