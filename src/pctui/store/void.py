"""Voiding a release (SPEC 2.4): an admin undoes a released payment, with a reason.

- The ledger gets one exact negating entry (kind ``reversal``, pointing at what it negates) for
  every entry the release posted — its rework's too, and the reversals it made, so a posting it
  reversed stands again. Nothing is deleted: the claim's ledger shows the posting and its void.
- Its posting records are marked voided (they no longer count as posted, so a later level is
  held again and a reversal can no longer target them), its open error-report lines are closed
  as voided, the Release row keeps who voided it, when and why and stops standing, and the
  payment is Ready again — to be released again, into a batch of that day.
- **Refused while a later posting on the same claims depends on it**: any posting (a release, a
  rework, a reversal) of another payment made on one of its claims after it. The refusal names
  those payments and claims; void them first, newest first.
- **Payments that depend on each other are voided together.** Two payments released together
  can each be the earlier level on a claim of the other (one pays P1 as primary and P2 as
  secondary, the other the reverse): neither can go first. The refusal then says so and lists
  the whole group; ``void_releases`` (``pctui void 2 1``, or "Void together" in the dialog after
  the refusal) voids them in one transaction. Postings of payments outside the group still
  refuse it. Nothing is voided without the biller naming, or confirming, every payment.
- The batch report lists the voided release as voided, outside the batch total.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, insert, literal, update
from sqlmodel import col, select

from pctui.core.text import unsafe_characters
from pctui.core.wording import plural
from pctui.store import audit, claim_status
from pctui.store.db import Store
from pctui.store.errors import NotFound, PermissionDenied, ValidationFailed
from pctui.store.tables import Claim, ClaimPosting, Era, ErrorReportLine, LedgerEntry, Release
from pctui.store.users import Actor

REASON_MAX_LENGTH = 500


@dataclass(frozen=True)
class VoidResult:
    era_id: int
    release_id: int
    batch: str
    entries: int  # negating entries written
    claims: int  # claims whose ledger changed
    message: str

    def to_json(self) -> dict[str, object]:
        return {"id": self.era_id, "status": "voided", "release_id": self.release_id,
                "batch": self.batch, "entries": self.entries, "claims": self.claims,
                "message": self.message}  # fmt: skip


class VoidRefused(Exception):
    """The release cannot be voided now; the message says why (and what to void first).

    ``together`` holds the payments (ids) that depend on each other and can only be voided
    together — empty when voiding the named payments first, newest first, is the way."""

    def __init__(self, message: str, together: tuple[int, ...] = ()) -> None:
        super().__init__(message)
        self.together = together


def _check_reason(reason: str) -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed({"reason": "a reason is required to void a release"})
    if len(text) > REASON_MAX_LENGTH:
        raise ValidationFailed({"reason": f"at most {REASON_MAX_LENGTH} characters"})
    bad = unsafe_characters(text)
    if bad:
        raise ValidationFailed({"reason": "contains characters that cannot be shown: "
                                          + ", ".join(bad)})  # fmt: skip
    return text


def _who(actor: Actor) -> str:
    if actor.deactivated:
        return "deactivated"
    return "not registered" if actor.role is None else "a " + actor.role.value


def void_release(store: Store, actor: Actor, era_id: int, reason: str) -> VoidResult:
    """Void the standing release of payment ``era_id`` in one transaction (module notes)."""
    return void_releases(store, actor, [era_id], reason)[0]


def void_releases(store: Store, actor: Actor, era_ids: list[int], reason: str) -> list[VoidResult]:
    """Void the standing releases of ``era_ids`` together, in one transaction: postings of one
    on the others' claims do not hold it back, postings of any other payment do (module notes).
    """
    actor = actor.now()  # the role as it is now, not when the session started
    if not actor.is_admin:
        raise PermissionDenied(
            f"Only an admin may void a release ({actor.login} is {_who(actor)})"
        )
    text = _check_reason(reason)
    ids = list(dict.fromkeys(era_ids))
    if not ids:
        raise ValidationFailed({"id": "name at least one payment to void"})
    results: list[VoidResult] = []
    with store.write() as session:
        standing: list[tuple[Era, Release]] = []
        for era_id in ids:
            era = session.exec(select(Era).where(Era.id == era_id).with_for_update()).first()
            if era is None:
                raise NotFound(f"Payment #{era_id} is not on file")
            release = session.exec(
                select(Release).where(Release.standing_era_id == era_id).with_for_update()
            ).first()
            if release is None or release.id is None:
                raise VoidRefused(f"Payment #{era_id} is not released; there is nothing to void")
            standing.append((era, release))
        release_ids = {release.id for _, release in standing if release.id is not None}
        _refuse_dependents(session, release_ids, ids)
        now = audit.now()
        for era, release in standing:
            assert era.id is not None and release.id is not None
            results.append(_void_one(session, actor, era, release, text, now))
    return results


def _void_one(session, actor: Actor, era: Era, release: Release, text: str, now) -> VoidResult:  # noqa: ANN001
    era_id, release_id = era.id, release.id
    assert era_id is not None and release_id is not None
    claim_pks = set(session.exec(
        select(ClaimPosting.claim_pk).where(ClaimPosting.release_id == release_id,
                                            col(ClaimPosting.voided).is_(False))
    ).all())  # fmt: skip
    claims = len(claim_pks)
    entries = _negate(session, release_id, f"Void of payment #{era_id}: {text}", now, actor.login)
    session.exec(update(ClaimPosting).where(ClaimPosting.release_id == release_id)
                 .values(voided=True))  # type: ignore[call-overload]
    session.exec(update(ErrorReportLine).where(  # type: ignore[call-overload]
        ErrorReportLine.release_id == release_id, ErrorReportLine.state == "open",
    ).values(state="voided", closed_at=now, closed_by=actor.login,
             note=f"Release voided: {text}"))  # fmt: skip
    release.voided_at, release.voided_by, release.void_reason = now, actor.login, text
    # Claims out (SPEC 6): each claim back to what any payment still standing gives it, or
    # to where it was before this one (accepted, submitted, ...).
    claim_status.restate_from_postings(session, claim_pks, actor.login, now,
                                       voided=(era_id, text))  # fmt: skip
    release.standing_era_id = None
    era.status = "pending"
    session.add_all([release, era])
    audit.record(session, actor.login, "release", release_id,
                 f"payment #{era_id} ({era.check_number})", "voided",
                 {"era_id": era_id, "batch": release.batch, "reason": text,
                  "entries": entries, "claims": claims})  # fmt: skip
    message = (f"Voided: {plural(entries, 'ledger entry', 'ledger entries')} negated on "
               f"{plural(claims, 'claim')}; payment #{era_id} is Ready again")
    return VoidResult(era_id, release_id, release.batch, entries, claims, message)


_Dependents = dict[int, tuple[int, str, set[str]]]  # release id -> (era id, check, claim ids)


def _dependents(session, release_ids: set[int]) -> _Dependents:  # noqa: ANN001
    """Releases outside ``release_ids`` with a standing posting on one of their claims made
    after the first posting of theirs on it."""
    mine = session.exec(
        select(ClaimPosting.id, ClaimPosting.claim_pk).where(
            col(ClaimPosting.release_id).in_(list(release_ids)),
            col(ClaimPosting.voided).is_(False))
    ).all()  # fmt: skip
    first: dict[int, int] = {}
    for posting_id, claim_pk in mine:
        first[claim_pk] = min(posting_id, first.get(claim_pk, posting_id))
    if not first:
        return {}
    later = session.exec(
        select(ClaimPosting.id, ClaimPosting.claim_pk, ClaimPosting.release_id,
               ClaimPosting.era_id, Era.check_number, Claim.claim_id)
        .join(Era, col(Era.id) == ClaimPosting.era_id)
        .join(Claim, col(Claim.id) == ClaimPosting.claim_pk)
        .where(col(ClaimPosting.claim_pk).in_(list(first)), col(ClaimPosting.voided).is_(False),
               col(ClaimPosting.release_id).not_in(list(release_ids)))
    ).all()  # fmt: skip
    found: _Dependents = {}
    for posting_id, claim_pk, release_id, era_id, check, claim_id in later:
        if posting_id > first[claim_pk]:
            found.setdefault(release_id, (era_id, check, set()))[2].add(claim_id)
    return found


def _refuse_dependents(session, release_ids: set[int], era_ids: list[int]) -> None:  # noqa: ANN001
    """VoidRefused naming every later posting of another payment on these releases' claims;
    when those payments in turn depend on one being voided, they can only go together."""
    blocking = _dependents(session, release_ids)
    if not blocking:
        return
    named = "; ".join(
        f"payment #{era} ({check}) on {', '.join(sorted(claims))}"
        for era, check, claims in sorted(blocking.values(), key=lambda v: -v[0])
    )
    group, circular = dict(blocking), False
    while True:  # everything that depends, directly or not, on what is being voided
        more = _dependents(session, set(group))
        circular = circular or any(r in release_ids for r in more)
        new = {r: v for r, v in more.items() if r not in group and r not in release_ids}
        if not new:
            break
        group.update(new)
    if circular:
        together = tuple(sorted({*era_ids, *(v[0] for v in group.values())}))
        listed = ", ".join(f"#{i}" for i in together)
        raise VoidRefused(
            f"Not voided: later postings depend on this release — {named} — and "
            f"{'that payment depends' if len(blocking) == 1 else 'those payments depend'} on it "
            f"in turn (they were posted together). Void them together: payments {listed}.",
            together,
        )
    raise VoidRefused(
        f"Not voided: later postings depend on this release — {named}. Void "
        f"{'that payment' if len(blocking) == 1 else 'those payments'} first."
    )


def _negate(session, release_id: int, memo: str, now, user: str) -> int:  # noqa: ANN001
    """One negating entry per entry of the release, in one INSERT ... SELECT."""
    le = LedgerEntry.__table__  # type: ignore[attr-defined]
    source = select(
        le.c.claim_pk, le.c.line_id, literal("reversal"), le.c.party, -le.c.amount_cents,
        le.c.code, le.c.group_code, le.c.reason_code, le.c.era_id, le.c.release_id,
        le.c.payer_id, le.c.id, le.c.batch, literal(memo[:300]),
        literal(now, type_=le.c.created_at.type), literal(user),
    ).where(le.c.release_id == release_id).order_by(le.c.id)  # fmt: skip
    columns = ["claim_pk", "line_id", "kind", "party", "amount_cents", "code", "group_code",
               "reason_code", "era_id", "release_id", "payer_id", "reverses_id", "batch", "memo",
               "created_at", "created_by"]  # fmt: skip
    connection = session.connection()
    # Counted, not taken from the INSERT's rowcount: psycopg reports -1 for INSERT ... SELECT.
    entries = connection.execute(
        select(func.count()).select_from(le).where(le.c.release_id == release_id)).scalar_one()
    connection.execute(insert(le).from_select(columns, source))
    return int(entries)
