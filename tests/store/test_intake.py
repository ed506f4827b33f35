"""Importing files: what is stored, what is refused and why, duplicates, deferred validation."""

from __future__ import annotations

import json
import os
import shutil
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import func, select
from tests.x12.era_samples import sample_payment

from pctui.store import intake, users
from pctui.store.db import Store
from pctui.store.errors import PermissionDenied
from pctui.store.intake import ImportStatus, ValidationState, import_paths, validate_pending
from pctui.store.tables import Claim, ClaimLine, Era, EraFinding, ImportedFile, LedgerEntry
from pctui.x12.write835 import write_835

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "x12"
if not FIXTURES.is_dir():
    FIXTURES = Path(os.environ.get("PCTUI_FIXTURES", "../shared/fixtures/x12")).resolve()

CONTENT_TABLES = (Era, EraFinding, Claim, ClaimLine, LedgerEntry)


def counts(store: Store) -> dict[str, int]:
    with store.read() as session:
        return {
            t.__name__: session.exec(select(func.count()).select_from(t)).one()
            for t in (*CONTENT_TABLES, ImportedFile)
        }


def content_of(store: Store, file_id: int | None) -> bytes:
    with store.read() as session:
        return b"".join(intake.stored_content(session, file_id or 0))


def file_rows(store: Store) -> list[ImportedFile]:
    with store.read() as session:
        return list(session.exec(select(ImportedFile).order_by(ImportedFile.id)).all())


def eras(store: Store) -> list[Era]:
    with store.read() as session:
        return list(session.exec(select(Era).order_by(Era.id)).all())


def write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    path = tmp_path / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


# --- the example files ---------------------------------------------------------------------------


def test_a_folder_of_examples_imports_every_835_and_837_and_refuses_the_notice(
    store: Store, admin: users.Actor, tmp_path: Path
) -> None:
    inbox = tmp_path / "era-inbox"
    shutil.copytree(FIXTURES, inbox)
    results = import_paths(store, [inbox], admin)
    by_name = {Path(r.file).name: r for r in results}
    assert [Path(r.file).name for r in results] == sorted(by_name)  # name order
    assert by_name["NOTICE.md"].status is ImportStatus.REJECTED
    assert by_name["NOTICE.md"].errors == [
        f"{inbox / 'NOTICE.md'}: not an X12 file: it should begin with 'ISA' but begins with "
        "'# X12 fixtures'"
    ]
    payments = [r for r in results if r.kind == "835"]
    assert [r.status for r in payments] == [ImportStatus.IMPORTED] * 6
    claims = [r for r in results if r.kind == "837"]
    assert [r.status for r in claims] == [ImportStatus.IMPORTED] * 2
    stored = {e.check_number: e for e in eras(store)}
    assert {k: (e.amount_cents, e.inbound_id, e.inbound_id_source, e.claim_count)
            for k, e in stored.items()} == {
        "0063158ABC": (3400, "1566339911", "TRN03", 1),
        "7170066655": (94500, "1935665544", "TRN03", 2),
        "12345": (15000000, "999", "REF*2U", 2),
        "000000000": (0, "1386000134", "TRN03", 1),
        "0012524965": (122200, "1559123456", "TRN03", 2),
        "0012524879": (18750, "1559123456", "TRN03", 1),
    }  # fmt: skip
    assert stored["12345"].plb_total_cents == -127
    assert [r.validation_state for r in payments] == [ValidationState.PENDING] * 6


def test_findings_are_stored_with_their_payment(store: Store, admin: users.Actor) -> None:
    (result,) = import_paths(store, [FIXTURES / "835-managed-care.835"], admin)
    assert result.findings[0].text.startswith("Segment 4 (BPR), element 16: '20002316'")
    with store.read() as session:
        rows = session.exec(select(EraFinding)).all()
    assert [(r.era_id, r.source, r.segment, r.position) for r in rows] == [
        (result.created[0], "structure", "BPR", 4)]  # fmt: skip


