"""The Release 835 list: derived status, filters, paging, detail, rejected files, waiting IDs."""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from tests.x12.era_samples import sample_payment

from pctui.core.era import FindingSource
from pctui.store import eras, users
from pctui.store.db import Store
from pctui.store.eras import EraFilter, EraStatus
from pctui.store.errors import NotFound
from pctui.store.intake import import_paths, validate_pending
from pctui.store.payers import PayerDraft, add_inbound_id, save_payer
from pctui.store.tables import Era, PayerRule
from pctui.x12.envelope import decode_x12
from pctui.x12.read835 import read_835
from pctui.x12.write835 import write_835

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "x12"
if not FIXTURES.is_dir():
    FIXTURES = Path(os.environ.get("PCTUI_FIXTURES", "../shared/fixtures/x12")).resolve()


def add_payer(store: Store, admin: users.Actor, code: str, inbound: list[str]) -> int:
    with store.write() as session:
        payer = save_payer(session, admin, PayerDraft(code=code, name=f"{code} plan",
                                                      inbound_ids=inbound))  # fmt: skip
        assert payer.id is not None
        return payer.id


def add_rule(store: Store, payer_id: int, inbound_id: str, active: bool = True) -> None:
    now = datetime.now(UTC)
    with store.write() as session:
        session.add(PayerRule(inbound_id=inbound_id, payer_id=payer_id, active=active,
                              created_at=now, updated_at=now))  # fmt: skip


def import_payments(store: Store, admin: users.Actor, tmp_path: Path, *payments) -> list[int]:
    paths = []
    for n, era in enumerate(payments):
        path = tmp_path / f"{n:03d}-{era.check_number}.835"
        path.write_text(write_835([era], interchange_control=n + 1))
        paths.append(path)
    return [i for r in import_paths(store, paths, admin) for i in r.created]


def status_of(store: Store, era_id: int) -> EraStatus:
    return eras.get_era(store, era_id).status


# --- status ------------------------------------------------------------------------------------


def test_a_blocked_payment_becomes_ready_once_its_rule_exists_and_the_id_has_a_payer(
    store: Store, admin: users.Actor, tmp_path: Path
) -> None:
    (era_id,) = import_payments(store, admin, tmp_path, sample_payment("EFT1"))
    assert status_of(store, era_id) is EraStatus.NO_PAYER_RULE
    assert status_of(store, era_id).label == "No Payer Rule Established"
    assert not status_of(store, era_id).releasable
    acme = add_payer(store, admin, "ACME", [])
    add_rule(store, acme, "ACME1")  # a rule, but ACME1 belongs to no payer yet
    assert status_of(store, era_id) is EraStatus.NO_PAYER_RULE
    with store.write() as session:
        add_inbound_id(session, admin, acme, "ACME1")
    assert status_of(store, era_id) is EraStatus.READY
    assert status_of(store, era_id).releasable


def test_a_payer_without_a_rule_or_an_inactive_rule_keeps_the_payment_blocked(
    store: Store, admin: users.Actor, tmp_path: Path
) -> None:
    (era_id,) = import_payments(store, admin, tmp_path, sample_payment("EFT1"))
    payer = add_payer(store, admin, "ACME", ["ACME1"])
    assert status_of(store, era_id) is EraStatus.NO_PAYER_RULE
    add_rule(store, payer, "ACME1", active=False)
    assert status_of(store, era_id) is EraStatus.NO_PAYER_RULE


def test_released_payments_keep_their_release_status(
    store: Store, admin: users.Actor, tmp_path: Path
) -> None:
    one, two = import_payments(store, admin, tmp_path, sample_payment("EFT1"),
                               sample_payment("EFT2"))  # fmt: skip
    with store.write() as session:
        for era_id, status in ((one, "released"), (two, "released_with_errors")):
            row = session.get(Era, era_id)
            assert row is not None
            row.status = status
            session.add(row)
    assert [status_of(store, one), status_of(store, two)] == [
        EraStatus.RELEASED, EraStatus.RELEASED_WITH_ERRORS]  # fmt: skip
    assert eras.status_counts(store)[EraStatus.RELEASED] == 1


# --- the list ----------------------------------------------------------------------------------


