"""Import 835/837 files from inside the app: a path (file or folder), progress, one result per
file. The import runs in a thread worker; pyx12's full validation runs later in the background."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Input, ProgressBar, Static

from pctui.core.text import visible
from pctui.core.wording import plural
from pctui.store import intake
from pctui.store.errors import PermissionDenied
from pctui.store.intake import FileResult, ImportStatus
from pctui.ui.widgets.form_field import FormField
from pctui.ui.widgets.path_suggester import PathSuggester
from pctui.ui.widgets.text import plain

RESULT_MARK = {
    ImportStatus.IMPORTED: ("✓ imported ", "green"),
    ImportStatus.DUPLICATE: ("= duplicate", "yellow"),
    ImportStatus.REJECTED: ("✗ rejected ", "red"),
}


def path_problem(text: str) -> str | None:
    """Why the typed path cannot be imported, or None."""
    if not text.strip():
        return "required: a file, or a folder whose files are all imported"
    path = Path(text.strip()).expanduser()
    if not path.exists():
        return f"no such file or folder: {path}"
    if path.is_dir() and not intake.collect_files([path]):
        return f"the folder {path} holds no files"
    return None


def result_rows(result: FileResult) -> list[tuple[Text, Text]]:
    """One file's result as (mark, text) rows: what happened to the file and what it holds,
    then each reason (rejected) or the first findings (duplicate) on rows of their own, so a
    long reason wraps under the file name, not under the mark."""
    mark, style = RESULT_MARK[result.status]
    head = Text(visible(Path(result.file).name))
    if result.kind:
        head.append(f"  ({result.kind})", style="dim")
    if result.status is ImportStatus.IMPORTED:
        what = "payment" if result.kind == "835" else "claim"
        head.append(f"  {plural(len(result.created), what)} stored")
        if result.replaced:
            head.append(f", {plural(len(result.replaced), 'claim')} replaced")
        if result.voided:
            head.append(f", {plural(len(result.voided), 'claim')} voided")
        if result.conflicts:
            head.append(f", {plural(len(result.conflicts), 'conflict')} kept apart (Claims → c)",
                        style="yellow")  # fmt: skip
        if result.findings:
            head.append(f", {plural(len(result.findings), 'finding')}", style="yellow")
    rows = [(Text(mark, style=style), head)]
    for reason in result.errors:
        # the command line names the file in each reason; here the row above already does
        reason = reason.removeprefix(f"{result.file}: ")
        rows.append((Text(""), Text(visible(reason), style="red")))
    if result.status is ImportStatus.DUPLICATE:
        for finding in result.findings[:3]:
            rows.append((Text(""), Text(visible(finding.text), style="dim")))
    return rows


def results_table(results: list[FileResult]) -> Table:
    """Every file's rows in one grid: the marks in a column of their own."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(no_wrap=True)
    grid.add_column(ratio=1)
    for result in results:
        for mark, text in result_rows(result):
            grid.add_row(mark, text)
    return grid


