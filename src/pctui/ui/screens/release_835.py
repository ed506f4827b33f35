"""PAYMENTS → Release 835: received payments, their status, marks, filters, import and release.

The list is paged in SQL (``PAGE_SIZE`` rows in the table at a time) so it opens at once with
tens of thousands of payments. Status is derived by the store from the payer rules, so the list
is simply re-read: when the section is shown, when a dialog closes, and every ``POLL_SECONDS``
(the visible page only, off the UI thread) so a rule saved in another session shows up.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import date, datetime

from rich.text import Text
from sqlalchemy.exc import OperationalError
from textual import events, on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.message import Message
from textual.screen import Screen
from textual.widgets import DataTable, Input, Label, Select, Static
from textual.worker import Worker, get_current_worker

from pctui.core.money import ZERO, display
from pctui.core.text import visible, why_not_a_date
from pctui.core.wording import local_time, plural
from pctui.store import eras
from pctui.store.eras import EraFilter, EraRow, EraStatus, RefusedFile
from pctui.store.release import ReleaseResult
from pctui.store.users import biller_only_reason
from pctui.ui.screens.release_dialog import summary_text
from pctui.ui.widgets.list_table import SEARCH_MAX_LENGTH, Column, ListPanel, ListTable
from pctui.ui.widgets.section import Section, SectionAction
from pctui.ui.widgets.text import plain

PAGE_SIZE = 200
# Keys that act on the payments list; the rejected-files view leaves them out of the footer.
PAYMENT_ACTIONS = frozenset({"toggle_mark", "show_detail", "mark_page", "unmark_all",
                             "release_marked", "clear_filters", "open_highlighted",
                             "toggle_released"})
POLL_SECONDS = 5.0
VALIDATION_RETRY_SECONDS = 60.0  # after a failed validation run the poll waits this long
FULL_STATUS_WIDTH = 109  # from this section width on (131 columns with the sidebar), the
# status column says each status in full
SHORT_STATUS = {
    EraStatus.READY: "Ready",
    EraStatus.NO_PAYER_RULE: "No rule",
    EraStatus.RELEASED: "Released",
    EraStatus.RELEASED_WITH_ERRORS: "Rel. w/ errors",
}
STATUS_STYLE = {
    EraStatus.READY: "green",
    EraStatus.NO_PAYER_RULE: "dim",
    EraStatus.RELEASED: "",
    EraStatus.RELEASED_WITH_ERRORS: "yellow",
}
STATUS_CHOICES = [(s.label, s.value) for s in EraStatus]
DATE_FORMATS = ("%Y-%m-%d",)
REJECTED_COLUMNS: list[Column[RefusedFile]] = [
    Column("loaded", "Loaded", lambda f: f.loaded_at, min_width=16, max_width=16),
    Column("status", "Result", lambda f: f.status),
    Column("file", "File", lambda f: f.filename.rsplit("/", 1)[-1], min_width=12, max_width=40),
    Column("reason", "Why", lambda f: "; ".join(f.reasons), priority=2, min_width=20,
           max_width=200),
]


def parse_filter_date(text: str, what: str) -> date | None:
    """An empty field is no filter; otherwise YYYY-MM-DD, else ValueError naming the field."""
    text = text.strip()
    if not text:
        return None
    for fmt in DATE_FORMATS:
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(f"{what}: {why_not_a_date(text)}")


def payer_cell(row: EraRow) -> tuple[str, str]:
    """(text, style): the pctui payer code when the Inbound ID belongs to a payer, else the
    835's own payer name in italics (the detail strip says which)."""
    if row.payer_code:
        return row.payer_code, ""
    return row.payer or "—", "italic"


def era_columns(marked: Callable[[EraRow], bool], can_mark: Callable[[], bool],
                full_status: Callable[[], bool]) -> list[Column[EraRow]]:
    """The payments list, most important first: at 80 columns beside the sidebar it shows the
    mark, check/EFT, amount, status, payer and payment date; the Inbound ID joins when the
    sidebar is hidden (Ctrl+B); load date and claims on wider screens (or with →). Blocked
    payments are dimmed by the table's row style; the mark box shows only where a mark can be
    set."""

    def mark(row: EraRow) -> str:
        if marked(row):
            return "[x]"
        return "[ ]" if row.status.releasable and can_mark() else ""

    def status(row: EraRow) -> Text:
        label = row.status.label if full_status() else SHORT_STATUS[row.status]
        return plain(label, style=STATUS_STYLE[row.status])

    def payer(row: EraRow) -> Text:
        text, style = payer_cell(row)
        return plain(text, style=style)

    return [
        Column("mark", "Rel", mark, min_width=3, max_width=3, sort_key=lambda r: marked(r)),
        Column("check", "Check/EFT", lambda r: r.check_number or None, min_width=12,
               max_width=30, comfortable=16),
        Column("amount", "Amount", lambda r: r.amount, align="right", min_width=8),
        Column("status", "Status", status, min_width=7, max_width=25, comfortable=10,
               sort_key=lambda r: r.status.label),
        Column("payer", "Payer", payer, min_width=8, max_width=30, comfortable=10,
               csv=lambda r: r.payer_code or r.payer),
        Column("paid", "Paid on", lambda r: r.payment_date, priority=2, min_width=10),
        Column("inbound", "Inbound ID", lambda r: r.inbound_id or None, priority=3,
               min_width=10, max_width=15),
        Column("loaded", "Loaded", lambda r: r.loaded_at, priority=4, min_width=16),
        Column("claims", "Claims", lambda r: r.claims, align="right", priority=4),
    ]


