"""Release 835 as a biller's working list: released payments out of the way, a payment found by
the patient's name or claim number, sorted by any column, exported; the rejected-files view offers
only keys that work there."""

from __future__ import annotations

from datetime import date

from pctui.store import release
from pctui.ui.widgets.list_table import ListPanel
from tests.ui.helpers import listed, rendered, type_text
from tests.ui.test_release_835 import practice, section  # noqa: F401


def checks(app) -> list[str]:
    return [r[0] for r in listed(section(app).table, ["check"])]


async def test_released_payments_are_hidden_until_h_shows_them(
        make_app, store, admin, practice) -> None:  # noqa: F811
    release.release_era(store, admin, practice["noclaim"], date(2026, 11, 22), "B1")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        await pilot.pause()
        assert checks(app) == ["CHK-READY", "CHK-BLOCKED"]
        assert "released hidden (h shows them)" in rendered(app)
        await pilot.press("h")
        await pilot.pause()
        assert checks(app) == ["CHK-READY", "CHK-BLOCKED", "CHK-NOCLAIM"]
        await pilot.press("h")
        await pilot.pause()
        assert checks(app) == ["CHK-READY", "CHK-BLOCKED"]


async def test_a_payment_is_found_by_the_patients_claim_number_across_every_835(
        make_app, practice) -> None:  # noqa: F811
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4", "slash")
        await type_text(pilot, "pcn404")  # the claim CHK-BLOCKED and CHK-NOCLAIM pay
        await pilot.press("enter")
        await pilot.pause()
        assert checks(app) == ["CHK-BLOCKED", "CHK-NOCLAIM"]
        assert "Pays PCN404" in str(section(app).query_one("#era-line").render())
        assert "2 payments match" in rendered(app)
        await pilot.press("escape")  # clears the search: every payment again
        await pilot.pause()
        assert checks(app) == ["CHK-READY", "CHK-BLOCKED", "CHK-NOCLAIM"]
        assert not section(app).query_one(ListPanel).search_input.value


async def test_the_list_sorts_by_amount_in_sql(make_app, practice) -> None:  # noqa: F811
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4", "s")
        await pilot.pause()
        await pilot.press("down", "down", "down", "enter")  # (as listed), Rel, Check, Amount
        await pilot.pause()
        assert section(app).table.sort_column == "amount"
        assert [r[0] for r in listed(section(app).table, ["amount"])] == [
            "35.00", "35.00", "140.00"]


async def test_the_rejected_files_view_offers_only_keys_that_work_there(
        make_app, store, admin, practice) -> None:  # noqa: F811
    from pctui.store import intake

    intake.import_bytes(store, "notes.txt", b"not an 835", admin)
    app = make_app()
    async with app.run_test(size=(120, 30)) as pilot:
        await pilot.press("f4", "v")
        await pilot.pause()
        footer = rendered(app).splitlines()[-1]
        for lying in ("Mark", "Detail", "Release", "Released", "Clear filters"):
            assert f" {lying} " not in f" {footer} ", lying
        assert "Rejected files" in footer
        await pilot.press("space", "r", "d")  # no longer bound here: nothing happens, no toast
        await pilot.pause()
        assert not app._notifications
        await pilot.press("v")
        await pilot.pause()
        assert checks(app) == ["CHK-READY", "CHK-BLOCKED", "CHK-NOCLAIM"]
        await pilot.press("v")  # and Escape leaves the rejected files too
        await pilot.pause()
        assert "Files refused" in rendered(app)
        await pilot.press("escape")
        await pilot.pause()
        assert checks(app) == ["CHK-READY", "CHK-BLOCKED", "CHK-NOCLAIM"]


