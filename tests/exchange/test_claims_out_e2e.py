"""Claims out end to end, against a real SFTP mailbox on 127.0.0.1: import the day's 837P,
submit, the clearinghouse receives a valid 837P, its 999 and 277CA come back (one claim
accepted, one rejected), a poll moves the statuses, an 835 pays the accepted claim, its release
makes it paid."""

from __future__ import annotations

import zlib
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlmodel import select

from pctui import exchange
from pctui.core.claim import Address
from pctui.core.era import Adjustment, ClaimPayment, Remittance, ServicePayment
from pctui.core.sample_claims import sample_claim
from pctui.exchange import claims_out
from pctui.gateways import RetryPolicy
from pctui.store import claims, config_doc, connections, eras, mailbox, release
from pctui.store.connections import ConnectionDraft
from pctui.store.tables import Payer
from pctui.x12.read837 import read_837
from pctui.x12.validate837 import validate_837
from pctui.x12.write835 import write_835
from tests.servers import SftpServer
from tests.store.test_scrub import import_claims
from tests.x12.ack_samples import nine_nine_nine, two_seventy_seven

FAST = RetryPolicy(attempts=3, first_delay=0.01, max_delay=0.02)
D = Decimal
DOS = date(2026, 11, 20)
BCBS = {"code": "BCBS", "name": "Blue Cross Blue Shield", "insurance_class": "commercial",
        "inbound_ids": ["84980"], "outbound_id": "84980"}
LEVEL = {"payment_code": "PCON", "adjustment_code": "AIWO"}


@pytest.fixture
def sftp(tmp_path: Path):
    root = tmp_path / "mailbox"
    for folder in ("SendFiles", "ReceiveFiles"):
        (root / folder).mkdir(parents=True)
    with SftpServer(root) as server:
        yield server


@pytest.fixture
def practice(store, admin, secrets, sftp) -> int:
    """BCBS with its posting rule and an SFTP connection listing two companion-guide edits."""
    config_doc.import_config(store, admin, {
        "payers": [BCBS],
        "rules": [{"inbound_id": "84980", "payer_code": "BCBS",
                   "levels": {"primary": LEVEL, "secondary": LEVEL, "tertiary": LEVEL}}]})
    with store.read() as session:
        payer_id = session.exec(select(Payer.id).where(Payer.code == "BCBS")).one()
    view = connections.save_connection(store, secrets, admin, ConnectionDraft(
        payer_id, "BCBS via clearinghouse", "sftp", sftp.endpoint, "PCTUI0001", "CLAIMMD",
        ["BILLING-ZIP-9", "NPI-CHECK-DIGIT"],
        settings={"username": sftp.username, "host_key": sftp.fingerprint,
                  "upload_dir": "/SendFiles", "download_dir": "/ReceiveFiles",
                  "timeout_seconds": 5}), api_key=sftp.password)  # fmt: skip
    return view.id


def status(store, claim_id: str) -> tuple[str, str]:
    [row] = claims.list_claims(store, claim_id)
    return row.status, row.status_reason


def drop(server: SftpServer, name: str, text: str | bytes) -> None:
    data = text.encode() if isinstance(text, str) else text
    (server.root / "ReceiveFiles" / name).write_bytes(data)


def payment_for(claim_id: str, charge: str, paid: str) -> Remittance:
    line = ServicePayment("99213", charge=D(charge), paid=D(paid), units=D(1), service_date=DOS,
                          control_number=f"{claim_id}-1",
                          adjustments=[Adjustment("CO", "45", D(charge) - D(paid))])
    clp = ClaimPayment(claim_id, "1", D(charge), D(paid), service_lines=[line])
    return Remittance(control_number="0001", interchange_control="000000001", sender_id="84980",
                      amount=D(paid), payment_method="ACH", payment_date=DOS,
                      check_number="EFT900100", trn_originator="1840980000",
                      payer_name="BLUE CROSS BLUE SHIELD", payer_id="84980",
                      payee_name="RIVERSIDE FAMILY MEDICINE", claims=[clp])  # fmt: skip


