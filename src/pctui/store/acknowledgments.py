"""Acknowledgments received (TA1, 999, 277CA, Claim.MD responses) turned into claim statuses
with the payer's words (SPEC 5, 6).

The mailbox (:mod:`pctui.store.mailbox`) stores every received file first and records each
acknowledgment; :func:`apply_received` applies each one exactly once — the mailbox row is locked
and marked applied in the same transaction that moves the claims — and keeps what it matched in
an :class:`~pctui.store.tables.AcknowledgmentMatch` row. Matching, by what each one names:

- TA1 → the submission whose interchange control number (ISA13) is TA101;
- 999 → the submission whose group control number (GS06, the same number) is AK102, and in it
  the claims of the transaction set AK202 (ST02);
- 277CA → each claim by its patient control number (TRN02 = CLM01), in the latest submission
  that carried it; Claim.MD's claim responses (JSON) likewise, by ``pcn``.

An acknowledgment that matches nothing is kept and listed as unmatched — never dropped. One that
answers an older submission of a claim sent again since is recorded on that submission but does
not move the claim; none ever moves a claim back down the ladder.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from pctui.core.acknowledgment import (
    AckKind,
    AckVerdict,
    SetAck,
)
from pctui.core.acknowledgment import (
    Acknowledgment as AckModel,
)
from pctui.core.claim_status import ClaimStatus, after_acknowledgment
from pctui.store import audit, mailbox
from pctui.store.claim_status import Change, set_status
from pctui.store.db import Store
from pctui.store.tables import (
    Acknowledgment,
    AcknowledgmentMatch,
    Claim,
    MailboxFile,
    Submission,
    SubmissionClaim,
)
from pctui.x12.envelope import FileRejected
from pctui.x12.read_ack import read_ack_bytes


@dataclass(slots=True)
class ClaimMove:
    claim_id: str
    status: ClaimStatus  # the claim's status after the acknowledgment
    reason: str
    moved: bool  # False: recorded on the submission only (already further along, or resent)


@dataclass(slots=True)
class AckResult:
    """What one acknowledgment did."""

    ack_id: int
    file_name: str
    kind: str
    verdict: str = ""
    submission: str | None = None  # the file it answered
    claims: list[ClaimMove] = field(default_factory=list)
    unmatched: list[str] = field(default_factory=list)  # what it names that pctui never sent
    summary: str = ""

    @property
    def matched(self) -> bool:
        return self.submission is not None or bool(self.claims)

    def to_json(self) -> dict[str, Any]:
        return {"id": self.ack_id, "file": self.file_name, "kind": self.kind,
                "verdict": self.verdict, "submission": self.submission, "matched": self.matched,
                "summary": self.summary,
                "claims": [{"claim_id": m.claim_id, "status": m.status.value,
                            "reason": m.reason, "moved": m.moved} for m in self.claims],
                "unmatched": self.unmatched}  # fmt: skip


def apply_received(store: Store, user: str, limit: int = 500) -> list[AckResult]:
    """Apply every acknowledgment the mailbox holds that is not applied yet, oldest first."""
    results = []
    for view in mailbox.unapplied_acknowledgments(store, limit):
        data = mailbox.content(store, view.mailbox_file_id)
        with store.write() as session:
            if not mailbox.mark_acknowledgment_applied(session, view.id):
                continue  # another session applied it meanwhile
            result = apply_one(session, user, view.id, view.kind, data, view.items)
            row = session.get(Acknowledgment, view.id)
            if row is not None:
                row.applied_note = result.summary[:500]
                session.add(row)
            results.append(result)
    return results


def apply_one(session: Session, user: str, ack_id: int, kind: str, data: bytes,
              items: list[dict[str, Any]]) -> AckResult:  # fmt: skip
    """Apply one acknowledgment inside the caller's transaction and record what it matched."""
    name = session.exec(select(MailboxFile.name).join(
        Acknowledgment, col(Acknowledgment.mailbox_file_id) == MailboxFile.id).where(
        Acknowledgment.id == ack_id)).first() or f"acknowledgment #{ack_id}"  # fmt: skip
    result = AckResult(ack_id, name, kind)
    applier = _Applier(session, user, result, audit.now())
    if kind == "claim_md_responses":
        applier.claim_md(items)
    else:
        try:
            ack = read_ack_bytes(data)
        except (FileRejected, ValueError) as exc:
            result.summary = f"not readable as a TA1, 999 or 277CA: {exc}"
            ack = None
        if ack is not None:
            applier.apply(ack)
    session.add(AcknowledgmentMatch(
        acknowledgment_id=ack_id, submission_id=applier.submission_id, matched=result.matched,
        verdict=result.verdict, summary=result.summary,
        claims=json.dumps([m.claim_id for m in result.claims]),
        unmatched=json.dumps(result.unmatched), applied_at=applier.now,
    ))  # fmt: skip
    return result