def test_the_whole_file_is_kept_for_later_validation(store: Store, admin: users.Actor) -> None:
    (result,) = import_paths(store, [FIXTURES / "835-tertiary-payment.835"], admin)
    (row,) = file_rows(store)
    assert content_of(store, row.id) == (FIXTURES / "835-tertiary-payment.835").read_bytes()
    assert (row.status, row.kind, row.segment_count, row.loaded_by) == ("imported", "835", 27,
                                                                        "alice")  # fmt: skip
    assert result.to_json()["status"] == "imported"


# --- rejects ---------------------------------------------------------------------------------


REJECTS = {
    "empty.835": (b"", "the file is empty"),
    "scan.pdf": (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n" + bytes(range(256)) * 8,
                 "binary data, not a text file"),
    "notes.txt": (b"Deposit for January\n", "not an X12 file: it should begin with 'ISA'"),
    "cut.835": (None, "truncated: the interchange that starts at segment 1 has no IEA trailer"),
    "no-se.835": (None, "truncated or damaged: the transaction set '112233' that starts at "
                        "segment 3 has no SE trailer"),
    "eligibility.270": (None, "wrong transaction set: ST01 at segment 3 is '270'"),
    "latin1.835": (None, "unreadable encoding: byte 0xC9 at line 7, segment 7"),
}  # fmt: skip
# Files whose ST01 named the transaction set before the problem keep their kind on the row.
REJECT_KINDS = {"cut.835": "835", "no-se.835": "835", "latin1.835": "835"}


def reject_bytes(name: str) -> bytes:
    good = (FIXTURES / "835-managed-care.835").read_bytes()
    data = REJECTS[name][0]
    if data is not None:
        return data
    return {
        "cut.835": good[: good.index(b"CLP*8765432112")],
        "no-se.835": good.replace(b"SE*26*112233~\n", b""),
        "eligibility.270": good.replace(b"ST*835*", b"ST*270*"),
        "latin1.835": good.replace(b"RUSHMORE", b"RUSHM\xc9RE"),
    }[name]


@pytest.mark.parametrize("name", sorted(REJECTS))
def test_each_reject_names_the_file_and_leaves_only_its_reject_row(
    store: Store, admin: users.Actor, tmp_path: Path, name: str
) -> None:
    path = write(tmp_path, name, reject_bytes(name))
    before = counts(store)
    (result,) = import_paths(store, [path], admin)
    assert result.status is ImportStatus.REJECTED
    (error,) = result.errors
    assert error.startswith(f"{path}: {REJECTS[name][1]}")
    after = counts(store)
    assert after == {**before, "ImportedFile": before["ImportedFile"] + 1}
    (row,) = file_rows(store)
    assert (row.status, row.content, json.loads(row.errors)) == ("rejected", None, [error])
    assert row.validation_state == "not_applicable"
    assert (result.kind, row.kind) == (REJECT_KINDS.get(name, ""),) * 2


def test_a_missing_file_is_reported_and_the_rest_of_the_batch_imports(
    store: Store, admin: users.Actor, tmp_path: Path
) -> None:
    bad = write(tmp_path, "a-bad.835", b"hello")
    results = import_paths(
        store, [bad, tmp_path / "gone.835", FIXTURES / "835-managed-care.835"], admin
    )
    assert [r.status for r in results] == [
        ImportStatus.REJECTED, ImportStatus.REJECTED, ImportStatus.IMPORTED]  # fmt: skip
    assert results[1].errors == [f"{tmp_path / 'gone.835'}: file not found"]
    assert [e.check_number for e in eras(store)] == ["7170066655"]


