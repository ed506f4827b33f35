"""Releasing 835 payments: posting every claim payment onto the claims' ledgers (SPEC 2.3).

One payment is released in one write transaction: the Release row, every posting record and
ledger entry, the error-report lines, the PLB rows and the payment's new status are written
together or not at all (a failure or a killed process leaves the payment unreleased and no
entries). Inside that transaction the payment's row is locked and checked again: not released
yet, still Ready. "Released once" rests on ``Release.standing_era_id`` being UNIQUE (the
payment's id while its release stands), so the loser of two simultaneous releases — on SQLite
or PostgreSQL — is refused with who released it and when. On SQLite writers queue on its lock;
on PostgreSQL releases run side by side (``store.write(parallel=True)``): the payment's row is
locked first, then its claims' rows in id order, so releases sharing claims queue instead of
deadlocking (a deadlock PostgreSQL breaks all the same is retried). A lost database connection
rolls the release back and says so; the next release reconnects.

Decisions where SPEC 2.3 leaves room (see also the engine's, in :mod:`pctui.core.posting`, and
which rule applies, in :mod:`pctui.store.posting_terms`):

- **Order.** Payments released together post in adjudication order
  (:mod:`pctui.core.posting.order`): by payment date, and for each claim primary before
  secondary before tertiary, whatever the order they were marked or named in; each still in its
  own transaction. Results come back in the order the payments were named. When two payments need
  opposite orders for different claims, the CLPs the first one had to hold are reworked at the
  end of the same run, as soon as their earlier level has been posted (:mod:`.rework`).
- **Ready.** A payment can be released when its Inbound ID belongs to a payer and at least one
  active rule exists for that Inbound ID (the Release 835 list's "Ready"). Otherwise the whole
  payment is refused with the reason; nothing is written.
- **Status.** ``released_with_errors`` when the error report has any line (claims not found,
  held, lines not matched, excluded CARCs, CLPs without a rule, statuses not posted, credits,
  a CLP04 its lines do not explain); else ``released``. Skipped adjustments (rule = Skip, more
  than the level owed) are listed in the detail but are not errors.
- **Deposit date.** Never after today; before a payment's date (BPR16) only when the biller
  confirms it (``confirm_early_deposit``) — otherwise that payment is refused and says so.
- **Batch.** Every payment released in one run shares one batch: the number typed, or one
  generated inside the first payment's transaction (:mod:`.batches`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlmodel import Session, col, select

from pctui.core.posting import (
    PaymentToOrder,
    RemittancePosting,
    adjudication_order,
    claims_in,
    pay_level,
)
from pctui.core.posting.statuses import LEVEL_RANK
from pctui.core.wording import plural
from pctui.store import audit, claim_status
from pctui.store.batches import BatchRefused, check_batch, next_batch_number, take_batch
from pctui.store.claims import lock_claims
from pctui.store.db import (
    Store,
    StoreBusy,
    StoreError,
    connection_lost,
    cyclic_gc_paused,
    is_busy,
    worth_retrying,
)
from pctui.store.errors import ValidationFailed
from pctui.store.payment_posting import load_payment, remittance_of_era
from pctui.store.posting_writes import record_provider_adjustments, summary, write_posting
from pctui.store.release_views import ReleaseDetail, release_detail
from pctui.store.tables import Claim, Era, PayerInboundId, PayerRule, Release
from pctui.store.users import Actor

if TYPE_CHECKING:
    from pctui.store.rework import ReworkableNow

__all__ = [  # the release views and batch numbers are reached through this module too
    "ReleaseDetail", "ReleaseResult", "ReleaseStatus", "check_batch", "next_batch_number",
    "release_detail", "release_era", "release_eras",
]  # fmt: skip


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
    reworked: list[str] = field(default_factory=list)  # lines posted later in the same run
    # Held lines of earlier payments whose claim this release posted, ready to be reworked now.
    reworkable_now: list[ReworkableNow] = field(default_factory=list)

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
            "reworked": list(self.reworked),
            "reworkable_now": [held.to_json() for held in self.reworkable_now],
        }


ReleaseProgress = Callable[[int, int, ReleaseResult], None]


class _Refused(Exception):
    """The payment cannot be released; the message says why. Nothing is written."""


def check_deposit_date(deposit_date: date, today: date | None = None) -> None:
    """ValidationFailed when the deposit date is after today (SPEC 2.3)."""
    today = today or date.today()
    if deposit_date > today:
        raise ValidationFailed({"deposit_date": f"{deposit_date} is after today ({today}): "
                                                "the money cannot have been deposited yet"})


# -- releasing ----------------------------------------------------------------------------------


def release_eras(
    store: Store,
    actor: Actor,
    era_ids: Iterable[int],
    deposit_date: date,
    batch: str | None = None,
    progress: ReleaseProgress | None = None,
    *,
    confirm_early_deposit: bool = False,
    today: date | None = None,
) -> list[ReleaseResult]:
    """Release payments in adjudication order, each in its own transaction; one result per
    payment, in the order they were named (``progress`` hears them in the order they post).
    ``batch`` None: one is generated for the run.

    A refused or failed payment does not stop the others. A payment named twice is released once.
    """
    actor.require_release()
    number = check_batch(batch) if batch is not None else None
    check_deposit_date(deposit_date, today)
    era_ids = list(era_ids)
    order = posting_order_of(store, dict.fromkeys(era_ids))
    results: list[ReleaseResult] = []
    for done, era_id in enumerate(order, start=1):
        result = release_era(store, actor, era_id, deposit_date, number,
                             confirm_early_deposit=confirm_early_deposit, today=today)  # fmt: skip
        if result.released and number is None:
            number = result.batch  # the rest of the run joins the batch just generated
        results.append(result)
        if progress is not None:
            progress(done, len(order), result)
    released = [r.era_id for r in results if r.released]
    from pctui.store.rework import held_freed_by, rework_held_in_run

    try:  # what follows the releases must not lose their results if the database goes away
        if len(released) > 1:
            reworked = rework_held_in_run(store, actor, released)
            results = [_with_reworked(r, reworked.get(r.era_id, [])) for r in results]
        freed = held_freed_by(store, released)
        if freed:
            results = [replace(r, reworkable_now=freed.get(r.era_id, [])) for r in results]
    except (DBAPIError, StoreError):
        pass  # the held lines stay on the error report and the worklist, to rework later
    by_id = {r.era_id: r for r in results}
    return [by_id[era_id] for era_id in dict.fromkeys(era_ids)]


def _with_reworked(result: ReleaseResult, lines: list[str]) -> ReleaseResult:
    if not lines:
        return result
    message = f"{result.message}; {plural(len(lines), 'held claim')} posted later in this run"
    return replace(result, message=message, reworked=lines)


def posting_order_of(store: Store, era_ids: Iterable[int]) -> list[int]:
    """The payments in adjudication order (:mod:`pctui.core.posting.order`); ids not on file
    keep their place at the end, to be refused."""
    wanted = list(era_ids)
    if len(wanted) < 2:
        return wanted
    with store.read() as session:
        rows = session.exec(select(Era).where(col(Era.id).in_(wanted))).all()
        details = {era.id: json.loads(era.detail or "{}").get("claims", []) for era in rows}
        owners = {
            era.id: _owner(session, era.inbound_id) for era in rows
        }  # fmt: skip
        claim_ids = {c.get("patient_control_number", "").strip()
                     for clps in details.values() for c in clps}  # fmt: skip
        payers = _claim_payers(session, claim_ids)
    payments = [
        PaymentToOrder(era.id, era.payment_date,  # type: ignore[arg-type]
                       _claim_levels(details[era.id], payers, owners[era.id]))
        for era in rows
    ]  # fmt: skip
    order = adjudication_order(payments)
    return order + [e for e in wanted if e not in set(order)]


def _owner(session: Session, inbound_id: str) -> int | None:
    row = session.get(PayerInboundId, inbound_id) if inbound_id else None
    return row.payer_id if row is not None else None


def _claim_payers(session: Session, claim_ids: set[str]) -> dict[str, dict[int, int | None]]:
    """Claim id -> {level rank: payer id} for the claims on file."""
    found: dict[str, dict[int, int | None]] = {}
    ids = sorted(claim_ids)
    for start in range(0, len(ids), 500):
        rows = session.exec(
            select(Claim.claim_id, Claim.primary_payer_id, Claim.secondary_payer_id,
                   Claim.tertiary_payer_id)
            .where(col(Claim.claim_id).in_(ids[start:start + 500]))
        ).all()  # fmt: skip
        for claim_id, *levels in rows:
            found[claim_id] = dict(enumerate(levels))
    return found


def _claim_levels(
    clps: list[dict[str, Any]], payers: dict[str, dict[int, int | None]], owner: int | None
) -> dict[str, frozenset[int]]:
    """Per claim, the level ranks of this 835's CLPs; a reversal or denial (no level of its own)
    counts at the level the 835's payer holds on the claim."""
    levels: dict[str, set[int]] = {}
    for clp in clps:
        claim_id = clp.get("patient_control_number", "").strip()
        level = pay_level(str(clp.get("status_code", "")))
        if level is not None:
            levels.setdefault(claim_id, set()).add(LEVEL_RANK[level])
            continue
        held = [rank for rank, payer in payers.get(claim_id, {}).items()
                if payer is not None and payer == owner]  # fmt: skip
        if held:
            levels.setdefault(claim_id, set()).add(min(held))
    return {claim_id: frozenset(ranks) for claim_id, ranks in levels.items()}


