"""Small reusable dialogs."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from pctui.ui.widgets.text import plain


class ConfirmationModal(ModalScreen[bool]):
    """Asks a yes/no question. Enter or y confirms; Escape or n cancels."""

    BINDINGS = [
        Binding("y", "confirm", "Yes", id="confirm.yes"),
        Binding("n,escape", "cancel", "No", id="confirm.no"),
    ]

    def __init__(self, title: str, message: str, confirm_label: str = "Yes",
                 cancel_label: str = "No", warning: bool = False) -> None:
        super().__init__(classes="confirmation")
        self.title_text = title
        self.message = message
        self.confirm_label = confirm_label
        self.cancel_label = cancel_label
        self.warning = warning

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="-warning" if self.warning else ""):
            yield Static(plain(self.title_text), id="dialog-title")
            yield Static(plain(self.message, keep_newlines=True), id="dialog-message")
            with Horizontal(id="dialog-buttons"):
                yield Button(f"{self.confirm_label} (y)", id="confirm",
                             variant="warning" if self.warning else "primary")
                yield Button(f"{self.cancel_label} (n)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#confirm", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "confirm")

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


def leave_or_ask(dialog: ModalScreen, typed: str, what: str) -> None:  # type: ignore[type-arg]
    """Escape in a one-field dialog: close it at once when nothing was typed; else ask first,
    as the forms do, so a reason or note written out is not lost to a stray key."""
    if not typed.strip():
        dialog.dismiss(None)
        return
    dialog.app.push_screen(
        ConfirmationModal("Discard what you typed?", f"You typed {what}. Leave without saving?",
                          "Discard", "Keep editing"),
        lambda ok: dialog.dismiss(None) if ok else None,
    )
