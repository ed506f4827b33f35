"""Void a released payment (SPEC 2.4): an admin gives the reason; every entry the release (and its
rework) posted is negated exactly and the payment is Ready again. Refused while a later posting
on the same claims depends on it — the dialog names them."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from pctui.store.errors import NotFound, PermissionDenied, ValidationFailed
from pctui.store.void import VoidRefused, VoidResult, void_release
from pctui.ui.widgets.form_field import FormField
from pctui.ui.widgets.text import plain


class VoidDialog(ModalScreen[VoidResult | None]):
    BINDINGS = [
        Binding("ctrl+s", "void", "Void", id="void.void"),
        Binding("escape", "cancel", "Cancel", id="void.cancel"),
    ]

    def __init__(self, era_id: int, label: str, batch: str) -> None:
        super().__init__()
        self.era_id = era_id
        self.label = label
        self.batch = batch
        self.running = False

    def compose(self) -> ComposeResult:
        with Vertical(id="dialog", classes="-warning"):
            yield Static(plain(f"Void the release of {self.label}"), id="dialog-title")
            yield Static(plain(
                f"Every ledger entry this release (batch {self.batch}) and its rework posted is "
                "negated exactly; the payment is Ready again and can be released again. The "
                "audit log keeps who voided it, when and why.", keep_newlines=True),
                id="dialog-message")
            yield FormField("Reason", Input(id="void-reason", placeholder="why it is voided"),
                            required=True, field_name="reason",
                            hint="e.g. released into the wrong deposit")
            yield Static("", id="form-status", markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button("Void (^S)", id="void", variant="error")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        actor = self.app.actor  # type: ignore[attr-defined]
        if not actor.is_admin:
            self.query_one("#void-reason", Input).disabled = True
            self.query_one("#void", Button).disabled = True
            self.query_one("#form-status", Static).update(plain(
                f"Only an admin may void a release ({actor.login} is "
                f"{'not registered' if actor.role is None else 'a ' + actor.role.value})."))
            self.query_one("#cancel", Button).focus()
            return
        self.query_one("#void-reason", Input).focus()

    @on(Input.Submitted, "#void-reason")
    @on(Button.Pressed, "#void")
    def action_void(self) -> None:
        if self.running or self.query_one("#void", Button).disabled:
            return
        reason = self.query_one("#void-reason", Input).value
        if not reason.strip():
            self.query_one(FormField).set_error("a reason is required to void a release")
            return
        self.query_one(FormField).set_error(None)
        self.running = True
        self.query_one("#form-status", Static).update("Voiding…")
        self._void(reason)

    @work(thread=True, exclusive=True, group="void")
    def _void(self, reason: str) -> None:
        app = self.app
        try:
            result = void_release(app.store, app.actor, self.era_id, reason)  # type: ignore[attr-defined]
        except (VoidRefused, PermissionDenied, NotFound) as exc:
            app.call_from_thread(self._refused, str(exc))
            return
        except ValidationFailed as exc:
            app.call_from_thread(self._refused, "; ".join(exc.errors.values()))
            return
        app.call_from_thread(self._voided, result)

    def _refused(self, message: str) -> None:
        self.running = False
        self.query_one("#form-status", Static).update(plain(message))

    def _voided(self, result: VoidResult) -> None:
        self.running = False
        self.app.notify(f"{self.label}: {result.message}", title="Voided")
        self.dismiss(result)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if not self.running:
            self.dismiss(None)

