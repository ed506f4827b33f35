"""PAYMENTS → Payer Rules: the rules that drive posting, with the payers, CARC overrides and
posting codes they use, as four views switched with 1-4."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Input, Static, TabbedContent, TabPane

from pctui.core.codes import ADJUSTMENT_GROUPS, PatientBalance, PayerLevel
from pctui.store import carc, codes, payers, rules
from pctui.store.carc import OverrideView
from pctui.store.codes import CodeView
from pctui.store.errors import NotFound, PermissionDenied, ValidationFailed
from pctui.store.payers import PayerView
from pctui.store.rules import RuleLevelDraft, RuleView
from pctui.store.users import admin_only_reason
from pctui.ui.widgets.section import Section, SectionAction

VIEWS = ("rules", "payers", "overrides", "codes")
VIEW_TITLES = {"rules": "1 Rules", "payers": "2 Payers", "overrides": "3 CARC overrides",
               "codes": "4 Posting codes"}
# The audit log's entity for each view.
AUDIT_ENTITIES = {"rules": "rule", "payers": "payer", "overrides": "carc_override",
                  "codes": "code"}

# Which view each key's action belongs to: the footer shows only the current view's keys.
VIEW_ACTIONS = {
    "add_rule": "rules", "edit_rule": "rules", "toggle_rule": "rules", "search": "rules",
    "toggle_inactive": "rules",
    "add_payer": "payers", "edit_payer": "payers", "add_inbound_id": "payers",
    "toggle_payer": "payers",
    "add_override": "overrides", "edit_override": "overrides", "toggle_override": "overrides",
    "add_code": "codes", "edit_code": "codes", "toggle_code": "codes",
}


def level_summary(level: RuleLevelDraft | None) -> str:
    """One rule level in a table cell: "PMCR/AMCR", plus what differs from the usual."""
    if level is None:
        return "—"
    text = f"{level.payment_code}/{level.adjustment_code}"
    if level.insurance_adjustments == "skip":
        text += " skip"
    if level.insurance_balance == "keep":
        text += " keep"
    if level.patient_balance == PatientBalance.ADJUST:
        text += f" pt:{level.patient_adjustment_code or '?'}"
    return text


LEVEL_TABLE_HEADING = f"{'Level':<11}{'Pay/Adj':<11}{'Ins.adj':<9}{'Ins.bal':<10}Patient"


def level_detail(label: str, level: RuleLevelDraft | None) -> str:
    """One rule level as a row under LEVEL_TABLE_HEADING (fits the 56 columns left at 80x24)."""
    if level is None:
        return f"{label:<11}not set"
    codes = f"{level.payment_code}/{level.adjustment_code}"
    balance = "Transfer" if level.insurance_balance == "transfer" else "Keep"
    patient = (f"Adjust {level.patient_adjustment_code or '?'}"
               if level.patient_balance == PatientBalance.ADJUST else "Keep")
    return (f"{label:<11}{codes:<11}{level.insurance_adjustments.capitalize():<9}"
            f"{balance:<10}{patient}")


def yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


class PayerRulesSection(Section):
    SECTION_ID = "payer-rules"
    TITLE = "Payer Rules"
    GROUP = "PAYMENTS"
    BINDINGS = [
        Binding("1", "show_view('rules')", "Rules view", show=False, id="rules.view.rules"),
        Binding("2", "show_view('payers')", "Payers view", show=False, id="rules.view.payers"),
        Binding("3", "show_view('overrides')", "CARC overrides view", show=False,
                id="rules.view.overrides"),
        Binding("4", "show_view('codes')", "Posting codes view", show=False, id="rules.view.codes"),
        Binding("a", "add_rule", "Add Payer Rule", id="rules.add"),
        Binding("e,enter", "edit_rule", "Edit", id="rules.edit"),
        Binding("d", "toggle_rule", "(De)activate", id="rules.deactivate"),
        Binding("slash", "search", "Search", id="rules.search"),
        Binding("i", "toggle_inactive", "Show/hide inactive rules", show=False,
                id="rules.inactive"),
        Binding("a", "add_payer", "Add payer", id="rules.payers.add"),
        Binding("e,enter", "edit_payer", "Edit", id="rules.payers.edit"),
        Binding("n", "add_inbound_id", "Add Inbound ID", id="rules.payers.inbound"),
        Binding("d", "toggle_payer", "(De)activate", id="rules.payers.deactivate"),
        Binding("a", "add_override", "Add override", id="rules.overrides.add"),
        Binding("e,enter", "edit_override", "Edit override", id="rules.overrides.edit"),
        Binding("d", "toggle_override", "On/off",
                id="rules.overrides.deactivate"),
        Binding("a", "add_code", "Add code", id="rules.codes.add"),
        Binding("e,enter", "edit_code", "Edit code", id="rules.codes.edit"),
        Binding("d", "toggle_code", "(De)activate", id="rules.codes.deactivate"),
        Binding("l", "audit_log", "Audit log", id="rules.audit"),
    ]
    ACTIONS: ClassVar[list[SectionAction]] = [
        SectionAction("Add Payer Rule", "Rule for an Inbound ID + Payer Code",
                      "palette('rules', 'add_rule')"),
        SectionAction("Edit rule", "Change the highlighted payer rule",
                      "palette('rules', 'edit_rule')"),
        SectionAction("Deactivate / reactivate rule", "Rules are never deleted",
                      "palette('rules', 'toggle_rule')"),
        SectionAction("Search rules", "By Inbound ID, payer code or description",
                      "palette('rules', 'search')"),
        SectionAction("Payers", "Payer codes, insurance classes and Inbound IDs",
                      "show_view('payers')"),
        SectionAction("Add payer", "A new payer with its Inbound IDs",
                      "palette('payers', 'add_payer')"),
        SectionAction("Add Inbound ID to payer", "Another payer ID its 835s arrive under",
                      "palette('payers', 'add_inbound_id')"),
        SectionAction("CARC overrides", "Adjustment reason codes never posted for a payer",
                      "show_view('overrides')"),
        SectionAction("Add CARC override", "Exclude a reason code from posting for a payer",
                      "palette('overrides', 'add_override')"),
        SectionAction("Posting codes", "Standard and custom payment / adjustment codes",
                      "show_view('codes')"),
        SectionAction("Add posting code", "A custom payment or adjustment code",
                      "palette('codes', 'add_code')"),
        SectionAction("Payer Rules audit log", "Who changed rules, payers, overrides, codes",
                      "audit_log"),
    ]

    def __init__(self, id: str | None = None) -> None:
        super().__init__(id=id)
        self.show_inactive = True
        self._rows: dict[str, list[Any]] = {view: [] for view in VIEWS}

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield self.read_only_banner()
        with TabbedContent(id="rules-views", initial="view-rules"):
            with TabPane(VIEW_TITLES["rules"], id="view-rules"):
                yield Input(id="rule-search", compact=True,
                            placeholder="/ Search Inbound ID, payer code or description")
                yield self._table("rules", "Inbound ID", "Payer", "Active", "Primary",
                                  "Secondary", "Tertiary", "Description", "Payer name")
                yield Static("", id="rules-empty", classes="view-empty", markup=False)
                yield Static("", id="rules-detail", classes="view-detail", markup=False)
            with TabPane(VIEW_TITLES["payers"], id="view-payers"):
                yield self._table("payers", "Code", "Inbound IDs", "Class", "Active", "Name",
                                  "Outbound")
                yield Static("", id="payers-empty", classes="view-empty", markup=False)
                yield Static("", id="payers-detail", classes="view-detail", markup=False)
            with TabPane(VIEW_TITLES["overrides"], id="view-overrides"):
                yield self._table("overrides", "Payer", "CARC", "Excluded", "Active",
                                  "Reason")
                yield Static("", id="overrides-empty", classes="view-empty", markup=False)
                yield Static("", id="overrides-detail", classes="view-detail", markup=False)
            with TabPane(VIEW_TITLES["codes"], id="view-codes"):
                yield self._table("codes", "Code", "Kind", "Active", "Standard", "Description")
                yield Static("", id="codes-empty", classes="view-empty", markup=False)
                yield Static("", id="codes-detail", classes="view-detail", markup=False)

    @staticmethod
    def _table(view: str, *columns: str) -> DataTable[str]:
        table: DataTable[str] = DataTable(id=view, cursor_type="row", zebra_stripes=True,
                                          classes="view-table")
        table.add_columns(*columns)
        return table

    def on_mount(self) -> None:
        self.refresh_data()

    def read_only_reason(self) -> str | None:
        actor = self.pctui.actor
        return None if actor.is_admin else admin_only_reason(actor, "Payer Rules")

    @property
    def view(self) -> str:
        return self.query_one("#rules-views", TabbedContent).active.removeprefix("view-")

    def focus_content(self) -> None:
        self.query_one(f"#{self.view}", DataTable).focus()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        owner = VIEW_ACTIONS.get(action)
        return owner is None or owner == self.view

    @on(TabbedContent.TabActivated, "#rules-views")
    def _view_switched(self, _event: TabbedContent.TabActivated) -> None:
        self.refresh_bindings()

    # -- data -----------------------------------------------------------------------------

    def refresh_data(self) -> None:
        store = self.pctui.store
        search = self.query_one("#rule-search", Input).value.strip() or None
        rule_rows = rules.list_rules(store, search=search, include_inactive=self.show_inactive)
        self._fill("rules", rule_rows, lambda r: (
            r.inbound_id, r.payer_code, yes_no(r.active),
            *(level_summary(r.levels.get(level)) for level in PayerLevel),
            r.description or "—", r.payer_name),
            "No rules match the search." if search else
            "No payer rules yet. Press a to add the first one.")
        self._fill("payers", payers.list_payers(store), lambda p: (
            p.code, ", ".join(p.inbound_ids) or "—", p.insurance_class.label,
            yes_no(p.active), p.name, p.outbound_id or "—"),
            "No payers yet. Press a to add the first one.")
        self._fill("overrides", carc.list_overrides(store), lambda o: (
            o.payer_code, o.label, yes_no(o.excluded), yes_no(o.active),
            o.description),
            "No CARC overrides. Press a to exclude a reason code for a payer.")
        self._fill("codes", codes.list_codes(store, include_inactive=True), lambda c: (
            c.code, c.kind.value, yes_no(c.active), yes_no(c.standard), c.description),
            "No posting codes.")
        for view in VIEWS:
            self._show_detail(view)

    def _fill(self, view: str, rows: Sequence[Any], cells: Callable[[Any], tuple[str, ...]],
              empty_text: str) -> None:
        table = self.query_one(f"#{view}", DataTable)
        keep = table.cursor_row
        self._rows[view] = list(rows)
        table.clear()
        for index, row in enumerate(rows):
            table.add_row(*cells(row), key=str(index))
        if rows:
            table.move_cursor(row=min(max(keep, 0), len(rows) - 1))
        empty = self.query_one(f"#{view}-empty", Static)
        empty.update("" if rows else empty_text)
        empty.display = not rows

    def highlighted(self, view: str) -> Any | None:
        table = self.query_one(f"#{view}", DataTable)
        rows = self._rows[view]
        if not rows or not 0 <= table.cursor_row < len(rows):
            return None
        return rows[table.cursor_row]

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id in VIEWS:
            self._show_detail(event.data_table.id)

    @on(DataTable.RowSelected)
    async def _row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row edits it (the table takes Enter before the section's binding)."""
        if event.data_table.id in VIEWS:
            await self.run_action(f"edit_{event.data_table.id.removesuffix('s')}")

    def _show_detail(self, view: str) -> None:
        detail = self.query_one(f"#{view}-detail", Static)
        row = self.highlighted(view)
        detail.update("" if row is None else DETAILS[view](self, row))
        detail.display = row is not None

    def _rule_detail(self, r: RuleView) -> str:
        attached = ("" if r.inbound_id_attached else
                    f"\n⚠ Inbound ID {r.inbound_id} belongs to no payer, so its 835s stay "
                    f"blocked: e, then save, offers to attach it to {r.payer_code}")
        lines = [f"{r.inbound_id} + {r.payer_code} — {r.payer_name} · "
                 f"{'active' if r.active else 'deactivated'}{attached}"]
        if r.description:
            lines.append(r.description)
        lines.append(LEVEL_TABLE_HEADING)
        lines += [level_detail(level.label, r.levels.get(level)) for level in PayerLevel]
        return "\n".join(lines)

    def _payer_detail(self, p: PayerView) -> str:
        return (f"{p.label} · {p.insurance_class.label} · "
                f"{'active' if p.active else 'deactivated'}\n"
                f"Inbound IDs: {', '.join(p.inbound_ids) or 'none (n adds one)'} · "
                f"Outbound ID: {p.outbound_id or '—'}")

    def _override_detail(self, o: OverrideView) -> str:
        group = (f"{o.group_code} ({ADJUSTMENT_GROUPS.get(o.group_code, '?')})"
                 if o.group_code else "any group")
        effect = ("never posted for this payer, whatever the rule says" if o.excluded
                  else "posted as the rule says")
        state = "" if o.active else " (override inactive)"
        return f"CARC {o.carc}: {o.description}\n{o.payer_code}, {group}: {effect}{state}"

    def _code_detail(self, c: CodeView) -> str:
        origin = "standard code" if c.standard else "custom code"
        return f"{c.code} — {c.description} · {c.kind.value} · {origin}"

    # -- view switching and search --------------------------------------------------------

    def action_show_view(self, view: str) -> None:
        self.query_one("#rules-views", TabbedContent).active = f"view-{view}"
        self.refresh_bindings()
        self.query_one(f"#{view}", DataTable).focus()

    def action_palette(self, view: str, action: str) -> None:
        """Run a view's action from the command palette, whatever view is showing."""
        self.action_show_view(view)
        self.call_later(self.run_action, action)

    def action_search(self) -> None:
        self.query_one("#rule-search", Input).focus()

    @on(Input.Changed, "#rule-search")
    def _search_changed(self, _event: Input.Changed) -> None:
        self.refresh_data()

    @on(Input.Submitted, "#rule-search")
    def _search_submitted(self, _event: Input.Submitted) -> None:
        self.query_one("#rules", DataTable).focus()

    def action_toggle_inactive(self) -> None:
        self.show_inactive = not self.show_inactive
        self.refresh_data()
        self.notify("Showing all rules." if self.show_inactive
                    else "Showing active rules only.")

    def action_audit_log(self) -> None:
        from pctui.ui.screens.audit_log import AuditLogScreen

        entity = AUDIT_ENTITIES[self.view]
        row = self.highlighted(self.view)
        entity_id = getattr(row, "id", None) if row is not None else None
        label = self._audit_label(row) if entity_id is not None else None
        self.app.push_screen(AuditLogScreen(entity, entity_id, label))

    def _audit_label(self, row: Any) -> str:
        if isinstance(row, RuleView):
            return f"rule {row.inbound_id} + {row.payer_code}"
        if isinstance(row, PayerView):
            return f"payer {row.code}"
        if isinstance(row, OverrideView):
            return f"override {row.payer_code} {row.label}"
        return str(row)

    # -- rules ----------------------------------------------------------------------------

    def _need(self, view: str, what: str) -> Any | None:
        row = self.highlighted(view)
        if row is None:
            self.notify(f"No {what} is highlighted.", severity="warning")
        return row

    def open_rule(self, rule: RuleView | None = None, inbound_id: str | None = None) -> None:
        from pctui.ui.screens.rule_drawer import RuleDrawer

        def saved(view: RuleView | None) -> None:
            if view is None:
                return
            self.refresh_data()
            self._move_to("rules", lambda r: r.id == view.id)
            self.notify(f"Saved the rule for {view.inbound_id} + {view.payer_code}.",
                        title="Payer rule")

        self.app.push_screen(RuleDrawer(rule, inbound_id=inbound_id), saved)

    def _move_to(self, view: str, match: Callable[[Any], bool]) -> None:
        for index, row in enumerate(self._rows[view]):
            if match(row):
                self.query_one(f"#{view}", DataTable).move_cursor(row=index)
                break

    def action_add_rule(self) -> None:
        if not self.deny_if_read_only():
            self.open_rule()

    def action_edit_rule(self) -> None:
        if not self.deny_if_read_only() and (row := self._need("rules", "rule")):
            self.open_rule(rules.get_rule(self.pctui.store, row.id))

    def action_toggle_rule(self) -> None:
        if self.deny_if_read_only() or (row := self._need("rules", "rule")) is None:
            return
        verb = "Deactivate" if row.active else "Reactivate"
        effect = ("835s from this Inbound ID and payer will wait for a rule again before they "
                  "can be released." if row.active else
                  "835s from this Inbound ID and payer will be posted with it again.")
        self._confirm(f"{verb} rule", f"{verb} the rule for {row.inbound_id} + "
                      f"{row.payer_code}?\n\n{effect}", verb,
                      lambda: rules.set_rule_active(self.pctui.store, self.pctui.actor, row.id,
                                                    not row.active),
                      lambda v: f"Rule {v.inbound_id} + {v.payer_code} is now "
                                f"{'active' if v.active else 'deactivated'}.")

    def _confirm(self, title: str, message: str, verb: str, change: Callable[[], Any],
                 done: Callable[[Any], str]) -> None:
        from pctui.ui.widgets.modals import ConfirmationModal

        def confirmed(ok: bool | None) -> None:
            if ok:
                self._apply(change, done)

        self.app.push_screen(ConfirmationModal(title, message, verb, "Keep as is",
                                               warning=True), confirmed)

    def _apply(self, change: Callable[[], Any], done: Callable[[Any], str]) -> None:
        try:
            result = change()
        except (PermissionDenied, ValidationFailed, NotFound) as exc:
            self.notify(str(exc), title="Not changed", severity="error")
            return
        self.refresh_data()
        self.notify(done(result))

    # -- payers ---------------------------------------------------------------------------

    def _open(self, form: Any, done: Callable[[Any], str]) -> None:
        def saved(result: Any) -> None:
            if result is not None:
                self.refresh_data()
                self.notify(done(result))

        self.app.push_screen(form, saved)

    def action_add_payer(self) -> None:
        from pctui.ui.screens.payer_form import PayerForm

        if not self.deny_if_read_only():
            self._open(PayerForm(None), lambda p: f"Added payer {p.label}.")

    def action_edit_payer(self) -> None:
        from pctui.ui.screens.payer_form import PayerForm

        if not self.deny_if_read_only() and (row := self._need("payers", "payer")):
            self._open(PayerForm(row), lambda p: f"Saved payer {p.label}.")

    def action_add_inbound_id(self) -> None:
        from pctui.ui.screens.payer_form import InboundIdForm

        if not self.deny_if_read_only() and (row := self._need("payers", "payer")):
            self._open(InboundIdForm(row), lambda p: (
                f"{p.code} now has Inbound IDs {', '.join(p.inbound_ids)}."))

    def action_toggle_payer(self) -> None:
        if self.deny_if_read_only() or (row := self._need("payers", "payer")) is None:
            return
        verb = "Deactivate" if row.active else "Reactivate"
        effect = ("It is no longer offered for new rules and connections; its rules, "
                  "Inbound IDs and history stay." if row.active else
                  "It is offered for new rules and connections again.")

        app = self.pctui
        self._confirm(f"{verb} payer", f"{verb} payer {row.label}?\n\n{effect}", verb,
                      lambda: payers.set_payer_active(app.store, app.actor, row.id,
                                                      not row.active),
                      lambda p: f"Payer {p.code} is now "
                                f"{'active' if p.active else 'deactivated'}.")

    # -- CARC overrides -------------------------------------------------------------------

    def action_add_override(self) -> None:
        from pctui.ui.screens.carc_overrides import OverrideForm

        if self.deny_if_read_only():
            return
        payer = self.highlighted("payers")
        self._open(OverrideForm(None, payer_id=payer.id if payer else None),
                   lambda o: f"Saved override {o.payer_code} {o.label}.")

    def action_edit_override(self) -> None:
        from pctui.ui.screens.carc_overrides import OverrideForm

        if not self.deny_if_read_only() and (row := self._need("overrides", "override")):
            self._open(OverrideForm(row),
                       lambda o: f"Saved override {o.payer_code} {o.label}.")

    def action_toggle_override(self) -> None:
        if self.deny_if_read_only() or (row := self._need("overrides", "override")) is None:
            return
        app = self.pctui
        self._apply(lambda: carc.set_override_active(app.store, app.actor, row.id,
                                                     not row.active),
                    lambda o: f"Override {o.payer_code} {o.label} is now "
                              f"{'active' if o.active else 'inactive'}.")

    # -- posting codes --------------------------------------------------------------------

    def action_add_code(self) -> None:
        from pctui.ui.screens.posting_codes import CodeForm

        if not self.deny_if_read_only():
            self._open(CodeForm(None), lambda c: f"Saved code {c.code}.")

    def action_edit_code(self) -> None:
        from pctui.ui.screens.posting_codes import CodeForm

        if not self.deny_if_read_only() and (row := self._need("codes", "code")):
            if not self._standard(row):
                self._open(CodeForm(row), lambda c: f"Saved code {c.code}.")

    def _standard(self, row: CodeView) -> bool:
        """Standard codes mean the same in every database: tell why they stay as they are."""
        if row.standard:
            self.notify(f"{row.code} is a standard code and cannot be changed; add a custom "
                        "code instead (a).", title="Posting codes", severity="warning")
        return row.standard

    def action_toggle_code(self) -> None:
        if self.deny_if_read_only() or (row := self._need("codes", "code")) is None:
            return
        if self._standard(row):
            return
        app = self.pctui
        self._apply(lambda: codes.save_code(app.store, app.actor, row.code, row.kind,
                                            row.description, active=not row.active),
                    lambda c: f"Code {c.code} is now {'active' if c.active else 'inactive'}.")


DETAILS: dict[str, Callable[[PayerRulesSection, Any], str]] = {
    "rules": PayerRulesSection._rule_detail,
    "payers": PayerRulesSection._payer_detail,
    "overrides": PayerRulesSection._override_detail,
    "codes": PayerRulesSection._code_detail,
}
