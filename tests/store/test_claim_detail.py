"""Claims keep everything their 837P carried: stored, loaded back equal, and older databases
filled from the files they came from."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command
from sqlmodel import select
from tests.conftest import FIXTURES

from pctui.core.claim import Address, Reference
from pctui.store import claims, users
from pctui.store.db import Store, _make_engine
from pctui.store.intake import import_bytes
from pctui.store.migrate import alembic_config
from pctui.store.tables import Claim
from pctui.x12.envelope import FileRejected, read_x12
from pctui.x12.read837 import read_837

REALWORLD = FIXTURES / "realworld" / "837"
# Files that are not readable 837P claims (institutional, dental, broken envelopes).
NOT_837P = {
    "imsweb-x12_bad_first_line.txt", "imsweb-x12_no_isa_line.txt",
    "pyx12-x12testdata-fail_no_IEA.txt", "imsweb-x223-test.txt",
    "stupidedi-X223A2-837-institutional-claim.edi",
    "stupidedi-X224A2-dental-commercial-health-insurance.edi",
    "imsweb-x12_bad_segment_identifier.txt",
}  # fmt: skip


def claim_files() -> list[Path]:
    files = sorted(FIXTURES.glob("*.837")) + sorted(REALWORLD.iterdir())
    return [f for f in files if f.name not in NOT_837P]


def test_the_example_claim_keeps_providers_subscriber_patient_and_diagnoses() -> None:
    [claim] = read_837((FIXTURES / "837p-example1.837").read_text()).claims

    billing = claim.billing_provider
    assert billing is not None
    assert (billing.name, billing.npi, billing.taxonomy) == (
        "BEN KILDARE SERVICE", "1912301953", "203BF0100Y")  # fmt: skip
    assert billing.address == Address("234 SEAWAY ST", "", "MIAMI", "FL", "331110000")
    assert billing.references == [Reference("EI", "587654321")]
    assert claim.pay_to is not None and claim.pay_to.address is not None
    assert claim.pay_to.address.line1 == "2345 OCEAN BLVD"
    assert claim.subscriber is not None and claim.subscriber.subscriber is not None
    assert claim.subscriber.group_number == "2222-SJ"
    assert claim.subscriber.filing_indicator == "CI"
    assert claim.subscriber.subscriber.identifier == "JS00111223333"
    assert claim.patient is not None and claim.patient.relationship == "19"
    assert (claim.patient.entity.birth_date, claim.patient.entity.gender) == ("19730501", "M")
    assert (claim.place_of_service, claim.frequency_code) == ("11", "1")
    assert [(d.qualifier, d.code) for d in claim.diagnoses] == [("BK", "0340"), ("BF", "V7389")]
    assert claim.reference("D9") == "17312345600006351"
    assert [line.diagnosis_pointers for line in claim.service_lines] == [(1,), (1,), (2,), (2,)]


@pytest.mark.parametrize("path", claim_files(), ids=lambda p: p.name)
def test_every_837p_claim_is_stored_and_loaded_back_equal(store: Store, path: Path) -> None:
    data = path.read_bytes()
    biller = users.identify(store, "bob")
    try:
        expected = read_837(read_x12(data)).claims
    except FileRejected:
        # Not readable today (e.g. a composite separator other than ISA16 declares): the
        # import refuses it too, and nothing is stored.
        assert import_bytes(store, path.name, data, biller).status.value == "rejected"
        return

    result = import_bytes(store, path.name, data, biller)

    assert result.status.value == "imported", result.errors
    with store.read() as session:
        loaded = claims.load_claims(session, result.created)
    by_id = {claim.claim_id: claim for claim in loaded.values()}
    # A claim id twice in one file is stored once (the first), as before.
    first = {}
    for claim in expected:
        first.setdefault(claim.claim_id, claim)
    assert by_id == first


def _old_database(path: Path, content: bytes) -> None:
    """A database at the revision before claims kept their 837P content, with one imported
    837 and its claim stored the way that version stored it."""
    engine = _make_engine(path)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")
        now = datetime.now(UTC)
        conn.execute(sa.text(
            "INSERT INTO importedfile (id, filename, sha256, kind, status, errors, segment_count,"
            " loaded_at, loaded_by, validation_state, content) VALUES (1, 'day.837', 'x', '837',"
            " 'imported', '[]', 40, :now, 'bob', 'not_applicable', :content)"),
            {"now": now, "content": content})  # fmt: skip
        for pk, claim_id, file_id in ((1, "26463774", 1), (2, "DEMO-1", None)):
            conn.execute(sa.text(
                "INSERT INTO claim (id, claim_id, patient_name, charge_cents, payer_names,"
                " file_id, source, created_at) VALUES (:pk, :cid, 'SMITH, TED', 10000, '{}',"
                " :file, :source, :now)"),
                {"pk": pk, "cid": claim_id, "file": file_id,
                 "source": "837" if file_id else "demo", "now": now})  # fmt: skip
            conn.execute(sa.text(
                "INSERT INTO claimline (claim_pk, line_number, procedure, modifiers,"
                " charge_cents, units, unit_code) VALUES (:pk, 1, '99213', '', 10000, '1', 'UN')"),
                {"pk": pk})  # fmt: skip
    engine.dispose()


def test_an_older_database_fills_claims_from_their_stored_837_and_keeps_the_rest_usable(
    tmp_path: Path,
) -> None:
    path = tmp_path / "old.db"
    _old_database(path, (FIXTURES / "837p-example1.837").read_bytes())

    store = Store.open(path)
    try:
        users.identify(store, "alice")
        with store.read() as session:
            rows = {r.claim_id: r for r in session.exec(select(Claim)).all()}
            loaded = claims.load_claims(session, [r.id for r in rows.values()])  # type: ignore[misc]
        from_file = loaded[rows["26463774"].id]  # type: ignore[index]
        demo = loaded[rows["DEMO-1"].id]  # type: ignore[index]
        assert from_file.detailed and from_file.billing_provider is not None
        assert from_file.billing_provider.npi == "1912301953"
        assert [(d.qualifier, d.code) for d in from_file.diagnoses] == [
            ("BK", "0340"), ("BF", "V7389")]  # fmt: skip
        # A demo claim has no file to fill it from: still listed and postable, not detailed.
        assert not demo.detailed and demo.billing_provider is None
        assert [r.claim_id for r in claims.list_claims(store)] == ["26463774", "DEMO-1"]
    finally:
        store.close()
