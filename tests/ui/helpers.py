"""Keyboard helpers for Pilot tests: type like a user, pick from a Select like a user."""

from __future__ import annotations

from textual.pilot import Pilot
from textual.widgets import Select


async def type_text(pilot: Pilot, text: str) -> None:
    await pilot.press(*[("space" if c == " " else c) for c in text])


async def choose(pilot: Pilot, select_id: str, label_startswith: str) -> None:
    """Focus a Select, open it with Enter, move down to the option, Enter to pick it."""
    select = pilot.app.screen.query_one(f"#{select_id}", Select)
    select.focus()
    await pilot.pause()
    labels = [str(label) for label, _ in select._options if _ is not Select.NULL]
    index = next(i for i, label in enumerate(labels) if label.startswith(label_startswith))
    await pilot.press("enter")
    await pilot.pause()
    await pilot.press(*(["down"] * (index + (1 if select._allow_blank else 0))), "enter")
    await pilot.pause()
    assert str(select.selection if hasattr(select, "selection") else select.value)  # picked


def screen_text(pilot: Pilot) -> str:
    """Everything visible on the current screen, as plain text."""
    from textual.widgets import DataTable, Static

    parts: list[str] = []
    for widget in pilot.app.screen.query(Static):
        parts.append(str(widget.render()))
    for table in pilot.app.screen.query(DataTable):
        for row in range(table.row_count):
            parts.append(" | ".join(str(c) for c in table.get_row_at(row)))
    return "\n".join(parts)


def listed(table, keys: list[str] | None = None) -> list[list[str]]:
    """A ListTable's rows as the user reads them: each cell's text without the padding, in the
    table's declared column order (or ``keys``), whatever order the screen width put them in."""
    keys = keys or [c.key for c in table.list_columns]
    order = [str(c.key.value) for c in table.ordered_columns]
    out = []
    for row in range(table.row_count):
        cells = dict(zip(order, (str(c).strip() for c in table.get_row_at(row)), strict=True))
        out.append([cells[k] for k in keys])
    return out


def rendered(app) -> str:
    """The characters on the terminal, exactly as Textual would write them (no styles)."""
    import io

    from rich.console import Console

    console = Console(width=app.size.width, height=app.size.height, file=io.StringIO(),
                      force_terminal=True, color_system="truecolor", record=True,
                      legacy_windows=False)
    console.print(app.screen._compositor.render_update(full=True))
    return console.export_text(styles=False)
