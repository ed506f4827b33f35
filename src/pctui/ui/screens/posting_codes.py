"""Add / Edit a custom posting code (the standard PCON ... AWCA codes are fixed)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Select, Static

from pctui.core.codes import CodeKind
from pctui.store import codes
from pctui.store.codes import CodeView
from pctui.ui.screens.record_form import RecordForm
from pctui.ui.widgets.form_field import FormField
from pctui.ui.widgets.text import plain

KINDS = [("Payment code", CodeKind.PAYMENT.value), ("Adjustment code", CodeKind.ADJUSTMENT.value)]


class CodeForm(RecordForm[CodeView]):
    def __init__(self, code: CodeView | None) -> None:
        super().__init__()
        self.code = code
        self.expected_version = code.version if code else None

    def compose(self) -> ComposeResult:
        c = self.code
        with Vertical(id="dialog", classes="record-form"):
            yield Static(plain(f"Edit posting code {c.code}" if c else "Add posting code"),
                         id="dialog-title")
            with Vertical(id="record-body"):
                yield FormField("Code", Input(c.code if c else "", id="code",
                                              placeholder="e.g. PSELF", disabled=c is not None),
                                required=True, field_name="code",
                                hint="2 to 10 letters or digits" if c is None else
                                "a code cannot be renamed; add a new one instead")
                yield FormField("Kind", Select(KINDS, id="kind", prompt="Payment or adjustment",
                                               value=c.kind.value if c else Select.NULL),
                                required=True, field_name="kind")
                yield FormField("Description", Input(c.description if c else "",
                                                     id="description",
                                                     placeholder="e.g. Self-pay payment"),
                                field_name="description")
                yield Checkbox("Active: offered in payer rules", c.active if c else True,
                               id="active")
            yield Static("", id="form-status", markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button("Save (^S)", id="save", variant="primary")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#kind" if self.code else "#code").focus()

    def action_save(self) -> None:
        app = self.pctui
        code = self.query_one("#code", Input).value.strip().upper()
        kind = self.query_one("#kind", Select).value
        description = self.query_one("#description", Input).value.strip()
        active = self.query_one("#active", Checkbox).value
        errors: dict[str, str] = {}
        if not code:
            errors["code"] = "required"
        if not isinstance(kind, str):
            errors["kind"] = "required: payment or adjustment"
        self.show_errors(errors)
        if errors:
            return
        is_new = self.code is None
        version = self.expected_version
        self.save_in_background(lambda: codes.save_code(
            app.store, app.actor, code, str(kind), description, active=active,
            must_be_new=is_new, expected_version=version))
