"""Add / Edit payer, and Add Inbound ID to an existing payer (Payer Rules → Payers view)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Select, Static

from pctui.core.codes import InsuranceClass
from pctui.store import payers, rules
from pctui.store.payers import PayerDraft, PayerView
from pctui.ui.screens.record_form import RecordForm
from pctui.ui.widgets.form_field import FormField
from pctui.ui.widgets.text import plain


def split_ids(text: str) -> list[str]:
    """Inbound IDs typed as "01312, 1CMS01312" (commas or spaces)."""
    return [part for part in text.replace(",", " ").split() if part]


class PayerForm(RecordForm[PayerView]):
    """Add or edit a payer; ``prefill`` starts a new one from what is known (the rule drawer
    opened from a blocked 835 passes the 835's payer name and Inbound ID)."""

    def __init__(self, payer: PayerView | None, prefill: PayerDraft | None = None) -> None:
        super().__init__()
        self.payer = payer
        self.expected_version = payer.version if payer else None
        self.prefill = prefill

    def compose(self) -> ComposeResult:
        p = self.payer or self.prefill
        classes = [(c.label, c.value) for c in InsuranceClass]
        with Vertical(id="dialog", classes="record-form"):
            yield Static(plain(f"Edit payer {p.code}" if self.payer else "Add payer"),
                         id="dialog-title")
            with Vertical(id="record-body"):
                yield FormField("Payer Code", Input(p.code if p else "", id="code",
                                                    placeholder="e.g. BCBS"),
                                required=True, field_name="code",
                                hint="letters, digits, - or _; used in rules and exports")
                yield FormField("Name", Input(p.name if p else "", id="name"), required=True,
                                field_name="name")
                yield FormField("Insurance class", Select(
                    classes, id="insurance_class", allow_blank=False,
                    value=InsuranceClass(p.insurance_class).value if p
                    else InsuranceClass.COMMERCIAL.value),
                    required=True, field_name="insurance_class",
                    hint="sets the codes new rules start with")
                yield FormField("Inbound IDs", Input(", ".join(p.inbound_ids) if p else "",
                                                     id="inbound_ids",
                                                     placeholder="e.g. 01312, 1CMS01312"),
                                field_name="inbound_ids",
                                hint="payer IDs its 835s arrive under, separated by commas")
                yield FormField("Outbound ID", Input(p.outbound_id if p else "",
                                                     id="outbound_id"),
                                field_name="outbound_id", hint="payer ID on claims you send")
                yield Checkbox("Active", p.active if p else True, id="active")
            yield Static("", id="form-status", markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button("Save (^S)", id="save", variant="primary")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#code", Input).focus()

    def draft(self) -> PayerDraft:
        klass = self.query_one("#insurance_class", Select).value
        return PayerDraft(
            code=self.query_one("#code", Input).value.strip().upper(),
            name=self.query_one("#name", Input).value.strip(),
            insurance_class=klass if isinstance(klass, str) else "",
            outbound_id=self.query_one("#outbound_id", Input).value.strip(),
            inbound_ids=split_ids(self.query_one("#inbound_ids", Input).value),
            active=self.query_one("#active", Checkbox).value,
        )

    def action_save(self) -> None:
        app = self.pctui
        draft = self.draft()
        payer_id = self.payer.id if self.payer else None
        errors = payers.check_payer(app.store, draft, payer_id)
        self.show_errors(errors)
        if not errors:
            version = self.expected_version
            self.save_in_background(
                lambda: payers.store_payer(app.store, app.actor, draft, payer_id, version))


class InboundIdForm(RecordForm[PayerView]):
    """One more Inbound ID for an existing payer (a payer may pay under several)."""

    def __init__(self, payer: PayerView) -> None:
        super().__init__()
        self.payer = payer

    def compose(self) -> ComposeResult:
        p = self.payer
        waiting = [c for c in rules.inbound_id_choices(self.pctui.store)
                   if c.payer_code is None]
        hint = "Not attached yet: " + ", ".join(
            f"{c.value} ({c.waiting} waiting)" if c.waiting else c.value for c in waiting[:6]
        ) if waiting else "the payer ID from the 835's N1*PR segment"
        with Vertical(id="dialog", classes="record-form"):
            yield Static(plain(f"Add Inbound ID to {p.label}"), id="dialog-title")
            yield Static(plain(f"Current Inbound IDs: {', '.join(p.inbound_ids) or 'none'}"),
                         classes="card-intro")
            with Vertical(id="record-body"):
                yield FormField("Inbound ID", Input(id="inbound_id", placeholder="e.g. 1CMS01312"),
                                required=True, field_name="inbound_id", hint=hint)
            yield Static("", id="form-status", markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button("Add (^S)", id="save", variant="primary")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self.query_one("#inbound_id", Input).focus()

    def action_save(self) -> None:
        app = self.pctui
        value = self.query_one("#inbound_id", Input).value.strip()
        errors: dict[str, str] = {}
        owner = rules.inbound_id_owner(app.store, value) if value else None
        if not value:
            errors["inbound_id"] = "required"
        elif owner is not None:
            errors["inbound_id"] = (f"already attached to {self.payer.code}"
                                    if owner.id == self.payer.id else
                                    f"Inbound ID {value} already belongs to payer {owner.code}")
        self.show_errors(errors)
        if errors:
            return
        payer_id = self.payer.id

        def add() -> PayerView:
            with app.store.write() as session:
                payers.add_inbound_id(session, app.actor, payer_id, value)
            return payers.get_payer(app.store, payer_id)

        self.save_in_background(add)
