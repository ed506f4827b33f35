"""No key in the footer lies: in every section and view, and in every dialog their keys open,
each key the footer shows does something the user can see — a dialog, a message, the list
changing, the cursor moving."""

from __future__ import annotations

import pytest

from pctui.store import demo
from pctui.ui.widgets.key_footer import KeyFooter
from tests.ui.helpers import choose, rendered
from tests.ui.snapshots import section_key

# (where, the keys that get there)
VIEWS = [
    ("Insurance Payers", ("f2",)),
    ("Payer Rules: rules", ("f3", "1")),
    ("Payer Rules: payers", ("f3", "2")),
    ("Payer Rules: CARC overrides", ("f3", "3")),
    ("Payer Rules: posting codes", ("f3", "4")),
    ("Release 835", ("f4",)),
    ("Release 835: rejected files", ("f4", "v")),
    ("Claims", ("f5",)),
    ("Claims Out", (section_key("claims-out"),)),
    ("Mailbox", (section_key("mailbox"),)),
]
# keys pressed again to undo what they did, so the next key meets the same view
UNDO = {"toggle_inactive", "toggle_released", "toggle_with_balance", "toggle_sidebar",
        "toggle_mark", "toggle_override", "toggle_rejected"}


@pytest.fixture
def demo_practice(store, admin, secrets) -> None:
    demo.build_demo(store, admin, secrets)


def counting_notifications(app) -> list[str]:
    """Every message the app notifies from now on, in order (the app still shows them)."""
    told: list[str] = []
    notify = app.notify

    def counting_notify(message: str, **kwargs) -> None:
        told.append(message)
        notify(message, **kwargs)

    app.notify = counting_notify  # type: ignore[method-assign]
    return told


def state(app, told: list[str]) -> tuple[object, ...]:
    return (type(app.screen), len(told), app.focused, rendered(app))


@pytest.mark.parametrize(("where", "keys"), VIEWS, ids=[v[0] for v in VIEWS])
async def test_every_footer_key_does_something(make_app, demo_practice, where, keys) -> None:
    app = make_app()
    told = counting_notifications(app)
    async with app.run_test(size=(200, 50)) as pilot:  # wide: every footer key shows
        await pilot.press(*keys)
        await app.workers.wait_for_complete()
        await pilot.pause()
        base = app.screen
        entries = app.screen.query_one(KeyFooter).entries()
        tried = []
        for binding, enabled, _ in entries:
            key = binding.key.split(",")[0]
            assert enabled, f"{where}: {key} ({binding.description}) is shown but does nothing"
            if binding.action in ("quit", "app.quit"):
                continue
            before = state(app, told)
            await pilot.press(key)
            await app.workers.wait_for_complete()
            await pilot.pause()
            assert state(app, told) != before, f"{where}: {key} ({binding.description}) did nothing"
            tried.append(key)
            for _ in range(3):  # back to the view: close what the key opened
                if app.screen is base:
                    break
                await pilot.press("escape")
                await pilot.pause()
            assert app.screen is base, f"{where}: Escape did not close what {key} opened"
            action = binding.action.removeprefix("app.")
            if action.split("(")[0] in UNDO:
                await pilot.press(key)
                await app.workers.wait_for_complete()
                await pilot.pause()
            if app.focused is not None and app.focused.__class__.__name__ == "Input":
                await pilot.press("escape")  # a search line opened: close it
                await pilot.pause()
        assert len(tried) >= 4, f"{where}: only {tried} in the footer"


def footer_line(app) -> str:
    return str(app.screen_stack[0].query_one(KeyFooter).render())


async def test_under_a_dialog_the_footer_shows_the_dialogs_keys_not_the_sections(
        make_app, demo_practice) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f4")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert "Mark" in footer_line(app)
        await pilot.press("m", "r")  # mark every Ready payment, open the release dialog
        await app.workers.wait_for_complete()
        await pilot.pause()
        line = footer_line(app)
        assert "^s Release" in line and "esc Close" in line, line
        assert "Mark" not in line and "Filters" not in line, line  # the section's keys are gone
        await pilot.press("escape")
        await pilot.pause()
        assert "Mark" in footer_line(app)  # back on the list: its keys again


