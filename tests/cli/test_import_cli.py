"""`pctui import` and `pctui eras` as a cron job or a script sees them."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from pctui import cli
from pctui.store import users

FIXTURES = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "x12"
if not FIXTURES.is_dir():
    FIXTURES = Path(os.environ.get("PCTUI_FIXTURES", "../shared/fixtures/x12")).resolve()


@pytest.fixture
def run(db_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Run the CLI on a fresh database as OS login 'carol' (its first user: an admin)."""
    monkeypatch.setattr(users, "os_login", lambda: "carol")

    def invoke(*argv: str) -> tuple[int, str, str]:
        code = cli.main(["--db", str(db_path), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


def test_importing_a_folder_reports_every_file_and_fails_for_the_rejected_one(
    run, tmp_path: Path
) -> None:
    inbox = tmp_path / "inbox"
    shutil.copytree(FIXTURES, inbox)
    code, out, _ = run("import", "--json", str(inbox))
    results = json.loads(out)
    assert code == 1  # NOTICE.md was rejected
    assert [(Path(r["file"]).name, r["kind"], r["status"]) for r in results] == [
        ("835-cob-contractual-adjustment.835", "835", "imported"),
        ("835-managed-care.835", "835", "imported"),
        ("835-medicare-part-a.835", "835", "imported"),
        ("835-pyx12-mult-loops.835", "835", "imported"),
        ("835-secondary-payment.835", "835", "imported"),
        ("835-tertiary-payment.835", "835", "imported"),
        ("837p-cob-example3a.837", "837", "imported"),
        ("837p-example1.837", "837", "imported"),
        ("NOTICE.md", "", "rejected"),
        ("realworld", "", "rejected"),  # a folder inside the folder: named, not entered
    ]
    assert set(results[0]) >= {"file", "kind", "status", "created", "errors", "findings"}
    assert results[-2]["errors"] == [
        f"{inbox / 'NOTICE.md'}: not an X12 file: it should begin with 'ISA' but begins with "
        "'# X12 fixtures'"
    ]
    managed = results[1]
    assert managed["validation"] == "done"  # small files are fully validated during import
    assert managed["findings"] == [
        "Segment 4 (BPR), element 16: '20002316' is not a valid date (CCYYMMDD) for the payment "
        "date (BPR16); left blank",
        "Segment BPR (segment 4), element 16 (Check Issue or EFT Effective Date): '20002316' is "
        "not a valid date",
        "Required segment PER (Payer Technical Contact Information) is missing (at segment 10)",
    ]


def test_importing_the_same_file_again_is_a_duplicate_and_succeeds(run) -> None:
    path = str(FIXTURES / "835-medicare-part-a.835")
    assert run("import", "--json", path)[0] == 0
    code, out, _ = run("import", "--json", path)
    (result,) = json.loads(out)
    assert (code, result["status"], result["created"]) == (0, "duplicate", [])


def test_eras_lists_payments_with_amounts_as_strings(run) -> None:
    run("import", str(FIXTURES / "835-medicare-part-a.835"), str(FIXTURES / "835-managed-care.835"))
    code, out, _ = run("eras", "--json")
    rows = json.loads(out)
    assert code == 0
    assert [
        {k: r[k] for k in ("check_number", "inbound_id", "inbound_id_source", "payer", "amount",
                           "payment_date", "claims", "status")}
        for r in rows
    ] == [
        {"check_number": "7170066655", "inbound_id": "1935665544", "inbound_id_source": "TRN03",
         "payer": "RUSHMORE LIFE", "amount": "945.00", "payment_date": None, "claims": 2,
         "status": "no_payer_rule"},
        {"check_number": "12345", "inbound_id": "999", "inbound_id_source": "REF*2U",
         "payer": "INSURANCE COMPANY OF TIMBUCKTU", "amount": "150000.00",
         "payment_date": "2002-09-13", "claims": 2, "status": "no_payer_rule"},
    ]  # fmt: skip
    assert all(isinstance(r["id"], int) for r in rows)
    assert json.loads(run("eras", "--json", "--status", "ready")[1]) == []
    code, out, _ = run("eras", "--check", "12345")
    assert code == 0
    assert "150,000.00" in out and "No Payer Rule Established" in out and "7170066655" not in out


def test_rejected_files_are_listed_by_eras_rejected(run, tmp_path: Path) -> None:
    empty = tmp_path / "empty.835"
    empty.write_bytes(b"")
    code, out, _ = run("import", str(empty))
    assert code == 1
    assert f"rejected: {empty}: the file is empty" in out
    (row,) = json.loads(run("eras", "--rejected", "--json")[1])
    assert (row["file"], row["status"], row["errors"]) == (
        str(empty), "rejected", [f"{empty}: the file is empty"])  # fmt: skip


def test_wrong_usage_exits_2(run) -> None:
    assert run("import")[0] == 2
    with pytest.raises(SystemExit) as exited:
        run("eras", "--status", "pending")
    assert exited.value.code == 2


def test_an_unregistered_login_cannot_import(run, monkeypatch: pytest.MonkeyPatch) -> None:
    run("users", "add", "carol", "--role", "admin")  # carol is the first user (admin)
    monkeypatch.setattr(users, "os_login", lambda: "mallory")
    code, out, err = run("import", str(FIXTURES / "835-managed-care.835"))
    assert code == 1
    assert "mallory is not registered in this database" in err
    assert json.loads(run("eras", "--json")[1]) == []


def test_a_reused_claim_number_is_reported_as_a_conflict_kept_apart(run, tmp_path: Path) -> None:
    from tests.x12.claim_samples import ClaimSpec, Line, build_837

    def claim_file(name: str, charge: str, frequency: str = "1", n: int = 1) -> str:
        spec = ClaimSpec("PCN9", charge, [Line("99213", charge)], frequency=frequency)
        path = tmp_path / name
        path.write_text(build_837([[spec]]).replace("000000001", f"{n:09d}"))
        return str(path)

    assert run("import", claim_file("first.837", "100.00"))[0] == 0
    code, out, _ = run("import", "--json", claim_file("second.837", "120.00", n=2))
    [result] = json.loads(out)
    assert (code, result["status"], result["created"]) == (0, "imported", [])
    assert result["conflicts"] == [{"id": 1, "claim_id": "PCN9", "differences": [
        "total charge 100.00 → 120.00", "line 1: charge 100.00 → 120.00"]}]
    assert any("Kept apart as conflict #1" in f for f in result["findings"])

    code, out, _ = run("import", claim_file("void.837", "100.00", "8", n=3))
    assert code == 0
    assert "(1 claim voided)" in out
    code, out, _ = run("claims", "--json")
    [claim] = json.loads(out)
    assert (claim["claim_id"], claim["voided"], claim["balance"]["primary"]) == (
        "PCN9", True, "0.00")


def test_conflicts_are_listed_and_resolved_from_the_command_line(run, tmp_path: Path) -> None:
    from tests.x12.claim_samples import ClaimSpec, Line, build_837

    for n, charge in ((1, "100.00"), (2, "130.00")):
        spec = ClaimSpec("PCN7", charge, [Line("99213", charge)])
        path = tmp_path / f"{n}.837"
        path.write_text(build_837([[spec]]).replace("000000001", f"{n:09d}"))
        assert run("import", str(path))[0] == 0

    code, out, _ = run("conflicts", "--json")
    [waiting] = json.loads(out)
    assert (code, waiting["claim_id"], waiting["charge_on_file"], waiting["charge_new"],
            waiting["status"]) == (0, "PCN7", "100.00", "130.00", "open")
    assert waiting["differences"] == ["total charge 100.00 → 130.00",
                                      "line 1: charge 100.00 → 130.00"]
    code, out, _ = run("conflicts")
    assert "PCN7" in out and "total charge 100.00 → 130.00" in out

    code, out, _ = run("conflicts", "take", str(waiting["id"]))
    assert (code, out.strip()) == (0, f"conflict #{waiting['id']}, claim PCN7: took the new claim")
    [claim] = json.loads(run("claims", "--json")[1])
    assert claim["charge"] == "130.00"
    assert json.loads(run("conflicts", "--json")[1]) == []
    [resolved] = json.loads(run("conflicts", "--all", "--json")[1])
    assert (resolved["status"], resolved["resolved_by"]) == ("taken", "carol")

    code, out, err = run("conflicts", "keep", str(waiting["id"]))
    assert code == 1
    assert "already resolved: carol took the new claim" in err
    assert "Traceback" not in out + err
