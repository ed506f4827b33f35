"""The Add / Edit Payer Rule drawer: Inbound ID, Payer Code, Description and the three Payer
Levels, docked to the right and worked entirely from the keyboard.

Defaults: picking a payer fills each level from its insurance class, but only levels the user
has not changed since they were last filled; edited levels are kept and the Payer Code hint says
so. Levels of a rule being edited count as edited (changing its payer never rewrites them).
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Button, Input, Select, Static, TabbedContent, TabPane

from pctui.core.codes import (
    CodeKind,
    InsuranceAdjustments,
    InsuranceBalance,
    PatientBalance,
    PayerLevel,
)
from pctui.store import codes, payers, rules
from pctui.store.payers import PayerDraft, PayerView
from pctui.store.rules import InboundIdChoice, RuleDraft, RuleLevelDraft, RuleView
from pctui.ui.screens.record_form import RecordForm
from pctui.ui.widgets.form_field import FormField
from pctui.ui.widgets.key_footer import KeyFooter
from pctui.ui.widgets.modals import ConfirmationModal
from pctui.ui.widgets.text import plain

NEW_INBOUND_ID = "\x00new"  # the "type a new Inbound ID" choice; never a real Inbound ID
NEW_PAYER = "\x00new-payer"  # the "add a payer now" choice of the Payer Code picker

LEVEL_FIELDS = ("payment_code", "adjustment_code", "insurance_adjustments", "insurance_balance",
                "patient_balance", "patient_adjustment_code")

INSURANCE_ADJUSTMENTS = [("Post", InsuranceAdjustments.POST.value),
                         ("Skip", InsuranceAdjustments.SKIP.value)]
INSURANCE_BALANCES = [("Transfer to next", InsuranceBalance.TRANSFER.value),
                      ("Keep with current payer", InsuranceBalance.KEEP.value)]
PATIENT_BALANCES = [("Keep", PatientBalance.KEEP.value), ("Adjust", PatientBalance.ADJUST.value)]

PATIENT_CODE_HINT = "needed only when Patient Balances is Adjust"


def inbound_label(choice: InboundIdChoice) -> Text:
    """e.g. "12345 · 3 waiting · BCBS" — the Release 835 backlog first catches the eye."""
    parts = [choice.value]
    if choice.waiting:
        parts.append(f"{choice.waiting} waiting")
    parts.append(choice.payer_code or "no payer yet")
    return plain(" · ".join(parts))


def _name_key(name: str) -> str:
    words = "".join(ch if ch.isalnum() else " " for ch in name.casefold()).split()
    return " ".join(w for w in words if w not in {"inc", "co", "corp", "company", "the", "of",
                                                  "llc", "plan", "ins", "insurance"})


def matching_payer(name: str, candidates: list[PayerView]) -> PayerView | None:
    """The payer whose name (or code) best matches an 835's payer name, if one is close:
    "BLUE CROSS BLUE SHIELD OF TEXAS" finds "Blue Cross Blue Shield of Texas"; "ACME" finds
    "Acme Health Plan"; nothing below a clear resemblance."""
    from difflib import SequenceMatcher

    wanted = _name_key(name)
    if not wanted:
        return None
    best, best_score = None, 0.0
    for payer in candidates:
        for candidate in (_name_key(payer.name), _name_key(payer.code)):
            if not candidate:
                continue
            if candidate == wanted:
                score = 1.0
            elif min(len(candidate), len(wanted)) >= 3 and (
                    candidate.startswith(wanted) or wanted.startswith(candidate)):
                score = 0.9
            else:
                score = SequenceMatcher(None, wanted, candidate).ratio()
            if score > best_score:
                best, best_score = payer, score
    return best if best_score >= 0.75 else None


def select_value(select: Select[object]) -> str:
    value = select.value
    return value if isinstance(value, str) else ""


def set_select(select: Select[object], value: object) -> None:
    """Pick ``value`` if the Select offers it, otherwise leave it blank."""
    offered = {v for _, v in select._options}
    if value in offered:
        select.value = value
    elif select._allow_blank:
        select.clear()


class RuleDrawer(RecordForm[RuleView]):
    """``RuleDrawer(rule)`` edits a rule; ``RuleDrawer(inbound_id=...)`` starts a new rule for an
    Inbound ID (the Release 835 screen opens it that way)."""

    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]
    BINDINGS = [
        Binding("ctrl+n", "next_level", "Next level", id="rule_drawer.next_level"),
        Binding("ctrl+r", "apply_secondary", "Apply to Secondary",
                id="rule_drawer.apply_secondary"),
        Binding("ctrl+t", "apply_tertiary", "Apply to Tertiary", id="rule_drawer.apply_tertiary"),
    ]

    def __init__(self, rule: RuleView | None = None, inbound_id: str | None = None,
                 payer_name: str = "") -> None:
        super().__init__(classes="drawer")
        self.rule = rule
        self.expected_version = rule.version if rule else None
        self.start_inbound_id = rule.inbound_id if rule else (inbound_id or "").strip()
        self.payer_name = payer_name.strip()  # the 835's own payer name (N1*PR), if known
        self._choices: dict[str, InboundIdChoice] = {}
        self._payers: dict[int, PayerView] = {}
        self._filled: dict[PayerLevel, tuple[object, ...] | None] = {}
        self._payer_seen: object = rule.payer_id if rule else Select.NULL

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        store = self.pctui.store
        rule = self.rule
        self._choices = {c.value: c for c in rules.inbound_id_choices(store)}
        self._payers = {p.id: p for p in payers.list_payers(store)
                        if p.active or (rule is not None and p.id == rule.payer_id)}
        used_codes = self._codes_in_use()
        payment = self._code_options(CodeKind.PAYMENT, used_codes)
        adjustment = self._code_options(CodeKind.ADJUSTMENT, used_codes)

        inbound_options: list[tuple[Text, str]] = [
            (inbound_label(c), c.value) for c in self._choices.values()]
        start = self.start_inbound_id
        if start and start not in self._choices:
            inbound_options.insert(0, (plain(f"{start} · not attached to a payer"), start))
        inbound_options.append((Text("+ Type a new Inbound ID…"), NEW_INBOUND_ID))
        inbound_value: object = start if start else (
            Select.NULL if self._choices else NEW_INBOUND_ID)

        with Vertical(id="drawer", classes="form"):
            yield Static(plain(self._title()), id="dialog-title")
            with VerticalScroll(id="form-body"):
                yield FormField("Inbound ID", Select(inbound_options, id="inbound_id",
                                                     prompt="Pick the 835's Inbound ID",
                                                     value=inbound_value),
                                required=True, field_name="inbound_id",
                                hint="835s waiting for release are listed first")
                yield FormField("New Inbound ID", Input("", id="new_inbound_id",
                                                        placeholder="payer ID from the 835 (N1*PR)"),
                                required=True, field_name="new_inbound_id")
                yield FormField("Payer Code", Select(
                    self._payer_options(), id="payer",
                    prompt="Pick the payer", value=rule.payer_id if rule else Select.NULL),
                    required=True, field_name="payer",
                    hint="" if self._payers else "No payers yet: pick + New payer… to add one.")
                yield FormField("Description", Input(rule.description if rule else "",
                                                     id="description",
                                                     placeholder="optional note"),
                                field_name="description")
                yield Static("Payer Levels [b red]*[/]  all three are required · "
                             "^N next level", id="levels-heading")
                with TabbedContent(id="levels"):
                    for level in PayerLevel:
                        with TabPane(level.label, id=f"level-{level.value}"):
                            yield from self._level_fields(level, payment, adjustment)
            yield Static("", id="form-status", markup=False)
            with Horizontal(id="dialog-buttons"):
                yield Button("Save (^S)", id="save", variant="primary")
                yield Button("Cancel (Esc)", id="cancel")
            yield KeyFooter()

    def _payer_options(self) -> list[tuple[object, object]]:
        options: list[tuple[object, object]] = [(plain(p.label), p.id)
                                                for p in self._payers.values()]
        options.append((plain("+ New payer…"), NEW_PAYER))
        return options

    def _title(self) -> str:
        if self.rule is None:
            return "Add Payer Rule"
        state = "" if self.rule.active else " (deactivated)"
        return f"Edit Payer Rule {self.rule.label}{state}"

    def _level_fields(self, level: PayerLevel, payment: list[tuple[Text, str]],
                      adjustment: list[tuple[Text, str]]) -> ComposeResult:
        current = self.rule.levels.get(level) if self.rule else None
        lv = level.value

        def field(label: str, name: str, options: list[tuple[object, str]], value: object,
                  *, required: bool = True, blank: bool = True, prompt: str = "Pick",
                  hint: str = "", disabled: bool = False) -> FormField:
            select: Select[object] = Select(options, id=f"{lv}-{name}", prompt=prompt,
                                            allow_blank=blank, value=value, disabled=disabled)
            return FormField(label, select, required=required, field_name=f"levels-{lv}-{name}",
                             hint=hint)

        adjusting = current is not None and current.patient_balance == PatientBalance.ADJUST
        yield field("Payment Code", "payment_code", payment,  # type: ignore[arg-type]
                    current.payment_code if current else Select.NULL,
                    prompt="Pick a payment code")
        yield field("Adjustment Code", "adjustment_code", adjustment,  # type: ignore[arg-type]
                    current.adjustment_code if current else Select.NULL,
                    prompt="Pick an adjustment code")
        yield field("Insurance Adjustments", "insurance_adjustments",
                    INSURANCE_ADJUSTMENTS,  # type: ignore[arg-type]
                    current.insurance_adjustments if current else InsuranceAdjustments.POST.value,
                    blank=False)
        yield field("Insurance Balances", "insurance_balance",
                    INSURANCE_BALANCES,  # type: ignore[arg-type]
                    current.insurance_balance if current else InsuranceBalance.TRANSFER.value,
                    blank=False)
        yield field("Patient Balances", "patient_balance",
                    PATIENT_BALANCES,  # type: ignore[arg-type]
                    current.patient_balance if current else PatientBalance.KEEP.value,
                    blank=False)
        yield field("Patient Adjustment Code", "patient_adjustment_code",
                    adjustment,  # type: ignore[arg-type]
                    (current.patient_adjustment_code or Select.NULL) if current else Select.NULL,
                    required=adjusting, prompt="Pick an adjustment code",
                    hint="" if adjusting else PATIENT_CODE_HINT, disabled=not adjusting)
        target = level.next
        if target is not None:
            key = "^R" if target == PayerLevel.SECONDARY else "^T"
            yield Button(f"Apply to {target.label} ({key})", id=f"apply-{target.value}",
                         classes="apply-level")

    def _codes_in_use(self) -> set[str]:
        if self.rule is None:
            return set()
        used: set[str] = set()
        for level in self.rule.levels.values():
            used |= {level.payment_code, level.adjustment_code,
                     level.patient_adjustment_code or ""}
        return used

    def _code_options(self, kind: CodeKind, used: set[str]) -> list[tuple[Text, str]]:
        """Active codes of this kind, plus inactive ones the rule still uses (marked)."""
        options = []
        for c in codes.list_codes(self.pctui.store, kind, include_inactive=True):
            if c.active or c.code in used:
                suffix = "" if c.active else " (inactive)"
                options.append((plain(f"{c.code} — {c.description}{suffix}"), c.code))
        return options

    def on_mount(self) -> None:
        # The breakpoint class arrives with the first resize; the first paint needs it already.
        self.set_class(self.app.size.width < 100, "-narrow")
        self._filled = {level: (None if self.rule else self._level_values(level))
                        for level in PayerLevel}
        if self.rule is None and self.start_inbound_id:
            self._pick_owner_payer(self.start_inbound_id)
            self._suggest_payer_by_name()
        self._sync_inbound_field()
        for level in PayerLevel:
            self._sync_patient_code(level)
        self.mark_clean()
        self.query_one("#inbound_id", Select).focus()

    # -- reading and writing the level widgets --------------------------------------------

    def _select(self, level: PayerLevel, name: str) -> Select[object]:
        return self.query_one(f"#{level.value}-{name}", Select)

    def _level_values(self, level: PayerLevel) -> tuple[object, ...]:
        return tuple(self._select(level, name).value for name in LEVEL_FIELDS)

    def _level_draft(self, level: PayerLevel, for_saving: bool = True) -> RuleLevelDraft:
        values = {name: select_value(self._select(level, name)) for name in LEVEL_FIELDS}
        patient_code = values["patient_adjustment_code"] or None
        if for_saving and values["patient_balance"] != PatientBalance.ADJUST:
            patient_code = None  # a hidden choice under Keep is not part of the rule
        return RuleLevelDraft(
            payment_code=values["payment_code"],
            adjustment_code=values["adjustment_code"],
            insurance_adjustments=values["insurance_adjustments"],
            insurance_balance=values["insurance_balance"],
            patient_balance=values["patient_balance"],
            patient_adjustment_code=patient_code,
        )

    def _set_level(self, level: PayerLevel, draft: RuleLevelDraft) -> None:
        for name in LEVEL_FIELDS:
            set_select(self._select(level, name), getattr(draft, name) or Select.NULL)
        self._sync_patient_code(level)

    def _sync_patient_code(self, level: PayerLevel) -> None:
        """Adjust makes the Patient Adjustment Code required (red *) and reachable."""
        adjusting = select_value(self._select(level, "patient_balance")) == PatientBalance.ADJUST
        code = self._select(level, "patient_adjustment_code")
        code.disabled = not adjusting
        field = self.query_one(f"#field-levels-{level.value}-patient_adjustment_code", FormField)
        field.set_required(adjusting)
        field.set_hint("" if adjusting else PATIENT_CODE_HINT)
        if not adjusting:
            field.set_error(None)

    @on(Select.Changed)
    def _level_changed(self, event: Select.Changed) -> None:
        select_id = event.select.id or ""
        if select_id.endswith("-patient_balance"):
            self._sync_patient_code(PayerLevel(select_id.split("-", 1)[0]))

    # -- Inbound ID and payer -------------------------------------------------------------

    @property
    def typing_new_inbound_id(self) -> bool:
        return self.query_one("#inbound_id", Select).value == NEW_INBOUND_ID

    def _inbound_id(self) -> str:
        if self.typing_new_inbound_id:
            return self.query_one("#new_inbound_id", Input).value.strip()
        return select_value(self.query_one("#inbound_id", Select))

    def _sync_inbound_field(self) -> None:
        new_field = self.query_one("#field-new_inbound_id", FormField)
        new_field.display = self.typing_new_inbound_id
        hint = "835s waiting for release are listed first"
        choice = self._choices.get(self._inbound_id())
        if choice is not None:
            waiting = (f"{choice.waiting} 835{'s' if choice.waiting != 1 else ''} waiting for "
                       "release · " if choice.waiting else "")
            hint = waiting + (f"belongs to {choice.payer_code}" if choice.payer_code else
                              "not attached to a payer: saving offers to attach it")
        elif self.typing_new_inbound_id:
            hint = "saving offers to attach it to the payer"
        self.query_one("#field-inbound_id", FormField).set_hint(hint)

    @on(Select.Changed, "#inbound_id")
    def _inbound_changed(self, _event: Select.Changed) -> None:
        self._sync_inbound_field()
        if self.typing_new_inbound_id and self.is_mounted:
            self.query_one("#new_inbound_id", Input).focus()
        elif self.rule is None:
            self._pick_owner_payer(self._inbound_id())

    def _pick_owner_payer(self, inbound_id: str) -> None:
        """An Inbound ID already attached to a payer brings that payer along (if none is picked)."""
        choice = self._choices.get(inbound_id)
        payer_select = self.query_one("#payer", Select)
        if choice is None or not choice.payer_code or not payer_select.is_blank():
            return
        owner = next((p for p in self._payers.values() if p.code == choice.payer_code), None)
        if owner is not None:
            payer_select.value = owner.id
            self._payer_picked(owner)

    def _suggest_payer_by_name(self) -> None:
        """No payer owns the 835's Inbound ID: pick the payer whose name matches the name the
        835 gives its payer (N1*PR), and say so."""
        payer_select = self.query_one("#payer", Select)
        if not payer_select.is_blank() or not self.payer_name:
            return
        best = matching_payer(self.payer_name, list(self._payers.values()))
        if best is None:
            self.query_one("#field-payer", FormField).set_hint(
                f"No payer's name matches the 835's \"{self.payer_name}\": pick one, or "
                "+ New payer…")
            return
        payer_select.value = best.id
        self._payer_picked(best)
        field = self.query_one("#field-payer", FormField)
        field.set_hint(f"Suggested: {best.name} matches the 835's \"{self.payer_name}\". "
                       + field.hint)

    @on(Select.Changed, "#payer")
    def _payer_changed(self, event: Select.Changed) -> None:
        if event.value == NEW_PAYER:
            self._add_payer()
            return
        payer = self._payers.get(event.value) if isinstance(event.value, int) else None
        if payer is not None:
            self._payer_picked(payer)

    def _add_payer(self) -> None:
        """A new payer without leaving the drawer, started from the 835's name and Inbound ID
        (so saving the rule needs no attach question)."""
        from pctui.ui.screens.payer_form import PayerForm

        inbound = self._inbound_id()
        owned = inbound in self._choices and self._choices[inbound].payer_code
        prefill = PayerDraft("", self.payer_name,
                             inbound_ids=[inbound] if inbound and not owned else [])

        def added(payer: PayerView | None) -> None:
            select = self.query_one("#payer", Select)
            if payer is None:
                select.clear()
                return
            self._payers[payer.id] = payer
            self._refresh_inbound_choices()
            select.set_options(self._payer_options())
            select.value = payer.id
            self.notify(f"Payer {payer.label} added.", title="Payer Rules")

        self.app.push_screen(PayerForm(None, prefill=prefill), added)

    def _refresh_inbound_choices(self) -> None:
        """An Inbound ID the new payer took now belongs to it (no attach question on save)."""
        self._choices = {c.value: c for c in rules.inbound_id_choices(self.pctui.store)}
        self._sync_inbound_field()

    def _payer_picked(self, payer: PayerView) -> None:
        if payer.id == self._payer_seen:
            return  # the same payer again (or the rule's own payer on opening): nothing to fill
        self._payer_seen = payer.id
        defaults = rules.default_levels(payer.insurance_class)
        applied, kept = [], []
        for level in PayerLevel:
            if self._filled.get(level) == self._level_values(level):
                self._set_level(level, defaults[level])
                self._filled[level] = self._level_values(level)
                applied.append(level.label)
            else:
                kept.append(level.label)
        first = defaults[PayerLevel.PRIMARY]
        hint = (f"{payer.insurance_class.label}: defaults {first.payment_code} / "
                f"{first.adjustment_code}")
        if kept:
            hint += (f" on {', '.join(applied)}" if applied else " not applied") + (
                f"; kept your {', '.join(kept)} settings")
        self.query_one("#field-payer", FormField).set_hint(hint)

    # -- level actions --------------------------------------------------------------------

    def action_next_level(self) -> None:
        levels = self.query_one("#levels", TabbedContent)
        order = [f"level-{level.value}" for level in PayerLevel]
        levels.active = order[(order.index(levels.active) + 1) % len(order)]
        self.query_one(f"#{levels.active} Select").focus()

    def action_apply_secondary(self) -> None:
        self._copy_level(PayerLevel.PRIMARY, PayerLevel.SECONDARY)

    def action_apply_tertiary(self) -> None:
        self._copy_level(PayerLevel.SECONDARY, PayerLevel.TERTIARY)

    @on(Button.Pressed, ".apply-level")
    def _apply_pressed(self, event: Button.Pressed) -> None:
        target = PayerLevel((event.button.id or "").removeprefix("apply-"))
        self.action_apply_secondary() if target == PayerLevel.SECONDARY else (
            self.action_apply_tertiary())

    def _copy_level(self, source: PayerLevel, target: PayerLevel) -> None:
        levels = {level: self._level_draft(level, for_saving=False) for level in PayerLevel}
        copied = rules.copy_level(levels, source, target)
        self._set_level(target, copied[target])
        self.query_one("#levels", TabbedContent).active = f"level-{target.value}"
        self.notify(f"{source.label} settings copied to {target.label}.", title="Payer Levels")

    # -- saving ---------------------------------------------------------------------------

    def draft(self) -> RuleDraft:
        payer = self.query_one("#payer", Select).value
        return RuleDraft(
            inbound_id=self._inbound_id(),
            payer_id=payer if isinstance(payer, int) else None,
            description=self.query_one("#description", Input).value.strip(),
            levels={level: self._level_draft(level) for level in PayerLevel},
            active=self.rule.active if self.rule else True,
        )

    def show_errors(self, errors: dict[str, str], focus: bool = True) -> None:
        errors = dict(errors)
        if "rule" in errors:  # the Inbound ID + Payer Code pair already has a rule
            errors.setdefault("inbound_id", errors.pop("rule"))
        if self.typing_new_inbound_id and "inbound_id" in errors:
            errors["new_inbound_id"] = errors.pop("inbound_id")
        tabs = self.query_one("#levels", TabbedContent)
        for level in PayerLevel:
            wrong = any(k.startswith(f"levels.{level.value}.") for k in errors)
            tabs.get_tab(f"level-{level.value}").label = (
                f"{level.label} ✗" if wrong else level.label)
        super().show_errors(errors, focus=focus)

    def error_summary(self, fields: list[FormField]) -> str:
        """"Inbound ID, Primary: Payment Code, Adjustment Code; Tertiary: ..." """
        top = [f.label for f in fields if not f.field_name.startswith("levels-")]
        parts = [", ".join(top)] if top else []
        for level in PayerLevel:
            names = [f.label for f in fields
                     if f.field_name.startswith(f"levels-{level.value}-")]
            if names:
                parts.append(f"{level.label}: {', '.join(names)}")
        return "; ".join(parts)

    def action_save(self) -> None:
        store = self.pctui.store
        draft = self.draft()
        rule_id = self.rule.id if self.rule else None
        errors = rules.check_rule(store, draft, rule_id)
        owner = rules.inbound_id_owner(store, draft.inbound_id) if draft.inbound_id else None
        if (owner is not None and draft.payer_id is not None and owner.id != draft.payer_id
                and "inbound_id" not in errors):
            errors["inbound_id"] = (f"Inbound ID {draft.inbound_id} belongs to payer "
                                    f"{owner.code}: pick {owner.code} or another Inbound ID")
        self.show_errors(errors)
        if errors:
            return
        if owner is not None:
            self._save(draft, rule_id, attach=False)
            return
        payer = self._payers[draft.payer_id]  # type: ignore[index]
        message = (f"Attach Inbound ID {draft.inbound_id} to payer {payer.code}?\n\n"
                   f"No payer has Inbound ID {draft.inbound_id} yet. 835s are matched to their "
                   f"payer by Inbound ID, so this rule applies once {payer.code} "
                   f"({payer.name}) owns it.")
        self.app.push_screen(
            ConfirmationModal("Attach Inbound ID", message, "Attach and save", "Go back"),
            lambda ok: self._save(draft, rule_id, attach=True) if ok else self.set_status(
                "Not saved: the Inbound ID must belong to the rule's payer."),
        )

    def _save(self, draft: RuleDraft, rule_id: int | None, attach: bool) -> None:
        app = self.pctui
        version = self.expected_version
        self.save_in_background(lambda: rules.save_rule(app.store, app.actor, draft, rule_id,
                                                        attach_inbound_id=attach,
                                                        expected_version=version))
