"""Two versions of one claim (same CLM01): what differs, in a biller's words.

An 837P claim says what it is to the claim already on file by its frequency code (CLM05-3):

- ``1`` original: a new claim. If its CLM01 is already on file with the same content it is a
  duplicate; with different content it is a *conflict* the biller resolves (kept apart).
- ``7`` replacement: replaces the claim on file with the same CLM01.
- ``8`` void: cancels the claim on file with the same CLM01.

Any other code is read as an original, with a finding. See ``store/claim_intake.py`` for what
each does to the ledger.
"""

from __future__ import annotations

from enum import StrEnum

from pctui.core.claim import Claim, ClaimPayerRef, ServiceLine
from pctui.core.codes import PayerLevel


class Frequency(StrEnum):
    ORIGINAL = "1"
    REPLACEMENT = "7"
    VOID = "8"

    @property
    def label(self) -> str:
        return {"1": "original", "7": "replacement", "8": "void"}[self.value]


def frequency_of(code: str) -> Frequency | None:
    """The frequency a CLM05-3 value means, or None for a code an 837P does not use."""
    try:
        return Frequency(code.strip() or "1")
    except ValueError:
        return None


def _line_text(line: ServiceLine) -> str:
    modifiers = "-".join(line.modifiers)
    procedure = f"{line.procedure}-{modifiers}" if modifiers else line.procedure
    units = format(line.units.normalize(), "f")
    when = line.service_date.isoformat() if line.service_date else "no date"
    return f"{procedure} x{units} {line.unit_code} {line.charge:.2f} on {when}"


def claim_differences(on_file: Claim, incoming: Claim) -> list[str]:
    """Every difference a biller would check, on-file value first; [] when the same claim."""
    out: list[str] = []
    if on_file.charge != incoming.charge:
        out.append(f"total charge {on_file.charge:.2f} → {incoming.charge:.2f}")
    if " ".join(on_file.patient_name.split()) != " ".join(incoming.patient_name.split()):
        out.append(f"patient {on_file.patient_name or '(none)'} → "
                   f"{incoming.patient_name or '(none)'}")  # fmt: skip
    for level in PayerLevel:
        before, after = on_file.payers.get(level), incoming.payers.get(level)
        if _payer_key(before) != _payer_key(after):
            out.append(f"{level.value} payer {_payer_text(before)} → {_payer_text(after)}")
    old_lines = {line.line_number: line for line in on_file.service_lines}
    new_lines = {line.line_number: line for line in incoming.service_lines}
    for number in sorted(old_lines.keys() | new_lines.keys()):
        before, after = old_lines.get(number), new_lines.get(number)
        if before is None and after is not None:
            out.append(f"line {number} added: {_line_text(after)}")
        elif after is None and before is not None:
            out.append(f"line {number} removed: {_line_text(before)}")
        elif before is not None and after is not None:
            changed = _line_changes(before, after)
            if changed:
                out.append(f"line {number}: {', '.join(changed)}")
    return out


def _line_changes(before: ServiceLine, after: ServiceLine) -> list[str]:
    def procedure(line: ServiceLine) -> str:
        return "-".join((line.procedure, *line.modifiers))

    def units(line: ServiceLine) -> str:
        return f"{format(line.units.normalize(), 'f')} {line.unit_code}"

    def day(line: ServiceLine) -> str:
        return line.service_date.isoformat() if line.service_date else "no date"

    fields = (("procedure", procedure), ("charge", lambda ln: f"{ln.charge:.2f}"),
              ("units", units), ("date", day),
              ("control number", lambda ln: ln.control_number or "none"))  # fmt: skip
    return [f"{name} {show(before)} → {show(after)}"
            for name, show in fields if show(before) != show(after)]  # fmt: skip


def _payer_key(ref: ClaimPayerRef | None) -> tuple[str, str] | None:
    if ref is None:
        return None
    return (" ".join(ref.name.split()).casefold(), (ref.payer_id or "").strip())


def _payer_text(ref: ClaimPayerRef | None) -> str:
    if ref is None:
        return "(none)"
    name = ref.name or "(no name)"
    return f"{name} ({ref.payer_id})" if ref.payer_id else name
