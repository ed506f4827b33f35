"""PAYMENTS → Claims: every claim with its charge, what was paid and adjusted, and who owes the rest.

Read-only for everyone, so it has no read-only banner: nothing here is changed by hand; releasing
835s (PAYMENTS → Release 835) is what posts ledger entries. Claims are read one page at a time
in SQL (``PAGE_SIZE`` rows): a DataTable holding tens of thousands of rows paints far too slowly.
"""

from __future__ import annotations

from collections.abc import Iterator

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from pctui.core.codes import Party
from pctui.core.money import display
from pctui.core.wording import plural
from pctui.store import claim_intake, claims
from pctui.store.claims import ClaimBalance
from pctui.ui.widgets.list_table import Column, ListPanel, ListTable
from pctui.ui.widgets.section import Section, SectionAction
from pctui.ui.widgets.text import plain

PAGE_SIZE = 200


def _balance(party: Party) -> Column[ClaimBalance]:
    return Column(f"{party.value}-balance", f"{party.value.capitalize()} bal",
                  lambda row: row.balance[party], align="right", priority=4)


# At 80 columns (about 51 cells beside the sidebar): claim, patient and what is still owed;
# the service date and charge follow, then paid/adjusted, then who owes it.
COLUMNS: list[Column[ClaimBalance]] = [
    Column("claim", "Claim", lambda row: row.claim_id, max_width=20),
    Column("patient", "Patient", lambda row: row.patient_name or None, min_width=10,
           max_width=28),
    Column("balance", "Balance", lambda row: row.total_balance, align="right"),
    Column("service", "Service", lambda row: row.service_date, priority=2),
    Column("charge", "Charge", lambda row: row.charge, align="right", priority=2),
    Column("paid", "Paid", lambda row: row.paid, align="right", priority=3),
    Column("adjusted", "Adjusted", lambda row: row.adjusted, align="right", priority=3),
    *(_balance(party) for party in Party),
]
# Column key → the order claims.list_claims sorts by in SQL.
SQL_ORDER = {**{c.key: c.key for c in COLUMNS}, **{f"{p.value}-balance": p.value for p in Party}}


def balance_summary(row: ClaimBalance) -> str:
    """The highlighted claim in three lines: at 80 columns the table shows only its first columns."""
    owed = [f"{party.value} {display(amount)}" for party, amount in row.balance.items() if amount]
    service = row.service_date.isoformat() if row.service_date else "—"
    return (
        ("VOIDED · " if row.voided else "")
        + f"{row.claim_id} · {row.patient_name or 'no patient name'} · service {service}\n"
        f"Charge {display(row.charge)} · Paid {display(row.paid)} · "
        f"Adjusted {display(row.adjusted)}\n"
        f"Balance {display(row.total_balance)}"
        + (f" = {' + '.join(owed)}" if owed else " (nothing owed)")
    )


