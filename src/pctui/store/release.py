"""Releasing 835 payments: posting every claim payment onto the claims' ledgers (SPEC 2.3).

One payment is released in one ``BEGIN IMMEDIATE`` transaction: the Release row, every ledger
entry, the PLB rows and the payment's new status are written together or not at all (a failure
or a killed process leaves the payment unreleased and no entries). Inside that transaction the
payment is checked again: not released yet, still Ready. Writers queue on SQLite's lock, so the
loser of two simultaneous releases finds the winner's Release row and is refused with who
released it and when; ``Release.era_id`` is UNIQUE as the last line of defence.

Decisions where SPEC 2.3 leaves room (see also the engine's, in :mod:`pctui.core.posting`):

- **Which rule.** Each claim payment (CLP) uses the rule for the 835's Inbound ID and the payer
  of the claim's insurance at the CLP's pay level, with that level's settings and that payer's
  active excluded CARC overrides. So one 835 may post different claims under different rules.
  A CLP whose claim has no such rule gets an error-report line ("No payer rule established for
  Inbound ID 12345 and payer BCBS (the claim's secondary insurance); nothing posted") and
  nothing is posted for it; the rest of the payment is posted. A payer named on the claim that
  matched no payer in pctui (a finding at claim import) is taken to be the 835's own payer,
  which is evidently paying at that level: its rule applies and a notice says so.
- **Ready.** A payment can be released when its Inbound ID belongs to a payer and at least one
  active rule exists for that Inbound ID (the Release 835 list's "Ready"). Otherwise the whole
  payment is refused with the reason; nothing is written.
- **"This payer"** (whose earlier posting a reversal undoes) is the payer the 835's Inbound ID
  belongs to: every entry of the release carries it as ``payer_id``.
- **Status.** ``released_with_errors`` when the error report has any line (claims not found,
  lines not matched, excluded CARCs, CLPs without a rule, statuses not posted); else
  ``released``. Skipped adjustments (rule = Skip) and credit balances are listed in the detail
  but are not errors.
- **Batch.** Required; when none is given one is generated, ``B<deposit date>-NN`` (the next
  free number for that deposit date). Every payment released together shares the batch.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import insert
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, col, select

from pctui.core.codes import Party, PayerLevel
from pctui.core.era import ClaimPayment, Remittance
from pctui.core.era_json import remittance_from_data
from pctui.core.ledger import ClaimLedger, EntryKind
from pctui.core.money import ZERO, from_cents, json_amount, to_cents
from pctui.core.posting import (
    CarcExclusions,
    ErrorLine,
    PostingOutcome,
    PostingResult,
    ProviderAdjustmentRecord,
    RemittancePosting,
    RuleLevelSettings,
    ZeroPayment,
    claims_in,
    normalize_status,
    paid_again_later,
    pay_level,
    post_claim_payment,
    record_provider_adjustments,
)
from pctui.core.wording import plural
from pctui.store import audit
from pctui.store.claims import ClaimForPosting, load_claims_for_posting
from pctui.store.db import Store, cyclic_gc_paused
from pctui.store.errors import ValidationFailed
from pctui.store.tables import (
    CarcOverride,
    Era,
    LedgerEntry,
    Payer,
    PayerInboundId,
    PayerRule,
    PayerRuleLevel,
    PlbEntry,
    Release,
)
from pctui.store.users import Actor

BATCH_MAX_LENGTH = 30


class ReleaseStatus(StrEnum):
    RELEASED = "released"
    RELEASED_WITH_ERRORS = "released_with_errors"
    REFUSED = "refused"  # not released: already released, not Ready, not on file, busy
    FAILED = "failed"  # not released: an unexpected error; nothing was written


@dataclass(frozen=True)
class ReleaseResult:
    """What releasing one payment did, for the screen and the command line."""

    era_id: int
    status: str  # a ReleaseStatus value
    claims_posted: int
    errors: list[str]  # the error-report lines
    message: str  # one plain sentence
    release_id: int | None = None
    batch: str = ""
    deposit_date: date | None = None

    @property
    def released(self) -> bool:
        return self.status in (ReleaseStatus.RELEASED, ReleaseStatus.RELEASED_WITH_ERRORS)

    def to_json(self) -> dict[str, Any]:
        """SPEC 3 keys. ``errors`` is the error report of a released payment and, as for a
        rejected file in ``pctui import``, the reason of a payment that was not released. A
        payment that was not released is in no batch: ``batch`` and ``deposit_date`` are null."""
        released = self.released
        return {
            "id": self.era_id,
            "status": str(self.status),
            "claims_posted": self.claims_posted,
            "errors": list(self.errors) if released else [self.message],
            "message": self.message,
            "release_id": self.release_id,
            "batch": self.batch if released else None,
            "deposit_date": self.deposit_date.isoformat()
            if released and self.deposit_date else None,
        }


ReleaseProgress = Callable[[int, int, ReleaseResult], None]


class _Refused(Exception):
    """The payment cannot be released; the message says why. Nothing is written."""


# -- batch numbers ------------------------------------------------------------------------------


def _batch_prefix(deposit_date: date) -> str:
    return f"B{deposit_date:%Y%m%d}-"


def next_batch_number(store: Store, deposit_date: date) -> str:
    """The next free generated batch for a deposit date: ``B20261122-01``, ``-02``, ..."""
    prefix = _batch_prefix(deposit_date)
    with store.read() as session:
        used = session.exec(
            select(Release.batch).where(col(Release.batch).startswith(prefix)).distinct()
        ).all()
    numbers = [int(b[len(prefix) :]) for b in used if b[len(prefix) :].isdigit()]
    return f"{prefix}{max(numbers, default=0) + 1:02d}"


def check_batch(batch: str) -> str:
    """The batch number as stored, or ValidationFailed saying what is wrong with it."""
    text = (batch or "").strip()
    if not text:
        raise ValidationFailed({"batch": "a batch number is required"})
    if len(text) > BATCH_MAX_LENGTH:
        raise ValidationFailed({"batch": f"at most {BATCH_MAX_LENGTH} characters"})
    if not text.isprintable():
        raise ValidationFailed({"batch": "letters, digits and punctuation only"})
    return text


# -- releasing ----------------------------------------------------------------------------------


def release_eras(
    store: Store,
    actor: Actor,
    era_ids: Iterable[int],
    deposit_date: date,
    batch: str,
    progress: ReleaseProgress | None = None,
) -> list[ReleaseResult]:
    """Release each payment in its own transaction; one result per payment, in order.

    A refused or failed payment does not stop the others. A payment named twice is released once.
    """
    actor.require_release()
    batch = check_batch(batch)
    wanted = list(dict.fromkeys(era_ids))
    results: list[ReleaseResult] = []
    for done, era_id in enumerate(wanted, start=1):
        result = release_era(store, actor, era_id, deposit_date, batch)
        results.append(result)
        if progress is not None:
            progress(done, len(wanted), result)
    return results


def release_era(
    store: Store, actor: Actor, era_id: int, deposit_date: date, batch: str
) -> ReleaseResult:
    """Post one 835 payment in one write transaction: all of it or nothing (module notes)."""
    actor.require_release()
    batch = check_batch(batch)

    def refused(message: str) -> ReleaseResult:
        return ReleaseResult(era_id, ReleaseStatus.REFUSED, 0, [], message, None, batch,
                             deposit_date)  # fmt: skip

    try:
        with cyclic_gc_paused(), store.write() as session:
            return _release(session, actor, era_id, deposit_date, batch)
    except _Refused as exc:
        return refused(str(exc))
    except IntegrityError as exc:
        # Another process wrote the Release row first (UNIQUE era_id): say who.
        earlier = _earlier_release(store, era_id)
        if earlier is not None:
            return refused(earlier)
        return _failed(era_id, batch, deposit_date, exc)
    except OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            return refused(
                f"Payment #{era_id} was not released: the database stayed busy with another "
                "session's work; nothing was posted. Try again in a moment."
            )
        return _failed(era_id, batch, deposit_date, exc)
    except Exception as exc:  # noqa: BLE001 - one payment's failure must not stop the batch
        return _failed(era_id, batch, deposit_date, exc)


def _failed(era_id: int, batch: str, deposit_date: date, exc: Exception) -> ReleaseResult:
    message = (
        f"Release of payment #{era_id} failed and nothing was posted: {type(exc).__name__}: {exc}"
    )
    return ReleaseResult(era_id, ReleaseStatus.FAILED, 0, [], message, None, batch, deposit_date)


def _earlier_release(store: Store, era_id: int) -> str | None:
    with store.read() as session:
        row = session.exec(select(Release).where(Release.era_id == era_id)).first()
    return _already_released(era_id, row) if row is not None else None


def _already_released(era_id: int, row: Release) -> str:
    when = _as_utc(row.released_at).astimezone()
    return (
        f"Already released by {row.released_by} at {when:%Y-%m-%d %H:%M} "
        f"(payment #{era_id}, batch {row.batch})"
    )


def _as_utc(moment: datetime) -> datetime:
    # SQLite gives datetimes back without their zone; pctui stores UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _release(
    session: Session, actor: Actor, era_id: int, deposit_date: date, batch: str
) -> ReleaseResult:
    era = session.get(Era, era_id)
    if era is None:
        raise _Refused(f"Payment #{era_id} is not on file")
    earlier = session.exec(select(Release).where(Release.era_id == era_id)).first()
    if earlier is not None:
        raise _Refused(_already_released(era_id, earlier))
    if era.status != "pending":
        raise _Refused(f"Payment #{era_id} is already {era.status.replace('_', ' ')}")
    payer_pk = _check_ready(session, era)
    remittance = remittance_from_data(json.loads(era.detail))
    claims = load_claims_for_posting(session, claims_in(remittance))
    rules = load_rules(session, era.inbound_id)
    posting = post_payment(remittance, claims, rules, era.inbound_id, payer_pk=payer_pk,
                           era_id=era_id)  # fmt: skip
    errors = [line.text for line in posting.errors]
    status = ReleaseStatus.RELEASED_WITH_ERRORS if errors else ReleaseStatus.RELEASED
    now = audit.now()
    release = Release(
        era_id=era_id, deposit_date=deposit_date, batch=batch, released_by=actor.login,
        released_at=now, status=status.value, claims_posted=posting.claims_posted,
        error_report=json.dumps(errors),
        summary=json.dumps(_summary(posting, claims, era, payer_pk), separators=(",", ":")),
    )  # fmt: skip
    session.add(release)
    session.flush()  # the UNIQUE era_id check happens here; the entries need the id
    assert release.id is not None
    _insert_entries(session, posting, claims, release.id, batch, actor.login, now)
    _record_provider_adjustments(session, posting.provider_adjustments, era_id, release.id)
    era.status = status.value
    session.add(era)
    audit.record(session, actor.login, "release", release.id, f"payment #{era_id} "
                 f"({era.check_number})", "released",
                 {"era_id": era_id, "batch": batch, "deposit_date": deposit_date.isoformat(),
                  "status": status.value, "claims_posted": posting.claims_posted})  # fmt: skip
    return ReleaseResult(era_id, status, posting.claims_posted, errors,
                         _released_message(posting, errors), release.id, batch,
                         deposit_date)  # fmt: skip


def _check_ready(session: Session, era: Era) -> int:
    """The payer the Inbound ID belongs to; refused when the payment is not Ready."""
    inbound = era.inbound_id
    owner = session.get(PayerInboundId, inbound) if inbound else None
    has_rule = session.exec(
        select(PayerRule.id).where(PayerRule.inbound_id == inbound, col(PayerRule.active).is_(True))
    ).first()
    if has_rule is None:
        raise _Refused(f"No payer rule established for Inbound ID {inbound or '(none)'}")
    if owner is None:
        raise _Refused(
            f"Inbound ID {inbound} does not belong to any payer; add it to a payer first"
        )
    return owner.payer_id


def _released_message(posting: RemittancePosting, errors: list[str]) -> str:
    text = f"{plural(posting.claims_posted, 'claim')} posted"
    if errors:  # not always manual posting: a claim not found may belong to another practice
        text = f"Released with errors: {text}, {plural(len(errors), 'error-report line')}"
    else:
        text = f"Released: {text}"
    zero = len(posting.zero_payments)
    if zero:
        text += f", {zero} on the zero-payment list"
    return text


# -- rules --------------------------------------------------------------------------------------


@dataclass(slots=True)
class PayerRules:
    """The rule for one Inbound ID and one payer: settings per level, or why a level is unusable."""

    payer_id: int
    payer_code: str
    levels: dict[PayerLevel, RuleLevelSettings] = field(default_factory=dict)
    problems: dict[PayerLevel, str] = field(default_factory=dict)


def load_rules(session: Session, inbound_id: str) -> dict[int, PayerRules]:
    """Active rules for an Inbound ID by payer, each level with its payer's CARC exclusions.

    Two queries for the whole payment, whatever its size.
    """
    rows = session.exec(
        select(PayerRule.payer_id, Payer.code, PayerRuleLevel)
        .join(Payer, col(Payer.id) == PayerRule.payer_id)
        .outerjoin(PayerRuleLevel, col(PayerRuleLevel.rule_id) == PayerRule.id)
        .where(PayerRule.inbound_id == inbound_id, col(PayerRule.active).is_(True))
    ).all()
    exclusions = _exclusions(session, {payer_id for payer_id, _, _ in rows})
    rules: dict[int, PayerRules] = {}
    for payer_id, code, level_row in rows:
        rule = rules.setdefault(payer_id, PayerRules(payer_id, code))
        if level_row is None:
            continue
        level = PayerLevel(level_row.level)
        try:
            rule.levels[level] = RuleLevelSettings(
                payment_code=level_row.payment_code,
                adjustment_code=level_row.adjustment_code,
                insurance_adjustments=level_row.insurance_adjustments,
                insurance_balance=level_row.insurance_balance,
                patient_balance=level_row.patient_balance,
                patient_adjustment_code=level_row.patient_adjustment_code,
                exclusions=exclusions.get(payer_id, CarcExclusions()),
            )  # fmt: skip
        except ValueError as exc:
            rule.problems[level] = str(exc)
    return rules


def _exclusions(session: Session, payer_ids: set[int]) -> dict[int, CarcExclusions]:
    if not payer_ids:
        return {}
    rows = session.exec(
        select(CarcOverride.payer_id, CarcOverride.group_code, CarcOverride.carc).where(
            col(CarcOverride.payer_id).in_(payer_ids),
            col(CarcOverride.active).is_(True),
            col(CarcOverride.excluded).is_(True),
        )
    ).all()
    pairs: dict[int, list[tuple[str, str]]] = {}
    for payer_id, group, carc in rows:
        pairs.setdefault(payer_id, []).append((group or "", carc))
    return {payer_id: CarcExclusions.of(found) for payer_id, found in pairs.items()}


def _rules_for_claim(
    claim: ClaimForPosting, rules: Mapping[int, PayerRules], era_payer: int | None
) -> dict[PayerLevel, RuleLevelSettings]:
    """The rule settings per level: those of the claim's payer at that level; a payer named on
    the claim but not set up in pctui is taken to be the 835's own payer (``era_payer``)."""
    chosen: dict[PayerLevel, RuleLevelSettings] = {}
    for level, payer in claim.payers.items():
        owner = payer.payer_pk if payer.payer_pk is not None else era_payer
        rule = rules.get(owner) if owner is not None else None
        if rule is not None and level in rule.levels:
            chosen[level] = rule.levels[level]
    return chosen


