"""The app shell: sidebar, help, palette, and the first-admin welcome."""

from __future__ import annotations

from textual.command import CommandPalette
from textual.widgets import OptionList

from pctui.store.db import Store
from pctui.ui.app import SECTIONS, PctuiApp
from pctui.ui.screens.help import HelpScreen
from tests.ui.helpers import screen_text


async def test_the_sidebar_groups_sections_under_admin_and_payments(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)):
        sidebar = app.query_one("#sidebar", OptionList)
        prompts = [str(sidebar.get_option_at_index(i).prompt) for i in range(sidebar.option_count)]
        assert prompts[0] == "ADMIN" and prompts[1].startswith("Insurance Payers")
        groups = [p for p in prompts if p in ("ADMIN", "PAYMENTS")]
        assert groups[0] == "ADMIN"
        assert len(prompts) == len(SECTIONS) + len(groups)


async def test_help_lists_every_key_of_every_section(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = screen_text(pilot)
        for section in SECTIONS:
            assert section.TITLE in text
            for binding in section.BINDINGS:
                assert binding.description in text  # type: ignore[union-attr]
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)


async def test_the_palette_reaches_every_section_and_action(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        titles = [c.title for c in app.get_system_commands(app.screen)]
        for section in SECTIONS:
            assert any(t.endswith(section.TITLE) and t.startswith("Go to") for t in titles)
            for action in section.ACTIONS:
                assert f"{section.TITLE}: {action.title}" in titles
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)


async def test_the_first_user_of_a_new_database_is_told_they_are_admin(tmp_path) -> None:
    from pctui.secrets import SecretStore

    store = Store.open(tmp_path / "new.db")
    app = PctuiApp(store=store, secrets=SecretStore.in_memory(), login="carol")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.actor.is_admin
        assert any("first user of this database" in n.message for n in app._notifications)
    store.close()


async def test_an_unregistered_login_is_told_everything_is_read_only(make_app) -> None:
    app = make_app("mallory")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert app.actor.role is None
        assert any("not registered" in n.message for n in app._notifications)
        assert "not registered in this database" in screen_text(pilot)


async def test_keys_typed_right_after_tab_land_in_the_next_field(make_app) -> None:
    """Typeahead over a slow SSH link arrives in one burst; nothing may land in the wrong field."""
    from textual import events

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3", "2", "a")  # Payer Rules → Payers → Add payer
        await pilot.pause()
        for key in ["B", "C", "B", "S", "tab", "B", "l", "u", "e"]:
            app.post_message(events.Key(key, key if len(key) == 1 else None))
        await pilot.pause(0.3)
        assert app.screen.query_one("#code").value == "BCBS"
        assert app.screen.query_one("#name").value == "Blue"


async def test_ctrl_c_says_which_key_quits_in_plain_words(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+c")
        await pilot.pause()
        said = [n.message for n in app._notifications]
        assert any(m.startswith("Press ") and m.endswith(" to quit pctui.") for m in said), said
        assert not any("[b]" in m for m in said)
        assert app.is_running
