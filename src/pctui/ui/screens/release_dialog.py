"""Release the marked 835 payments: first a preview of what will happen (claims found, not found,
held, credits), then deposit date and batch, the biller's confirmation, progress and one result
per payment. Each payment is posted in its own transaction by the release service, off the UI
thread, in adjudication order whatever the order they were marked in.

The batch is left empty to have one generated when the release runs (inside its transaction, so
two sessions never share one); the field's placeholder shows what it will probably be. A deposit
date after today is refused; one before a payment's date asks for a second Release to confirm."""

from __future__ import annotations

from datetime import date, datetime

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, ProgressBar, Static

from pctui.core.money import ZERO, display
from pctui.core.text import visible, why_not_a_date
from pctui.core.wording import plural
from pctui.store import release
from pctui.store.batches import batch_conflict
from pctui.store.eras import EraRow
from pctui.store.errors import PermissionDenied, ValidationFailed
from pctui.store.release import ReleaseResult, ReleaseStatus
from pctui.store.release_preview import ReleasePreview, first_look, preview_release
from pctui.ui.widgets.form_field import FormField
from pctui.ui.widgets.text import plain

LISTED = 8  # payments named in the dialog (or 7 and "… and N more")
ERRORS_SHOWN = 3  # error-report lines shown per payment; the detail view has them all

RESULT_MARK = {
    ReleaseStatus.RELEASED.value: ("✓ Released", "green"),
    ReleaseStatus.RELEASED_WITH_ERRORS.value: ("⚠ Released with errors", "yellow"),
    ReleaseStatus.REFUSED.value: ("✗ Not released", "red"),
    ReleaseStatus.FAILED.value: ("✗ Failed", "red"),
}


def deposit_day_default() -> date:
    """The deposit date the dialog starts with (a function, so a test can fix the day)."""
    return date.today()


def parse_deposit_date(text: str) -> date:
    """YYYY-MM-DD, else ValueError saying so."""
    text = text.strip()
    if not text:
        raise ValueError("required: the date the money was deposited (YYYY-MM-DD)")
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise ValueError(why_not_a_date(text)) from None


def result_text(result: ReleaseResult, row: EraRow | None) -> Text:
    mark, style = RESULT_MARK.get(str(result.status), (str(result.status), ""))
    text = Text()
    text.append(mark, style=style)
    text.append(visible(f"  {row.check_number if row else '#' + str(result.era_id)}"))
    if row is not None:
        text.append(visible(f" · {row.payer_code or row.payer} · {display(row.amount)}"),
                    style="dim")
    text.append(f"\n    {visible(result.message)}")
    for line in result.reworked[:ERRORS_SHOWN]:
        text.append(f"\n    ✓ {visible(line)}", style="green")
    for held in result.reworkable_now[:ERRORS_SHOWN]:
        text.append(f"\n    ↻ {visible(held.describe())} can be reworked now (H: Held list)",
                    style="cyan")
    if len(result.reworkable_now) > ERRORS_SHOWN:
        more = plural(len(result.reworkable_now) - ERRORS_SHOWN, "more held claim")
        text.append(f"\n    … {more} can be reworked now (H: Held list)", style="dim")
    for line in result.errors[:ERRORS_SHOWN]:
        text.append(f"\n    ✗ {visible(line)}", style="yellow")
    if len(result.errors) > ERRORS_SHOWN:
        more = plural(len(result.errors) - ERRORS_SHOWN, "more line")
        text.append(f"\n    … {more}: Enter on the payment shows the full error report",
                    style="dim")
    return text


def preview_text(found: ReleasePreview) -> Text:
    """What the release will do, before it posts: totals, then each payment that needs a look."""
    text = Text()
    text.append("Will post: ", style="bold")
    text.append(found.describe())
    shown = 0
    for payment in found.payments:
        if not (payment.refused or payment.error_lines) or shown >= LISTED:
            continue
        shown += 1
        style = "red" if payment.refused else "yellow"
        text.append("\n  ")
        text.append(visible(f"{payment.check_number or '#' + str(payment.era_id)}: "),
                    style=style)
        text.append(visible(payment.describe()))
    return text


def summary_text(results: list[ReleaseResult]) -> str:
    by = {s.value: sum(1 for r in results if str(r.status) == s.value) for s in ReleaseStatus}
    released = by["released"] + by["released_with_errors"]
    text = f"{released} of {len(results)} released"
    if by["released_with_errors"]:
        text += f" ({by['released_with_errors']} with errors)"
    not_released = by["refused"] + by["failed"]
    if not_released:
        text += f", {not_released} not released"
    return text + "."


