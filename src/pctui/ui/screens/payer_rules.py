"""PAYMENTS → Payer Rules: the rules that drive posting, with the payers, CARC overrides and
posting codes they use, as four views switched with 1-4."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, ClassVar

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import DataTable, Static, TabbedContent, TabPane

from pctui.core.codes import ADJUSTMENT_GROUPS, PatientBalance, PayerLevel
from pctui.core.wording import plural
from pctui.store import carc, codes, payers, rules
from pctui.store.carc import OverrideView
from pctui.store.codes import CodeView
from pctui.store.errors import NotFound, PermissionDenied, ValidationFailed
from pctui.store.payers import PayerView
from pctui.store.rules import RuleLevelDraft, RuleView
from pctui.store.users import admin_only_reason
from pctui.ui.widgets.list_table import Column, ListPanel, ListTable
from pctui.ui.widgets.section import Section, SectionAction
from pctui.ui.widgets.text import plain

VIEWS = ("rules", "payers", "overrides", "codes")
VIEW_TITLES = {"rules": "1 Rules", "payers": "2 Payers", "overrides": "3 CARC overrides",
               "codes": "4 Posting codes"}
# The audit log's entity for each view.
AUDIT_ENTITIES = {"rules": "rule", "payers": "payer", "overrides": "carc_override",
                  "codes": "code"}

# Which view each key's action belongs to: the footer shows only the current view's keys.
VIEW_ACTIONS = {
    "add_rule": "rules", "edit_rule": "rules", "toggle_rule": "rules",
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


def _level(level: PayerLevel) -> Column[RuleView]:
    return Column(level.value, level.label, lambda r: level_summary(r.levels.get(level)),
                  min_width=9, max_width=20)


# At 80 columns the rules table is about 54 cells wide: Inbound ID, payer and the three levels
# fit; the rest follows as the terminal widens (or → scrolls to it).
COLUMNS: dict[str, list[Column[Any]]] = {
    "rules": [
        Column("inbound", "Inbound ID", lambda r: r.inbound_id, max_width=15),
        Column("payer", "Payer", lambda r: r.payer_code, max_width=10),
        *(_level(level) for level in PayerLevel),
        Column("active", "Active", lambda r: r.active, priority=2),
        Column("description", "Description", lambda r: r.description or None, priority=2,
               min_width=12, max_width=40),
        Column("payer_name", "Payer name", lambda r: r.payer_name, priority=3, max_width=40),
    ],
    "payers": [
        Column("code", "Code", lambda p: p.code, max_width=10),
        Column("name", "Name", lambda p: p.name, min_width=12, max_width=40),
        Column("inbound", "Inbound IDs", lambda p: ", ".join(p.inbound_ids) or None,
               min_width=11, max_width=30),
        Column("class", "Class", lambda p: p.insurance_class.label, priority=2),
        Column("active", "Active", lambda p: p.active, priority=2),
        Column("outbound", "Outbound", lambda p: p.outbound_id or None, priority=3),
    ],
    "overrides": [
        Column("payer", "Payer", lambda o: o.payer_code, max_width=10),
        Column("carc", "CARC", lambda o: o.label, max_width=16),  # "253 (any group)" whole
        Column("excluded", "Excluded", lambda o: o.excluded),
        Column("active", "Active", lambda o: o.active),
        Column("reason", "Reason", lambda o: o.description, priority=2, min_width=12,
               max_width=60),
    ],
    "codes": [
        Column("code", "Code", lambda c: c.code, max_width=10),
        Column("kind", "Kind", lambda c: c.kind.value),
        Column("active", "Active", lambda c: c.active),
        Column("standard", "Standard", lambda c: c.standard),
        Column("description", "Description", lambda c: c.description, priority=2,
               min_width=12, max_width=60),
    ],
}
SEARCH_HINTS = {"rules": "Search Inbound ID, payer code or name, description",
                "payers": "Search code, name, Inbound ID, class",
                "overrides": "Search payer, CARC, reason",
                "codes": "Search code, kind, description"}
NOUNS = {"rules": "rule", "payers": "payer", "overrides": "override", "codes": "code"}
ROW_KEYS: dict[str, Callable[[Any], object]] = {
    "rules": lambda r: r.id, "payers": lambda p: p.id, "overrides": lambda o: o.id,
    "codes": lambda c: c.code}


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
        Binding("i", "toggle_inactive", "Inactive", id="rules.inactive"),
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
        self.show_inactive = False  # deactivated rules on request (i)

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield self.read_only_banner()
        with TabbedContent(id="rules-views", initial="view-rules"):
            for view in VIEWS:
                with TabPane(VIEW_TITLES[view], id=f"view-{view}"):
                    if view == "rules":
                        yield Static("", id="rules-hidden", classes="view-hidden",
                                     markup=False)
                    yield ListPanel(ListTable(
                        COLUMNS[view], key=ROW_KEYS[view], export_name=f"payer-{view}",
                        noun=NOUNS[view], row_style=lambda r: "" if r.active else "dim",
                        id=view, classes="view-table"), placeholder=SEARCH_HINTS[view])
                    yield Static("", id=f"{view}-empty", classes="view-empty", markup=False)
                    yield Static("", id=f"{view}-detail", classes="view-detail",
                                 markup=False)

    def table(self, view: str) -> ListTable[Any]:
        return self.query_one(f"#{view}", ListTable)

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
        all_rules = rules.list_rules(store, include_inactive=True)
        shown_rules = [r for r in all_rules if r.active or self.show_inactive]
        hidden = len(all_rules) - len(shown_rules)
        self._fill("rules", shown_rules,
                   f"No active rules: {hidden} deactivated hidden, press i to show them."
                   if hidden else "No payer rules yet. Press a to add the first one.")
        self._fill("payers", payers.list_payers(store),
                   "No payers yet. Press a to add the first one.")
        self._fill("overrides", carc.list_overrides(store),
                   "No CARC overrides. Press a to exclude a reason code for a payer.")
        self._fill("codes", codes.list_codes(store, include_inactive=True),
                   "No posting codes.")
        note = self.query_one("#rules-hidden", Static)
        note.update(f"{plural(hidden, 'deactivated rule')} hidden · i shows "
                    f"{'it' if hidden == 1 else 'them'}" if hidden else "")
        note.display = bool(hidden)
        for view in VIEWS:
            self._show_detail(view)

    def _fill(self, view: str, rows: Sequence[Any], empty_text: str) -> None:
        table = self.table(view)
        table.show(rows)
        self._show_empty(view, empty_text)

    def _show_empty(self, view: str, empty_text: str | None = None) -> None:
        table = self.table(view)
        empty = self.query_one(f"#{view}-empty", Static)
        if table.search and not table.shown:
            empty_text = (f"No {NOUNS[view]} matches \"{table.search}\" "
                          f"({plural(table.total, NOUNS[view])} in all). Escape clears the search.")
        if empty_text is not None or table.shown:
            empty.update(plain(empty_text or ""))
        empty.display = not table.shown

    def highlighted(self, view: str) -> Any | None:
        return self.table(view).highlighted

    @on(DataTable.RowHighlighted)
    def _row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        if event.data_table.id in VIEWS:
            self._show_detail(event.data_table.id)

    @on(ListPanel.SearchChanged)
    def _searched(self) -> None:
        for view in VIEWS:
            self._show_empty(view)
            self._show_detail(view)

    @on(DataTable.RowSelected)
    async def _row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter on a row edits it (the table takes Enter before the section's binding)."""
        if event.data_table.id in VIEWS:
            await self.run_action(f"edit_{event.data_table.id.removesuffix('s')}")

    def _show_detail(self, view: str) -> None:
        detail = self.query_one(f"#{view}-detail", Static)
        row = self.highlighted(view)
        detail.update(plain("" if row is None else DETAILS[view](self, row), keep_newlines=True))
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
        """Search the rules (the command palette's "Search rules"; / in any list)."""
        self.query_one("#view-rules ListPanel", ListPanel).action_search()

    def action_toggle_inactive(self) -> None:
        self.show_inactive = not self.show_inactive
        self.refresh_data()
        self.notify("Showing deactivated rules too." if self.show_inactive
                    else "Showing active rules only (i shows deactivated ones).")

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
        self.table(view).move_to(match)

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
