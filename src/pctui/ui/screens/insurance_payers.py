"""ADMIN → Insurance Payers: the Active Insurance Integrations card."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from pctui.secrets import KeyringLocked
from pctui.store import connections
from pctui.store.connections import ConnectionView
from pctui.store.errors import PermissionDenied
from pctui.store.users import admin_only_reason
from pctui.ui.widgets.section import Section, SectionAction

COLUMNS = ("Payer", "Connection", "Gateway", "API key", "Active", "Endpoint", "Compliance rules")


class InsurancePayersSection(Section):
    SECTION_ID = "insurance-payers"
    TITLE = "Insurance Payers"
    GROUP = "ADMIN"
    BINDINGS = [
        Binding("a", "add_connection", "Add connection", id="payers.add"),
        Binding("e,enter", "edit_connection", "Edit", id="payers.edit"),
        Binding("k", "replace_key", "Replace key", id="payers.key"),
        Binding("d", "toggle_active", "(De)activate", id="payers.deactivate"),
        Binding("l", "audit_log", "Audit log", id="payers.audit"),
        Binding("i", "toggle_inactive", "Show inactive", id="payers.inactive"),
        Binding("t", "test_connection", "Test connection", id="payers.test"),
        Binding("g", "poll_connection", "Poll now", id="payers.poll"),
        Binding("G", "poll_all", "Poll all", id="payers.poll_all"),
        Binding("m", "open_mailbox", "Mailbox", id="payers.mailbox"),
    ]
    ACTIONS = [
        SectionAction("Add Payer Connection", "Register a new payer integration", "add_connection"),
        SectionAction("Edit connection", "Change the highlighted connection", "edit_connection"),
        SectionAction("Replace API key", "Replace the highlighted connection's key", "replace_key"),
        SectionAction("Deactivate / reactivate connection", "Connections are never deleted",
                      "toggle_active"),
        SectionAction("Audit log", "Who changed which connection, and when", "audit_log"),
        SectionAction("Test connection", "Try each step of the highlighted connection: name, "
                      "network, TLS or host key, login, folders", "test_connection"),
        SectionAction("Poll now", "Receive what the highlighted connection's mailbox holds",
                      "poll_connection"),
        SectionAction("Poll all connections", "Receive what every active connection's mailbox "
                      "holds", "poll_all"),
        SectionAction("Open the connection's mailbox", "Files sent and received through the "
                      "highlighted connection", "open_mailbox"),
    ]

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.show_inactive = True
        self._rows: list[ConnectionView] = []

    def compose(self) -> ComposeResult:
        yield self.read_only_banner()
        with Vertical(id="integrations-card", classes="card") as card:
            card.border_title = "Active Insurance Integrations"
            card.border_subtitle = "a: Add Payer Connection"
            yield Static(
                "Connections to payer systems for electronic claims. Changes here may "
                "affect live claims submission.", classes="card-intro")
            table: DataTable[str] = DataTable(id="connections", cursor_type="row",
                                              zebra_stripes=True)
            table.add_columns(*COLUMNS)
            yield table
            yield Static("", id="connections-empty", markup=False)
            yield Static("", id="connection-detail", markup=False)

    def on_mount(self) -> None:
        self.refresh_data()

    def read_only_reason(self) -> str | None:
        actor = self.pctui.actor
        return None if actor.is_admin else admin_only_reason(actor, "Insurance Payers")

    def refresh_data(self) -> None:
        table = self.query_one("#connections", DataTable)
        keep = table.cursor_row
        self._rows = connections.list_connections(self.pctui.store, self.show_inactive)
        table.clear()
        for c in self._rows:
            cells = [c.payer_code, c.name, c.gateway_type.label, c.key_state,
                     "yes" if c.active else "no", c.endpoint, ", ".join(c.compliance_rules) or "—"]
            if not c.active:  # greyed and marked, since the Active column is off-screen at 80 cols
                cells = [Text(cells[0], style="dim"), Text(f"{c.name} (inactive)", style="dim"),
                         *(Text(v, style="dim") for v in cells[2:])]
            table.add_row(*cells, key=str(c.id))
        if self._rows:
            table.move_cursor(row=min(keep, len(self._rows) - 1))
        empty = self.query_one("#connections-empty", Static)
        if self._rows:
            empty.update("")
        elif not self.show_inactive and connections.list_connections(self.pctui.store):
            empty.update("No active connections. Press i to show deactivated ones.")
        else:
            empty.update("No payer connections yet. Press a to add the first one.")
        empty.display = not self._rows
        self._show_detail()

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        """The highlighted connection in full (the table is narrow at 80 columns)."""
        detail = self.query_one("#connection-detail", Static)
        row = self.highlighted
        if row is None:
            detail.update("")
            return
        detail.update(
            f"{row.payer_name} · {row.name} · {'active' if row.active else 'deactivated'}\n"
            f"{row.gateway_type.label}: {row.endpoint}\n"
            f"Submitter {row.submitter_id or '—'} · Receiver {row.receiver_id or '—'} · "
            f"API key {row.key_state}\n"
            f"Compliance rules: {', '.join(row.compliance_rules) or '—'}\n"
            f"{row.usage.label} · poll {f'every {row.poll_minutes} min' if row.poll_minutes else 'when asked'}"
            f" · {'ready' if not row.not_ready() else 'not ready: ' + '; '.join(row.not_ready())}"
        )

    @property
    def highlighted(self) -> ConnectionView | None:
        table = self.query_one("#connections", DataTable)
        if not self._rows or table.cursor_row < 0 or table.cursor_row >= len(self._rows):
            return None
        return self._rows[table.cursor_row]

    # -- actions --------------------------------------------------------------------------

    def _open_form(self, existing: ConnectionView | None, key_only: bool = False) -> None:
        from pctui.ui.screens.connection_form import ConnectionForm

        def saved(result: ConnectionView | None) -> None:
            if result is not None:
                self.refresh_data()
                self.notify(f"Saved {result.payer_code} / {result.name} (API key "
                            f"{result.key_state}).", title="Payer connection")

        self.app.push_screen(ConnectionForm(existing, key_only=key_only), saved)

    def action_add_connection(self) -> None:
        if not self.deny_if_read_only():
            self._open_form(None)

    def action_edit_connection(self) -> None:
        if self.deny_if_read_only():
            return
        if (row := self.highlighted) is None:
            self.notify("No connection is highlighted.", severity="warning")
            return
        self._open_form(row)

    def action_replace_key(self) -> None:
        if self.deny_if_read_only():
            return
        if (row := self.highlighted) is None:
            self.notify("No connection is highlighted.", severity="warning")
            return
        if self.pctui.secrets.locked:
            self.notify("The keyring is locked: press F9 to unlock it, then try again.",
                        title="Keyring locked", severity="warning")
            return
        self._open_form(row, key_only=True)

    def action_toggle_active(self) -> None:
        from pctui.ui.widgets.modals import ConfirmationModal

        if self.deny_if_read_only():
            return
        if (row := self.highlighted) is None:
            self.notify("No connection is highlighted.", severity="warning")
            return
        verb = "Deactivate" if row.active else "Reactivate"
        message = (
            f"{verb} {row.payer_code} / {row.name}?\n\nThis may affect live claims submission: "
            + ("claims will no longer be sent through this connection. Its history stays."
               if row.active else "claims may be sent through this connection again.")
        )

        def confirmed(ok: bool | None) -> None:
            if not ok:
                return
            try:
                view = connections.set_active(self.pctui.store, self.pctui.actor, row.id,
                                              not row.active)
            except (PermissionDenied, KeyringLocked) as exc:
                self.notify(str(exc), severity="error")
                return
            self.refresh_data()
            self.notify(f"{view.payer_code} / {view.name} is now "
                        f"{'active' if view.active else 'deactivated'}.")

        self.app.push_screen(ConfirmationModal(f"{verb} connection", message, verb,
                                               "Keep as is", warning=True), confirmed)

    def action_audit_log(self) -> None:
        from pctui.ui.screens.audit_log import AuditLogScreen

        row = self.highlighted
        self.app.push_screen(AuditLogScreen("connection", row.id if row else None,
                                            f"{row.payer_code} / {row.name}" if row else None))

    def action_toggle_inactive(self) -> None:
        self.show_inactive = not self.show_inactive
        self.refresh_data()
        self.notify("Showing all connections." if self.show_inactive
                    else "Showing active connections only.")

    def action_test_connection(self) -> None:
        from pctui.ui.screens.poll_progress import ConnectionTestScreen

        if (row := self.highlighted) is None:
            self.notify("No connection is highlighted.", severity="warning")
            return
        self.app.push_screen(ConnectionTestScreen(row.id, row.label),
                             lambda _: self.refresh_data())

    def action_poll_connection(self) -> None:
        from pctui.ui.screens.poll_progress import PollScreen

        if (row := self.highlighted) is None:
            self.notify("No connection is highlighted.", severity="warning")
            return
        self.app.push_screen(PollScreen([row.id]))

    def action_poll_all(self) -> None:
        from pctui.ui.screens.poll_progress import PollScreen

        self.app.push_screen(PollScreen(None))

    def action_open_mailbox(self) -> None:
        from pctui.ui.screens.mailbox import MailboxSection

        row = self.highlighted
        self.pctui.action_show_section(MailboxSection.SECTION_ID)
        section = self.app.query_one(f"#{MailboxSection.SECTION_ID}", MailboxSection)
        section.show_connection(row.id if row else None)
