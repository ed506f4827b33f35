"""Demo claims and the 835s that pay them, written as real X12 by pctui's own 835 writer and
imported through the normal intake, so the demo exercises the same path as a real file.

What a newcomer finds after ``pctui demo``:
- Medicare, BCBS and workers' comp payments that are Ready (their rules exist);
- a Medi-Cal secondary payment for a Medicare crossover claim (released with Medicare, it
  posts after it; alone, before Medicare, it is held);
- an Aetna payment under Inbound ID 128, which is not attached to Aetna yet: No Payer Rule
  Established until an admin creates the rule (and attaches the ID);
- a Cigna payment from a payer that is not set up at all: blocked, and its claim unknown;
- a denial (CO-50), an unknown patient account, and a PLB interest payment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlmodel import Session, select

from pctui.core.claim import Claim, ClaimPayerRef, ServiceLine
from pctui.core.codes import PayerLevel
from pctui.core.era import Adjustment, ClaimPayment, ProviderAdjustment, Remittance, ServicePayment
from pctui.store import claims as claims_store
from pctui.store import intake
from pctui.store.db import Store
from pctui.store.tables import Era, Payer
from pctui.store.users import Actor
from pctui.x12.write835 import write_835

D = Decimal


@dataclass(frozen=True)
class _Line:
    procedure: str
    charge: str
    units: str = "1"
    modifiers: tuple[str, ...] = ()


# claim id, patient, primary, secondary (payer code -> outbound id below), lines
_CLAIMS: list[tuple[str, str, str, str | None, list[_Line]]] = [
    ("DEMO1001", "GARCIA, MARIA", "MCR", "MCDCA", [_Line("99214", "150"), _Line("97110", "90", "2", ("GP",))]),
    ("DEMO1002", "NGUYEN, THOMAS", "BCBS", None, [_Line("99213", "110"), _Line("97140", "65", "1", ("GP",))]),
    ("DEMO1003", "JOHNSON, ALICE", "BCBS", "AETNA", [_Line("99203", "180")]),
    ("DEMO1004", "SMITH, ROBERT", "WCF", None, [_Line("97161", "160"), _Line("97110", "135", "3")]),
    ("DEMO1005", "LEE, KAREN", "AETNA", None, [_Line("99214", "150")]),
    ("DEMO1006", "BROWN, DAVID", "MCR", None, [_Line("99213", "110")]),
]  # fmt: skip

def payer_refs(session: Session) -> dict[str, ClaimPayerRef]:
    """How the demo claims name each payer: as it is on file, so a payer the practice set up
    under a demo code (perhaps with another name or no outbound ID) still matches."""
    return {p.code: ClaimPayerRef(p.name, p.outbound_id or None)
            for p in session.exec(select(Payer)).all()}


def demo_claims(today: date, refs: dict[str, ClaimPayerRef]) -> list[Claim]:
    service_day = today - timedelta(days=30)
    result = []
    for claim_id, patient, primary, secondary, lines in _CLAIMS:
        payers = {PayerLevel.PRIMARY: refs[primary]}
        if secondary:
            payers[PayerLevel.SECONDARY] = refs[secondary]
        service_lines = [
            ServiceLine(n, line.procedure, line.modifiers, D(line.charge), D(line.units),
                        service_day, f"{claim_id}-{n}")
            for n, line in enumerate(lines, start=1)
        ]
        result.append(Claim(claim_id, sum((s.charge for s in service_lines), D(0)), patient,
                            service_lines, payers, service_day))
    return result


def _svc(claim_id: str, n: int, procedure: str, charge: str, paid: str, day: date,
         *adjustments: tuple[str, str, str], units: str = "1") -> ServicePayment:
    return ServicePayment(procedure, charge=D(charge), paid=D(paid), units=D(units),
                          service_date=day, control_number=f"{claim_id}-{n}",
                          adjustments=[Adjustment(g, r, D(a)) for g, r, a in adjustments])


def _clp(claim_id: str, status: str, charge: str, paid: str, patient: str,
         lines: list[ServicePayment], *claim_cas: tuple[str, str, str]) -> ClaimPayment:
    pr = sum((a.amount for s in lines for a in s.adjustments if a.group == "PR"), D(0))
    return ClaimPayment(claim_id, status, D(charge), D(paid), pr, "MB", f"{claim_id}X",
                        "11", "1", patient, service_lines=lines,
                        adjustments=[Adjustment(g, r, D(a)) for g, r, a in claim_cas])


def _era(check: str, payer: str, payer_id: str, day: date, claims: list[ClaimPayment],
         plb: list[ProviderAdjustment] | None = None, ref_2u: str | None = None,
         method: str = "ACH") -> Remittance:
    plb = plb or []
    amount = sum((c.paid for c in claims), D(0)) - sum((p.amount for p in plb), D(0))
    return Remittance(control_number="0001", interchange_control="1", sender_id=payer_id,
                      amount=amount, payment_method=method if amount else "NON",
                      payment_date=day, check_number=check, trn_originator="1" + payer_id.rjust(9, "0"),
                      production_date=day - timedelta(days=1), payer_name=payer,
                      payer_id=payer_id, ref_2u=ref_2u, payee_name="SUNRISE PHYSICAL THERAPY",
                      payee_id="1234567893", claims=claims, provider_adjustments=plb)


def demo_remittances(today: date) -> list[tuple[str, Remittance]]:
    svc_day = today - timedelta(days=30)
    paid_day = today - timedelta(days=3)
    return [
        ("demo-medicare.835", _era("MCR20261101", "MEDICARE PART B", "01312", paid_day, [
            _clp("DEMO1001", "19", "240", "128", "GARCIA, MARIA", [
                _svc("DEMO1001", 1, "99214", "150", "80", svc_day, ("CO", "45", "50"), ("PR", "2", "20")),
                _svc("DEMO1001", 2, "97110", "90", "48", svc_day, ("CO", "45", "30"), ("PR", "2", "12"), units="2"),
            ]),
            _clp("DEMO1006", "1", "110", "64", "BROWN, DAVID", [
                _svc("DEMO1006", 1, "99213", "110", "64", svc_day, ("CO", "45", "30"), ("PR", "1", "16")),
            ]),
        ])),
        ("demo-bcbs.835", _era("BCBS55821", "BLUE CROSS BLUE SHIELD OF TEXAS", "84980", paid_day, [
            _clp("DEMO1002", "1", "175", "112", "NGUYEN, THOMAS", [
                _svc("DEMO1002", 1, "99213", "110", "72", svc_day, ("CO", "45", "28"), ("PR", "3", "10")),
                _svc("DEMO1002", 2, "97140", "65", "40", svc_day, ("CO", "45", "25")),
            ]),
            _clp("DEMO1003", "1", "180", "100", "JOHNSON, ALICE", [
                _svc("DEMO1003", 1, "99203", "180", "100", svc_day, ("CO", "45", "50"), ("PR", "2", "30")),
            ]),
            _clp("DEMO9999", "1", "90", "50", "DOE, JANE", [
                _svc("DEMO9999", 1, "97110", "90", "50", svc_day, ("CO", "45", "40")),
            ]),
        ], plb=[ProviderAdjustment("1234567893", today.replace(month=12, day=31), "L6",
                                   "INTEREST", D("-2.50"))], method="CHK")),
        ("demo-workers-comp.835", _era("WC7781", "STATE COMPENSATION INSURANCE FUND", "35076", paid_day, [
            _clp("DEMO1004", "1", "295", "219", "SMITH, ROBERT", [
                _svc("DEMO1004", 1, "97161", "160", "120", svc_day, ("CO", "W1", "40")),
                _svc("DEMO1004", 2, "97110", "135", "99", svc_day, ("CO", "W1", "36"), units="3"),
            ]),
        ])),
        ("demo-medi-cal-secondary.835", _era("MCD88014", "MEDI-CAL", "610442", today, [
            _clp("DEMO1001", "2", "240", "25.6", "GARCIA, MARIA", [
                _svc("DEMO1001", 1, "99214", "150", "16", svc_day, ("CO", "45", "4")),
                _svc("DEMO1001", 2, "97110", "90", "9.6", svc_day, ("CO", "45", "2.4"), units="2"),
            ]),
        ])),
        ("demo-aetna-denial.835", _era("AET40021", "AETNA BETTER HEALTH", "60054", paid_day, [
            _clp("DEMO1005", "4", "150", "0", "LEE, KAREN", [
                _svc("DEMO1005", 1, "99214", "150", "0", svc_day, ("CO", "50", "150")),
            ]),
        ])),
        ("demo-aetna-new-payer-id.835", _era("AET40022", "AETNA BETTER HEALTH", "128", today, [
            _clp("DEMO1003", "2", "180", "20", "JOHNSON, ALICE", [
                _svc("DEMO1003", 1, "99203", "180", "20", svc_day, ("PR", "2", "10")),
            ]),
        ], ref_2u="128")),
        ("demo-cigna.835", _era("CIG77310", "CIGNA HEALTHCARE", "62308", today, [
            _clp("CIG-55102", "1", "200", "140", "WILSON, GRACE", [
                _svc("CIG-55102", 1, "99204", "200", "140", svc_day, ("CO", "45", "60")),
            ]),
        ])),
    ]  # fmt: skip


def add_demo_claims_and_eras(store: Store, actor: Actor, today: date) -> dict[str, Any]:
    """Add the demo claims and import the demo 835s that are not on file yet."""
    added = {"claims": 0, "eras": 0}
    with store.write() as session:
        for claim in demo_claims(today, payer_refs(session)):
            if claims_store.find_claim_pk(session, claim.claim_id) is None:
                claims_store.add_demo_claim(session, claim, created_by=actor.login)
                added["claims"] += 1
    with store.read() as session:
        on_file = set(session.exec(select(Era.check_number)).all())
    for control, (name, era) in enumerate(demo_remittances(today), start=1):
        if era.check_number in on_file:
            continue
        text = write_835([era], sender=era.payer_id or "PAYER", receiver="SUNRISEPT",
                         interchange_control=control, group_control=control)
        result = intake.import_bytes(store, name, text.encode("ascii"), actor)
        if result.status != "imported":
            raise RuntimeError(f"demo 835 {name} did not import: {result.errors}")
        added["eras"] += 1
    return added
