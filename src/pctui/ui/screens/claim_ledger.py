"""One claim's ledger: its service lines, its payer at each level, every entry (with its code,
source payment and batch) and the totals proving charge = paid + adjusted + balances."""

from __future__ import annotations

from decimal import Decimal

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import DataTable, Static

from pctui.core.codes import Party, PayerLevel
from pctui.core.ledger import LedgerTotals
from pctui.core.money import ZERO, display
from pctui.core.wording import local_time
from pctui.store import claims
from pctui.store.claims import ClaimDetail, LedgerEntryView, PayerOnClaim
from pctui.ui.widgets.text import plain

LINE_COLUMNS = ("Line", "Procedure", "Service", "Units", "Charge", "Paid", "Adjusted", "Balance",
                "Control #")  # fmt: skip
ENTRY_COLUMNS = ("Posted", "Kind", "Party", "Amount", "Code", "Reason", "Line", "Payment",
                 "Batch", "Payer")  # fmt: skip
_AMOUNT_COLUMNS = {"Charge", "Paid", "Adjusted", "Balance", "Amount"}


def _amount(value: Decimal) -> Text:
    return plain(display(value), justify="right")


def _header(label: str) -> Text:
    return Text(label, justify="right" if label in _AMOUNT_COLUMNS else "left")


def group_reason(entry: LedgerEntryView) -> str:
    """``CO-45`` as billers write it; just the group or the reason when only one is known."""
    return "-".join(part for part in (entry.group_code, entry.reason_code) if part)


def payer_text(level: PayerLevel, payer: PayerOnClaim | None) -> str:
    """``primary BCBS (BCBSX)``: the pctui payer code and the payer ID written on the claim."""
    if payer is None:
        return f"{level.value} —"
    payer_id = f" ({payer.outbound_id})" if payer.outbound_id else ""
    if payer.payer_code is None:
        return f"{level.value} '{payer.name}'{payer_id}, not set up in pctui"
    return f"{level.value} {payer.payer_code}{payer_id}"


def totals_proof(totals: LedgerTotals) -> str:
    """charge = paid + adjusted + balances, with the sum checked to the cent."""
    proof = (f"Charge {display(totals.charge)} = Paid {display(totals.paid)} + Adjusted "
             f"{display(totals.adjusted)} + Balance {display(totals.balance)}")  # fmt: skip
    if totals.is_balanced:
        return proof + "  ✓ balanced"
    off = totals.charge - totals.paid - totals.adjusted - totals.balance
    return proof + f"  ✗ out of balance by {display(off)}"


def balances_text(totals: LedgerTotals) -> str:
    return "Owed: " + " · ".join(
        f"{party.value} {display(totals.balances[party])}" for party in Party
    )


