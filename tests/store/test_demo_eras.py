"""`pctui demo` gives a newcomer claims and 835s: some Ready, some blocked, all releasable to
the cent once their rules exist."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from pctui.store import claims, demo, eras
from pctui.store.release import release_eras


def test_demo_835s_are_ready_or_blocked_and_release_to_the_cent(store, admin, secrets) -> None:
    summary = demo.build_demo(store, admin, secrets)
    assert summary["claims"] == 6 and summary["eras"] == 7
    again = demo.build_demo(store, admin, secrets)
    assert again["claims"] == 0 and again["eras"] == 0

    listed = {e.check_number: e for e in eras.list_eras(store, limit=50)}
    assert listed["AET40022"].status == "no_payer_rule"  # Aetna's new payer ID 128
    assert listed["CIG77310"].status == "no_payer_rule"  # a payer not set up at all
    ready = [e.id for e in listed.values() if e.status == "ready"]
    assert len(ready) == 5

    # Marked newest first, as `m` marks them: Medicare still posts before the Medi-Cal
    # crossover (adjudication order), which finds the balance with the secondary.
    marked = sorted(ready, reverse=True)
    results = release_eras(store, admin, marked, date.today(), "DEMO-1")
    assert all(r.status in ("released", "released_with_errors") for r in results)

    balances = {c.claim_id: c for c in claims.list_claims(store, limit=50)}
    maria = balances["DEMO1001"]  # Medicare 128 + Medi-Cal 25.60; CO-45 80 + 6.40
    assert (maria.paid, maria.adjusted) == (Decimal("153.60"), Decimal("86.40"))
    assert sum(maria.balance.values()) == 0
    thomas = balances["DEMO1002"]  # PR-3 copay 10 left with the patient
    assert thomas.balance["patient"] == Decimal("10.00")
    alice = balances["DEMO1003"]  # PR-2 30 moved to Aetna (secondary)
    assert alice.balance["secondary"] == Decimal("30.00")
    karen = balances["DEMO1005"]  # denied: nothing posted
    assert (karen.paid, karen.balance["primary"]) == (Decimal("0.00"), Decimal("150.00"))


def test_demo_works_beside_a_payer_the_practice_already_set_up(store, admin, secrets) -> None:
    from pctui.store import payers

    with store.write() as session:  # same code as a demo payer, another name, no outbound ID
        payers.save_payer(session, admin, payers.PayerDraft("BCBS", "Blue Cross", "commercial"))
    summary = demo.build_demo(store, admin, secrets)
    assert summary["claims"] == 6 and summary["eras"] == 7
    on_file = {c.claim_id: c for c in claims.list_claims(store, limit=50)}
    assert on_file["DEMO1002"].balance["primary"] == Decimal("175.00")
