"""Files that try to break an import: over-long amounts, huge segments, pipes, devices, folders,
files over the size limit, empty transaction sets. Each is refused by name with its reason (or
read whole), nothing is half-written, and the rest of the run goes on."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from sqlmodel import func, select
from tests.x12.era_samples import sample_payment

from pctui.store import intake, users
from pctui.store.db import Store
from pctui.store.intake import ImportStatus, import_paths
from pctui.store.tables import Era, EraFinding, ImportedFile
from pctui.x12.segments import MAX_SEGMENT_CHARS
from pctui.x12.write835 import write_835


def ten_payments() -> str:
    return write_835([sample_payment(f"EFT{n:02d}") for n in range(1, 11)])


def write(folder: Path, name: str, data: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def stored_checks(store: Store) -> list[str]:
    with store.read() as session:
        return sorted(session.exec(select(Era.check_number)).all())


def rows(store: Store, table: type) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(table)).one()


# -- amounts ------------------------------------------------------------------------------------


@pytest.mark.parametrize("amount", ["99999999999999999999999.99", "1E+400", "NaN", "12.3.4"])
def test_an_over_long_or_odd_amount_refuses_its_file_and_the_run_goes_on(
    store: Store, admin: users.Actor, tmp_path: Path, amount: str
) -> None:
    good = ten_payments()
    bad = write(tmp_path, "a-bad.835", good.replace("BPR*I*91.75", f"BPR*I*{amount}", 1))
    fine = write(tmp_path, "b-good.835", good)

    first, second = import_paths(store, [bad, fine], admin)

    assert first.status is ImportStatus.REJECTED
    assert first.errors == [f"{bad}: segment 4 (BPR), element 02: the payment amount (BPR02) "
                            f"'{amount}' " + ("is larger than pctui's limit of 9,999,999,999.99"
                                              if amount.startswith("999") else "is not an amount")]
    assert second.status is ImportStatus.IMPORTED
    assert len(stored_checks(store)) == 10  # all from the good file, none from the bad one


# -- long segments ------------------------------------------------------------------------------


def test_a_segment_longer_than_16_kb_is_read_and_every_payment_is_stored(
    store: Store, admin: users.Actor, tmp_path: Path
) -> None:
    # pyx12's own reader stops silently at such a segment: 4 of 10 payments, "imported".
    text = ten_payments()
    long_address = "N3*" + "PO BOX 1000 " * 2000  # about 24 KB
    assert text.count("N3*PO BOX 1000~") == 10
    parts = text.split("N3*PO BOX 1000~")
    text = "N3*PO BOX 1000~".join(parts[:5]) + long_address + "~" + "N3*PO BOX 1000~".join(
        parts[5:])
    path = write(tmp_path, "long.835", text)

    (result,) = import_paths(store, [path], admin)

    assert result.status is ImportStatus.IMPORTED
    assert stored_checks(store) == [f"EFT{n:02d}" for n in range(1, 11)]
    # Imported again: a duplicate of what is really on file, nothing lost for ever.
    (again,) = import_paths(store, [path], admin)
    assert again.status is ImportStatus.DUPLICATE


def test_a_segment_past_the_limit_refuses_the_file_naming_the_limit(
    store: Store, admin: users.Actor, tmp_path: Path
) -> None:
    text = ten_payments().replace("N3*PO BOX 1000~", "N3*" + "X" * (MAX_SEGMENT_CHARS + 10) + "~",
                                  1)  # fmt: skip
    path = write(tmp_path, "huge-segment.835", text)

    (result,) = import_paths(store, [path], admin)

    assert result.status is ImportStatus.REJECTED
    assert f"longer than {MAX_SEGMENT_CHARS:,} characters (pctui's limit for one segment)" in (
        result.errors[0])
    assert (rows(store, Era), rows(store, EraFinding)) == (0, 0)


def test_a_file_with_no_terminator_at_all_is_refused_not_read_into_memory(
    store: Store, admin: users.Actor, tmp_path: Path
) -> None:
    isa = ten_payments().split("\n", 1)[0]
    path = write(tmp_path, "runaway.835", isa + "\nGS*" + "A" * (3 * MAX_SEGMENT_CHARS))

    (result,) = import_paths(store, [path], admin)

    assert result.status is ImportStatus.REJECTED
    assert "segment 2 is longer than" in result.errors[0]


# -- what is not a regular file -----------------------------------------------------------------


def _import_within(store: Store, admin: users.Actor, paths: list[Path], seconds: float = 20):
    """Import in a thread so a hang fails the test instead of stopping the suite."""
    out: list = []
    worker = threading.Thread(target=lambda: out.append(import_paths(store, paths, admin)),
                              daemon=True)  # fmt: skip
    worker.start()
    worker.join(seconds)
    assert not worker.is_alive(), "the import hung"
    return out[0]


def test_a_named_pipe_is_refused_by_name_without_waiting_for_a_writer(
    store: Store, admin: users.Actor, tmp_path: Path
) -> None:
    fifo = tmp_path / "inbox.835"
    os.mkfifo(fifo)
    good = write(tmp_path, "good.835", ten_payments())

    first, second = _import_within(store, admin, [fifo, good])

    assert first.status is ImportStatus.REJECTED
    assert first.errors == [f"{fifo}: this is a named pipe (FIFO), not a regular file: only "
                            "regular files are read"]
    assert second.status is ImportStatus.IMPORTED


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_a_device_is_refused_by_name(store: Store, admin: users.Actor) -> None:
    (result,) = _import_within(store, admin, [Path("/dev/zero")])

    assert result.errors == ["/dev/zero: this is a character device, not a regular file: only "
                             "regular files are read"]


def test_inside_a_folder_sub_folders_and_pipes_are_named_and_not_read(
    store: Store, admin: users.Actor, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    (inbox / "processed").mkdir(parents=True)
    os.mkfifo(inbox / "pipe")
    write(inbox, "a.835", ten_payments())

    results = _import_within(store, admin, [inbox])

    assert [(Path(r.file).name, r.status.value) for r in results] == [
        ("a.835", "imported"), ("pipe", "rejected"), ("processed", "rejected")]
    assert "named pipe (FIFO)" in results[1].errors[0]
    assert "a folder inside a folder is not entered" in results[2].errors[0]


def test_a_file_over_the_size_limit_is_refused_naming_the_limit(
    store: Store, admin: users.Actor, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PCTUI_IMPORT_MAX_MB", "1")
    big = write(tmp_path, "big.835", ten_payments() + " " * (2 << 20))

    (result,) = import_paths(store, [big], admin)

    assert result.status is ImportStatus.REJECTED
    assert result.errors == [
        f"{big}: the file is larger than pctui's size limit for one file (1.0 MB; it is at "
        "least 2.0 MB); split it, or raise the limit with PCTUI_IMPORT_MAX_MB=<megabytes>"]
    small = intake.import_bytes(store, "in-memory.835", b"ISA" + b" " * (2 << 20), admin)
    assert "size limit for one file (1.0 MB" in small.errors[0]


# -- transaction sets that are not payments -----------------------------------------------------


def test_an_empty_transaction_set_is_not_a_payment_and_the_others_import(
    store: Store, admin: users.Actor, tmp_path: Path
) -> None:
    text = write_835([sample_payment("EFT1"), sample_payment("EFT2")])
    segments = text.split("~\n")
    second_st = [i for i, s in enumerate(segments) if s.startswith("ST*")][1]
    second_se = [i for i, s in enumerate(segments) if s.startswith("SE*")][1]
    emptied = segments[: second_st + 1] + ["SE*2*0002"] + segments[second_se + 1 :]
    path = write(tmp_path, "one-empty.835", "~\n".join(emptied))

    (result,) = import_paths(store, [path], admin)

    assert result.status is ImportStatus.IMPORTED
    assert stored_checks(store) == ["EFT1"]
    [refused] = [f for f in result.findings if "is not a payment" in f.text]
    assert refused.text.startswith("Transaction set 0001 (segments 40-41, nothing between its ST "
                                   "and SE) is not a payment: it has no BPR")


def test_a_file_holding_only_empty_transaction_sets_is_refused(
    store: Store, admin: users.Actor, tmp_path: Path
) -> None:
    segments = write_835([sample_payment("EFT1")]).split("~\n")
    st = next(i for i, s in enumerate(segments) if s.startswith("ST*"))
    se = next(i for i, s in enumerate(segments) if s.startswith("SE*"))
    path = write(tmp_path, "empty.835", "~\n".join(segments[: st + 1] + ["SE*2*0001"]
                                                   + segments[se + 1 :]))  # fmt: skip

    (result,) = import_paths(store, [path], admin)

    assert result.status is ImportStatus.REJECTED
    assert result.errors[0].startswith(f"{path}: the file holds no payment: Transaction set 0001")
    assert (result.kind, rows(store, Era), rows(store, ImportedFile)) == ("835", 0, 1)
