"""A database made by revision 0001 (before posting records, rework and void) upgrades cleanly:
its releases keep every balance, become posting records and open error lines, its batches become
batches, and a release made before the upgrade can be voided and released again after it.

``data/pre_h8_releases.db.gz`` was made with the code of revision 0001 through its command line:
claims C1 (Blue Cross, then Aetna) and R1 (Blue Cross); payment #1 pays C1 and R1 as primary and
names an unknown claim NOPE; #2 is Aetna's secondary for C1; both released together in batch
B20261120-01; #3 reverses R1's payment and posts a correction, released in batch DEP-9.
"""

from __future__ import annotations

import gzip
import shutil
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import col, select
from tests.backends import old_database_on

from pctui.store import batches, claims, release, rework, users, void
from pctui.store.db import Store
from pctui.store.tables import ClaimPosting

OLD = Path(__file__).parent / "data" / "pre_h8_releases.db.gz"
D = Decimal


@pytest.fixture
def upgraded(tmp_path: Path, backend: str, make_db):  # noqa: ANN001, ANN201
    """The old database, upgraded by opening it — a SQLite file, or the same rows in a
    PostgreSQL database at the same revision (issue 12: migrations run on both)."""

    def open_it(_tmp_path: Path) -> Store:
        path = tmp_path / "old.db"
        with gzip.open(OLD) as source, path.open("wb") as target:
            shutil.copyfileobj(source, target)
        return Store.open(old_database_on(backend, path, make_db))

    return open_it


def balances(store: Store) -> dict[str, tuple[Decimal, Decimal, dict[str, Decimal]]]:
    return {c.claim_id: (c.paid, c.adjusted, {str(p): v for p, v in c.balance.items() if v})
            for c in claims.list_claims(store)}  # fmt: skip


def test_an_old_database_keeps_its_balances_and_gains_postings_lines_and_batches(
    tmp_path: Path, upgraded
) -> None:
    store = upgraded(tmp_path)
    try:
        assert balances(store) == {"C1": (D("85.60"), D("14.40"), {}),
                                   "R1": (D("80.00"), D("20.00"), {})}  # fmt: skip
        with store.read() as session:
            rows = session.exec(select(ClaimPosting).order_by(col(ClaimPosting.id))).all()
        assert [(p.era_id, p.kind, p.level, p.payer_claim_control) for p in rows] == [
            (1, "posted", "primary", "BCICN1"),
            (1, "posted", "primary", "RICN1"),
            (2, "posted", "secondary", "AEICN1"),
            (3, "reversal", "primary", "RICN1"),
            (3, "posted", "primary", "RICN2"),
        ]
        assert rows[3].reverses_id == rows[1].id
        (line,) = rework.open_lines(store)
        assert (line.era_id, line.claim_id, line.kind, line.reworkable) == (
            1, "NOPE", "not_found", True)
        reports = {r.number: r for r in batches.batch_reports(store)}
        assert (reports["B20261120-01"].total, reports["DEP-9"].total) == (D("145.60"), D("20.00"))
    finally:
        store.close()


def test_releases_made_before_the_upgrade_can_be_voided_and_released_again(
    tmp_path: Path, upgraded
) -> None:
    store = upgraded(tmp_path)
    try:
        admin = users.identify(store, "root")  # the old database's first user
        before = balances(store)
        void.void_release(store, admin, 3, "test of an upgraded database")
        # R1 is back to Blue Cross's first answer: paid 60, CO-45 20, PR-2 20 to the patient.
        assert balances(store)["R1"] == (D("60.00"), D("20.00"), {"patient": D("20.00")})
        (again,) = release.release_eras(store, admin, [3], date(2026, 11, 21), "DEP-9")
        assert again.released and balances(store) == before
    finally:
        store.close()
