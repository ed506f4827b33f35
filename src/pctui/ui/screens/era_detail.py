"""One 835 payment in full: claims, service lines, adjustments, remarks, PLB, findings, and
after release what was posted and the error report."""

from __future__ import annotations

import os
import shlex
import subprocess
import tempfile
import textwrap
from decimal import Decimal
from pathlib import Path

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult, SuspendNotSupported
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import DataTable, Log, Static, TabbedContent, TabPane

from pctui.core.codes import ADJUSTMENT_GROUPS
from pctui.core.era import Adjustment, ClaimPayment, Finding, ServicePayment, Severity
from pctui.core.money import display
from pctui.core.posting import STATUS_NAMES, normalize_status
from pctui.core.text import visible
from pctui.core.wording import local_time, plural
from pctui.store import eras, release
from pctui.store.eras import EraDetail
from pctui.store.errors import NotFound
from pctui.store.release_views import ClaimPostingView, ErrorLineView, ReleaseDetail
from pctui.ui.widgets.list_table import Column, ExportDialog, ListPanel, ListTable, sort_value
from pctui.ui.widgets.text import plain

try:  # the catalogue of reason-code descriptions
    from pctui.core.carc import describe_carc
except ImportError:  # pragma: no cover - an older core without it: show the code alone
    def describe_carc(code: str) -> str:
        return ""

CLAIMS_PAGE = 250
SHORT_STATUS = {
    "1": "Primary", "2": "Secondary", "3": "Tertiary", "4": "Denied",
    "19": "Primary+fwd", "20": "Second.+fwd", "21": "Tert.+fwd", "22": "Reversal",
    "23": "Not ours", "25": "Predeterm.",
}
# PLB03-1 adjustment reasons seen most (X12 835 provider adjustment reason codes).
PLB_REASONS = {
    "50": "Late charge", "51": "Interest penalty charge", "72": "Authorized return",
    "90": "Early payment allowance", "AH": "Origination fee", "AM": "Applied to borrower's account",
    "AP": "Acceleration of benefits", "B2": "Rebate", "B3": "Recovery allowance",
    "BD": "Bad debt adjustment", "BN": "Bonus", "C5": "Temporary allowance",
    "CR": "Capitation interest", "CS": "Adjustment", "CT": "Capitation payment",
    "CV": "Capital passthru", "CW": "Certified registered nurse anesthetist passthru",
    "DM": "Direct medical education passthru", "E3": "Withholding",
    "FB": "Forwarding balance", "FC": "Fund allocation", "GO": "Graduate medical education passthru",
    "HM": "Hemophilia clotting factor supplement", "IP": "Incentive premium payment",
    "IR": "Internal Revenue Service withholding", "IS": "Interim settlement",
    "J1": "Nonreimbursable", "L3": "Penalty", "L6": "Interest owed",
    "LE": "Levy", "LS": "Lump sum", "OA": "Organ acquisition passthru",
    "OB": "Offset for affiliated providers", "PI": "Periodic interim payment",
    "PL": "Payment final", "RA": "Retro-activity adjustment", "RE": "Return on equity",
    "SL": "Student loan repayment", "TL": "Third party liability",
    "WO": "Overpayment recovery", "WU": "Unspecified recovery",
}


def wrapped(text: str, width: int) -> list[str]:
    """Lines folded to ``width``, continuation lines indented under their first word; control
    characters from the 835 shown as escapes (a Log writes what it is given)."""
    out: list[str] = []
    for line in visible(text, keep_newlines=True).splitlines():
        indent = " " * (len(line) - len(line.lstrip()) + 2)
        out += textwrap.wrap(line, width, subsequent_indent=indent, drop_whitespace=True,
                             break_on_hyphens=False) or [" "]  # Log drops ""
    return out


def status_name(code: str) -> str:
    code = normalize_status(code)
    return f"{STATUS_NAMES.get(code, 'Status not posted by pctui')} ({code})"


def adjustment_text(adj: Adjustment, indent: str = "  ") -> str:
    """``CO-45   20.00  Charge exceeds fee schedule…`` (group, reason, amount, description)."""
    description = describe_carc(adj.reason)
    quantity = f" (quantity {adj.quantity})" if adj.quantity is not None else ""
    label = f"{adj.group}-{adj.reason}"
    return f"{indent}{label:<8}{display(adj.amount):>12}  {description}{quantity}".rstrip()


