"""The worklist of open error-report lines (SPEC 2.4): across every released payment, or one
payment's, or only the held claims (the Held list). From here a biller reworks a line whose cause
is fixed (the claim has been imported, the earlier level posted, the rule added) or closes one by
hand with a note. Each rework is posted in its own transaction, off the UI thread."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, DataTable, Input, Static

from pctui.core.wording import plural
from pctui.store import rework
from pctui.store.errors import NotFound, PermissionDenied, ValidationFailed
from pctui.store.release_views import ErrorLineView
from pctui.ui.widgets.form_field import FormField
from pctui.ui.widgets.list_table import Column, ListPanel, ListTable
from pctui.ui.widgets.modals import leave_or_ask
from pctui.ui.widgets.text import plain

KIND_LABELS = {
    "not_found": "Not found", "held": "Held", "no_rule": "No rule",
    "no_insurance": "No insurance", "status": "Not posted", "nothing_to_reverse": "No original",
    "already_reversed": "Reversed", "reversal_amount": "Rev. amount",
    "line_not_found": "Line", "excluded": "Excluded", "unexplained": "CLP04",
    "credit": "Credit",
}  # fmt: skip


def kind_label(kind: str) -> str:
    return KIND_LABELS.get(kind, kind.replace("_", " "))


def _short(readiness: str | None) -> str:
    """The Rework column: ready now, not yet (the detail line says why), or still checking."""
    if readiness is None:
        return "…"
    return "ready" if readiness.startswith("ready") else "not yet"


def _columns(ready: dict[int, str]) -> list[Column[ErrorLineView]]:
    return [
        Column("payment", "Payment", lambda ln: ln.check_number or f"#{ln.era_id}", max_width=16),
        Column("claim", "Claim", lambda ln: ln.claim_id or None, max_width=16),
        Column("kind", "Why", lambda ln: kind_label(ln.kind), min_width=8, max_width=12),
        Column("rework", "Rework", lambda ln: _short(ready.get(ln.id)) if ln.reworkable
               else "by hand", min_width=7, max_width=9),
        Column("text", "Error-report line", lambda ln: ln.text, priority=2, min_width=16,
               max_width=120),
    ]  # fmt: skip


class CloseLineDialog(ModalScreen[str | None]):
    """Asks how a line was worked; returns the note (None: cancelled)."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Close line", id="close_line.save"),
        Binding("escape", "cancel", "Cancel", id="close_line.cancel"),
    ]

    def __init__(self, line: ErrorLineView) -> None:
        super().__init__()
        self.line = line

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog"):
            yield Static("Close an error-report line by hand", id="dialog-title", markup=False)
            yield Static(plain(self.line.text), id="dialog-message")
            yield FormField("Note", Input(id="close-note", placeholder="how it was worked"),
                            required=True, field_name="note",
                            hint="kept with the line: who closed it, when and why")
            with Horizontal(id="dialog-buttons"):
                yield Button("Close line (^S)", id="save", variant="primary")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#close-note", Input).focus()

    @on(Input.Submitted, "#close-note")
    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        note = self.query_one("#close-note", Input).value.strip()
        if not note:
            self.query_one(FormField).set_error("say how the line was worked")
            return
        self.dismiss(note)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        leave_or_ask(self, self.query_one("#close-note", Input).value, "the note")


