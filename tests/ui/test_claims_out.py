"""The biller's story in PAYMENTS → Claims Out: the queue by status, why a claim is held (with the
X12 place), correcting it in a form, and the claim's story."""

from __future__ import annotations

import asyncio

import pytest
from textual.widgets import Input, Static

from pctui.core.claim import Address
from pctui.core.sample_claims import sample_claim
from pctui.store import claims, scrub
from pctui.ui.screens.claim_correction import CorrectionForm
from pctui.ui.screens.claim_out_detail import ClaimOutDetail
from pctui.ui.screens.claims_out import ClaimsOutSection
from tests.exchange.test_claims_out_e2e import practice, sftp  # noqa: F401 - fixtures
from tests.store.test_scrub import configure, import_claims
from tests.ui.helpers import listed, rendered, screen_text


@pytest.fixture
def day(store, admin, biller) -> None:
    """Today's 837P: one claim that passes, one with a 5-digit billing ZIP (held when checked)."""
    configure(store, admin)
    bad = sample_claim("ZIP5-1", 1)
    assert bad.billing_provider is not None
    bad.billing_provider.address = Address("100 MAIN ST", "", "SPRINGFIELD", "IL", "62701")
    import_claims(store, biller, sample_claim("GOOD-1"), bad)
    scrub.check_claims(store, biller)


async def open_queue(pilot) -> ClaimsOutSection:
    pilot.app.action_show_section("claims-out")
    await pilot.pause()
    return pilot.app.query_one(ClaimsOutSection)


async def test_the_queue_shows_held_claims_first_with_the_edit_and_its_place(make_app, day) -> None:
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        section = await open_queue(pilot)
        assert [r[:2] for r in listed(section.table, ["status", "claim"])] == [
            ["Held", "ZIP5-1"], ["Ready", "GOOD-1"]]
        detail = str(section.query_one("#queue-detail", Static).render())
        assert "BILLING-ZIP-9: Billing provider ZIP code must have 9 digits (found '62701') — " \
               "2010AA N403" in detail
        counts = str(section.query_one("#queue-counts", Static).render())
        assert "Held 1" in counts and "Ready 1" in counts


async def test_correcting_the_zip_in_the_form_makes_the_claim_ready(make_app, day, store) -> None:
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        section = await open_queue(pilot)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, CorrectionForm)
        first = app.screen.query(Input).first()
        assert first.id == "input-billing-zip" and first.value == "62701" and first.has_focus
        assert "✗ Billing provider ZIP code must have 9 digits" in screen_text(pilot)
        first.value = "627011234"
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, CorrectionForm)
        assert claims.list_claims(store, "ZIP5-1")[0].status == "ready"
        assert [r[:2] for r in listed(section.table, ["status", "claim"])] == [
            ["Ready", "GOOD-1"], ["Ready", "ZIP5-1"]]


async def test_a_bad_value_is_named_beside_its_field_and_nothing_is_saved(make_app, day,
                                                                          store) -> None:  # fmt: skip
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_queue(pilot)
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#input-billing-zip", Input).value = "6270"
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, CorrectionForm)
        assert "✗ 5 or 9 digits" in screen_text(pilot)
        assert claims.list_claims(store, "ZIP5-1")[0].status == "held"


async def test_the_detail_tells_the_claims_story(make_app, day) -> None:
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_queue(pilot)
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ClaimOutDetail)
        text = screen_text(pilot)
        assert "Failed edits" in text and "2010AA N403" in text
        assert "Held by edits (check, bob)" in text
        assert "Not sent yet." in text
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ClaimOutDetail)


async def test_checking_from_the_queue_holds_what_fails_and_says_how_many(make_app, store,
                                                                         admin, biller) -> None:  # fmt: skip
    configure(store, admin)
    bad = sample_claim("ZIP5-2", 1)
    assert bad.billing_provider is not None and bad.billing_provider.address is not None
    bad.billing_provider.address.postal_code = "62701"
    import_claims(store, biller, bad, sample_claim("GOOD-2", 2))
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        section = await open_queue(pilot)
        assert [r[0] for r in listed(section.table, ["status"])] == ["Ready", "Ready"]
        await pilot.press("c")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [r[:2] for r in listed(section.table, ["status", "claim"])] == [
            ["Held", "ZIP5-2"], ["Ready", "GOOD-2"]]
        assert any("2 claims checked: 1 held, 1 ready" in str(n.message)
                   for n in app._notifications)


async def test_g_steps_through_the_status_groups(make_app, day) -> None:
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        section = await open_queue(pilot)
        await pilot.press("g")
        await pilot.pause()
        assert section.group is not None and section.group.value == "held"
        assert [r[1] for r in listed(section.table, ["status", "claim"])] == ["ZIP5-1"]
        await pilot.press("G")
        await pilot.pause()
        assert section.group is None


async def test_someone_not_registered_may_look_but_not_check(make_app, day) -> None:
    app = make_app("mallory")
    async with app.run_test(size=(80, 24)) as pilot:
        section = await open_queue(pilot)
        await pilot.press("c")
        await pilot.pause()
        assert not section.checking
        assert "read-only for you" in screen_text(pilot)


