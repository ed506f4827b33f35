"""Submitting claims: scrub, one 837P per connection, validate, re-read, send, record (SPEC 6).

For each connection the ready claims go to (:mod:`pctui.store.scrub` decides and holds what
fails), in this order:

1. **Prepare** (one write transaction): take the claims (``pending_submission_id``; a claim
   another session has taken is left to it), allocate the interchange control number from the
   ``interchange`` counter row under a row lock, write the 837P with the connection's submitter
   and receiver IDs and usage, and store it as a ``prepared`` submission with its claims.
2. **Check the file**: pyx12's 5010 validation and pctui's own 837 reader must give back the
   same claims. A file that fails is never sent: the submission is ``not_sent`` with why, the
   claims it failed are held, the others stay ready.
3. **Send** through the connection (the gateway's transport, passed in as a :data:`Sender`).
4. **Record** (one write transaction): the submission is ``sent`` and its claims ``submitted``,
   or ``not_sent`` with the gateway's words and its claims ready again.

A crash between 1 and 4 leaves the claims ready with a ``prepared`` submission holding them:
never submitted without a file, never lost. The next submission (after ``STALE_AFTER``) marks
such a submission ``interrupted`` and frees its claims; the file stays in the history, so a
biller who finds it in the mailbox knows it went. Control numbers come from one counter row, so
two sessions submitting at once never share one, and a number is never used twice (a file that
is not sent keeps its number).
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from pctui.core.claim import Claim as ClaimModel
from pctui.core.claim_status import ClaimStatus
from pctui.core.edits import EditFailure, Location
from pctui.core.money import to_cents
from pctui.store import audit
from pctui.store.claim_status import Change, set_status
from pctui.store.db import Store
from pctui.store.scrub import CheckProgress, ClaimCheck, check_claims, envelope_for
from pctui.store.tables import (
    Claim,
    ControlCounter,
    Payer,
    PayerConnection,
    Submission,
    SubmissionClaim,
)
from pctui.store.users import Actor
from pctui.x12.envelope import FileRejected
from pctui.x12.read837 import read_837
from pctui.x12.validate837 import validate_837
from pctui.x12.write837 import Written837, write_837

STALE_AFTER = timedelta(minutes=15)
COUNTER = "interchange"


class SendFailed(Exception):
    """The gateway could not deliver the file; the message says why in a biller's words."""


@dataclass(frozen=True, slots=True)
class Sent:
    remote_name: str


# (the connection, the file's name, its bytes) -> where it landed; raises SendFailed.
Sender = Callable[[PayerConnection, str, bytes], Sent]


@dataclass(slots=True)
class SubmitResult:
    """One claim: submitted in a file, held by edits, or not sent (and why)."""

    claim_id: str
    status: str  # submitted | held | not_sent
    connection: str | None = None
    file: str | None = None
    edits: list[EditFailure] = field(default_factory=list)
    message: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"claim_id": self.claim_id, "status": self.status,
                "connection": self.connection, "file": self.file,
                "edits": [{"rule": f.rule, "message": f.message, "location": f.where,
                           "value": f.value, "severity": f.severity.value}
                          for f in self.edits],
                "message": self.message}  # fmt: skip


@dataclass(slots=True)
class FileOutcome:
    connection: str
    file_name: str
    interchange_control: str
    status: str  # sent | not_sent
    claim_ids: list[str]
    error: str = ""


@dataclass(slots=True)
class SubmitRun:
    results: list[SubmitResult] = field(default_factory=list)
    files: list[FileOutcome] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    not_open: list[tuple[str, ClaimStatus]] = field(default_factory=list)
    interrupted: list[str] = field(default_factory=list)  # stale prepared files set aside

    @property
    def all_sent(self) -> bool:
        return bool(self.results) and all(r.status == "submitted" for r in self.results) and (
            not self.missing)


def file_name_for(connection: PayerConnection, control: str) -> str:
    """``<submitter>_<control>.837``: unique per file, and tells a mailbox reader who sent it."""
    who = "".join(ch for ch in connection.submitter_id.strip() if ch.isalnum()) or "PCTUI"
    return f"{who}_{control}.837"