async def test_a_payments_raw_835_opens_in_the_users_pager(
        make_app, practice, tmp_path, monkeypatch) -> None:  # noqa: F811
    import contextlib
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # where the pager's copy is made
    seen = tmp_path / "seen"
    seen.mkdir()
    monkeypatch.setenv("PAGER", f"cp --target-directory={seen}")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        monkeypatch.setattr(app, "suspend", contextlib.nullcontext)  # no terminal to hand over
        await pilot.press("f4", "d")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("o")
        await pilot.pause()
    (copy,) = seen.iterdir()
    text = copy.read_text()
    assert "CHK-READY.835" in text.splitlines()[0]
    assert any(line.startswith("TRN*1*CHK-READY*") for line in text.splitlines())
    assert any(line.startswith("CLP*PCN100*") for line in text.splitlines())
    assert not list(tmp_path.glob("pctui-835-*"))  # the copy for the pager is removed


async def test_a_released_payments_error_report_exports_to_csv(
        make_app, store, admin, practice, tmp_path) -> None:  # noqa: F811
    release.release_era(store, admin, practice["noclaim"], date(2026, 11, 22), "B9")
    target = tmp_path / "errors.csv"
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4", "h")
        await pilot.pause()
        section(app).table.move_to(lambda r: r.check_number == "CHK-NOCLAIM")
        await pilot.press("d")
        await app.workers.wait_for_complete()
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one("#export-path").value = str(target)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
    lines = target.read_text().splitlines()
    assert lines[0] == "Check/EFT,Batch,Released,Error report line"
    assert lines[1].startswith("CHK-NOCLAIM,B9,") and "PCN404" in lines[1]


# -- from a blocked 835 to its rule, with the payer its name suggests or a new one ----------------


async def test_the_rule_drawer_suggests_the_payer_the_835_names(
        make_app, store, practice) -> None:  # noqa: F811
    from pctui.ui.screens.rule_drawer import RuleDrawer

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        await pilot.pause()
        section(app).table.move_to(lambda r: r.check_number == "CHK-BLOCKED")  # ACME HEALTH
        await pilot.press("enter")
        await pilot.pause()
        drawer = app.screen
        assert isinstance(drawer, RuleDrawer)
        from pctui.store import payers
        acme = next(p for p in payers.list_payers(store) if p.code == "ACME")
        assert drawer.query_one("#payer").value == acme.id
        hint = str(drawer.query_one("#field-payer .field-hint").render())
        assert 'Suggested: Acme Health Plan matches the 835\'s "ACME HEALTH"' in hint
        await pilot.press("ctrl+s", "y")  # attach 55555 to ACME and save
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, RuleDrawer)
        assert "CHK-BLOCKED" in checks(app)
    from pctui.store import eras
    assert eras.get_era(store, practice["blocked"]).status is eras.EraStatus.READY


async def test_a_new_payer_is_added_from_the_rule_drawer_and_owns_the_inbound_id(
        make_app, store, admin) -> None:
    from datetime import UTC, datetime

    from pctui.store import eras, payers
    from pctui.ui.screens.payer_form import PayerForm
    from pctui.ui.screens.rule_drawer import RuleDrawer
    from tests.ui.helpers import choose
    from tests.ui.test_release_835 import import_era, pays_unknown_claim, remittance

    era_id = import_era(store, admin, remittance("CHK-MOO", "77001", "MUTUAL OF OMAHA",
                                                 pays_unknown_claim()),
                        datetime(2026, 11, 21, tzinfo=UTC))
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4", "enter")
        await pilot.pause()
        assert isinstance(app.screen, RuleDrawer)
        assert "No payer's name matches" in str(
            app.screen.query_one("#field-payer .field-hint").render())
        await choose(pilot, "payer", "+ New payer")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, PayerForm)
        assert form.query_one("#name").value == "MUTUAL OF OMAHA"
        assert form.query_one("#inbound_ids").value == "77001"
        form.query_one("#code").focus()
        await type_text(pilot, "MOO")
        await pilot.press("ctrl+s")
        await app.workers.wait_for_complete()
        await pilot.pause()
        drawer = app.screen
        assert isinstance(drawer, RuleDrawer)
        moo = next(p for p in payers.list_payers(store) if p.code == "MOO")
        assert drawer.query_one("#payer").value == moo.id and moo.inbound_ids == ("77001",)
        await pilot.press("ctrl+s")  # no attach question: MOO owns 77001 already
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, RuleDrawer)
    assert eras.get_era(store, era_id).status is eras.EraStatus.READY
