"""Void a released payment (SPEC 2.4): an admin gives the reason; every entry the release (and its
rework) posted is negated exactly and the payment is Ready again. Refused while a later posting
on the same claims depends on it — the dialog names them. When those payments depend on this one
in turn (posted together, each the earlier level on a claim of the other), the dialog lists the
group and the button becomes "Void N together": a second ^S voids them all in one transaction."""

from __future__ import annotations

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static

from pctui.store.errors import NotFound, PermissionDenied, ValidationFailed
from pctui.store.users import Actor
from pctui.store.void import VoidRefused, VoidResult, void_releases
from pctui.ui.widgets.form_field import FormField
from pctui.ui.widgets.modals import leave_or_ask
from pctui.ui.widgets.text import plain


class VoidDialog(ModalScreen[VoidResult | None]):
    BINDINGS = [
        Binding("ctrl+s", "void", "Void", id="void.void"),
        Binding("escape", "cancel", "Cancel", id="void.cancel"),
    ]

    def __init__(self, era_id: int, label: str, batch: str) -> None:
        super().__init__()
        self.era_id = era_id
        self.era_ids = [era_id]  # what ^S voids: this payment, or the group it must go with
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
                f"Only an admin may void a release ({_standing(actor)})."))
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
            results = void_releases(app.store, app.actor, self.era_ids, reason)  # type: ignore[attr-defined]
        except VoidRefused as exc:
            app.call_from_thread(self._refused, str(exc), exc.together)
            return
        except (PermissionDenied, NotFound) as exc:
            app.call_from_thread(self._refused, str(exc))
            return
        except ValidationFailed as exc:
            app.call_from_thread(self._refused, "; ".join(exc.errors.values()))
            return
        app.call_from_thread(self._voided, results)

    def _refused(self, message: str, together: tuple[int, ...] = ()) -> None:
        self.running = False
        if together and set(together) != set(self.era_ids):
            self.era_ids = list(together)
            message += " Press ^S again to void them all together."
            self.query_one("#void", Button).label = f"Void {len(together)} together (^S)"
        self.query_one("#form-status", Static).update(plain(message))

    def _voided(self, results: list[VoidResult]) -> None:
        self.running = False
        for result in results:
            label = self.label if result.era_id == self.era_id else f"payment #{result.era_id}"
            self.app.notify(f"{label}: {result.message}", title="Voided")
        self.dismiss(next(r for r in results if r.era_id == self.era_id))

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if not self.running:
            leave_or_ask(self, self.query_one("#void-reason", Input).value, "the reason")


def _standing(actor: Actor) -> str:
    if actor.deactivated:
        return f"{actor.login} was deactivated in this database"
    if actor.role is None:
        return f"{actor.login} is not registered in this database"
    return f"{actor.login} is a {actor.role.value}"
