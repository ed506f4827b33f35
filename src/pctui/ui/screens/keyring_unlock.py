"""Asks for the encrypted keyring's passphrase inside the app (never a terminal prompt)."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from pctui.secrets import KeyringLocked, SecretStore
from pctui.ui.widgets.form_field import FormField


class KeyringUnlockModal(ModalScreen[bool]):
    BINDINGS = [Binding("escape", "cancel", "Cancel", id="unlock.cancel")]

    def __init__(self, secrets: SecretStore) -> None:
        super().__init__()
        self.secrets = secrets

    def compose(self) -> ComposeResult:
        first_time = not self.secrets.file_exists
        intro = (
            "No OS keyring is available here, so API keys are kept in an encrypted file "
            f"beside the database:\n{self.secrets.file_path}\n"
            + ("It does not exist yet: the passphrase you enter now creates it. Everyone "
               "who uses this database will need the same passphrase."
               if first_time else "Enter its passphrase to save or replace API keys.")
        )
        with Vertical(id="dialog"):
            yield Static("Unlock keyring", id="dialog-title")
            yield Static(intro, id="dialog-message", markup=False)
            yield FormField("Passphrase", Input(password=True, id="passphrase"),
                            required=True, field_name="passphrase",
                            hint="Enter to unlock, Escape to cancel")

    def on_mount(self) -> None:
        self.query_one("#passphrase", Input).focus()

    @on(Input.Submitted, "#passphrase")
    def _submitted(self, event: Input.Submitted) -> None:
        self.query_one(FormField).set_error(None)
        self._unlock(event.value)

    @work(thread=True, exclusive=True)
    def _unlock(self, passphrase: str) -> None:
        # The key derivation (argon2) takes a moment: keep it off the UI thread.
        try:
            self.secrets.unlock(passphrase)
        except KeyringLocked as exc:
            self.app.call_from_thread(self.query_one(FormField).set_error, str(exc))
            return
        self.app.call_from_thread(self.dismiss, True)

    def action_cancel(self) -> None:
        self.dismiss(False)