def group_legend(adjustments: list[Adjustment]) -> str:
    groups = sorted({a.group for a in adjustments})
    return " · ".join(f"{g} {ADJUSTMENT_GROUPS.get(g, 'unknown group')}" for g in groups)


def line_text(number: int, line: ServicePayment) -> list[str]:
    procedure = line.procedure or "(no procedure)"
    if line.modifiers:
        procedure += "-" + "-".join(line.modifiers)
    when = line.service_date.isoformat() if line.service_date else "no date"
    if line.service_date_end and line.service_date_end != line.service_date:
        when += f"–{line.service_date_end.isoformat()}"
    units = line.billed_units
    parts = [f"{number}. {line.qualifier} {procedure}", when,
             f"{units.normalize():f} unit{'s' if units != 1 else ''}",
             f"charge {display(line.charge)}", f"paid {display(line.paid)}"]
    if line.allowed is not None:
        parts.append(f"allowed {display(line.allowed)}")
    out = [" · ".join(parts)]
    extra: list[str] = []
    if line.control_number:
        extra.append(f"line control # {line.control_number} (REF*6R)")
    if line.original_procedure:
        extra.append(f"billed as {line.original_procedure}")
    if line.original_units is not None:
        extra.append(f"billed units {line.original_units.normalize():f}")
    if line.revenue_code:
        extra.append(f"revenue code {line.revenue_code}")
    if extra:
        out.append("   " + " · ".join(extra))
    out += [adjustment_text(a, "     ") for a in line.adjustments]
    if line.remarks:
        out.append(f"     remarks {', '.join(line.remarks)}")
    return out


def claim_text(claim: ClaimPayment) -> str:
    lines = [
        f"Claim {claim.patient_control_number} · {claim.patient_name or 'patient not named'}",
        status_name(claim.status_code),
        f"Charge {display(claim.charge)} · Paid {display(claim.paid)} · Patient responsibility "
        f"{display(claim.patient_responsibility) if claim.patient_responsibility is not None else '—'}",
    ]
    if claim.payer_claim_control:
        lines.append(f"Payer claim # {claim.payer_claim_control}")
    if claim.statement_from:
        to = f"–{claim.statement_to.isoformat()}" if claim.statement_to else ""
        lines.append(f"Statement {claim.statement_from.isoformat()}{to}")
    if claim.adjustments:
        lines += ["", "Claim adjustments:"] + [adjustment_text(a) for a in claim.adjustments]
    if claim.remarks:
        lines.append(f"Remarks: {', '.join(claim.remarks)}")
    if claim.amounts:
        lines.append("Amounts: " + ", ".join(f"{q} {display(v)}" for q, v in claim.amounts.items()))
    lines += ["", f"Service lines ({len(claim.service_lines)}):"]
    for number, service in enumerate(claim.service_lines, start=1):
        lines += ["  " + s for s in line_text(number, service)]
    if not claim.service_lines:
        lines.append("  none on this claim payment")
    every = claim.adjustments + [a for s in claim.service_lines for a in s.adjustments]
    if every:
        lines += ["", f"Groups: {group_legend(every)}"]
    return "\n".join(lines)


FINDING_SOURCES = {"structure": "file check", "balance": "balance check",
                   "validation": "5010 validation", "matching": "matching"}


def finding_text(finding: Finding) -> str:
    mark = "✗ Error" if finding.severity is Severity.ERROR else "⚠ Warning"
    source = FINDING_SOURCES.get(finding.source.value, finding.source.value)
    return f"{mark} ({source}): {finding.text}"


def findings_text(detail: EraDetail) -> str:
    found = detail.remittance.findings
    state = {"pending": "Full 5010 validation is still running in the background; its findings "
                        "will be added here.",
             "done": "Full 5010 validation (pyx12, X221A1) has run."}.get(
        detail.validation_state, "")
    if not found:
        return f"No problems found in this payment.\n\n{state}".strip()
    errors = sum(1 for f in found if f.severity is Severity.ERROR)
    head = (f"{plural(errors, 'error')}, {plural(len(found) - errors, 'warning')}. "
            f"{state}").strip()
    return head + "\n\n" + "\n".join(finding_text(f) for f in found)