def _assumed_payer_notice(claim: ClaimForPosting, result: PostingResult, era_payer: str) -> None:
    level = result.level
    payer = claim.payers.get(level) if level is not None else None
    if level is not None and payer is not None and payer.payer_pk is None and result.entries:
        named = f"'{payer.name}'" if payer.name else "(no name)"
        result.notices.append(
            f"{claim.ledger.claim_id}: the claim's {level.value} payer {named} is not set up in "
            f"pctui; posted under the rule of {era_payer}, the payer of this 835"
        )


def _no_rule(
    claim: ClaimForPosting, level: PayerLevel, rules: Mapping[int, PayerRules], inbound_id: str
) -> str:
    """Why a CLP at ``level`` has no rule (the claim has insurance at that level)."""
    payer = claim.payers[level]
    insurance = f"the claim's {level.value} insurance"
    if payer.payer_pk is None:
        named = f"'{payer.name}'" if payer.name else "(no name)"
        return (f"The claim's {level.value} payer {named} is not set up in pctui and the rule of "
                f"this 835's payer has no {level.value} settings; nothing posted")  # fmt: skip
    rule = rules.get(payer.payer_pk)
    if rule is None:
        return (f"No payer rule established for Inbound ID {inbound_id} and payer "
                f"{payer.payer_code} ({insurance}); nothing posted")  # fmt: skip
    problem = rule.problems.get(level, "its settings are missing")
    return (f"The payer rule for Inbound ID {inbound_id} and payer {payer.payer_code} cannot be "
            f"used at the {level.value} level ({problem}); nothing posted")  # fmt: skip


