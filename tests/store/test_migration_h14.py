"""A database that had claims paid by released 835s before claims out upgrades with each such
claim paid, partially paid or denied — never "ready to submit" again."""

from __future__ import annotations

from alembic import command
from sqlalchemy import text
from tests.store.test_release import (
    BCBS_IN,
    DEPOSIT,
    PayerLevel,
    add_claim,
    add_payer,
    add_rule,
    clp,
    import_835,
    payment,
    primary_pays,
    svc,
)

from pctui.core.claim_status import ClaimStatus
from pctui.store import claim_status, claims, release
from pctui.store.db import Store
from pctui.store.migrate import alembic_config
from pctui.store.users import Actor


def _as_before_claims_out(store: Store) -> None:
    """Every claim back where h14_02 left it (ready, no history), the schema at h14_03."""
    with store.engine.begin() as conn:
        conn.execute(text("DELETE FROM claimstatuschange"))
        conn.execute(text("UPDATE claim SET status = 'ready', status_reason = '', "
                          "status_at = NULL"))  # fmt: skip
        cfg = alembic_config()
        cfg.attributes["connection"] = conn
        command.stamp(cfg, "h14_03")


def test_claims_paid_before_claims_out_are_not_ready_to_submit_after_the_upgrade(
    store: Store, biller: Actor, db_path
) -> None:
    add_rule(store, BCBS_IN, add_payer(store, "BCBS", "Blue Cross", [BCBS_IN]))
    for claim_id in ("PAID-1", "DENY-1", "WAIT-1"):
        add_claim(store, claim_id, ["120.00", "80.00"], {PayerLevel.PRIMARY: "Blue Cross"})
    era_id = import_835(store, biller, payment(
        "CHK-9", BCBS_IN, primary_pays("PAID-1"),
        clp("DENY-1", "4", svc("DENY-1", 1, "99213", "120.00", "0.00", ("CO", "50", "120")),
            svc("DENY-1", 2, "36415", "80.00", "0.00", ("CO", "50", "80")))))  # fmt: skip
    release.release_eras(store, biller, [era_id], DEPOSIT, "B-9")
    _as_before_claims_out(store)
    store.close()

    upgraded = Store.open(db_path)
    try:
        def status(claim_id: str) -> tuple[str, str]:
            [row] = claims.list_claims(upgraded, claim_id)
            return row.status, row.status_reason

        assert status("PAID-1") == ("paid", "835 CHK-9: paid 130.00 of 200.00")
        assert status("DENY-1") == ("denied", "835 CHK-9: paid 0.00 of 200.00")
        assert status("WAIT-1") == ("ready", "")
        [row] = claims.list_claims(upgraded, "PAID-1")
        [change] = claim_status.history(upgraded, row.pk)
        assert (change.status, change.source, change.era_id, change.user) == (
            ClaimStatus.PAID, "835", era_id, "bob")
    finally:
        upgraded.close()