@pytest.fixture
def mixed(store: Store, admin: users.Actor, tmp_path: Path) -> dict[str, int]:
    """Five payments from three payers over three weeks; BLUE has a rule."""
    def paid(check: str, day: date, **kw) -> object:
        return replace(sample_payment(check, **kw), payment_date=day)

    ids = import_payments(
        store, admin, tmp_path,
        paid("EFT-A1", date(2026, 1, 5)),
        paid("EFT-A2", date(2026, 1, 12)),
        paid("CHK-777", date(2026, 1, 19), payer_name="BLUE CROSS", payer_id="BLUE01"),
        paid("CHK-778", date(2026, 1, 26), payer_name="BLUE CROSS", payer_id="BLUE01"),
        paid("EFT-M1", date(2026, 1, 26), payer_name="MEDICARE B", payer_id=None, ref_2u="MCR"),
    )  # fmt: skip
    blue = add_payer(store, admin, "BLUE", ["BLUE01"])
    add_rule(store, blue, "BLUE01")
    return dict(zip(["A1", "A2", "B1", "B2", "M1"], ids, strict=True))


def checks(rows: list[eras.EraRow]) -> list[str]:
    return [r.check_number for r in rows]


def test_the_list_shows_what_a_biller_needs(store: Store, mixed: dict[str, int]) -> None:
    rows = eras.list_eras(store)
    assert checks(rows) == ["EFT-M1", "CHK-778", "CHK-777", "EFT-A2", "EFT-A1"]  # newest load
    blue = rows[1]
    assert (blue.inbound_id, blue.inbound_id_source, blue.payer, blue.payer_code) == (
        "BLUE01", "N1*PR N104", "BLUE CROSS", "BLUE")  # fmt: skip
    assert (blue.amount, blue.claims, blue.payment_date, blue.status) == (
        Decimal("91.75"), 2, date(2026, 1, 26), EraStatus.READY)  # fmt: skip
    assert rows[0].to_json() | {"loaded_at": "", "file": ""} == {
        "id": mixed["M1"], "check_number": "EFT-M1", "inbound_id": "MCR",
        "inbound_id_source": "REF*2U", "payer": "MEDICARE B", "payer_code": None,
        "amount": "91.75", "payment_date": "2026-01-26", "claims": 2,
        "status": "no_payer_rule", "loaded_at": "", "file": "", "findings": 0,
    }  # fmt: skip


def test_filters_narrow_the_list(store: Store, mixed: dict[str, int]) -> None:
    def only(**kw) -> list[str]:
        return sorted(checks(eras.list_eras(store, EraFilter(**kw))))

    assert only(status=EraStatus.READY) == ["CHK-777", "CHK-778"]
    assert only(status=EraStatus.NO_PAYER_RULE) == ["EFT-A1", "EFT-A2", "EFT-M1"]
    assert only(paid_from=date(2026, 1, 12), paid_to=date(2026, 1, 19)) == ["CHK-777", "EFT-A2"]
    assert only(check_number="777") == ["CHK-777"]
    assert only(inbound="MCR") == ["EFT-M1"]  # an Inbound ID
    assert only(inbound="blue") == ["CHK-777", "CHK-778"]  # a payer code, any case
    assert only(inbound="acme health") == ["EFT-A1", "EFT-A2"]  # part of the payer's name
    today = datetime.now(UTC).date()
    assert len(only(loaded_from=today, loaded_to=today)) == 5
    assert only(loaded_to=today - timedelta(days=1)) == []
    assert only(status=EraStatus.READY, paid_from=date(2026, 1, 20)) == ["CHK-778"]


def test_paging_happens_in_sql(store: Store, mixed: dict[str, int]) -> None:
    assert eras.count_eras(store) == 5
    assert eras.count_eras(store, EraFilter(status=EraStatus.READY)) == 2
    first = checks(eras.list_eras(store, limit=2))
    second = checks(eras.list_eras(store, offset=2, limit=2))
    last = checks(eras.list_eras(store, offset=4, limit=2))
    assert first + second + last == checks(eras.list_eras(store))
    assert len(last) == 1


# --- detail ------------------------------------------------------------------------------------


def test_the_detail_is_the_payment_as_read_with_its_findings(
    store: Store, admin: users.Actor
) -> None:
    path = FIXTURES / "835-managed-care.835"
    (result,) = import_paths(store, [path], admin)
    validate_pending(store)
    detail = eras.era_detail(store, result.created[0])
    (read,) = read_835(decode_x12(path.read_bytes()))
    assert replace(detail.remittance, findings=[]) == replace(read, findings=[])
    assert detail.validation_state == "done"
    sources = [f.source for f in detail.remittance.findings]
    assert sources == [FindingSource.STRUCTURE, FindingSource.VALIDATION, FindingSource.VALIDATION]
    assert detail.remittance.findings[2].message == (
        "Required segment PER (Payer Technical Contact Information) is missing"
    )
    assert eras.get_era(store, result.created[0]).findings == 3