# -- posting in memory --------------------------------------------------------------------------


def post_payment(
    remittance: Remittance,
    claims: Mapping[str, ClaimForPosting],
    rules: Mapping[int, PayerRules],
    inbound_id: str,
    *,
    payer_pk: int | None,
    era_id: int | None,
) -> RemittancePosting:
    """Every CLP through the engine, each under the rule of its claim's payer at its level.

    As :func:`pctui.core.posting.post_remittance`, with the rule chosen per claim and a plain
    error-report line for a CLP whose claim's payer has no rule for this Inbound ID.
    ``payer_pk`` is the 835's payer (the owner of its Inbound ID).
    """
    current: dict[str, ClaimLedger] = {cid: c.ledger for cid, c in claims.items()}
    results: list[PostingResult] = []
    split = paid_again_later(remittance.claims)
    for index, clp in enumerate(remittance.claims):
        claim_id = clp.patient_control_number.strip()
        ledger = current.get(claim_id)
        claim = claims.get(claim_id)
        chosen = _rules_for_claim(claim, rules, payer_pk) if claim is not None else {}
        result = _missing_rule(clp, claim, ledger, chosen, rules, inbound_id)
        if result is None:
            result = post_claim_payment(ledger, clp, chosen, payer_id=payer_pk, era_id=era_id,
                                        settle=index not in split)  # fmt: skip
            if claim is not None and payer_pk in rules:
                _assumed_payer_notice(claim, result, rules[payer_pk].payer_code)
        if ledger is not None and result.entries:
            current[claim_id] = ledger.with_entries(result.entries)
        results.append(result)
    return RemittancePosting(results, record_provider_adjustments(remittance), current)


