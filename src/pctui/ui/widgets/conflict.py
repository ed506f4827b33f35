"""When two people edited one record: what the second to save sees (pctui.store.versions)."""

from __future__ import annotations

from typing import Literal

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Static

from pctui.store import audit
from pctui.store.errors import EditConflict
from pctui.ui.widgets.text import plain

ConflictChoice = Literal["overwrite", "reload", "edit"]


def difference_lines(conflict: EditConflict) -> list[str]:
    """``Endpoint: saved now https://a; yours https://b``, one per field that differs."""
    lines = []
    for field, (theirs, yours) in conflict.differences.items():
        label = audit.FIELD_LABELS.get(field, field.replace("_", " ").capitalize())
        lines.append(f"{label}: saved now {audit._shown(theirs)}; yours {audit._shown(yours)}")
    return lines


class EditConflictModal(ModalScreen[ConflictChoice]):
    """Someone saved this record after your form opened: see the difference, then keep yours
    (save over theirs), reload theirs (discard yours), or go back to the form."""

    BINDINGS = [
        Binding("o", "choose('overwrite')", "Save mine over theirs", id="conflict.overwrite"),
        Binding("r", "choose('reload')", "Reload theirs", id="conflict.reload"),
        Binding("escape", "choose('edit')", "Back to my form", id="conflict.edit"),
    ]

    def __init__(self, conflict: EditConflict) -> None:
        super().__init__(classes="confirmation")
        self.conflict = conflict

    def compose(self) -> ComposeResult:
        lines = difference_lines(self.conflict) or ["(the saved version now matches yours)"]
        with Vertical(id="dialog", classes="-warning"):
            yield Static(plain(f"Changed by {self.conflict.by} while you were editing"),
                         id="dialog-title")
            with VerticalScroll(id="conflict-body"):
                yield Static(plain(str(self.conflict)), id="dialog-message")
                yield Static(Text("\n".join(f"• {line}" for line in
                                            (plain(x).plain for x in lines))),
                             id="conflict-differences")
            with Horizontal(id="dialog-buttons"):
                yield Button("Save mine (o)", id="overwrite", variant="warning")
                yield Button("Reload theirs (r)", id="reload")
                yield Button("Back (Esc)", id="edit")

    def on_mount(self) -> None:
        self.query_one("#edit", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id)  # type: ignore[arg-type]

    def action_choose(self, choice: ConflictChoice) -> None:
        self.dismiss(choice)
