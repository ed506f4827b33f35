"""Add / Edit Payer Connection form (and the Replace API key form)."""

from __future__ import annotations

from typing import Any

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Checkbox, Input, Select, Static
from textual.worker import Worker, WorkerState

from pctui.core.codes import GatewayType
from pctui.core.gateway import parse_compliance_rules
from pctui.secrets import KeyringLocked
from pctui.store import audit, connections, faults, payers
from pctui.store.connections import ConnectionDraft, ConnectionView
from pctui.store.errors import EditConflict, NotFound, PermissionDenied, ValidationFailed
from pctui.ui.widgets.conflict import ConflictChoice, EditConflictModal
from pctui.ui.widgets.form_field import FormField
from pctui.ui.widgets.modals import ConfirmationModal
from pctui.ui.widgets.text import plain

ENDPOINT_HINTS = {
    GatewayType.HTTPS.value: "https://host/path of the payer's claims API",
    GatewayType.SFTP.value: "host[:port]/path of the SFTP mailbox",
    GatewayType.CLEARINGHOUSE.value: "https:// URL of the clearinghouse API",
}


class ConnectionForm(ModalScreen[ConnectionView | None]):
    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="connection_form.save"),
        Binding("escape", "cancel", "Cancel", id="connection_form.cancel"),
    ]

    def __init__(self, existing: ConnectionView | None, key_only: bool = False) -> None:
        super().__init__()
        self.existing = existing
        self.key_only = key_only and existing is not None
        self._initial: tuple[object, ...] = ()
        # the version this form shows; a save over a newer one is an EditConflict
        self.expected_version = existing.version if existing else None
        self._errors: dict[str, str] = {}

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        store = self.app.store  # type: ignore[attr-defined]
        e = self.existing
        if self.key_only:
            title = f"Replace API key — {e.payer_code} / {e.name}"  # type: ignore[union-attr]
        else:
            title = "Edit Payer Connection" if e else "Add Payer Connection"
        payer_options = [(plain(p.label), p.id)
                         for p in payers.list_payers(store, include_inactive=False)]
        with Vertical(id="dialog", classes="form"):
            yield Static(plain(title), id="dialog-title")
            with VerticalScroll(id="form-body"):
                if not self.key_only:
                    yield FormField("Payer", Select(payer_options, id="payer",
                                                    prompt="Pick the payer",
                                                    value=e.payer_id if e else Select.NULL),
                                    required=True, field_name="payer",
                                    hint="" if payer_options else
                                    "No payers yet: add one under Payer Rules first.")
                    yield FormField("Connection name", Input(e.name if e else "", id="name",
                                                             placeholder="e.g. BCBS via Availity"),
                                    required=True, field_name="name")
                if self.key_only:
                    key_hint = f"Replaces the current key ({e.key_state}). Kept in the keyring."  # type: ignore[union-attr]
                elif e:
                    key_hint = f"Current key {e.key_state}. Leave empty to keep it."
                else:
                    key_hint = ("Kept in the keyring, never in the database. Optional: "
                                "a connection can be saved with its key missing.")
                yield FormField("Payer API key", Input(password=True, id="api_key",
                                                       placeholder="paste the key"),
                                required=self.key_only, field_name="api_key", hint=key_hint)
                if not self.key_only:
                    gateway_options = [(g.label, g.value) for g in GatewayType]
                    gateway = e.gateway_type.value if e else Select.NULL
                    yield FormField("Gateway type", Select(gateway_options, id="gateway_type",
                                                           prompt="Pick a gateway",
                                                           value=gateway),
                                    required=True, field_name="gateway_type")
                    yield FormField("Gateway endpoint", Input(e.endpoint if e else "",
                                                              id="endpoint"),
                                    required=True, field_name="endpoint",
                                    hint=ENDPOINT_HINTS.get(str(gateway), "URL or host/path"))
                    yield FormField("Submitter ID", Input(e.submitter_id if e else "",
                                                          id="submitter_id"),
                                    field_name="submitter_id", hint="ISA06/GS02, up to 15")
                    yield FormField("Receiver ID", Input(e.receiver_id if e else "",
                                                         id="receiver_id"),
                                    field_name="receiver_id", hint="ISA08/GS03, up to 15")
                    yield FormField("Compliance rules",
                                    Input(", ".join(e.compliance_rules) if e else "",
                                          id="compliance_rules",
                                          placeholder="e.g. 5010-SNIP1, 5010-SNIP2"),
                                    field_name="compliance_rules",
                                    hint="identifiers from your payer, separated by commas")
                    yield Checkbox("Active", e.active if e else True, id="active")
            yield Static("", id="form-status", markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button("Save (^S)", id="save", variant="primary")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self._initial = self._snapshot()
        first = "#api_key" if self.key_only else "#payer"
        self.query_one(first).focus()

    def _snapshot(self) -> tuple[object, ...]:
        values: list[object] = [self.query_one("#api_key", Input).value]
        if not self.key_only:
            for wid in ("#payer", "#name", "#gateway_type", "#endpoint", "#submitter_id",
                        "#receiver_id", "#compliance_rules", "#active"):
                values.append(self.query_one(wid).value)  # type: ignore[attr-defined]
        return tuple(values)

    @on(Select.Changed, "#gateway_type")
    def _gateway_changed(self, event: Select.Changed) -> None:
        self.query_one("#field-endpoint", FormField).set_hint(
            ENDPOINT_HINTS.get(str(event.value), "URL or host/path"))

    # -- saving ---------------------------------------------------------------------------

    def _draft(self) -> ConnectionDraft:
        if self.key_only:
            assert self.existing is not None
            return self.existing.draft()
        payer = self.query_one("#payer", Select).value
        gateway = self.query_one("#gateway_type", Select).value
        return ConnectionDraft(
            payer_id=payer if isinstance(payer, int) else None,
            name=self.query_one("#name", Input).value,
            gateway_type=gateway if isinstance(gateway, str) else "",
            endpoint=self.query_one("#endpoint", Input).value,
            submitter_id=self.query_one("#submitter_id", Input).value,
            receiver_id=self.query_one("#receiver_id", Input).value,
            compliance_rules=parse_compliance_rules(self.query_one("#compliance_rules",
                                                                   Input).value),
            active=self.query_one("#active", Checkbox).value,
        )

    @on(FormField.ErrorCleared)
    def _error_cleared(self, event: FormField.ErrorCleared) -> None:
        """A field changed after an error: the summary keeps only what is still wrong."""
        self._show_errors({k: m for k, m in self._errors.items()
                           if k != event.field.field_name}, focus=False)

    def _show_errors(self, errors: dict[str, str], focus: bool = True) -> None:
        self._errors = dict(errors)
        for field in self.query(FormField):
            field.set_error(errors.get(field.field_name))
        status = self.query_one("#form-status", Static)
        if errors:
            names = ", ".join(f.label for f in self.query(FormField) if f.field_name in errors)
            status.update(plain(f"Not saved: fix {names or ', '.join(errors)}."))
            for field in self.query(FormField) if focus else ():
                if field.field_name in errors:
                    field.control.focus()
                    break
        else:
            status.update("")

    @on(Button.Pressed, "#save")
    def action_save(self) -> None:
        store = self.app.store  # type: ignore[attr-defined]
        secrets = self.app.secrets  # type: ignore[attr-defined]
        draft = self._draft()
        raw_key = self.query_one("#api_key", Input).value
        api_key = raw_key if raw_key else None
        connection_id = self.existing.id if self.existing else None
        errors = connections.check_connection(store, draft, api_key, connection_id)
        if self.key_only and api_key is None:
            errors["api_key"] = "required: paste the new key"
        if api_key is not None and secrets.locked and "api_key" not in errors:
            errors["api_key"] = ("the keyring is locked: press F9 to unlock it, or clear "
                                 "this field to save without a key")
        self._show_errors(errors)
        if errors:
            return
        what = "replace the API key of" if self.key_only else (
            "change" if self.existing else "add")
        target = f"{self.existing.payer_code} / {self.existing.name}" if self.existing else (
            f"the connection {draft.name.strip()}")
        stored = None
        if self.existing is not None:  # the "before" is what is saved now, never the form's copy
            try:
                stored = connections.get_connection(store, self.existing.id)
            except NotFound:
                stored = None
        if self.key_only and stored is not None:  # only the key changes: keep what is saved
            draft, self.expected_version = stored.draft(), stored.version
        if stored is not None and stored.version != self.expected_version:
            self._save(draft, api_key, connection_id)  # refused as a conflict: shows both
            return
        message = (f"You are about to {what} {target}.\n"
                   f"{self._change_summary(draft, api_key, stored)}\n"
                   "Changes to payer connections may affect live claims submission. "
                   "Save this change?")
        self.app.push_screen(
            ConfirmationModal("Affects live claims submission", message, "Save", "Go back",
                              warning=True),
            lambda ok: self._save(draft, api_key, connection_id) if ok else None,
        )

    def _change_summary(self, draft: ConnectionDraft, api_key: str | None,
                        stored: ConnectionView | None) -> str:
        """What the confirmation lists: each changed field, saved now → new (a key only as
        set/replaced)."""
        if stored is None:
            return ""
        before = stored.draft()
        lines = []
        for field in ("payer_id", "name", "gateway_type", "endpoint", "submitter_id",
                      "receiver_id", "compliance_rules", "active"):
            old, new = getattr(before, field), getattr(draft, field)
            if old != new:
                if field == "payer_id":
                    field, old, new = "payer", self._payer_label(old), self._payer_label(new)
                lines.append(audit.AuditLine(audit.now(), "", "", None, "", "",
                                             {field: [old, new]}).describe())
        if api_key is not None:
            lines.append("API key replaced")
        return "\n".join(f"  • {line}" for line in lines) + "\n" if lines else "  (no changes)\n"

    def _payer_label(self, payer_id: int | None) -> str:
        if payer_id is None:
            return "—"
        return payers.get_payer(self.app.store, payer_id).code  # type: ignore[attr-defined]

    @work(thread=True, exclusive=True, group="save")
    def _save(self, draft: ConnectionDraft, api_key: str | None,
              connection_id: int | None) -> tuple[str, Any]:
        """Save off the UI thread; the form closes once the worker has finished."""
        app = self.app
        try:
            return "saved", connections.save_connection(
                app.store, app.secrets, app.actor, draft, connection_id, api_key,  # type: ignore[attr-defined]
                self.expected_version)
        except EditConflict as exc:
            return "conflict", exc
        except ValidationFailed as exc:
            return "errors", exc.errors
        except (PermissionDenied, KeyringLocked) as exc:
            return "status", f"Not saved: {exc}"
        except Exception as exc:  # a busy, read-only or full database: said, form kept
            message = faults.explain(exc, app.store.label)  # type: ignore[attr-defined]
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
            self._show_errors(value)
        elif outcome == "conflict":
            self._edit_conflict(value)
        else:
            self.query_one("#form-status", Static).update(plain(value))

    def _edit_conflict(self, conflict: EditConflict) -> None:
        self.query_one("#form-status", Static).update(plain(f"Not saved: {conflict}"))

        def chosen(choice: ConflictChoice | None) -> None:
            if choice == "overwrite":
                self.expected_version = conflict.version
                self.action_save()
            elif choice == "reload":
                self.dismiss(None)
                self.app.current_section.refresh_data()  # type: ignore[attr-defined]
                self.app.notify(f"Your changes were discarded; the list shows {conflict.what} "
                                f"as {conflict.by} saved it.", title="Reloaded", markup=False)

        self.app.push_screen(EditConflictModal(conflict), chosen)

    @on(Button.Pressed, "#cancel")
    def action_cancel(self) -> None:
        if self._snapshot() == self._initial:
            self.dismiss(None)
            return
        self.app.push_screen(
            ConfirmationModal("Discard changes?", "You changed this form. Leave without saving?",
                              "Discard", "Keep editing"),
            lambda ok: self.dismiss(None) if ok else None,
        )
