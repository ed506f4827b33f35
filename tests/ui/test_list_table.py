"""Every list fits 80 columns, sorts, searches, exports and moves like a biller expects.

Told on ADMIN → Insurance Payers (the same widget serves every list) and on the paged lists."""

from __future__ import annotations

import stat

from pctui.ui.screens.insurance_payers import InsurancePayersSection
from pctui.ui.widgets.list_table import ExportDialog, ListTable, SortPicker
from tests.ui.helpers import listed, rendered, type_text
from tests.ui.test_snapshots_insurance_payers import populated  # noqa: F401 - the fixture


def connections_table(app) -> ListTable:
    return app.query_one(InsurancePayersSection).query_one("#connections", ListTable)


async def test_the_api_key_column_fits_at_80_columns_and_more_show_when_wider(
        make_app, populated) -> None:  # noqa: F811
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        screen = rendered(app)
        assert "API key" in screen and "set ••••1234" in screen
        assert "Endpoint" not in screen  # off to the right, reached with →
        await pilot.press("right", "right", "right")
        await pilot.pause()
        assert "Endpoint" in rendered(app)
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.pause()
        screen = rendered(app)
        assert "https://edi.bcbstx.example/v2/claims" in screen  # the whole endpoint
        assert "Gateway" in screen and "HTTPS API" in screen


async def test_right_scrolls_sideways_one_whole_column(make_app, populated) -> None:  # noqa: F811
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = connections_table(app)
        await pilot.pause()
        first = table.ordered_columns[0].get_render_width(table)
        await pilot.press("right")
        await pilot.pause()
        assert table.scroll_x == first
        await pilot.press("left")
        await pilot.pause()
        assert table.scroll_x == 0


async def test_sort_by_a_column_from_the_keyboard_and_again_to_reverse(
        make_app, populated) -> None:  # noqa: F811
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = connections_table(app)
        await pilot.press("i")  # the deactivated connection too
        await pilot.pause()
        assert listed(table, ["name"]) == [["BCBS TX direct API"], ["Medicare SFTP"],
                                           ["Old Medicare gateway (inactive)"]]
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, SortPicker)
        await pilot.press("down", "down", "enter")  # (as listed), Payer, Connection
        await pilot.pause()
        assert table.sort_column == "name" and not table.sort_reverse
        await pilot.press("s", "enter")  # the current column again: reversed
        await pilot.pause()
        assert listed(table, ["name"]) == [["Old Medicare gateway (inactive)"],
                                           ["Medicare SFTP"], ["BCBS TX direct API"]]
        assert "Connection ▼" in rendered(app)


async def test_search_keeps_matching_rows_says_how_many_and_escape_clears_it(
        make_app, populated) -> None:  # noqa: F811
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = connections_table(app)
        await pilot.press("slash")
        await type_text(pilot, "sftp")
        await pilot.pause()
        assert listed(table, ["name"]) == [["Medicare SFTP"]]
        assert "1 of 2" in rendered(app)
        await pilot.press("enter")  # back to the list; the search stays, and says so
        await pilot.pause()
        assert app.focused is table and "1 of 2" in rendered(app)
        await pilot.press("escape")  # in the list: clears the search
        await pilot.pause()
        assert len(table.shown) == 2 and "1 of 2" not in rendered(app)


async def test_home_and_end_move_the_cursor_to_the_first_and_last_row(
        make_app, populated) -> None:  # noqa: F811
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = connections_table(app)
        await pilot.press("end")
        assert table.cursor_row == 1
        await pilot.press("home")
        assert table.cursor_row == 0


async def test_a_list_exports_to_a_private_csv_file(make_app, populated, tmp_path) -> None:  # noqa: F811
    app = make_app()
    target = tmp_path / "connections.csv"
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+e")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog)
        app.screen.query_one("#export-path").value = str(target)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Wrote 2 connections" in rendered(app)
        await pilot.press("escape")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    lines = target.read_text().splitlines()
    assert lines[0] == "Payer,Connection,API key,Gateway,Active,Endpoint,Compliance rules"
    assert lines[1].startswith("BCBS,BCBS TX direct API,set ••••1234,HTTPS API,yes,")
    assert "sk_live" not in target.read_text()  # never a key


async def test_n_on_the_last_page_says_so(make_app, store, admin) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f5", "n")
        await pilot.pause()
        assert any("last page" in n.message for n in app._notifications)


async def test_escape_closes_a_search_opened_by_mistake_and_the_footer_says_how(
        make_app, populated) -> None:  # noqa: F811
    from pctui.ui.widgets.key_footer import KeyFooter

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        table = connections_table(app)
        await pilot.pause()
        await pilot.press("slash")  # opened, nothing typed
        await pilot.pause()
        footer = str(app.screen.query_one(KeyFooter).render())
        assert "⏎ To the list" in footer and "esc Clear search" in footer, footer
        await pilot.press("escape")  # changed my mind: back to the list, the line gone
        await pilot.pause()
        assert app.focused is table
        assert not table.parent.query_one(".list-search").display
        await pilot.press("slash")
        await type_text(pilot, "sftp")
        await pilot.press("escape")  # typed, then Escape: cleared and closed at once
        await pilot.pause()
        assert app.focused is table and len(table.shown) == 2
        assert not table.parent.query_one(".list-search").display