class ClaimLedgerScreen(ModalScreen[None]):
    """Read-only: entries are posted by releases, never edited here."""

    BINDINGS = [Binding("escape,q", "dismiss", "Close", id="ledger.close")]

    def __init__(self, claim_pk: int, claim_id: str) -> None:
        super().__init__()
        self.claim_pk = claim_pk
        self.claim_id = claim_id
        self.detail: ClaimDetail | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="wide claim-ledger"):
            yield Static(plain(f"Claim {self.claim_id}"), id="dialog-title")
            yield Static("", id="ledger-payers", markup=False)
            yield Static("", id="ledger-totals", markup=False)
            lines: DataTable[Text] = DataTable(id="ledger-lines", cursor_type="row")
            lines.add_columns(*(_header(label) for label in LINE_COLUMNS))
            yield lines
            yield Static("Ledger", id="ledger-heading", classes="ledger-heading")
            entries: DataTable[Text] = DataTable(
                id="ledger-entries", cursor_type="row", zebra_stripes=True
            )
            entries.add_columns(*(_header(label) for label in ENTRY_COLUMNS))
            yield entries
            yield Static("", id="ledger-entry", markup=False)
            yield Static("Tab: service lines / entries · Escape: close", classes="dialog-keys")

    def on_mount(self) -> None:
        self.detail = claims.claim_detail(self.app.store, self.claim_pk)  # type: ignore[attr-defined]
        if self.detail is None:
            self.app.notify(f"Claim {self.claim_id} is no longer in pctui.", severity="error")
            self.dismiss()
            return
        self._show_header(self.detail)
        self._show_lines(self.detail)
        self._show_entries(self.detail)
        self.query_one("#ledger-entries", DataTable).focus()

    def _show_header(self, detail: ClaimDetail) -> None:
        claim = detail.claim
        self.query_one("#dialog-title", Static).update(plain(
            f"Claim {claim.claim_id}{' VOIDED' if detail.voided else ''} · "
            f"{claim.patient_name or 'no patient name'} · charge "
            f"{display(claim.charge)} · from {detail.came_from}"
        ))
        self.query_one("#ledger-payers", Static).update(plain(
            "Payers: "
            + " · ".join(payer_text(level, detail.payers.get(level)) for level in PayerLevel)
        ))
        totals = self.query_one("#ledger-totals", Static)
        proof = [totals_proof(detail.totals), balances_text(detail.totals)]
        if detail.totals.charge != claim.charge:
            proof.append(
                f"The ledger's charges ({display(detail.totals.charge)}) differ from "
                f"the claim's total charge ({display(claim.charge)})."
            )
        totals.update(plain("\n".join(proof), keep_newlines=True))
        totals.set_class(
            not detail.totals.is_balanced or detail.totals.charge != claim.charge, "-unbalanced"
        )

    def _show_lines(self, detail: ClaimDetail) -> None:
        table = self.query_one("#ledger-lines", DataTable)
        for line in detail.claim.service_lines:
            procedure = "-".join((line.procedure, *line.modifiers))
            table.add_row(
                plain(line.line_number), plain(procedure),
                plain(line.service_date.isoformat() if line.service_date else "—"),
                plain(claims.units_text(line.units) + (" min" if line.unit_code == "MJ" else "")),
                *self._line_amounts(detail.line_totals.get(line.line_number)),
                plain(line.control_number or ""),
            )  # fmt: skip
        if None in detail.line_totals:  # entries booked on the claim itself (claim-level CAS)
            table.add_row(Text("claim"), Text("on the claim"), Text(""), Text(""),
                          *self._line_amounts(detail.line_totals[None]), Text(""))  # fmt: skip
        table.add_row(Text("Total", style="bold"), Text(""), Text(""), Text(""),
                      *self._line_amounts(detail.totals), Text(""))  # fmt: skip

    @staticmethod
    def _line_amounts(totals: LedgerTotals | None) -> list[Text]:
        if totals is None:
            return [_amount(ZERO)] * 4
        return [_amount(totals.charge), _amount(totals.paid), _amount(totals.adjusted),
                _amount(totals.balance)]  # fmt: skip

    def _show_entries(self, detail: ClaimDetail) -> None:
        dates = {line.line_number: line.service_date for line in detail.claim.service_lines}
        table = self.query_one("#ledger-entries", DataTable)
        for entry in detail.entries:
            table.add_row(
                plain(local_time(entry.created_at)[:10]), plain(entry.kind.value),
                plain(entry.party.value), _amount(entry.amount), plain(entry.code),
                plain(group_reason(entry)), plain(self._line_text(entry, dates)),
                plain(entry.check_number or ""), plain(entry.batch), plain(entry.payer_code or ""),
                key=str(entry.id),
            )  # fmt: skip
        self.query_one("#ledger-heading", Static).update(
            f"Ledger: {len(detail.entries)} entries, oldest first · amount: + owes more, "
            "− owes less"
        )
        self._show_entry()

    @staticmethod
    def _line_text(entry: LedgerEntryView, dates: dict[int, object]) -> str:
        if entry.line_number is None:
            return "claim"
        when = dates.get(entry.line_number)
        return " ".join(str(part) for part in (entry.line_number, entry.procedure, when) if part)

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id == "ledger-entries":
            self._show_entry()

    def _show_entry(self) -> None:
        """The highlighted entry in full: the table is cut off at 80 columns."""
        out = self.query_one("#ledger-entry", Static)
        table = self.query_one("#ledger-entries", DataTable)
        if self.detail is None or not 0 <= table.cursor_row < len(self.detail.entries):
            out.update("")
            return
        e = self.detail.entries[table.cursor_row]
        parts = [f"#{e.id} {e.kind.value} {display(e.amount)} {e.party.value}"]
        if e.code or group_reason(e):
            parts.append(" ".join(p for p in (e.code, group_reason(e)) if p))
        if e.check_number:
            parts.append(f"payment {e.check_number}" + (f" batch {e.batch}" if e.batch else ""))
        if e.reverses_id is not None:
            parts.append(f"reverses #{e.reverses_id}")
        if e.memo:
            parts.append(e.memo)
        parts.append(f"by {e.created_by or '—'} {local_time(e.created_at)}")
        out.update(plain(" · ".join(parts)))
