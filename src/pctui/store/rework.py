"""After a release: rework of error-report lines whose cause is fixed, and closing a line by hand
(SPEC 2.4).

- **What can be reworked.** A line whose claim payment (CLP) was not posted at all — its claim
  was not found, it was held for an earlier level, its claim's payer had no rule, its claim had
  no insurance at that level, a reversal found nothing to reverse, a status that does not post.
  Such a CLP is posted whole, exactly as a release would post it now (today's claims, rules and
  ledgers), so reworking after the cause is fixed gives what releasing then would have given.
  Lines about a CLP that did post (a line not matched, an excluded CARC, a credit, a CLP04 its
  lines do not explain) are worked outside pctui and closed by hand with a note.
- **Each in its own transaction**: one CLP per transaction (the lines of that CLP together). The
  rework is recorded with the original payment and release, a batch (the release's unless
  another is given; a new one is for the release's deposit date) and who did it; its entries
  carry the release and the rework, so voiding the release undoes them too. A CLP whose cause is
  not fixed yet posts nothing and its line stays open, with today's reason in the result.
- **Closing by hand** needs a note; the line keeps who closed it, when and why.
- **Held claims in one run.** When payments released together needed opposite orders
  (:mod:`pctui.core.posting.order`), the CLPs held for an earlier level that a later payment of
  the same run then posted are reworked at the end of that run (:func:`rework_held_in_run`).
- **Held claims of earlier runs** are not posted on their own when a later release posts their
  earlier level: rework is the biller's act (SPEC 2.4), and its batch is the held payment's. The
  release says which of them can be reworked now (:func:`held_freed_by`), so none is forgotten.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlmodel import Session, col, select

from pctui.core.text import unsafe_characters
from pctui.core.wording import plural
from pctui.store import audit, claim_status
from pctui.store.batches import BatchRefused, check_batch, take_batch
from pctui.store.db import Store, cyclic_gc_paused
from pctui.store.errors import NotFound, ValidationFailed
from pctui.store.payment_posting import load_payment
from pctui.store.posting_writes import summary, write_posting
from pctui.store.release_views import ErrorLineView, error_lines
from pctui.store.tables import Claim, ClaimPosting, Era, ErrorReportLine, Release, Rework
from pctui.store.users import Actor

NOTE_MAX_LENGTH = 500


class ReworkStatus:
    REWORKED = "reworked"
    NOT_YET = "not_posted"  # the cause is not fixed: nothing written, the line stays open
    REFUSED = "refused"  # the line cannot be reworked (closed, voided, not reworkable)


@dataclass(frozen=True)
class ReworkResult:
    era_id: int
    claim_id: str
    line_ids: list[int]
    status: str
    message: str
    rework_id: int | None = None
    batch: str = ""
    errors: list[str] = field(default_factory=list)  # new error-report lines of the rework

    def to_json(self) -> dict[str, object]:
        return {"payment": self.era_id, "claim_id": self.claim_id, "lines": self.line_ids,
                "status": self.status, "message": self.message, "rework_id": self.rework_id,
                "batch": self.batch or None, "errors": self.errors}  # fmt: skip


@dataclass(frozen=True)
class ReworkableNow:
    """A held error-report line of an earlier payment that a release has just freed."""

    line: int
    payment: int
    check_number: str
    claim_id: str

    def describe(self) -> str:
        return f"{self.claim_id} held on payment #{self.payment} ({self.check_number})"

    def to_json(self) -> dict[str, object]:
        return {"line": self.line, "payment": self.payment, "claim_id": self.claim_id}


class _NotReworked(Exception):
    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status


def open_lines(store: Store, limit: int | None = None) -> list[ErrorLineView]:
    """The worklist: every open error-report line across payments, by payment."""
    with store.read() as session:
        return error_lines(session, state="open", limit=limit)


def _groups(session: Session, line_ids: Iterable[int]) -> list[tuple[int, int | None, list[int]]]:
    """(era, CLP index, line ids) for each claim payment the lines belong to, in line order."""
    rows = session.exec(
        select(ErrorReportLine).where(col(ErrorReportLine.id).in_(list(line_ids)))
        .order_by(col(ErrorReportLine.id))
    ).all()  # fmt: skip
    grouped: dict[tuple[int, int | None, int | None], list[int]] = defaultdict(list)
    for row in rows:
        assert row.id is not None
        # Lines without a CLP position each stand alone.
        key = (row.era_id, row.clp_index, None if row.clp_index is not None else row.id)
        grouped[key].append(row.id)
    return [(era, index, ids) for (era, index, _), ids in grouped.items()]


def rework_lines(
    store: Store, actor: Actor, line_ids: Iterable[int], batch: str | None = None
) -> list[ReworkResult]:
    """Post the claim payments of these error-report lines, each in its own transaction."""
    actor.require_release()
    number = check_batch(batch) if batch is not None else None
    wanted = list(dict.fromkeys(line_ids))
    with store.read() as session:
        groups = _groups(session, wanted)
    missing = set(wanted) - {i for _, _, ids in groups for i in ids}
    if missing:
        raise NotFound(f"No error-report line #{min(missing)}")
    # In passes: a line held for an earlier level that another named line posts (a tertiary
    # behind a held secondary) is tried again once that one is posted, whatever the order the
    # lines were named or held in; until a pass posts nothing more.
    results: dict[int, ReworkResult] = {}
    waiting = list(range(len(groups)))
    while waiting:
        for position in waiting:
            era, index, ids = groups[position]
            results[position] = _rework_one(store, actor, era, index, ids, number)
        posted = any(results[p].status == ReworkStatus.REWORKED for p in waiting)
        waiting = [p for p in waiting if results[p].status == ReworkStatus.NOT_YET]
        if not posted:
            break
    return [results[position] for position in range(len(groups))]


def _rework_one(
    store: Store, actor: Actor, era_id: int, index: int | None, line_ids: list[int],
    batch: str | None,
) -> ReworkResult:  # fmt: skip
    claim_id = ""
    try:
        with cyclic_gc_paused(), store.write() as session:
            lines = session.exec(
                select(ErrorReportLine).where(col(ErrorReportLine.id).in_(line_ids))
                .with_for_update()
            ).all()  # fmt: skip
            claim_id = lines[0].claim_id
            return _rework(session, actor, era_id, index, list(lines), batch)
    except _NotReworked as exc:
        return ReworkResult(era_id, claim_id, line_ids, exc.status, str(exc))


def _rework(
    session: Session,
    actor: Actor,
    era_id: int,
    index: int | None,
    lines: list[ErrorReportLine],
    batch: str | None,
) -> ReworkResult:
    claim_id = lines[0].claim_id
    ids = [line.id for line in lines if line.id is not None]
    closed = [line for line in lines if line.state != "open"]
    if closed:
        raise _NotReworked(ReworkStatus.REFUSED,
                           f"Error-report line #{closed[0].id} is already {closed[0].state}")
    if index is None or not all(line.reworkable for line in lines):
        raise _NotReworked(ReworkStatus.REFUSED, (
            f"{claim_id}: part of this claim payment was posted, so it cannot be posted again; "
            "work it by hand and close the line with a note"))  # fmt: skip
    release = session.get(Release, lines[0].release_id)
    if release is None or release.voided_at is not None:
        raise _NotReworked(ReworkStatus.REFUSED,
                           f"The release of payment #{era_id} was voided; release it again")
    era = session.get(Era, era_id)
    assert era is not None and release.id is not None
    clp = json.loads(era.detail or "{}").get("claims", [])[index]
    payment = load_payment(session, era, claim_ids=[clp.get("patient_control_number", "")])
    posting = payment.post(only={index})
    (result,) = posting.results
    if not result.outcome.touched_the_claim:
        why = "; ".join(e.text for e in result.errors) or "nothing to post"
        raise _NotReworked(ReworkStatus.NOT_YET, f"Not posted yet: {why}")
    now = audit.now()
    try:
        number = take_batch(session, batch, release.deposit_date, actor.login, now) \
            if batch is not None else release.batch
    except BatchRefused as exc:
        raise _NotReworked(ReworkStatus.REFUSED, str(exc)) from None
    rework = Rework(
        era_id=era_id, release_id=release.id, batch=number, reworked_by=actor.login,
        reworked_at=now, claims_posted=posting.claims_posted,
        summary=json.dumps(summary(posting, payment.claims, payment.remittance, era.inbound_id,
                                   payment.payer_pk), separators=(",", ":")),
    )  # fmt: skip
    session.add(rework)
    session.flush()
    assert rework.id is not None
    write_posting(session, posting, payment.claims, era_id=era_id, release_id=release.id,
                  batch=number, user=actor.login, now=now, rework_id=rework.id)  # fmt: skip
    # Claims out (SPEC 6): the claim it posted onto is paid, partially paid or denied now.
    claim_status.restate_from_postings(session, [c.pk for c in payment.claims.values()],
                                       actor.login, now)  # fmt: skip
    for line in lines:
        line.state, line.closed_at, line.closed_by = "reworked", now, actor.login
        line.closed_by_rework_id = rework.id
        line.note = f"Posted by rework #{rework.id} in batch {number}"
        session.add(line)
    errors = [e.text for e in posting.errors]
    audit.record(session, actor.login, "rework", rework.id,
                 f"payment #{era_id} ({era.check_number}), claim {claim_id}", "reworked",
                 {"era_id": era_id, "release_id": release.id, "batch": number, "lines": ids,
                  "claims_posted": posting.claims_posted, "errors": errors})  # fmt: skip
    message = f"{claim_id}: {result.outcome.value} by rework #{rework.id}"
    if errors:
        message += f", {plural(len(errors), 'new error-report line')}"
    return ReworkResult(era_id, claim_id, ids, ReworkStatus.REWORKED, message, rework.id, number,
                        errors)  # fmt: skip


def close_line(store: Store, actor: Actor, line_id: int, note: str) -> ErrorLineView:
    """Close one open error-report line by hand, with a note saying how it was worked."""
    actor.require_release()
    text = (note or "").strip()
    if not text:
        raise ValidationFailed({"note": "say how the line was worked (a note is required)"})
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationFailed({"note": f"at most {NOTE_MAX_LENGTH} characters"})
    bad = unsafe_characters(text)
    if bad:
        raise ValidationFailed({"note": "contains characters that cannot be shown: "
                                        + ", ".join(bad)})
    with store.write() as session:
        line = session.exec(
            select(ErrorReportLine).where(ErrorReportLine.id == line_id).with_for_update()
        ).first()
        if line is None:
            raise NotFound(f"No error-report line #{line_id}")
        if line.state != "open":
            raise ValidationFailed({"line": f"error-report line #{line_id} is already "
                                            f"{line.state}"})  # fmt: skip
        line.state, line.closed_at, line.closed_by, line.note = (
            "closed", audit.now(), actor.login, text)
        session.add(line)
        audit.record(session, actor.login, "error_line", line_id, line.text, "closed",
                     {"note": text, "era_id": line.era_id})  # fmt: skip
    with store.read() as session:
        (view,) = [v for v in error_lines(session, release_id=line.release_id) if v.id == line_id]
    return view


def rework_readiness(store: Store, line_ids: Iterable[int]) -> dict[int, str]:
    """For the worklist: what reworking each line would do now, without writing anything."""
    wanted = list(line_ids)
    found: dict[int, str] = {}
    with store.read() as session:
        rows = session.exec(
            select(ErrorReportLine).where(col(ErrorReportLine.id).in_(wanted))
        ).all()
        by_era: dict[int, list[ErrorReportLine]] = defaultdict(list)
        for row in rows:
            if row.reworkable and row.clp_index is not None and row.state == "open":
                by_era[row.era_id].append(row)
            elif row.id is not None:
                found[row.id] = "close by hand with a note"
        for era_id, era_lines in by_era.items():
            era = session.get(Era, era_id)
            assert era is not None
            clps = json.loads(era.detail or "{}").get("claims", [])
            claim_ids = [clps[r.clp_index].get("patient_control_number", "")
                         for r in era_lines if r.clp_index is not None]  # fmt: skip
            payment = load_payment(session, era, claim_ids=claim_ids)
            posting = payment.post(only={r.clp_index for r in era_lines})
            outcome = {r.clp_index: r for r in posting.results}
            for row in era_lines:
                result = outcome.get(row.clp_index)
                assert row.id is not None
                if result is not None and result.outcome.touched_the_claim:
                    found[row.id] = f"ready: would be {result.outcome.value}"
                elif result is not None and result.errors:
                    found[row.id] = "not yet: " + result.errors[0].message
                else:
                    found[row.id] = "not yet"
    return found


def rework_held_in_run(store: Store, actor: Actor, era_ids: Iterable[int]) -> dict[int, list[str]]:
    """The held claim payments of these just-released payments that can post now (their earlier
    level was posted later in the same run), each reworked in its own transaction — again and
    again while one posting frees the next (a tertiary held behind a held secondary)."""
    payments = list(era_ids)
    reworked: dict[int, list[str]] = {}
    while True:
        with store.read() as session:
            held = session.exec(
                select(ErrorReportLine.id).where(
                    col(ErrorReportLine.era_id).in_(payments),
                    ErrorReportLine.kind == "held", ErrorReportLine.state == "open",
                    col(ErrorReportLine.reworkable).is_(True),
                ).order_by(col(ErrorReportLine.id))
            ).all()  # fmt: skip
        ready = rework_readiness(store, held) if held else {}
        chosen = [line_id for line_id in held if ready.get(line_id, "").startswith("ready")]
        if not chosen:
            return reworked
        progress = False
        for result in rework_lines(store, actor, chosen):
            if result.status == ReworkStatus.REWORKED:
                progress = True
                reworked.setdefault(result.era_id, []).append(result.message)
        if not progress:
            return reworked


def held_freed_by(store: Store, era_ids: Iterable[int]) -> dict[int, list[ReworkableNow]]:
    """Open held lines of *other* payments whose claim one of these just-released payments
    posted, and that reworking would post now; keyed by the payment that posted the claim (the
    first, when several did). Nothing is written."""
    run = list(dict.fromkeys(era_ids))
    if not run:
        return {}
    with store.read() as session:
        held = session.exec(
            select(ErrorReportLine, Era.check_number, Claim.id)
            .join(Era, col(Era.id) == col(ErrorReportLine.era_id))
            .join(Claim, col(Claim.claim_id) == col(ErrorReportLine.claim_id))
            .where(
                ErrorReportLine.kind == "held", ErrorReportLine.state == "open",
                col(ErrorReportLine.reworkable).is_(True),
                col(ErrorReportLine.era_id).not_in(run),
            ).order_by(col(ErrorReportLine.id))
        ).all()  # fmt: skip
        if not held:
            return {}
        claim_pks = sorted({pk for _, _, pk in held if pk is not None})
        first_posted: dict[int, int] = {}
        for start in range(0, len(claim_pks), 500):
            rows = session.exec(
                select(ClaimPosting.claim_pk, ClaimPosting.era_id).where(
                    col(ClaimPosting.era_id).in_(run),
                    col(ClaimPosting.claim_pk).in_(claim_pks[start:start + 500]),
                    ClaimPosting.kind == "posted", col(ClaimPosting.voided).is_(False),
                ).order_by(col(ClaimPosting.id))
            ).all()  # fmt: skip
            for claim_pk, era_id in rows:
                first_posted.setdefault(claim_pk, era_id)
    candidates = [(line, check, first_posted[pk]) for line, check, pk in held
                  if pk in first_posted and line.id is not None]  # fmt: skip
    if not candidates:
        return {}
    ready = rework_readiness(store, [line.id for line, _, _ in candidates if line.id is not None])
    freed: dict[int, list[ReworkableNow]] = {}
    for line, check, by in candidates:
        assert line.id is not None
        if ready.get(line.id, "").startswith("ready"):
            freed.setdefault(by, []).append(
                ReworkableNow(line.id, line.era_id, check or "", line.claim_id))
    return freed