class ReleaseDialog(ModalScreen[list[ReleaseResult] | None]):
    """Returns the results (None when closed before releasing)."""

    BINDINGS = [
        Binding("ctrl+s", "release", "Release", id="release_dialog.release"),
        Binding("escape", "close", "Close", id="release_dialog.close"),
    ]

    def __init__(self, rows: list[EraRow], today: date | None = None) -> None:
        super().__init__()
        self.rows = rows
        self.today = today or deposit_day_default()
        self.results: list[ReleaseResult] = []
        self.running = False
        self.preview: ReleasePreview | None = None
        self._confirmed_early: date | None = None  # the early deposit date the biller confirmed

    def compose(self) -> ComposeResult:
        total = sum((r.amount for r in self.rows), ZERO)
        n = len(self.rows)
        with Vertical(id="dialog", classes="release"):
            yield Static(f"Release {plural(n, 'payment')} · {display(total)}",
                         id="dialog-title", markup=False)
            # what is released and what it will post: scrolls when long, so the fields and the
            # buttons stay on screen at 80x24
            with VerticalScroll(id="release-summary"):
                yield Static(plain(self._listing(), keep_newlines=True), id="release-list")
                yield Static("Checking what this release will post…", id="release-preview",
                             markup=False)
            yield FormField("Deposit date", Input(self.today.isoformat(), id="deposit-date",
                                                  placeholder="YYYY-MM-DD"),
                            required=True, field_name="deposit_date",
                            hint="the day the money reached the bank (YYYY-MM-DD)")
            yield FormField("Batch", Input("", id="batch", placeholder=self._batch_hint(
                                self.today)), field_name="batch",
                            hint="leave empty for a new batch; type one to join it")
            yield ProgressBar(id="release-progress", show_eta=False)
            yield Static("", id="release-current", markup=False)
            with VerticalScroll(id="release-results"):
                yield Static("", id="release-results-text", markup=False)
            yield Static("", id="form-status", markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button("Release (^S)", id="release", variant="warning")
                yield Button("Close (Esc)", id="close")

    def _batch_hint(self, day: date) -> str:
        return f"new batch, e.g. {release.next_batch_number(self.app.store, day)}"  # type: ignore[attr-defined]

    def _listing(self) -> str:
        lines = [visible(f"{r.check_number or '#' + str(r.id)} · {r.payer_code or r.payer} · "
                         f"{display(r.amount)} · {plural(r.claims, 'claim')}")
                 for r in self.rows[:LISTED if len(self.rows) <= LISTED else LISTED - 1]]
        if len(self.rows) > LISTED:
            lines.append(f"… and {len(self.rows) - LISTED + 1} more")
        return "\n".join(lines)

    def on_mount(self) -> None:
        # Only what has something to say takes a line: the dialog is as tall as its content.
        for wid in ("#release-progress", "#release-current", "#release-results", "#form-status"):
            self.query_one(wid).display = False
        self.query_one("#deposit-date", Input).focus()
        self._preview([r.id for r in self.rows])

    @work(thread=True, exclusive=True, group="release-preview")
    def _preview(self, era_ids: list[int]) -> None:
        """A first look at once (found, not found, held), then the engine's exact figures."""
        app = self.app
        try:
            app.call_from_thread(self._show_preview, first_look(app.store, era_ids), "")  # type: ignore[attr-defined]
            found = preview_release(app.store, era_ids)  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - the preview is advice; the release still checks
            app.call_from_thread(self._show_preview, None, f"{type(exc).__name__}: {exc}")
            return
        app.call_from_thread(self._show_preview, found, "")

    def _show_preview(self, found: ReleasePreview | None, problem: str) -> None:
        self.preview = found
        widget = self.query_one("#release-preview", Static)
        if found is None:
            widget.update(Text(f"The preview could not be made ({problem}); the release still "
                               "checks every payment.", style="yellow"))
            return
        widget.update(preview_text(found))

    @on(Input.Changed, "#deposit-date")
    def _deposit_changed(self, event: Input.Changed) -> None:
        """A new deposit date: its own batch hint; an early date must be confirmed again."""
        self._confirmed_early = None
        try:
            day = parse_deposit_date(event.value)
        except ValueError:
            return
        self.query_one("#batch", Input).placeholder = self._batch_hint(day)

    @on(FormField.ErrorCleared)
    def _error_cleared(self) -> None:
        if not any(f.has_class("-invalid") for f in self.query(FormField)):
            self._say("#form-status", "")

    @on(Input.Submitted, "#deposit-date")
    def _deposit_submitted(self) -> None:
        self.query_one("#batch", Input).focus()

    @on(Input.Submitted, "#batch")
    def _batch_submitted(self) -> None:
        self.action_release()

    def _read(self) -> tuple[date, str | None] | None:
        errors: dict[str, str] = {}
        deposit: date | None = None
        try:
            deposit = parse_deposit_date(self.query_one("#deposit-date", Input).value)
            release.check_deposit_date(deposit, self.today)
        except ValueError as exc:
            errors["deposit_date"] = str(exc)
        except ValidationFailed as exc:
            errors.update(exc.errors)
        typed = self.query_one("#batch", Input).value
        batch: str | None = None
        if typed.strip():
            try:
                batch = release.check_batch(typed)
            except ValidationFailed as exc:
                errors.update(exc.errors)
            else:
                if deposit is not None and "deposit_date" not in errors:
                    conflict = batch_conflict(self.app.store, batch, deposit)  # type: ignore[attr-defined]
                    if conflict:
                        errors["batch"] = conflict
        for field in self.query(FormField):
            field.set_error(errors.get(field.field_name))
        if errors:
            self._say("#form-status", "Not released: fix the fields above.")
            return None
        assert deposit is not None
        return deposit, batch

    def _early(self, deposit: date) -> list[EraRow]:
        return [r for r in self.rows if r.payment_date and deposit < r.payment_date]

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "release" and self.results:
            return False  # released: only Close is left
        return True

    @on(Button.Pressed, "#release")
    def action_release(self) -> None:
        if self.running:
            return
        if self.results:
            return  # released: the button and ^s are gone (check_action)
        read = self._read()
        if read is None:
            return
        deposit, batch = read
        early = self._early(deposit)
        if early and self._confirmed_early != deposit:
            first = early[0]
            self._confirmed_early = deposit
            self._say("#form-status", Text(visible(
                f"Deposit date {deposit} is before the payment date {first.payment_date} of "
                f"{first.check_number}{' and others' if len(early) > 1 else ''}. "
                "Release again (Ctrl+S) to confirm that date."), style="yellow"))
            return
        self.running = True
        for wid in ("#deposit-date", "#batch", "#release"):
            self.query_one(wid).disabled = True
        self._say("#form-status", "")
        bar = self.query_one("#release-progress", ProgressBar)
        bar.display = True
        bar.update(total=len(self.rows), progress=0)
        where = f"batch {batch}" if batch else "a new batch"
        self._say("#release-current",
                  f"Releasing {plural(len(self.rows), 'payment')} into {where}…")
        self._release([r.id for r in self.rows], deposit, batch, bool(early))

    @work(thread=True, exclusive=True, group="era-release")
    def _release(self, era_ids: list[int], deposit: date, batch: str | None,
                 confirmed_early: bool) -> None:  # fmt: skip
        app = self.app

        def progress(done: int, total: int, result: ReleaseResult) -> None:
            app.call_from_thread(self._progress, done, total, result)

        try:
            results = release.release_eras(app.store, app.actor, era_ids, deposit, batch,  # type: ignore[attr-defined]
                                           progress, confirm_early_deposit=confirmed_early,
                                           today=self.today)
        except (PermissionDenied, ValidationFailed) as exc:
            app.call_from_thread(self._failed, str(exc))
            return
        except Exception as exc:
            # A database gone or refusing before any payment was tried: the dialog says so and
            # may be tried again (each payment posts whole or not at all).
            from pctui.ui.app import user_message

            message = user_message(exc, app.store.label)  # type: ignore[attr-defined]
            if message is None:
                raise
            app.call_from_thread(self._failed, message)
            return
        app.call_from_thread(self._finished, results)

    def _progress(self, done: int, total: int, result: ReleaseResult) -> None:
        self.query_one("#release-progress", ProgressBar).update(total=total, progress=done)
        self.results.append(result)
        self._show_results()

    def _say(self, wid: str, content: object) -> None:
        """Update a line of the dialog; an empty one takes no room."""
        line = self.query_one(wid, Static)
        line.update(content)  # type: ignore[arg-type]
        line.display = bool(str(content))

    def _show_results(self) -> None:
        self.query_one("#release-results").display = True
        rows = {r.id: r for r in self.rows}
        body = Text("\n").join(result_text(r, rows.get(r.era_id)) for r in self.results)
        self.query_one("#release-results-text", Static).update(body)

    def _failed(self, message: str) -> None:
        self.running = False
        self._say("#form-status", plain(f"Not released: {message}"))
        for wid in ("#deposit-date", "#batch", "#release"):
            self.query_one(wid).disabled = False

    def _finished(self, results: list[ReleaseResult]) -> None:
        self.running = False
        self.results = results
        self._show_results()
        # The results need the room now: the form folds into one line.
        for widget in (self.query_one("#release-summary"), *self.query(FormField)):
            widget.display = False
        # The batch of what was released; a run where nothing was released is in no batch.
        first = next((r for r in results if r.released), None)
        where = (f" Deposit {first.deposit_date} · batch {first.batch}."
                 if first and first.deposit_date and first.batch else "")
        self._say("#release-current", plain(summary_text(results) + where))
        self.query_one("#release-progress", ProgressBar).display = False
        self.query_one("#release", Button).display = False  # nothing is left to release
        self.refresh_bindings()
        self.query_one("#release-results", VerticalScroll).focus()  # ↑↓ read every result

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        if self.running:
            self.notify("The release is still running: each payment is posted whole or not at "
                        "all; wait for it to finish.", severity="warning")
            return
        self.dismiss(self.results or None)
