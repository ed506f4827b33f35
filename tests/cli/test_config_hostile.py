"""`pctui config import` handed hostile documents: control characters and direction overrides in
names and IDs, deep nesting, lone surrogates, and (Hypothesis) mutations of a real exported
document. Never a traceback; a refused document changes nothing."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pctui import cli
from pctui.store import config_doc, demo, users
from pctui.store.db import Store

HOSTILE = {
    "NUL": "\x00", "escape": "\x1b[2J", "bell": "\x07", "carriage return": "\r",
    "line feed": "\n", "right-to-left override": "\u202e", "lone surrogate": "\ud800",
}


@pytest.fixture
def run(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(users, "os_login", lambda: "alice")

    def invoke(db: Path, *argv: str) -> tuple[int, str, str]:
        code = cli.main(["--db", str(db), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


@pytest.fixture
def source(store, admin, secrets, db_path) -> Path:
    demo.build_demo(store, admin, secrets)
    return db_path


@pytest.fixture
def exported(source) -> dict:
    store = Store.open(source)
    try:
        return config_doc.export_config(store)
    finally:
        store.close()


def write(tmp_path: Path, doc: object, name: str = "doc.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc), encoding="utf-8")  # ensure_ascii: "\ud800" stays an escape
    return path


@pytest.mark.parametrize("what", list(HOSTILE))
@pytest.mark.parametrize("where", [("payers", 0, "name"), ("payers", 1, "code"),
                                   ("rules", 0, "inbound_id"), ("connections", 0, "name"),
                                   ("connections", 0, "submitter_id")])
def test_control_characters_in_names_and_ids_are_refused_by_path(
    run, source, exported, tmp_path, what, where
) -> None:
    section, index, key = where
    before = run(source, "config", "export")[1]
    doc = json.loads(json.dumps(exported))
    doc[section][index][key] = f"Evil{HOSTILE[what]}Payer"
    code, out, err = run(source, "config", "import", str(write(tmp_path, doc)))
    assert code == 1 and out == ""
    path = f"{section}[{index}].{key}"
    problem = next(line for line in err.splitlines() if line.startswith(f"{path}:"))
    assert what in problem and "not allowed" in problem
    for raw in HOSTILE.values():
        assert raw == "\n" or raw not in err
    assert err.count("\n") == len(err.splitlines())  # each problem on one line
    assert run(source, "config", "export")[1] == before  # nothing half-written


def test_an_inbound_id_list_with_an_escape_is_refused(run, source, exported, tmp_path) -> None:
    doc = json.loads(json.dumps(exported))
    doc["payers"][0]["inbound_ids"].append("123\x1b]0;x\x07")
    code, _, err = run(source, "config", "import", str(write(tmp_path, doc)))
    assert code == 1 and "payers[0].inbound_ids: contains escape (\\x1b), bell (\\x07)" in err


def test_a_deeply_nested_document_is_refused_with_a_reason(run, source, tmp_path) -> None:
    before = run(source, "config", "export")[1]
    for depth in (40, 100_000):
        doc = tmp_path / f"deep{depth}.json"
        doc.write_text('{"payers": ' + "[" * depth + "]" * depth + "}", encoding="utf-8")
        code, out, err = run(source, "config", "import", str(doc))
        assert code == 1 and out == ""
        assert err.startswith(f"pctui: {doc}: nested ") and "nothing was imported" in err
        assert "Traceback" not in err
    assert run(source, "config", "export")[1] == before


def test_a_number_thousands_of_digits_long_is_refused_in_words(run, source, tmp_path) -> None:
    doc = tmp_path / "long.json"
    doc.write_text('{"payers": [{"code": "BCBS", "name": ' + "9" * 5000 + "}]}", encoding="utf-8")
    code, out, err = run(source, "config", "import", str(doc))
    assert (code, out) == (1, "")
    assert err == (f"pctui: {doc}: a number 5,000 digits long (nothing in a configuration "
                   "document is); nothing was imported\n")


def test_a_lone_surrogate_is_refused_and_shown_as_an_escape(run, source, exported,
                                                           tmp_path) -> None:
    doc = tmp_path / "surrogate.json"
    doc.write_text('{"payers": [{"code": "X\\ud800", "name": "Lone \\udfff half"}]}',
                   encoding="utf-8")
    code, _, err = run(source, "config", "import", str(doc))
    assert code == 1
    assert "payers[0].code: contains lone surrogate (\\ud800)" in err
    assert "payers[0].name: contains lone surrogate (\\udfff)" in err
    code, out, _ = run(source, "config", "import", str(doc), "--json")
    assert code == 1 and json.loads(out)["status"] == "rejected"


def test_an_unknown_key_with_an_escape_is_named_safely(run, source, tmp_path) -> None:
    doc = write(tmp_path, {"payers": [{"code": "X", "name": "Y", "\x1b[2Jkey": 1}]})
    code, _, err = run(source, "config", "import", str(doc))
    assert code == 1 and "payers[0].\\x1b[2Jkey: unknown key" in err and "\x1b" not in err


# --- fuzzing: mutated real documents ------------------------------------------------------------

TEXT = st.text(st.characters(codec="utf-8", exclude_categories=()), max_size=12) | st.sampled_from(
    [*HOSTILE.values(), "", " ", "[bold]x[/]", "9" * 400, "Evil [/] payer"])
JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers(-10**30, 10**30) | st.floats() | TEXT,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8)


def _paths(value: object, prefix: tuple = ()) -> list[tuple]:
    found = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for i, child in enumerate(value):
            found += _paths(child, (*prefix, i))
    return found


def _mutate(doc: object, data: st.DataObject) -> object:
    doc = json.loads(json.dumps(doc))
    for _ in range(data.draw(st.integers(1, 3), label="mutations")):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            return doc
        path = data.draw(st.sampled_from(paths), label="path")
        parent = doc
        for step in path[:-1]:
            parent = parent[step]
        action = data.draw(st.sampled_from(["replace", "delete", "duplicate", "add_key"]))
        last = path[-1]
        if action == "replace":
            parent[last] = data.draw(JSONISH, label="value")
        elif action == "delete":
            del parent[last]
        elif action == "duplicate" and isinstance(parent, list):
            parent.append(json.loads(json.dumps(parent[last])))
        elif action == "add_key" and isinstance(parent, dict):
            parent[data.draw(TEXT, label="key")] = data.draw(JSONISH, label="value")
    return doc


def _byte_mutate(text: bytes, data: st.DataObject) -> bytes:
    out = bytearray(text)
    for _ in range(data.draw(st.integers(1, 4))):
        at = data.draw(st.integers(0, len(out)))
        if data.draw(st.booleans()) and out:
            del out[at:at + data.draw(st.integers(1, 8))]
        else:
            out[at:at] = data.draw(st.sampled_from(
                [b"{", b"}", b"[", b"]", b'"', b",", b":", b"\\", b"\\u", b"\\ud800", b"\x1b",
                 b"\x00", b"\xff\xfe", b"\xc3", b"1e400", b"null", b"[" * 50]))
    return bytes(out)


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(data=st.data())
def test_a_mutated_real_document_is_imported_whole_or_refused_without_a_trace(
    run, source, exported, tmp_path, data
) -> None:
    if data.draw(st.booleans(), label="byte level"):
        raw = _byte_mutate(json.dumps(exported, indent=1).encode(), data)
    else:
        raw = json.dumps(_mutate(exported, data)).encode()
    doc = tmp_path / "mutated.json"
    doc.write_bytes(raw)
    before = run(source, "config", "export")[1]
    code, out, err = run(source, "config", "import", str(doc))
    assert code in (0, 1), err
    assert "internal error" not in err and "Traceback" not in err
    for ch in "\x00\x07\x1b\u202e":
        assert ch not in out + err
    after = run(source, "config", "export")[1]
    if code == 1:
        assert after == before  # refused: nothing changed, nothing half-written
    else:
        again = run(source, "config", "import", str(doc))  # applied whole: idempotent
        assert again[0] == 0 and again[1].startswith(f"{doc}: already up to date."), again


# --- users from the command line ----------------------------------------------------------------


def test_users_are_deactivated_and_given_roles_and_the_last_admin_stays(run, db_path) -> None:
    assert run(db_path, "users", "add", "alice", "--role", "admin")[0] == 0
    assert run(db_path, "users", "add", "bob", "--role", "biller")[:2] == (0, "bob is now biller\n")
    assert run(db_path, "users", "deactivate", "bob")[:2] == (0, "bob is now biller "
                                                               "(deactivated)\n")
    listed = json.loads(run(db_path, "users", "list", "--json")[1])
    assert listed == [{"login": "alice", "role": "admin", "active": True},
                      {"login": "bob", "role": "biller", "active": False}]
    code, _, err = run(db_path, "users", "role", "alice", "--role", "biller")
    assert code == 1 and err == ("pctui: name: alice is the last active admin of this database; "
                                 "make another user admin first\n")
    code, _, err = run(db_path, "users", "deactivate", "alice")
    assert code == 1 and "last active admin" in err
    assert run(db_path, "users", "reactivate", "bob")[0] == 0
    assert run(db_path, "users", "role", "bob", "--role", "admin")[:2] == (0, "bob is now admin\n")
    code, _, err = run(db_path, "users", "role", "zed", "--role", "admin")
    assert code == 1 and "zed is not a user of this database" in err


# -- not a document at all: a named pipe, a device, a file far too big ------------------------


@pytest.mark.sqlite_only  # reading the file comes before any database work
def test_a_named_pipe_a_device_or_a_huge_file_is_refused_without_waiting(source,
                                                                         tmp_path) -> None:
    """A FIFO nobody writes to would hang the import forever and /dev/zero never ends; a
    configuration document is a regular file of modest size. Each is refused by name, at once,
    and nothing changes."""
    import os
    import subprocess

    from tests.accounts import run_pctui, run_pctui_command

    fifo = tmp_path / "setup.json"
    os.mkfifo(fifo)
    huge = tmp_path / "huge.json"
    with huge.open("wb") as handle:
        handle.truncate(200 << 20)  # 200 MB (sparse: no disk used)
    before = run_pctui("--db", str(source), "config", "export").stdout
    expected = {
        str(fifo): "is a named pipe (FIFO), not a regular file",
        "/dev/zero": "is a character device, not a regular file",
        str(huge): "is larger than a configuration document can be",
    }
    for name, problem in expected.items():
        try:
            done = run_pctui("--db", str(source), "config", "import", name, timeout=30)
        except subprocess.TimeoutExpired:
            pytest.fail(f"config import {name} did not finish")
        assert done.returncode == 1, (name, done.stdout, done.stderr)
        assert done.stderr.startswith(f"pctui: {name}: "), done.stderr
        assert problem in done.stderr and "nothing was imported" in done.stderr
        assert "Traceback" not in done.stderr
    # the same from standard input: reading stops at the limit
    with open("/dev/zero", "rb") as zeros:
        done = subprocess.run(run_pctui_command("--db", str(source), "config", "import", "-"),
                              stdin=zeros, capture_output=True, timeout=60, cwd="/")
    assert done.returncode == 1
    assert b"larger than a configuration document can be" in done.stderr
    assert run_pctui("--db", str(source), "config", "export").stdout == before
