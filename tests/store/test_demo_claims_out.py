"""`pctui demo` shows the whole ladder in Claims Out: ready, held, submitted, acknowledged,
accepted, rejected, paid (by a real 835, released), and the 835 demo's claims accepted and
waiting for their payment."""

from __future__ import annotations

from decimal import Decimal

from pctui.core.claim_status import ClaimStatus
from pctui.store import claim_status, claims, demo, eras, submissions
from pctui.store.db import Store
from pctui.x12.read837 import read_837
from pctui.x12.validate837 import validate_837


def status(store: Store, claim_id: str) -> tuple[str, str]:
    [row] = claims.list_claims(store, claim_id)
    return row.status, row.status_reason


def test_the_demo_has_a_claim_at_every_step_and_runs_twice_safely(store, admin, secrets) -> None:
    summary = demo.build_demo(store, admin, secrets)

    assert summary["claims_out"] == 7
    assert status(store, "DEMOOUT01")[0] == "ready"
    assert status(store, "DEMOOUT02") == (
        "held", "Billing provider ZIP code must have 9 digits (found '62701') — 2010AA N403")
    assert status(store, "DEMOOUT03")[0] == "submitted"
    assert status(store, "DEMOOUT04")[0] == "accepted"
    assert status(store, "DEMOOUT05")[0] == "rejected"
    assert "Subscriber and subscriber id not found" in status(store, "DEMOOUT05")[1]
    assert status(store, "DEMOOUT06") == ("acknowledged", "999: transaction set 0001 accepted")
    assert status(store, "DEMOOUT07") == ("paid", "835 EFT707001: paid 100.00 of 125.00")
    [paid] = claims.list_claims(store, "DEMOOUT07")
    assert (paid.paid, paid.adjusted, sum(paid.balance.values())) == (
        Decimal("100.00"), Decimal("25.00"), Decimal("0.00"))
    assert [h.status for h in claim_status.history(store, paid.pk)] == [
        ClaimStatus.SUBMITTED, ClaimStatus.ACKNOWLEDGED, ClaimStatus.ACCEPTED, ClaimStatus.PAID]
    assert status(store, "DEMO1002")[0] == "accepted"
    [row] = claims.list_claims(store, "DEMOOUT05")
    assert [h.status for h in claim_status.history(store, row.pk)] == [
        ClaimStatus.SUBMITTED, ClaimStatus.ACKNOWLEDGED, ClaimStatus.REJECTED]
    [sent] = submissions.list_submissions(store)
    assert (sent.connection, sent.status, sent.claim_count) == ("BCBS TX direct API", "sent", 5)
    with store.read() as session:
        from pctui.store.tables import Submission

        content = session.get(Submission, sent.id).content.decode()  # type: ignore[union-attr]
    assert validate_837(content) == []
    assert [c.claim_id for c in read_837(content).claims] == [
        "DEMOOUT03", "DEMOOUT04", "DEMOOUT05", "DEMOOUT06", "DEMOOUT07"]

    again = demo.build_demo(store, admin, secrets)
    assert again["claims_out"] == 0 and len(submissions.list_submissions(store)) == 1
    assert "7 claims on their way out" in demo.describe(summary)[0]
    assert len([e for e in eras.list_eras(store, limit=50) if e.check_number == "EFT707001"]) == 1
