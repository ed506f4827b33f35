"""Claim conflicts (from PAYMENTS → Claims, key c): original claims whose claim number (CLM01) is
already on file with other content, kept apart until a biller decides.

For each one the biller sees both versions and what differs, then keeps the claim on file (k) or
takes the new one (t), which replaces the claim on file as a replacement claim would (its
postings stay; see ``store/claim_intake.py``). Both ask for confirmation and are audited; a
conflict another biller resolved meanwhile is refused with who did it.
"""

from __future__ import annotations

from pathlib import PurePath

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from pctui.core.claim import Claim as ClaimModel
from pctui.core.money import display, from_cents
from pctui.core.wording import local_time, plural
from pctui.store import claim_intake
from pctui.store.claim_intake import ConflictView
from pctui.store.errors import NotFound, PermissionDenied, ValidationFailed
from pctui.store.users import biller_only_reason
from pctui.ui.widgets.modals import ConfirmationModal
from pctui.ui.widgets.text import plain

COLUMNS = ("#", "Claim", "Patient", "On file", "New", "Came in", "Found")


def _amount(cents: int) -> Text:
    return Text(display(cents), justify="right")


def claim_summary(claim: ClaimModel) -> str:
    """One claim in a few lines: charge, patient, payers, then each service line."""
    payers = ", ".join(f"{level.value} {ref.name or '(no name)'}"
                       for level, ref in claim.payers.items()) or "no payer"  # fmt: skip
    lines = [f"{display(claim.charge)} · {claim.patient_name or 'no patient'} · {payers}"]
    for line in claim.service_lines:
        procedure = "-".join((line.procedure, *line.modifiers))
        when = line.service_date.isoformat() if line.service_date else "no date"
        lines.append(f"  {line.line_number}. {procedure} {display(line.charge)} on {when}")
    return "\n".join(lines)


class ClaimConflictsScreen(ModalScreen[None]):
    """Open conflicts, oldest first; the highlighted one compared in full below the list."""

    BINDINGS = [
        Binding("k", "keep", "Keep claim on file", id="conflicts.keep"),
        Binding("t", "take", "Take new claim", id="conflicts.take"),
        Binding("escape,q", "dismiss", "Close", id="conflicts.close"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._rows: list[ConflictView] = []

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="wide claim-conflicts"):
            yield Static("Claim conflicts", id="dialog-title", markup=False)
            yield Static(
                "Original claims whose claim number is already on file with other content. "
                "Nothing is lost: each waits here until you keep the claim on file or take the "
                "new one.", id="conflicts-help", markup=False)  # fmt: skip
            table: DataTable[Text] = DataTable(id="conflicts-table", cursor_type="row",
                                               zebra_stripes=True)  # fmt: skip
            for label in COLUMNS:
                table.add_column(Text(label, justify="right" if label in ("On file", "New")
                                      else "left"), key=label)  # fmt: skip
            yield table
            yield Static("", id="conflict-detail", markup=False)
            yield Static("k: keep the claim on file · t: take the new claim · Escape: close",
                         classes="dialog-keys")  # fmt: skip

    def on_mount(self) -> None:
        self._load(0)
        self.query_one("#conflicts-table", DataTable).focus()

    def _load(self, cursor: int) -> None:
        self._rows = claim_intake.list_conflicts(self.app.store)  # type: ignore[attr-defined]
        table = self.query_one("#conflicts-table", DataTable)
        table.clear()
        for row in self._rows:
            table.add_row(
                Text(str(row.id)), plain(row.claim_id), plain(row.patient_name or "—"),
                _amount(row.charge_on_file_cents), _amount(row.charge_new_cents),
                # the file's name (the detail below gives its folder), the local day it came
                plain(PurePath(row.filename).name), Text(local_time(row.found_at)[:10]),
            )  # fmt: skip
        if self._rows:
            table.move_cursor(row=min(max(cursor, 0), len(self._rows) - 1))
        self.query_one("#dialog-title", Static).update(
            f"Claim conflicts: {plural(len(self._rows), 'claim')} waiting for a biller"
            if self._rows else "Claim conflicts: none waiting")  # fmt: skip
        self._show_detail()

    @property
    def highlighted(self) -> ConflictView | None:
        table = self.query_one("#conflicts-table", DataTable)
        if not self._rows or not 0 <= table.cursor_row < len(self._rows):
            return None
        return self._rows[table.cursor_row]

    def on_data_table_row_highlighted(self, _event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        out = self.query_one("#conflict-detail", Static)
        row = self.highlighted
        if row is None:
            out.update("No claim is waiting. Conflicts appear here when an imported original "
                       "claim reuses a claim number already on file with other content.")
            return
        try:
            detail = claim_intake.conflict_detail(self.app.store, row.id)  # type: ignore[attr-defined]
        except NotFound:
            out.update(f"Conflict #{row.id} is gone.")
            return
        voided = " (voided)" if detail.on_file_voided else ""
        differences = "\n".join(f"  · {d}" for d in detail.view.differences) or "  (none now)"
        out.update(plain(
            f"Conflict #{row.id}, claim {row.claim_id}: what differs (on file → new)\n"
            f"{differences}\n"
            f"On file{voided}: {claim_summary(detail.on_file)}\n"
            f"New, from {row.filename}: {claim_summary(detail.incoming)}", keep_newlines=True))

    # -- deciding ---------------------------------------------------------------------------

    def action_keep(self) -> None:
        self._decide(take_new=False)

    def action_take(self) -> None:
        self._decide(take_new=True)

    def _decide(self, take_new: bool) -> None:
        row = self.highlighted
        if row is None:
            self.notify("No conflict is highlighted.", severity="warning")
            return
        actor = self.app.actor  # type: ignore[attr-defined]
        if not actor.can_release:
            self.notify(biller_only_reason(actor, "Claim conflicts"), title="Read-only",
                        severity="warning")  # fmt: skip
            return
        new = display(from_cents(row.charge_new_cents))
        if take_new:
            title = f"Take the new claim {row.claim_id}?"
            message = (f"The claim on file ({display(row.charge_on_file_cents)}) is replaced by "
                       f"the one from {row.filename} ({new}). Payments already posted stay on "
                       "the claim; the ledger records the change of charges.")  # fmt: skip
            verb = "Take new claim"
        else:
            title = f"Keep the claim on file {row.claim_id}?"
            message = (f"The claim from {row.filename} ({new}) is set aside; the claim on file "
                       f"({display(row.charge_on_file_cents)}) stays as it is.")  # fmt: skip
            verb = "Keep claim on file"

        def confirmed(yes: bool | None) -> None:
            if yes:
                self._resolve(row, take_new)

        self.app.push_screen(ConfirmationModal(title, message, verb, "Go back"), confirmed)

    def _resolve(self, row: ConflictView, take_new: bool) -> None:
        cursor = self.query_one("#conflicts-table", DataTable).cursor_row
        try:
            claim_intake.resolve_conflict(self.app.store, self.app.actor, row.id,  # type: ignore[attr-defined]
                                          take_new=take_new)  # fmt: skip
        except (ValidationFailed, PermissionDenied, NotFound) as exc:
            message = "; ".join(exc.errors.values()) if isinstance(exc, ValidationFailed) else (
                str(exc))
            self.notify(message, title="Not changed", severity="warning")
        else:
            done = "took the new claim" if take_new else "kept the claim on file"
            self.notify(f"Claim {row.claim_id}: {done}.", title="Conflict resolved")
        self._load(cursor)
