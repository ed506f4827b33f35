"""`--csv` on `pctui claims` and `pctui eras`: the lists a spreadsheet wants, written so only their
owner can read them (they hold patient data)."""

from __future__ import annotations

import csv
import stat
from pathlib import Path

from test_release_cli import files, imported, run  # noqa: F401 - the shared practice


def read(path: Path) -> list[list[str]]:
    with path.open(newline="") as f:
        return list(csv.reader(f))


def test_claims_with_a_balance_go_to_a_private_csv(run, files, tmp_path) -> None:  # noqa: F811
    imported(run, files["claims"])
    primary = imported(run, files["primary"])
    secondary = imported(run, files["secondary"])
    run("release", str(primary), str(secondary), "--deposit-date", "2026-11-22")
    target = tmp_path / "owing.csv"

    code, out, _ = run("claims", "--with-balance", "--csv", str(target))

    assert code == 0 and out == f"wrote 1 claim to {target} (mode 600)\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    header, *rows = read(target)
    assert header[:3] == ["CLAIM", "PATIENT", "SERVICE"] and header[-2:] == ["BALANCE", "VOIDED"]
    assert rows == [["PCN101", "DOE, JANE", "2026-03-02", "185.00", "100.00", "60.00", "0.00",
                     "0.00", "0.00", "25.00", "25.00", "no"]]


def test_eras_csv_to_standard_output_and_a_folder_that_is_not_there(
        run, files, tmp_path) -> None:  # noqa: F811
    imported(run, files["primary"])
    code, out, _ = run("eras", "--csv", "-")
    assert code == 0
    header, row = list(csv.reader(out.splitlines()))
    assert header == ["ID", "LOADED", "CHECK/EFT", "INBOUND ID", "PAYER CODE", "PAYER NAME",
                      "PAID ON", "AMOUNT", "CLAIMS", "STATUS"]
    assert row[7] == "230.00" or row[7].count(".") == 1  # an amount, to the cent
    code, _, err = run("eras", "--csv", str(tmp_path / "no-such-folder" / "eras.csv"))
    assert code == 1 and "does not exist" in err


def test_the_error_report_and_the_batches_go_to_csv_for_the_bank_match(
        run, files, tmp_path) -> None:  # noqa: F811
    imported(run, files["claims"])
    primary = imported(run, files["primary"])
    with_errors = imported(run, files["with_errors"])
    run("release", str(primary), str(with_errors), "--deposit-date", "2026-11-22",
        "--batch", "B7")

    target = tmp_path / "errors.csv"
    code, out, _ = run("errors", "--csv", str(target))
    assert code == 0 and out == f"wrote 1 line to {target} (mode 600)\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    header, row = read(target)
    assert header == ["LINE", "PAYMENT", "CHECK/EFT", "CLAIM", "KIND", "AMOUNT", "REWORK",
                      "ERROR"]
    assert row[2:4] == ["EFT2", "NOPE1"] and row[5] == "45.50" and row[6] == "yes"
    assert "NOPE1" in row[7]

    code, out, _ = run("batches", "--csv", "-")
    assert code == 0
    header, *rows = list(csv.reader(out.splitlines()))
    assert header == ["DEPOSIT", "BATCH", "PAYMENT", "CHECK/EFT", "PAYER", "PAID ON", "AMOUNT",
                      "STATUS"]
    assert sorted((r[0], r[1], r[3], r[6]) for r in rows) == [
        ("2026-11-22", "B7", "EFT1", "230.00"), ("2026-11-22", "B7", "EFT2", "45.50")]
