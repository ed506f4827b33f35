"""What the Payer Rules forms share: errors beside their fields, Ctrl+S saves in a worker,
Escape asks first when something was changed."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from textual import on, work
from textual.binding import Binding
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Select, Static
from textual.worker import Worker, WorkerState

from pctui.store import faults
from pctui.store.errors import EditConflict, NotFound, PermissionDenied, ValidationFailed
from pctui.ui.widgets.conflict import ConflictChoice, EditConflictModal
from pctui.ui.widgets.form_field import FormField
from pctui.ui.widgets.modals import ConfirmationModal
from pctui.ui.widgets.text import plain

if TYPE_CHECKING:
    from pctui.ui.app import PctuiApp

T = TypeVar("T")


def field_key(error_key: str) -> str:
    """A service error key ("levels.tertiary.payment_code") as a FormField name (ids take no dots)."""
    return error_key.replace(".", "-")


class RecordForm(ModalScreen[T | None], Generic[T]):
    """Subclasses compose FormFields, a ``#form-status`` line, and implement ``action_save``."""

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="form.save"),
        Binding("escape", "cancel", "Cancel", id="form.cancel"),
    ]

    def __init__(self, classes: str | None = None) -> None:
        super().__init__(classes=classes)
        self._initial: tuple[object, ...] = ()
        # The version of the record this form shows (None: a new record). Saving passes it
        # back; another session's save in between is an EditConflict (pctui.store.versions).
        self.expected_version: int | None = None
        self._errors: dict[str, str] = {}  # what show_errors last showed

    @property
    def pctui(self) -> PctuiApp:
        from pctui.ui.app import PctuiApp

        assert isinstance(self.app, PctuiApp)
        return self.app

    def on_mount(self) -> None:
        self.mark_clean()

    # -- dirty tracking -------------------------------------------------------------------

    def snapshot(self) -> tuple[object, ...]:
        """Every value the user can change in this form."""
        return tuple(w.value for w in self.query("Input, Select, Checkbox")
                     if isinstance(w, (Input, Select, Checkbox)))

    def mark_clean(self) -> None:
        self._initial = self.snapshot()

    @property
    def dirty(self) -> bool:
        return self.snapshot() != self._initial

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if not self.dirty:
            self.dismiss(None)
            return
        self.app.push_screen(
            ConfirmationModal("Discard changes?", "You changed this form. Leave without saving?",
                              "Discard", "Keep editing"),
            lambda ok: self.dismiss(None) if ok else None,
        )

    @on(Button.Pressed, "#save")
    def _save_pressed(self) -> None:
        self.action_save()

    def action_save(self) -> None:
        raise NotImplementedError

    # -- errors ---------------------------------------------------------------------------

    def set_status(self, text: str) -> None:
        self.query_one("#form-status", Static).update(plain(text))

    @on(FormField.ErrorCleared)
    def _error_cleared(self, event: FormField.ErrorCleared) -> None:
        """A field changed after an error: the summary keeps only what is still wrong."""
        remaining = {k: m for k, m in self._errors.items()
                     if field_key(k) != event.field.field_name}
        self.show_errors(remaining, focus=False)

    def show_errors(self, errors: dict[str, str], focus: bool = True) -> None:
        """Each error beside its field; those without a field on the status line."""
        self._errors = dict(errors)
        fields = {f.field_name: f for f in self.query(FormField)}
        placed: set[str] = set()
        for name, form_field in fields.items():
            message = next((m for k, m in errors.items() if field_key(k) == name), None)
            form_field.set_error(message)
            if message:
                placed.add(name)
        if not errors:
            self.set_status("")
            return
        named = self.error_summary([f for n, f in fields.items() if n in placed])
        loose = [f"{k}: {m}" for k, m in errors.items() if field_key(k) not in placed]
        self.set_status("Not saved: " + "; ".join(
            ([f"fix {named}"] if named else []) + loose) + ".")
        if not focus:
            return
        for form_field in fields.values():
            if form_field.field_name in placed:
                form_field.control.focus()
                break

    def error_summary(self, fields: list[FormField]) -> str:
        """The fields to fix, for the status line."""
        return ", ".join(f.label for f in fields)

    # -- saving ---------------------------------------------------------------------------

    @work(thread=True, exclusive=True, group="save")
    def save_in_background(self, save: Callable[[], Any]) -> tuple[str, Any]:
        """Run the service call off the UI thread; the form closes with its result (or shows
        why not) once the worker has finished (closing it from inside would cancel it)."""
        try:
            return "saved", save()
        except ValidationFailed as exc:
            return "errors", exc.errors
        except (PermissionDenied, NotFound) as exc:
            return "status", f"Not saved: {exc}"
        except EditConflict as exc:
            return "conflict", exc
        except Exception as exc:  # a busy, read-only or full database: said, form kept
            message = faults.explain(exc, self.pctui.store.label)
            if message is None:
                raise
            return "status", f"Not saved: {message}"

    @on(Worker.StateChanged)
    def _saved(self, event: Worker.StateChanged) -> None:
        if event.worker.group != "save" or event.state is not WorkerState.SUCCESS:
            return
        outcome, value = event.worker.result
        if outcome == "saved":
            self.dismiss(value)
        elif outcome == "errors":
            self.show_errors(value)
        elif outcome == "conflict":
            self.edit_conflict(value)
        else:
            self.set_status(value)

    def edit_conflict(self, conflict: EditConflict) -> None:
        """Someone saved this record since the form opened: show the difference and let the
        user keep theirs (reload) or save theirs over it."""
        self.set_status(f"Not saved: {conflict}")

        def chosen(choice: ConflictChoice | None) -> None:
            if choice == "overwrite":
                self.expected_version = conflict.version
                self.action_save()
            elif choice == "reload":
                self.dismiss(None)
                self.pctui.current_section.refresh_data()
                self.app.notify(f"Your changes were discarded; the list shows {conflict.what} "
                                f"as {conflict.by} saved it.", title="Reloaded", markup=False)

        self.app.push_screen(EditConflictModal(conflict), chosen)