class ErrorWorklistScreen(ModalScreen[bool]):
    """Open error-report lines. Returns True when anything was reworked or closed."""

    BINDINGS = [
        Binding("escape,q", "close", "Close", id="worklist.close"),
        Binding("w", "rework", "Rework", id="worklist.rework"),
        Binding("c", "close_line", "Close by hand", id="worklist.close_line"),
        Binding("h", "toggle_held", "Held / all", id="worklist.held"),
        Binding("a", "toggle_payment", "This payment / all", id="worklist.payment"),
    ]

    def __init__(self, era_id: int | None = None, check_number: str = "",
                 held_only: bool = False) -> None:  # fmt: skip
        super().__init__()
        self.era_id = era_id
        self.check_number = check_number
        self.only_payment = era_id is not None
        self.held_only = held_only
        self.ready: dict[int, str] = {}
        self.changed = False
        self.busy = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="wide"):
            yield Static("", id="dialog-title", markup=False)
            yield ListPanel(ListTable(_columns(self.ready), key=lambda ln: ln.id,
                                      export_name="error-lines", noun="line", id="worklist"),
                            placeholder="Search payment, claim, error")
            yield Static("", id="worklist-detail", markup=False)
            yield Static("w rework · c close by hand · h held/all · "
                         + ("a this payment/all · " if self.era_id is not None else "")
                         + "/ search · Esc close", classes="dialog-keys", markup=False)

    def on_mount(self) -> None:
        self.query_one("#worklist", ListTable).focus()
        self._load()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle_payment":
            return self.era_id is not None
        return True

    def _title(self, lines: list[ErrorLineView]) -> str:
        what = "Held claims" if self.held_only else "Open error-report lines"
        where = (f"payment {self.check_number or '#' + str(self.era_id)}" if self.only_payment
                 else "all payments")  # fmt: skip
        return f"{what} — {where} · {plural(len(lines), 'line')}"

    def _visible(self, lines: list[ErrorLineView]) -> list[ErrorLineView]:
        if self.only_payment:
            lines = [ln for ln in lines if ln.era_id == self.era_id]
        if self.held_only:
            lines = [ln for ln in lines if ln.kind == "held"]
        return lines

    def _load(self) -> None:
        lines = self._visible(rework.open_lines(self.app.store))  # type: ignore[attr-defined]
        self.query_one("#dialog-title", Static).update(plain(self._title(lines)))
        self.query_one("#worklist", ListTable).show(lines)
        self._show_detail()
        self._check([ln.id for ln in lines if ln.reworkable])

    @work(thread=True, exclusive=True, group="worklist-check")
    def _check(self, line_ids: list[int]) -> None:
        """What reworking each line would do now (a dry run of its claim payment)."""
        if not line_ids:
            return
        found = rework.rework_readiness(self.app.store, line_ids)  # type: ignore[attr-defined]
        self.app.call_from_thread(self._checked, found)

    def _checked(self, found: dict[int, str]) -> None:
        self.ready.update(found)
        table = self.query_one("#worklist", ListTable)
        table.show(table.shown)
        self._show_detail()

    @on(DataTable.RowHighlighted, "#worklist")
    def _highlighted(self) -> None:
        self._show_detail()

    def _show_detail(self) -> None:
        line = self.query_one("#worklist", ListTable).highlighted
        detail = self.query_one("#worklist-detail", Static)
        if line is None:
            detail.update("Nothing open here." if not self.held_only else "No held claims.")
            return
        how = (f"Rework: {self.ready.get(line.id, 'checking…')}" if line.reworkable
               else "Part of this claim payment was posted: work it by hand, then close the line "
                    "with a note (c).")  # fmt: skip
        detail.update(plain(f"{line.text}\n{how}", keep_newlines=True))

    def action_toggle_held(self) -> None:
        self.held_only = not self.held_only
        self._load()

    def action_toggle_payment(self) -> None:
        if self.era_id is not None:
            self.only_payment = not self.only_payment
            self._load()

    def _no_line(self) -> None:
        self.notify("No line is highlighted: nothing open here." if not
                    self.query_one("#worklist", ListTable).row_count else
                    "No line is highlighted: ↑↓ picks one.", severity="warning")

    def action_rework(self) -> None:
        line = self.query_one("#worklist", ListTable).highlighted
        if self.busy:
            return
        if line is None:
            self._no_line()
            return
        if not line.reworkable:
            self.notify("Part of this claim payment was posted; it cannot be posted again. "
                        "Close the line by hand (c) once it is worked.", severity="warning")
            return
        self.busy = True
        self.query_one("#worklist-detail", Static).update(plain(f"Reworking {line.claim_id}…"))
        self._rework(line.id)

    @work(thread=True, exclusive=True, group="worklist-rework")
    def _rework(self, line_id: int) -> None:
        app = self.app
        try:
            (result,) = rework.rework_lines(app.store, app.actor, [line_id])  # type: ignore[attr-defined]
        except (PermissionDenied, NotFound, ValidationFailed) as exc:
            app.call_from_thread(self._done, str(exc), "error", False)
            return
        ok = result.status == rework.ReworkStatus.REWORKED
        app.call_from_thread(self._done, result.message, "information" if ok else "warning", ok)

    def _done(self, message: str, severity: str, changed: bool) -> None:
        self.busy = False
        self.changed = self.changed or changed
        self.notify(message, severity=severity)  # type: ignore[arg-type]
        self.ready.clear()
        self._load()

    def action_close_line(self) -> None:
        line = self.query_one("#worklist", ListTable).highlighted
        if line is None:
            self._no_line()
            return

        def closed(note: str | None) -> None:
            if note is None:
                return
            try:
                rework.close_line(self.app.store, self.app.actor, line.id, note)  # type: ignore[attr-defined]
            except (PermissionDenied, NotFound, ValidationFailed) as exc:
                self.notify(str(exc), severity="error")
                return
            self.changed = True
            self.notify(f"Line closed: {line.claim_id}")
            self._load()

        self.app.push_screen(CloseLineDialog(line), closed)

    def action_close(self) -> None:
        self.dismiss(self.changed)
