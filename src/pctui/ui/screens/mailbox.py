"""PAYMENTS → Mailbox: every file sent or received through a payer connection.

Decided where the spec leaves it open: the mailbox is a section of its own (F-key after the
others) rather than a view inside Insurance Payers, because billers use it daily (polling,
reading acknowledgments) while Insurance Payers is an administrator's section; Insurance
Payers' ``m`` opens it filtered to the highlighted connection. Files are listed newest first,
one page at a time in SQL, on the shared list (``/`` search, ``s`` sort, ``Ctrl+E`` export,
``n``/``p`` pages); ``Enter`` shows a file (X12 one segment per line); ``g`` polls.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Select, Static

from pctui.core.text import why_not_a_date
from pctui.core.wording import plural
from pctui.store import connections, mailbox
from pctui.store.errors import NotFound
from pctui.store.mailbox import MailboxEntry, MailboxFilter
from pctui.ui.widgets.form_field import FormField
from pctui.ui.widgets.list_table import Column, ListPanel, ListTable
from pctui.ui.widgets.section import Section, SectionAction
from pctui.ui.widgets.text import plain
from pctui.x12.interchange_summary import segment_lines

PAGE_SIZE = 200
MAX_VIEWER_LINES = 20_000
KINDS = ("835", "999", "TA1", "277CA", "837", "other")
RESULTS = ("imported", "duplicate", "rejected", "acknowledgment", "stored", "pending", "sent",
           "refused", "failed", "sending")
_BAD = ("rejected", "refused", "failed")


def local_time(value: datetime) -> str:
    return value.astimezone().strftime("%Y-%m-%d %H:%M")


def direction_label(direction: str) -> str:
    return "in ↓" if direction == mailbox.Direction.IN else "out ↑"


COLUMNS: list[Column[MailboxEntry]] = [
    Column("when", "When", lambda e: local_time(e.at), min_width=16),
    Column("dir", "Dir", lambda e: direction_label(e.direction), min_width=5),
    Column("file", "File", lambda e: e.remote_name or e.name, min_width=12, max_width=40),
    Column("kind", "Kind", lambda e: e.kind, min_width=5),
    Column("result", "Result", lambda e: plain(e.result, style="red" if e.result in _BAD else ""),
           csv=lambda e: e.result, min_width=8),
    Column("connection", "Connection", lambda e: e.connection, priority=2, max_width=30),
    Column("what", "What became of it", lambda e: e.summary or None, priority=3,
           max_width=60),
]


class MailboxSection(Section):
    SECTION_ID = "mailbox"
    TITLE = "Mailbox"
    GROUP = "PAYMENTS"  # where remittances and acknowledgments arrive
    BINDINGS = [
        Binding("enter,v", "view_file", "View file", id="mailbox.view"),
        Binding("g", "poll_now", "Poll now", id="mailbox.poll"),
        Binding("f", "filters", "Filters", id="mailbox.filters"),
        Binding("x", "clear_filters", "Clear filters", id="mailbox.clear"),
    ]
    ACTIONS = [
        SectionAction("View mailbox file", "The highlighted file's content, X12 one segment "
                      "per line", "view_file"),
        SectionAction("Poll now", "Receive what the filtered connection's mailbox holds (all "
                      "active connections without a connection filter)", "poll_now"),
        SectionAction("Mailbox filters", "By connection, direction, kind, result and date",
                      "filters"),
        SectionAction("Clear mailbox filters", "Show every file again", "clear_filters"),
    ]

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.filters = MailboxFilter()
        self.total = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="mailbox-card", classes="card") as card:
            card.border_title = "Files sent and received"
            card.border_subtitle = "g: Poll now · f: Filters · / Search"
            yield Static("", id="mailbox-status", markup=False)
            yield ListPanel(ListTable(
                COLUMNS, key=lambda e: e.id, export_name="mailbox", noun="file", paged=True,
                sorts_itself=False, export_rows=self._all_rows, id="mailbox-files"),
                placeholder="Search file or connection (Enter applies)")
            yield Static("", id="mailbox-empty", markup=False)
            yield Static("", id="mailbox-detail", markup=False)

    def on_mount(self) -> None:
        self.refresh_data()

    @property
    def table(self) -> ListTable[MailboxEntry]:
        return self.query_one("#mailbox-files", ListTable)

    def focus_content(self) -> None:
        self.table.focus()

    def show_connection(self, connection_id: int | None) -> None:
        """Open on one connection's files (from Insurance Payers' ``m``)."""
        self.filters = MailboxFilter(connection_id=connection_id)
        self._load(0, cursor_row=0)

    def refresh_data(self) -> None:
        self._load(self.table.page)

    def _read(self, offset: int, limit: int) -> list[MailboxEntry]:
        table = self.table
        return mailbox.entries(self.pctui.store, self.filters, offset, limit,
                               search=table.search, order=table.sort_column,
                               descending=table.sort_reverse)

    def _all_rows(self) -> Iterator[MailboxEntry]:
        """Every file of the list as filtered, searched and sorted now (for the CSV export)."""
        store, filters, table = self.pctui.store, self.filters, self.table
        search, order, descending = table.search, table.sort_column, table.sort_reverse

        def rows() -> Iterator[MailboxEntry]:
            offset = 0
            while chunk := mailbox.entries(store, filters, offset, 1000, search=search,
                                           order=order, descending=descending):
                yield from chunk
                offset += len(chunk)

        return rows()

    def _load(self, page: int, cursor_row: int | None = None) -> None:
        table = self.table
        self.total = mailbox.count_entries(self.pctui.store, self.filters, table.search)
        pages = max(1, -(-self.total // PAGE_SIZE))
        page = max(0, min(page, pages - 1))
        table.show(self._read(page * PAGE_SIZE, PAGE_SIZE), page=page, pages=pages,
                   cursor_row=cursor_row)
        self.query_one(ListPanel).show_count(self.total)
        shown = describe_filters(self.filters, self._connection_names())
        if table.search:
            shown = ", ".join(p for p in (shown, f'"{table.search}"') if p)
        self.query_one("#mailbox-status", Static).update(plain(
            f"{plural(self.total, 'file')}{' · ' + shown if shown else ''}"
            + (f" · page {page + 1} of {pages} (n/p)" if pages > 1 else "")))
        empty = self.query_one("#mailbox-empty", Static)
        empty.update("" if table.shown else (
            "No files match (x clears the filters, Escape the search)." if shown else
            "Nothing sent or received yet. g polls every active connection."))
        empty.display = not table.shown
        self._show_detail()

    def _connection_names(self) -> dict[int, str]:
        return {c.id: c.label for c in connections.list_connections(self.pctui.store)}

    @on(ListPanel.SearchChanged)
    def _searched(self) -> None:
        self._load(0, cursor_row=0)

    @on(ListTable.SortChanged, "#mailbox-files")
    def _sorted(self) -> None:
        self._load(0, cursor_row=0)

    @on(ListTable.PageWanted, "#mailbox-files")
    def _page_wanted(self, event: ListTable.PageWanted) -> None:
        self._load(event.page, cursor_row=event.cursor_row)

    @on(DataTable.RowHighlighted, "#mailbox-files")
    def _row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    @on(DataTable.RowSelected, "#mailbox-files")
    def _row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_view_file()  # Enter on the table

    @property
    def highlighted(self) -> MailboxEntry | None:
        return self.table.highlighted

    def _show_detail(self) -> None:
        e = self.highlighted
        detail = self.query_one("#mailbox-detail", Static)
        if e is None:
            detail.update("")
            return
        way = "received from" if e.direction == mailbox.Direction.IN else "sent to"
        lines = [f"{e.remote_name or e.name} · {e.kind} · {e.size:,} bytes · {way} "
                 f"{e.connection} · {local_time(e.at)} by {e.user}",
                 f"{e.result}: {e.summary or '—'}"]
        if e.remote_state:
            lines.append(f"On the server: {e.remote_state}")
        detail.update(plain("\n".join(lines), keep_newlines=True))

    # -- actions --------------------------------------------------------------------------

    def action_view_file(self) -> None:
        if (e := self.highlighted) is None:
            self.notify("No file is highlighted.", severity="warning")
            return
        self.app.push_screen(MailboxFileViewer(e.id))

    def action_poll_now(self) -> None:
        from pctui.ui.screens.poll_progress import PollScreen

        ids = [self.filters.connection_id] if self.filters.connection_id is not None else None
        self.app.push_screen(PollScreen(ids), lambda _: self.refresh_data())

    def action_filters(self) -> None:
        def chosen(result: MailboxFilter | None) -> None:
            if result is not None:
                self.filters = result
                self._load(0, cursor_row=0)

        self.app.push_screen(MailboxFilterDialog(self.filters, self._connection_names()), chosen)

    def action_clear_filters(self) -> None:
        if self.filters == MailboxFilter():
            self.notify("No filters are set (f sets them).", title="Mailbox")
            return
        self.filters = MailboxFilter()
        self._load(0, cursor_row=0)


def describe_filters(f: MailboxFilter, names: dict[int, str]) -> str:
    parts = []
    if f.connection_id is not None:
        parts.append(names.get(f.connection_id, f"connection {f.connection_id}"))
    if f.direction:
        parts.append("received" if f.direction == mailbox.Direction.IN else "sent")
    if f.kind:
        parts.append(f.kind)
    if f.result:
        parts.append(f.result)
    if f.date_from is not None:
        parts.append(f"from {f.date_from.astimezone().date().isoformat()}")
    if f.date_to is not None:
        parts.append(f"to {(f.date_to.astimezone() - timedelta(days=1)).date().isoformat()}")
    return ", ".join(parts)


class MailboxFilterDialog(ModalScreen[MailboxFilter | None]):
    BINDINGS = [
        Binding("ctrl+s", "apply", "Apply", id="mailbox_filter.apply"),
        Binding("escape", "cancel", "Cancel", id="mailbox_filter.cancel"),
    ]

    def __init__(self, current: MailboxFilter, names: dict[int, str]) -> None:
        super().__init__()
        self.current = current
        self.names = names

    def compose(self) -> ComposeResult:
        c = self.current
        blank = Select.NULL
        with Vertical(id="dialog", classes="form"):
            yield Static("Mailbox filters", id="dialog-title", markup=False)
            with VerticalScroll(id="form-body"):
                yield FormField("Connection", Select(
                    [(plain(label), cid) for cid, label in sorted(self.names.items(),
                                                                  key=lambda x: x[1])],
                    id="connection", prompt="any connection",
                    value=c.connection_id if c.connection_id is not None else blank),
                    field_name="connection")
                yield FormField("Direction", Select(
                    [("received", mailbox.Direction.IN), ("sent", mailbox.Direction.OUT)],
                    id="direction", prompt="either", value=c.direction or blank),
                    field_name="direction")
                yield FormField("Kind", Select([(k, k) for k in KINDS], id="kind",
                                               prompt="any kind", value=c.kind or blank),
                                field_name="kind")
                yield FormField("Result", Select([(r, r) for r in RESULTS], id="result",
                                                 prompt="any result", value=c.result or blank),
                                field_name="result")
                yield FormField("From date", Input(_day(c.date_from), id="date_from",
                                                   placeholder="YYYY-MM-DD"),
                                field_name="date_from", hint="on or after this day")
                yield FormField("To date", Input(_day(c.date_to, before=True), id="date_to",
                                                 placeholder="YYYY-MM-DD"),
                                field_name="date_to", hint="on or before this day")
            yield Static("", id="form-status", markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button("Apply (^S)", id="apply", variant="primary")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#connection").focus()

    @on(Button.Pressed, "#apply")
    def action_apply(self) -> None:
        errors: dict[str, str] = {}
        days: dict[str, date | None] = {}
        for key in ("date_from", "date_to"):
            text = self.query_one(f"#{key}", Input).value.strip()
            try:
                days[key] = date.fromisoformat(text) if text else None
            except ValueError:
                errors[key] = why_not_a_date(text)
                days[key] = None
        if days["date_from"] and days["date_to"] and days["date_from"] > days["date_to"]:
            errors["date_to"] = "must not be before the from date"
        for form_field in self.query(FormField):
            form_field.set_error(errors.get(form_field.field_name))
        if errors:
            self.query_one("#form-status", Static).update("Not applied: fix the dates.")
            return

        def value(select_id: str) -> object:
            v = self.query_one(f"#{select_id}", Select).value
            return None if v is Select.NULL else v

        start, end = days["date_from"], days["date_to"]
        self.dismiss(MailboxFilter(
            connection_id=value("connection"),  # type: ignore[arg-type]
            direction=value("direction"), kind=value("kind"),  # type: ignore[arg-type]
            result=value("result"),  # type: ignore[arg-type]
            date_from=_start_of(start) if start else None,
            date_to=_start_of(end + timedelta(days=1)) if end else None))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        self.dismiss(None)


def _start_of(day: date) -> datetime:
    """Midnight of ``day`` where the user is (the list shows local times)."""
    return datetime.combine(day, time()).astimezone()


def _day(value: datetime | None, before: bool = False) -> str:
    if value is None:
        return ""
    local = value.astimezone()
    return (local - timedelta(days=1)).date().isoformat() if before else local.date().isoformat()


class MailboxFileViewer(ModalScreen[None]):
    """A file's facts and content; X12 one segment per line, everything as plain text."""

    BINDINGS = [Binding("escape,q", "dismiss", "Close", id="mailbox_viewer.close")]

    def __init__(self, file_id: int) -> None:
        super().__init__()
        self.file_id = file_id

    def compose(self) -> ComposeResult:
        store = self.app.store  # type: ignore[attr-defined]
        try:
            e = mailbox.entry(store, self.file_id)
            data = mailbox.content(store, self.file_id)
        except NotFound as exc:
            e, data = None, b""
            message = str(exc)
        with Vertical(id="dialog", classes="wide"):
            if e is None:
                yield Static(plain(message), id="dialog-title")
                return
            way = "from" if e.direction == mailbox.Direction.IN else "to"
            yield Static(plain(f"{e.remote_name or e.name} — {e.kind}, {way} {e.connection}"),
                         id="dialog-title")
            facts = [f"{local_time(e.at)} · {e.user} · {e.size:,} bytes · {e.result}",
                     f"SHA-256 {e.sha256}"]
            if e.summary:
                facts.append(e.summary)
            yield Static(plain("\n".join(facts), keep_newlines=True), id="viewer-facts")
            lines = segment_lines(data)
            if lines is None:
                lines = data.decode("utf-8", errors="replace").splitlines()
            note = ""
            if len(lines) > MAX_VIEWER_LINES:
                note = f"\n… the first {MAX_VIEWER_LINES:,} of {len(lines):,} lines are shown"
                lines = lines[:MAX_VIEWER_LINES]
            with VerticalScroll(id="viewer-body"):
                yield Static(plain("\n".join(lines) + note, keep_newlines=True),
                             id="viewer-content")
            yield Static("↑↓ PgUp PgDn: scroll · Escape: close", classes="dialog-keys")

    def on_mount(self) -> None:
        body = self.query("#viewer-body")
        if body:
            body.first().focus()