def submit_claims(
    store: Store,
    actor: Actor,
    sender: Sender,
    claim_ids: Sequence[str] | None = None,
    *,
    connection: str | None = None,
    progress: CheckProgress | None = None,
    stale_after: timedelta = STALE_AFTER,
    now: Callable[[], datetime] = audit.now,
) -> SubmitRun:
    """Scrub and send ``claim_ids`` (default: every ready claim), one file per connection."""
    actor.require_release()
    run = SubmitRun()
    run.interrupted = release_interrupted(store, actor, stale_after, now())
    checked = check_claims(store, actor, claim_ids, connection=connection, progress=progress)
    run.missing, run.not_open = checked.missing, checked.not_open
    named = bool(claim_ids)
    groups: dict[int, list[ClaimCheck]] = {}
    for check in checked.checks:
        if check.holds:
            run.results.append(SubmitResult(check.claim_id, "held", check.connection, None,
                                            check.failures, check.reason))  # fmt: skip
        elif check.status is ClaimStatus.READY or (named and check.status is ClaimStatus.REJECTED):
            groups.setdefault(check.connection_id, []).append(check)  # type: ignore[arg-type]
        elif not named and check.status is ClaimStatus.REJECTED:
            continue  # sent again only when named: not asked for, so not "not sent"
        else:
            run.results.append(SubmitResult(check.claim_id, "not_sent", check.connection,
                                            message=f"the claim is {check.status.label.lower()}"))
    for connection_id, members in groups.items():
        _submit_group(store, actor, sender, connection_id, members, run, now)
    return run


def _submit_group(store: Store, actor: Actor, sender: Sender, connection_id: int,
                  members: list[ClaimCheck], run: SubmitRun,
                  now: Callable[[], datetime]) -> None:  # fmt: skip
    prepared = _prepare(store, actor, connection_id, members, now())
    if prepared is None:
        return
    taken, busy, submission_id, written, conn = prepared
    for check in busy:
        run.results.append(SubmitResult(check.claim_id, "not_sent", conn.name, message=(
            "another session is sending this claim right now")))  # fmt: skip
    if not taken:
        return
    name = written_name = _name_of(store, submission_id)
    problems = _file_problems(written, [c.claim for c in taken])  # type: ignore[misc]
    if problems is not None:
        why, failures = problems
        _not_sent(store, actor, submission_id, taken, why, now(), failures)
        run.files.append(FileOutcome(conn.name, name, written.interchange_control, "not_sent",
                                     [c.claim_id for c in taken], why))  # fmt: skip
        for check in taken:
            own = failures.get(check.claim_id, [])
            run.results.append(SubmitResult(check.claim_id, "held" if own else "not_sent",
                                            conn.name, name, own, why))  # fmt: skip
        return
    try:
        sent = sender(conn, written_name, written.text.encode("ascii"))
    except SendFailed as exc:
        why = f"not sent through {conn.name}: {exc}"
        _not_sent(store, actor, submission_id, taken, why, now(), {})
        run.files.append(FileOutcome(conn.name, name, written.interchange_control, "not_sent",
                                     [c.claim_id for c in taken], why))  # fmt: skip
        run.results.extend(SubmitResult(c.claim_id, "not_sent", conn.name, name, [], why)
                           for c in taken)  # fmt: skip
        return
    _sent(store, actor, submission_id, taken, conn, sent, now())
    run.files.append(FileOutcome(conn.name, name, written.interchange_control, "sent",
                                 [c.claim_id for c in taken]))  # fmt: skip
    run.results.extend(SubmitResult(c.claim_id, "submitted", conn.name, name) for c in taken)


def _name_of(store: Store, submission_id: int) -> str:
    with store.read() as session:
        row = session.get(Submission, submission_id)
        assert row is not None
        return row.file_name


# -- 1. prepare --------------------------------------------------------------------------------


def allocate_control_number(session: Session) -> int:
    """The next interchange control number, under a row lock (never handed out twice)."""
    row = session.exec(
        select(ControlCounter).where(ControlCounter.name == COUNTER).with_for_update()
    ).first()
    if row is None:  # the migration creates it; a database built otherwise starts here
        row = ControlCounter(name=COUNTER, value=0)
    row.value += 1
    if row.value > 999_999_999:
        raise RuntimeError("interchange control numbers are used up (999,999,999 files)")
    session.add(row)
    session.flush()
    return row.value


