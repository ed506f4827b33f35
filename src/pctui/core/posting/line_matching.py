"""SPEC 2.3 step 4: pair each service line payment (SVC) of a CLP with a line of the claim.

- REF*6R (line item control number) first; a control number that matches no line falls back
  to the next rule.
- Else procedure, service date and units. The procedure is SVC01-2, or — when the payer changed
  the code (SVC06 present) — SVC06-2 only: a down-coded line is matched by the code as billed,
  never by the code paid. Units are SVC07 (units billed) when given, else SVC05, else 1. The
  date is the line's DTM*472, else the claim's DTM*232; when either side has no date it is not
  compared.
- Modifiers need not match (payers drop and reorder them): among equal candidates the one with
  the same modifiers (SVC06's when present, else SVC01's) wins, then the same charge, then line
  order. Each claim line is matched at most once per CLP.
- A line a replacement claim (CLM05-3 = 7) left out is never matched: an 835 line for it is
  "not found", as for any service the claim on file does not have.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pctui.core.claim import ServiceLine
from pctui.core.era import ClaimPayment, ServicePayment
from pctui.core.ledger import ClaimLedger


def norm(text: str | None) -> str:
    return (text or "").strip().upper()


def billed_units(svc: ServicePayment) -> Decimal:
    """SVC07 (units billed) when the payer paid other units, else SVC05 (absent means 1)."""
    return svc.original_units if svc.original_units is not None else svc.billed_units


def billed_procedure(svc: ServicePayment) -> str:
    """The code as billed: SVC06-2 when the payer changed it, else SVC01-2."""
    return svc.original_procedure or svc.procedure


def _billed_modifiers(svc: ServicePayment) -> tuple[str, ...]:
    if svc.original_procedure:
        return tuple(norm(m) for m in svc.original_modifiers)
    return tuple(norm(m) for m in svc.modifiers)


def _same_service(
    svc: ServicePayment, clp: ClaimPayment, line: ServiceLine, claim_date: date | None
) -> bool:
    if norm(line.procedure) != norm(billed_procedure(svc)) or billed_units(svc) != line.units:
        return False
    paid_date = svc.service_date or clp.statement_from
    billed_date = line.service_date or claim_date
    return paid_date is None or billed_date is None or paid_date == billed_date


def _best(svc: ServicePayment, candidates: list[ServiceLine]) -> ServiceLine:
    """Among equal matches, the same modifiers win, then the same charge, then line order."""
    modifiers = _billed_modifiers(svc)
    return min(
        candidates,
        key=lambda line: (
            tuple(norm(m) for m in line.modifiers) != modifiers,
            line.charge != svc.charge,
        ),
    )


def match_service_lines(
    ledger: ClaimLedger, clp: ClaimPayment
) -> tuple[list[tuple[ServicePayment, ServiceLine]], list[ServicePayment]]:
    """Pair each SVC with a claim line: REF*6R first, then procedure + date + units."""
    free = [line for line in ledger.lines if not line.removed]  # a replacement took it away
    found: dict[int, ServiceLine] = {}
    for index, svc in enumerate(clp.service_lines):
        control = norm(svc.control_number)
        line = next((ln for ln in free if control and norm(ln.control_number) == control), None)
        if line is not None:
            found[index] = line
            free.remove(line)
    for index, svc in enumerate(clp.service_lines):
        if index in found:
            continue
        candidates = [ln for ln in free if _same_service(svc, clp, ln, ledger.claim.service_date)]
        if candidates:
            found[index] = _best(svc, candidates)
            free.remove(found[index])
    matched = [(svc, found[i]) for i, svc in enumerate(clp.service_lines) if i in found]
    unmatched = [svc for i, svc in enumerate(clp.service_lines) if i not in found]
    return matched, unmatched