async def test_a_dialog_over_the_rule_drawer_is_not_footed_by_the_drawers_keys(
        make_app, demo_practice) -> None:
    from pctui.ui.screens.payer_form import PayerForm
    from pctui.ui.screens.rule_drawer import RuleDrawer

    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3", "a")
        await pilot.pause()
        drawer = app.screen
        assert isinstance(drawer, RuleDrawer)
        assert "Next level" in str(drawer.query_one(KeyFooter).render())
        await choose(pilot, "payer", "+ New payer")  # the picker's last entry
        assert isinstance(app.screen, PayerForm)
        line = str(drawer.query_one(KeyFooter).render())
        assert "Next level" not in line and "^s Save" in line, line


def shown_keys(app) -> list[tuple[str, str, bool, str]]:
    """(key, description, enabled, action) of every key the footer shows now: the dialog's own
    footer when it has one (the rule drawer), else the one under it, which follows the top."""
    footers = [f for f in app.screen.query(KeyFooter) if f.speaks] or [
        f for f in app.screen_stack[0].query(KeyFooter) if f.speaks]
    return [(b.key.split(",")[0], b.description, enabled, b.action)
            for b, enabled, _ in footers[0].entries()]  # fmt: skip


async def _to_view(app, pilot, keys: tuple[str, ...]) -> None:
    while len(app.screen_stack) > 1:
        await pilot.press("escape")
        await pilot.pause()
    await pilot.press(*keys)
    await app.workers.wait_for_complete()
    await pilot.pause()


@pytest.mark.parametrize(("where", "keys"), VIEWS, ids=[v[0] for v in VIEWS])
async def test_every_footer_key_of_every_dialog_does_something(
        make_app, demo_practice, where, keys) -> None:
    """Each dialog a footer key opens: every key its footer shows is enabled, and pressing it
    changes what the user sees (a message, another dialog, the dialog closing, the form)."""
    app = make_app()
    told = counting_notifications(app)
    async with app.run_test(size=(200, 50)) as pilot:
        await _to_view(app, pilot, keys)
        base = app.screen
        if where.startswith("Release 835") and not where.endswith("files"):
            await pilot.press("m")  # the release dialog opens on marked payments
            await pilot.pause()
        dialogs = []
        for key, _, enabled, action in shown_keys(app):
            if not enabled or action in ("quit", "app.quit", "app.help"):
                continue
            await pilot.press(key)
            await app.workers.wait_for_complete()
            await pilot.pause()
            if app.screen is not base:
                dialogs.append((key, type(app.screen)))
            await _to_view(app, pilot, keys) if app.screen is not base else None
            if where.startswith("Release 835") and not where.endswith("files"):
                if "marked" not in rendered(app):
                    await pilot.press("m")
                    await pilot.pause()
        checked = 0
        for opener, kind in dialogs:
            await pilot.press(opener)
            await app.workers.wait_for_complete()
            await pilot.pause()
            if not isinstance(app.screen, kind):
                continue  # what the key opens changed with the data (e.g. nothing marked)
            inside = shown_keys(app)
            await _to_view(app, pilot, keys)
            for key, description, enabled, action in inside:
                assert enabled, f"{where} → {kind.__name__}: {key} ({description}) is shown " \
                                "but does nothing"
                if action in ("quit", "app.quit"):
                    continue
                await pilot.press(opener)
                await app.workers.wait_for_complete()
                await pilot.pause()
                if not isinstance(app.screen, kind):
                    break
                if action.startswith("tab("):  # from another tab: the one shown is there
                    other = next(k for k, _, _, a in inside if a.startswith("tab(") and a != action)
                    await pilot.press(other)
                    await pilot.pause()
                before = state(app, told)
                await pilot.press(key)
                await app.workers.wait_for_complete()
                await pilot.pause()
                assert state(app, told) != before, \
                    f"{where} → {kind.__name__}: {key} ({description}) did nothing"
                checked += 1
                await _to_view(app, pilot, keys)
        assert not dialogs or checked, f"{where}: no dialog key was tried"
