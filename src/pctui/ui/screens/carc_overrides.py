"""Add / Edit CARC override (company-payer override): a reason code, optionally with its group
code, that is never posted for a payer whatever its rule says."""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Button, Checkbox, Input, Select, Static

from pctui.core.carc import CARC, describe_carc, normalize_carc
from pctui.store import carc, payers
from pctui.store.carc import OverrideView, carc_sort_key
from pctui.ui.screens.record_form import RecordForm
from pctui.ui.widgets.form_field import FormField
from pctui.ui.widgets.text import plain

OTHER_CARC = "\x00other"  # the "type a code not in the catalogue" choice
GROUPS = ("CO", "PR", "OA", "PI")  # the CAS group codes an override may name (SPEC 1.2)
GROUP_NAMES = {"CO": "Contractual obligation", "PR": "Patient responsibility",
               "OA": "Other adjustment", "PI": "Payer initiated reduction"}


def shorten(text: str, width: int = 50) -> str:
    """One line in the picker; the hint under it gives the whole description."""
    return text if len(text) <= width else text[: width - 1].rstrip() + "…"


class OverrideForm(RecordForm[OverrideView]):
    def __init__(self, override: OverrideView | None, payer_id: int | None = None) -> None:
        super().__init__()
        self.override = override
        self.expected_version = override.version if override else None
        self.payer_id = override.payer_id if override else payer_id

    def compose(self) -> ComposeResult:
        o = self.override
        payer_options = [(plain(p.label), p.id) for p in payers.list_payers(self.pctui.store)
                         if p.active or p.id == self.payer_id]
        known = sorted(CARC, key=carc_sort_key)
        carc_options = [(Text(shorten(f"{code} — {CARC[code]}")), code) for code in known]
        carc_options.append((Text("+ Type a code not listed…"), OTHER_CARC))
        start_carc: object = Select.NULL
        if o is not None:
            start_carc = o.carc if o.carc in CARC else OTHER_CARC
        group_options = [("Any group", "")] + [(f"{g} — {GROUP_NAMES[g]}", g) for g in GROUPS]
        with Vertical(id="dialog", classes="record-form"):
            yield Static(plain(f"Edit CARC override {o.label}" if o else "Add CARC override"),
                         id="dialog-title")
            with Vertical(id="record-body"):
                yield FormField("Payer", Select(payer_options, id="payer", prompt="Pick the payer",
                                                value=self.payer_id if self.payer_id in
                                                {v for _, v in payer_options} else Select.NULL),
                                required=True, field_name="payer")
                yield FormField("Reason code", Select(carc_options, id="carc",
                                                      prompt="Pick a CARC or type to search",
                                                      value=start_carc),
                                required=True, field_name="carc",
                                hint="type digits to jump, e.g. 45")
                yield FormField("Other CARC", Input(o.carc if o and o.carc not in CARC else "",
                                                    id="other_carc", placeholder="e.g. 272"),
                                required=True, field_name="other_carc")
                yield FormField("Group code", Select(group_options, id="group_code",
                                                     allow_blank=False,
                                                     value=o.group_code if o else ""),
                                field_name="group_code", hint="the CAS group; any group if unsure")
                yield Checkbox("Excluded: never post this adjustment",
                               o.excluded if o else True, id="excluded")
                yield Checkbox("Active", o.active if o else True, id="active")
            yield Static("", id="form-status", markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button("Save (^S)", id="save", variant="primary")
                yield Button("Cancel (Esc)", id="cancel")

    def on_mount(self) -> None:
        self._sync_carc()
        first = "#carc" if self.payer_id is not None else "#payer"
        self.query_one(first).focus()

    @property
    def typing_other(self) -> bool:
        return self.query_one("#carc", Select).value == OTHER_CARC

    def carc_code(self) -> str:
        if self.typing_other:
            return normalize_carc(self.query_one("#other_carc", Input).value)
        value = self.query_one("#carc", Select).value
        return value if isinstance(value, str) else ""

    def _sync_carc(self) -> None:
        """Show the typed-code field only when asked for, and explain the code picked."""
        self.query_one("#field-other_carc", FormField).display = self.typing_other
        code = self.carc_code()
        self.query_one("#field-carc", FormField).set_hint(
            f"{code}: {describe_carc(code)}" if code else "type digits to jump, e.g. 45")

    @on(Select.Changed, "#carc")
    def _carc_changed(self, _event: Select.Changed) -> None:
        self._sync_carc()
        if self.typing_other and self.is_mounted:
            self.query_one("#other_carc", Input).focus()

    @on(Input.Changed, "#other_carc")
    def _other_typed(self, _event: Input.Changed) -> None:
        self._sync_carc()

    def show_errors(self, errors: dict[str, str], focus: bool = True) -> None:
        errors = dict(errors)
        if self.typing_other and "carc" in errors:
            errors["other_carc"] = errors.pop("carc")
        super().show_errors(errors, focus=focus)

    def action_save(self) -> None:
        app = self.pctui
        payer = self.query_one("#payer", Select).value
        payer_id = payer if isinstance(payer, int) else None
        code = self.carc_code()
        group = self.query_one("#group_code", Select).value
        group_code = group if isinstance(group, str) else ""
        excluded = self.query_one("#excluded", Checkbox).value
        active = self.query_one("#active", Checkbox).value
        override_id = self.override.id if self.override else None
        errors = carc.check_override(app.store, payer_id, code, group_code, override_id)
        self.show_errors(errors)
        if errors or payer_id is None:
            return
        version = self.expected_version
        self.save_in_background(lambda: carc.save_override(
            app.store, app.actor, payer_id, code, group_code, excluded=excluded, active=active,
            override_id=override_id, expected_version=version))
