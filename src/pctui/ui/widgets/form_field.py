"""The one form field: a label (with a red * when required) beside the input, and under the
input its hint or what is wrong with it."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Checkbox, Input, Label, Select, Static

from pctui.ui.widgets.text import plain


class FormField(Horizontal):
    """Wraps an input widget. ``set_error`` shows what is wrong right under it; changing the
    field clears that error at once (a stale "✗ required" under a filled field misleads) and
    posts :class:`FormField.ErrorCleared`, so the form can update its summary line."""

    class ErrorCleared(Message):
        def __init__(self, field: FormField) -> None:
            super().__init__()
            self.field = field

    DEFAULT_CLASSES = "form-field"

    def __init__(self, label: str, control: Widget, *, required: bool = False,
                 hint: str = "", field_name: str = "") -> None:
        super().__init__(id=f"field-{field_name}" if field_name else None)
        self.label = label
        self.control = control
        self.required = required
        self.hint = hint
        self.field_name = field_name
        if isinstance(control, (Input, Select)):
            control.compact = True  # one line per control: forms must fit 80x24

    def _label_text(self) -> Text:
        label = plain(self.label)
        if self.required:
            label.append(" *", style="bold red")
        return label

    def compose(self) -> ComposeResult:
        yield Label(self._label_text(), classes="field-label")
        with Vertical(classes="field-body"):
            yield self.control
            yield Static(plain(self.hint), classes="field-hint")
            yield Static("", classes="field-error")

    def on_mount(self) -> None:
        self.query_one(".field-hint", Static).display = bool(self.hint)
        self.query_one(".field-error", Static).display = False

    def set_required(self, required: bool) -> None:
        """Show or hide the red * (for a field required only in some cases)."""
        self.required = required
        self.query_one(".field-label", Label).update(self._label_text())

    def set_hint(self, hint: str) -> None:
        self.hint = hint
        hint_line = self.query_one(".field-hint", Static)
        hint_line.update(plain(hint))
        hint_line.display = bool(hint) and not self.has_class("-invalid")

    @on(Input.Changed)
    @on(Select.Changed)
    @on(Checkbox.Changed)
    def _changed(self) -> None:
        if self.has_class("-invalid"):
            self.set_error(None)
            self.post_message(self.ErrorCleared(self))

    def set_error(self, message: str | None) -> None:
        error = self.query_one(".field-error", Static)
        error.update(plain(f"✗ {message}") if message else "")
        error.display = bool(message)
        self.set_class(bool(message), "-invalid")
        self.query_one(".field-hint", Static).display = bool(self.hint) and not message
