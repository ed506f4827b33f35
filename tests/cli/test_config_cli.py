"""`pctui config export` / `pctui config import` as a script or an admin at a shell sees them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pctui import cli
from pctui.store import config_doc, demo, users
from pctui.store.db import Store


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """Run the CLI as OS login 'alice' (the admin of the test database) on a given database."""
    monkeypatch.setattr(users, "os_login", lambda: "alice")

    def invoke(db: Path, *argv: str) -> tuple[int, str, str]:
        code = cli.main(["--db", str(db), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


@pytest.fixture
def source(store, admin, secrets, db_path) -> Path:
    """The test database filled with the demo configuration."""
    demo.build_demo(store, admin, secrets)
    return db_path


def test_export_prints_the_document_and_import_reproduces_it(run, source, tmp_path,
                                                            make_db) -> None:
    code, out, err = run(source, "config", "export")
    assert code == 0 and err == ""
    exported = json.loads(out)
    assert [p["code"] for p in exported["payers"]] == ["AETNA", "BCBS", "MCDCA", "MCR", "WCF"]
    doc = tmp_path / "config.json"
    doc.write_text(out, encoding="utf-8")
    target = make_db("target.db")
    code, out, err = run(target, "config", "import", str(doc))
    assert (code, err) == (0, "")
    assert out.splitlines() == [
        f"{doc}: imported.",
        "Created: 5 payers, 7 rules, 3 carc overrides, 5 connections.",
        "Changed: nothing.",
        "Unchanged: 0 entries.",
    ]
    code, again, _ = run(target, "config", "export")
    assert code == 0 and again == doc.read_text(encoding="utf-8")


def test_importing_twice_reports_nothing_changed(run, source, tmp_path) -> None:
    doc = tmp_path / "config.json"
    assert run(source, "config", "export", "--output", str(doc))[0] == 0
    code, out, _ = run(source, "config", "import", str(doc), "--json")
    assert code == 0
    assert json.loads(out) == {
        "file": str(doc), "status": "imported",
        "created": {"payers": 0, "rules": 0, "carc_overrides": 0, "connections": 0,
                    "posting_codes": 0, "compliance_edits": 0},
        "changed": {"payers": 0, "rules": 0, "carc_overrides": 0, "connections": 0,
                    "posting_codes": 0, "compliance_edits": 0},
        "unchanged": 20}
    code, out, _ = run(source, "config", "import", str(doc))
    assert code == 0 and out.startswith(f"{doc}: already up to date.")


def test_export_to_a_file_says_where_it_went(run, source, tmp_path) -> None:
    doc = tmp_path / "out" / "config.json"
    doc.parent.mkdir()
    code, out, _ = run(source, "config", "export", "-o", str(doc))
    assert code == 0 and out == f"Configuration written to {doc}.\n"
    assert json.loads(doc.read_text(encoding="utf-8"))["rules"][0]["inbound_id"] == "01312"
    assert [p.name for p in doc.parent.iterdir()] == ["config.json"]  # no partial file left


def test_invalid_json_names_the_line_and_column_and_changes_nothing(run, source,
                                                                    tmp_path) -> None:
    before = run(source, "config", "export")[1]
    doc = tmp_path / "broken.json"
    doc.write_text('{"payers": [\n  {"code": "X",}\n]}\n', encoding="utf-8")
    code, out, err = run(source, "config", "import", str(doc))
    assert code == 1 and out == ""
    assert err == (f"pctui: {doc}: not valid JSON: Expecting property name enclosed in double "
                   "quotes at line 2, column 16\n")  # the stray }
    assert run(source, "config", "export")[1] == before


def test_a_key_given_twice_in_one_object_is_refused(run, source, tmp_path) -> None:
    doc = tmp_path / "twice.json"
    doc.write_text('{"payers": [], "payers": []}', encoding="utf-8")
    code, _, err = run(source, "config", "import", str(doc))
    assert code == 1 and 'the key "payers" appears twice in one object' in err


def test_a_broken_document_prints_each_problem_by_path(run, source, tmp_path) -> None:
    store = Store.open(source)
    before = config_doc.export_config(store)
    store.close()
    broken = json.loads(json.dumps(before))
    broken["rules"][2]["levels"]["tertiary"]["payment_code"] = "PXXX"
    broken["payers"][0]["insurance_class"] = "private"
    broken["connections"][0]["endpoint"] = "http://claims.example/"
    doc = tmp_path / "broken.json"
    doc.write_text(json.dumps(broken), encoding="utf-8")
    code, out, err = run(source, "config", "import", str(doc))
    assert code == 1 and out == ""
    assert err.splitlines() == [
        f"pctui: {doc}: 3 problems; nothing was imported",
        'payers[0].insurance_class: unknown insurance class "private" (one of commercial, '
        "medicare, medicaid, workers_comp, other)",
        'rules[2].levels.tertiary.payment_code: unknown code "PXXX"',
        "connections[0].endpoint: must be an https:// URL, e.g. https://gateway.example/claims",
    ]
    code, out, _ = run(source, "config", "import", str(doc), "--json")
    assert code == 1
    assert json.loads(out)["errors"][1] == {"path": "rules[2].levels.tertiary.payment_code",
                                            "problem": 'unknown code "PXXX"'}
    store = Store.open(source)
    assert config_doc.export_config(store) == before
    store.close()


def test_a_missing_file_is_a_plain_message(run, source, tmp_path) -> None:
    code, out, err = run(source, "config", "import", str(tmp_path / "nope.json"))
    assert code == 1 and out == ""
    assert err == f"pctui: cannot read {tmp_path / 'nope.json'}: No such file or directory\n"


def test_a_biller_cannot_import(run, source, tmp_path, monkeypatch) -> None:
    doc = tmp_path / "config.json"
    run(source, "config", "export", "-o", str(doc))
    monkeypatch.setattr(users, "os_login", lambda: "bob")
    code, _, err = run(source, "config", "import", str(doc))
    assert code == 1 and "only an admin may change it (you are a biller)" in err


def test_an_empty_file_is_named_as_empty(run, source, tmp_path) -> None:
    doc = tmp_path / "empty.json"
    doc.write_text("\n", encoding="utf-8")
    code, _, err = run(source, "config", "import", str(doc))
    assert code == 1 and err.startswith(f"pctui: {doc}: the file is empty")
