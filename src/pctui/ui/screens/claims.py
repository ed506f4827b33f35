"""PAYMENTS → Claims: every claim with its charge, what was paid and adjusted, and who owes the rest.

Read-only for everyone, so it has no read-only banner: nothing here is changed by hand; releasing
835s (PAYMENTS → Release 835) is what posts ledger entries. Claims are read one page at a time
in SQL (``PAGE_SIZE`` rows): a DataTable holding tens of thousands of rows paints far too slowly.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import DataTable, Input, Static

from pctui.core.codes import Party
from pctui.core.money import display
from pctui.core.wording import plural
from pctui.store import claim_intake, claims
from pctui.store.claims import ClaimBalance
from pctui.ui.widgets.section import Section, SectionAction

PAGE_SIZE = 200
# Column key, header, fixed width (None: as wide as the widest cell on the page).
COLUMNS: tuple[tuple[str, str, int | None], ...] = (
    ("claim", "Claim", None),
    ("patient", "Patient", 18),
    ("service", "Service", 10),
    ("charge", "Charge", None),
    ("paid", "Paid", None),
    ("adjusted", "Adjusted", None),
    ("primary", "Primary bal", None),
    ("secondary", "Secondary bal", None),
    ("tertiary", "Tertiary bal", None),
    ("patient-balance", "Patient bal", None),
)
_RIGHT_ALIGNED = {"charge", "paid", "adjusted", "primary", "secondary", "tertiary",
                  "patient-balance"}  # fmt: skip


def amount_cell(amount: Decimal) -> Text:
    return Text(display(amount), justify="right")


def service_date_text(value: date | None) -> str:
    return value.isoformat() if value else "—"


def claim_cells(row: ClaimBalance) -> list[Text]:
    # Text, not str: a DataTable reads plain strings as markup, and claim ids are user data.
    return [
        Text(row.claim_id),
        Text(row.patient_name or "—"),
        Text(service_date_text(row.service_date)),
        amount_cell(row.charge),
        amount_cell(row.paid),
        amount_cell(row.adjusted),
        *(amount_cell(row.balance[party]) for party in Party),
    ]


def balance_summary(row: ClaimBalance) -> str:
    """The highlighted claim in three lines: at 80 columns the table shows only its first columns."""
    owed = [f"{party.value} {display(amount)}" for party, amount in row.balance.items() if amount]
    return (
        ("VOIDED · " if row.voided else "")
        + f"{row.claim_id} · {row.patient_name or 'no patient name'} · "
        f"service {service_date_text(row.service_date)}\n"
        f"Charge {display(row.charge)} · Paid {display(row.paid)} · "
        f"Adjusted {display(row.adjusted)}\n"
        f"Balance {display(row.total_balance)}"
        + (f" = {' + '.join(owed)}" if owed else " (nothing owed)")
    )


class ClaimsTable(DataTable[Text]):
    """One page of claims. Moving on past the page's last (first) row asks for the next
    (previous) page, so ↓ and PgDn read through every claim."""

    class PageWanted(Message):
        def __init__(self, step: int) -> None:
            super().__init__()
            self.step = step  # +1 next page, -1 previous page

    def _at_last_row(self) -> bool:
        return self.row_count > 0 and self.cursor_row >= self.row_count - 1

    def action_cursor_down(self) -> None:
        if self._at_last_row():
            self.post_message(self.PageWanted(+1))
        else:
            super().action_cursor_down()

    def action_page_down(self) -> None:
        if self._at_last_row():
            self.post_message(self.PageWanted(+1))
        else:
            super().action_page_down()

    def action_cursor_up(self) -> None:
        if self.row_count and self.cursor_row <= 0:
            self.post_message(self.PageWanted(-1))
        else:
            super().action_cursor_up()

    def action_page_up(self) -> None:
        if self.row_count and self.cursor_row <= 0:
            self.post_message(self.PageWanted(-1))
        else:
            super().action_page_up()


class ClaimsSection(Section):
    """Claims with balances by primary / secondary / tertiary / patient, and each claim's ledger.

    Read-only for everyone (no banner needed): releases post the entries shown here.
    """

    SECTION_ID = "claims"
    TITLE = "Claims"
    GROUP = "PAYMENTS"
    BINDINGS = [
        Binding("s,slash", "focus_search", "Search", id="claims.search"),
        Binding("enter,l", "open_ledger", "Ledger", id="claims.ledger"),
        Binding("n", "next_page", "Next page", id="claims.next_page"),
        Binding("p", "previous_page", "Prev page", id="claims.previous_page"),
        Binding("escape", "clear_search", "Clear search", id="claims.clear_search", show=False),
        Binding("c", "open_conflicts", "Conflicts", id="claims.conflicts"),
    ]
    ACTIONS = [
        SectionAction("Search claims", "Find claims by claim id (CLM01) or patient name",
                      "focus_search"),
        SectionAction("Claim ledger", "Every entry of the highlighted claim, with its lines, "
                      "payers and totals", "open_ledger"),
        SectionAction("Next page of claims", f"The next {PAGE_SIZE} claims", "next_page"),
        SectionAction("Previous page of claims", f"The previous {PAGE_SIZE} claims",
                      "previous_page"),
        SectionAction("Clear claim search", "Show every claim again", "clear_search"),
        SectionAction("Claim conflicts", "Claims kept apart because their claim number is "
                      "already on file with other content: keep or take each", "open_conflicts"),
    ]  # fmt: skip

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.search = ""  # the search applied to the list (the input may hold more, unapplied)
        self.page_start = 0
        self.total = 0
        self._rows: list[ClaimBalance] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="claims-card", classes="card") as card:
            card.border_title = "Claims"
            card.border_subtitle = "s: Search · Enter: Ledger"
            yield Input(
                placeholder="Search claim id or patient (s) · Enter applies",
                id="claims-search",
                compact=True,
            )
            yield Static("", id="claims-status", markup=False)
            table = ClaimsTable(
                id="claims-table", cursor_type="row", zebra_stripes=True, fixed_columns=1
            )
            for key, label, width in COLUMNS:
                justify = "right" if key in _RIGHT_ALIGNED else "left"
                table.add_column(Text(label, justify=justify), width=width, key=key)
            yield table
            yield Static("", id="claims-empty", markup=False)
            yield Static("", id="claim-summary", markup=False)

    def on_mount(self) -> None:
        self.refresh_data()

    def focus_content(self) -> None:
        # The table, not the search box: keys like n, p and l must reach the section.
        self.query_one(ClaimsTable).focus()

    # -- loading ----------------------------------------------------------------------------

    def refresh_data(self) -> None:
        """Re-read the current page, keeping the cursor where it was."""
        self._load(self.query_one(ClaimsTable).cursor_row)

    def _load(self, cursor: int) -> None:
        store = self.pctui.store
        self.total = claims.count_claims(store, self.search)
        last_page_start = max(self.total - 1, 0) // PAGE_SIZE * PAGE_SIZE
        self.page_start = min(max(self.page_start, 0), last_page_start)
        self._rows = claims.list_claims(store, self.search, self.page_start, PAGE_SIZE)
        table = self.query_one(ClaimsTable)
        table.clear()
        table.add_rows(claim_cells(row) for row in self._rows)
        if self._rows:
            table.move_cursor(row=min(max(cursor, 0), len(self._rows) - 1))
        self._show_status()
        self._show_summary()

    def _show_status(self) -> None:
        status = self.query_one("#claims-status", Static)
        matching = f' matching "{self.search}"' if self.search else ""
        waiting = claim_intake.count_open_conflicts(self.pctui.store)
        conflicts = (f" · {plural(waiting, 'conflict')} waiting (c)" if waiting else "")
        if self._rows:
            first, last = self.page_start + 1, self.page_start + len(self._rows)
            paging = " · n/p: next/previous page" if self.total > PAGE_SIZE else ""
            status.update(
                f"rows {first:,}-{last:,} of {self.total:,}{matching}{paging}{conflicts}")
        else:
            status.update(f"rows 0 of 0{matching}{conflicts}")
        empty = self.query_one("#claims-empty", Static)
        empty.update(
            "" if self._rows else
            f'No claim id or patient matches "{self.search}". Press Escape to see every claim.'
            if self.search else
            "No claims yet. Import 837P files with `pctui import`, or run `pctui demo`."
        )  # fmt: skip
        empty.display = not self._rows

    def _show_summary(self) -> None:
        row = self.highlighted
        self.query_one("#claim-summary", Static).update(balance_summary(row) if row else "")

    @property
    def highlighted(self) -> ClaimBalance | None:
        table = self.query_one(ClaimsTable)
        if not self._rows or not 0 <= table.cursor_row < len(self._rows):
            return None
        return self._rows[table.cursor_row]

    @on(DataTable.RowHighlighted, "#claims-table")
    def _row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_summary()

    # -- searching --------------------------------------------------------------------------

    def action_focus_search(self) -> None:
        self.query_one("#claims-search", Input).focus()

    @on(Input.Submitted, "#claims-search")
    def _search_submitted(self, event: Input.Submitted) -> None:
        self._apply_search(event.value.strip())

    def action_clear_search(self) -> None:
        self.query_one("#claims-search", Input).value = ""
        if self.search:
            self._apply_search("")
        else:
            self.focus_content()

    def _apply_search(self, text: str) -> None:
        self.search = text
        self.page_start = 0
        self._load(0)
        self.focus_content()

    # -- paging -----------------------------------------------------------------------------

    @on(ClaimsTable.PageWanted)
    def _page_wanted(self, event: ClaimsTable.PageWanted) -> None:
        if event.step > 0:
            self.action_next_page()
        else:
            self._previous_page(cursor=PAGE_SIZE - 1)

    def action_next_page(self) -> None:
        if self.page_start + PAGE_SIZE < self.total:
            self.page_start += PAGE_SIZE
            self._load(0)

    def action_previous_page(self) -> None:
        self._previous_page(cursor=0)

    def _previous_page(self, cursor: int) -> None:
        if self.page_start > 0:
            self.page_start -= PAGE_SIZE
            self._load(cursor)

    # -- the ledger -------------------------------------------------------------------------

    @on(DataTable.RowSelected, "#claims-table")
    def _row_selected(self, _event: DataTable.RowSelected) -> None:
        self.action_open_ledger()

    def action_open_conflicts(self) -> None:
        from pctui.ui.screens.claim_conflicts import ClaimConflictsScreen

        self.app.push_screen(ClaimConflictsScreen(), lambda _: self.refresh_data())

    def action_open_ledger(self) -> None:
        from pctui.ui.screens.claim_ledger import ClaimLedgerScreen

        if (row := self.highlighted) is None:
            self.notify("No claim is highlighted.", severity="warning")
            return
        self.app.push_screen(ClaimLedgerScreen(row.pk, row.claim_id))
