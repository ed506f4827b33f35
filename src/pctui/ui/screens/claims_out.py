"""PAYMENTS → Claims Out: the submission queue (SPEC 6).

Claims grouped by status in the order a biller works them — held by edits, rejected, ready,
submitted, acknowledged, accepted — each with why it is there (the failed edit and its X12
place, the payer's words). ``g`` shows one group at a time (including paid, partially paid and
denied). ``c`` runs the compliance edits on every ready, held or rejected claim; ``e`` corrects
the highlighted claim's failing fields and checks it again; ``d`` shows a claim's whole story:
its edits, every status change and every file it went out in. ``Space`` marks a ready (or
rejected) claim, ``m`` marks every ready claim shown, ``u`` unmarks; ``S`` submits the marked
claims (or the highlighted one) through their payers' connections, off the UI thread: each is
checked again, what fails is held, the rest goes out in one 837P per connection.

A section beside Claims rather than inside it: Claims is the money (balances, ledgers), this is
the work queue; both list the same claims, so ``Enter`` on a claim here opens its detail and
Claims keeps its ledger.
"""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.widgets import DataTable, Static

from pctui.core.claim_status import OPEN, QUEUE_ORDER, ClaimStatus
from pctui.core.money import display
from pctui.core.wording import plural
from pctui.store import queue, scrub
from pctui.store.queue import QueueRow
from pctui.store.submissions import SubmitRun
from pctui.store.users import biller_only_reason
from pctui.ui.widgets.list_table import Column, ListPanel, ListTable
from pctui.ui.widgets.section import Section, SectionAction
from pctui.ui.widgets.text import plain

_SHORT = {
    ClaimStatus.READY: "Ready", ClaimStatus.HELD: "Held", ClaimStatus.SUBMITTED: "Submitted",
    ClaimStatus.ACKNOWLEDGED: "Acknowl.", ClaimStatus.ACCEPTED: "Accepted",
    ClaimStatus.REJECTED: "Rejected", ClaimStatus.PAID: "Paid",
    ClaimStatus.PARTIALLY_PAID: "Part paid", ClaimStatus.DENIED: "Denied",
}  # fmt: skip

COLUMNS: list[Column[QueueRow]] = [
    Column("status", "Status", lambda r: _SHORT[r.status], min_width=8, max_width=9),
    Column("claim", "Claim", lambda r: r.claim_id, min_width=8, max_width=20),
    Column("patient", "Patient", lambda r: r.patient_name or None, min_width=8, max_width=22),
    Column("charge", "Charge", lambda r: r.charge, priority=2),
    Column("payer", "Payer", lambda r: r.payer or None, priority=2, max_width=12),
    Column("why", "Why", lambda r: r.reason or None, priority=3, min_width=10, max_width=60),
    Column("service", "Service", lambda r: r.service_date, priority=4),
]
# The groups ``g`` steps through; None shows every claim still being worked.
GROUPS: tuple[ClaimStatus | None, ...] = (None, *QUEUE_ORDER)


def reason_lines(row: QueueRow) -> list[str]:
    """Why the claim is where it is: each failed edit with its place, or the payer's words."""
    if row.status is ClaimStatus.HELD and row.edits:
        lines = []
        for edit in row.edits:
            value = f" (found '{edit.get('value')}')" if edit.get("value") else ""
            lines.append(f"{edit.get('rule')}: {edit.get('message')}{value} — "
                         f"{edit.get('location')}")  # fmt: skip
        return lines
    return [row.reason] if row.reason else []