def test_a_failure_while_storing_leaves_nothing_half_written(
    store: Store, admin: users.Actor, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> None:
        raise RuntimeError("disk full")

    monkeypatch.setattr(intake, "_insert_findings", broken)
    with pytest.raises(RuntimeError):
        import_paths(store, [FIXTURES / "835-managed-care.835"], admin)
    assert counts(store) == {t.__name__: 0 for t in (*CONTENT_TABLES, ImportedFile)}


def test_an_unregistered_user_may_not_import(store: Store, tmp_path: Path) -> None:
    stranger = users.identify(store, "mallory")
    with pytest.raises(PermissionDenied):
        import_paths(store, [FIXTURES / "835-managed-care.835"], stranger)
    assert file_rows(store) == []


# --- duplicates --------------------------------------------------------------------------------


def test_the_same_file_twice_is_a_duplicate_stored_once(store: Store, biller: users.Actor) -> None:
    path = FIXTURES / "835-managed-care.835"
    (first,) = import_paths(store, [path], biller)
    (again,) = import_paths(store, [path], biller)
    assert again.status is ImportStatus.DUPLICATE
    assert again.created == []
    assert again.findings[0].text.startswith(
        f"The same file was already imported: {path} (file #{first.file_id}, loaded "
    )
    assert len(eras(store)) == 1
    rows = file_rows(store)
    assert [(r.status, content_of(store, r.id)) for r in rows] == [
        ("imported", path.read_bytes()), ("duplicate", b"")]  # fmt: skip


def test_the_same_payment_in_another_file_is_a_duplicate(
    store: Store, admin: users.Actor, tmp_path: Path
) -> None:
    one = write(tmp_path, "one.835", write_835([sample_payment("EFT1")], interchange_control=1))
    other = write(tmp_path, "other.835", write_835([sample_payment("EFT1")], interchange_control=9))
    first, second = import_paths(store, [one, other], admin)
    assert (first.status, second.status) == (ImportStatus.IMPORTED, ImportStatus.DUPLICATE)
    assert second.findings[0].text.startswith(
        f"Payment EFT1 from ACME HEALTH PLAN for 91.75 is already on file as payment "
        f"#{first.created[0]} from {one} (file #{first.file_id}"
    )
    assert len(eras(store)) == 1


def test_a_file_with_new_and_known_payments_imports_the_new_ones(
    store: Store, admin: users.Actor, tmp_path: Path
) -> None:
    old = write(tmp_path, "old.835", write_835([sample_payment("EFT1")]))
    mixed = write(tmp_path, "mixed.835", write_835([sample_payment("EFT1"), sample_payment("EFT2")],
                                                   interchange_control=2))  # fmt: skip
    _, result = import_paths(store, [old, mixed], admin)
    assert result.status is ImportStatus.IMPORTED
    assert [e.check_number for e in eras(store)] == ["EFT1", "EFT2"]
    assert result.created == [eras(store)[1].id]
    assert any("Payment EFT1 from ACME HEALTH PLAN for 91.75 is already on file" in f.text
               for f in result.findings)  # fmt: skip


def test_a_payment_twice_in_one_file_is_stored_once(
    store: Store, admin: users.Actor, tmp_path: Path
) -> None:
    path = write(tmp_path, "twice.835", write_835([sample_payment("EFT7"), sample_payment("EFT7")]))
    (result,) = import_paths(store, [path], admin)
    assert result.status is ImportStatus.IMPORTED
    assert len(result.created) == 1
    assert "Payment EFT7 from ACME HEALTH PLAN for 91.75 is repeated in this file; stored " \
        "once (at segment 40)" in [f.text for f in result.findings]


def test_same_trace_number_from_another_payer_or_amount_is_not_a_duplicate(
    store: Store, admin: users.Actor, tmp_path: Path
) -> None:
    payments = [sample_payment("EFT1"), sample_payment("EFT1", payer_id="OTHER"),
                sample_payment("EFT1", amount_shift=Decimal("1.00"))]
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for n, era in enumerate(payments):
        write(inbox, f"{n}.835", write_835([era], interchange_control=n + 1))
    results = import_paths(store, [inbox], admin)
    assert [r.status for r in results] == [ImportStatus.IMPORTED] * 3


# --- 837 claims --------------------------------------------------------------------------------


def test_an_837_is_handed_to_the_claims_import(store: Store, admin: users.Actor) -> None:
    (result,) = import_paths(store, [FIXTURES / "837p-example1.837"], admin)
    assert (result.kind, result.status) == ("837", ImportStatus.IMPORTED)
    with store.read() as session:
        claim_ids = session.exec(select(Claim.claim_id).where(Claim.file_id == result.file_id)).all()
    assert claim_ids == ["26463774"]
    assert len(result.created) == 1
    (again,) = import_paths(store, [FIXTURES / "837p-example1.837"], admin)
    assert again.status is ImportStatus.DUPLICATE


def test_an_unreadable_837_is_rejected_with_the_claims_reader_reason(
    store: Store, admin: users.Actor, tmp_path: Path
) -> None:
    text = (FIXTURES / "837p-example1.837").read_text().replace("CLM*26463774", "CLX*26463774")
    path = write(tmp_path, "claims.837", text)
    before = counts(store)
    (result,) = import_paths(store, [path], admin)
    assert (result.kind, result.status) == ("837", ImportStatus.REJECTED)
    assert result.errors == [
        f"{path}: segment 30 (LX): a service line (LX) comes before any claim (CLM)"
    ]
    assert counts(store) == {**before, "ImportedFile": before["ImportedFile"] + 1}
    assert [(r.kind, r.status) for r in file_rows(store)] == [("837", "rejected")]


# --- folders and progress ----------------------------------------------------------------------


def test_a_folder_means_its_files_not_hidden_ones_or_subfolders(
    store: Store, admin: users.Actor, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "processed").mkdir(parents=True)
    write(inbox, "b.835", write_835([sample_payment("EFT2")]))
    write(inbox, "a.835", write_835([sample_payment("EFT1")], interchange_control=3))
    write(inbox, ".DS_Store", b"\x00\x01")
    write(inbox / "processed", "old.835", write_835([sample_payment("EFT0")]))
    seen: list[tuple[int, int, str]] = []
    results = import_paths(store, [inbox], admin, lambda d, t, f: seen.append((d, t, f)))
    assert [(Path(r.file).name, r.status.value) for r in results] == [
        ("a.835", "imported"), ("b.835", "imported"), ("processed", "rejected")]
    # A sub-folder is named and not entered: its files stay where they are.
    assert results[2].errors == [
        f"{inbox / 'processed'}: a folder inside a folder is not entered: only the regular "
        "files directly inside a folder are imported"]
    assert seen == [(1, 3, str(inbox / "a.835")), (2, 3, str(inbox / "b.835")),
                    (3, 3, str(inbox / "processed"))]
    assert [e.check_number for e in eras(store)] == ["EFT1", "EFT2"]


# --- deferred validation -----------------------------------------------------------------------


def test_validation_runs_later_and_adds_findings_to_the_payment(
    store: Store, admin: users.Actor
) -> None:
    (result,) = import_paths(store, [FIXTURES / "835-managed-care.835"], admin)
    (run,) = validate_pending(store)
    assert run.file_id == result.file_id
    assert [f.text for f in run.findings] == [
        "Segment BPR (segment 4), element 16 (Check Issue or EFT Effective Date): '20002316' is "
        "not a valid date",
        "Required segment PER (Payer Technical Contact Information) is missing (at segment 10)",
    ]
    with store.read() as session:
        stored = session.exec(
            select(EraFinding.era_id, EraFinding.message).where(EraFinding.source == "validation")
        ).all()
    assert [era_id for era_id, _ in stored] == [result.created[0]] * 2
    assert file_rows(store)[0].validation_state == "done"
    assert validate_pending(store) == []  # nothing left to do


def test_small_files_are_validated_during_import_large_ones_wait(
    store: Store, admin: users.Actor
) -> None:
    small, = import_paths(store, [FIXTURES / "835-managed-care.835"], admin,
                          validate_below_segments=31)  # fmt: skip
    large, = import_paths(store, [FIXTURES / "835-secondary-payment.835"], admin,
                          validate_below_segments=31)  # fmt: skip
    assert small.validation_state is ValidationState.DONE
    assert any(f.finding.source.value == "validation" for f in small.findings)
    assert large.validation_state is ValidationState.PENDING
    assert [r.file_id for r in validate_pending(store, max_segments=41)] == []
    assert [r.file_id for r in validate_pending(store, limit=1)] == [large.file_id]