@dataclass
class PageState:
    """What the list shows: filters, page, and the payments marked for release."""

    filters: EraFilter = field(default_factory=EraFilter)
    page: int = 0
    total: int = 0
    rows: list[EraRow] = field(default_factory=list)
    marked: dict[int, EraRow] = field(default_factory=dict)
    generation: int = 0  # bumped on every change of filters/page; stale reads are dropped

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // PAGE_SIZE))


class FilterBar(Vertical):
    """Compact filter inputs; Enter applies, Escape closes, x (in the list) clears."""

    BINDINGS = [Binding("escape", "close", "Close filters", id="release.filters_close")]

    class Applied(Message):
        def __init__(self, filters: EraFilter) -> None:
            super().__init__()
            self.filters = filters

    class Closed(Message):
        pass

    def compose(self) -> ComposeResult:
        with Horizontal(classes="filter-row"):
            yield Label("Paid", classes="filter-label")
            yield Input(id="paid_from", placeholder="YYYY-MM-DD", compact=True, classes="filter-date")
            yield Label("to", classes="filter-to")
            yield Input(id="paid_to", placeholder="YYYY-MM-DD", compact=True, classes="filter-date")
            yield Label("Check", classes="filter-label2")
            yield Input(id="check_number", placeholder="part of it", compact=True,
                        classes="filter-text", max_length=SEARCH_MAX_LENGTH)
        with Horizontal(classes="filter-row"):
            yield Label("Loaded", classes="filter-label")
            yield Input(id="loaded_from", placeholder="YYYY-MM-DD", compact=True, classes="filter-date")
            yield Label("to", classes="filter-to")
            yield Input(id="loaded_to", placeholder="YYYY-MM-DD", compact=True, classes="filter-date")
            yield Label("Payer", classes="filter-label2")
            yield Input(id="inbound", placeholder="ID or name", compact=True,
                        classes="filter-text", max_length=SEARCH_MAX_LENGTH)
        with Horizontal(classes="filter-row"):
            yield Label("Status", classes="filter-label")
            yield Select(STATUS_CHOICES, id="status", prompt="Any status", compact=True)
        yield Static("Enter applies · Esc closes · x (in the list) clears", id="filter-message", markup=False)

    def read(self) -> EraFilter:
        """The filters typed in; ValueError naming the field when a date is not one."""
        def text(wid: str) -> str:
            return self.query_one(f"#{wid}", Input).value

        status = self.query_one("#status", Select).value
        for wid in ("paid_from", "paid_to", "loaded_from", "loaded_to"):
            self.query_one(f"#{wid}", Input).remove_class("-invalid")
        dates: dict[str, date | None] = {}
        for wid, what in (("paid_from", "Paid from"), ("paid_to", "Paid to"),
                          ("loaded_from", "Loaded from"), ("loaded_to", "Loaded to")):
            try:
                dates[wid] = parse_filter_date(text(wid), what)
            except ValueError:
                self.query_one(f"#{wid}", Input).add_class("-invalid")
                self.query_one(f"#{wid}", Input).focus()
                raise
        return EraFilter(
            paid_from=dates["paid_from"], paid_to=dates["paid_to"],
            check_number=text("check_number").strip() or None,
            inbound=text("inbound").strip() or None,
            loaded_from=dates["loaded_from"], loaded_to=dates["loaded_to"],
            status=EraStatus(status) if isinstance(status, str) else None,
        )

    def clear(self) -> None:
        for field_input in self.query(Input):
            field_input.value = ""
            field_input.remove_class("-invalid")
        self.query_one("#status", Select).clear()
        self.say("Enter applies · Esc closes · x (in the list) clears")

    def say(self, message: str, error: bool = False) -> None:
        line = self.query_one("#filter-message", Static)
        line.update(plain(message))
        line.set_class(error, "-error")

    def apply(self) -> None:
        try:
            filters = self.read()
        except ValueError as exc:
            self.say(f"✗ {exc}", error=True)
            return
        self.say("Enter applies · Esc closes · x (in the list) clears")
        self.post_message(self.Applied(filters))

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.apply()

    @on(Select.Changed, "#status")
    def _status_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.apply()

    def action_close(self) -> None:
        self.post_message(self.Closed())


