"""The batch report (SPEC 2.4): per deposit date and batch, the payments released in it and their
total, to match against the bank deposit. A voided release is listed as voided and not counted;
rework recorded in a batch is listed under it without adding to the total (its money came with
the payment)."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from pctui.core.money import ZERO, display
from pctui.core.wording import local_time, plural
from pctui.store import batches
from pctui.store.batches import BatchReport
from pctui.ui.widgets.list_table import Column, ListPanel, ListTable
from pctui.ui.widgets.text import plain

COLUMNS: list[Column[BatchReport]] = [
    Column("deposit", "Deposit", lambda b: b.deposit_date, min_width=10, max_width=10),
    Column("batch", "Batch", lambda b: b.number, max_width=30),
    Column("count", "Payments", lambda b: b.payment_count, align="right"),
    Column("total", "Total", lambda b: b.total, align="right"),
    Column("voided", "Voided", lambda b: sum(1 for p in b.payments if p.status == "voided"),
           align="right", priority=2),
    Column("reworks", "Rework", lambda b: len(b.reworks), align="right", priority=3),
]


def batch_text(report: BatchReport) -> str:
    lines = [f"Batch {report.number} · deposit {report.deposit_date} · "
             f"{plural(report.payment_count, 'payment')} · total {display(report.total)}"]
    for p in report.payments:
        paid = p.payment_date.isoformat() if p.payment_date else "—"
        status = p.status.replace("_", " ")
        lines.append(f"  {p.check_number or '#' + str(p.era_id)} · {p.payer} · paid {paid} · "
                     f"{display(p.amount)} · {status} · by {p.released_by}")
    for r in report.reworks:
        lines.append(f"  rework #{r.rework_id} of {r.check_number}: "
                     f"{plural(r.claims_posted, 'claim')} posted by {r.reworked_by} "
                     f"{local_time(r.reworked_at)}"
                     + (" · voided with its release" if r.voided else ""))
    return "\n".join(lines)


class BatchReportScreen(ModalScreen[None]):
    BINDINGS = [Binding("escape,q", "close", "Close", id="batches.close")]

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="wide"):
            yield Static("Batches: reading…", id="dialog-title", markup=False)
            yield ListPanel(ListTable(COLUMNS, key=lambda b: b.number, export_name="batches",
                                      noun="batch", id="batches"),
                            placeholder="Search batch or deposit date")
            with VerticalScroll(id="batch-detail-scroll"):
                yield Static("", id="batch-detail", markup=False)
            yield Static("↑↓ batch · / search · s sort · ^e export · Esc close",
                         classes="dialog-keys", markup=False)

    def on_mount(self) -> None:
        self.query_one("#batches", ListTable).focus()
        self._read()

    @work(thread=True, exclusive=True, group="batch-report")
    def _read(self) -> None:
        reports = batches.batch_reports(self.app.store)  # type: ignore[attr-defined]
        self.app.call_from_thread(self._show, reports)

    def _show(self, reports: list[BatchReport]) -> None:
        total = sum((r.total for r in reports), ZERO)
        self.query_one("#dialog-title", Static).update(plain(
            f"Batches — {plural(len(reports), 'batch', 'batches')} · {display(total)} deposited"))
        self.query_one("#batches", ListTable).show(reports)
        self._show_detail()

    @on(DataTable.RowHighlighted, "#batches")
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        report = self.query_one("#batches", ListTable).highlighted
        self.query_one("#batch-detail", Static).update(
            plain(batch_text(report), keep_newlines=True) if report is not None
            else "No batch yet: releasing payments records them in a batch.")

    def action_close(self) -> None:
        self.dismiss(None)
