"""Demo claims on their way out, one at each step of the ladder (SPEC 6), for Claims Out.

What a newcomer finds after ``pctui demo`` (PAYMENTS → Claims Out):

- ``DEMOOUT01`` ready to submit; ``DEMOOUT02`` held by edits (a 5-digit billing ZIP, which
  the BCBS connection's ``BILLING-ZIP-9`` edit refuses) — correct it with ``e``;
- ``DEMOOUT03`` submitted, ``DEMOOUT04`` accepted by the payer's 277CA, ``DEMOOUT05`` rejected by
  it ("subscriber and subscriber id not found"), ``DEMOOUT06`` acknowledged (its file passed the
  999, no 277CA yet) and ``DEMOOUT07`` accepted and then paid, all five in one real 837P file
  pctui wrote (its history shows the file and each step);
- ``DEMOOUT07`` is paid by a real 835 (written by pctui's 835 writer, imported through intake
  and released, batch ``DEMO-PAID``): its ledger holds the payment, Release 835 lists the
  payment released, so the ladder ends where it does in real life;
- the claims the demo 835s pay (DEMO1001 ...) stand accepted, waiting for their 835's release,
  which makes them paid, partially paid or denied.

Statuses are written as they would have been reached, each change recorded (demo acknowledgment
steps carry the payer's words; the files they came in are not part of the demo).
"""

from __future__ import annotations

import dataclasses
import hashlib
from datetime import date, timedelta
from typing import Any

from sqlmodel import col, select

from pctui.core.claim import Address, Claim
from pctui.core.claim_status import ClaimStatus
from pctui.core.money import to_cents
from pctui.core.sample_claims import sample_claim
from pctui.store import audit, scrub
from pctui.store.claim_status import Change, set_status
from pctui.store.claims import add_demo_claim, find_claim_pk
from pctui.store.db import Store
from pctui.store.submissions import allocate_control_number, file_name_for
from pctui.store.tables import Claim as ClaimRow
from pctui.store.tables import Payer, PayerConnection, Submission, SubmissionClaim
from pctui.store.users import Actor
from pctui.x12.write837 import write_837

BCBS_CONNECTION = "BCBS TX direct API"
_IDS = ("DEMOOUT01", "DEMOOUT02", "DEMOOUT03", "DEMOOUT04", "DEMOOUT05", "DEMOOUT06",
        "DEMOOUT07")
_PAID_BATCH = "DEMO-PAID"


def _claims(today: date, payer: Payer) -> list[Claim]:
    service = today - timedelta(days=3)
    out = []
    for n, claim_id in enumerate(_IDS):
        claim = sample_claim(claim_id, n + 11, payer=(payer.name, payer.outbound_id),
                             service_date=service)  # fmt: skip
        out.append(claim)
    held = out[1]
    assert held.billing_provider is not None
    held.billing_provider = dataclasses.replace(
        held.billing_provider, address=Address("100 MAIN ST", "", "SPRINGFIELD", "IL", "62701"))
    return out


def add_demo_claims_out(store: Store, actor: Actor, today: date) -> dict[str, Any]:
    """Add the claims-out demo (once) and mark the 835 demo claims accepted."""
    added = {"claims_out": 0}
    with store.read() as session:
        payer = session.exec(select(Payer).where(Payer.code == "BCBS")).first()
        connection = session.exec(select(PayerConnection).where(
            PayerConnection.name == BCBS_CONNECTION)).first()  # fmt: skip
        have = find_claim_pk(session, _IDS[0]) is not None
    if payer is None or connection is None or have:
        return added
    claims = _claims(today, payer)
    with store.write() as session:
        pks = {c.claim_id: add_demo_claim(session, c, created_by=actor.login) for c in claims}
    added["claims_out"] = len(pks)
    scrub.check_claims(store, actor, [_IDS[0], _IDS[1]])  # ready, and held by BILLING-ZIP-9
    _sent(store, actor, connection, payer, claims[2:], pks, today)
    _accept_835_claims(store, actor)
    _pay(store, actor, payer, claims[6], today)
    return added


