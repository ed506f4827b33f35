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
from pctui.core.connection_settings import (
    REQUIRED_SFTP,
    AfterDownload,
    HttpsProfile,
    HttpsSettings,
    KeyIn,
    SftpSettings,
    UploadMode,
    Usage,
    settings_key,
)
from pctui.core.gateway import parse_compliance_rules
from pctui.secrets import KeyringLocked
from pctui.store import audit, compliance, connections, faults, payers
from pctui.store.connections import ConnectionDraft, ConnectionView
from pctui.store.errors import EditConflict, NotFound, PermissionDenied, ValidationFailed
from pctui.ui.widgets.conflict import ConflictChoice, EditConflictModal
from pctui.ui.widgets.form_field import FormField
from pctui.ui.widgets.modals import ConfirmationModal
from pctui.ui.widgets.text import plain

ENDPOINT_HINTS = {
    GatewayType.HTTPS.value: "base URL of the API, e.g. https://svc.claim.md",
    GatewayType.SFTP.value: "host[:port] of the SFTP mailbox, e.g. sftp.payer.example:22",
    GatewayType.CLEARINGHOUSE.value: "base URL of the clearinghouse API",
}

# (field, label, hint) of the text settings, in form order; the choices are Selects.
SFTP_TEXT = [
    ("username", "SFTP user name", "the login the mailbox gave you"),
    ("host_key", "Host key", "SHA256:... pinned; Test connection (t) shows the server's"),
    ("upload_dir", "Upload folder", "where files are sent, e.g. /SendFiles"),
    ("download_dir", "Download folder", "where answers wait, e.g. /ReceiveFiles"),
    ("file_name_template", "File name template",
     "{name} {stem} {ext} {timestamp} {date} {usage} {submitter} {seq} {uuid}"),
    ("private_key_file", "SSH key file", "log in with this key instead of a password (optional)"),
    ("archive_dir", "Archive folder", "where received files are moved (After download: move)"),
    ("timeout_seconds", "Time-out (s)", "limit for each network step"),
]
HTTPS_TEXT = [
    ("key_name", "Key field/header", "e.g. AccountKey (Claim.MD)"),
    ("upload_path", "Upload path", "POST files here"),
    ("response_path", "Response path", "claim responses, from the last ResponseID"),
    ("era_list_path", "ERA list path", "ERAs, from the last ERAID"),
    ("era_download_path", "ERA 835 path", "one ERA as X12 835"),
    ("ca_bundle", "CA bundle", "PEM file to trust instead of the system's (optional)"),
    ("timeout_seconds", "Time-out (s)", "limit for each request"),
]


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
        with Vertical(id="dialog", classes="form key-only" if self.key_only else "form"):
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
                    key_hint = f"Replaces the current {e.secret_label} ({e.key_state}). Kept in the keyring."  # type: ignore[union-attr]
                elif e:
                    key_hint = f"Current {e.secret_label} {e.key_state}. Leave empty to keep it."
                else:
                    key_hint = ("Kept in the keyring, never in the database. Optional: "
                                "a connection can be saved with it missing.")
                label = e.secret_label if e else "API key"
                yield FormField(_secret_title(label), Input(password=True, id="api_key",
                                                            placeholder="paste it here"),
                                required=self.key_only, field_name="api_key", hint=key_hint)
                if not self.key_only:
                    yield from self._compose_connection(e)
            yield Static("", id="form-status", markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button("Save (^S)", id="save", variant="primary")
                yield Button("Cancel (Esc)", id="cancel")

    def _compose_connection(self, e: ConnectionView | None) -> ComposeResult:
        gateway_options = [(g.label, g.value) for g in GatewayType]
        gateway = e.gateway_type.value if e else Select.NULL
        yield FormField("Gateway type", Select(gateway_options, id="gateway_type",
                                               prompt="Pick a gateway", value=gateway),
                        required=True, field_name="gateway_type")
        yield FormField("Gateway endpoint", Input(e.endpoint if e else "", id="endpoint"),
                        required=True, field_name="endpoint",
                        hint=ENDPOINT_HINTS.get(str(gateway), "URL or host:port"))
        yield FormField("Submitter ID", Input(e.submitter_id if e else "", id="submitter_id"),
                        field_name="submitter_id", hint="ISA06/GS02, up to 15")
        yield FormField("Receiver ID", Input(e.receiver_id if e else "", id="receiver_id"),
                        field_name="receiver_id", hint="ISA08/GS03, up to 15")
        yield FormField("Compliance rules",
                        Input(", ".join(e.compliance_rules) if e else "", id="compliance_rules",
                              placeholder="e.g. 5010-SNIP1, 5010-SNIP2"),
                        field_name="compliance_rules", hint=self._rules_hint(e))
        yield FormField("Usage", Select([(u.label, u.value) for u in Usage], id="usage",
                                        allow_blank=False,
                                        value=e.usage.value if e else Usage.TEST.value),
                        required=True, field_name="usage",
                        hint="ISA15 on every file sent; a file that disagrees is not sent")
        yield FormField("Poll every (min)", Input(str(e.poll_minutes) if e else "0",
                                                  id="poll_minutes", type="integer"),
                        field_name="poll_minutes",
                        hint="the running app polls this often; 0: only when asked")
        sftp = e.settings if e and isinstance(e.settings, SftpSettings) else SftpSettings()
        with Vertical(id="sftp-settings", classes="settings-group"):
            for name, title, hint in SFTP_TEXT[:4]:
                yield self._setting("sftp", name, title, hint, getattr(sftp, name))
            yield FormField("Upload mode", Select(
                [("direct: final name", UploadMode.DIRECT.value),
                 ("temporary name, then rename", UploadMode.TEMP_RENAME.value)],
                id="sftp-upload_mode", allow_blank=False, value=sftp.upload_mode),
                field_name="sftp-upload_mode", hint="servers that forbid renames need direct")
            for name, title, hint in SFTP_TEXT[4:6]:
                yield self._setting("sftp", name, title, hint, getattr(sftp, name))
            yield FormField("After download", Select(
                [("keep on the server", AfterDownload.KEEP.value),
                 ("delete once stored", AfterDownload.DELETE.value),
                 ("move to the archive folder", AfterDownload.MOVE.value)],
                id="sftp-after_download", allow_blank=False, value=sftp.after_download),
                field_name="sftp-after_download",
                hint="only after pctui has stored the file")
            for name, title, hint in SFTP_TEXT[6:]:
                yield self._setting("sftp", name, title, hint, getattr(sftp, name))
            yield Checkbox("Also receive from subfolders", sftp.include_subfolders,
                           id="sftp-include_subfolders")
        https = e.settings if e and isinstance(e.settings, HttpsSettings) else HttpsSettings()
        with Vertical(id="https-settings", classes="settings-group"):
            yield FormField("API profile", Select(
                [(p.label, p.value) for p in HttpsProfile], id="https-profile",
                allow_blank=False, value=https.profile), field_name="https-profile")
            yield FormField("Key sent as", Select(
                [("a form field", KeyIn.FORM.value), ("a header", KeyIn.HEADER.value)],
                id="https-key_in", allow_blank=False, value=https.key_in),
                field_name="https-key_in")
            for name, title, hint in HTTPS_TEXT:
                yield self._setting("https", name, title, hint, getattr(https, name))
        yield Checkbox("Active", e.active if e else True, id="active")

    @staticmethod
    def _setting(group: str, name: str, title: str, hint: str, value: object) -> FormField:
        field = f"{group}-{name}"
        control = Input(str(value), id=field,
                        type="integer" if name == "timeout_seconds" else "text")
        return FormField(title, control, field_name=field, hint=hint,
                         required=group == "sftp" and name in REQUIRED_SFTP)

    def on_mount(self) -> None:
        self._initial = self._snapshot()
        first = "#api_key" if self.key_only else "#payer"
        self.query_one(first).focus()
        if not self.key_only:
            self._show_settings_for(self.query_one("#gateway_type", Select).value)

    def _snapshot(self) -> tuple[object, ...]:
        return tuple(w.value for w in self.query("Input, Select, Checkbox")  # type: ignore[attr-defined]
                     if w.id)

    def _show_settings_for(self, gateway: object) -> None:
        kind = str(gateway) if isinstance(gateway, str) else ""
        group = settings_key(kind) if kind else ""
        self.query_one("#sftp-settings").display = group == "sftp"
        self.query_one("#https-settings").display = group == "https"
        self._relabel_secret()

    def _relabel_secret(self) -> None:
        if self.key_only:
            return
        gateway = self.query_one("#gateway_type", Select).value
        kind = gateway if isinstance(gateway, str) else GatewayType.HTTPS.value
        key_file = self.query_one("#sftp-private_key_file", Input).value.strip()
        settings = SftpSettings(private_key_file=key_file) if kind == "sftp" else None
        label = connections.secret_label(kind, settings)
        field = self.query_one("#field-api_key", FormField)
        field.label = _secret_title(label)
        field.set_required(False)

    @on(Select.Changed, "#gateway_type")
    def _gateway_changed(self, event: Select.Changed) -> None:
        self.query_one("#field-endpoint", FormField).set_hint(
            ENDPOINT_HINTS.get(str(event.value), "URL or host:port"))
        self._show_settings_for(event.value)

    @on(Input.Changed, "#sftp-private_key_file")
    def _key_file_changed(self) -> None:
        self._relabel_secret()

    # -- saving ---------------------------------------------------------------------------

    def _draft(self) -> ConnectionDraft:
        if self.key_only:
            assert self.existing is not None
            return self.existing.draft()
        payer = self.query_one("#payer", Select).value
        gateway = self.query_one("#gateway_type", Select).value
        kind = gateway if isinstance(gateway, str) else ""
        usage = self.query_one("#usage", Select).value
        return ConnectionDraft(
            payer_id=payer if isinstance(payer, int) else None,
            name=self.query_one("#name", Input).value,
            gateway_type=kind,
            endpoint=self.query_one("#endpoint", Input).value,
            submitter_id=self.query_one("#submitter_id", Input).value,
            receiver_id=self.query_one("#receiver_id", Input).value,
            compliance_rules=parse_compliance_rules(self.query_one("#compliance_rules",
                                                                   Input).value),
            active=self.query_one("#active", Checkbox).value,
            usage=usage if isinstance(usage, str) else "",
            poll_minutes=_whole(self.query_one("#poll_minutes", Input).value),
            settings=self._settings(kind) if kind else None,
        )

    def _settings(self, kind: str) -> dict[str, object]:
        """The visible settings group as the sftp/https object."""
        group = settings_key(kind)
        values: dict[str, object] = {}
        for widget in self.query(f"#{group}-settings Input, #{group}-settings Select, "
                                 f"#{group}-settings Checkbox"):
            name = (widget.id or "").removeprefix(f"{group}-")
            value = widget.value  # type: ignore[attr-defined]
            values[name] = _whole(value) if name == "timeout_seconds" else value
        return values

    def _rules_hint(self, existing: ConnectionView | None) -> str:
        hint = "ids from the compliance catalogue (pctui compliance), separated by commas"
        if existing is not None:
            unknown = compliance.unknown_rule_ids(self.app.store,  # type: ignore[attr-defined]
                                                  list(existing.compliance_rules))  # fmt: skip
            if unknown:
                hint += (f"; {'unknown rule' if len(unknown) == 1 else 'unknown rules'} kept "
                         f"from older data: {', '.join(unknown)} (never run)")
        return hint

    def _form_problems(self, draft: ConnectionDraft) -> dict[str, str]:
        """What the form asks beyond the service: an SFTP mailbox's user name and folders, and
        compliance rules from the catalogue (a connection's older labels are kept as they are)."""
        problems: dict[str, str] = {}
        kept = self.existing.compliance_rules if self.existing is not None else ()
        unknown = compliance.unknown_rule_ids(self.app.store,  # type: ignore[attr-defined]
                                              draft.compliance_rules, kept)
        if unknown:
            problems["compliance_rules"] = (f"not in the compliance catalogue: "
                                            f"{', '.join(unknown)} (pctui compliance lists the "
                                            "ids)")  # fmt: skip
        if draft.gateway_type == GatewayType.SFTP.value and draft.settings is not None:
            for name in REQUIRED_SFTP:
                if not str(draft.settings.get(name, "")).strip():
                    problems[f"sftp.{name}"] = "required"
        return problems

    @on(FormField.ErrorCleared)
    def _error_cleared(self, event: FormField.ErrorCleared) -> None:
        """A field changed after an error: the summary keeps only what is still wrong."""
        self._show_errors({k: m for k, m in self._errors.items()
                           if k != event.field.field_name}, focus=False)

    def _show_errors(self, errors: dict[str, str], focus: bool = True) -> None:
        errors = {key.replace(".", "-"): problem for key, problem in errors.items()}
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
        errors = {**self._form_problems(draft),
                  **connections.check_connection(store, draft, api_key, connection_id)}
        if self.key_only and api_key is None:
            errors["api_key"] = f"required: paste the new {self.existing.secret_label}"  # type: ignore[union-attr]
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
                      "receiver_id", "compliance_rules", "active", "usage", "poll_minutes"):
            old, new = getattr(before, field), getattr(draft, field)
            if old != new:
                if field == "payer_id":
                    field, old, new = "payer", self._payer_label(old), self._payer_label(new)
                lines.append(_describe({field: [old, new]}))
        if draft.settings is not None and draft.gateway_type == before.gateway_type:
            prefix = settings_key(draft.gateway_type)
            old_settings = before.settings or {}
            for key, new in draft.settings.items():
                old = old_settings.get(key)
                if str(old) != str(new):
                    lines.append(_describe({f"{prefix}.{key}": [old, new]}))
        if api_key is not None:
            label = self.existing.secret_label
            lines.append(f"{label[0].upper()}{label[1:]} replaced")
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


def _describe(change: dict[str, list[object]]) -> str:
    return audit.AuditLine(audit.now(), "", "", None, "", "", change).describe()


def _secret_title(label: str) -> str:
    return {"API key": "Payer API key", "password": "SFTP password",
            "key passphrase": "Key passphrase"}.get(label, label)


def _whole(text: object) -> int:
    """An integer field's value; text that is not a whole number becomes -1 (then refused)."""
    try:
        return int(str(text).strip())
    except ValueError:
        return -1
