"""Generate large, realistic 835 files for benchmarks (and for trying pctui on big input).

Every payment balances the way real ones do: line charge - payment = its CAS adjustments
(contractual CO-45, patient responsibility PR-1/2/3), claims sum their lines, some claims are
denied (CO-50/CO-97 with remark codes), some payments carry PLB interest or recoupments, and
BPR02 = sum(CLP04) - sum(PLB). Delimiters, line breaks and the number of interchanges are
configurable.

    .venv/bin/python bench/gen835.py big.835 --segments 100000
    .venv/bin/python bench/gen835.py odd.835 --segments 2000 --element '|' --component '>' \\
        --segment '!' --line-break none --interchanges 3
"""

from __future__ import annotations

import argparse
import random
import sys
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from pctui.core.era import (  # noqa: E402
    Adjustment,
    ClaimPayment,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
    choose_inbound_id,
)
from pctui.core.money import CENT, ZERO  # noqa: E402
from pctui.x12.write835 import X12Style, write_835  # noqa: E402

PAYERS = [
    # (name, N104 payer id or None, REF*2U or None, TRN03)
    ("BLUE CROSS BLUE SHIELD OF ILLINOIS", "00621", None, "1362345671"),
    ("AETNA", None, None, "1066033492"),
    ("MEDICARE PART B JURISDICTION 6", "06102", "06102", "1446901234"),
    ("UNITEDHEALTHCARE", "87726", None, "1411289245"),
    ("CIGNA HEALTHCARE", None, "62308", "1060320101"),
    ("ILLINOIS MEDICAID", "IL-MCD", None, "1376000012"),
]
PROCEDURES = [
    ("99213", Decimal("125.00")), ("99214", Decimal("185.00")), ("99215", Decimal("245.00")),
    ("99203", Decimal("160.00")), ("36415", Decimal("18.00")), ("80053", Decimal("52.00")),
    ("85025", Decimal("34.00")), ("97110", Decimal("68.00")), ("97140", Decimal("61.00")),
    ("93000", Decimal("75.00")), ("71046", Decimal("110.00")), ("J1885", Decimal("22.50")),
]  # fmt: skip
MODIFIERS = [(), (), (), ("25",), ("59",), ("26",), ("RT",), ("LT",), ("GP", "59")]
LAST = ["SMITH", "JOHNSON", "WILLIAMS", "BROWN", "JONES", "GARCIA", "MILLER", "DAVIS", "LOPEZ"]
FIRST = ["MARY", "JAMES", "PATRICIA", "ROBERT", "LINDA", "MICHAEL", "ELENA", "DAVID", "SUSAN"]


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT)


