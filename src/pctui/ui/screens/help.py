"""F1 help: every key of every section, dialog and shared widget, generated from their
bindings (with the user's keymap applied) so it cannot drift. The app passes the bindings in;
this module does not import the app."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

_NAMES = {"question_mark": "?", "enter": "Enter", "escape": "Esc", "space": "Space",
          "slash": "/", "pageup": "PgUp", "pagedown": "PgDn", "delete": "Del", "tab": "Tab",
          "home": "Home", "end": "End", "left": "←", "right": "→", "up": "↑", "down": "↓",
          "less_than_sign": "<", "greater_than_sign": ">"}
KEY_WIDTH = 14


def _one_key(key: str) -> str:
    *mods, base = key.split("+")
    is_function_key = base[0] == "f" and base[1:].isdigit()
    name = _NAMES.get(base, base.upper() if is_function_key or mods else base)
    return "+".join([*(m.capitalize() for m in mods), name])


def key_label(keys: str) -> str:
    """``"e,enter"`` → ``"e, Enter"``; ``"ctrl+e"`` → ``"Ctrl+E"``."""
    return ", ".join(_one_key(k.strip()) for k in keys.split(",") if k.strip())


def help_line(binding: Binding | Sequence[Binding], keymap: Mapping[str, str]) -> Text:
    """One action: its keys (as remapped), what it does, and its ids for the keymap file.
    Several bindings of one action (F1 and ? both open help) make one line."""
    group = [binding] if isinstance(binding, Binding) else list(binding)
    first = group[0]
    keys = ",".join(keymap.get(b.id or "", b.key) for b in group)
    parts = (first.id or "").split(".")
    # ids like "rules.payers.add" name the view a repeated key belongs to
    view = f" ({parts[1]} view)" if len(parts) >= 3 and parts[0] == "rules" and parts[1] in (
        "payers", "overrides", "codes") else ""
    line = Text("  ")
    line.append(f"{key_label(keys):<{KEY_WIDTH}}", style="bold")
    line.append(f" {first.description}{view}")
    ids = [b.id for b in group if b.id]
    if ids:
        line.append(f"  {', '.join(ids)}", style="dim")
    return line


def _by_action(bindings: Sequence[Binding]) -> list[list[Binding]]:
    """Bindings of the same action and words together, in the order each first appears."""
    grouped: dict[tuple[str, str], list[Binding]] = {}
    for binding in bindings:
        grouped.setdefault((binding.action, binding.description), []).append(binding)
    return list(grouped.values())


class HelpScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q,f1,question_mark", "dismiss", "Close", id="help.close")]

    def __init__(self, groups: Sequence[tuple[str, Sequence[Binding]]],
                 keymap: Mapping[str, str] | None = None) -> None:
        super().__init__()
        self.groups = groups
        self.keymap = dict(keymap or {})

    def body(self) -> Text:
        text = Text()
        text.append("pctui keys", style="bold")
        text.append("\nThe footer shows the keys of where you are; here is every key. The dim "
                    "name after each is its id for your keymap file (README: Keys).")
        for title, bindings in self.groups:
            if not bindings:
                continue
            text.append(f"\n\n{title}", style="bold")
            for same in _by_action(bindings):
                text.append("\n")
                text.append_text(help_line(same, self.keymap))
        text.append("\n\nEscape closes this help.")
        return text

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body"):
            yield Static(self.body(), id="help-text")