class EraImportDialog(ModalScreen[int | None]):
    """Returns how many files were imported (None when closed without importing)."""

    BINDINGS = [
        Binding("ctrl+s", "start", "Import", id="era_import.start"),
        Binding("escape", "close", "Close", id="era_import.close"),
    ]

    def __init__(self, path: str = "") -> None:
        super().__init__()
        self.start_path = path
        self.results: list[FileResult] = []
        self.running = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="form"):
            yield Static("Import 835 / 837 files", id="dialog-title", markup=False)
            yield FormField("File or folder", Input(self.start_path, id="import-path",
                                                    placeholder="e.g. ~/era-inbox/",
                                                    suggester=PathSuggester()),
                            required=True, field_name="path",
                            hint="→ completes a name · a folder imports every file directly "
                                 "inside it")
            yield ProgressBar(id="import-progress", show_eta=False)
            yield Static("", id="import-current", markup=False)
            with VerticalScroll(id="import-results"):
                yield Static("", id="import-results-text", markup=False)
            yield Static("", id="form-status", markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button("Import (Enter)", id="start", variant="primary")
                yield Button("Close (Esc)", id="close")

    def on_mount(self) -> None:
        self.query_one("#import-progress", ProgressBar).display = False
        self.query_one("#import-path", Input).focus()

    @on(Input.Submitted, "#import-path")
    @on(Button.Pressed, "#start")
    def action_start(self) -> None:
        if self.running:
            return
        field = self.query_one("#field-path", FormField)
        if not field.display:  # after an import: "Import more" brings the path back
            field.display = True
            self.query_one("#import-path", Input).focus()
            return
        text = self.query_one("#import-path", Input).value
        problem = path_problem(text)
        field.set_error(problem)
        if problem:
            self.query_one("#import-path", Input).focus()
            return
        path = Path(text.strip()).expanduser()
        files = intake.collect_files([path])
        self.running = True
        self.query_one("#start", Button).disabled = True
        bar = self.query_one("#import-progress", ProgressBar)
        bar.display = True
        bar.update(total=len(files), progress=0)
        self.query_one("#import-current", Static).update(f"Reading {plural(len(files), 'file')}…")
        self.query_one("#import-results-text", Static).update("")
        self._import(path)

    @work(thread=True, exclusive=True, group="era-import")
    def _import(self, path: Path) -> None:
        app = self.app

        def progress(done: int, total: int, name: str) -> None:
            app.call_from_thread(self._progress, done, total, name)

        try:
            results = intake.import_paths(app.store, [path], app.actor, progress)  # type: ignore[attr-defined]
        except PermissionDenied as exc:
            app.call_from_thread(self._failed, str(exc))
            return
        except Exception as exc:  # noqa: BLE001 - each file commits on its own: say where it stopped
            app.call_from_thread(self._failed, f"the import stopped ({type(exc).__name__}: "
                                 f"{exc}); files finished before it are stored, press v in the "
                                 "list to see rejected ones")
            return
        app.call_from_thread(self._finished, results)

    def _progress(self, done: int, total: int, name: str) -> None:
        self.query_one("#import-progress", ProgressBar).update(total=total, progress=done)
        self.query_one("#import-current", Static).update(
            plain(f"{done}/{total} · {Path(name).name}"))

    def _failed(self, message: str) -> None:
        self.running = False
        self.query_one("#form-status", Static).update(plain(f"Nothing imported: {message}"))
        self.query_one("#start", Button).disabled = False

    def _finished(self, results: list[FileResult]) -> None:
        self.running = False
        self.results += results
        counts = {s: sum(1 for r in results if r.status is s) for s in ImportStatus}
        payments = sum(len(r.created) for r in results if r.kind == "835")
        claims = sum(len(r.created) for r in results if r.kind == "837")
        stored = ", ".join([plural(payments, "payment")] * bool(payments or not claims)
                           + [plural(claims, "claim")] * bool(claims))
        summary = (f"{plural(len(results), 'file')}: {counts[ImportStatus.IMPORTED]} imported "
                   f"({stored}), "
                   f"{plural(counts[ImportStatus.DUPLICATE], 'duplicate')}, "
                   f"{counts[ImportStatus.REJECTED]} rejected.")
        if any(r.kind == "835" and r.status is ImportStatus.IMPORTED for r in results):
            summary += " Full 5010 validation runs in the background."
        self.query_one("#import-current", Static).update(summary + " ↑↓ scroll the results.")
        self.query_one("#import-results-text", Static).update(results_table(results))
        # The results need the room now: the path and the bar fold away, and the results take
        # the keys, so every file's reason can be read with ↑↓ / PgDn.
        self.query_one("#field-path", FormField).display = False
        self.query_one("#import-progress", ProgressBar).display = False
        start = self.query_one("#start", Button)
        start.disabled = False
        start.label = "Import more (^S)"
        results_box = self.query_one("#import-results", VerticalScroll)
        results_box.focus()
        results_box.scroll_home(animate=False)

    @on(Button.Pressed, "#close")
    def action_close(self) -> None:
        if self.running:
            self.notify("The import is still running; it finishes on its own in a moment.",
                        severity="warning")
            return
        imported = sum(1 for r in self.results if r.status is ImportStatus.IMPORTED)
        self.dismiss(imported if self.results else None)
