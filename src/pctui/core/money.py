"""The one money type: ``Decimal`` quantized to cents in memory, integer cents at rest."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")
# The largest amount pctui accepts: ten billion dollars less a cent. No claim or payment comes
# near it; anything larger is a damaged file (and would not fit integer cents everywhere).
MAX_AMOUNT = Decimal("9999999999.99")
_MAX_TEXT = 40  # characters: "-9,999,999,999.99" with room for spaces and a dollar sign


class AmountError(ValueError):
    """An amount that is not a valid exact money value; ``problem`` completes "the amount ..."."""

    def __init__(self, message: str, problem: str = "is not an amount") -> None:
        super().__init__(message)
        self.problem = problem


def parse_amount(text: str | int | Decimal) -> Decimal:
    """Parse ``"1234.5"``, ``"-20"``, ``"1,234.50"`` or a Decimal into an exact cent amount.

    Floats are refused on purpose: they cannot carry cents exactly.
    """
    if isinstance(text, float):
        raise AmountError("binary floats are not accepted as money")
    if isinstance(text, Decimal):
        value = text
    else:
        raw = str(text).strip().replace(",", "").replace("$", "")
        if not raw:
            raise AmountError("empty amount", "is empty")
        if len(raw) > _MAX_TEXT or not is_plain_decimal(raw):
            raise AmountError(f"not an amount: {_shown(text)}")
        try:
            value = Decimal(raw)
        except InvalidOperation as exc:
            raise AmountError(f"not an amount: {_shown(text)}") from exc
    if not value.is_finite():
        raise AmountError(f"not an amount: {_shown(text)}")
    if abs(value) > MAX_AMOUNT:
        raise AmountError(f"larger than pctui's limit of {MAX_AMOUNT:,}: {_shown(text)}",
                          f"is larger than pctui's limit of {MAX_AMOUNT:,}")
    quantized = value.quantize(CENT, rounding=ROUND_HALF_UP)
    if quantized != value:
        raise AmountError(f"more than two decimals: {text!r}",
                          "has more than two decimals (an amount is in whole cents)")
    return quantized


def is_plain_decimal(raw: str) -> bool:
    """Digits with at most one point and a leading sign: no exponent (``1E+400``), no NaN."""
    digits = (raw[1:] if raw[:1] in "+-" else raw).replace(".", "", 1)
    return digits.isascii() and digits.isdigit()


def _shown(text: object) -> str:
    shown = repr(text) if not isinstance(text, Decimal) else f"'{text}'"
    return shown if len(shown) <= 30 else shown[:27] + "...'"


def to_cents(amount: Decimal) -> int:
    return int(amount.quantize(CENT).scaleb(2))  # exact: a cent amount moved two places


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def json_amount(amount: Decimal | int) -> str:
    """Amounts in JSON are strings with two decimals: ``"1234.50"``. Ints are cents."""
    value = from_cents(amount) if isinstance(amount, int) else amount.quantize(CENT)
    return str(value)  # quantized to cents, str() is "1234.50" and twice as fast as a format


def display(amount: Decimal | int) -> str:
    """Screen format with thousands separators: ``1,234.50`` / ``-20.00``. Ints are cents."""
    value = from_cents(amount) if isinstance(amount, int) else amount.quantize(CENT)
    return f"{value:,.2f}"