class Generator:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.claim_no = 0
        self.line_no = 0

    def line(self, day: date, denied: bool) -> ServicePayment:
        rng = self.rng
        code, fee = rng.choice(PROCEDURES)
        units = Decimal(rng.choice([1, 1, 1, 1, 2, 3]))
        charge = _money(fee * units)
        self.line_no += 1
        line = ServicePayment(procedure=code, modifiers=rng.choice(MODIFIERS), charge=charge,
                              units=units, service_date=day,
                              control_number=f"L{self.line_no:09d}")  # fmt: skip
        if denied:
            reason = rng.choice(["50", "97", "16", "29"])
            line.adjustments.append(Adjustment("CO", reason, charge))
            line.remarks.append(rng.choice(["N130", "M51", "N56", "MA130"]))
            return line
        allowed = _money(charge * Decimal(rng.randint(55, 90)) / 100)
        patient = _money(allowed * Decimal(rng.choice([0, 0, 10, 20])) / 100)
        copay = Decimal(rng.choice([0, 0, 0, 20, 30]))
        copay = min(copay, allowed - patient)
        line.allowed = allowed
        line.paid = allowed - patient - copay
        if charge != allowed:
            line.adjustments.append(Adjustment("CO", "45", charge - allowed))
        if patient:
            line.adjustments.append(Adjustment("PR", "2", patient))
        if copay:
            line.adjustments.append(Adjustment("PR", "3", copay))
        return line

    def claim(self, start: date) -> ClaimPayment:
        rng = self.rng
        self.claim_no += 1
        denied = rng.random() < 0.05
        day = start + timedelta(days=rng.randint(0, 60))
        lines = [self.line(day, denied) for _ in range(rng.choice([1, 1, 2, 2, 3, 4]))]
        charge = sum((x.charge for x in lines), ZERO)
        paid = sum((x.paid for x in lines), ZERO)
        patient = sum((a.amount for x in lines for a in x.adjustments if a.group == "PR"), ZERO)
        claim = ClaimPayment(
            patient_control_number=f"PCN{self.claim_no:08d}",
            status_code="4" if denied else rng.choice(["1", "1", "1", "1", "2"]),
            charge=charge,
            paid=paid,
            patient_responsibility=patient or None,
            filing_indicator="12",
            payer_claim_control=f"{rng.randint(10**12, 10**13 - 1)}",
            facility_code="11",
            frequency_code="1",
            patient_name=f"{rng.choice(LAST)}, {rng.choice(FIRST)}",
            statement_from=day,
            statement_to=day,
            service_lines=lines,
        )
        if denied:
            claim.remarks.append("MA01")
        return claim

    def payment(self, number: int, claims: int) -> Remittance:
        rng = self.rng
        name, n104, ref_2u, trn03 = PAYERS[number % len(PAYERS)]
        paid_on = date(2026, 1, 5) + timedelta(days=7 * (number // len(PAYERS)))
        era = Remittance(
            control_number=f"{number + 1:04d}",
            interchange_control="",
            sender_id=trn03,
            amount=ZERO,
            payment_method="ACH",
            payment_date=paid_on,
            check_number=f"EFT{paid_on:%Y%m%d}{number:06d}",
            trn_originator=trn03,
            production_date=paid_on - timedelta(days=2),
            payer_name=name,
            payer_id=n104,
            ref_2u=ref_2u,
            payee_name="LAKESIDE FAMILY MEDICINE",
            payee_id="1234567893",
        )
        era.claims = [self.claim(paid_on - timedelta(days=90)) for _ in range(claims)]
        if rng.random() < 0.3:
            era.provider_adjustments.append(ProviderAdjustment(
                "1234567893", date(paid_on.year, 12, 31), "L6", None,
                -Decimal(rng.randint(100, 2500)) / 100))  # fmt: skip
        if rng.random() < 0.2:
            era.provider_adjustments.append(ProviderAdjustment(
                "1234567893", date(paid_on.year, 12, 31), "WO", f"RCP{number:06d}",
                Decimal(rng.randint(1000, 9000)) / 100))  # fmt: skip
        era.amount = era.claims_paid_total - era.provider_adjustment_total
        era.inbound_id, era.inbound_id_source = choose_inbound_id(ref_2u, n104, trn03, trn03)  # type: ignore[misc]
        return era


def _style(args: argparse.Namespace) -> X12Style:
    breaks = {"lf": "\n", "crlf": "\r\n", "none": ""}
    return X12Style(args.element, args.component, args.repetition, args.segment,
                    breaks[args.line_break])  # fmt: skip


def generate(
    segments: int,
    *,
    seed: int = 835,
    claims_per_payment: int = 400,
    style: X12Style | None = None,
    interchanges: int = 1,
) -> str:
    """An 835 text with at least ``segments`` segments."""
    gen = Generator(seed)
    style = style or X12Style()
    payments: list[Remittance] = []
    text = ""
    while True:
        have = text.count(style.segment)
        if have >= segments:
            return text
        # Add as many payments as the average so far says are missing, then write once more.
        per_payment = have / len(payments) if payments else 14 + 17 * claims_per_payment
        missing = max(1, int((segments - have) / per_payment) + 1)
        payments.extend(gen.payment(len(payments), claims_per_payment) for _ in range(missing))
        text = _write(payments, style, interchanges)


def generate_payments(count: int, *, seed: int = 835, claims_per_payment: int = 1) -> str:
    """An 835 text with exactly ``count`` payments (for list benchmarks)."""
    gen = Generator(seed)
    return _write([gen.payment(n, claims_per_payment) for n in range(count)], X12Style(), 1)


def _write(payments: list[Remittance], style: X12Style, interchanges: int) -> str:
    size = -(-len(payments) // max(interchanges, 1))
    chunks = [payments[i : i + size] for i in range(0, len(payments), size)]
    return "".join(
        write_835(chunk, style=style, sender="CLEARINGHOUSE", receiver="LAKESIDE",
                  interchange_control=n + 1, group_control=n + 1)
        for n, chunk in enumerate(chunks)
    )  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--segments", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=835)
    parser.add_argument("--claims-per-payment", type=int, default=400)
    parser.add_argument("--interchanges", type=int, default=1)
    parser.add_argument("--element", default="*")
    parser.add_argument("--component", default=":")
    parser.add_argument("--repetition", default="^")
    parser.add_argument("--segment", default="~")
    parser.add_argument("--line-break", choices=["lf", "crlf", "none"], default="lf")
    args = parser.parse_args(argv)
    text = generate(args.segments, seed=args.seed, claims_per_payment=args.claims_per_payment,
                    style=_style(args), interchanges=args.interchanges)  # fmt: skip
    args.out.write_text(text, encoding="ascii", newline="")
    print(f"{args.out}: {text.count(args.segment)} segments, {len(text):,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