def _pay(store: Store, actor: Actor, payer: Payer, claim: Claim, today: date) -> None:
    """DEMOOUT07's 835, imported and released as a biller would: the claim is paid by posting,
    never by setting its status. If the practice's own setup keeps it from releasing (a rule
    changed), the payment waits on Release 835 and the claim stays accepted."""
    from decimal import Decimal

    from pctui.core.era import Adjustment, ClaimPayment, Remittance, ServicePayment
    from pctui.store import intake, release
    from pctui.x12.write835 import write_835

    paid_on = today - timedelta(days=1)
    inbound = payer.outbound_id or "84980"
    cent = Decimal("0.01")
    lines = []
    for line in claim.service_lines:
        allowed = (line.charge * Decimal("0.8")).quantize(cent)
        lines.append(ServicePayment(line.procedure, charge=line.charge, paid=allowed,
                                    units=line.units, service_date=line.service_date,
                                    control_number=line.control_number,
                                    adjustments=[Adjustment("CO", "45", line.charge - allowed)]))
    paid = sum((line.paid for line in lines), Decimal("0"))
    remittance = Remittance(
        control_number="0001", interchange_control="000000707", sender_id=inbound,
        amount=paid, payment_method="ACH", payment_date=paid_on, check_number="EFT707001",
        trn_originator="1840980000", payer_name=payer.name.upper(), payer_id=inbound,
        payee_name="SUNRISE PHYSICAL THERAPY",
        claims=[ClaimPayment(claim.claim_id, "1", claim.charge, paid, service_lines=lines)])
    text = write_835([remittance], sender=inbound, receiver="SUNRISEPT", interchange_control=707)
    result = intake.import_bytes(store, "demo-paid-DEMOOUT07.835", text.encode("ascii"), actor)
    if result.status.value != "imported" or not result.created:
        return
    release.release_eras(store, actor, result.created, today, _PAID_BATCH)


def _sent(store: Store, actor: Actor, connection: PayerConnection, payer: Payer,
          claims: list[Claim], pks: dict[str, int], today: date) -> None:  # fmt: skip
    from datetime import UTC, datetime

    sent_at = datetime.combine(today - timedelta(days=2), datetime.min.time(), UTC)
    with store.write() as session:
        control = allocate_control_number(session)
        written = write_837(claims, scrub.envelope_for(connection, payer.name, control, sent_at))
        content = written.text.encode("ascii")
        name = file_name_for(connection, written.interchange_control)
        submission = Submission(
            connection_id=connection.id or 0, interchange_control=written.interchange_control,
            usage="test", file_name=name, status="sent", claim_count=len(claims),
            charge_cents=sum(to_cents(c.charge) for c in claims),
            sha256=hashlib.sha256(content).hexdigest(), content=content, created_at=sent_at,
            created_by=actor.login, sent_at=sent_at, remote_name=f"/SendFiles/{name}",
            ack_status="accepted", ack_summary="999: accepted",
        )  # fmt: skip
        session.add(submission)
        session.flush()
        assert submission.id is not None
        words_999 = "999: transaction set 0001 accepted"
        accepted = ("accepted", ClaimStatus.ACCEPTED, "277CA: Acknowledgement/"
                    "Acceptance into adjudication system (A2) — Accepted for "
                    "processing (20) — entity: Payer")  # fmt: skip
        outcomes = {
            claims[0].claim_id: None,
            claims[3].claim_id: ("acknowledged", ClaimStatus.ACKNOWLEDGED, words_999),
            claims[4].claim_id: accepted,
            claims[1].claim_id: ("accepted", ClaimStatus.ACCEPTED, "277CA: Acknowledgement/"
                                 "Acceptance into adjudication system (A2) — Accepted for "
                                 "processing (20) — entity: Payer"),
            claims[2].claim_id: ("rejected", ClaimStatus.REJECTED, "277CA: Acknowledgement/"
                                 "Rejected for Invalid Information (A7) — Subscriber and "
                                 "subscriber id not found (31) — entity: Insured or subscriber"),
        }  # fmt: skip
        for claim in claims:
            pk = pks[claim.claim_id]
            member = SubmissionClaim(submission_id=submission.id, claim_pk=pk,
                                     claim_id=claim.claim_id, transaction_control="0001")
            set_status(session, pk, Change(ClaimStatus.SUBMITTED, f"sent in {name} through "
                                           f"{connection.name}", "submission",
                                           submission_id=submission.id), actor.login, sent_at)
            outcome = outcomes[claim.claim_id]
            if outcome is not None:
                set_status(session, pk, Change(ClaimStatus.ACKNOWLEDGED, words_999,
                                               "acknowledgment", submission_id=submission.id),
                           actor.login, sent_at + timedelta(hours=1))
                member.status, status, reason = outcome
                member.reason = reason
                if status is not ClaimStatus.ACKNOWLEDGED:
                    set_status(session, pk, Change(status, reason, "acknowledgment",
                                                   submission_id=submission.id),
                               actor.login, sent_at + timedelta(days=1))
            session.add(member)
        audit.record(session, actor.login, "submission", submission.id, name, "sent",
                     {"connection": connection.name, "claims": len(claims), "demo": True})


def _accept_835_claims(store: Store, actor: Actor) -> None:
    """The 835 demo's claims went out before pctui: accepted, waiting for their 835."""
    with store.write() as session:
        rows = session.exec(select(ClaimRow).where(col(ClaimRow.claim_id).like("DEMO1%"),
                                                   ClaimRow.status == "ready")).all()
        for row in rows:
            assert row.id is not None
            set_status(session, row.id, Change(
                ClaimStatus.ACCEPTED, "Demo: sent and accepted before pctui; its 835 waits on "
                "Release 835", "demo"), actor.login)  # fmt: skip
