"""`pctui compliance`, `pctui claims check` and `pctui claims --status` as a script sees them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.exchange.test_claims_out_e2e import practice, sftp  # noqa: F401 - fixtures

from pctui import cli
from pctui.core.claim import Address
from pctui.core.sample_claims import sample_claim
from pctui.store import users
from pctui.x12.write837 import Envelope, write_837

CONFIG = {
    "payers": [{"code": "BCBS", "name": "Blue Cross Blue Shield", "insurance_class": "commercial",
                "inbound_ids": ["84980"], "outbound_id": "84980"}],
    "connections": [{"payer_code": "BCBS", "name": "BCBS via Claim.MD", "gateway_type": "sftp",
                     "endpoint": "sftp://sftp.claim.md:22/SendFiles",
                     "submitter_id": "PCTUI0001", "receiver_id": "CLAIMMD",
                     "compliance_rules": ["BILLING-ZIP-9", "OLD-LABEL"]}],
}  # fmt: skip


@pytest.fixture
def run(db_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch):
    """The CLI on a fresh database as OS login 'carol' (its first user: an admin)."""
    monkeypatch.setattr(users, "os_login", lambda: "carol")

    def invoke(*argv: str) -> tuple[int, str, str]:
        code = cli.main(["--db", str(db_path), *argv])
        out, err = capsys.readouterr()
        return code, out, err

    return invoke


@pytest.fixture
def day(run, tmp_path: Path) -> Path:
    """A configured database with today's 837P imported: one good claim, one with a 5-digit ZIP."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps(CONFIG))
    assert run("config", "import", str(config))[0] == 0
    bad = sample_claim("ZIP5-1", 1)
    assert bad.billing_provider is not None
    bad.billing_provider.address = Address("100 MAIN ST", "", "SPRINGFIELD", "IL", "62701")
    text = write_837([sample_claim("GOOD-1"), bad], Envelope("EHR", "PRACTICE", 5)).text
    path = tmp_path / "day.837"
    path.write_text(text)
    assert run("import", str(path))[0] == 0
    return path


def test_the_catalogue_lists_every_edit_with_its_place_and_the_unknown_labels(run, day) -> None:
    code, out, err = run("compliance", "--json")

    assert (code, err) == (0, "")
    rows = {row["id"]: row for row in json.loads(out)}
    assert rows["BILLING-ZIP-9"] == {
        "id": "BILLING-ZIP-9", "description": "The billing provider's ZIP code has 9 digits "
        "(ZIP+4)", "location": {"loop": "2010AA", "segment": "N4", "element": "N403"},
        "severity": "hold", "kind": "pattern", "always": False, "source": "pctui",
        "connections": ["BCBS via Claim.MD"], "active": True}  # fmt: skip
    assert rows["5010-SNIP2"]["always"] is True
    assert rows["OLD-LABEL"]["source"] == "unknown"
    assert rows["OLD-LABEL"]["description"] == "unknown rule: pctui has no such edit; ignored"
    code, out, _ = run("compliance")
    assert code == 0 and "OLD-LABEL" in out and "unknown rule: ignored" in out


def test_claims_check_holds_the_failing_claim_and_exits_1(run, day) -> None:
    code, out, err = run("claims", "check", "--json")

    assert code == 1
    rows = {row["claim_id"]: row for row in json.loads(out)}
    assert rows["GOOD-1"] == {"claim_id": "GOOD-1", "status": "ready",
                              "connection": "BCBS via Claim.MD", "edits": [],
                              "unknown_rules": ["OLD-LABEL"]}  # fmt: skip
    [edit] = rows["ZIP5-1"]["edits"]
    assert (edit["rule"], edit["message"], edit["location"], edit["value"]) == (
        "BILLING-ZIP-9", "Billing provider ZIP code must have 9 digits", "2010AA N403", "62701")
    code, out, _ = run("claims", "--json", "--status", "held")
    [held] = json.loads(out)
    assert (held["claim_id"], held["status"]) == ("ZIP5-1", "held")
    assert held["status_reason"] == (
        "Billing provider ZIP code must have 9 digits (found '62701') — 2010AA N403")
    code, out, _ = run("claims", "--status", "ready")
    assert "GOOD-1" in out and "ZIP5-1" not in out and "Ready to submit" in out


def test_checking_one_good_claim_exits_0_and_an_unknown_id_exits_1(run, day) -> None:
    code, out, err = run("claims", "check", "GOOD-1")
    assert (code, err) == (0, "")
    assert out.splitlines()[0] == "GOOD-1: Ready to submit via BCBS via Claim.MD"
    code, out, err = run("claims", "check", "NOPE-9")
    assert code == 1 and "claim NOPE-9 is not on file" in err


def test_submit_sends_through_the_mailbox_and_lists_acknowledgments(
    run, store, admin, biller, secrets, sftp, practice, monkeypatch, db_path  # noqa: F811
) -> None:
    """`pctui submit --json` (SPEC 3 keys), then a poll brings a 999 back."""
    from tests.exchange.test_claims_out_e2e import drop
    from tests.store.test_scrub import import_claims
    from tests.x12.ack_samples import nine_nine_nine

    from pctui.secrets import SecretStore

    monkeypatch.setattr(SecretStore, "for_database", classmethod(lambda cls, *a, **k: secrets))
    monkeypatch.setattr(users, "os_login", lambda: "bob")  # the practice's biller
    bad = sample_claim("CLIZIP-1", 1, lines=1)
    assert bad.billing_provider is not None and bad.billing_provider.address is not None
    bad.billing_provider.address.postal_code = "62701"
    import_claims(store, biller, sample_claim("CLI-1", lines=1), bad)

    code, out, err = run("submit", "--json")

    assert code == 1  # one claim was held
    rows = {r["claim_id"]: r for r in json.loads(out)}
    assert rows["CLI-1"] == {"claim_id": "CLI-1", "status": "submitted",
                             "connection": "BCBS via clearinghouse",
                             "file": "PCTUI0001_000000001.837", "edits": [], "message": ""}
    held = rows["CLIZIP-1"]
    assert (held["status"], held["file"]) == ("held", None)
    assert [(e["rule"], e["location"]) for e in held["edits"]] == [("BILLING-ZIP-9",
                                                                    "2010AA N403")]
    assert "claim CLIZIP-1 held: Billing provider ZIP code must have 9 digits" in err

    drop(sftp, "ack.999", nine_nine_nine("1", [("0001", "A", [])], "A"))
    code, out, _ = run("poll", "--json")
    assert code == 0
    code, out, _ = run("claims", "--json", "--status", "acknowledged")
    assert [r["claim_id"] for r in json.loads(out)] == ["CLI-1"]
    code, out, _ = run("acknowledgments", "--json")
    [ack] = json.loads(out)
    assert (ack["kind"], ack["matched"], ack["submission"]) == (
        "999", True, "PCTUI0001_000000001.837")
    # submitting again sends nothing twice; the held claim is checked again and still held
    code, out, err = run("submit")
    assert code == 1 and out.splitlines() == [
        "  CLIZIP-1: held",
        "      BILLING-ZIP-9: Billing provider ZIP code must have 9 digits (found '62701') — "
        "2010AA N403"]
    assert len(list((sftp.root / "SendFiles").iterdir())) == 1
