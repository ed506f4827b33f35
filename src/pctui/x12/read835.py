"""835 text to :class:`~pctui.core.era.Remittance` objects, one per ST..SE transaction set.

Segments come from :class:`~pctui.x12.envelope.X12Stream` (each parsed by pyx12's ``Segment``;
no loop-tree validation, which ``x12/validate.py`` runs later), one pass, one payment in memory. Loops are tracked here by the segments that open them: N1*PR
(1000A), N1*PE (1000B), LX (2000), CLP (2100), SVC (2110), PLB (summary).

Problems that still let a payment be read become findings on it (source ``structure`` or
``balance``): missing BPR/TRN/N1*PR/N1*PE, amounts or dates that do not parse, a composite written
with a different separator than ISA16 declares, and the 835 balancing rules (line, claim, payment).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date
from decimal import Decimal, InvalidOperation

from pyx12.segment import Segment

from pctui.core.era import (
    Adjustment,
    ClaimPayment,
    Finding,
    FindingSource,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
    Severity,
    choose_inbound_id,
)
from pctui.core.money import ZERO, AmountError, is_plain_decimal, parse_amount
from pctui.x12.envelope import FileRejected, ScannedFile, TransactionSet, X12Stream

REQUIRED_SEGMENTS = {
    "BPR": "BPR (payment amount and date)",
    "TRN": "TRN (check or EFT trace number)",
    "N1*PR": "N1*PR (payer identification)",
    "N1*PE": "N1*PE (payee identification)",
}
# GS08 versions other than 005010X221A1 that pctui reads, and what a biller is told about them.
_4010 = ("This is a 4010 remittance ({v}), the format used before 5010; pctui reads its "
         "payments and posts them as it does 5010 ones.")  # fmt: skip
VERSION_NOTES = {
    "004010X091A1": _4010.format(v="004010X091A1"),
    "004010X091": _4010.format(v="004010X091"),
    "005010X221": "This 835 names the 5010 remittance guide before its 2011 addenda "
    "(005010X221); its payments are read as 5010 ones.",
}
_MIA_REMARKS = (5, 20, 21, 22, 23)
_MOA_REMARKS = (3, 4, 5, 6, 7)
_CACHE_LIMIT = 50_000


def read_835(text: str) -> list[Remittance]:
    """Decoded 835 text to its payments (envelope problems raise ``FileRejected``)."""
    return list(Reader835(X12Stream([text], text=True)))


def read_remittances(scanned: ScannedFile) -> list[Remittance]:
    """The payments of a scanned (whole, small) 835 file, in file order."""
    return list(Reader835(X12Stream([scanned.text], text=True)))


def _value(seg: Segment, n: int) -> str:
    """Element ``n`` (1-based) as text; a simple element keeps any stray component separator."""
    try:
        comps = seg.elements[n - 1].elements
    except IndexError:
        return ""
    if len(comps) == 1:
        return comps[0].value
    return seg.subele_term.join(c.value for c in comps)


def _components(seg: Segment, n: int) -> list[str]:
    els = seg.elements
    if n > len(els):
        return []
    return [c.value for c in els[n - 1].elements]


class Reader835:
    """A small state machine over the segment stream; iterate it for the payments, one per
    ST..SE, each handed over as soon as its SE is read (memory: one payment at a time).

    A transaction set without BPR or TRN is not a payment: it is not handed over, and
    ``refused`` says which one and why (a file-level finding).
    """

    def __init__(self, stream: X12Stream) -> None:
        self.stream = stream
        self.refused: list[Finding] = []  # file-level: sets that are not payments, version notes
        self.noted: set[str] = set()
        self.payments = 0
        self.pos = 0
        # Large 835s repeat the same amounts and dates thousands of times; parse each text once.
        self.amounts: dict[str, Decimal] = {}
        self.dates: dict[str, date] = {}
        self.handlers: dict[str, Callable[[Segment], None]] = {
            "ST": self._st,
            "BPR": self._bpr,
            "TRN": self._trn,
            "DTM": self._dtm,
            "N1": self._n1,
            "REF": self._ref,
            "LX": self._lx,
            "CLP": self._clp,
            "CAS": self._cas,
            "NM1": self._nm1,
            "MIA": self._mia,
            "MOA": self._moa,
            "AMT": self._amt,
            "SVC": self._svc,
            "LQ": self._lq,
            "PLB": self._plb,
        }
        self._reset()

    def _reset(self) -> None:
        self.era: Remittance | None = None
        self.txn: TransactionSet | None = None
        self.loop = ""
        self.claim: ClaimPayment | None = None
        self.line: ServicePayment | None = None
        self.seen: set[str] = set()
        self.claim_at = 0
        self.line_at = 0

    def __iter__(self) -> Iterator[Remittance]:
        handlers = self.handlers
        stream = self.stream
        for number, seg in stream:
            seg_id = seg.seg_id
            if seg_id == "SE":
                if self.era is not None:
                    self.pos = number
                    done = self._finish(stream.closed_set)
                    if done is not None:
                        yield done
                continue
            handler = handlers.get(seg_id)  # type: ignore[arg-type]
            if handler is not None and (self.era is not None or seg_id == "ST"):
                self.pos = number
                handler(seg)

    # --- findings and value parsing ----------------------------------------------------

    def _find(self, message: str, segment: str, severity: Severity = Severity.ERROR) -> None:
        assert self.era is not None
        self.era.findings.append(
            Finding(severity, FindingSource.STRUCTURE, message, segment, self.pos)
        )

    def _amount(self, seg: Segment, n: int, what: str) -> Decimal | None:
        raw = _value(seg, n)
        if not raw:
            return None
        cached = self.amounts.get(raw)
        if cached is not None:
            return cached
        try:
            value = parse_amount(raw)
        except AmountError as exc:
            # Money is exact or not at all: a file with an amount that is not one is refused.
            shown = raw if len(raw) <= 40 else raw[:37] + "..."
            raise FileRejected(
                f"segment {self.pos} ({seg.seg_id}), element {n:02d}: the {what} {shown!r} "
                f"{exc.problem}", segment=self.pos, kind="835") from None
        if len(self.amounts) < _CACHE_LIMIT:
            self.amounts[raw] = value
        return value

    def _required_amount(self, seg: Segment, n: int, what: str) -> Decimal:
        value = self._amount(seg, n, what)
        if value is None:
            self._find(
                f"Segment {self.pos} ({seg.seg_id}), element {n}: the {what} is missing; "
                "read as 0.00",
                seg.seg_id,  # type: ignore[arg-type]
            )
            return ZERO
        return value

    def _number(self, seg: Segment, n: int, what: str) -> Decimal | None:
        raw = _value(seg, n)
        if not raw:
            return None
        try:
            value = Decimal(raw) if len(raw) <= 18 and is_plain_decimal(raw) else None
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            self._find(
                f"Segment {self.pos} ({seg.seg_id}), element {n}: {raw!r} is not a valid "
                f"number for the {what}; left blank",
                seg.seg_id,  # type: ignore[arg-type]
            )
            return None
        return value

    def _date(self, seg: Segment, n: int, what: str) -> date | None:
        raw = _value(seg, n)
        if not raw:
            return None
        cached = self.dates.get(raw)
        if cached is not None:
            return cached
        if len(raw) == 8 and raw.isdigit():
            try:
                value = date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
                if len(self.dates) < _CACHE_LIMIT:
                    self.dates[raw] = value
                return value
            except ValueError:
                pass
        self._find(
            f"Segment {self.pos} ({seg.seg_id}), element {n}: {raw!r} is not a valid date "
            f"(CCYYMMDD) for the {what}; left blank",
            seg.seg_id,  # type: ignore[arg-type]
        )
        return None

    def _composite(self, seg: Segment, n: int, what: str) -> list[str]:
        """A composite's parts; a part written with another separator than ISA16 is still split."""
        parts = _components(seg, n)
        if len(parts) == 1 and parts[0]:
            stray = next((ch for ch in parts[0] if not ch.isalnum() and ch not in " -."), None)
            if stray is not None:
                split = parts[0].split(stray)
                self._find(
                    f"{what} separates its parts with {stray!r} but the file declares "
                    f"{seg.subele_term!r} (ISA16); read with {stray!r}",
                    seg.seg_id,  # type: ignore[arg-type]
                    Severity.WARNING,
                )
                return split
        return parts

    # --- header ----------------------------------------------------------------------------

    def _st(self, seg: Segment) -> None:
        txn = self.stream.open_set
        assert txn is not None
        self.txn = txn
        note = VERSION_NOTES.get(txn.version)
        if note is not None and txn.version not in self.noted:
            self.noted.add(txn.version)
            self.refused.append(Finding(Severity.WARNING, FindingSource.STRUCTURE, note, "GS",
                                        txn.first_segment - 1))  # fmt: skip
        self.era = Remittance(
            control_number=_value(seg, 2),
            interchange_control=txn.interchange_control,
            sender_id=txn.sender_id,
            amount=ZERO,
        )
        self.loop = "header"

    def _bpr(self, seg: Segment) -> None:
        era = self.era
        assert era is not None
        self.seen.add("BPR")
        era.amount = self._required_amount(seg, 2, "payment amount (BPR02)")
        era.credit_debit = _value(seg, 3) or "C"
        era.payment_method = _value(seg, 4)
        era.payment_date = self._date(seg, 16, "payment date (BPR16)")
        if not _value(seg, 16):
            self._find(
                f"Segment {self.pos} (BPR): the payment date (BPR16) is missing", "BPR",
                Severity.WARNING,
            )

    def _trn(self, seg: Segment) -> None:
        assert self.era is not None
        if "TRN" in self.seen:
            return
        self.seen.add("TRN")
        self.era.check_number = _value(seg, 2).strip()
        self.era.trn_originator = _value(seg, 3).strip() or None

    def _dtm(self, seg: Segment) -> None:
        qualifier = _value(seg, 1)
        loop = self.loop
        if loop == "header" and qualifier == "405":
            self.era.production_date = self._date(seg, 2, "production date (DTM*405)")  # type: ignore[union-attr]
        elif loop == "2100" and self.claim is not None:
            if qualifier == "232":
                self.claim.statement_from = self._date(seg, 2, "claim statement start date")
            elif qualifier == "233":
                self.claim.statement_to = self._date(seg, 2, "claim statement end date")
        elif loop == "2110" and self.line is not None:
            if qualifier in ("472", "150"):
                self.line.service_date = self._date(seg, 2, "service date")
            elif qualifier == "151":
                self.line.service_date_end = self._date(seg, 2, "service end date")

    def _n1(self, seg: Segment) -> None:
        era = self.era
        assert era is not None
        entity = _value(seg, 1)
        if entity == "PR" and self.loop in ("header", "1000A"):
            self.seen.add("N1*PR")
            self.loop = "1000A"
            era.payer_name = _value(seg, 2).strip()
            era.payer_id = _value(seg, 4).strip() or None
        elif entity == "PE" and self.loop in ("header", "1000A", "1000B"):
            self.seen.add("N1*PE")
            self.loop = "1000B"
            era.payee_name = _value(seg, 2).strip()
            era.payee_id = _value(seg, 4).strip() or None

    def _ref(self, seg: Segment) -> None:
        qualifier = _value(seg, 1)
        loop = self.loop
        if loop == "1000A" and qualifier == "2U":
            self.era.ref_2u = _value(seg, 2).strip() or None  # type: ignore[union-attr]
        elif loop == "2100" and self.claim is not None:
            self.claim.references[qualifier] = _value(seg, 2)
        elif loop == "2110" and self.line is not None and qualifier == "6R":
            self.line.control_number = _value(seg, 2).strip() or None

    def _lx(self, seg: Segment) -> None:
        self._close_claim()
        self.loop = "2000"

    # --- claims and lines -----------------------------------------------------------------

    def _clp(self, seg: Segment) -> None:
        self._close_claim()
        self.loop = "2100"
        claim = ClaimPayment(
            patient_control_number=_value(seg, 1).strip(),
            status_code=_value(seg, 2),
            charge=self._required_amount(seg, 3, "claim charge (CLP03)"),
            paid=self._required_amount(seg, 4, "claim payment (CLP04)"),
            patient_responsibility=self._amount(seg, 5, "patient responsibility (CLP05)"),
            filing_indicator=_value(seg, 6) or None,
            payer_claim_control=_value(seg, 7) or None,
            facility_code=_value(seg, 8) or None,
            frequency_code=_value(seg, 9) or None,
        )
        if not claim.patient_control_number:
            self._find(
                f"Segment {self.pos} (CLP): the patient control number (CLP01) is missing",
                "CLP",
            )
        self.claim = claim
        self.claim_at = self.pos
        self.era.claims.append(claim)  # type: ignore[union-attr]

    def _cas(self, seg: Segment) -> None:
        if self.loop == "2110" and self.line is not None:
            target = self.line.adjustments
        elif self.loop == "2100" and self.claim is not None:
            target = self.claim.adjustments
        else:
            return
        group = _value(seg, 1)
        for first in range(2, min(len(seg.elements), 19) + 1, 3):  # up to six triples
            reason = _value(seg, first)
            amount = self._amount(seg, first + 1, "adjustment amount")
            if not reason and amount is None:
                continue
            if amount is None:
                self._find(
                    f"Segment {self.pos} (CAS), element {first + 1}: adjustment {group}-{reason} "
                    "has no amount; read as 0.00",
                    "CAS",
                )
                amount = ZERO
            quantity = self._number(seg, first + 2, "adjustment quantity")
            target.append(Adjustment(group, reason, amount, quantity))

    def _nm1(self, seg: Segment) -> None:
        if self.loop == "2100" and self.claim is not None and _value(seg, 1) == "QC":
            last, first = _value(seg, 3).strip(), _value(seg, 4).strip()
            self.claim.patient_name = f"{last}, {first}" if first else last

    def _mia(self, seg: Segment) -> None:
        if self.claim is not None and self.loop == "2100":
            self.claim.remarks.extend(r for n in _MIA_REMARKS if (r := _value(seg, n)))

    def _moa(self, seg: Segment) -> None:
        if self.claim is not None and self.loop == "2100":
            self.claim.remarks.extend(r for n in _MOA_REMARKS if (r := _value(seg, n)))

    def _amt(self, seg: Segment) -> None:
        qualifier = _value(seg, 1)
        if self.loop == "2110" and self.line is not None:
            if qualifier == "B6":
                self.line.allowed = self._amount(seg, 2, "allowed amount (AMT*B6)")
        elif self.loop == "2100" and self.claim is not None:
            amount = self._amount(seg, 2, f"claim amount AMT*{qualifier}")
            if amount is not None:
                self.claim.amounts[qualifier] = amount

    def _svc(self, seg: Segment) -> None:
        claim = self.claim
        if claim is None or self.loop not in ("2100", "2110"):
            self._find(f"Segment {self.pos} (SVC): a service line outside any claim", "SVC")
            return
        self._close_line()
        self.loop = "2110"
        parts = self._composite(seg, 1, "SVC01 (procedure)")
        qualifier = parts[0] if parts else ""
        procedure = parts[1] if len(parts) > 1 else ""
        original = self._composite(seg, 6, "SVC06 (original procedure)")
        line = ServicePayment(
            procedure=procedure,
            qualifier=qualifier,
            modifiers=tuple(m for m in parts[2:6] if m),
            charge=self._required_amount(seg, 2, "line charge (SVC02)"),
            paid=self._required_amount(seg, 3, "line payment (SVC03)"),
            revenue_code=_value(seg, 4) or None,
            units=self._number(seg, 5, "units (SVC05)"),
            original_procedure=original[1] if len(original) > 1 and original[1] else None,
            original_modifiers=tuple(m for m in original[2:6] if m),
            original_units=self._number(seg, 7, "original units (SVC07)"),
        )
        if not procedure:
            self._find(
                f"Segment {self.pos} (SVC): service line {len(claim.service_lines) + 1} of claim "
                f"{claim.patient_control_number} has qualifier {qualifier!r} but no procedure "
                "code (SVC01-2)",
                "SVC",
            )
        self.line = line
        self.line_at = self.pos
        claim.service_lines.append(line)

    def _lq(self, seg: Segment) -> None:
        if self.loop == "2110" and self.line is not None:
            code = _value(seg, 2)
            if code:
                qualifier = _value(seg, 1)
                self.line.remarks.append(code if qualifier == "HE" else f"{qualifier} {code}")

    def _plb(self, seg: Segment) -> None:
        self._close_claim()
        self.loop = "summary"
        provider = _value(seg, 1)
        fiscal = self._date(seg, 2, "provider adjustment fiscal period date (PLB02)")
        for first in range(3, min(len(seg.elements), 14) + 1, 2):  # up to six pairs
            parts = self._composite(seg, first, "PLB03 (adjustment reason)")
            amount = self._amount(seg, first + 1, "provider adjustment amount")
            if not any(parts) and amount is None:
                continue
            self.era.provider_adjustments.append(  # type: ignore[union-attr]
                ProviderAdjustment(
                    provider_id=provider,
                    fiscal_date=fiscal,
                    reason=parts[0] if parts else "",
                    reference=parts[1] if len(parts) > 1 and parts[1] else None,
                    amount=amount if amount is not None else ZERO,
                )
            )

    # --- closing loops and checks ----------------------------------------------------------

    def _close_line(self) -> None:
        line = self.line
        if line is None:
            return
        self.line = None
        adjusted = sum((a.amount for a in line.adjustments), ZERO)
        if line.charge - line.paid != adjusted:
            claim = self.claim
            assert claim is not None and self.era is not None
            self.era.findings.append(
                Finding(
                    Severity.WARNING,
                    FindingSource.BALANCE,
                    f"Service line {line.procedure or line.qualifier} of claim "
                    f"{claim.patient_control_number} does not balance: charge {line.charge:.2f} "
                    f"minus payment {line.paid:.2f} is {line.charge - line.paid:.2f} but its "
                    f"adjustments total {adjusted:.2f}",
                    "SVC",
                    self.line_at,
                )
            )

    def _close_claim(self) -> None:
        self._close_line()
        claim = self.claim
        if claim is None:
            return
        self.claim = None
        adjusted = sum((a.amount for a in claim.adjustments), ZERO) + sum(
            (a.amount for line in claim.service_lines for a in line.adjustments), ZERO
        )
        if claim.charge - claim.paid != adjusted:
            assert self.era is not None
            self.era.findings.append(
                Finding(
                    Severity.WARNING,
                    FindingSource.BALANCE,
                    f"Claim {claim.patient_control_number} does not balance: charge "
                    f"{claim.charge:.2f} minus payment {claim.paid:.2f} is "
                    f"{claim.charge - claim.paid:.2f} but its adjustments total {adjusted:.2f}",
                    "CLP",
                    self.claim_at,
                )
            )

    def _finish(self, txn: TransactionSet | None) -> Remittance | None:
        era = self.era
        assert era is not None and txn is not None
        self._close_claim()
        era.findings[:0] = txn.findings
        missing = [label for key, label in REQUIRED_SEGMENTS.items()
                   if key in ("BPR", "TRN") and key not in self.seen]  # fmt: skip
        if missing:
            self._reset()
            what = " and ".join(missing)
            contents = "nothing between its ST and SE" if txn.segment_count <= 2 else (
                f"{txn.segment_count} segments")
            self.refused.append(Finding(
                Severity.ERROR, FindingSource.STRUCTURE,
                f"Transaction set {txn.control_number} (segments {txn.first_segment}-"
                f"{txn.first_segment + txn.segment_count - 1}, {contents}) is not a payment: it "
                f"has no {what}; not stored", "ST", txn.first_segment))  # fmt: skip
            return None
        for key, label in REQUIRED_SEGMENTS.items():
            if key not in self.seen:
                era.findings.append(
                    Finding(
                        Severity.ERROR,
                        FindingSource.STRUCTURE,
                        f"Required segment {label} is missing from payment {era.control_number}",
                        key.split("*")[0],
                        txn.first_segment,
                    )
                )
        chosen = choose_inbound_id(era.ref_2u, era.payer_id, era.trn_originator, era.sender_id)
        if chosen is not None:
            era.inbound_id, era.inbound_id_source = chosen
        era.segment_count = txn.segment_count
        era.first_segment = txn.first_segment
        era.transaction_index = txn.index
        balance = era.balance_finding()
        if balance is not None:
            era.findings.append(balance)
        self.payments += 1
        self._reset()
        return era