class _Applier:
    def __init__(self, session: Session, user: str, result: AckResult, now: datetime) -> None:
        self.session, self.user, self.result, self.now = session, user, result, now
        self.submission_id: int | None = None

    def apply(self, ack: AckModel) -> None:
        if ack.kind is AckKind.TA1:
            for interchange in ack.interchanges:
                self._interchange(interchange.interchange_control, interchange.verdict,
                                  f"TA1: {interchange.note}")  # fmt: skip
        elif ack.kind is AckKind.F999:
            for group in ack.groups:
                self._group(group.group_control, group.verdict, group.sets)
        else:
            for claim in ack.claims:
                self._claim_ack(claim.claim_id, claim.verdict, f"277CA: {claim.message}",
                                claim.payer_claim_number)  # fmt: skip
            if not ack.claims:
                self.result.summary = "277CA without claim-level statuses"
        self._summarize()

    def claim_md(self, items: list[dict[str, Any]]) -> None:
        """Claim.MD's JSON responses: status A accepted, R rejected, with its messages."""
        for item in items:
            status = str(item.get("status", "")).upper()
            verdict = (AckVerdict.ACCEPTED if status.startswith("A") else AckVerdict.REJECTED
                       if status.startswith("R") else AckVerdict.PENDING)  # fmt: skip
            words = "; ".join(str(m) for m in item.get("messages", []) if m)
            what = {"A": "accepted", "R": "rejected"}.get(status[:1], status or "no status")
            reason = f"Claim.MD: {what}" + (f" — {words}" if words else "")
            self._claim_ack(str(item.get("claim_id", "")), verdict, reason,
                            str(item.get("claimmd_id", "")))  # fmt: skip
        self._summarize()

    def _summarize(self) -> None:
        if self.result.claims:
            moved = sum(1 for m in self.result.claims if m.moved)
            where = f" in {self.result.submission}" if self.result.submission else ""
            self.result.summary = (f"{len(self.result.claims)} claim(s){where}: {moved} moved; "
                                   + "; ".join(sorted({m.reason for m in self.result.claims})))
        if self.result.unmatched:
            self.result.summary = ("; ".join(filter(None, [
                self.result.summary, "matches nothing pctui sent: "
                + ", ".join(self.result.unmatched)])))  # fmt: skip

    # -- TA1 and 999: a file, a group, a transaction set ---------------------------------------

    def _submission(self, control: str) -> Submission | None:
        number = control.strip()
        if not number.isdigit():
            return None
        found = self.session.exec(
            select(Submission).where(Submission.interchange_control == f"{int(number):09d}")
        ).first()
        if found is not None:
            self.submission_id = found.id
            self.result.submission = found.file_name
        return found

    def _interchange(self, control: str, verdict: AckVerdict, words: str) -> None:
        self.result.verdict = verdict.value
        submission = self._submission(control)
        if submission is None:
            self.result.unmatched.append(f"interchange {control}")
            return
        self._note_on_submission(submission, verdict, words)
        reason = (f"{words}: the whole file {submission.file_name} was refused" if
                  verdict is AckVerdict.REJECTED else f"{words}: file accepted")  # fmt: skip
        for member in self._members(submission):
            self._move(member, verdict, reason, claim_level=False)

    def _group(self, control: str, verdict: AckVerdict, sets: list[SetAck]) -> None:
        self.result.verdict = verdict.value
        submission = self._submission(control)
        if submission is None:
            self.result.unmatched.append(f"functional group {control}")
            return
        self._note_on_submission(submission, verdict, f"999: {verdict.value.replace('_', ' ')}")
        members = self._members(submission)
        for transaction in sets:
            chosen = [m for m in members if m.transaction_control == transaction.control_number]
            if not chosen:
                self.result.unmatched.append(
                    f"transaction set {transaction.control_number} of {submission.file_name}")
                continue
            reason = _set_reason(transaction)
            for member in chosen:
                self._move(member, transaction.verdict, reason, claim_level=False)
        if not sets:  # a group verdict without set detail applies to every set in it
            reason = f"999: the group was {verdict.value.replace('_', ' ')}"
            for member in members:
                self._move(member, verdict, reason, claim_level=False)

    def _note_on_submission(self, submission: Submission, verdict: AckVerdict, words: str
                            ) -> None:  # fmt: skip
        submission.ack_status = verdict.value
        submission.ack_summary = words
        self.session.add(submission)

    def _members(self, submission: Submission) -> list[SubmissionClaim]:
        return list(self.session.exec(
            select(SubmissionClaim).where(SubmissionClaim.submission_id == submission.id)
            .order_by(col(SubmissionClaim.id))))  # fmt: skip

    # -- 277CA and Claim.MD responses: one claim -----------------------------------------------

    def _claim_ack(self, claim_id: str, verdict: AckVerdict, reason: str,
                   payer_number: str) -> None:  # fmt: skip
        # The file's verdict: rejected or accepted when every claim is; partially accepted
        # when the payer accepted some claims and rejected others (as a 999's AK9 P).
        if not self.result.verdict or self.result.verdict == AckVerdict.PENDING.value:
            self.result.verdict = verdict.value
        elif verdict is not AckVerdict.PENDING and verdict.value != self.result.verdict and (
            {verdict.value, self.result.verdict} <= {AckVerdict.ACCEPTED.value,
                                                      AckVerdict.REJECTED.value,
                                                      AckVerdict.PARTIAL.value}):
            self.result.verdict = AckVerdict.PARTIAL.value
        member = self.session.exec(
            select(SubmissionClaim).where(SubmissionClaim.claim_id == claim_id)
            .order_by(col(SubmissionClaim.id).desc())).first()  # fmt: skip
        if member is None:
            self.result.unmatched.append(f"claim {claim_id}")
            return
        if self.submission_id is None:
            self.submission_id = member.submission_id
            sent = self.session.get(Submission, member.submission_id)
            self.result.submission = sent.file_name if sent else None
        if payer_number:
            member.payer_claim_number = payer_number
        self._move(member, verdict, reason, claim_level=True)

    # -- moving one claim ----------------------------------------------------------------------

    def _move(self, member: SubmissionClaim, verdict: AckVerdict, reason: str, *,
              claim_level: bool) -> None:  # fmt: skip
        if verdict is AckVerdict.PARTIAL:
            verdict = AckVerdict.ACCEPTED_WITH_ERRORS  # a set's own verdict decides its claims
        if verdict is AckVerdict.REJECTED:
            member.status = "rejected"
        elif claim_level and verdict is AckVerdict.ACCEPTED:
            member.status = "accepted"
        elif verdict.passed and member.status == "submitted":
            member.status = "acknowledged"
        member.reason = reason
        self.session.add(member)
        claim = self.session.get(Claim, member.claim_pk)
        assert claim is not None
        current = ClaimStatus(claim.status)
        latest = self.session.exec(
            select(SubmissionClaim.id).where(SubmissionClaim.claim_pk == member.claim_pk)
            .order_by(col(SubmissionClaim.id).desc())).first()  # fmt: skip
        target = after_acknowledgment(current, verdict, claim_level=claim_level)
        moved = target is not None and latest == member.id
        if moved:
            assert target is not None
            set_status(self.session, member.claim_pk, Change(
                target, reason, "acknowledgment", submission_id=member.submission_id,
                acknowledgment_id=self.result.ack_id), self.user, self.now)  # fmt: skip
            current = target
        self.result.claims.append(ClaimMove(member.claim_id, current, reason, moved))