def release_era(
    store: Store,
    actor: Actor,
    era_id: int,
    deposit_date: date,
    batch: str | None = None,
    *,
    confirm_early_deposit: bool = False,
    today: date | None = None,
) -> ReleaseResult:
    """Post one 835 payment in one write transaction: all of it or nothing (module notes)."""
    actor.require_release()
    number = check_batch(batch) if batch is not None else None
    check_deposit_date(deposit_date, today)

    def refused(message: str) -> ReleaseResult:
        return ReleaseResult(era_id, ReleaseStatus.REFUSED, 0, [], message, None, number or "",
                             deposit_date)  # fmt: skip

    for attempt in range(1, _ATTEMPTS + 1):
        try:
            # parallel: on PostgreSQL releases of different payments run side by side; the
            # payment's row and its claims' rows are locked inside (_release).
            with cyclic_gc_paused(), store.write(parallel=True) as session:
                return _release(session, actor, era_id, deposit_date, number,
                                confirm_early_deposit)  # fmt: skip
        except _Refused as exc:
            return refused(str(exc))
        except StoreBusy as exc:
            return refused(f"Payment #{era_id} was not released: {exc}")
        except IntegrityError as exc:
            # Another process wrote the standing Release row first (UNIQUE): say who.
            earlier = _earlier_release(store, era_id)
            if earlier is not None:
                return refused(earlier)
            return _failed(era_id, number or "", deposit_date, exc, store.label)
        except DBAPIError as exc:
            if worth_retrying(exc) and attempt < _ATTEMPTS:
                continue  # PostgreSQL broke a deadlock by stopping this one: nothing was written
            if connection_lost(exc):
                earlier = _earlier_release(store, era_id)  # lost while committing: it may be in
                if earlier is not None:
                    return refused(earlier)
                return ReleaseResult(era_id, ReleaseStatus.FAILED, 0, [], _LOST.format(era_id),
                                     None, number or "", deposit_date)  # fmt: skip
            if is_busy(exc):
                return refused(
                    f"Payment #{era_id} was not released: the database stayed busy with another "
                    "session's work; nothing was posted. Try again in a moment."
                )
            return _failed(era_id, number or "", deposit_date, exc, store.label)
        except Exception as exc:  # noqa: BLE001 - one payment's failure must not stop the batch
            return _failed(era_id, number or "", deposit_date, exc, store.label)
    raise AssertionError("unreachable")  # the last attempt always returns


