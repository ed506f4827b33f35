"""The audit trail: who changed what, when. Keys are recorded as "API key replaced", never shown."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from pctui.store import audit


class AuditLogScreen(ModalScreen[None]):
    BINDINGS = [
        Binding("escape,q", "dismiss", "Close", id="audit.close"),
        Binding("f", "toggle_filter", "This item / all", id="audit.filter"),
    ]

    def __init__(self, entity: str | None, entity_id: int | None, label: str | None) -> None:
        super().__init__()
        self.entity = entity
        self.entity_id = entity_id
        self.label = label
        self.only_item = entity_id is not None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="wide"):
            yield Static("", id="dialog-title", markup=False)
            table: DataTable[str] = DataTable(id="audit", cursor_type="row", zebra_stripes=True)
            table.add_columns("When (UTC)", "Who", "What", "Action", "Changes")
            yield table
            # the Changes column is cut at 80 columns: the highlighted entry in full
            yield Static("", id="audit-detail", markup=False)
            yield Static("f: this item / all · Escape: close", classes="dialog-keys")

    def on_mount(self) -> None:
        self._load()
        self.query_one("#audit", DataTable).focus()

    def _load(self) -> None:
        app = self.app
        store = app.store  # type: ignore[attr-defined]
        lines = audit.entries(store, self.entity, self.entity_id if self.only_item else None)
        title = f"Audit log — {self.label}" if self.only_item and self.label else (
            f"Audit log — all {self.entity or 'changes'}s")
        self.query_one("#dialog-title", Static).update(title)
        table = self.query_one("#audit", DataTable)
        table.clear()
        self._lines = lines
        for line in lines:
            table.add_row(line.at.strftime("%Y-%m-%d %H:%M"), line.user, line.label,
                          line.action, line.describe())
        if not lines:
            table.add_row("", "", "", "", "No changes recorded yet.")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        lines = getattr(self, "_lines", [])
        detail = self.query_one("#audit-detail", Static)
        if 0 <= event.cursor_row < len(lines):
            line = lines[event.cursor_row]
            detail.update(f"{line.at:%Y-%m-%d %H:%M} UTC · {line.user} · {line.label} · "
                          f"{line.action}\n{line.describe() or 'no field changes recorded'}")
        else:
            detail.update("")

    def action_toggle_filter(self) -> None:
        if self.entity_id is not None:
            self.only_item = not self.only_item
            self._load()
