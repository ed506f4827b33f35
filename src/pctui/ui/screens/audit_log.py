"""The audit trail: who changed what, when. Keys are recorded as "API key replaced", never shown.
Times are the server's local time (stored in UTC)."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from pctui.core.wording import local_time, local_zone
from pctui.store import audit
from pctui.store.audit import AuditLine
from pctui.ui.widgets.list_table import Column, ListPanel, ListTable
from pctui.ui.widgets.text import plain

ACTION_WORDS = {"created": "added", "changed": "changed", "deactivated": "deactivated",
                "reactivated": "reactivated", "key_replaced": "API key replaced",
                "key_set": "API key set"}


def action_words(action: str) -> str:
    return ACTION_WORDS.get(action, action.replace("_", " "))


COLUMNS: list[Column[AuditLine]] = [
    Column("at", "When", lambda a: a.at, min_width=16, max_width=16),
    Column("user", "Who", lambda a: a.user, max_width=12),
    Column("action", "Did", lambda a: action_words(a.action), max_width=18),
    Column("label", "What", lambda a: a.label, min_width=10, max_width=30),
    Column("changes", "Changes", lambda a: a.describe() or None, priority=2, min_width=12,
           max_width=120),
]


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
            yield ListPanel(ListTable(COLUMNS, key=lambda a: (a.at, a.user, a.label, a.action),
                                      export_name="audit-log", noun="change", id="audit"),
                            placeholder="Search who, what, changes")
            # the Changes column is cut at 80 columns: the highlighted entry in full, one change
            # a line; a long one (a connection added: every setting) is read with Tab and ↑↓
            with VerticalScroll(id="audit-detail"):
                yield Static("", id="audit-detail-text", markup=False)
            yield Static("", classes="dialog-keys", id="audit-keys", markup=False)

    def on_mount(self) -> None:
        self._load()
        self.query_one("#audit", ListTable).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_filter":
            return self.entity_id is not None  # opened on one item: f switches to all
        return True

    def _load(self) -> None:
        store = self.app.store  # type: ignore[attr-defined]
        lines = audit.entries(store, self.entity, self.entity_id if self.only_item else None)
        title = f"Audit log — {self.label}" if self.only_item and self.label else (
            f"Audit log — all {self.entity or 'change'}s")
        self.query_one("#dialog-title", Static).update(plain(
            f"{title} · times in {local_zone()}"))
        table = self.query_one("#audit", ListTable)
        table.show(lines)
        keys = "f: item/all · " if self.entity_id is not None else ""
        self.query_one("#audit-keys", Static).update(
            f"{keys}/ search · s sort · ^e export · Tab: whole entry · Esc: close")
        self._show_detail()
        if not lines:
            self.query_one("#audit-detail-text", Static).update("No changes recorded yet.")

    @on(DataTable.RowHighlighted, "#audit")
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        line = self.query_one("#audit", ListTable).highlighted
        detail = self.query_one("#audit-detail-text", Static)
        if line is None:
            detail.update("")
            return
        text = plain(f"{local_time(line.at)} · {line.user} · {line.label} · "
                     f"{action_words(line.action)}")
        for change in line.change_lines() or ["no field changes recorded"]:
            text.append("\n  ")
            text.append_text(plain(change))
        detail.update(text)
        self.query_one("#audit-detail", VerticalScroll).scroll_home(animate=False)

    def action_toggle_filter(self) -> None:
        if self.entity_id is not None:
            self.only_item = not self.only_item
            self._load()
