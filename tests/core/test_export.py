"""CSV exports hold patient data: only their owner reads them, and they are never half-written."""

from __future__ import annotations

import csv
import stat
from decimal import Decimal
from pathlib import Path

import pytest

from pctui.core.export import ExportFailed, csv_cell, write_csv


def test_an_export_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    path = tmp_path / "claims.csv"
    count = write_csv(path, ["Claim", "Patient", "Balance"],
                      [["CLM1", "DOE, JANE", Decimal("46.54")], ["CLM2", "ROE, RICK", None]])
    assert count == 2
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    with path.open(newline="") as f:
        assert list(csv.reader(f)) == [["Claim", "Patient", "Balance"],
                                       ["CLM1", "DOE, JANE", "46.54"], ["CLM2", "ROE, RICK", ""]]


def test_replacing_an_export_keeps_it_private_and_leaves_no_temporary_file(tmp_path):
    path = tmp_path / "list.csv"
    path.write_text("old")
    path.chmod(0o644)
    write_csv(path, ["A"], [["1"]])
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["list.csv"]


def test_a_failed_export_names_the_file_and_leaves_nothing(tmp_path: Path) -> None:
    with pytest.raises(ExportFailed, match="does not exist"):
        write_csv(tmp_path / "nowhere" / "x.csv", ["A"], [["1"]])

    def broken_rows():
        yield ["1"]
        raise OSError(28, "No space left on device")

    with pytest.raises(ExportFailed, match="No space left"):
        write_csv(tmp_path / "x.csv", ["A"], broken_rows())
    assert list(tmp_path.iterdir()) == []


def test_cells_a_spreadsheet_would_run_are_defused_but_amounts_stay_numbers() -> None:
    assert csv_cell("=HYPERLINK(\"http://x\")") == "'=HYPERLINK(\"http://x\")"
    assert csv_cell("@SUM(A1)") == "'@SUM(A1)"
    assert csv_cell("-12.50") == "-12.50"
    assert csv_cell(Decimal("-12.5")) == "-12.50"
    assert csv_cell("ACME\x1b[2J") == "ACME\\x1b[2J"
    assert csv_cell(True) == "yes"
