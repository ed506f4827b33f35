"""CLP02 claim status codes: which pay level a claim payment posts at, and their names."""

from __future__ import annotations

from pctui.core.codes import PayerLevel

PAY_LEVELS: dict[str, PayerLevel] = {
    "1": PayerLevel.PRIMARY,
    "19": PayerLevel.PRIMARY,
    "2": PayerLevel.SECONDARY,
    "20": PayerLevel.SECONDARY,
    "3": PayerLevel.TERTIARY,
    "21": PayerLevel.TERTIARY,
}
DENIED = "4"
REVERSAL = "22"
STATUS_NAMES: dict[str, str] = {
    "1": "Processed as primary",
    "2": "Processed as secondary",
    "3": "Processed as tertiary",
    "4": "Denied",
    "19": "Processed as primary, forwarded to additional payer(s)",
    "20": "Processed as secondary, forwarded to additional payer(s)",
    "21": "Processed as tertiary, forwarded to additional payer(s)",
    "22": "Reversal of previous payment",
    "23": "Not our claim, forwarded to additional payer(s)",
    "25": "Predetermination pricing only - no payment",
}
LEVEL_RANK: dict[PayerLevel, int] = {level: rank for rank, level in enumerate(PayerLevel)}


def normalize_status(code: str) -> str:
    """CLP02 as a plain number string: ``"01"`` and ``" 1"`` are ``"1"``."""
    text = code.strip()
    return text.lstrip("0") or "0" if text.isdigit() else text


def pay_level(status_code: str) -> PayerLevel | None:
    """The payer level a CLP02 posts at (1/19 primary, 2/20 secondary, 3/21 tertiary)."""
    return PAY_LEVELS.get(normalize_status(status_code))


def is_reversal(status_code: str) -> bool:
    return normalize_status(status_code) == REVERSAL