def plb_text(detail: EraDetail) -> str:
    r = detail.remittance
    if not r.provider_adjustments:
        return ("No provider-level adjustments (PLB) on this payment.\n\n"
                f"Payment {display(r.amount)} = claim payments {display(r.claims_paid_total)}.")
    lines = []
    for p in r.provider_adjustments:
        name = PLB_REASONS.get(p.reason, "")
        ref = f" · ref {p.reference}" if p.reference else ""
        when = f" · fiscal {p.fiscal_date.isoformat()}" if p.fiscal_date else ""
        lines.append(f"{p.reason:<3} {display(p.amount):>12}  {name}{ref} · provider "
                     f"{p.provider_id}{when}")
    lines += ["", f"PLB total {display(r.provider_adjustment_total)} (positive reduces the payment)",
              f"Payment {display(r.amount)} = claim payments {display(r.claims_paid_total)} − "
              f"PLB {display(r.provider_adjustment_total)}"]
    return "\n".join(lines)


def _party(value: str | None) -> str:
    return value if value else "—"


_LINE_STATE = {"reworked": "✓", "closed": "✓", "voided": "–"}


def _error_line_text(line: ErrorLineView) -> list[str]:
    if line.state == "open":
        return [f"  ✗ {line.text}"]
    said = {"reworked": "reworked", "closed": f"closed by {line.closed_by}",
            "voided": "voided with the release"}.get(line.state, line.state)  # fmt: skip
    out = [f"  {_LINE_STATE.get(line.state, '·')} {line.text}", f"      {said}"
           + (f" {local_time(line.closed_at)}" if line.closed_at else "")]
    if line.note and line.state != "voided":
        out[-1] += f": {line.note}"
    return out


def _claim_lines(c: ClaimPostingView) -> list[str]:
    head = f"  {c.claim_id} · {c.outcome.replace('_', ' ')}{' · ' + c.level if c.level else ''}"
    if c.outcome in ("posted", "reversed"):
        head += f" · paid {display(c.paid)} · adjusted {display(c.adjusted)}"
    lines = [head]
    moved = []
    if c.patient:
        moved.append(f"patient responsibility {display(c.patient)} → {_party(c.patient_to)}")
    if c.transferred:
        moved.append(f"transferred {display(c.transferred)} → {_party(c.transferred_to)}")
    if c.patient_adjusted:
        moved.append(f"patient balance adjusted {display(c.patient_adjusted)}")
    if c.credit:
        moved.append(f"credit {display(c.credit)}")
    if moved:
        lines.append("    " + " · ".join(moved))
    for ln in c.lines:
        where = f"line {ln.line} {ln.procedure}".rstrip() if ln.line is not None else "claim"
        lines.append(f"    {where}: paid {display(ln.paid)}, adjusted {display(ln.adjusted)}"
                     f", moved {display(ln.moved)}")
    lines += [f"    skipped {s}" for s in c.skipped]
    lines += [f"    ✗ {e}" for e in c.errors]
    return lines


def posting_text(posted: ReleaseDetail | None, status_label: str) -> str:
    if posted is None:
        return (f"Not released yet ({status_label}). After release this shows what was posted "
                "per claim and the error report.")
    lines = []
    if posted.voided_at is not None:
        lines += [f"VOIDED by {posted.voided_by} {local_time(posted.voided_at)}: "
                  f"{posted.void_reason}. Every entry below was negated; the payment can be "
                  "released again.", ""]
    lines += [
        f"{'Released with errors' if posted.errors else 'Released'} by {posted.released_by} on "
        f"{posted.released_at.astimezone():%Y-%m-%d %H:%M} · deposit {posted.deposit_date} · "
        f"batch {posted.batch} · {plural(posted.claims_posted, 'claim')} posted",
        "",
    ]
    if posted.error_lines:
        still = len(posted.open_lines)
        lines += [f"Error report ({plural(len(posted.error_lines), 'line')}, {still:,} open; "
                  "w: rework or close them):"]
        for line in posted.error_lines:
            lines += _error_line_text(line)
        lines.append("")
    elif posted.errors:
        lines += [f"Error report ({plural(len(posted.errors), 'line')}):"]
        lines += [f"  ✗ {e}" for e in posted.errors] + [""]
    else:
        lines += ["Error report: none.", ""]
    if posted.zero_payments:
        lines += ["Denials / zero-payment list:"] + [f"  {z}" for z in posted.zero_payments] + [""]
    lines.append("Posted per claim:")
    for c in posted.claims:
        lines += _claim_lines(c)
    for rework in posted.reworks:
        lines += ["", f"Rework #{rework.id} by {rework.reworked_by} "
                      f"{local_time(rework.reworked_at)} · batch {rework.batch} · "
                      f"{plural(rework.claims_posted, 'claim')} posted"]
        for c in rework.claims:
            lines += _claim_lines(c)
    if posted.provider_adjustments:
        total = sum((a for _, _, a in posted.provider_adjustments), Decimal("0.00"))
        lines += ["", "Provider adjustments recorded against the payment:"]
        lines += [f"  {reason} {ref} {display(amount)}".replace("  ", " ", 1)
                  for reason, ref, amount in posted.provider_adjustments]
        lines.append(f"  total {display(total)}")
    if posted.notices:
        lines += ["", "Notes:"] + [f"  {n}" for n in posted.notices]
    return "\n".join(lines)