def _missing_rule(
    clp: ClaimPayment,
    claim: ClaimForPosting | None,
    ledger: ClaimLedger | None,
    chosen: Mapping[PayerLevel, RuleLevelSettings],
    rules: Mapping[int, PayerRules],
    inbound_id: str,
) -> PostingResult | None:
    """A not-posted result when the CLP's pay level has insurance but no rule; else None."""
    level = pay_level(clp.status_code)
    if claim is None or ledger is None or level is None or not ledger.has_level(level):
        return None
    if level in chosen or level not in claim.payers:
        return None
    message = _no_rule(claim, level, rules, inbound_id)
    return PostingResult(
        ledger.claim_id, normalize_status(clp.status_code), PostingOutcome.NOT_POSTED, level,
        errors=[ErrorLine(ledger.claim_id, message, amount=clp.paid)],
        balances_after=ledger.balances(),
    )  # fmt: skip


# -- writing ------------------------------------------------------------------------------------


_ENTRY_COLUMNS = (
    "claim_pk", "line_id", "kind", "party", "amount_cents", "code", "group_code", "reason_code",
    "era_id", "release_id", "payer_id", "reverses_id", "batch", "memo", "created_at",
    "created_by",
)  # fmt: skip


def _insert_entry_sql(paramstyle: str) -> str:
    """The INSERT in the driver's own placeholders: ``?`` for sqlite3, ``%s`` for psycopg."""
    marker = "?" if paramstyle == "qmark" else "%s"
    return (f"INSERT INTO ledgerentry ({', '.join(_ENTRY_COLUMNS)}) "
            f"VALUES ({', '.join([marker] * len(_ENTRY_COLUMNS))})")


