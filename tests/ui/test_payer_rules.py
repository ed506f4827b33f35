"""The administrator's story in PAYMENTS → Payer Rules, driven from the keyboard at 80x24."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from textual.widgets import DataTable, Input, Select, TabbedContent

from pctui.core.codes import CodeKind, PayerLevel
from pctui.store import audit, carc, codes, payers, rules
from pctui.store.payers import PayerDraft, PayerView
from pctui.store.rules import RuleDraft, RuleView
from pctui.store.tables import Era, ImportedFile
from pctui.ui.screens.carc_overrides import OverrideForm
from pctui.ui.screens.payer_form import InboundIdForm, PayerForm
from pctui.ui.screens.posting_codes import CodeForm
from pctui.ui.screens.rule_drawer import RuleDrawer
from pctui.ui.widgets.form_field import FormField
from pctui.ui.widgets.modals import ConfirmationModal
from tests.ui.helpers import listed, rendered, screen_text, type_text

RULE_KEYS = ["inbound", "payer", "active", "primary", "secondary", "tertiary"]

LEVEL_FIELDS = ("payment_code", "adjustment_code", "insurance_adjustments", "insurance_balance",
                "patient_balance", "patient_adjustment_code")


@pytest.fixture
def bcbs(store, admin) -> PayerView:
    return payers.store_payer(store, admin, PayerDraft(
        "BCBS", "Blue Cross Blue Shield", "commercial", "84980", ["12345"]))


@pytest.fixture
def mcr(store, admin) -> PayerView:
    return payers.store_payer(store, admin, PayerDraft(
        "MCR", "Medicare Part B", "medicare", "01312", ["01312"]))


@pytest.fixture
def mcd(store, admin) -> PayerView:
    return payers.store_payer(store, admin, PayerDraft(
        "MCD", "Medi-Cal", "medicaid", "610442", ["610442"]))


def add_rule(store, admin, inbound_id: str, payer: PayerView, description: str = "") -> RuleView:
    return rules.save_rule(store, admin, RuleDraft(
        inbound_id, payer.id, description, rules.default_levels(payer.insurance_class)))


def waiting_835s(store, inbound_id: str, count: int) -> None:
    """835s on the Release 835 page (pending), as intake would leave them."""
    now = datetime.now(UTC)
    with store.write() as session:
        file_row = ImportedFile(filename=f"{inbound_id}.835", sha256=inbound_id, kind="835",
                                status="imported", loaded_at=now)
        session.add(file_row)
        session.flush()
        for i in range(count):
            session.add(Era(file_id=file_row.id, check_number=f"CHK{inbound_id}{i}",
                            payer_key=f"{inbound_id}-{i}", inbound_id=inbound_id,
                            inbound_id_source="N1*PR N104", amount_cents=1000 * (i + 1),
                            loaded_at=now))


async def choose(pilot, select_id: str, label_startswith: str) -> None:
    """Pick from a Select like a user: Enter opens it, Home goes to the top (the list wraps
    and starts at the current value), Down to the option, Enter picks it."""
    select = pilot.app.screen.query_one(f"#{select_id}", Select)
    select.focus()
    await pilot.pause()
    values = [(str(label), value) for label, value in select._options]
    index = next(i for i, (label, value) in enumerate(values)
                 if value is not Select.NULL and label.startswith(label_startswith))
    await pilot.press("enter", "home", *(["down"] * index), "enter")
    await pilot.pause()
    assert select.value == values[index][1], f"{select_id}: {label_startswith} not picked"


def level_values(screen, level: PayerLevel) -> dict[str, object]:
    """What the drawer shows for one Payer Level."""
    values = {name: screen.query_one(f"#{level.value}-{name}", Select).value
              for name in LEVEL_FIELDS}
    return {k: (None if v is Select.NULL else v) for k, v in values.items()}


def invalid_fields(screen) -> dict[str, str]:
    return {f.field_name: str(f.query_one(".field-error").render())
            for f in screen.query(FormField) if f.has_class("-invalid")}


async def open_section(pilot) -> None:
    await pilot.press("f3")
    await pilot.pause()


async def open_drawer(pilot) -> RuleDrawer:
    await open_section(pilot)
    await pilot.press("a")
    await pilot.pause()
    assert isinstance(pilot.app.screen, RuleDrawer)
    return pilot.app.screen


async def saved(pilot) -> None:
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


# -- adding a rule ---------------------------------------------------------------------------


async def test_an_admin_adds_a_rule_from_the_keyboard_only(make_app, store, bcbs) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        drawer = await open_drawer(pilot)
        assert drawer.query_one("#inbound_id", Select).has_focus
        await pilot.press("enter", "1", "2", "3", "enter")  # type-to-search in the picker
        await pilot.pause()
        # 12345 belongs to BCBS: the payer comes along with its commercial defaults
        assert drawer.query_one("#payer", Select).value == bcbs.id
        await pilot.press("tab", "tab")
        await type_text(pilot, "BCBS")
        await pilot.press("ctrl+n")  # to Secondary
        await pilot.pause()
        await pilot.press("tab", "tab", "tab", "tab", "enter", "down", "enter")  # Adjust
        await pilot.pause()
        await pilot.press("tab", "enter", "a", "i", "w", "enter")  # its Adjustment Code
        await pilot.pause()
        await pilot.press("ctrl+s")
        await saved(pilot)
        assert not isinstance(app.screen, (RuleDrawer, ConfirmationModal))
        row = listed(app.query_one("#rules", DataTable), RULE_KEYS)[0]
        assert row == ["12345", "BCBS", "yes", "PCON/AIWO", "PCON/AIWO pt:AIWO", "PCON/AIWO"]
        assert "Saved the rule for 12345 + BCBS." in [n.message for n in app._notifications]

    (rule,) = rules.list_rules(store)
    assert (rule.inbound_id, rule.payer_code, rule.description) == ("12345", "BCBS", "BCBS")
    assert rule.levels[PayerLevel.PRIMARY] == rules.RuleLevelDraft("PCON", "AIWO")
    assert rule.levels[PayerLevel.SECONDARY] == rules.RuleLevelDraft(
        "PCON", "AIWO", "post", "transfer", "adjust", "AIWO")
    assert rule.levels[PayerLevel.TERTIARY] == rules.RuleLevelDraft("PCON", "AIWO")
    entry = audit.entries(store, "rule", rule.id)[0]
    assert (entry.user, entry.action) == ("alice", "created")


async def test_missing_required_fields_block_saving_and_are_named(make_app, store,
                                                                  bcbs) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        drawer = await open_drawer(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, RuleDrawer)
        errors = invalid_fields(drawer)
        assert set(errors) == {"inbound_id", "payer"} | {
            f"levels-{level.value}-{name}" for level in PayerLevel
            for name in ("payment_code", "adjustment_code")}
        assert "required" in errors["inbound_id"] and "required" in errors["payer"]
        status = str(drawer.query_one("#form-status").render())
        assert status == ("Not saved: fix Inbound ID, Payer Code; "
                          "Primary: Payment Code, Adjustment Code; "
                          "Secondary: Payment Code, Adjustment Code; "
                          "Tertiary: Payment Code, Adjustment Code.")
        tabs = drawer.query_one("#levels", TabbedContent)
        assert [str(tabs.get_tab(f"level-{lv.value}").label) for lv in PayerLevel] == [
            "Primary ✗", "Secondary ✗", "Tertiary ✗"]
        assert drawer.query_one("#inbound_id", Select).has_focus  # the first field to fix
    assert rules.list_rules(store) == []
    assert audit.entries(store, "rule") == []


async def test_adjust_without_an_adjustment_code_is_refused(make_app, store, bcbs) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        drawer = await open_drawer(pilot)
        await choose(pilot, "inbound_id", "12345")
        field = drawer.query_one("#field-levels-tertiary-patient_adjustment_code", FormField)
        assert not field.required and field.control.disabled  # Keep: not needed, skipped
        drawer.query_one("#tertiary-patient_balance", Select).value = "adjust"
        await pilot.pause()
        assert field.required and not field.control.disabled
        label = field.query_one(".field-label").content
        assert str(label).endswith(" *") and "red" in str(label.spans[-1].style)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert invalid_fields(drawer) == {
            "levels-tertiary-patient_adjustment_code": "✗ required when Patient Balances is Adjust"}
        assert drawer.query_one("#levels", TabbedContent).active == "level-tertiary"
        assert field.control.has_focus
        assert "Tertiary: Patient Adjustment Code" in str(drawer.query_one("#form-status").render())
    assert rules.list_rules(store) == []


async def test_apply_to_secondary_and_tertiary_copy_exactly(make_app, store, mcr) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        drawer = await open_drawer(pilot)
        await choose(pilot, "inbound_id", "01312")
        primary = {"payment_code": "PMCD", "adjustment_code": "AWCA",
                   "insurance_adjustments": "skip", "insurance_balance": "keep",
                   "patient_balance": "adjust", "patient_adjustment_code": "AMCD"}
        for name, value in primary.items():
            drawer.query_one(f"#primary-{name}", Select).value = value
        await pilot.pause()
        await pilot.press("ctrl+r")
        await pilot.pause()
        assert level_values(drawer, PayerLevel.SECONDARY) == primary
        assert drawer.query_one("#levels", TabbedContent).active == "level-secondary"
        assert level_values(drawer, PayerLevel.TERTIARY)["payment_code"] == "PMCR"  # untouched
        drawer.query_one("#secondary-patient_balance", Select).value = "keep"
        await pilot.pause()
        drawer.query_one("#apply-tertiary").focus()  # the button does the same as Ctrl+T
        await pilot.press("enter")
        await pilot.pause()
        secondary = level_values(drawer, PayerLevel.SECONDARY)
        assert level_values(drawer, PayerLevel.TERTIARY) == secondary
        assert secondary["patient_balance"] == "keep"
        await pilot.press("ctrl+s")
        await saved(pilot)
    (rule,) = rules.list_rules(store)
    assert rule.levels[PayerLevel.PRIMARY] == rules.RuleLevelDraft(
        "PMCD", "AWCA", "skip", "keep", "adjust", "AMCD")
    # Keep on Secondary and Tertiary: the code still picked under it is not part of the rule
    assert rule.levels[PayerLevel.SECONDARY] == rules.RuleLevelDraft(
        "PMCD", "AWCA", "skip", "keep", "keep", None)
    assert rule.levels[PayerLevel.TERTIARY] == rule.levels[PayerLevel.SECONDARY]


async def test_defaults_follow_the_payers_insurance_class(make_app, store, bcbs, mcr,
                                                          mcd) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        drawer = await open_drawer(pilot)
        await choose(pilot, "payer", "MCR")
        for level in PayerLevel:
            values = level_values(drawer, level)
            assert (values["payment_code"], values["adjustment_code"]) == ("PMCR", "AMCR")
            assert values["insurance_adjustments"] == "post"
            assert values["insurance_balance"] == "transfer"
            assert values["patient_balance"] == "keep"
        assert "Medicare: defaults PMCR / AMCR" in screen_text(pilot)
        # an edited level keeps the user's choice when the payer changes
        drawer.query_one("#secondary-payment_code", Select).value = "PCON"
        await choose(pilot, "payer", "MCD")
        assert level_values(drawer, PayerLevel.PRIMARY)["payment_code"] == "PMCD"
        assert level_values(drawer, PayerLevel.TERTIARY)["adjustment_code"] == "AMCD"
        assert level_values(drawer, PayerLevel.SECONDARY)["payment_code"] == "PCON"
        assert level_values(drawer, PayerLevel.SECONDARY)["adjustment_code"] == "AMCR"
        hint = str(drawer.query_one("#field-payer .field-hint").render())
        assert hint == ("Medicaid: defaults PMCD / AMCD on Primary, Tertiary; "
                        "kept your Secondary settings")
        await choose(pilot, "payer", "BCBS")
        assert level_values(drawer, PayerLevel.PRIMARY)["payment_code"] == "PCON"


async def test_saving_offers_to_attach_a_new_inbound_id_to_the_payer(make_app, store,
                                                                     bcbs) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        drawer = await open_drawer(pilot)
        await choose(pilot, "inbound_id", "+ Type a new")
        assert drawer.query_one("#new_inbound_id", Input).has_focus
        await type_text(pilot, "777")
        await choose(pilot, "payer", "BCBS")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmationModal)
        assert "Attach Inbound ID 777 to payer BCBS?" in screen_text(pilot)
        await pilot.press("n")  # go back: nothing saved
        await pilot.pause()
        assert app.screen is drawer
        assert "must belong to the rule's payer" in str(drawer.query_one("#form-status").render())
        assert rules.list_rules(store) == []
        await pilot.press("ctrl+s")
        await pilot.pause()
        await pilot.press("y")
        await saved(pilot)
        assert not isinstance(app.screen, (RuleDrawer, ConfirmationModal))
    (rule,) = rules.list_rules(store)
    assert rule.inbound_id == "777" and rule.inbound_id_attached
    assert payers.get_payer(store, bcbs.id).inbound_ids == ("12345", "777")


async def test_an_inbound_id_of_another_payer_is_named_beside_the_field(make_app, store, bcbs,
                                                                         mcr) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        drawer = await open_drawer(pilot)
        await choose(pilot, "inbound_id", "01312")  # brings MCR along
        await choose(pilot, "payer", "BCBS")
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "belongs to payer MCR" in invalid_fields(drawer)["inbound_id"]
    assert rules.list_rules(store) == []


async def test_the_inbound_id_picker_lists_835s_waiting_for_release_first(make_app, store,
                                                                          bcbs) -> None:
    waiting_835s(store, "55555", 3)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        drawer = await open_drawer(pilot)
        labels = [str(label) for label, value in drawer.query_one("#inbound_id", Select)._options
                  if value is not Select.NULL]
        assert labels == ["55555 · 3 waiting · no payer yet", "12345 · BCBS",
                          "+ Type a new Inbound ID…"]


async def test_release_835_opens_the_drawer_for_an_inbound_id(make_app, store, bcbs) -> None:
    waiting_835s(store, "12345", 2)
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(pilot)
        app.push_screen(RuleDrawer(inbound_id="12345"))
        await pilot.pause()
        drawer = app.screen
        assert drawer.query_one("#inbound_id", Select).value == "12345"
        assert drawer.query_one("#payer", Select).value == bcbs.id
        assert level_values(drawer, PayerLevel.PRIMARY)["payment_code"] == "PCON"
        assert "2 835s waiting for release · belongs to BCBS" in screen_text(pilot)
        await pilot.press("escape")  # nothing typed yet: closes without asking
        await pilot.pause()
        assert not isinstance(app.screen, (RuleDrawer, ConfirmationModal))


async def test_escape_with_changes_asks_before_discarding(make_app, store, bcbs) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_drawer(pilot)
        await choose(pilot, "payer", "BCBS")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmationModal)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, RuleDrawer)
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")
        await pilot.pause()
        assert not isinstance(app.screen, (RuleDrawer, ConfirmationModal))
    assert rules.list_rules(store) == []


# -- the rule list ---------------------------------------------------------------------------


async def test_editing_and_deactivating_a_rule(make_app, store, admin, bcbs) -> None:
    rule = add_rule(store, admin, "12345", bcbs, "Commercial")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(pilot)
        await pilot.press("enter")
        await pilot.pause()
        drawer = app.screen
        assert isinstance(drawer, RuleDrawer)
        assert drawer.query_one("#description", Input).value == "Commercial"
        assert level_values(drawer, PayerLevel.TERTIARY)["payment_code"] == "PCON"
        drawer.query_one("#description", Input).value = "Commercial, out of network"
        drawer.query_one("#primary-insurance_adjustments", Select).value = "skip"
        await pilot.press("ctrl+s")
        await saved(pilot)
        assert "Commercial, out of network" in screen_text(pilot)
        await pilot.press("d")
        await pilot.pause()
        assert "Deactivate the rule for 12345 + BCBS?" in screen_text(pilot)
        await pilot.press("y")
        await pilot.pause()
        # a deactivated rule leaves the list (i shows it), and says so on its tab
        assert app.query_one("#rules", DataTable).row_count == 0
        assert "1 deactivated rule hidden · i shows it" in screen_text(pilot)
        await pilot.press("i")
        await pilot.pause()
        assert listed(app.query_one("#rules", DataTable), ["active", "primary"]) == [
            ["no", "PCON/AIWO skip"]]
    after = rules.get_rule(store, rule.id)
    assert not after.active and after.description == "Commercial, out of network"
    assert [e.action for e in audit.entries(store, "rule", rule.id)] == [
        "deactivated", "changed", "created"]


async def test_search_filters_the_rules(make_app, store, admin, bcbs, mcr) -> None:
    add_rule(store, admin, "12345", bcbs, "Commercial")
    add_rule(store, admin, "01312", mcr, "Crossover claims")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(pilot)
        table = app.query_one("#rules", DataTable)
        assert table.row_count == 2
        await pilot.press("slash")
        search = app.query_one("#view-rules ListPanel").search_input
        assert search.has_focus
        await type_text(pilot, "crossov")
        await pilot.pause()
        assert listed(table, ["inbound"]) == [["01312"]]
        search.value = "bcbs"
        await pilot.pause()
        assert listed(table, ["payer"]) == [["BCBS"]]
        search.value = "nothing like it"
        await pilot.pause()
        assert table.row_count == 0
        assert 'No rule matches "nothing like it" (2 rules in all)' in screen_text(pilot)
        await pilot.press("enter")  # back to the list
        assert table.has_focus


async def test_a_biller_sees_rules_read_only_and_is_told_why(make_app, store, admin,
                                                             bcbs) -> None:
    rule = add_rule(store, admin, "12345", bcbs, "Commercial")
    app = make_app("bob")
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(pilot)
        assert "only an admin may change it (you are a biller)" in screen_text(pilot)
        assert "12345 + BCBS — Blue Cross Blue Shield · active" in screen_text(pilot)
        for view, keys in (("1", ("a", "e", "enter", "d")), ("2", ("a", "e", "n", "d")),
                           ("3", ("a",)), ("4", ("a",))):
            await pilot.press(view)
            for key in keys:
                await pilot.press(key)
                await pilot.pause()
                assert not isinstance(app.screen, (RuleDrawer, PayerForm, InboundIdForm,
                                                   OverrideForm, CodeForm, ConfirmationModal)), key
        warnings = [n.message for n in app._notifications if n.title == "Read-only"]
        assert warnings and all("only an admin may change it" in w for w in warnings)
    assert rules.get_rule(store, rule.id) == rule


# -- payers, CARC overrides, posting codes ---------------------------------------------------


async def test_an_admin_adds_a_payer_and_an_inbound_id_to_it(make_app, store, bcbs) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(pilot)
        await pilot.press("2", "a")
        await pilot.pause()
        assert isinstance(app.screen, PayerForm)
        await type_text(pilot, "wcf")
        await pilot.press("tab")
        app.screen.query_one("#name", Input).value = "State Compensation Insurance Fund"
        await choose(pilot, "insurance_class", "Workers")
        app.screen.query_one("#inbound_ids", Input).value = "35076"
        await pilot.press("ctrl+s")
        await saved(pilot)
        assert not isinstance(app.screen, PayerForm)
        table = app.query_one("#payers", DataTable)
        assert listed(table, ["code", "inbound", "class", "active"])[1] == [
            "WCF", "35076", "Workers' comp", "yes"]
        table.move_cursor(row=0)  # BCBS
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(app.screen, InboundIdForm)
        await type_text(pilot, "35076")  # WCF's: refused, named
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "already belongs to payer WCF" in invalid_fields(app.screen)["inbound_id"]
        app.screen.query_one("#inbound_id", Input).value = "1840980"
        await pilot.press("ctrl+s")
        await saved(pilot)
        assert "BCBS now has Inbound IDs 12345, 1840980." in [
            n.message for n in app._notifications]
    wcf = next(p for p in payers.list_payers(store) if p.code == "WCF")
    assert wcf.insurance_class == "workers_comp" and wcf.inbound_ids == ("35076",)
    assert payers.get_payer(store, bcbs.id).inbound_ids == ("12345", "1840980")


async def test_an_admin_excludes_a_reason_code_for_a_payer(make_app, store, bcbs) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(pilot)
        await pilot.press("3", "a")
        await pilot.pause()
        form = app.screen
        assert isinstance(form, OverrideForm)
        await choose(pilot, "payer", "BCBS")
        await pilot.press("tab", "enter", "2", "5", "3", "enter")  # type-to-search the catalogue
        await pilot.pause()
        assert form.query_one("#carc", Select).value == "253"
        assert "253: Sequestration" in str(form.query_one("#field-carc .field-hint").render())
        await choose(pilot, "group_code", "CO")
        await pilot.press("ctrl+s")
        await saved(pilot)
        row = listed(app.query_one("#overrides", DataTable))[0]
        assert row[:4] == ["BCBS", "CO-253", "yes", "yes"]
        await pilot.press("d")  # an override is switched off, not deleted
        await pilot.pause()
    (override,) = carc.list_overrides(store)
    assert (override.carc, override.group_code, override.excluded) == ("253", "CO", True)
    assert not override.active


async def test_a_custom_posting_code_is_offered_in_the_drawer(make_app, store, bcbs) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(pilot)
        await pilot.press("4", "a")
        await pilot.pause()
        assert isinstance(app.screen, CodeForm)
        await type_text(pilot, "pself")
        await choose(pilot, "kind", "Payment")
        app.screen.query_one("#description", Input).value = "Self-pay payment"
        await pilot.press("ctrl+s")
        await saved(pilot)
        assert not isinstance(app.screen, CodeForm)
        await pilot.press("1", "a")
        await pilot.pause()
        options = [v for _, v in app.screen.query_one("#primary-payment_code", Select)._options]
        assert "PSELF" in options
        assert "PSELF" not in [v for _, v in
                               app.screen.query_one("#primary-adjustment_code", Select)._options]
    assert [c.code for c in codes.list_codes(store, CodeKind.PAYMENT) if not c.standard] == [
        "PSELF"]


async def test_a_standard_code_cannot_be_edited(make_app, store) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(pilot)
        await pilot.press("4", "e")
        await pilot.pause()
        assert not isinstance(app.screen, CodeForm)
        assert any("is a standard code and cannot be changed" in n.message
                   for n in app._notifications)


async def test_the_palette_offers_payer_rules_actions(make_app, store, bcbs) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await type_text(pilot, "add payer rule")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        await pilot.pause()
        assert isinstance(app.screen, RuleDrawer)



async def test_the_footer_shows_the_keys_of_the_view_in_front(make_app, store) -> None:
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await open_section(pilot)
        shown = {}
        for view in ("1", "2", "3", "4"):
            await pilot.press(view)
            await pilot.pause()
            bindings = app.screen.active_bindings
            shown[view] = (bindings["a"].binding.description, bindings["d"].binding.description)
        assert "n" not in bindings  # Add Inbound ID belongs to the Payers view only
    assert shown == {"1": ("Add Payer Rule", "(De)activate"), "2": ("Add payer", "(De)activate"),
                     "3": ("Add override", "On/off"), "4": ("Add code", "(De)activate")}


def test_every_palette_entry_runs_a_real_action() -> None:
    from pctui.ui.screens.payer_rules import PayerRulesSection

    for entry in PayerRulesSection.ACTIONS:
        name, _, args = entry.action.partition("(")
        assert hasattr(PayerRulesSection, f"action_{name}"), entry.title
        if name == "palette":
            inner = args.rstrip(")").split(",")[1].strip(" '")
            assert hasattr(PayerRulesSection, f"action_{inner}"), entry.title


async def test_an_override_for_any_group_shows_its_carc_whole_at_80_columns(
        make_app, store, admin, bcbs) -> None:
    carc.save_override(store, admin, bcbs.id, "253", "")
    app = make_app()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("f3", "3")
        await pilot.pause()
        assert "253 (any group)" in rendered(app)
