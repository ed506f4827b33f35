"""A search box that is handed a 60,000-character paste (a whole file pasted by mistake): the
app keeps running, the paste is refused whole (a search is at most 200 characters), and
nothing says the database failed (SQLite refuses LIKE patterns past 50,000 bytes). Issue 9 items 6 and 7."""

from __future__ import annotations

from textual import events
from textual.widgets import Input

from pctui.ui.screens.claims import ClaimsSection
from pctui.ui.screens.release_835 import Release835Section
from pctui.ui.widgets.list_table import ListPanel
from tests.ui.test_release_835 import practice  # noqa: F401 - the fixture

PASTED = "PCN100 " + "x" * 60_000


async def paste_into_search(pilot, section) -> Input:
    await pilot.press("slash")
    await pilot.pause()
    box = section.query_one(ListPanel).search_input
    assert pilot.app.focused is box
    box.post_message(events.Paste(PASTED))
    await pilot.pause()
    await pilot.press("enter")
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    return box


def messages(app) -> str:
    return " ".join(str(n.message) for n in app._notifications)


async def test_a_huge_paste_into_the_payment_search_is_refused_and_the_app_runs_on(
    make_app, practice  # noqa: F811
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        await pilot.pause()
        section = app.query_one(Release835Section)
        box = await paste_into_search(pilot, section)
        assert box.value == ""  # refused whole, not cut somewhere in the middle
        assert app.is_running
        assert "database" not in messages(app).lower()
        assert "too complex" not in messages(app)


async def test_a_huge_paste_into_the_claims_search_is_refused_and_the_app_runs_on(
    make_app, practice  # noqa: F811
) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        app.action_show_section("claims")
        await pilot.pause()
        section = app.query_one(ClaimsSection)
        box = await paste_into_search(pilot, section)
        assert box.value == ""
        assert app.is_running
        assert "database" not in messages(app).lower()
        assert "at most 200" not in messages(app)