def strip_lines(row: EraRow) -> list[str]:
    """The highlighted payment in full under the list (the table is narrow at 80 columns): what
    it pays, who pays it — a pctui payer code, or the 835's own name when its Inbound ID belongs
    to no payer — and where the Inbound ID came from."""
    paid = row.payment_date.isoformat() if row.payment_date else "—"
    inbound = f"Inbound ID {row.inbound_id or '—'} (from {row.inbound_id_source})"
    if row.payer_code:
        payer = f"Payer {row.payer_code} · the 835 names it {row.payer or '—'}"
    else:
        payer = f"Payer {row.payer or '—'} (as named in the 835)"
        inbound += " · no payer has it"
    return [
        f"Check {row.check_number or '—'} · {display(row.amount)} · "
        f"{plural(row.claims, 'claim')} · paid {paid}",
        payer,
        inbound,
    ]


def describe_filters(f: EraFilter, with_hidden: bool = True) -> str:
    """The active filters (and search) in a few words, for the summary line; with
    ``with_hidden``, also that released payments are hidden."""
    parts: list[str] = []
    if f.search:
        parts.append(f'finding "{f.search}"')
    if f.paid_from or f.paid_to:
        parts.append(f"paid {f.paid_from or '…'}–{f.paid_to or '…'}")
    if f.loaded_from or f.loaded_to:
        parts.append(f"loaded {f.loaded_from or '…'}–{f.loaded_to or '…'}")
    if f.check_number:
        parts.append(f"check ~{f.check_number}")
    if f.inbound:
        parts.append(f"payer {f.inbound}")
    if f.status:
        parts.append(EraStatus(f.status).label)
    elif f.hide_released and with_hidden:
        parts.append("released hidden (h)")
    return ", ".join(parts)


def marked_now(store: object, marked: dict[int, EraRow]) -> list[EraRow]:
    """The marked payments as they are now (released elsewhere? its rule gone?)."""
    if not marked:
        return []
    return eras.list_eras(store, EraFilter(era_ids=tuple(marked)))  # type: ignore[arg-type]