class ClaimsOutSection(Section):
    SECTION_ID = "claims-out"
    TITLE = "Claims Out"
    GROUP = "PAYMENTS"
    BINDINGS = [
        Binding("S", "submit", "Submit", id="claims_out.submit"),
        Binding("space", "toggle_mark", "Mark", id="claims_out.mark"),
        Binding("m", "mark_ready", "Mark ready", id="claims_out.mark_ready"),
        Binding("u", "unmark", "Unmark all", show=False, id="claims_out.unmark"),
        Binding("c", "check", "Check edits", id="claims_out.check"),
        Binding("e", "correct", "Correct", id="claims_out.correct"),
        Binding("d", "detail", "Detail", id="claims_out.detail"),
        Binding("g", "next_group", "Group", id="claims_out.group"),
        Binding("G", "previous_group", "Prev group", show=False, id="claims_out.group_back"),
    ]
    ACTIONS = [
        SectionAction("Submit claims", "Send the marked (or highlighted) claims through their "
                      "payers' connections", "submit"),
        SectionAction("Mark every ready claim", "Mark the ready claims shown for submission",
                      "mark_ready"),
        SectionAction("Check compliance edits", "Run the edits on every ready, held or rejected "
                      "claim", "check"),
        SectionAction("Correct claim", "Fix the highlighted claim's failing fields", "correct"),
        SectionAction("Claim detail", "Edits, status history and submissions of the claim",
                      "detail"),
        SectionAction("Next status group", "Show one status group at a time", "next_group"),
    ]

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.group: ClaimStatus | None = None
        self.checking = False
        self.submitting = False
        self.marked: set[int] = set()  # claim pks marked for submission

    def compose(self) -> ComposeResult:
        yield self.read_only_banner()
        with Vertical(id="queue-card", classes="card") as card:
            card.border_title = "Submission queue"
            card.border_subtitle = "Space mark · S Submit · c Check · e Correct"
            yield Static("", id="queue-counts", markup=False)
            mark = Column("mark", "✓", lambda r: "✓" if r.pk in self.marked else "",
                          min_width=1, max_width=1)
            yield ListPanel(ListTable([mark, *COLUMNS], key=lambda r: r.pk,
                                      export_name="claims-out", noun="claim", id="queue"),
                            placeholder="Search claim, patient, payer, reason")
            yield Static("", id="queue-empty", markup=False)
            yield Static("", id="queue-detail", markup=False)

    def on_mount(self) -> None:
        self.refresh_data()

    def read_only_reason(self) -> str | None:
        actor = self.pctui.actor
        if actor.can_release:
            return None
        return biller_only_reason(actor, "Claims Out")

    @property
    def table(self) -> ListTable[QueueRow]:
        return self.query_one("#queue", ListTable)

    def focus_content(self) -> None:
        self.table.focus()

    def refresh_data(self) -> None:
        store = self.pctui.store
        counts = queue.status_counts(store)
        shown = " · ".join(f"{_SHORT[s]} {counts[s]}" for s in QUEUE_ORDER if counts[s])
        which = self.group.label if self.group else "Being worked"
        self.query_one("#queue-counts", Static).update(
            f"{which} (g: next group) — {shown or 'no claims yet'}")
        rows = queue.queue(store, self.group)
        self.marked &= {r.pk for r in rows if r.status in (ClaimStatus.READY,
                                                           ClaimStatus.REJECTED)}
        self.table.show(rows)
        self._show_marks()
        empty = self.query_one("#queue-empty", Static)
        if rows:
            empty.display = False
        else:
            empty.display = True
            empty.update(f"No claims {('that are ' + self.group.label.lower()) if self.group else 'waiting for work'}. "
                         "Import the day's 837P in Release 835 (i), or press g for another group.")
        self._show_detail()

    @on(DataTable.RowHighlighted, "#queue")
    def _row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    @on(DataTable.RowSelected, "#queue")
    async def _row_selected(self, _event: DataTable.RowSelected) -> None:
        await self.run_action("detail")

    def _show_detail(self) -> None:
        detail = self.query_one("#queue-detail", Static)
        row = self.table.highlighted
        if row is None:
            detail.update("")
            return
        head = (f"{row.claim_id} · {row.patient_name or 'no patient name'} · "
                f"{row.payer or 'payer not set up'} · {display(row.charge)} · {_SHORT[row.status]}")
        lines = reason_lines(row)
        if len(lines) > 2:
            lines = [lines[0], f"… and {len(lines) - 1} more (d: detail)"]
        detail.update(plain("\n".join([head, *lines]), keep_newlines=True))

    # -- actions -------------------------------------------------------------------------------

    def action_next_group(self) -> None:
        self.group = GROUPS[(GROUPS.index(self.group) + 1) % len(GROUPS)]
        self.refresh_data()

    def action_previous_group(self) -> None:
        self.group = GROUPS[(GROUPS.index(self.group) - 1) % len(GROUPS)]
        self.refresh_data()

    def action_toggle_mark(self) -> None:
        row = self.table.highlighted
        if row is None:
            return
        if row.pk in self.marked:
            self.marked.discard(row.pk)
        elif row.status in (ClaimStatus.READY, ClaimStatus.REJECTED):
            self.marked.add(row.pk)
        else:
            self.notify(f"{row.claim_id} is {row.label.lower()}: only a ready or rejected claim "
                        "can be submitted" + (" (correct it with e)" if row.status is
                                              ClaimStatus.HELD else ""), severity="warning")
            return
        self.table.redraw(row)
        self._show_marks()

    def action_mark_ready(self) -> None:
        self.marked |= {r.pk for r in self.table.shown if r.status is ClaimStatus.READY}
        self.refresh_data()

    def action_unmark(self) -> None:
        self.marked.clear()
        self.refresh_data()

    def _show_marks(self) -> None:
        count = len(self.marked)
        self.query_one("#queue-card").border_subtitle = (
            f"{plural(count, 'claim')} marked · S Submit · u Unmark" if count else
            "Space mark · S Submit · c Check · e Correct")

    def action_submit(self) -> None:
        from pctui.ui.widgets.modals import ConfirmationModal

        if self.deny_if_read_only():
            return
        if self.submitting:
            self.notify("A submission is already running.", severity="warning")
            return
        rows = [r for r in self.table.shown if r.pk in self.marked]
        if not rows and (row := self.table.highlighted) is not None and row.status in (
                ClaimStatus.READY, ClaimStatus.REJECTED):
            rows = [row]
        if not rows:
            self.notify("Mark ready claims with Space (m marks every ready claim), then S "
                        "submits them.", severity="warning")
            return
        ids = [r.claim_id for r in rows]
        shown = ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
        message = (f"Send {plural(len(ids), 'claim')} ({shown}) through their payers' "
                   "connections?\n\nEach claim is checked by the compliance edits first: what "
                   "fails is held, the rest goes out in one 837P per connection.")

        def confirmed(ok: bool | None) -> None:
            if ok:
                self.submitting = True
                self.notify(f"Submitting {plural(len(ids), 'claim')}…", title="Claims Out")
                self._submit(ids)

        self.app.push_screen(ConfirmationModal("Submit claims", message, "Submit", "Cancel"),
                             confirmed)

    @work(thread=True, exclusive=True, group="submit")
    def _submit(self, claim_ids: list[str]) -> None:
        from pctui.exchange import claims_out

        try:
            run = claims_out.submit(self.pctui.store, self.pctui.secrets, self.pctui.actor,
                                    claim_ids)  # fmt: skip
        finally:
            self.submitting = False
        self.app.call_from_thread(self._submitted, run)

    def _submitted(self, run: SubmitRun) -> None:
        self.marked.clear()
        self.refresh_data()
        sent = [r for r in run.results if r.status == "submitted"]
        held = [r for r in run.results if r.status == "held"]
        failed = [r for r in run.results if r.status == "not_sent"]
        parts = [f"{plural(len(sent), 'claim')} submitted"]
        files = [f.file_name for f in run.files if f.status == "sent"]
        if files:
            parts[0] += f" in {', '.join(files)}"
        if held:
            parts.append(f"{len(held)} held by edits")
        if failed:
            why = next((r.message for r in failed if r.message), "")
            parts.append(f"{len(failed)} not sent" + (f": {why}" if why else ""))
        self.notify("; ".join(parts) + ".", title="Submission", markup=False,
                    severity="error" if failed else "warning" if held else "information",
                    timeout=15)

    def action_check(self) -> None:
        if self.deny_if_read_only():
            return
        if self.checking:
            self.notify("The edits are already running.", severity="warning")
            return
        self.checking = True
        self.notify("Running the compliance edits…", title="Claims Out")
        self._check()

    @work(thread=True, exclusive=True, group="check")
    def _check(self) -> None:
        try:
            run = scrub.check_claims(self.pctui.store, self.pctui.actor)
        finally:
            self.checking = False
        held = sum(1 for c in run.checks if c.holds)
        message = (f"{plural(len(run.checks), 'claim')} checked: {held} held, "
                   f"{len(run.checks) - held} ready")  # fmt: skip
        self.app.call_from_thread(self._checked, message, held)

    def _checked(self, message: str, held: int) -> None:
        self.refresh_data()
        self.notify(message, title="Compliance edits", severity="warning" if held else "information")

    def action_correct(self) -> None:
        from pctui.ui.screens.claim_correction import CorrectionForm

        if self.deny_if_read_only():
            return
        row = self.table.highlighted
        if row is None:
            self.notify("No claim is highlighted.", severity="warning")
            return
        if row.status not in OPEN:
            self.notify(f"{row.claim_id} is {row.label.lower()}: only a ready, held or rejected "
                        "claim can be corrected here.", severity="warning")
            return

        def saved(check: scrub.ClaimCheck | None) -> None:
            if check is None:
                return
            self.refresh_data()
            self.table.move_to(lambda r: r.pk == check.pk)
            if check.holds:
                self.notify(f"{check.claim_id} is still held: {check.reason}", markup=False,
                            title="Corrected", severity="warning")
            else:
                self.notify(f"{check.claim_id} is {check.status.label.lower()}.", markup=False,
                            title="Corrected")

        self.app.push_screen(CorrectionForm(row.pk), saved)

    def action_detail(self) -> None:
        from pctui.ui.screens.claim_out_detail import ClaimOutDetail

        row = self.table.highlighted
        if row is None:
            self.notify("No claim is highlighted.", severity="warning")
            return
        self.app.push_screen(ClaimOutDetail(row.pk))
