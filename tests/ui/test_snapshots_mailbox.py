"""What PAYMENTS → Mailbox, its file viewer, its filters, Poll now and Test connection look like
at 80x24 and 120x40."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime

import pytest

from pctui.store import connections, payers
from pctui.store.connections import ConnectionDraft
from pctui.store.tables import MailboxFile
from tests.exchange.samples import ack_999, claims_837, era_835
from tests.ui.snapshots import SIZES, section_key

MAILBOX = section_key("mailbox")


@pytest.fixture
def utc(monkeypatch):
    """Local time is UTC while the snapshot is taken (times are shown in local time)."""
    import time

    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def filled(store, admin, secrets):
    """Files at fixed times (snapshots must not depend on the clock)."""
    with store.write() as session:
        payer_id = payers.save_payer(session, admin, payers.PayerDraft(
            "RUSH", "Rushmore Life", "commercial", "RUSH1", ["1935665544"])).id
    conn = connections.save_connection(store, secrets, admin, ConnectionDraft(
        payer_id, "Rushmore SFTP", "sftp", "sftp.rushmore.example:22", "SUB01", settings={
            "username": "acme", "upload_dir": "/in", "download_dir": "/out"})).id
    rows = [
        ("in", "remit_0001.835", "835", era_835(), "imported", {"summary": "1 payment on "
                                                                "Release 835"}),
        ("in", "ack_7001.999", "999", ack_999(), "acknowledgment", {
            "summary": "999 for group 1001: 2 of 3 transaction sets accepted, 1 rejected"}),
        ("out", "claims_0001.837", "837", claims_837(), "sent", {"note": ""}),
        ("out", "claims_prod.837", "837", claims_837("P"), "refused", {"errors": [
            "ISA15 is 'P' but RUSH / Rushmore SFTP is a test connection (ISA15 T): not sent"]}),
    ]
    with store.write() as session:
        for i, (direction, name, kind, data, result, detail) in enumerate(rows):
            session.add(MailboxFile(
                connection_id=conn, direction=direction, name=name, remote_name=name, kind=kind,
                sha256=hashlib.sha256(data).hexdigest(), size=len(data), content=data,
                at=datetime(2026, 1, 5, 9 + i, 30, tzinfo=UTC), user_login="bob", result=result,
                detail=json.dumps(detail),
                receipt_key=f"k{i}" if direction == "in" else None))


@pytest.mark.parametrize("size", SIZES)
def test_mailbox_section(snap_compare, make_app, filled, utc, size) -> None:
    assert snap_compare(make_app(), terminal_size=size, press=[MAILBOX])


@pytest.mark.parametrize("size", SIZES)
def test_mailbox_file_viewer(snap_compare, make_app, filled, utc, size) -> None:
    assert snap_compare(make_app(), terminal_size=size, press=[MAILBOX, "down", "down", "down",
                                                               "enter"])


@pytest.mark.parametrize("size", SIZES)
def test_mailbox_filters(snap_compare, make_app, filled, utc, size) -> None:
    assert snap_compare(make_app(), terminal_size=size, press=[MAILBOX, "f"])


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("key", ["G", "t"], ids=["poll_now", "test_connection"])
def test_connection_work_dialogs(snap_compare, make_app, filled, size, key) -> None:
    """The connection is not ready (no password, no host key): said in words, nothing tried."""
    async def run_before(pilot) -> None:
        await pilot.press(key)
        await pilot.app.workers.wait_for_complete()
        await pilot.pause()

    assert snap_compare(make_app(), terminal_size=size, run_before=run_before)