class Release835Section(Section):
    SECTION_ID = "release-835"
    TITLE = "Release 835"
    GROUP = "PAYMENTS"
    BINDINGS = [  # footer order: what a biller uses most comes first
        Binding("enter", "open_highlighted", "Open / add rule", show=False,
                id="release.open"),
        Binding("space", "toggle_mark", "Mark", id="release.mark"),
        Binding("d", "show_detail", "Detail", id="release.detail"),
        Binding("r", "release_marked", "Release", id="release.release"),
        Binding("f", "filters", "Filters", id="release.filters"),
        Binding("i", "import_files", "Import", id="release.import"),
        Binding("v", "toggle_rejected", "Rejected files", id="release.rejected"),
        # not in the footer: v (shown) does the same, and Escape is what any view is left with
        Binding("escape", "leave_rejected", "Back to payments", show=False,
                id="release.rejected_back"),
        Binding("m", "mark_page", "Mark all Ready", id="release.mark_page"),
        Binding("u", "unmark_all", "Unmark all", id="release.unmark"),
        Binding("x", "clear_filters", "Clear filters", id="release.clear_filters"),
        Binding("h", "toggle_released", "Released", id="release.show_released"),
        Binding("e", "error_lines", "Error lines", id="release.error_lines"),
        Binding("H", "held", "Held", id="release.held"),
        Binding("b", "batches", "Batches", id="release.batches"),
    ]
    ACTIONS = [
        SectionAction("Open payment / add payer rule",
                      "Detail of the highlighted payment, or the rule form when it is blocked",
                      "open_highlighted"),
        SectionAction("Payment detail", "Claims, lines, adjustments, PLB, findings and posting "
                      "of the highlighted payment, whatever its status", "show_detail"),
        SectionAction("Mark / unmark for release", "Toggle the release mark of the highlighted "
                      "Ready payment", "toggle_mark"),
        SectionAction("Mark all Ready on this page", "Blocked and released ones are skipped",
                      "mark_page"),
        SectionAction("Unmark all", "Clear every release mark", "unmark_all"),
        SectionAction("Release marked payments", "Post the marked payments: asks the deposit "
                      "date and batch", "release_marked"),
        SectionAction("Filters", "Payment date, check number, payer, load date, status",
                      "filters"),
        SectionAction("Clear filters", "Show every payment again", "clear_filters"),
        SectionAction("Import 835 files", "Import a file or a folder of 835/837 files",
                      "import_files"),
        SectionAction("Rejected files", "Files that were rejected or held nothing new, and why",
                      "toggle_rejected"),
        SectionAction("Show / hide released payments", "Released payments are hidden until "
                      "asked for", "toggle_released"),
        SectionAction("Find a payment by claim or patient", "Search every 835 for a claim "
                      "number or patient name (also check/EFT, Inbound ID, payer)",
                      "search"),
        SectionAction("Export payments to CSV", "Every payment of the list as filtered, "
                      "sorted and searched", "export"),
        SectionAction("Error-report worklist", "Every open error-report line across payments: "
                      "rework the ones whose cause is fixed, close others with a note",
                      "error_lines"),
        SectionAction("Held claims", "Secondary and tertiary payments held until the earlier "
                      "level is posted", "held"),
        SectionAction("Batches", "Per deposit date and batch, the payments and their total",
                      "batches"),
    ]

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.state = PageState(filters=EraFilter(hide_released=True))
        self.showing_rejected = False
        self._counts: dict[EraStatus, int] = {}
        self._full_status = False
        self._claim_matches: dict[int, list[str]] = {}  # payment → the claims a search found
        self._validation: Worker[None] | None = None
        self._validation_retry_at = 0.0  # time.monotonic() before which the poll leaves it

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield self.read_only_banner()
        yield Static("", id="era-summary", markup=False)
        filter_bar = FilterBar(id="era-filters")
        filter_bar.display = False
        yield filter_bar
        columns = era_columns(lambda r: r.id in self.state.marked,
                              lambda: self.pctui.actor.can_release, lambda: self._full_status)
        yield ListPanel(ListTable(
            columns, export_name="payments", noun="payment", paged=True, sorts_itself=False,
            export_rows=self._all_rows, fixed_columns=2,
            row_style=lambda r: "dim" if r.status is EraStatus.NO_PAYER_RULE else "",
            id="eras"), placeholder="Find: claim number, patient, check/EFT, Inbound ID, payer "
                                    "(Enter)", id="eras-panel")
        rejected = ListTable(REJECTED_COLUMNS, export_name="rejected-files", noun="file",
                             id="rejected")
        rejected.display = False
        yield rejected
        yield Static("", id="era-line", markup=False)

    def on_resize(self, event: events.Resize) -> None:
        """A wide section says each status in full."""
        full = event.size.width >= FULL_STATUS_WIDTH
        if full != self._full_status:
            self._full_status = full
            self._fill_table()

    def on_mount(self) -> None:
        self.refresh_data()
        self.set_interval(POLL_SECONDS, self._poll)
        self.app.screen_change_signal.subscribe(self, self._screen_changed)
        self.ensure_validation()

    def read_only_reason(self) -> str | None:
        actor = self.pctui.actor
        if actor.can_release:
            return None
        return biller_only_reason(actor, "Release 835")

    @property
    def table(self) -> ListTable[EraRow]:
        return self.query_one("#eras", ListTable)

    @property
    def rejected_table(self) -> ListTable[RefusedFile]:
        return self.query_one("#rejected", ListTable)

    def focus_content(self) -> None:
        (self.rejected_table if self.showing_rejected else self.table).focus()

    # -- reading --------------------------------------------------------------------------

    def refresh_data(self) -> None:
        """Re-read the visible page (and the rejected files when they are shown)."""
        if self.showing_rejected:
            self._show_rejected()
            return
        store = self.pctui.store
        state = self.state
        total = eras.count_eras(store, state.filters)
        page = min(state.page, max(0, -(-total // PAGE_SIZE) - 1))
        rows = eras.list_eras(store, state.filters, offset=page * PAGE_SIZE, limit=PAGE_SIZE,
                              **self._order())
        self._apply_page(state.generation, page, total, rows, eras.status_counts(store),
                         marked_now(store, state.marked))

    def _order(self) -> dict[str, object]:
        table = self.table
        if table.sort_column in (None, "mark"):
            return {}
        return {"order": table.sort_column, "descending": table.sort_reverse}

    def _all_rows(self) -> Iterator[EraRow]:
        """Every payment of the list as filtered, sorted and searched now, a thousand at a time
        (read off the UI thread by the CSV export)."""
        store, filters, order = self.pctui.store, self.state.filters, self._order()

        def rows() -> Iterator[EraRow]:
            offset = 0
            while chunk := eras.list_eras(store, filters, offset=offset, limit=1000, **order):
                yield from chunk
                offset += len(chunk)

        return rows()

    def _poll(self) -> None:
        """Re-read the visible page, and notice files imported elsewhere (``pctui import`` from
        cron, ``pctui demo``) that still wait for their full 5010 validation."""
        read_page = (self.display and self.app.screen is self.screen
                     and not self.showing_rejected)
        check_validation = (not self.validation_running
                            and time.monotonic() >= self._validation_retry_at)
        if read_page or check_validation:
            self._read_page_in_background(self.state.generation, self.state.page,
                                          self.state.filters, read_page, check_validation,
                                          self._order())

    def _screen_changed(self, screen: Screen) -> None:
        if screen is self.screen and self.display:
            self.refresh_data()

    @work(thread=True, exclusive=True, group="release-835-poll")
    def _read_page_in_background(self, generation: int, page: int, filters: EraFilter,
                                 read_page: bool = True, check_validation: bool = False,
                                 order: dict[str, object] | None = None) -> None:
        from pctui.store.intake import validation_pending

        store = self.pctui.store
        try:
            if check_validation and validation_pending(store):
                self.app.call_from_thread(self.ensure_validation)
            if not read_page:
                return
            total = eras.count_eras(store, filters)
            page = min(page, max(0, -(-total // PAGE_SIZE) - 1))
            rows = eras.list_eras(store, filters, offset=page * PAGE_SIZE, limit=PAGE_SIZE,
                                  **(order or {}))
            counts = eras.status_counts(store)
            marked = marked_now(store, dict(self.state.marked))
        except OperationalError:
            return  # the database is busy with another session: the next tick reads again
        self.app.call_from_thread(self._apply_page, generation, page, total, rows, counts,
                                  marked)

    def _apply_page(self, generation: int, page: int, total: int, rows: list[EraRow],
                    counts: dict[EraStatus, int], marked: list[EraRow] | None = None) -> None:
        state = self.state
        if generation != state.generation:
            return  # the user changed page, sort or filters meanwhile: this read is stale
        self._counts = counts
        self._drop_marks_no_longer_ready([*rows, *(marked or [])])
        same_rows = page == state.page and [r.id for r in rows] == [r.id for r in state.rows]
        previous = {r.id: r for r in state.rows}
        state.page, state.total, state.rows = page, total, rows
        if same_rows and self.table.row_count == len(rows):
            for row in rows:
                if previous.get(row.id) != row:
                    self._redraw_row(row)
        else:
            self._fill_table()
        self._show_summary()
        self._show_line()

    def _fill_table(self, cursor_row: int | None = None) -> None:
        """Show the page read; the cursor stays on its payment unless ``cursor_row`` says."""
        self.table.show(self.state.rows, page=self.state.page, pages=self.state.pages,
                        cursor_row=cursor_row)

    def _redraw_row(self, row: EraRow) -> None:
        self.table.redraw(row)

    def _drop_marks_no_longer_ready(self, rows: list[EraRow]) -> None:
        """Marked payments released elsewhere (or whose rule went) lose their mark, on the
        page or not (a released payment leaves the list while released ones are hidden)."""
        rows = list({r.id: r for r in rows}.values())
        dropped = [r for r in rows if r.id in self.state.marked and not r.status.releasable]
        for row in dropped:
            del self.state.marked[row.id]
        if dropped:
            checks = ", ".join(r.check_number for r in dropped)
            self.notify(f"Unmarked {checks}: no longer Ready (released or its rule changed).",
                        title="Release 835", severity="warning")

    def _show_summary(self) -> None:
        state, counts = self.state, self._counts
        total_all = sum(counts.values())
        parts = [
            f"Ready {counts.get(EraStatus.READY, 0)}",
            f"No rule {counts.get(EraStatus.NO_PAYER_RULE, 0)}",
            f"Released {counts.get(EraStatus.RELEASED, 0) + counts.get(EraStatus.RELEASED_WITH_ERRORS, 0)}",
        ]
        if state.marked:
            marked_total = sum((r.amount for r in state.marked.values()), ZERO)
            parts.append(f"{len(state.marked)} marked ({display(marked_total)})")
        line = " · ".join(parts)
        filters = describe_filters(state.filters, with_hidden=False)
        hidden = state.filters.hide_released and not state.filters.status
        if filters:
            where = f"{state.total} of {total_all} shown ({filters})"
        elif hidden:
            where = f"{state.total} of {total_all} shown"
        else:
            where = plural(total_all, "payment")
        if hidden:
            where += " · released hidden (h shows them)"
        if state.pages > 1:
            first = state.page * PAGE_SIZE + 1
            where += (f" · rows {first:,}–{first + len(state.rows) - 1:,}, page "
                      f"{state.page + 1}/{state.pages} (n/p)")
        self.query_one("#era-summary", Static).update(plain(f"{line}\n{where}",
                                                            keep_newlines=True))

    def _show_line(self) -> None:
        """The highlighted payment in full (the table is narrow at 80 columns)."""
        line = self.query_one("#era-line", Static)
        line.set_class(self.showing_rejected, "-reasons")
        if self.showing_rejected:
            refused = self._highlighted_refused()
            line.update(plain("No file has been rejected." if refused is None else
                              f"{refused.filename} · {refused.status} by "
                              f"{refused.loaded_by or '?'} on {local_time(refused.loaded_at)}\n"
                              + "\n".join(visible(r) for r in refused.reasons),
                              keep_newlines=True))
            return
        row = self.highlighted
        if row is None:
            f = self.state.filters
            if f.search:
                text = (f'No payment pays a claim or patient matching "{f.search}", nor has '
                        "such a check/EFT, Inbound ID or payer. Escape clears the search.")
            elif describe_filters(f, with_hidden=False):
                text = "No payments match these filters: press x to clear them."
            elif f.hide_released and sum(self._counts.values()):
                text = "Every payment is released: h shows released payments."
            else:
                text = "No 835 payments yet: press i to import a file or a folder."
            line.update(plain(text))
            return
        lines = [*strip_lines(row), f"{row.status.label}{self._next_step(row)}"]
        if row.id in self._claim_matches:  # what the search found in this payment
            found = self._claim_matches[row.id]
            lines[-1] = (f"Pays {', '.join(found[:3])}"
                         + (f" and {len(found) - 3} more" if len(found) > 3 else "")
                         + f" · {row.status.label}")
        # fixed height: no re-layout on every cursor move
        line.update(plain("\n".join(visible(x) for x in lines), keep_newlines=True),
                    layout=False)

    def _next_step(self, row: EraRow) -> str:
        actor = self.pctui.actor
        if row.status is EraStatus.NO_PAYER_RULE:
            return (" — Enter adds its rule" if actor.is_admin
                    else " — an admin must add its rule")
        if row.status is EraStatus.READY and actor.can_release:
            return " — space marks it"
        return ""

    @property
    def highlighted(self) -> EraRow | None:
        return self.table.highlighted

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_line()

    # -- pages and filters ----------------------------------------------------------------

    def _go_to_page(self, page: int, cursor_row: int) -> None:
        state = self.state
        if not 0 <= page < state.pages:
            return
        state.page = page
        state.generation += 1
        state.rows = eras.list_eras(self.pctui.store, state.filters, offset=page * PAGE_SIZE,
                                    limit=PAGE_SIZE, **self._order())
        self._fill_table(cursor_row=cursor_row)
        self._show_summary()
        self._show_line()

    @on(ListTable.PageWanted, "#eras")
    def _page_wanted(self, event: ListTable.PageWanted) -> None:
        self._go_to_page(event.page, event.cursor_row)

    @on(ListTable.SortChanged, "#eras")
    def _sorted(self) -> None:
        self.state.page = 0
        self.state.generation += 1
        self.refresh_data()

    @on(ListPanel.SearchChanged, "#eras-panel")
    def _searched(self, event: ListPanel.SearchChanged) -> None:
        """Find payments by a claim's number or patient across every 835, or by check/EFT,
        Inbound ID or the 835's payer name."""
        text = event.text
        self._claim_matches = eras.payments_of_claims(self.pctui.store, text) if text else {}
        self.set_filters(replace(self.state.filters, search=text or None,
                                 era_ids=tuple(self._claim_matches) if text else None))
        self.query_one("#eras-panel", ListPanel).show_count(self.state.total)
        self._show_line()

    def action_search(self) -> None:
        self.query_one("#eras-panel", ListPanel).action_search()

    def action_export(self) -> None:
        self.table.action_export()

    def action_toggle_released(self) -> None:
        hide = not self.state.filters.hide_released
        self.set_filters(replace(self.state.filters, hide_released=hide))
        released = (self._counts.get(EraStatus.RELEASED, 0)
                    + self._counts.get(EraStatus.RELEASED_WITH_ERRORS, 0))
        self.notify(f"Released payments hidden ({released}); h shows them." if hide else
                    "Released payments shown too; h hides them again.", title="Release 835")

    def set_filters(self, filters: EraFilter) -> None:
        self.state.filters = filters
        self.state.page = 0
        self.state.generation += 1
        self.refresh_data()

    def action_filters(self) -> None:
        bar = self.query_one(FilterBar)
        if self.showing_rejected:
            self.action_toggle_rejected()
        if bar.display and bar.has_focus_within:
            self._close_filters()
            return
        bar.display = True
        self.screen.set_focus(bar.query_one("#paid_from", Input))  # at once: typeahead

    def _close_filters(self) -> None:
        self.query_one(FilterBar).display = False
        self.table.focus()

    @on(FilterBar.Applied)
    def _filters_applied(self, event: FilterBar.Applied) -> None:
        self.set_filters(event.filters)
        found = self.state.total
        verb = "matches" if found == 1 else "match"
        self.query_one(FilterBar).say(f"{plural(found, 'payment')} {verb} · Esc closes")

    @on(FilterBar.Closed)
    def _filters_closed(self) -> None:
        self._close_filters()

    def action_clear_filters(self) -> None:
        self.query_one(FilterBar).clear()
        if describe_filters(self.state.filters, with_hidden=False):
            self.set_filters(EraFilter(hide_released=self.state.filters.hide_released,
                                       search=self.state.filters.search,
                                       era_ids=self.state.filters.era_ids))
            self.notify("Filters cleared.")
        else:
            self.notify("No filters are set (f sets them).", title="Release 835")

    # -- rejected files -------------------------------------------------------------------

    def action_toggle_rejected(self) -> None:
        self.showing_rejected = not self.showing_rejected
        self.rejected_table.display = self.showing_rejected
        self.query_one("#eras-panel").display = not self.showing_rejected
        if self.showing_rejected:
            self.query_one(FilterBar).display = False
        self.refresh_data()
        self.focus_content()
        self.refresh_bindings()

    def action_leave_rejected(self) -> None:
        if self.showing_rejected:
            self.action_toggle_rejected()

    def _show_rejected(self) -> None:
        refused = eras.rejected_files(self.pctui.store, include_duplicates=True)
        self.rejected_table.show(refused)
        rejected = sum(1 for f in refused if f.status == "rejected")
        self.query_one("#era-summary", Static).update(
            f"Files refused: {rejected} rejected, "
            f"{plural(len(refused) - rejected, 'duplicate')} (newest first)\n"
            "Press v to go back to the payments.")
        self._show_line()

    def _highlighted_refused(self) -> RefusedFile | None:
        return self.rejected_table.highlighted

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """In the rejected-files view the payments' keys are left out (they would act on
        nothing there)."""
        if self.showing_rejected and action in PAYMENT_ACTIONS:
            return False
        if action == "leave_rejected":
            return self.showing_rejected  # only there; elsewhere Escape is not this section's
        return True

    def _in_payments(self) -> bool:
        if self.showing_rejected:
            self.notify("This is the list of rejected files: press v to go back to the payments.")
            return False
        return True

    # -- marks ----------------------------------------------------------------------------

    def _release_refusal(self) -> str | None:
        actor = self.pctui.actor
        if actor.can_release:
            return None
        return (f"{actor.login} is not registered in this database, so you cannot release "
                f"payments; an admin can run `pctui users add {actor.login} --role biller`.")

    def _why_not_markable(self, row: EraRow) -> str | None:
        if row.status is EraStatus.NO_PAYER_RULE:
            who = ("press Enter to create one" if self.pctui.actor.is_admin else
                   "ask an admin to create one")
            return f"No payer rule for Inbound ID {row.inbound_id} — {who}."
        if not row.status.releasable:
            return f"Payment {row.check_number} is already {row.status.label.lower()}."
        return self._release_refusal()

    def action_toggle_mark(self) -> None:
        if not self._in_payments():
            return
        row = self.highlighted
        if row is None:
            self.notify("No payment is highlighted.", severity="warning")
            return
        if (why := self._why_not_markable(row)) is not None:
            self.notify(why, title="Cannot mark", severity="warning")
            return
        if row.id in self.state.marked:
            del self.state.marked[row.id]
        else:
            self.state.marked[row.id] = row
        self._redraw_row(row)
        self._show_summary()

    def action_mark_page(self) -> None:
        if not self._in_payments():
            return
        if (why := self._release_refusal()) is not None:
            self.notify(why, title="Cannot mark", severity="warning")
            return
        ready = [r for r in self.state.rows if r.status.releasable]
        blocked = sum(1 for r in self.state.rows if r.status is EraStatus.NO_PAYER_RULE)
        newly = [r for r in ready if r.id not in self.state.marked]
        for row in newly:
            self.state.marked[row.id] = row
            self._redraw_row(row)
        self._show_summary()
        note = (f" {plural(blocked, 'blocked payment')} cannot be marked." if blocked
                else "")
        self.notify(f"Marked {plural(len(newly), 'Ready payment')} on this page "
                    f"({len(self.state.marked)} marked in all).{note}")

    def action_unmark_all(self) -> None:
        if not self.state.marked:
            self.notify("No payment is marked.")
            return
        unmarked = list(self.state.marked.values())
        self.state.marked.clear()
        on_page = {r.id: r for r in self.state.rows}
        for row in unmarked:
            if row.id in on_page:
                self._redraw_row(on_page[row.id])
        self._show_summary()
        self.notify(f"Unmarked {plural(len(unmarked), 'payment')}.")

    # -- release --------------------------------------------------------------------------

    def action_release_marked(self) -> None:
        from pctui.ui.screens.release_dialog import ReleaseDialog

        if not self._in_payments():
            return
        if (why := self._release_refusal()) is not None:
            self.notify(why, title="Cannot release", severity="warning")
            return
        if not self.state.marked:
            self.notify("Mark Ready payments first: space marks one, m every Ready one on "
                        "this page.", title="Nothing marked", severity="warning")
            return
        marked = list(self.state.marked.values())

        def released(results: list[ReleaseResult] | None) -> None:
            if results:
                for result in results:
                    if result.released:
                        self.state.marked.pop(result.era_id, None)
                self.notify(summary_text(results), title="Release 835")
            self.refresh_data()

        self.app.push_screen(ReleaseDialog(marked), released)

    # -- open: detail, or the rule form for a blocked payment -----------------------------

    @on(DataTable.RowSelected, "#eras")
    def _row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_open_highlighted()

    def action_open_highlighted(self) -> None:
        if not self._in_payments():
            return
        row = self.highlighted
        if row is None:
            self.notify("No payment is highlighted.", severity="warning")
            return
        if row.status is EraStatus.NO_PAYER_RULE:
            self._open_rule_form(row)
            return
        self.action_show_detail()

    def action_error_lines(self, held_only: bool = False) -> None:
        from pctui.ui.screens.error_worklist import ErrorWorklistScreen

        def closed(changed: bool | None) -> None:
            if changed:
                self.refresh_data()

        self.app.push_screen(ErrorWorklistScreen(held_only=held_only), closed)

    def action_held(self) -> None:
        self.action_error_lines(held_only=True)

    def action_batches(self) -> None:
        from pctui.ui.screens.batch_report import BatchReportScreen

        self.app.push_screen(BatchReportScreen())

    def action_show_detail(self) -> None:
        from pctui.ui.screens.era_detail import EraDetailScreen

        if not self._in_payments():
            return
        if (row := self.highlighted) is None:
            self.notify("No payment is highlighted.", severity="warning")
            return
        self.ensure_validation()  # the detail says validation is running: make sure it is
        self.app.push_screen(EraDetailScreen(row.id), lambda changed: self.refresh_data()
                             if changed else None)

    def _open_rule_form(self, row: EraRow) -> None:
        actor = self.pctui.actor
        if not actor.is_admin:
            role = f"you are a {actor.role.value}" if actor.role else "you are not registered"
            self.notify(f"Payment {row.check_number} waits for a payer rule for Inbound ID "
                        f"{row.inbound_id}. Only an admin may add payer rules ({role}): ask an "
                        "admin to add one under Payer Rules. Press d for the payment's detail.",
                        title="No Payer Rule Established",
                        severity="warning", timeout=10)
            return
        from pctui.ui.screens.rule_drawer import RuleDrawer

        def saved(rule: object | None) -> None:
            self.refresh_data()
            if rule is None:
                return
            now = eras.get_era(self.pctui.store, row.id)
            if now.status is EraStatus.READY:
                self.notify(f"Rule saved: payments under Inbound ID {row.inbound_id} are Ready.",
                            title="Payer rule")
            else:
                self.notify(f"Rule saved, but Inbound ID {row.inbound_id} is still blocked: it "
                            "must belong to the rule's payer (Payer Rules → Payers).",
                            title="Payer rule", severity="warning", timeout=10)

        from pctui.store import rules

        existing = [r for r in rules.list_rules(self.pctui.store, row.inbound_id)
                    if r.inbound_id == row.inbound_id and r.active]
        if len(existing) == 1:
            # The rule exists but its Inbound ID is not attached to its payer: saving the rule
            # again offers to attach it.
            rule = existing[0]
            self.notify(f"A rule for Inbound ID {row.inbound_id} + {rule.payer_code} exists, but "
                        f"{row.inbound_id} does not belong to any payer yet. Save the rule "
                        f"(Ctrl+S) to attach it to {rule.payer_code}.", title="Payer rule",
                        timeout=10)
            self.app.push_screen(RuleDrawer(rule=rule), saved)
            return
        self.app.push_screen(RuleDrawer(inbound_id=row.inbound_id, payer_name=row.payer), saved)

    # -- import ---------------------------------------------------------------------------

    def action_import_files(self) -> None:
        from pctui.ui.screens.era_import import EraImportDialog

        if (why := self._import_refusal()) is not None:
            self.notify(why, title="Cannot import", severity="warning")
            return

        def imported(new_files: int | None) -> None:
            self.state.generation += 1
            self.refresh_data()
            if new_files:
                self.ensure_validation()

        self.app.push_screen(EraImportDialog(), imported)

    def _import_refusal(self) -> str | None:
        actor = self.pctui.actor
        if actor.can_release:
            return None
        return (f"{actor.login} is not registered in this database, so you cannot import files; "
                f"an admin can run `pctui users add {actor.login} --role biller`.")

    @property
    def validation_running(self) -> bool:
        return self._validation is not None and not self._validation.is_finished

    def ensure_validation(self) -> None:
        """Start the background 5010 validation unless it is running already: one at a time
        (starting another would cancel the running one mid-way, ``exclusive``)."""
        if not self.validation_running:
            self._validation = self.validate_in_background()

    @work(thread=True, exclusive=True, group="release-835-validation")
    def validate_in_background(self) -> None:
        """pyx12's full 5010 validation of imported files still waiting for it, one file at a
        time so quitting the app waits for one file at most."""
        from pctui.store.intake import validate_pending

        worker = get_current_worker()
        runs = []
        try:
            while not worker.is_cancelled and (batch := validate_pending(self.pctui.store,
                                                                         limit=1)):
                runs += batch
        except Exception as exc:  # noqa: BLE001 - a failed check must not take the app down
            self._validation_retry_at = time.monotonic() + VALIDATION_RETRY_SECONDS
            self.app.call_from_thread(
                self.notify, f"Full 5010 validation stopped: {type(exc).__name__}: {exc}. The "
                "files stay marked pending and are checked again in a minute.",
                title="Validation", severity="error", timeout=12)
        if runs:
            found = sum(len(r.findings) for r in runs)
            self.app.call_from_thread(
                self.notify, f"Full 5010 validation done for {plural(len(runs), 'file')}: "
                f"{plural(found, 'finding')} (shown in each payment's detail).",
                title="Validation")