def _status_cell(claim: ClaimPayment) -> Text:
    code = normalize_status(claim.status_code)
    return plain(SHORT_STATUS.get(code, code), style="red" if code == "4" else "")


CLAIM_COLUMNS: list[Column[tuple[int, ClaimPayment]]] = [
    Column("claim", "Claim", lambda p: p[1].patient_control_number, max_width=20),
    Column("patient", "Patient", lambda p: p[1].patient_name or None, min_width=10,
           max_width=26),
    Column("status", "Status", lambda p: _status_cell(p[1]), min_width=7, max_width=12,
           sort_key=lambda p: normalize_status(p[1].status_code)),
    Column("charge", "Charge", lambda p: p[1].charge, align="right", priority=2),
    Column("paid", "Paid", lambda p: p[1].paid, align="right"),
    Column("pr", "Pt resp", lambda p: p[1].patient_responsibility, align="right", priority=2),
]


def claim_search_text(claim: ClaimPayment) -> str:
    return " ".join((claim.patient_control_number, claim.patient_name or "",
                     claim.payer_claim_control or "",
                     SHORT_STATUS.get(normalize_status(claim.status_code), ""))).casefold()


class EraDetailScreen(ModalScreen[bool]):
    """The detail of one payment. Escape closes (True when a rework or void changed it)."""

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="era_detail.close"),
        Binding("1", "tab('tab-claims')", "Claims", id="era_detail.claims"),
        Binding("2", "tab('tab-plb')", "PLB", id="era_detail.plb"),
        Binding("3", "tab('tab-findings')", "Findings", id="era_detail.findings"),
        Binding("4", "tab('tab-posting')", "Posting", id="era_detail.posting"),
        Binding("o", "raw_835", "Raw 835 in $PAGER", id="era_detail.raw"),
        Binding("e", "export_errors", "Error report CSV", id="era_detail.export_errors"),
        Binding("w", "rework", "Rework lines", id="era_detail.rework"),
        Binding("v", "void", "Void release", id="era_detail.void"),
    ]

    def __init__(self, era_id: int) -> None:
        super().__init__()
        self.era_id = era_id
        self.detail: EraDetail | None = None
        self.posted: ReleaseDetail | None = None
        self.claim_page = 0
        self.changed = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="wide"):
            yield Static(f"Payment #{self.era_id}: reading…", id="dialog-title", markup=False)
            yield Static("", id="era-detail-summary", markup=False)
            with TabbedContent(id="era-detail-tabs"):
                with TabPane("Claims", id="tab-claims"):
                    yield Static("", id="era-claims-page", markup=False)
                    yield ListPanel(ListTable(
                        CLAIM_COLUMNS, key=lambda pair: pair[0], export_name="payment-claims",
                        noun="claim", paged=True, sorts_itself=False,
                        export_rows=self._claims_for_export, id="era-claims"),
                        placeholder="Search claim number, patient, status", id="era-claims-panel")
                    with VerticalScroll(id="era-claim-scroll"):
                        yield Static("", id="era-claim-detail", classes="detail-text",
                                     markup=False)
                # Log widgets draw only the visible lines: 15,000 findings stay instant.
                with TabPane("PLB", id="tab-plb"):
                    yield Log(id="era-plb", classes="detail-log")
                with TabPane("Findings", id="tab-findings"):
                    yield Log(id="era-findings", classes="detail-log")
                with TabPane("Posting", id="tab-posting"):
                    yield Log(id="era-posting", classes="detail-log")
            yield Static(self._keys_line(), classes="dialog-keys", markup=False)

    def _keys_line(self) -> str:
        """The keys of this payment, on one line at 80: rework and void once it is released."""
        keys = "Esc · 1-4 tabs · o raw 835 · ^e claims CSV · e error CSV"
        return keys + (" · w rework · v void" if self._standing() is not None else "")

    @staticmethod
    def _summary(detail: EraDetail) -> str:
        row, r = detail.row, detail.remittance
        paid = row.payment_date.isoformat() if row.payment_date else "—"
        method = f" by {r.payment_method}" if r.payment_method else ""
        return (f"Paid {paid}{method} · Inbound ID {row.inbound_id or '—'} "
                f"({row.inbound_id_source}) · payee {r.payee_name or '—'}\n"
                f"Loaded {local_time(row.loaded_at)} from {Path(row.filename).name}")

    def on_mount(self) -> None:
        self.query_one("#era-claims", ListTable).focus()
        self._read()

    @work(thread=True, exclusive=True, group="era-detail")
    def _read(self) -> None:
        """Reading a payment with thousands of claims takes a moment: off the UI thread."""
        store = self.app.store  # type: ignore[attr-defined]
        detail = eras.era_detail(store, self.era_id)
        posted = release.release_detail(store, self.era_id)
        self.app.call_from_thread(self._show, detail, posted)

    def _show(self, detail: EraDetail, posted: ReleaseDetail | None) -> None:
        self.detail, self.posted = detail, posted
        self.query_one(".dialog-keys", Static).update(self._keys_line())
        self.refresh_bindings()
        row, r = detail.row, detail.remittance
        self.query_one("#dialog-title", Static).update(plain(
            f"Payment {row.check_number or '(no trace number)'} · {row.payer or row.payer_code} "
            f"· {display(row.amount)} · {row.status.label}"))
        self.query_one("#era-detail-summary", Static).update(
            plain(self._summary(detail), keep_newlines=True))
        tabs = self.query_one(TabbedContent)
        tabs.get_tab("tab-claims").label = f"Claims ({len(r.claims)})"
        tabs.get_tab("tab-plb").label = f"PLB ({len(r.provider_adjustments)})"
        tabs.get_tab("tab-findings").label = f"Findings ({len(r.findings)})"
        width = max(40, tabs.size.width - 2)
        for wid, text in (("#era-plb", plb_text(detail)), ("#era-findings", findings_text(detail)),
                          ("#era-posting", posting_text(posted, row.status.label))):
            log = self.query_one(wid, Log)
            log.clear()
            log.write_lines(wrapped(text, width))
            log.scroll_home(animate=False)
        self._fill_claims(0)
        if posted is not None:  # after release, what was posted comes first
            self.action_tab("tab-posting")

    def _claims_in_order(self) -> list[tuple[int, ClaimPayment]]:
        """Every claim payment as searched and sorted, numbered as in the 835."""
        assert self.detail is not None
        table = self.query_one("#era-claims", ListTable)
        pairs = list(enumerate(self.detail.remittance.claims))
        if table.search:
            needle = table.search.casefold()
            pairs = [p for p in pairs if needle in claim_search_text(p[1])]
        if table.sort_column is not None:
            column = next(c for c in CLAIM_COLUMNS if c.key == table.sort_column)
            getter = column.sort_key or column.value
            pairs.sort(key=lambda p: sort_value(getter(p)), reverse=table.sort_reverse)
        return pairs

    def _claims_for_export(self) -> list[tuple[int, ClaimPayment]]:
        return self._claims_in_order() if self.detail is not None else []

    def _fill_claims(self, page: int, cursor_row: int = 0) -> None:
        """One page of claims: a payment with thousands of claims opens at once."""
        assert self.detail is not None
        pairs = self._claims_in_order()
        pages = max(1, -(-len(pairs) // CLAIMS_PAGE))
        page = max(0, min(page, pages - 1))
        self.claim_page = page
        first = page * CLAIMS_PAGE
        table = self.query_one("#era-claims", ListTable)
        shown = pairs[first:first + CLAIMS_PAGE]
        table.show(shown, page=page, pages=pages, cursor_row=cursor_row)
        panel = self.query_one("#era-claims-panel", ListPanel)
        panel.show_count(len(pairs), len(self.detail.remittance.claims))
        label = self.query_one("#era-claims-page", Static)
        label.display = pages > 1
        label.update(f"Claims {first + 1:,}–{first + len(shown):,} of {len(pairs):,} · "
                     f"page {page + 1}/{pages} · n/p turn pages")
        self._show_claim()

    @on(ListTable.PageWanted, "#era-claims")
    def _claims_page_wanted(self, event: ListTable.PageWanted) -> None:
        self._fill_claims(event.page, event.cursor_row)

    @on(ListTable.SortChanged, "#era-claims")
    def _claims_sorted(self) -> None:
        if self.detail is not None:
            self._fill_claims(0)

    @on(ListPanel.SearchChanged, "#era-claims-panel")
    def _claims_searched(self) -> None:
        if self.detail is not None:
            self._fill_claims(0)

    @on(DataTable.RowHighlighted, "#era-claims")
    def _claim_highlighted(self) -> None:
        self._show_claim()

    def _show_claim(self) -> None:
        if self.detail is None:
            return
        pair = self.query_one("#era-claims", ListTable).highlighted
        text = claim_text(pair[1]) if pair is not None else (
            "No claim matches the search." if self.detail.remittance.claims
            else "This payment holds no claim payments.")
        self.query_one("#era-claim-detail", Static).update(plain(text, keep_newlines=True))

    def action_tab(self, tab: str) -> None:
        self.query_one(TabbedContent).active = tab
        if tab == "tab-claims":
            self.query_one("#era-claims", DataTable).focus()
        else:
            self.query_one(f"#{tab} Log", Log).focus()

    def _standing(self) -> ReleaseDetail | None:
        posted = self.posted
        return posted if posted is not None and posted.voided_at is None else None

    def action_rework(self) -> None:
        from pctui.ui.screens.error_worklist import ErrorWorklistScreen

        posted = self._standing()
        if posted is None or self.detail is None:
            self.notify("This payment is not released: nothing to rework.", severity="warning")
            return

        def closed(changed: bool | None) -> None:
            if changed:
                self.changed = True
                self._read()

        self.app.push_screen(ErrorWorklistScreen(self.era_id, self.detail.row.check_number),
                             closed)  # fmt: skip

    def action_void(self) -> None:
        from pctui.ui.screens.void_dialog import VoidDialog

        posted = self._standing()
        if posted is None or self.detail is None:
            self.notify("This payment is not released: nothing to void.", severity="warning")
            return
        row = self.detail.row
        label = f"payment {row.check_number or '#' + str(row.id)} · {display(row.amount)}"

        def voided(result: object | None) -> None:
            if result is not None:
                self.changed = True
                self._read()

        self.app.push_screen(VoidDialog(self.era_id, label, posted.batch), voided)

    def action_close(self) -> None:
        self.dismiss(self.changed)

    def action_raw_835(self) -> None:
        """The file the payment came in, one segment a line, in the user's pager ($PAGER, else
        less); the app hands the terminal over meanwhile (App.suspend)."""
        try:
            name, text = eras.raw_835(self.app.store, self.era_id)  # type: ignore[attr-defined]
        except NotFound as exc:
            self.notify(str(exc), title="Raw 835", severity="warning")
            return
        pager = os.environ.get("PAGER") or "less"
        # mode 600 (mkstemp), removed when the pager closes: it holds patient data
        fd, path = tempfile.mkstemp(prefix="pctui-835-", suffix=".txt")
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(f"# {visible(name)}\n{visible(text, keep_newlines=True)}\n")
        try:
            with self.app.suspend():
                subprocess.run([*shlex.split(pager), path], check=False)
        except SuspendNotSupported:
            self.notify("This terminal cannot be handed to a pager.", title="Raw 835",
                        severity="warning")
        except (OSError, ValueError) as exc:
            self.notify(f"The pager {pager!r} could not be started ({exc}); set PAGER to one "
                        "that is installed, e.g. less.", title="Raw 835", severity="error")
        finally:
            os.unlink(path)

    def action_export_errors(self) -> None:
        """The error report of a released payment (what needs posting by hand) as CSV."""
        if self.posted is None or self.detail is None:
            self.notify("Not released yet: the error report comes with the release.",
                        title="Error report")
            return
        row = self.detail.row
        released = f"{self.posted.released_at:%Y-%m-%d}"
        lines = [(row.check_number, self.posted.batch, released, line)
                 for line in self.posted.errors]
        if not lines:
            self.notify("This payment's error report is empty.", title="Error report")
            return
        columns: list[Column[tuple[str, str, str, str]]] = [
            Column("check", "Check/EFT", lambda x: x[0]),
            Column("batch", "Batch", lambda x: x[1]),
            Column("released", "Released", lambda x: x[2]),
            Column("line", "Error report line", lambda x: x[3]),
        ]
        self.app.push_screen(ExportDialog(columns, lambda: lines, f"error-report-{row.id}",
                                          "line"))