_ATTEMPTS = 3
_LOST = ("Payment #{} was not released: the connection to the database server was lost during "
         "the release, and the server rolled it back — nothing was posted. pctui reconnects by "
         "itself: release it again.")


def _failed(era_id: int, batch: str, deposit_date: date, exc: Exception,
            where: str = "") -> ReleaseResult:  # fmt: skip
    # A database error's own text carries SQL; the fault's words do not (store.faults).
    from pctui.store import faults

    said = faults.explain(exc, where) if isinstance(exc, DBAPIError) else None
    what = said or f"{type(exc).__name__}: {exc}"
    message = f"Release of payment #{era_id} failed and nothing was posted: {what}"
    return ReleaseResult(era_id, ReleaseStatus.FAILED, 0, [], message, None, batch, deposit_date)


def standing_release(session: Session, era_id: int) -> Release | None:
    return session.exec(select(Release).where(Release.standing_era_id == era_id)).first()


def _earlier_release(store: Store, era_id: int) -> str | None:
    with store.read() as session:
        row = standing_release(session, era_id)
    return _already_released(era_id, row) if row is not None else None


def _already_released(era_id: int, row: Release) -> str:
    when = as_utc(row.released_at).astimezone()
    return (
        f"Already released by {row.released_by} at {when:%Y-%m-%d %H:%M} "
        f"(payment #{era_id}, batch {row.batch})"
    )


