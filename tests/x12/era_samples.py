"""Small, balanced payments for generated 835 files in tests (written with ``x12.write835``)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pctui.core.era import (
    Adjustment,
    ClaimPayment,
    InboundIdSource,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
)


def sample_payment(
    check: str = "EFT100",
    *,
    payer_name: str = "ACME HEALTH PLAN",
    payer_id: str | None = "ACME1",
    ref_2u: str | None = None,
    amount_shift: Decimal = Decimal("0.00"),
) -> Remittance:
    """Two claims (three lines), claim- and line-level CAS, one PLB interest; BPR balances."""
    office = ServicePayment(
        procedure="99213", modifiers=("25",), charge=Decimal("125.00"), paid=Decimal("80.00"),
        units=Decimal("1"), service_date=date(2026, 1, 5), control_number="LINE-1",
        allowed=Decimal("100.00"),
        adjustments=[Adjustment("CO", "45", Decimal("25.00")), Adjustment("PR", "2", Decimal("20.00"))],
        remarks=["N130"],
    )  # fmt: skip
    lab = ServicePayment(
        procedure="36415", charge=Decimal("18.00"), paid=Decimal("10.50"), units=Decimal("2"),
        service_date=date(2026, 1, 5), service_date_end=date(2026, 1, 6),
        adjustments=[Adjustment("CO", "45", Decimal("7.50"))],
    )  # fmt: skip
    denied = ServicePayment(
        procedure="97110", modifiers=("GP", "59"), charge=Decimal("68.00"),
        service_date=date(2026, 1, 7), control_number="LINE-3",
        adjustments=[Adjustment("CO", "50", Decimal("68.00"))],
    )  # fmt: skip
    first = ClaimPayment(
        patient_control_number="PCN-1", status_code="1", charge=Decimal("143.00"),
        paid=Decimal("90.50"), patient_responsibility=Decimal("20.00"), filing_indicator="12",
        payer_claim_control="PAYERCLM1", patient_name="SMITH, JANE",
        statement_from=date(2026, 1, 5), statement_to=date(2026, 1, 6),
        service_lines=[office, lab],
    )  # fmt: skip
    second = ClaimPayment(
        patient_control_number="PCN-2", status_code="4", charge=Decimal("68.00"),
        paid=Decimal("0.00"), filing_indicator="12", payer_claim_control="PAYERCLM2",
        patient_name="DOE, JOHN",
        remarks=["MA01"], service_lines=[denied],
        references={"EA": "MRN-77"}, amounts={"AU": Decimal("0.00")},
    )  # fmt: skip
    interest = ProviderAdjustment("1234567893", date(2026, 12, 31), "L6", None, Decimal("-1.25"))
    era = Remittance(
        control_number="0001", interchange_control="", sender_id="ACMEGS", amount=Decimal("0"),
        payment_method="ACH", payment_date=date(2026, 1, 20), check_number=check,
        trn_originator="1999999999", production_date=date(2026, 1, 18),
        payer_name=payer_name, payer_id=payer_id, ref_2u=ref_2u,
        payee_name="LAKESIDE FAMILY MEDICINE", payee_id="1234567893",
        claims=[first, second], provider_adjustments=[interest],
    )  # fmt: skip
    era.amount = era.claims_paid_total - era.provider_adjustment_total + amount_shift
    era.inbound_id = ref_2u or payer_id or "1999999999"
    era.inbound_id_source = (
        InboundIdSource.REF_2U if ref_2u else
        InboundIdSource.N1_PR_N104 if payer_id else InboundIdSource.TRN03
    )  # fmt: skip
    return era
