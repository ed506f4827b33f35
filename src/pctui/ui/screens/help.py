"""The help screen: every key, generated from the bindings so it cannot drift."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from pctui.ui.widgets.section import Section

_NAMES = {"question_mark": "?", "enter": "Enter", "escape": "Esc", "space": "Space",
          "slash": "/", "pageup": "PgUp", "pagedown": "PgDn", "delete": "Del"}


def _one_key(key: str) -> str:
    *mods, base = key.split("+")
    is_function_key = base[0] == "f" and base[1:].isdigit()
    name = _NAMES.get(base, base.upper() if is_function_key else base)
    return "+".join([*(m.capitalize() for m in mods), name.upper() if mods else name])


def _key_label(binding: Binding) -> str:
    return ", ".join(_one_key(k.strip()) for k in binding.key.split(","))


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,f1,question_mark", "dismiss", "Close", id="help.close")]

    def __init__(self, sections: list[type[Section]]) -> None:
        super().__init__()
        self.sections = sections

    def compose(self) -> ComposeResult:
        from pctui.ui.app import PctuiApp

        lines = ["[b]pctui keys[/]", "", "[b]Everywhere[/]"]
        for b in PctuiApp.BINDINGS:
            assert isinstance(b, Binding)
            lines.append(f"  {_key_label(b):<14} {b.description}")
        lines.append("  Ctrl+P         Command palette: every section and action")
        lines.append("  Tab / ⇧Tab     Move between fields and panes")
        for section in self.sections:
            lines += ["", f"[b]{section.GROUP} → {section.TITLE}[/]"]
            for b in section.BINDINGS:
                if isinstance(b, Binding):
                    # ids like "rules.payers.add" name the view a repeated key belongs to
                    parts = (b.id or "").split(".")
                    view = f"  ({parts[1]} view)" if len(parts) >= 3 and parts[1] != "view" else ""
                    lines.append(f"  {_key_label(b):<14} {b.description}{view}")
        lines += ["", "In forms: Ctrl+S saves, Escape backs out (asks first if you changed "
                  "something).", "", "Press Escape to close."]
        with VerticalScroll(id="help-body"):
            yield Static("\n".join(lines), id="help-text")
