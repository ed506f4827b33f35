"""Hypothesis fuzzing of import over mutated real files: whatever the bytes, a file is imported
whole, imported with findings, or refused with a reason. Never a traceback, never half-written,
never a silent loss."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import func, select
from tests.conftest import FIXTURES

from pctui import cli
from pctui.store import intake, users
from pctui.store.db import Store
from pctui.store.intake_spool import payer_key
from pctui.store.tables import Claim, ClaimLine, Era, EraFinding, ImportedFile, LedgerEntry
from pctui.x12.envelope import X12Stream
from pctui.x12.errors import FileRejected
from pctui.x12.read835 import Reader835

SEEDS_835 = [
    "835/keiron-emedny_sample.txt", "835/tasty-profee-multiple.edi", "835/lance-Sample1.edi",
    "835/clawd-sample_835_rich.edi", "835/affect-nevada_medicaid.txt",
    "835/stupidedi-X221A1-multiple-claims-single-check.edi", "835/tasty-oneLine-2-ISA.edi",
    "835/clawd-sample_whitespace_irregular.edi", "835/pyx12-x12testdata-835id.txt",
]  # fmt: skip
SEEDS_837 = [
    "837/lfh-demo.example11.837", "837/imsweb-x12_complex.txt", "837/clawd-sample_837_prof.edi",
    "837/stupidedi-X222A1-anesthesia.edi", "837/imsweb-x12_valid_different_separators.txt",
]  # fmt: skip
SEEDS = {name: (FIXTURES / "realworld" / name).read_bytes() for name in SEEDS_835 + SEEDS_837}
# Bytes that matter to X12: delimiters, digits, letters, line breaks, NUL, a Windows-1252 byte.
INTERESTING = st.sampled_from(list(b"*~:^|>!\n\r0123456789.-EISAGSTBPRCLMSV \x00\x1a\x92\xc9"))
CONTENT = (Era, EraFinding, Claim, ClaimLine, LedgerEntry)


@st.composite
def mutated(draw: st.DrawFn, seeds: list[str]) -> tuple[str, bytes]:
    name = draw(st.sampled_from(seeds))
    data = bytearray(SEEDS[name])
    for _ in range(draw(st.integers(1, 4))):
        if not data:
            break
        # Mostly after the ISA header (a damaged header is one reason; the body has many).
        start = 0 if draw(st.integers(0, 5)) == 0 else min(120, len(data) - 1)
        at = draw(st.integers(start, len(data) - 1))
        kind = draw(st.sampled_from(["flip", "insert", "delete", "cut", "repeat", "digits"]))
        if kind == "flip":
            data[at] = draw(INTERESTING)
        elif kind == "insert":
            data[at:at] = bytes(draw(st.lists(INTERESTING, min_size=1, max_size=8)))
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 40))]
        elif kind == "cut":
            del data[at:]
        elif kind == "repeat":
            end = min(len(data), at + draw(st.integers(1, 300)))
            data[end:end] = data[at:end]
        else:  # an over-long or odd number where an amount may be
            data[at:at] = draw(st.sampled_from(
                [b"99999999999999999999999.99", b"1E+400", b"-0.001", b"NaN", b"1,000"]))
    return name, bytes(data)


def counts(store: Store) -> dict[str, int]:
    with store.read() as session:
        return {t.__name__: session.exec(select(func.count()).select_from(t)).one()
                for t in (*CONTENT, ImportedFile)}  # fmt: skip


def _read_payments(data: bytes) -> set[tuple[str, str, int]] | None:
    """The payments the file holds (trace number, payer, cents: what identifies a payment),
    read again on their own (None: not a readable 835)."""
    try:
        stream = X12Stream([data])
        return {(era.check_number, payer_key(era), int(era.amount * 100))
                for era in Reader835(stream)}  # fmt: skip
    except FileRejected:
        return None


def _check(store: Store, actor: users.Actor, name: str, data: bytes) -> None:
    before = counts(store)
    result = intake.import_bytes(store, f"fuzz/{name}", data, actor)
    after = counts(store)
    assert after["ImportedFile"] == before["ImportedFile"] + 1  # every file is reported
    if result.status is intake.ImportStatus.REJECTED:
        assert result.errors and result.errors[0].startswith(f"fuzz/{name}: ")
        assert len(result.errors[0]) > len(f"fuzz/{name}: ") + 10  # a reason, in words
        assert {k: after[k] for k in after if k != "ImportedFile"} == {
            k: before[k] for k in before if k != "ImportedFile"}  # nothing half-written
        return
    assert not result.errors
    if result.findings and result.findings[0].text.startswith("The same file was already"):
        assert result.status is intake.ImportStatus.DUPLICATE and not result.created
        return
    if result.kind == "835":
        read = _read_payments(data)
        assert read is not None
        with store.read() as session:
            stored = {(e.check_number, e.payer_key, e.amount_cents) for e in session.exec(
                select(Era).where(Era.file_id == result.file_id)).all()}  # fmt: skip
        # Every payment of the file is stored now or was already on file: nothing silently lost.
        assert stored <= read
        assert len(result.created) == len(stored)
        missing = read - stored
        if missing:
            texts = " ".join(f.text for f in result.findings)
            for check, _payer, cents in missing:
                amount = f"{Decimal(cents) / 100:.2f}"
                assert f"for {amount}" in texts and ("already on file" in texts or
                                                     "is repeated in this file" in texts), (check, amount)
    for finding in result.findings:
        assert finding.text.strip()


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=mutated(SEEDS_835))
def test_a_mutated_835_is_imported_whole_or_refused_with_a_reason(
    store: Store, biller: users.Actor, case: tuple[str, bytes]
) -> None:
    _check(store, biller, *case)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(case=mutated(SEEDS_837))
def test_a_mutated_837_is_imported_whole_or_refused_with_a_reason(
    store: Store, biller: users.Actor, case: tuple[str, bytes]
) -> None:
    _check(store, biller, *case)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(case=mutated(SEEDS_835 + SEEDS_837))
def test_pctui_import_never_prints_a_traceback(
    tmp_path_factory: pytest.TempPathFactory, db_path, capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch, case: tuple[str, bytes],
) -> None:
    name, data = case
    path = tmp_path_factory.mktemp("fuzz") / name.split("/")[1]
    path.write_bytes(data)
    monkeypatch.setattr(users, "os_login", lambda: "carol")
    code = cli.main(["--db", str(db_path), "import", "--json", str(path)])
    out, err = capsys.readouterr()
    assert code in (0, 1)
    assert "Traceback" not in out + err
    [result] = json.loads(out)
    assert result["status"] in ("imported", "duplicate", "rejected")
    assert (code == 1) == (result["status"] == "rejected")