class ClaimsSection(Section):
    """Claims with balances by primary / secondary / tertiary / patient, and each claim's ledger.

    Read-only for everyone (no banner needed): releases post the entries shown here.
    """

    SECTION_ID = "claims"
    TITLE = "Claims"
    GROUP = "PAYMENTS"
    BINDINGS = [
        Binding("enter,l", "open_ledger", "Ledger", id="claims.ledger"),
        Binding("b", "toggle_with_balance", "Owing only", id="claims.with_balance"),
        Binding("c", "open_conflicts", "Conflicts", id="claims.conflicts"),
    ]
    ACTIONS = [
        SectionAction("Search claims", "Find claims by claim id (CLM01) or patient name",
                      "focus_search"),
        SectionAction("Claim ledger", "Every entry of the highlighted claim, with its lines, "
                      "payers and totals", "open_ledger"),
        SectionAction("Claims with a balance", "Show only claims someone still owes on, or "
                      "every claim again", "toggle_with_balance"),
        SectionAction("Export claims to CSV", "Every claim of the list (as searched, sorted "
                      "and filtered) with its balances", "export"),
        SectionAction("Claim conflicts", "Claims kept apart because their claim number is "
                      "already on file with other content: keep or take each", "open_conflicts"),
    ]  # fmt: skip

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.with_balance = False
        self.total = 0

    def compose(self) -> ComposeResult:
        with Vertical(id="claims-card", classes="card") as card:
            card.border_title = "Claims"
            card.border_subtitle = "/ Search · s Sort · Enter Ledger"
            yield Static("", id="claims-status", markup=False)
            yield ListPanel(ListTable(
                COLUMNS, key=lambda row: row.pk, export_name="claims", noun="claim",
                paged=True, sorts_itself=False, export_rows=self._all_rows, fixed_columns=1,
                id="claims-table"), placeholder="Search claim id or patient (Enter applies)")
            yield Static("", id="claims-empty", markup=False)
            yield Static("", id="claim-summary", markup=False)

    def on_mount(self) -> None:
        self.refresh_data()

    @property
    def table(self) -> ListTable[ClaimBalance]:
        return self.query_one("#claims-table", ListTable)

    @property
    def search(self) -> str:
        return self.table.search

    def focus_content(self) -> None:
        # The table, not the search box: keys like n, p and l must reach the section.
        self.table.focus()

    # -- loading ----------------------------------------------------------------------------

    def refresh_data(self) -> None:
        """Re-read the current page, keeping the cursor on the same claim."""
        self._load(self.table.page)

    def _read(self, offset: int, limit: int) -> list[ClaimBalance]:
        table = self.table
        return claims.list_claims(self.pctui.store, table.search, offset, limit,
                                  order=SQL_ORDER.get(table.sort_column or ""),
                                  descending=table.sort_reverse,
                                  with_balance=self.with_balance)

    def _all_rows(self) -> Iterator[ClaimBalance]:
        """Every claim of the list as searched, sorted and filtered now, read a thousand at a
        time (for the CSV export, which reads them off the UI thread)."""
        store, table = self.pctui.store, self.table
        search, descending = table.search, table.sort_reverse
        order = SQL_ORDER.get(table.sort_column or "")
        with_balance = self.with_balance

        def rows() -> Iterator[ClaimBalance]:
            offset = 0
            while chunk := claims.list_claims(store, search, offset, 1000, order=order,
                                              descending=descending,
                                              with_balance=with_balance):
                yield from chunk
                offset += len(chunk)

        return rows()

    def _load(self, page: int, cursor_row: int | None = None) -> None:
        table = self.table
        self.total = claims.count_claims(self.pctui.store, table.search, self.with_balance)
        pages = max(1, -(-self.total // PAGE_SIZE))
        page = max(0, min(page, pages - 1))
        table.show(self._read(page * PAGE_SIZE, PAGE_SIZE), page=page, pages=pages,
                   cursor_row=cursor_row)
        self.query_one(ListPanel).show_count(self.total)
        self._show_status()
        self._show_summary()

    def _show_status(self) -> None:
        table = self.table
        status = self.query_one("#claims-status", Static)
        matching = f' matching "{table.search}"' if table.search else ""
        owing = " owing" if self.with_balance else ""
        waiting = claim_intake.count_open_conflicts(self.pctui.store)
        conflicts = (f" · {plural(waiting, 'conflict')} waiting (c)" if waiting else "")
        if table.shown:
            first = table.page * PAGE_SIZE + 1
            last = first + len(table.shown) - 1
            paging = " · n/p: next/previous page" if self.total > PAGE_SIZE else ""
            status.update(plain(f"rows {first:,}-{last:,} of {self.total:,}{owing}{matching}"
                                f"{paging}{conflicts}"))
        else:
            status.update(plain(f"rows 0 of 0{owing}{matching}{conflicts}"))
        empty = self.query_one("#claims-empty", Static)
        if table.shown:
            text = ""
        elif table.search:
            text = (f'No claim id or patient matches "{table.search}". Press Escape to see '
                    "every claim.")
        elif self.with_balance:
            text = "No claim has a balance. Press b to see every claim."
        else:
            text = "No claims yet. Import 837P files with `pctui import`, or run `pctui demo`."
        empty.update(plain(text))
        empty.display = not table.shown

    def _show_summary(self) -> None:
        row = self.highlighted
        self.query_one("#claim-summary", Static).update(
            plain(balance_summary(row), keep_newlines=True) if row else "")

    @property
    def highlighted(self) -> ClaimBalance | None:
        return self.table.highlighted

    @on(DataTable.RowHighlighted, "#claims-table")
    def _row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_summary()

    # -- searching, sorting, paging, filtering ------------------------------------------------

    def action_focus_search(self) -> None:
        self.query_one(ListPanel).action_search()

    @on(ListPanel.SearchChanged)
    def _searched(self) -> None:
        self._load(0, cursor_row=0)

    @on(ListTable.SortChanged, "#claims-table")
    def _sorted(self) -> None:
        self._load(0, cursor_row=0)

    @on(ListTable.PageWanted, "#claims-table")
    def _page_wanted(self, event: ListTable.PageWanted) -> None:
        self._load(event.page, cursor_row=event.cursor_row)

    def action_toggle_with_balance(self) -> None:
        self.with_balance = not self.with_balance
        self._load(0, cursor_row=0)
        self.notify("Showing claims someone still owes on (b shows every claim)."
                    if self.with_balance else "Showing every claim.", title="Claims")

    def action_export(self) -> None:
        self.table.action_export()

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
