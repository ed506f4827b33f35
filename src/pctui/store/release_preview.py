"""What a release would do, before it posts (the Release 835 dialog's preview): the marked
payments simulated in the order they would post, each seeing the ones before it, nothing written.

For each payment: claims found and not found, held (an earlier level not posted, even counting
the payments before it in this release), credits, denials, and the error-report lines it would
have; or why it would be refused.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlmodel import col, select

from pctui.core.ledger import ClaimLedger
from pctui.core.money import ZERO, from_cents
from pctui.core.posting import ErrorKind, PostingOutcome
from pctui.core.wording import plural
from pctui.store.db import Store, cyclic_gc_paused
from pctui.store.payment_posting import load_payment
from pctui.store.release import posting_order_of
from pctui.store.tables import Era, PayerRule, Release


@dataclass(frozen=True, slots=True)
class PaymentPreview:
    era_id: int
    check_number: str
    payment_date: date | None
    amount: Decimal
    claim_payments: int = 0
    found: int = 0
    not_found: int = 0
    held: int = 0
    credits: int = 0
    denied: int = 0
    posted: int = 0  # claim payments that would change a ledger
    error_lines: int = 0
    refused: str = ""  # why it would not be released at all
    errors: list[str] = field(default_factory=list)

    def describe(self) -> str:
        if self.refused:
            return f"not released: {self.refused}"
        parts = [f"{self.found:,} found", f"{self.not_found:,} not found"]
        if self.held:
            parts.append(f"{self.held:,} held")
        if self.credits:
            parts.append(plural(self.credits, "credit"))
        if self.denied:
            parts.append(f"{self.denied:,} denied")
        parts.append(plural(self.error_lines, "error-report line"))
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class ReleasePreview:
    payments: list[PaymentPreview]  # in the order they would post

    def total(self, name: str) -> int:
        return sum(getattr(p, name) for p in self.payments if not p.refused)

    def describe(self) -> str:
        refused = sum(1 for p in self.payments if p.refused)
        text = (f"{plural(self.total('found'), 'claim')} found · "
                f"{self.total('not_found'):,} not found · "
                f"{self.total('held'):,} held · {plural(self.total('credits'), 'credit')} · "
                f"{plural(self.total('error_lines'), 'error-report line')}")  # fmt: skip
        if refused:
            text += f" · {plural(refused, 'payment')} would not be released"
        return text


def preview_release(store: Store, era_ids: Iterable[int]) -> ReleasePreview:
    """Simulate releasing these payments together (module notes)."""
    order = posting_order_of(store, dict.fromkeys(era_ids))
    simulated: dict[str, ClaimLedger] = {}
    previews = []
    with cyclic_gc_paused(), store.read() as session:
        for era_id in order:
            era = session.get(Era, era_id)
            if era is None:
                previews.append(PaymentPreview(era_id, "", None, ZERO, refused="not on file"))
                continue
            why = _why_refused(session, era)
            if why:
                previews.append(PaymentPreview(era_id, era.check_number, era.payment_date,
                                               from_cents(era.amount_cents), refused=why))
                continue
            payment = load_payment(session, era)
            posting = payment.post(ledgers=simulated)
            simulated.update(posting.ledgers)
            results = posting.results
            errors = posting.errors
            previews.append(PaymentPreview(
                era_id, era.check_number, era.payment_date, from_cents(era.amount_cents),
                claim_payments=len(results),
                found=sum(1 for r in results if r.outcome is not PostingOutcome.NOT_FOUND),
                not_found=sum(1 for r in results if r.outcome is PostingOutcome.NOT_FOUND),
                held=sum(1 for r in results if r.outcome is PostingOutcome.HELD),
                credits=sum(1 for e in errors if e.kind is ErrorKind.CREDIT),
                denied=sum(1 for r in results if r.outcome is PostingOutcome.DENIED),
                posted=posting.claims_posted, error_lines=len(errors),
                errors=[e.text for e in errors[:50]],
            ))  # fmt: skip
    return ReleasePreview(previews)


def _why_refused(session, era: Era) -> str:  # noqa: ANN001
    standing = session.exec(select(Release.id).where(Release.standing_era_id == era.id)).first()
    if standing is not None or era.status != "pending":
        return "already released"
    rule = session.exec(select(PayerRule.id).where(
        PayerRule.inbound_id == era.inbound_id, col(PayerRule.active).is_(True))).first()
    if rule is None:
        return f"no payer rule established for Inbound ID {era.inbound_id or '(none)'}"
    return ""
