"""Every command line output shows stored text as text (SPEC 4, issue 9 item 3).

Every text field a command prints holds markup, an escape sequence, a bell and a right-to-left
override (written straight into the tables, as an older version, a hostile 835 or another
program would have left them). Every reading command, in words, JSON and CSV, prints it with
every control or invisible character as a visible escape: nothing reaches the terminal raw, and
nothing fails.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest
from sqlalchemy import select, update
from tests.ui.test_hostile_text import evil, hostile  # noqa: F401 - the hostile database

from pctui import cli
from pctui.core.text import visible
from pctui.store import tables
from pctui.store.db import Store

# What is printed does not depend on the backend: one backend is enough.
pytestmark = pytest.mark.sqlite_only

READING = [
    ["eras"],
    ["eras", "--json"],
    ["eras", "--csv", "-"],
    ["eras", "--rejected"],
    ["eras", "--rejected", "--json"],
    ["claims"],
    ["claims", "--json"],
    ["claims", "--csv", "-"],
    ["users", "list"],
    ["users", "list", "--json"],
    ["connections"],
    ["connections", "--json"],
    ["conflicts", "--all"],
    ["conflicts", "--all", "--json"],
    ["config", "export"],
    ["check"],
    ["check", "--json"],
    ["batches"],
    ["batches", "--json"],
    ["errors"],
    ["errors", "--json"],
    ["errors", "--check"],
]


def raw_characters(text: str, csv: bool = False) -> set[str]:
    """Characters a terminal would obey; a CSV's lines end in CR LF, as CSV's do."""
    return {
        ch for ch in text.replace("\r\n" if csv else "\n", "\n") if ch != "\n" and visible(ch) != ch
    }


@pytest.fixture
def everything_hostile(hostile, store: Store) -> None:  # noqa: F811
    """Beyond what the screens show: patient names and claim numbers, what an 835 says about
    its payer, payee and check, a file's name, and a login from before logins were checked."""
    t = tables
    with store.write() as session:

        def put(table, **values) -> None:
            session.execute(update(table).values(**values))

        put(t.Claim, patient_name=evil("patient"))
        put(t.ClaimLine, procedure=evil("procedure"))
        put(
            t.Era,
            payer_name=evil("era payer"),
            payee_name=evil("payee"),
            check_number=t.Era.check_number + " " + evil("check"),
        )  # still unique
        put(t.ImportedFile, filename=evil("file"))
        claim = session.execute(select(t.Claim.id)).scalars().first()
        file_id = session.execute(select(t.ImportedFile.id)).scalars().first()
        session.add(
            t.ClaimConflict(
                claim_id="PCN100",
                claim_pk=claim,
                file_id=file_id,
                charge_cents=20000,
                patient_name=evil("conflict patient"),
                differences=json.dumps([evil("differs")]),
                found_at=datetime(2026, 11, 21, 9, 0, tzinfo=UTC),
            )
        )
        release_id, era_id = session.execute(select(t.Release.id, t.Release.era_id)).first()
        session.add(
            t.ErrorReportLine(
                era_id=era_id,
                release_id=release_id,
                claim_id=evil("clp"),
                kind="not_found",
                text=evil("error line"),
            )
        )
        put(t.Release, batch=evil("batch"), released_by=evil("released by"))
        put(t.Batch, number=evil("batch"), created_by=evil("created by"))
        session.execute(update(t.User).where(t.User.login == "bob").values(login=evil("login")))


@pytest.mark.usefixtures("everything_hostile")
@pytest.mark.parametrize("argv", READING, ids=" ".join)
def test_stored_text_never_reaches_the_terminal_raw(
    argv: list[str], store: Store, db_path, capsys
) -> None:
    store.close()
    code = cli.main(["--db", str(db_path), *argv])
    out, err = capsys.readouterr()
    assert code in (0, 1), err
    assert "Traceback" not in err
    assert raw_characters(out, csv="--csv" in argv) | raw_characters(err) == set(), (
        argv,
        out[:2000],
        err,
    )
    if "--json" not in argv and argv[0] not in ("check", "config"):
        assert "\\x1b[2J" in out or "\\u001b[2J" in out, out[:2000]  # shown, not dropped


def test_an_exported_document_shows_every_character_as_an_escape_and_keeps_it(
    store: Store, admin, db_path, capsys
) -> None:
    from pctui.store import payers

    payers.store_payer(store, admin, payers.PayerDraft("BCBS", "Blue Cross", "commercial"))
    stored = "BLUE\U000e0041\u2028CROSS\x1b[2J\u202e"  # from before names were checked
    with store.write() as session:
        session.execute(update(tables.Payer).values(name=stored))
    store.close()
    assert cli.main(["--db", str(db_path), "config", "export"]) == 0
    out = capsys.readouterr().out
    assert raw_characters(out) == set()
    assert "BLUE\\udb40\\udc41\\u2028CROSS\\u001b[2J\\u202e" in out  # JSON's own escapes
    assert json.loads(out)["payers"][0]["name"] == stored  # the same document
