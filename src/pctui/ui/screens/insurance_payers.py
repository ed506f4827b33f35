"""ADMIN → Insurance Payers: the Active Insurance Integrations card."""

from __future__ import annotations

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from pctui.secrets import KeyringLocked
from pctui.store import connections
from pctui.store.connections import ConnectionView
from pctui.store.errors import PermissionDenied
from pctui.store.users import admin_only_reason
from pctui.ui.widgets.list_table import Column, ListPanel, ListTable
from pctui.ui.widgets.section import Section, SectionAction
from pctui.ui.widgets.text import plain

COLUMNS: list[Column[ConnectionView]] = [
    Column("payer", "Payer", lambda c: c.payer_code, max_width=12),
    Column("name", "Connection", lambda c: c.name if c.active else f"{c.name} (inactive)",
           min_width=12, max_width=32, comfortable=20),
    Column("key", "API key", lambda c: c.key_state, min_width=7, max_width=14),
    Column("gateway", "Gateway", lambda c: c.gateway_type.label, priority=2, min_width=13),
    Column("active", "Active", lambda c: c.active, priority=3),
    Column("endpoint", "Endpoint", lambda c: c.endpoint, priority=3, min_width=10, max_width=48),
    Column("rules", "Compliance rules", lambda c: ", ".join(c.compliance_rules) or None,
           priority=4, max_width=30),
]


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
        self.show_inactive = False  # deactivated connections on request (i)

    def compose(self) -> ComposeResult:
        yield self.read_only_banner()
        with Vertical(id="integrations-card", classes="card") as card:
            card.border_title = "Active Insurance Integrations"
            card.border_subtitle = "a: Add Payer Connection"
            yield Static(
                "Connections to payer systems for electronic claims. Changes here may "
                "affect live claims submission.", classes="card-intro")
            yield ListPanel(ListTable(COLUMNS, export_name="connections", noun="connection",
                                      row_style=lambda c: "" if c.active else "dim",
                                      id="connections"),
                            placeholder="Search payer, connection, gateway, endpoint")
            yield Static("", id="connections-empty", markup=False)
            yield Static("", id="connection-detail", markup=False)

    def on_mount(self) -> None:
        self.refresh_data()

    def read_only_reason(self) -> str | None:
        actor = self.pctui.actor
        return None if actor.is_admin else admin_only_reason(actor, "Insurance Payers")

    @property
    def table(self) -> ListTable[ConnectionView]:
        return self.query_one("#connections", ListTable)

    def focus_content(self) -> None:
        self.table.focus()

    def refresh_data(self) -> None:
        rows = connections.list_connections(self.pctui.store, self.show_inactive)
        table = self.table
        table.show(rows)
        hidden = 0 if self.show_inactive else (
            len(connections.list_connections(self.pctui.store)) - len(rows))
        self.query_one("#integrations-card").border_subtitle = (
            f"a: Add Payer Connection · {hidden} deactivated hidden (i)" if hidden else
            "a: Add Payer Connection")
        empty = self.query_one("#connections-empty", Static)
        if table.shown:
            empty.update("")
        elif table.search:
            empty.update(plain(f"No connection matches \"{table.search}\". Escape clears the "
                               "search."))
        elif hidden:
            empty.update("No active connections. Press i to show deactivated ones.")
        else:
            empty.update("No payer connections yet. Press a to add the first one.")
        empty.display = not table.shown
        self._show_detail()

    @on(DataTable.RowHighlighted, "#connections")
    def _row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    @on(ListPanel.SearchChanged)
    def _searched(self) -> None:
        self.refresh_data()

    @on(DataTable.RowSelected, "#connections")
    async def _row_selected(self, _event: DataTable.RowSelected) -> None:
        """Enter on a row edits it (the table takes Enter before the section's binding)."""
        await self.run_action("edit_connection")

    def _show_detail(self) -> None:
        """The highlighted connection in full (the table is narrow at 80 columns)."""
        detail = self.query_one("#connection-detail", Static)
        row = self.highlighted
        if row is None:
            detail.update("")
            return
        detail.update(plain(
            f"{row.payer_name} · {row.name} · {'active' if row.active else 'deactivated'}\n"
            f"{row.gateway_type.label}: {row.endpoint}\n"
            f"Submitter {row.submitter_id or '—'} · Receiver {row.receiver_id or '—'} · "
            f"{row.secret_label[0].upper()}{row.secret_label[1:]} {row.key_state}\n"
            f"Compliance rules: {', '.join(row.compliance_rules) or '—'}\n"
            f"{row.usage.label} · poll "
            f"{f'every {row.poll_minutes} min' if row.poll_minutes else 'when asked'} · "
            f"{'ready' if not row.not_ready() else 'not ready: ' + '; '.join(row.not_ready())}",
            keep_newlines=True))

    @property
    def highlighted(self) -> ConnectionView | None:
        return self.table.highlighted

    # -- actions --------------------------------------------------------------------------

    def _open_form(self, existing: ConnectionView | None, key_only: bool = False) -> None:
        from pctui.ui.screens.connection_form import ConnectionForm

        def saved(result: ConnectionView | None) -> None:
            if result is not None:
                if not result.active and not self.show_inactive:
                    self.show_inactive = True  # the saved connection must be in sight
                self.refresh_data()
                self.table.move_to(lambda c: c.id == result.id)
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
            # Unlock first (the dialog takes the keys typed next), then replace the key.
            self.pctui.action_unlock_keyring(
                then=lambda: self._open_form(row, key_only=True))
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