def _prepare(store: Store, actor: Actor, connection_id: int, members: list[ClaimCheck],
             when: datetime) -> tuple[list[ClaimCheck], list[ClaimCheck], int, Written837,
                                      PayerConnection] | None:  # fmt: skip
    with store.write() as session:
        conn = session.get(PayerConnection, connection_id)
        if conn is None:
            return None
        wanted = {c.pk: c for c in members}
        rows = session.exec(select(Claim).where(col(Claim.id).in_(list(wanted)))
                            .with_for_update()).all()  # fmt: skip
        free = {row.id for row in rows if row.pending_submission_id is None and (
            row.status in (ClaimStatus.READY.value, ClaimStatus.REJECTED.value))}
        taken = [c for c in members if c.pk in free]
        busy = [c for c in members if c.pk not in free]
        if not taken:
            return [], busy, 0, Written837("", "", "", [], 0), conn
        control = allocate_control_number(session)
        payer = session.get(Payer, conn.payer_id)
        envelope = envelope_for(conn, payer.name if payer else "", control, when)
        claims = [c.claim for c in taken]
        written = write_837(claims, envelope)  # type: ignore[arg-type]
        content = written.text.encode("ascii")
        submission = Submission(
            connection_id=connection_id, interchange_control=written.interchange_control,
            usage="production" if envelope.usage == "P" else "test",
            file_name=file_name_for(conn, written.interchange_control), status="prepared",
            claim_count=len(taken), charge_cents=sum(to_cents(c.charge) for c in claims),  # type: ignore[union-attr]
            sha256=hashlib.sha256(content).hexdigest(), content=content, created_at=when,
            created_by=actor.login,
        )  # fmt: skip
        session.add(submission)
        session.flush()
        assert submission.id is not None
        st_of = {cid: t.control_number for t in written.transactions for cid in t.claim_ids}
        for check in taken:
            session.add(SubmissionClaim(submission_id=submission.id, claim_pk=check.pk,
                                        claim_id=check.claim_id,
                                        transaction_control=st_of[check.claim_id]))  # fmt: skip
        session.execute(update(Claim).where(col(Claim.id).in_([c.pk for c in taken]))
                        .values(pending_submission_id=submission.id))  # fmt: skip
        audit.record(session, actor.login, "submission", submission.id, submission.file_name,
                     "prepared", {"connection": conn.name, "claims": len(taken),
                                  "interchange": written.interchange_control})  # fmt: skip
        return taken, busy, submission.id, written, conn


# -- 2. check the file ------------------------------------------------------------------------


def _file_problems(written: Written837, claims: list[ClaimModel]
                   ) -> tuple[str, dict[str, list[EditFailure]]] | None:  # fmt: skip
    """Why the file must not be sent (and the claims at fault), or None when it may go."""
    failures: dict[str, list[EditFailure]] = {}
    problems = validate_837(written.text)
    for problem in problems:
        loop, line = written.place(problem.position or 0)
        rule = "5010-SNIP1" if problem.syntax else "5010-SNIP2"
        for claim_id in written.claims_at(problem.position or 0):
            failures.setdefault(claim_id, []).append(EditFailure(
                rule, problem.message, Location(loop, problem.segment_id, problem.element),
                line=line, value=problem.value))  # fmt: skip
    if problems:
        first = problems[0]
        return (f"pyx12's 5010 validation found {len(problems)} problem(s) in the file; first: "
                f"{first.message} (segment {first.position})", failures)  # fmt: skip
    try:
        back = read_837(written.text).claims
    except FileRejected as exc:
        return f"pctui could not read the file it wrote: {exc}", {}
    for before, after in zip(claims, back, strict=False):
        if not _same_claim(before, after):
            return (f"the file does not read back as claim {before.claim_id} was "
                    "(pctui would send something else than it holds)", {})  # fmt: skip
    if len(back) != len(claims):
        return f"the file reads back as {len(back)} claims, not {len(claims)}", {}
    return None


def _same_claim(before: ClaimModel, after: ClaimModel) -> bool:
    """Equal but for what the writer sets on purpose: the connection's submitter ID, LX 1..n,
    and what pctui does not keep from a stored claim's columns (its payers as matched)."""
    lines = [dataclasses.replace(b, line_number=a.line_number)
             for a, b in zip(before.service_lines, after.service_lines, strict=False)]
    submitter = after.submitter
    if submitter is not None and before.submitter is not None:
        submitter = dataclasses.replace(submitter, identifier=before.submitter.identifier)
    fixed = dataclasses.replace(after, service_lines=lines, submitter=submitter,
                                payers=before.payers, patient_name=before.patient_name)
    return fixed == before


# -- 3/4. record --------------------------------------------------------------------------------


