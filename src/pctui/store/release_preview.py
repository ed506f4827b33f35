"""What a release would do, before it posts (the Release 835 dialog's preview): the marked
payments simulated in the order they would post, each seeing the ones before it, nothing written.

For each payment: claims found and not found, held (an earlier level not posted, even counting
the payments before it in this release), credits, denials, and the error-report lines it would
have; or why it would be refused.

Two steps, so a large payment shows something at once: :func:`first_look` counts found, not
found and held from the claims' ids, levels and posting records alone (a second or so for
20,000 claims); :func:`preview_release` then runs the payments through the engine for the exact
figures, credits and error-report lines included, which replace the first look.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlmodel import Session, col, select

from pctui.core.codes import PayerLevel
from pctui.core.ledger import ClaimLedger, PostingKind
from pctui.core.money import ZERO, from_cents
from pctui.core.posting import DENIED, PAY_LEVELS, REVERSAL, ErrorKind, PostingOutcome
from pctui.core.posting.statuses import LEVEL_RANK, normalize_status
from pctui.core.wording import plural
from pctui.store.db import Store, cyclic_gc_paused
from pctui.store.payment_posting import load_payment
from pctui.store.release import posting_order_of
from pctui.store.tables import Claim, ClaimPosting, Era, PayerRule, Release


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
    complete: bool = True  # False: a first look (no credits or error-report lines yet)

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
        if self.complete:
            parts.append(plural(self.error_lines, "error-report line"))
        return ", ".join(parts)


@dataclass(frozen=True, slots=True)
class ReleasePreview:
    payments: list[PaymentPreview]  # in the order they would post

    def total(self, name: str) -> int:
        return sum(getattr(p, name) for p in self.payments if not p.refused)

    @property
    def complete(self) -> bool:
        return all(p.complete for p in self.payments)

    def describe(self) -> str:
        refused = sum(1 for p in self.payments if p.refused)
        text = (f"{plural(self.total('found'), 'claim')} found · "
                f"{self.total('not_found'):,} not found · {self.total('held'):,} held · ")
        if self.complete:
            text += (f"{plural(self.total('credits'), 'credit')} · "
                     f"{plural(self.total('error_lines'), 'error-report line')}")
        else:
            text += "credits and error-report lines: checking…"
        if refused:
            text += f" · {plural(refused, 'payment')} would not be released"
        return text


def preview_release(store: Store, era_ids: Iterable[int]) -> ReleasePreview:
    """Simulate releasing these payments together (module notes)."""
    order = posting_order_of(store, dict.fromkeys(era_ids))
    with cyclic_gc_paused(), store.read() as session:
        # In a function of its own: the ledgers and postings it builds are freed before the
        # cycle collector runs again, or its first pass would walk every one of them.
        previews = _simulate(session, order)
    return ReleasePreview(previews)


def _simulate(session: Session, order: list[int]) -> list[PaymentPreview]:
    """Each payment through the engine in turn, each seeing the ledgers the ones before left."""
    simulated: dict[str, ClaimLedger] = {}
    previews: list[PaymentPreview] = []
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
    return previews


def _why_refused(session: Session, era: Era) -> str:
    standing = session.exec(select(Release.id).where(Release.standing_era_id == era.id)).first()
    if standing is not None or era.status != "pending":
        return "already released"
    rule = session.exec(select(PayerRule.id).where(
        PayerRule.inbound_id == era.inbound_id, col(PayerRule.active).is_(True))).first()
    if rule is None:
        return f"no payer rule established for Inbound ID {era.inbound_id or '(none)'}"
    return ""


def first_look(store: Store, era_ids: Iterable[int]) -> ReleasePreview:
    """Found, not found and held from ids, levels and posting records: no engine (module notes).

    A CLP at a later level is counted held when its claim has insurance at an earlier level with
    no standing posting, none made by an earlier CLP of these payments either.
    """
    order = posting_order_of(store, dict.fromkeys(era_ids))
    previews = []
    with cyclic_gc_paused(), store.read() as session:
        eras = {e.id: e for e in session.exec(select(Era).where(col(Era.id).in_(order))).all()}
        clps = {era_id: json.loads(era.detail or "{}").get("claims", [])
                for era_id, era in eras.items()}  # fmt: skip
        wanted = {c.get("patient_control_number", "").strip() for cs in clps.values() for c in cs}
        levels, posted = _levels_and_postings(session, wanted)
        for era_id in order:
            era = eras.get(era_id)
            if era is None:
                previews.append(PaymentPreview(era_id, "", None, ZERO, refused="not on file"))
                continue
            why = _why_refused(session, era)
            counts = {"found": 0, "not_found": 0, "held": 0, "denied": 0}
            if not why:
                for clp in sorted(clps[era_id], key=_rank):
                    _first_look_at(clp, levels, posted, counts)
            previews.append(PaymentPreview(
                era_id, era.check_number, era.payment_date, from_cents(era.amount_cents),
                claim_payments=len(clps[era_id]), refused=why, complete=False, **counts,
            ))  # fmt: skip
    return ReleasePreview(previews)


def _rank(clp: dict) -> int:
    status = normalize_status(str(clp.get("status_code", "")))
    level = PAY_LEVELS.get(status)
    return 0 if status == REVERSAL else 1 + LEVEL_RANK[level] if level is not None else 1


def _first_look_at(clp: dict, levels: dict[str, set[PayerLevel]],
                   posted: dict[str, set[PayerLevel]], counts: dict[str, int]) -> None:  # fmt: skip
    claim_id = clp.get("patient_control_number", "").strip()
    if claim_id not in levels:
        counts["not_found"] += 1
        return
    counts["found"] += 1
    status = normalize_status(str(clp.get("status_code", "")))
    if status == DENIED:
        counts["denied"] += 1
        return
    level = PAY_LEVELS.get(status)
    if level is None or level not in levels[claim_id]:
        return
    earlier = [lv for lv in PayerLevel
               if LEVEL_RANK[lv] < LEVEL_RANK[level] and lv in levels[claim_id]]  # fmt: skip
    if any(lv not in posted[claim_id] for lv in earlier):
        counts["held"] += 1
        return
    posted[claim_id].add(level)


def _levels_and_postings(session, claim_ids: set[str]) -> tuple[  # noqa: ANN001
        dict[str, set[PayerLevel]], dict[str, set[PayerLevel]]]:  # fmt: skip
    """Per claim on file: the levels it has insurance at, and those with a standing posting."""
    levels: dict[str, set[PayerLevel]] = {}
    pks: dict[int, str] = {}
    ids = sorted(claim_ids)
    for start in range(0, len(ids), 500):
        rows = session.exec(select(
            Claim.id, Claim.claim_id, Claim.primary_payer_id, Claim.secondary_payer_id,
            Claim.tertiary_payer_id, Claim.payer_names,
        ).where(col(Claim.claim_id).in_(ids[start:start + 500]))).all()  # fmt: skip
        for pk, claim_id, primary, secondary, tertiary, names in rows:
            written = json.loads(names or "{}")
            levels[claim_id] = {
                lv for lv, payer in zip(PayerLevel, (primary, secondary, tertiary), strict=True)
                if payer is not None or lv.value in written
            }  # fmt: skip
            pks[pk] = claim_id
    posted: dict[str, set[PayerLevel]] = {claim_id: set() for claim_id in levels}
    found: dict[int, tuple[str, str | None, int | None]] = {}
    undone: set[int] = set()
    keys = sorted(pks)
    for start in range(0, len(keys), 500):
        rows = session.exec(select(
            ClaimPosting.id, ClaimPosting.claim_pk, ClaimPosting.kind, ClaimPosting.level,
            ClaimPosting.reverses_id,
        ).where(col(ClaimPosting.claim_pk).in_(keys[start:start + 500]),
                col(ClaimPosting.voided).is_(False))).all()  # fmt: skip
        for posting_id, pk, kind, level, reverses in rows:
            found[posting_id] = (kind, level, pk)
            if reverses is not None:
                undone.add(reverses)
    for posting_id, (kind, level, pk) in found.items():
        if kind == PostingKind.POSTED.value and posting_id not in undone and level:
            posted[pks[pk]].add(PayerLevel(level))
    return levels, posted