def test_file_level_findings_show_on_each_payment_of_the_file(
    store: Store, admin: users.Actor, tmp_path: Path
) -> None:
    text = write_835([sample_payment("EFT1"), sample_payment("EFT2")]).replace("GE*2*", "GE*5*")
    path = tmp_path / "two.835"
    path.write_text(text)
    (result,) = import_paths(store, [path], admin)
    for era_id in result.created:
        assert [f.message for f in eras.era_findings(store, era_id)] == [
            "GE01 says the functional group holds '5' transaction sets but it holds 2"]  # fmt: skip


def test_an_unknown_payment_is_not_found(store: Store) -> None:
    with pytest.raises(NotFound, match="payment #99 is not on file"):
        eras.era_detail(store, 99)


# --- rejected files and waiting Inbound IDs ----------------------------------------------------


def test_rejected_files_are_listed_with_their_reasons(
    store: Store, admin: users.Actor, tmp_path: Path
) -> None:
    bad = tmp_path / "remit.csv"
    bad.write_text("check,amount\n")
    import_paths(store, [bad, FIXTURES / "835-managed-care.835"], admin)
    import_paths(store, [FIXTURES / "835-managed-care.835"], admin)
    (refused,) = eras.rejected_files(store)
    assert (refused.filename, refused.status) == (str(bad), "rejected")
    assert refused.reasons == [
        f"{bad}: not an X12 file: it should begin with 'ISA' but begins with 'check,amount'"
    ]
    both = eras.rejected_files(store, include_duplicates=True)
    assert [f.status for f in both] == ["duplicate", "rejected"]


def test_waiting_inbound_ids_list_blocked_ones_first(
    store: Store, mixed: dict[str, int]
) -> None:
    with store.write() as session:
        row = session.get(Era, mixed["M1"])
        assert row is not None
        row.status = "released"
        session.add(row)
    waiting = eras.waiting_inbound_ids(store)
    assert [(w.inbound_id, w.payments, w.blocked) for w in waiting] == [
        ("ACME1", 2, True), ("BLUE01", 2, False)]  # fmt: skip


# --- sorting, hiding released, finding a payment by a claim --------------------------------------


def test_the_list_sorts_in_sql_by_any_column(store: Store, mixed: dict[str, int]) -> None:
    assert checks(eras.list_eras(store, order="check")) == [
        "CHK-777", "CHK-778", "EFT-A1", "EFT-A2", "EFT-M1"]
    assert checks(eras.list_eras(store, order="check", descending=True, limit=2)) == [
        "EFT-M1", "EFT-A2"]
    by_payer = checks(eras.list_eras(store, order="payer"))
    assert by_payer[:2] == ["EFT-A1", "EFT-A2"]  # ACME HEALTH PLAN (no payer owns it yet)
    assert eras.list_eras(store, order="status")[0].status is EraStatus.NO_PAYER_RULE
    with pytest.raises(ValueError):
        eras.list_eras(store, order="drop table")


def test_released_payments_can_be_left_out(store: Store, mixed: dict[str, int]) -> None:
    with store.write() as session:
        row = session.get(Era, mixed["B1"])
        row.status = "released"
        session.add(row)
    assert "CHK-777" not in checks(eras.list_eras(store, EraFilter(hide_released=True)))
    assert eras.count_eras(store, EraFilter(hide_released=True)) == 4
    # asking for Released shows them, whatever the default
    assert checks(eras.list_eras(store, EraFilter(hide_released=True,
                                                  status=EraStatus.RELEASED))) == ["CHK-777"]


def test_a_payment_is_found_by_patient_name_or_claim_number(
        store: Store, mixed: dict[str, int]) -> None:
    found = eras.payments_of_claims(store, "smith, j")
    assert set(found) == set(mixed.values())  # every sample payment pays SMITH, JANE
    assert found[mixed["A1"]] == ["PCN-1 SMITH, JANE"]
    assert set(eras.payments_of_claims(store, "payerclm1")) == set(mixed.values())
    assert eras.payments_of_claims(store, "91.75") == {}  # an amount is not a claim
    assert eras.payments_of_claims(store, "  ") == {}
    only_m1 = EraFilter(era_ids=(mixed["M1"],))
    assert checks(eras.list_eras(store, only_m1)) == ["EFT-M1"]
    assert checks(eras.list_eras(store, EraFilter(search="chk-77"))) == ["CHK-778", "CHK-777"]