def _not_sent(store: Store, actor: Actor, submission_id: int, taken: list[ClaimCheck],
              why: str, when: datetime, failures: dict[str, list[EditFailure]]) -> None:  # fmt: skip
    import json

    with store.write() as session:
        submission = session.get(Submission, submission_id)
        assert submission is not None
        submission.status, submission.error = "not_sent", why
        session.add(submission)
        session.execute(update(Claim).where(col(Claim.pending_submission_id) == submission_id)
                        .values(pending_submission_id=None))  # fmt: skip
        for check in taken:
            own = failures.get(check.claim_id)
            if own:
                edits = json.dumps([f.to_json() for f in own], separators=(",", ":"))
                set_status(session, check.pk, Change(ClaimStatus.HELD, own[0].text, "submission",
                                                     submission_id=submission_id),
                           actor.login, when, edits=edits)  # fmt: skip
        audit.record(session, actor.login, "submission", submission_id, submission.file_name,
                     "not_sent", {"why": why})


def _sent(store: Store, actor: Actor, submission_id: int, taken: list[ClaimCheck],
          conn: PayerConnection, sent: Sent, when: datetime) -> None:  # fmt: skip
    with store.write() as session:
        submission = session.get(Submission, submission_id)
        assert submission is not None
        submission.status, submission.sent_at = "sent", when
        submission.remote_name = sent.remote_name
        session.add(submission)
        session.execute(update(Claim).where(col(Claim.pending_submission_id) == submission_id)
                        .values(pending_submission_id=None))  # fmt: skip
        reason = f"sent in {submission.file_name} through {conn.name}"
        for check in taken:
            set_status(session, check.pk, Change(ClaimStatus.SUBMITTED, reason, "submission",
                                                 submission_id=submission_id),
                       actor.login, when, edits="[]")  # fmt: skip
        audit.record(session, actor.login, "submission", submission_id, submission.file_name,
                     "sent", {"connection": conn.name, "remote_name": sent.remote_name,
                              "claims": len(taken)})  # fmt: skip


def release_interrupted(store: Store, actor: Actor, stale_after: timedelta,
                        when: datetime) -> list[str]:  # fmt: skip
    """Prepared submissions older than ``stale_after``: interrupted; their claims ready again."""
    cutoff = when - stale_after
    with store.write() as session:
        stale = session.exec(select(Submission).where(Submission.status == "prepared",
                                                      col(Submission.created_at) < cutoff)
                             .with_for_update()).all()  # fmt: skip
        names = []
        for submission in stale:
            submission.status = "interrupted"
            submission.error = ("pctui stopped before it knew whether the file was sent; look "
                                "for it in the mailbox before sending these claims again")
            session.add(submission)
            session.execute(update(Claim).where(
                col(Claim.pending_submission_id) == submission.id).values(
                pending_submission_id=None))  # fmt: skip
            audit.record(session, actor.login, "submission", submission.id,
                         submission.file_name, "interrupted", {})
            names.append(submission.file_name)
        return names


# -- history -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SubmissionView:
    id: int
    file_name: str
    connection: str
    interchange_control: str
    usage: str
    status: str
    created_at: datetime
    created_by: str
    sent_at: datetime | None
    claim_count: int
    charge_cents: int
    error: str
    ack_status: str
    ack_summary: str


def list_submissions(store: Store, limit: int = 200) -> list[SubmissionView]:
    query = (select(Submission, PayerConnection.name)
             .join(PayerConnection, col(PayerConnection.id) == Submission.connection_id)
             .order_by(col(Submission.id).desc()).limit(limit))  # fmt: skip
    with store.read() as session:
        return [SubmissionView(s.id, s.file_name, name, s.interchange_control, s.usage,  # type: ignore[arg-type]
                               s.status, s.created_at, s.created_by, s.sent_at, s.claim_count,
                               s.charge_cents, s.error, s.ack_status, s.ack_summary)
                for s, name in session.exec(query)]  # fmt: skip


@dataclass(frozen=True, slots=True)
class ClaimSubmission:
    """One submission of a claim as the claim's history shows it."""

    file_name: str
    connection: str
    status: str  # the file: prepared | sent | not_sent | interrupted
    claim_status: str  # in that file: submitted | acknowledged | accepted | rejected
    reason: str
    created_at: datetime
    payer_claim_number: str


def claim_submissions(store: Store, claim_pk: int) -> list[ClaimSubmission]:
    query = (select(SubmissionClaim, Submission, PayerConnection.name)
             .join(Submission, col(Submission.id) == SubmissionClaim.submission_id)
             .join(PayerConnection, col(PayerConnection.id) == Submission.connection_id)
             .where(SubmissionClaim.claim_pk == claim_pk)
             .order_by(col(Submission.id)))  # fmt: skip
    with store.read() as session:
        return [ClaimSubmission(s.file_name, name, s.status, m.status, m.reason or s.error,
                                s.created_at, m.payer_claim_number)
                for m, s, name in session.exec(query)]  # fmt: skip
