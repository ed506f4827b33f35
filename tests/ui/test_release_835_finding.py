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
