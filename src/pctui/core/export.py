"""CSV exports: what a list shows, written so only its owner can read it (exports hold patient
data) and never half-written.

One writer for the app (the list widget's export key) and the command line (``--csv``):

- the file is written to a temporary file beside the target, created with mode 0600, flushed to
  disk and renamed over the target, so a reader never sees a partial export and an existing
  file is replaced whole or not at all;
- a cell that a spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``, tab, carriage
  return first) gets a leading ``'`` unless it is a plain number such as ``-12.50``;
- control characters are written as visible escapes (:func:`pctui.core.text.visible`), like on
  screen.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from pathlib import Path

from pctui.core.text import visible

EXPORT_MODE = 0o600
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


class ExportFailed(Exception):
    """The export could not be written; the message names the file and why."""


def csv_cell(value: object) -> str:
    """One value as a CSV cell: money with two decimals, dates ISO, formulas defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    text = visible(getattr(value, "plain", value))  # a rich Text: its characters
    if text.startswith(_FORMULA_START) and not _is_number(text):
        return "'" + text
    return text


def _is_number(text: str) -> bool:
    try:
        Decimal(text)
    except InvalidOperation:
        return False
    return text.strip() == text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[object]]) -> str:
    """The whole CSV as text (for standard output)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([csv_cell(h) for h in header])
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return buffer.getvalue()


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    """Write ``rows`` under ``header`` to ``path`` atomically, mode 0600; the number of rows.

    Raises :class:`ExportFailed` naming the file when it cannot be written (no such folder, no
    permission, disk full); nothing is left behind then.
    """
    path = Path(path).expanduser()
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise ExportFailed(f"{path} is a folder: give a file name such as {path / 'export.csv'}")
    if not folder.is_dir():
        raise ExportFailed(f"cannot write {path}: the folder {folder} does not exist")
    count = 0
    temp_name = ""
    try:
        # mkstemp creates the file with mode 0600 whatever the umask.
        fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=folder)
        os.fchmod(fd, EXPORT_MODE)
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow([csv_cell(h) for h in header])
            for row in rows:
                writer.writerow([csv_cell(v) for v in row])
                count += 1
            out.flush()
            os.fsync(out.fileno())
        os.replace(temp_name, path)
        temp_name = ""
    except OSError as exc:
        raise ExportFailed(f"cannot write {path}: {exc.strerror or exc}") from None
    finally:
        if temp_name:
            try:
                os.unlink(temp_name)
            except OSError:
                pass
    return count
