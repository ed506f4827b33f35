"""Asks for the encrypted keyring's passphrase inside the app (never a terminal prompt)."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static
from textual.worker import Worker, WorkerState

from pctui.secrets import FILE_ENV, KeyringLocked, SecretStore
from pctui.ui.widgets.form_field import FormField
from pctui.ui.widgets.text import plain

MIN_NEW_PASSPHRASE = 8


class KeyringUnlockModal(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="unlock.cancel")]

    def __init__(self, secrets: SecretStore) -> None:
        super().__init__()
        self.secrets = secrets

    def compose(self) -> ComposeResult:
        if self.secrets.file_path is None:  # a database on a server: no place is set
            with Vertical(id="dialog"):
                yield Static("Unlock keyring", id="dialog-title")
                yield Static(plain(
                    "No OS keyring is available here, and no keyring file is set: the database "
                    f"is on a server, so API keys go in an encrypted file every pctui host can "
                    f"reach. An admin sets {FILE_ENV} to that file (README: PostgreSQL) before "
                    "starting pctui.\nEscape closes this."), id="dialog-message")
            return
        first_time = not self.secrets.file_exists
        where = (f"set by {FILE_ENV}" if self.secrets.file_is_explicit
                 else "beside the database")
        intro = (
            "No OS keyring is available here, so API keys are kept in an encrypted file "
            f"{where}:\n{self.secrets.file_path}\n"
            + ("It does not exist yet: the passphrase you enter now creates it. Everyone "
               "who uses this database will need the same passphrase."
               if first_time else "Enter its passphrase to save or replace API keys.")
        )
        with Vertical(id="dialog"):
            yield Static("Unlock keyring", id="dialog-title")
            yield Static(plain(intro, keep_newlines=True), id="dialog-message")
            yield FormField("Passphrase", Input(password=True, id="passphrase"),
                            required=True, field_name="passphrase",
                            hint=(f"at least {MIN_NEW_PASSPHRASE} characters" if first_time
                                  else "Enter to unlock, Escape to cancel"))
            if first_time:
                yield FormField("Passphrase again", Input(password=True, id="confirm"),
                                required=True, field_name="confirm",
                                hint="Enter to create the keyring, Escape to cancel")

    def on_mount(self) -> None:
        if self.query("#passphrase"):
            self.query_one("#passphrase", Input).focus()

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        passphrase = self.query_one("#passphrase", Input).value
        fields = {f.field_name: f for f in self.query(FormField)}
        for field in fields.values():
            field.set_error(None)
        if "confirm" in fields:  # creating the shared file: a typo would lock everyone out
            if event.input.id == "passphrase":
                self.query_one("#confirm", Input).focus()
                return
            if len(passphrase) < MIN_NEW_PASSPHRASE:
                fields["passphrase"].set_error(
                    f"use at least {MIN_NEW_PASSPHRASE} characters for a shared keyring")
                self.query_one("#passphrase", Input).focus()
                return
            if self.query_one("#confirm", Input).value != passphrase:
                fields["confirm"].set_error("the two passphrases differ")
                return
        self._unlock(passphrase)

    @work(thread=True, exclusive=True, group="keyring-unlock")
    def _unlock(self, passphrase: str) -> str | None:
        """The key derivation (argon2) takes a moment: off the UI thread. Returns what was
        wrong, or None once unlocked; the dialog closes when the worker has finished (closing
        it from inside the worker would cancel the worker)."""
        try:
            self.secrets.unlock(passphrase)
        except KeyringLocked as exc:
            return str(exc)
        return None

    @on(Worker.StateChanged)
    def _unlock_finished(self, event: Worker.StateChanged) -> None:
        if event.worker.name != "_unlock" or event.state is not WorkerState.SUCCESS:
            return
        problem = event.worker.result
        if problem is None:
            self.dismiss(True)
        else:
            self.query_one("#field-passphrase", FormField).set_error(problem)

    def action_cancel(self) -> None:
        self.dismiss(False)
