"""The footer: the keys of where you are, most important first, on one line that never
overflows.

Textual's Footer lays keys out as widgets and lets the last one run under the docked palette
key (a stray character in the last column at 80 columns). This one renders one line of text:
the keys of the screen or section first (in their BINDINGS order), then those of the widget in
focus (a list's Sort, Export), then the app's; a key that does not fit whole is left out, and
the right end always says ``F1 all keys`` and ``^p palette``, so nothing is ever cut mid-word.

It follows the screen on top: under a dialog (a release, a confirmation, a form) the footer
below it shows the dialog's keys, not the section's keys the dialog has taken away; when a
screen above has a footer of its own (the rule drawer), that one speaks and this one is blank.
"""

from __future__ import annotations

from rich.cells import cell_len
from rich.text import Text
from textual import events
from textual.app import App
from textual.binding import Binding
from textual.screen import Screen
from textual.widget import Widget

SEPARATOR = "  "


class KeyFooter(Widget, can_focus=False):
    DEFAULT_CSS = """
    KeyFooter {
        dock: bottom;
        height: 1;
        background: $footer-background;
        color: $footer-foreground;
    }
    """

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self._spans: list[tuple[int, int, str]] = []
        self._followed: Screen | None = None

    def on_mount(self) -> None:
        self.app.screen_change_signal.subscribe(self, self._screen_changed)
        self._follow(self.app.screen)

    def on_unmount(self) -> None:
        self.app.screen_change_signal.unsubscribe(self)
        self._follow(None)

    def _follow(self, screen: Screen | None) -> None:
        if self._followed is not None:
            self._followed.bindings_updated_signal.unsubscribe(self)
        self._followed = screen
        if screen is not None:
            screen.bindings_updated_signal.subscribe(self, self._bindings_changed)

    def _screen_changed(self, _screen: Screen) -> None:
        self._follow(self.shown_screen)
        self.refresh()

    def _bindings_changed(self, _screen: Screen) -> None:
        self.refresh()

    @property
    def speaks(self) -> bool:
        """False when a screen above this footer's own has a footer of its own."""
        stack = self.app.screen_stack
        if self.screen not in stack:
            return True
        above = stack[stack.index(self.screen) + 1:]
        return not any(screen.query(KeyFooter) for screen in above)

    @property
    def shown_screen(self) -> Screen:
        """Whose keys are shown: the screen on top when it lies over this footer's screen."""
        stack = self.app.screen_stack
        if self.screen in stack:
            return stack[-1]
        return self.screen

    def entries(self) -> list[tuple[Binding, bool, str]]:
        """(binding, enabled, key shown) for each key to show, most important first."""
        ranked: list[tuple[int, int, Binding, bool]] = []
        seen_actions: set[tuple[int, str]] = set()
        order = 0
        for _key, active in self.shown_screen.active_bindings.items():
            binding, node = active.binding, active.node
            if not binding.show:
                continue
            if (id(node), binding.action) in seen_actions:
                continue  # one entry per action ("e" and "enter" both edit)
            seen_actions.add((id(node), binding.action))
            if isinstance(node, App):
                rank = 2
            elif isinstance(node, Screen) or getattr(node, "FOOTER_FIRST", False):
                rank = 0
            else:
                rank = 1
            ranked.append((rank, order, binding, active.enabled))
            order += 1
        ranked.sort(key=lambda r: (r[0], r[1]))
        return [(b, enabled, self.app.get_key_display(b)) for _, _, b, enabled in ranked]

    def render(self) -> Text:
        width = self.size.width
        if not self.speaks:
            self._spans = []
            return Text(" " * width)
        key_style = f"bold {self.app.theme_variables.get('footer-key-foreground', '')}".strip()
        right = Text()
        right_keys: list[tuple[str, str]] = [("f1", "F1"), ("ctrl+p", "^p")]
        right.append("F1", style=key_style)
        right.append(" all keys  ")
        right.append("^p", style=key_style)
        right.append(" palette")
        line = Text(no_wrap=True, overflow="crop")
        spans: list[tuple[int, int, str]] = []
        room = width - right.cell_len - len(SEPARATOR)
        for binding, enabled, shown in self.entries():
            if binding.action in ("help", "app.help", "command_palette"):
                continue
            piece = Text()
            piece.append(shown, style=key_style)
            piece.append(f" {binding.description}")
            if not enabled:
                piece.stylize("dim")
            needed = piece.cell_len + (len(SEPARATOR) if line.cell_len else 0)
            if line.cell_len + needed > room:
                continue  # left out whole; F1 lists it
            if line.cell_len:
                line.append(SEPARATOR)
            start = line.cell_len
            line.append_text(piece)
            spans.append((start, line.cell_len, binding.key.split(",")[0]))
        pad = max(1, width - line.cell_len - right.cell_len)
        line.append(" " * pad)
        start = line.cell_len
        spans.append((start, start + 2, right_keys[0][0]))
        spans.append((start + cell_len("F1 all keys  "), width, right_keys[1][0]))
        line.append_text(right)
        self._spans = spans
        line.truncate(width)
        return line

    def on_click(self, event: events.Click) -> None:
        for start, end, key in self._spans:
            if start <= event.x < end:
                self.app.simulate_key(key)
                return
