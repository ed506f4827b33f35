"""The one money type: ``Decimal`` quantized to cents in memory, integer cents at rest."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

CENT = Decimal("0.01")
ZERO = Decimal("0.00")


class AmountError(ValueError):
    """An amount that is not a valid exact money value."""


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
            raise AmountError("empty amount")
        try:
            value = Decimal(raw)
        except InvalidOperation as exc:
            raise AmountError(f"not an amount: {text!r}") from exc
    if not value.is_finite():
        raise AmountError(f"not an amount: {text!r}")
    quantized = value.quantize(CENT, rounding=ROUND_HALF_UP)
    if quantized != value:
        raise AmountError(f"more than two decimals: {text!r}")
    return quantized


def to_cents(amount: Decimal) -> int:
    return int((amount.quantize(CENT) * 100).to_integral_exact())


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(CENT)


def json_amount(amount: Decimal | int) -> str:
    """Amounts in JSON are strings with two decimals: ``"1234.50"``. Ints are cents."""
    value = from_cents(amount) if isinstance(amount, int) else amount.quantize(CENT)
    return f"{value:.2f}"


def display(amount: Decimal | int) -> str:
    """Screen format with thousands separators: ``1,234.50`` / ``-20.00``. Ints are cents."""
    value = from_cents(amount) if isinstance(amount, int) else amount.quantize(CENT)
    return f"{value:,.2f}"