async def test_marking_and_submitting_sends_the_ready_claims_through_the_mailbox(
    make_app, store, admin, biller, secrets, sftp, practice  # noqa: F811 - fixtures
) -> None:
    from tests.exchange.test_claims_out_e2e import status

    bad = sample_claim("UIZIP-1", 1, lines=1)
    assert bad.billing_provider is not None and bad.billing_provider.address is not None
    bad.billing_provider.address.postal_code = "62701"
    import_claims(store, biller, sample_claim("UI-1", lines=1), sample_claim("UI-2", 2, lines=1),
                  bad)
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        section = await open_queue(pilot)
        await pilot.press("m")
        await pilot.pause()
        assert len(section.marked) == 3  # unchecked claims are ready until the edits run
        await pilot.press("S")
        await pilot.pause()
        assert "Send 3 claims (UI-1, UI-2, UIZIP-1)" in screen_text(pilot)
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert [status(store, c)[0] for c in ("UI-1", "UI-2", "UIZIP-1")] == [
            "submitted", "submitted", "held"]
        [uploaded] = list((sftp.root / "SendFiles").iterdir())
        assert uploaded.read_text().count("CLM*") == 2
        assert any("2 claims submitted in PCTUI0001_000000001.837; 1 held by edits" in
                   str(n.message) for n in app._notifications)
        assert section.marked == set()
        assert [r[:2] for r in listed(section.table, ["status", "claim"])] == [
            ["Held", "UIZIP-1"], ["Submitted", "UI-1"], ["Submitted", "UI-2"]]


async def test_a_held_claim_cannot_be_marked_and_says_why(make_app, day) -> None:
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        section = await open_queue(pilot)
        await pilot.press("space")
        await pilot.pause()
        assert section.marked == set()
        assert any("ZIP5-1 is held by edits: only a ready or rejected claim can be submitted "
                   "(correct it with e)" in str(n.message) for n in app._notifications)


async def test_a_rejected_claim_shows_the_payers_words_is_corrected_and_sent_again(
    make_app, store, admin, biller, secrets, sftp, practice  # noqa: F811 - fixtures
) -> None:
    from pctui import exchange
    from pctui.exchange import claims_out
    from tests.exchange.test_claims_out_e2e import FAST, drop, status
    from tests.x12.ack_samples import two_seventy_seven

    import_claims(store, biller, sample_claim("REJ-1", lines=1))
    # sent and answered before the app starts (the gateways run their own event loop)
    await asyncio.to_thread(claims_out.submit, store, secrets, biller)
    [first] = list((sftp.root / "SendFiles").iterdir())
    control = first.read_text().splitlines()[0].split("*")[13]
    drop(sftp, "status_0001.277", two_seventy_seven(control, [("REJ-1", "A7:33:IL", "")]))
    await asyncio.to_thread(exchange.poll, store, secrets, biller, [practice], retry=FAST)
    words = "Subscriber and subscriber id mismatched (33)"
    assert status(store, "REJ-1")[0] == "rejected"

    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        section = await open_queue(pilot)
        assert [r[:2] for r in listed(section.table, ["status", "claim"])] == [
            ["Rejected", "REJ-1"]]
        assert words in str(section.query_one("#queue-detail", Static).render())
        # The claim's story: sent in the first file, rejected by the 277CA, with its words.
        await pilot.press("d")
        await pilot.pause()
        assert isinstance(app.screen, ClaimOutDetail)
        story = screen_text(pilot)
        assert first.name in story and "status_0001.277" in story and "Rejected" in story
        await pilot.press("escape")
        await pilot.pause()
        # Correct it: the form says why the payer rejected it; the member ID is fixed.
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, CorrectionForm)
        assert words in screen_text(pilot)
        # The 277CA names the subscriber (entity IL): their fields come first, the cursor in
        # the member ID, not in the billing provider's name at the top of an 80x24 form.
        member = app.screen.query_one("#input-subscriber-member_id", Input)
        assert app.focused is member
        member.value = "XYZ999888777"
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, CorrectionForm)
        assert status(store, "REJ-1")[0] == "ready"
        # ... and sent again in a new file with a new control number.
        await pilot.press("space")
        await pilot.press("S")
        await pilot.pause()
        await pilot.press("y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert status(store, "REJ-1")[0] == "submitted"
        files = sorted((sftp.root / "SendFiles").iterdir())
        assert len(files) == 2
        [second] = [f for f in files if f.name != first.name]
        assert "XYZ999888777" in second.read_text()
        assert second.read_text().splitlines()[0].split("*")[13] != control
        await pilot.press("d")
        await pilot.pause()
        story = screen_text(pilot)
        assert first.name in story and second.name in story


async def test_the_failed_edit_beside_a_field_goes_once_the_field_is_changed(make_app, day) -> None:
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_queue(pilot)
        await pilot.press("e")
        await pilot.pause()
        assert "✗ Billing provider ZIP code must have 9 digits" in rendered(app)
        await pilot.press("end", *"1234")  # 627011234: what the edit asked for
        await pilot.pause()
        screen = rendered(app)
        assert "627011234" in screen
        assert "✗ Billing provider ZIP code" not in screen  # no stale error under a fixed field
        assert "2010AA N4 03" in screen  # the field's X12 place instead