def test_submit_acknowledge_reject_and_pay_through_a_real_mailbox(
    store, admin, biller, secrets, sftp, practice
) -> None:
    accepted = sample_claim("E2E-1", lines=1)
    rejected = sample_claim("E2E-2", 2, lines=1)
    held = sample_claim("E2E-3", 3, lines=1)
    assert held.billing_provider is not None
    held.billing_provider.address = Address("1 MAIN ST", "", "SPRINGFIELD", "IL", "62701")
    import_claims(store, biller, accepted, rejected, held)

    run = claims_out.submit(store, secrets, biller)

    by_id = {r.claim_id: r for r in run.results}
    assert {c: r.status for c, r in by_id.items()} == {
        "E2E-1": "submitted", "E2E-2": "submitted", "E2E-3": "held"}
    # the clearinghouse received one valid 837P with the connection's envelope
    [uploaded] = list((sftp.root / "SendFiles").iterdir())
    text = uploaded.read_text()
    assert validate_837(text) == []
    assert [c.claim_id for c in read_837(text).claims] == ["E2E-1", "E2E-2"]
    isa = text.splitlines()[0].split("*")
    assert (isa[6].strip(), isa[8].strip(), isa[15]) == ("PCTUI0001", "CLAIMMD", "T")
    control = isa[13]
    # the send is in the mailbox with who sent it
    [out] = mailbox.entries(store, mailbox.MailboxFilter(direction="out"))
    assert (out.kind, out.result, out.user) == ("837", "sent", "bob")

    drop(sftp, "ack_0001.999", nine_nine_nine(str(int(control)), [("0001", "A", [])], "A"))
    drop(sftp, "status_0001.277", two_seventy_seven(control, [
        ("E2E-1", "A2:20:PR", "PAYER0001"), ("E2E-2", "A7:33:IL", "")]))
    (result,) = exchange.poll(store, secrets, biller, [practice], retry=FAST)

    assert result.ok, result.errors
    assert status(store, "E2E-1")[0] == "accepted"
    assert status(store, "E2E-2") == (
        "rejected", "277CA: Acknowledgement/Rejected for Invalid Information (A7) — Subscriber "
        "and subscriber id mismatched (33) — entity: Insured or subscriber — Billing provider "
        "ZIP+4 required")
    assert status(store, "E2E-3")[0] == "held"

    remittance = payment_for("E2E-1", "75.00", "60.00")
    drop(sftp, "remit_0001.835",
         write_835([remittance], interchange_control=zlib.crc32(b"E2E") % 10**9))
    exchange.poll(store, secrets, biller, [practice], retry=FAST)
    [era] = eras.list_eras(store, eras.EraFilter())
    [released] = release.release_eras(store, biller, [era.id], DOS, "B-E2E")

    assert released.released
    assert status(store, "E2E-1") == ("paid", "835 EFT900100: paid 60.00 of 75.00")
    [row] = claims.list_claims(store, "E2E-1")
    assert row.paid == D("60.00") and row.adjusted == D("15.00")


def test_a_mailbox_that_refuses_the_login_leaves_the_claims_ready_and_says_why(
    store, admin, biller, secrets, sftp, practice
) -> None:
    import_claims(store, biller, sample_claim("E2E-9", lines=1))
    sftp.password = "changed-on-the-server"  # the key pctui holds no longer logs in

    run = claims_out.submit(store, secrets, biller)

    [result] = run.results
    assert result.status == "not_sent"
    assert "Login" in result.message or "login" in result.message
    assert status(store, "E2E-9")[0] == "ready"
    assert list((sftp.root / "SendFiles").iterdir()) == []


def pyx12_999(text: str) -> str:
    """The 999 pyx12 (a third party's tool) writes for an 837P it validated."""
    import io

    import pyx12.params
    import pyx12.x12n_document

    out = io.StringIO()
    pyx12.x12n_document.x12n_document(pyx12.params.ParamsBase(), io.StringIO(text), out, None)
    return out.getvalue()


@pytest.mark.parametrize("damaged", [False, True], ids=["as sent", "damaged on the way"])
def test_a_999_written_by_pyx12_for_the_file_sent_moves_its_claims(
    store, admin, biller, secrets, sftp, practice, damaged
) -> None:
    import_claims(store, biller, sample_claim("PYX-1", lines=1), sample_claim("PYX-2", 2, lines=1))
    claims_out.submit(store, secrets, biller)
    [uploaded] = list((sftp.root / "SendFiles").iterdir())
    received = uploaded.read_text()
    if damaged:  # what the clearinghouse read: the first birth date garbled
        received = received.replace("DMG*D8*", "DMG*D8*X", 1)

    drop(sftp, "pyx12.999", pyx12_999(received))
    (result,) = exchange.poll(store, secrets, biller, [practice], retry=FAST)

    assert result.ok, result.errors
    if not damaged:
        assert [status(store, c)[0] for c in ("PYX-1", "PYX-2")] == ["acknowledged"] * 2
    else:  # the whole transaction set is rejected, each claim with the place pyx12 named
        for claim_id in ("PYX-1", "PYX-2"):
            state, reason = status(store, claim_id)
            assert state == "rejected"
            assert reason.startswith("999:") and "DMG" in reason and "X19500115" in reason, reason