def _set_reason(transaction: SetAck) -> str:
    verdict = transaction.verdict.value.replace("_", " ")
    words = [f"999: transaction set {transaction.control_number} {verdict}"]
    if transaction.summary:
        words.append(transaction.summary)
    for error in transaction.errors:
        context = f" [{error.context}]" if error.context else ""
        words.append(f"{error.message} at {error.location}{context}")
    return "; ".join(words)


# -- listing -------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AckView:
    id: int
    kind: str
    file_name: str
    connection_id: int
    received_at: datetime
    applied: bool
    matched: bool
    verdict: str
    submission: str | None
    summary: str

    def to_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "file": self.file_name,
                "received_at": self.received_at.isoformat(), "applied": self.applied,
                "matched": self.matched, "verdict": self.verdict,
                "submission": self.submission, "summary": self.summary}  # fmt: skip


def list_acknowledgments(store: Store, *, unmatched_only: bool = False, limit: int = 500
                         ) -> list[AckView]:  # fmt: skip
    """Newest first; ``unmatched_only``: applied ones that answered nothing pctui sent."""
    query = (select(Acknowledgment, MailboxFile.name, AcknowledgmentMatch, Submission.file_name)
             .join(MailboxFile, col(MailboxFile.id) == Acknowledgment.mailbox_file_id)
             .outerjoin(AcknowledgmentMatch,
                        col(AcknowledgmentMatch.acknowledgment_id) == Acknowledgment.id)
             .outerjoin(Submission, col(Submission.id) == AcknowledgmentMatch.submission_id)
             .order_by(col(Acknowledgment.id).desc()).limit(limit))  # fmt: skip
    if unmatched_only:
        query = query.where(AcknowledgmentMatch.matched == False)  # noqa: E712
    out = []
    with store.read() as session:
        for ack, name, match, sent in session.exec(query):
            assert ack.id is not None
            out.append(AckView(ack.id, ack.kind, name, ack.connection_id, ack.received_at,
                               match is not None, bool(match and match.matched),
                               match.verdict if match else ack.outcome, sent,
                               match.summary if match else ack.summary))  # fmt: skip
    return out