def as_utc(moment: datetime) -> datetime:
    # SQLite gives datetimes back without their zone; pctui stores UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _record_provider_adjustments(session: Session, posting: RemittancePosting, era_id: int,
                                 release_id: int) -> None:  # fmt: skip
    record_provider_adjustments(session, posting.provider_adjustments, era_id, release_id)


def _release(
    session: Session,
    actor: Actor,
    era_id: int,
    deposit_date: date,
    batch: str | None,
    confirm_early_deposit: bool,
) -> ReleaseResult:
    # The payment's row first (a second release of it waits here, then finds it released),
    # then its claims' rows in id order (releases sharing claims queue, never deadlock).
    era = session.exec(select(Era).where(Era.id == era_id).with_for_update()).first()
    if era is None:
        raise _Refused(f"Payment #{era_id} is not on file")
    earlier = standing_release(session, era_id)
    if earlier is not None:
        raise _Refused(_already_released(era_id, earlier))
    if era.status != "pending":
        raise _Refused(f"Payment #{era_id} is already {era.status.replace('_', ' ')}")
    _check_ready(session, era)
    if era.payment_date and deposit_date < era.payment_date and not confirm_early_deposit:
        raise _Refused(
            f"Deposit date {deposit_date} is before the payment date {era.payment_date} of "
            f"payment #{era_id}; confirm that date to release it"
        )
    remittance = remittance_of_era(era)
    lock_claims(session, claims_in(remittance))
    now = audit.now()
    try:
        number = take_batch(session, batch, deposit_date, actor.login, now)
    except BatchRefused as exc:
        raise _Refused(str(exc)) from None
    payment = load_payment(session, era, remittance)
    posting = payment.post()
    errors = [line.text for line in posting.errors]
    status = ReleaseStatus.RELEASED_WITH_ERRORS if errors else ReleaseStatus.RELEASED
    release = Release(
        era_id=era_id, standing_era_id=era_id, deposit_date=deposit_date, batch=number,
        released_by=actor.login, released_at=now, status=status.value,
        claims_posted=posting.claims_posted, error_report=json.dumps(errors),
        summary=json.dumps(summary(posting, payment.claims, payment.remittance, era.inbound_id,
                                   payment.payer_pk), separators=(",", ":")),
    )  # fmt: skip
    session.add(release)
    session.flush()  # the UNIQUE standing_era_id check happens here; the entries need the id
    assert release.id is not None
    write_posting(session, posting, payment.claims, era_id=era_id, release_id=release.id,
                  batch=number, user=actor.login, now=now)  # fmt: skip
    # Claims out (SPEC 6): paid, partially paid or denied, with the 835 as the reason.
    claim_status.after_release(session, payment.remittance,
                               {cid: c.pk for cid, c in payment.claims.items()},
                               {r.claim_id: r.outcome.value for r in posting.results}, era_id,
                               actor.login, now)  # fmt: skip
    _record_provider_adjustments(session, posting, era_id, release.id)
    era.status = status.value
    session.add(era)
    audit.record(session, actor.login, "release", release.id, f"payment #{era_id} "
                 f"({era.check_number})", "released",
                 {"era_id": era_id, "batch": number, "deposit_date": deposit_date.isoformat(),
                  "status": status.value, "claims_posted": posting.claims_posted})  # fmt: skip
    return ReleaseResult(era_id, status, posting.claims_posted, errors,
                         _released_message(posting, errors), release.id, number,
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

