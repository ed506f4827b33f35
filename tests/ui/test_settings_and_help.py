"""What each user keeps for themselves (the sidebar, their keys) and F1 help built from the real
bindings of every screen, dialog and list."""

from __future__ import annotations

import importlib
import inspect
import json
import pkgutil
import stat

from textual.binding import Binding
from textual.dom import DOMNode
from textual.widgets import OptionList

import pctui.ui
from pctui.ui.app import help_groups
from pctui.ui.screens.help import HelpScreen, key_label
from tests.ui.helpers import rendered


async def test_ctrl_b_hides_the_sidebar_and_the_next_start_remembers_it(
        make_app, user_settings_folder) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        sidebar = app.query_one("#sidebar", OptionList)
        assert sidebar.display
        await pilot.press("ctrl+b")
        await pilot.pause()
        assert not sidebar.display
        assert "Insurance Payers  F2" not in rendered(app)
    saved = user_settings_folder / "settings.json"
    assert json.loads(saved.read_text()) == {"sidebar": False}
    assert stat.S_IMODE(saved.stat().st_mode) == 0o600
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert not app.query_one("#sidebar", OptionList).display
        await pilot.press("ctrl+b")  # back, with the cursor in it
        await pilot.pause()
        assert app.focused is app.query_one("#sidebar", OptionList)
    assert json.loads(saved.read_text()) == {"sidebar": True}


async def test_a_keymap_file_binds_your_own_keys_and_help_shows_them(
        make_app, user_settings_folder) -> None:
    user_settings_folder.mkdir()
    (user_settings_folder / "keymap.toml").write_text(
        '"payers.audit" = "ctrl+l"\n"no.such.key" = "x"\n')
    app = make_app()
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.pause()
        assert any("no.such.key" in n.message for n in app._notifications)
        await pilot.press("ctrl+l")  # the audit log, on the user's key
        await pilot.pause()
        assert type(app.screen).__name__ == "AuditLogScreen"
        await pilot.press("escape", "f1")
        await pilot.pause()
        help_text = str(app.screen.query_one("#help-text").render())
        assert "Ctrl+L" in help_text and "payers.audit" in help_text


def _classes_with_bindings() -> set[type[DOMNode]]:
    """Every class in pctui.ui that defines key bindings of its own."""
    for module in pkgutil.walk_packages(pctui.ui.__path__, "pctui.ui."):
        if module.name != "pctui.ui.dev":  # builds an app on the default database
            importlib.import_module(module.name)
    found: set[type[DOMNode]] = set()
    stack = [DOMNode]
    while stack:
        cls = stack.pop()
        stack.extend(cls.__subclasses__())
        if cls.__module__.startswith("pctui.ui") and cls.__dict__.get("BINDINGS"):
            found.add(cls)
    return found


def test_help_lists_every_binding_of_every_screen_dialog_and_list_exactly_once() -> None:
    listed_bindings = [b for _, bindings in help_groups() for b in bindings]
    for cls in _classes_with_bindings():
        for binding in cls.__dict__["BINDINGS"]:
            assert isinstance(binding, Binding), f"{cls.__name__}: use Binding(..., id=...)"
            assert binding.id, f"{cls.__name__} {binding.key}: every binding needs an id"
            count = sum(1 for b in listed_bindings if b is binding)
            assert count == 1, f"{cls.__name__} {binding.key} is in help {count} times"
    ids = [b.id for b in listed_bindings]
    assert len(ids) == len(set(ids)), "binding ids are unique"


async def test_f1_shows_each_key_once_with_tab_in_one_spelling(make_app) -> None:
    app = make_app()
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("f1")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = str(app.screen.query_one("#help-text").render())
        lines = text.splitlines()
        assert sum(1 for line in lines if line.strip().startswith("Tab ")) == 1
        assert sum(1 for line in lines if line.strip().startswith("Shift+Tab ")) == 1
        for needle in ("Ctrl+N", "Ctrl+R", "Ctrl+T", "rule_drawer.next_level", "audit.filter",
                       "list.clear_search", "Clear search"):
            assert needle in text, needle
        # F1 and ? both open help: one line, both keys, both keymap ids
        (help_line,) = [line for line in lines if line.split()[-2:] == ["app.help,",
                                                                         "app.help_question_mark"]]
        assert help_line.split()[:3] == ["F1,", "?", "Help"]
    assert inspect.isfunction(key_label)
    assert key_label("e,enter") == "e, Enter" and key_label("ctrl+e") == "Ctrl+E"