def _insert_entries(
    session: Session,
    posting: RemittancePosting,
    claims: Mapping[str, ClaimForPosting],
    release_id: int,
    batch: str,
    user: str,
    now: datetime,
) -> None:
    """Every new entry of the payment in one executemany of plain tuples.

    The driver's executemany, not SQLAlchemy's per-row parameter processing: a 5,000-claim
    payment writes about 40,000 entries. ``created_at`` goes through the column's own bind
    processor once, so it is stored exactly as every other row's.
    """
    connection = session.connection()
    stamp_type = LedgerEntry.__table__.c.created_at.type  # type: ignore[attr-defined]
    process = stamp_type.bind_processor(connection.dialect)
    stamp = process(now) if process is not None else now
    rows: list[tuple[Any, ...]] = []
    for result in posting.results:
        if not result.entries:
            continue
        claim = claims[result.claim_id]
        line_ids = claim.line_ids
        for e in result.entries:
            rows.append((
                claim.pk, None if e.line is None else line_ids[e.line], e.kind.value,
                e.party.value, to_cents(e.amount), e.code, e.group_code, e.reason_code, e.era_id,
                release_id, e.payer_id, e.reverses_id, batch, e.memo, stamp, user,
            ))  # fmt: skip
    if rows:
        connection.exec_driver_sql(_insert_entry_sql(connection.dialect.paramstyle), rows)


