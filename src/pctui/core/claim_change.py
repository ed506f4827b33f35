"""Two versions of one claim (same CLM01): what differs, in a biller's words.

An 837P claim says what it is to the claim already on file by its frequency code (CLM05-3):

- ``1`` original: a new claim. If its CLM01 is already on file with the same content it is a
  duplicate; with different content it is a *conflict* the biller resolves (kept apart).
- ``7`` replacement: replaces the claim on file with the same CLM01.
- ``8`` void: cancels the claim on file with the same CLM01.

Any other code is read as an original, with a finding. See ``store/claim_intake.py`` for what
each does to the ledger.

"Content" is everything the claim's 837P carries, not only what posting reads: a claim the
practice corrected in its EHR (a subscriber's member ID, a diagnosis, a provider's NPI) and
exported again under the same CLM01 differs from the one on file, so it is a conflict the biller
sees — never a duplicate silently dropped. The submitter (1000A) is the sending file's, not the
claim's, and is not compared; neither is anything of a claim stored before pctui kept 837P
content (there is nothing to compare with).
"""

from __future__ import annotations

import dataclasses
from enum import StrEnum
from typing import Any

from pctui.core.claim import Claim, ClaimPayerRef, ServiceLine
from pctui.core.claim_json import claim_detail_to_data
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
    if on_file.detailed and incoming.detailed:
        out.extend(_detail_differences(on_file, incoming))
    return out


# What each part of a claim's 837P content is, in a biller's words (claim_json's keys).
_DETAIL_WORDS = {
    "billing_provider": "billing provider (2010AA)", "pay_to": "pay-to address (2010AB)",
    "pay_to_plan": "pay-to plan (2010AC)", "billing_extra": "billing provider currency (CUR)",
    "subscriber": "subscriber or payer details (2000B, 2010BA, 2010BB)",
    "patient": "patient details (2000C, 2010CA)", "other_coverages": "other payers (2320, 2330)",
    "dates": "claim dates (2300 DTP)", "references": "claim references (2300 REF)",
    "diagnoses": "diagnosis codes (2300 HI)", "providers": "claim providers (2310A-F)",
    "extra": "other claim segments (2300)", "payer_claim_number": "payer's claim number (REF*F8)",
    "related_causes": "related causes (CLM11)",
}  # fmt: skip
_NOT_COMPARED = {"version", "submitter", "lines"}


def _detail_differences(on_file: Claim, incoming: Claim) -> list[str]:
    before, after = claim_detail_to_data(on_file), claim_detail_to_data(incoming)
    out: list[str] = []
    member = _member_id(on_file), _member_id(incoming)
    if member[0] != member[1]:
        out.append(f"subscriber member ID {member[0] or '(none)'} → {member[1] or '(none)'}")
    codes = [", ".join(d.code for d in c.diagnoses) or "(none)" for c in (on_file, incoming)]
    if codes[0] != codes[1]:
        out.append(f"diagnosis codes {codes[0]} → {codes[1]}")
    claim_info = False
    renamed = " ".join(on_file.patient_name.split()) != " ".join(incoming.patient_name.split())
    for key in sorted((before.keys() | after.keys()) - _NOT_COMPARED):
        if _value(before, key) == _value(after, key):
            continue
        if key == "diagnoses" and codes[0] != codes[1]:
            continue
        if key == "subscriber" and member[0] != member[1] and _same_but_member(on_file, incoming):
            continue
        if key in ("patient", "subscriber") and renamed:
            continue  # the patient's name change is already said
        if key in _DETAIL_WORDS:
            out.append(f"{_DETAIL_WORDS[key]} changed")
        elif not claim_info:  # CLM elements: place of service, signatures, ...
            claim_info = True
            out.append("claim information (CLM) changed")
    old_lines, new_lines = before.get("lines", {}), after.get("lines", {})
    both = {str(line.line_number) for line in on_file.service_lines} & {
        str(line.line_number) for line in incoming.service_lines}  # added/removed: already said
    for number in sorted(both, key=int):
        if old_lines.get(number) != new_lines.get(number):
            out.append(f"line {number} details changed (2400: pointers, NDC, providers, ...)")
    return out


def _value(data: dict[str, Any], key: str) -> Any:
    return data.get(key) if data.get(key) not in (None, [], {}, "") else None


def _member_id(claim: Claim) -> str:
    coverage = claim.subscriber
    person = coverage.subscriber if coverage is not None else None
    return (person.identifier or "").strip() if person is not None else ""


def _same_but_member(on_file: Claim, incoming: Claim) -> bool:
    a, b = on_file.subscriber, incoming.subscriber
    if a is None or b is None or a.subscriber is None or b.subscriber is None:
        return False
    person = dataclasses.replace(b.subscriber, identifier=a.subscriber.identifier)
    return dataclasses.replace(b, subscriber=person) == a


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
