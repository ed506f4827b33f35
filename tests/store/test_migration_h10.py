"""A database made before claims had frequency codes upgrades cleanly and keeps its claims."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic import command

from pctui.store.claims import list_claims
from pctui.store.db import Store, _make_engine
from pctui.store.migrate import alembic_config
from pctui.store.tables import Claim, ClaimLine


def test_claims_of_the_previous_schema_stand_as_originals_after_the_upgrade(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    engine = _make_engine(path)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
    engine.dispose()
    raw = sqlite3.connect(path)
    raw.execute("insert into importedfile (id, filename, sha256, kind, status, errors, "
                "segment_count, loaded_at, loaded_by, validation_state) values "
                "(1, 'old.837', 'x', '837', 'imported', '[]', 10, '2026-01-01 00:00:00', 'a', "
                "'not_applicable')")
    raw.execute("insert into claim (id, claim_id, patient_name, charge_cents, payer_names, "
                "file_id, source, created_at) values (1, 'OLD-1', 'DOE, JANE', 5000, '{}', 1, "
                "'837', '2026-01-01 00:00:00')")
    raw.execute("insert into claimline (claim_pk, line_number, procedure, modifiers, "
                "charge_cents, units, unit_code) values (1, 1, '99213', '', 5000, '1', 'UN')")
    raw.execute("insert into ledgerentry (claim_pk, line_id, kind, party, amount_cents, code, "
                "group_code, reason_code, batch, memo, created_at, created_by) values "
                "(1, 1, 'charge', 'primary', 5000, '', '', '', '', '', '2026-01-01 00:00:00', 'a')")
    raw.commit()
    raw.close()

    store = Store.open(path)
    try:
        with store.read() as session:
            claim = session.get(Claim, 1)
            line = session.get(ClaimLine, 1)
        assert claim is not None and line is not None
        assert (claim.frequency_code, claim.voided_at, claim.changed_by_file_id) == ("1", None, None)
        assert line.removed is False
        [row] = list_claims(store)
        assert (row.claim_id, str(row.charge), str(row.total_balance)) == ("OLD-1", "50.00", "50.00")
    finally:
        store.close()
