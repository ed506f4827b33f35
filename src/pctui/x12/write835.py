"""Write :class:`~pctui.core.era.Remittance` objects as 5010 835 text, with chosen delimiters.

The inverse of ``read835`` for what pctui reads: used by the benchmark generator, by tests (files
with unusual delimiters, several interchanges) and by demo data. Amounts are written the way
payers do, without trailing zeros ("127.8", "945", "-1.27").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from pctui.core.era import Adjustment, ClaimPayment, Remittance, ServicePayment


@dataclass(frozen=True, slots=True)
class X12Style:
    """Delimiters and line breaks of a written interchange."""

    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    segment: str = "~"
    line_break: str = "\n"  # after each terminator: "", "\n" or "\r\n"


def x12_amount(value: Decimal) -> str:
    """``127.80`` -> ``127.8``, ``945.00`` -> ``945``, ``-1.27`` stays."""
    text = format(value.normalize(), "f")
    return "0" if text in ("-0", "0") else text


def _x12_number(value: Decimal) -> str:
    return x12_amount(value)


def _day(value: date) -> str:
    return value.strftime("%Y%m%d")


class _Writer:
    def __init__(self, style: X12Style) -> None:
        self.style = style
        self.out: list[str] = []
        self.count = 0  # segments in the open transaction set

    def seg(self, *elements: str | list[str] | None) -> None:
        """One segment; a list is a composite; trailing empty elements are dropped."""
        parts = [
            self.style.component.join(e).rstrip(self.style.component)
            if isinstance(e, list)
            else (e or "")
            for e in elements
        ]
        while len(parts) > 1 and parts[-1] == "":
            parts.pop()
        self.out.append(self.style.element.join(parts) + self.style.segment + self.style.line_break)
        self.count += 1


def write_835(
    remittances: list[Remittance],
    *,
    style: X12Style | None = None,
    sender: str = "PAYER",
    receiver: str = "PROVIDER",
    interchange_control: int = 1,
    group_control: int = 1,
    created: datetime | None = None,
) -> str:
    """One ISA/GS interchange holding one ST..SE per payment."""
    style = style or X12Style()
    when = created or datetime(2026, 1, 2, 3, 4)
    w = _Writer(style)
    isa = [
        "ISA", "00", " " * 10, "00", " " * 10, "ZZ", sender.ljust(15)[:15], "ZZ",
        receiver.ljust(15)[:15], when.strftime("%y%m%d"), when.strftime("%H%M"),
        style.repetition, "00501", f"{interchange_control:09d}", "0", "P", style.component,
    ]  # fmt: skip
    w.out.append(style.element.join(isa) + style.segment + style.line_break)
    gs_sender = remittances[0].sender_id if remittances and remittances[0].sender_id else sender
    w.seg("GS", "HP", gs_sender, receiver, when.strftime("%Y%m%d"), when.strftime("%H%M"),
          str(group_control), "X", "005010X221A1")  # fmt: skip
    for number, era in enumerate(remittances, start=1):
        _transaction(w, era, era.control_number or f"{number:04d}")
    w.seg("GE", str(len(remittances)), str(group_control))
    w.seg("IEA", "1", f"{interchange_control:09d}")
    return "".join(w.out)


def _transaction(w: _Writer, era: Remittance, control: str) -> None:
    w.count = 0
    w.seg("ST", "835", control)
    w.seg("BPR", "I", x12_amount(era.amount), era.credit_debit or "C", era.payment_method or "ACH",
          "CCP", "01", "999999999", "DA", "123456789", "1512345678", "", "01", "999988880", "DA",
          "98765", _day(era.payment_date) if era.payment_date else "")  # fmt: skip
    w.seg("TRN", "1", era.check_number, era.trn_originator)
    if era.production_date:
        w.seg("DTM", "405", _day(era.production_date))
    w.seg("N1", "PR", era.payer_name, "XV" if era.payer_id else "", era.payer_id)
    w.seg("N3", "PO BOX 1000")
    w.seg("N4", "SPRINGFIELD", "IL", "62701")
    if era.ref_2u:
        w.seg("REF", "2U", era.ref_2u)
    w.seg("PER", "BL", "PROVIDER SERVICES", "TE", "8005551212")
    w.seg("N1", "PE", era.payee_name, "XX" if era.payee_id else "", era.payee_id)
    for number, claim in enumerate(era.claims, start=1):
        w.seg("LX", str(number))
        _claim(w, claim)
    _plb(w, era)
    w.seg("SE", str(w.count + 1), control)


def _claim(w: _Writer, claim: ClaimPayment) -> None:
    w.seg("CLP", claim.patient_control_number, claim.status_code, x12_amount(claim.charge),
          x12_amount(claim.paid),
          x12_amount(claim.patient_responsibility) if claim.patient_responsibility is not None
          else "",
          claim.filing_indicator, claim.payer_claim_control, claim.facility_code,
          claim.frequency_code)  # fmt: skip
    _cas(w, claim.adjustments)
    if claim.patient_name:
        last, _, first = claim.patient_name.partition(", ")
        w.seg("NM1", "QC", "1", last, first, "", "", "", "MI", "M" + claim.patient_control_number)
    if claim.remarks:
        w.seg("MOA", "", "", *claim.remarks[:5])
    if claim.statement_from:
        w.seg("DTM", "232", _day(claim.statement_from))
    if claim.statement_to:
        w.seg("DTM", "233", _day(claim.statement_to))
    for qualifier, value in claim.references.items():
        w.seg("REF", qualifier, value)
    for qualifier, amount in claim.amounts.items():
        w.seg("AMT", qualifier, x12_amount(amount))
    for line in claim.service_lines:
        _line(w, line)


def _line(w: _Writer, line: ServicePayment) -> None:
    procedure = [line.qualifier, line.procedure, *line.modifiers]
    original = (["HC", line.original_procedure, *line.original_modifiers]
                if line.original_procedure else None)  # fmt: skip
    w.seg("SVC", procedure, x12_amount(line.charge), x12_amount(line.paid), line.revenue_code,
          _x12_number(line.units) if line.units is not None else "", original,
          _x12_number(line.original_units) if line.original_units is not None else "")  # fmt: skip
    if line.service_date and line.service_date_end:
        w.seg("DTM", "150", _day(line.service_date))
        w.seg("DTM", "151", _day(line.service_date_end))
    elif line.service_date:
        w.seg("DTM", "472", _day(line.service_date))
    _cas(w, line.adjustments)
    if line.control_number:
        w.seg("REF", "6R", line.control_number)
    if line.allowed is not None:
        w.seg("AMT", "B6", x12_amount(line.allowed))
    for remark in line.remarks:
        w.seg("LQ", "HE", remark)


def _cas(w: _Writer, adjustments: list[Adjustment]) -> None:
    """One CAS per group, at most six reason/amount/quantity triples each."""
    groups: dict[str, list[Adjustment]] = {}
    for a in adjustments:
        groups.setdefault(a.group, []).append(a)
    for group, items in groups.items():
        for start in range(0, len(items), 6):
            elements: list[str] = []
            for a in items[start : start + 6]:
                quantity = _x12_number(a.quantity) if a.quantity is not None else ""
                elements += [a.reason, x12_amount(a.amount), quantity]
            w.seg("CAS", group, *elements)


def _plb(w: _Writer, era: Remittance) -> None:
    items = era.provider_adjustments
    for start in range(0, len(items), 6):
        chunk = items[start : start + 6]
        first = chunk[0]
        elements: list[str | list[str]] = []
        for p in chunk:
            elements += [[p.reason, p.reference] if p.reference else [p.reason],
                         x12_amount(p.amount)]  # fmt: skip
        fiscal = _day(first.fiscal_date) if first.fiscal_date else ""
        w.seg("PLB", first.provider_id, fiscal, *elements)