def _record_provider_adjustments(
    session: Session, plb: ProviderAdjustmentRecord, era_id: int, release_id: int
) -> None:
    """PLB amounts against the payment, not a claim (SPEC 2.3 step 8)."""
    rows = [
        {"era_id": era_id, "release_id": release_id, "provider_id": p.provider_id,
         "reason": p.reason, "reference": p.reference or "", "amount_cents": to_cents(p.amount)}
        for p in plb.adjustments
    ]  # fmt: skip
    if rows:
        session.connection().execute(insert(PlbEntry.__table__), rows)  # type: ignore[attr-defined]


# -- the summary kept with the release ----------------------------------------------------------


def _summary(
    posting: RemittancePosting,
    claims: Mapping[str, ClaimForPosting],
    era: Era,
    payer_pk: int | None,
) -> dict[str, Any]:
    plb = posting.provider_adjustments
    return {
        "inbound_id": era.inbound_id,
        "check_number": era.check_number,
        "payer_id": payer_pk,
        "claims": [_claim_summary(r, claims.get(r.claim_id)) for r in posting.results],
        "zero_payments": [_zero_summary(z) for z in posting.zero_payments],
        "provider_adjustments": {
            "items": [
                {
                    "provider_id": p.provider_id,
                    "reason": p.reason,
                    "reference": p.reference or "",
                    "amount": json_amount(p.amount),
                    "fiscal_date": p.fiscal_date.isoformat() if p.fiscal_date else None,
                }
                for p in plb.adjustments
            ],  # fmt: skip
            "total": json_amount(plb.total),
            "claims_paid": json_amount(plb.claims_paid),
            "payment_amount": json_amount(plb.payment_amount),
        },
        "notices": [n for r in posting.results for n in r.notices],
    }


def _claim_summary(result: PostingResult, claim: ClaimForPosting | None) -> dict[str, Any]:
    s = result.summary
    data: dict[str, Any] = {
        "claim_id": result.claim_id,
        "status_code": result.status_code,
        "outcome": result.outcome.value,
        "level": result.level.value if result.level else None,
        "paid": json_amount(s.paid),
        "adjusted": json_amount(s.adjusted),
        "patient_responsibility": json_amount(s.patient_responsibility),
        "patient_responsibility_to": s.patient_responsibility_to.value
        if s.patient_responsibility_to else None,
        "transferred": json_amount(s.transferred),
        "transferred_to": s.transferred_to.value if s.transferred_to else None,
        "patient_adjusted": json_amount(s.patient_adjusted),
        "credit": json_amount(s.credit),
        "entries": len(result.entries),
    }  # fmt: skip
    if result.errors:
        data["errors"] = [e.text for e in result.errors]
    if result.skipped:
        data["skipped"] = [
            {"code": k.code, "amount": json_amount(k.amount), "line": k.line, "why": k.why.value}
            for k in result.skipped
        ]
    if result.entries:
        data["lines"] = _line_summaries(result, claim)
    return data


def _line_summaries(result: PostingResult, claim: ClaimForPosting | None) -> list[dict[str, Any]]:
    """Paid, adjusted and moved on each claim line (``line`` None: on the claim itself)."""
    paying = Party(result.level.value) if result.level else None
    procedures = {ln.line_number: ln.procedure for ln in claim.ledger.lines} if claim else {}
    lines: dict[int | None, dict[str, Decimal]] = {}
    for entry in result.entries:
        sums = lines.setdefault(entry.line, {"paid": ZERO, "adjusted": ZERO, "moved": ZERO})
        kind = entry.effective_kind
        if kind is EntryKind.PAYMENT:
            sums["paid"] -= entry.amount
        elif kind is EntryKind.ADJUSTMENT:
            sums["adjusted"] -= entry.amount
        elif kind is EntryKind.TRANSFER and entry.party is paying:
            sums["moved"] -= entry.amount
    ordered = sorted(lines.items(), key=lambda item: (item[0] is None, item[0] or 0))
    return [
        {"line": line, "procedure": procedures.get(line, "") if line is not None else "",
         "paid": json_amount(sums["paid"]), "adjusted": json_amount(sums["adjusted"]),
         "moved": json_amount(sums["moved"])}
        for line, sums in ordered
    ]  # fmt: skip


