"""Correct a held or rejected claim: the fields its failed edits point at come first, each with
what failed; a rejected claim shows the payer's words (the 999/277CA/TA1 reason) above the
fields; Ctrl+S saves and checks the claim again at once (off the UI thread)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Vertical, VerticalScroll
from textual.widgets import Input, Static

from pctui.core.acknowledgment import rejection_places
from pctui.core.claim_fields import ClaimField, fields_for, fields_for_failures
from pctui.core.edits import EditFailure, Location
from pctui.store import corrections, scrub
from pctui.store.scrub import ClaimCheck
from pctui.ui.screens.record_form import RecordForm, field_key
from pctui.ui.widgets.form_field import FormField
from pctui.ui.widgets.text import plain


class CorrectionForm(RecordForm[ClaimCheck]):
    def __init__(self, claim_pk: int) -> None:
        super().__init__()
        self.claim_pk = claim_pk
        self.fields: list[ClaimField] = []
        self.failing: dict[str, str] = {}  # field id -> what failed there
        self.claim_id = ""
        self.rejection = ""  # the payer's words when the claim was rejected

    def _load(self) -> None:
        [check] = scrub.check_claims(self.pctui.store, self.pctui.actor,
                                     [self._claim_id()], record=False).checks  # fmt: skip
        claim = check.claim
        assert claim is not None
        self.claim_id = claim.claim_id
        # A rejected claim: the places the payer's words point at (999 IK3/IK4, the 277CA's
        # entity: the subscriber's fields for "entity: Insured or subscriber") come first too.
        rejected = [EditFailure("REJECTED", "named in the payer's rejection", Location(*place))
                    for place in rejection_places(self.rejection)]  # fmt: skip
        first = fields_for_failures(claim, [*check.holds, *rejected])
        for failure in [*check.holds, *rejected]:
            for field in fields_for_failures(claim, [failure]):
                self.failing.setdefault(field.id, failure.message)
        rest = [f for f in fields_for(claim) if f not in first]
        self.fields = first + rest
        self.values = {f.id: f.get(claim) for f in self.fields}
        self.unplaced = [f for f in check.holds if not fields_for_failures(claim, [f])]

    def _claim_id(self) -> str:
        from pctui.store.tables import Claim

        with self.pctui.store.read() as session:
            row = session.get(Claim, self.claim_pk)
            assert row is not None
            if row.status == "rejected":
                self.rejection = row.status_reason or "rejected (no reason was given)"
            return row.claim_id

    def compose(self) -> ComposeResult:
        self._load()
        with Vertical(id="dialog", classes="form"):
            yield Static(plain(f"Correct claim {self.claim_id}"), id="dialog-title")
            if self.rejection:
                yield Static(plain(f"Rejected by the payer — {self.rejection}"),
                             id="correction-rejection")  # fmt: skip
            if self.unplaced:
                yield Static(plain("Not correctable here (fix in the EHR and import the claim "
                                   "again): " + "; ".join(f"{f.message} — {f.where}"
                                                          for f in self.unplaced)),
                             classes="dialog-keys")  # fmt: skip
            with VerticalScroll(id="form-body"):
                for field in self.fields:
                    yield FormField(field.label, Input(self.values[field.id],
                                                       id=f"input-{field_key(field.id)}"),
                                    hint=", ".join(field.places),
                                    field_name=field_key(field.id))  # fmt: skip
            yield Static("", id="form-status")
            yield Static("Ctrl+S save and check again · Escape cancel", classes="dialog-keys")

    def on_mount(self) -> None:
        super().on_mount()
        # what failed, as the field's error: it goes as soon as the biller changes the field
        # (the X12 place shows again), and the check after Ctrl+S says whether it is fixed
        for field in self.fields:
            if field.id in self.failing:
                self.query_one(f"#field-{field_key(field.id)}", FormField).set_error(
                    self.failing[field.id])
        inputs = list(self.query(Input))
        if inputs:
            inputs[0].focus()

    def action_save(self) -> None:
        changes = {}
        for field in self.fields:
            value = self.query_one(f"#input-{field_key(field.id)}", Input).value
            if value.strip() != self.values[field.id]:
                changes[field.id] = value
        if not changes:
            self.set_status("Nothing was changed.")
            return
        self.set_status("Saving and checking the claim again…")
        store, actor, pk = self.pctui.store, self.pctui.actor, self.claim_pk
        self.save_in_background(lambda: corrections.correct_claim(store, actor, pk, changes))