def _zero_summary(zero: ZeroPayment) -> dict[str, Any]:
    return {
        "claim_id": zero.claim_id,
        "status_code": zero.status_code,
        "denied": zero.denied,
        "charge": json_amount(zero.charge),
        "reason_codes": list(zero.reason_codes),
        "remarks": list(zero.remarks),
    }


# -- what a release did, for the detail view ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class LinePostingView:
    line: int | None  # LX number; None: booked on the claim itself
    procedure: str
    paid: Decimal
    adjusted: Decimal
    moved: Decimal  # PR and remainder moved from the paying level to the next party


@dataclass(frozen=True, slots=True)
class ClaimPostingView:
    """One claim payment of a released 835, as the detail view shows it."""

    claim_id: str
    status_code: str
    outcome: str  # posted | denied | reversed | not_found | not_posted
    level: str | None
    paid: Decimal
    adjusted: Decimal
    transferred: Decimal  # the remainder moved by Transfer to next
    transferred_to: str | None
    patient: Decimal  # patient responsibility (PR) moved to the next party
    patient_to: str | None
    patient_adjusted: Decimal
    credit: Decimal
    errors: list[str]
    skipped: list[str]  # "CO-45 12.00 (skipped by the payer rule)"
    lines: list[LinePostingView]


@dataclass(frozen=True, slots=True)
class ReleaseDetail:
    era_id: int
    deposit_date: date
    batch: str
    released_by: str
    released_at: datetime  # UTC
    status: str
    claims_posted: int
    claims: list[ClaimPostingView]
    errors: list[str]
    zero_payments: list[str]  # "CLM1: denied, charge 150.00; CO-50; remarks N130"
    provider_adjustments: list[tuple[str, str, Decimal]]  # (reason, reference, amount)
    notices: list[str] = field(default_factory=list)  # credit balances and the like


def release_detail(store: Store, era_id: int) -> ReleaseDetail | None:
    """What the release of one payment posted, or None when it has not been released."""
    with store.read() as session:
        row = session.exec(select(Release).where(Release.era_id == era_id)).first()
        if row is None:
            return None
        plb = session.exec(
            select(PlbEntry).where(PlbEntry.release_id == row.id).order_by(col(PlbEntry.id))
        ).all()
    summary = json.loads(row.summary or "{}")
    return ReleaseDetail(
        era_id=era_id,
        deposit_date=row.deposit_date,
        batch=row.batch,
        released_by=row.released_by,
        released_at=_as_utc(row.released_at),
        status=row.status,
        claims_posted=row.claims_posted,
        claims=[_claim_view(c) for c in summary.get("claims", [])],
        errors=json.loads(row.error_report or "[]"),
        zero_payments=[_zero_text(z) for z in summary.get("zero_payments", [])],
        provider_adjustments=[(p.reason, p.reference, from_cents(p.amount_cents)) for p in plb],
        notices=list(summary.get("notices", [])),
    )


def _claim_view(data: dict[str, Any]) -> ClaimPostingView:
    return ClaimPostingView(
        claim_id=data["claim_id"],
        status_code=data["status_code"],
        outcome=data["outcome"],
        level=data.get("level"),
        paid=Decimal(data["paid"]),
        adjusted=Decimal(data["adjusted"]),
        transferred=Decimal(data["transferred"]),
        transferred_to=data.get("transferred_to"),
        patient=Decimal(data["patient_responsibility"]),
        patient_to=data.get("patient_responsibility_to"),
        patient_adjusted=Decimal(data["patient_adjusted"]),
        credit=Decimal(data["credit"]),
        errors=list(data.get("errors", [])),
        skipped=[f"{s['code']} {s['amount']} ({s['why']})" for s in data.get("skipped", [])],
        lines=[
            LinePostingView(
                ln["line"],
                ln["procedure"],
                Decimal(ln["paid"]),
                Decimal(ln["adjusted"]),
                Decimal(ln["moved"]),
            )
            for ln in data.get("lines", [])
        ],  # fmt: skip
    )


def _zero_text(data: dict[str, Any]) -> str:
    what = "denied" if data["denied"] else "paid 0.00"
    text = f"{data['claim_id']}: {what}, charge {data['charge']}"
    if data["reason_codes"]:
        text += "; " + ", ".join(data["reason_codes"])
    if data["remarks"]:
        text += "; remarks " + ", ".join(data["remarks"])
    return text
