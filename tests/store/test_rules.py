"""Payer rules: defaults by insurance class, the three levels, Adjust needs a code, one rule per
Inbound ID + payer, admin only, audited; the Inbound ID picker; payers beside them."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from pctui.core.codes import (
    InsuranceAdjustments,
    InsuranceBalance,
    InsuranceClass,
    PatientBalance,
    PayerLevel,
)
from pctui.store import audit, carc, codes, payers, rules
from pctui.store.errors import PermissionDenied, ValidationFailed
from pctui.store.rules import RuleDraft, RuleLevelDraft
from pctui.store.tables import Era, ImportedFile, PayerInboundId, PayerRule, PayerRuleLevel

P, S, T = PayerLevel.PRIMARY, PayerLevel.SECONDARY, PayerLevel.TERTIARY


def add_payer(store, admin, code: str, klass: str = "commercial",
              inbound: list[str] | None = None) -> payers.PayerView:
    return payers.store_payer(store, admin, payers.PayerDraft(
        code, f"{code} Health Plan", klass, f"{code}X", inbound if inbound is not None else []))


@pytest.fixture
def bcbs(store, admin) -> payers.PayerView:
    return add_payer(store, admin, "BCBS", "commercial", ["12345"])


@pytest.fixture
def medicaid(store, admin) -> payers.PayerView:
    return add_payer(store, admin, "MCDCA", "medicaid", ["610442"])


def rule_draft(payer: payers.PayerView, inbound: str = "12345", **level_changes) -> RuleDraft:
    levels = rules.default_levels(payer.insurance_class)
    for settings in levels.values():
        for name, value in level_changes.items():
            setattr(settings, name, value)
    return RuleDraft(inbound, payer.id, "BCBS commercial", levels)


def rule_count(store) -> int:
    with store.read() as session:
        return len(session.exec(select(PayerRule)).all())


# -- the drawer's helpers --------------------------------------------------------------------


@pytest.mark.parametrize(("klass", "payment", "adjustment"), [
    ("medicare", "PMCR", "AMCR"), ("medicaid", "PMCD", "AMCD"), ("workers_comp", "PWCI", "AWCA"),
    ("commercial", "PCON", "AIWO"), ("other", "PCON", "AIWO"),
])
def test_defaults_follow_the_insurance_class(klass, payment, adjustment) -> None:
    levels = rules.default_levels(InsuranceClass(klass))
    assert list(levels) == [P, S, T]
    for settings in levels.values():
        assert settings == RuleLevelDraft(payment, adjustment, "post", "transfer", "keep", None)


def test_apply_to_secondary_and_tertiary_copies_the_level_exactly() -> None:
    levels = rules.default_levels("commercial")
    levels[P] = RuleLevelDraft("PCON", "AIWO", "skip", "keep", "adjust", "AIWO")
    after_secondary = rules.copy_level(levels, P, S)
    assert after_secondary[S] == levels[P]
    assert after_secondary[T] == RuleLevelDraft("PCON", "AIWO")  # untouched
    after_secondary[S].insurance_balance = "transfer"  # editing a copy leaves the source alone
    assert levels[P].insurance_balance == "keep"
    after_tertiary = rules.copy_level(after_secondary, S, T)
    assert after_tertiary[T] == after_secondary[S]
    assert after_tertiary[T] is not after_secondary[S]


# -- saving ----------------------------------------------------------------------------------


def test_a_saved_rule_keeps_all_three_levels_and_is_audited(store, admin, bcbs) -> None:
    draft = rule_draft(bcbs)
    draft.levels[T] = RuleLevelDraft("PCON", "AIWO", "skip", "keep", "adjust", "aiwo")
    view = rules.save_rule(store, admin, draft)
    assert (view.inbound_id, view.payer_code, view.description) == ("12345", "BCBS",
                                                                    "BCBS commercial")
    assert view.inbound_id_attached and view.active
    assert view.levels[P] == RuleLevelDraft("PCON", "AIWO", "post", "transfer", "keep", None)
    assert view.levels[T] == RuleLevelDraft("PCON", "AIWO", "skip", "keep", "adjust", "AIWO")
    assert rules.get_rule(store, view.id) == view
    entry = audit.entries(store, "rule")[0]
    assert (entry.user, entry.action, entry.label, entry.entity_id) == (
        "alice", "created", "12345 + BCBS", view.id)
    assert entry.changes["tertiary.patient_adjustment_code"] == [None, "AIWO"]
    assert entry.changes["primary.payment_code"] == [None, "PCON"]


def test_adjust_without_a_patient_adjustment_code_is_refused_and_nothing_is_saved(
    store, admin, bcbs
) -> None:
    draft = rule_draft(bcbs)
    draft.levels[T].patient_balance = PatientBalance.ADJUST.value
    assert rules.check_rule(store, draft) == {
        "levels.tertiary.patient_adjustment_code": "required when Patient Balances is Adjust"}
    with pytest.raises(ValidationFailed) as failed:
        rules.save_rule(store, admin, draft)
    assert "levels.tertiary.patient_adjustment_code" in failed.value.errors
    assert rule_count(store) == 0
    assert audit.entries(store, "rule") == []


def test_every_missing_required_field_is_named(store, admin) -> None:
    draft = RuleDraft("", None, "", {P: RuleLevelDraft("", "")})
    errors = rules.check_rule(store, draft)
    assert errors["inbound_id"] == "required"
    assert errors["payer"].startswith("required")
    assert errors["levels.primary.payment_code"] == "required"
    assert errors["levels.primary.adjustment_code"] == "required"
    assert errors["levels.secondary"].startswith("required: all three Payer Levels")
    assert errors["levels.tertiary"].startswith("required: all three Payer Levels")


def test_codes_must_exist_be_active_and_of_the_right_kind(store, admin, bcbs) -> None:
    codes.save_code(store, admin, "PSELF", "payment", "Self-pay plan", active=False)
    draft = rule_draft(bcbs)
    draft.levels[P].payment_code = "PXXX"
    draft.levels[S].payment_code = "AIWO"
    draft.levels[S].adjustment_code = "PCON"
    draft.levels[T].payment_code = "PSELF"
    draft.levels[T].insurance_adjustments = "maybe"
    errors = rules.check_rule(store, draft)
    assert errors == {
        "levels.primary.payment_code": 'unknown code "PXXX"',
        "levels.secondary.payment_code": "AIWO is an adjustment code, not a payment code",
        "levels.secondary.adjustment_code": "PCON is a payment code, not an adjustment code",
        "levels.tertiary.payment_code": "PSELF is inactive",
        "levels.tertiary.insurance_adjustments": 'must be "post" or "skip"',
    }


def test_one_rule_per_inbound_id_and_payer_code(store, admin, bcbs) -> None:
    first = rules.save_rule(store, admin, rule_draft(bcbs))
    with pytest.raises(ValidationFailed) as failed:
        rules.save_rule(store, admin, rule_draft(bcbs))
    assert failed.value.errors == {"rule": "a rule for Inbound ID 12345 + BCBS already exists"}
    # editing the rule itself is not a duplicate
    draft = first.draft()
    draft.description = "changed"
    assert rules.save_rule(store, admin, draft, first.id).description == "changed"
    assert rule_count(store) == 1


def test_one_inbound_id_carries_rules_for_several_payer_codes(store, admin, bcbs,
                                                              medicaid) -> None:
    # A clearinghouse 835 under BCBS's Inbound ID may pay Medi-Cal claims too (SPEC 2.3 step 3).
    assert rules.check_rule(store, rule_draft(medicaid, "12345")) == {}
    view = rules.save_rule(store, admin, rule_draft(medicaid, "12345"))
    assert view.inbound_id_attached  # 12345 belongs to a payer (BCBS): its 835s can be Ready
    assert rules.inbound_id_owner(store, "12345").code == "BCBS"


def test_saving_offers_to_attach_an_unattached_inbound_id(store, admin, bcbs) -> None:
    assert rules.inbound_id_owner(store, "777") is None
    kept_apart = rules.save_rule(store, admin, rule_draft(bcbs, "777"))
    assert not kept_apart.inbound_id_attached
    assert rules.inbound_id_owner(store, "777") is None
    attached = rules.save_rule(store, admin, rule_draft(bcbs, "888"), attach_inbound_id=True)
    assert attached.inbound_id_attached
    assert rules.inbound_id_owner(store, "888").code == "BCBS"
    assert payers.get_payer(store, bcbs.id).inbound_ids == ("12345", "888")
    payer_entry = audit.entries(store, "payer")[0]
    assert payer_entry.changes == {"inbound_ids": ["", "added 888"]}


def test_an_inbound_id_used_by_another_payers_rule_can_still_be_attached(
    store, admin, bcbs, medicaid
) -> None:
    rules.save_rule(store, admin, rule_draft(bcbs, "777"))
    with store.write() as session:
        payers.add_inbound_id(session, admin, medicaid.id, "777")
    assert rules.inbound_id_owner(store, "777").code == "MCDCA"
    (bcbs_rule,) = [r for r in rules.list_rules(store, "777") if r.payer_code == "BCBS"]
    assert bcbs_rule.inbound_id_attached


def test_patient_adjustment_code_is_kept_only_with_adjust(store, admin, bcbs) -> None:
    view = rules.save_rule(store, admin, rule_draft(bcbs, patient_adjustment_code="AIWO"))
    assert all(level.patient_adjustment_code is None for level in view.levels.values())


def test_editing_records_only_what_changed_and_saving_unchanged_records_nothing(
    store, admin, bcbs
) -> None:
    view = rules.save_rule(store, admin, rule_draft(bcbs))
    draft = view.draft()
    draft.levels[S].insurance_balance = InsuranceBalance.KEEP.value
    rules.save_rule(store, admin, draft, view.id)
    entry = audit.entries(store, "rule")[0]
    assert entry.action == "changed"
    assert entry.changes == {"secondary.insurance_balance": ["transfer", "keep"]}
    before = len(audit.entries(store, "rule"))
    rules.save_rule(store, admin, draft, view.id)
    assert len(audit.entries(store, "rule")) == before


def test_deactivate_and_reactivate_a_rule(store, admin, bcbs) -> None:
    view = rules.save_rule(store, admin, rule_draft(bcbs))
    assert not rules.set_rule_active(store, admin, view.id, False).active
    assert rules.list_rules(store, include_inactive=False) == []
    assert rules.set_rule_active(store, admin, view.id, True).active
    actions = [e.action for e in audit.entries(store, "rule")]
    assert actions == ["reactivated", "deactivated", "created"]


def test_a_biller_cannot_change_rules(store, admin, biller, bcbs) -> None:
    view = rules.save_rule(store, admin, rule_draft(bcbs))
    with pytest.raises(PermissionDenied, match="only an admin"):
        rules.save_rule(store, biller, rule_draft(bcbs, "999"))
    with pytest.raises(PermissionDenied):
        rules.set_rule_active(store, biller, view.id, False)
    with pytest.raises(PermissionDenied):
        payers.store_payer(store, biller, payers.PayerDraft("AETNA", "Aetna"))
    assert rule_count(store) == 1 and rules.get_rule(store, view.id).active
    assert [r.label for r in rules.list_rules(store)] == ["12345 + BCBS"]  # billers may look


def test_search_finds_rules_by_inbound_id_payer_code_name_or_description(
    store, admin, bcbs, medicaid
) -> None:
    rules.save_rule(store, admin, rule_draft(bcbs))
    medi = rule_draft(medicaid, "610442")
    medi.description = "Medi-Cal write-off"
    rules.save_rule(store, admin, medi)
    assert [r.label for r in rules.list_rules(store)] == ["12345 + BCBS", "610442 + MCDCA"]
    assert [r.label for r in rules.list_rules(store, "6104")] == ["610442 + MCDCA"]
    assert [r.label for r in rules.list_rules(store, "bcbs")] == ["12345 + BCBS"]
    assert [r.label for r in rules.list_rules(store, "mcdca health")] == ["610442 + MCDCA"]
    assert [r.label for r in rules.list_rules(store, "WRITE-OFF")] == ["610442 + MCDCA"]
    assert rules.list_rules(store, "nothing like it") == []


def test_inbound_id_choices_put_835s_waiting_for_release_first(store, admin, bcbs,
                                                               medicaid) -> None:
    now = datetime.now(UTC)
    with store.write() as session:
        file_row = ImportedFile(filename="week.835", sha256="abc", kind="835",
                                status="imported", loaded_at=now)
        session.add(file_row)
        session.flush()
        eras = [("55555", "pending"), ("44444", "pending"), ("44444", "pending"),
                ("12345", "released"), ("33333", "released"), ("610442", "pending")]
        for i, (inbound, status) in enumerate(eras):
            session.add(Era(file_id=file_row.id, check_number=f"CHK{i}", payer_key=str(i),
                            inbound_id=inbound, inbound_id_source="N104",
                            amount_cents=1000 * (i + 1), status=status, loaded_at=now))
    choices = rules.inbound_id_choices(store)
    assert [(c.value, c.waiting, c.payer_code) for c in choices] == [
        ("44444", 2, None), ("55555", 1, None), ("610442", 1, "MCDCA"),  # waiting for release
        ("12345", 0, "BCBS"),  # attached to payers
        ("33333", 0, None),  # seen on a released 835 only
    ]


def test_posting_settings_hand_the_level_and_the_payers_exclusions_to_the_engine(
    store, admin, bcbs
) -> None:
    draft = rule_draft(bcbs)
    draft.levels[S] = RuleLevelDraft("PCON", "AIWO", "skip", "keep", "adjust", "AIWO")
    rules.save_rule(store, admin, draft)
    carc.save_override(store, admin, bcbs.id, "45", "CO")
    carc.save_override(store, admin, bcbs.id, "97", "", active=False)
    with store.read() as session:
        settings = rules.posting_settings(session, "12345", bcbs.id, S)
        assert rules.posting_settings(session, "99999", bcbs.id, S) is None
    assert settings is not None
    assert settings.insurance_adjustments is InsuranceAdjustments.SKIP
    assert settings.patient_balance is PatientBalance.ADJUST
    assert settings.patient_adjustment_code == "AIWO"
    assert settings.exclusions.excludes("CO", "45")
    assert not settings.exclusions.excludes("CO", "97")  # that override is inactive


def test_each_level_is_stored_once(store, admin, bcbs) -> None:
    view = rules.save_rule(store, admin, rule_draft(bcbs))
    rules.save_rule(store, admin, rule_draft(bcbs, insurance_balance="keep"), view.id)
    with store.read() as session:
        levels = session.exec(select(PayerRuleLevel).where(PayerRuleLevel.rule_id == view.id))
        assert sorted(row.level for row in levels.all()) == ["primary", "secondary", "tertiary"]


# -- payers beside the rules -----------------------------------------------------------------


def test_payers_are_searched_by_code_name_or_inbound_id(store, admin, bcbs, medicaid) -> None:
    assert [p.code for p in payers.list_payers(store, search="6104")] == ["MCDCA"]
    assert [p.code for p in payers.list_payers(store, search="bcbs health")] == ["BCBS"]
    assert [p.code for p in payers.list_payers(store, search="plan")] == ["BCBS", "MCDCA"]


def test_a_payer_is_deactivated_not_deleted_and_it_is_audited(store, admin, bcbs) -> None:
    view = payers.set_payer_active(store, admin, bcbs.id, False)
    assert not view.active and view.inbound_ids == ("12345",)
    assert [p.code for p in payers.list_payers(store, include_inactive=False)] == []
    entry = audit.entries(store, "payer")[0]
    assert (entry.action, entry.changes) == ("deactivated", {"active": [True, False]})
    with store.read() as session:
        assert session.get(PayerInboundId, "12345").payer_id == bcbs.id


def test_demo_gives_every_demo_inbound_id_a_rule_and_running_it_again_adds_nothing(
    store, admin, secrets
) -> None:
    from pctui.store import demo

    first = demo.build_demo(store, admin, secrets)
    assert (first["rules"], first["carc_overrides"]) == (7, 3)
    entries = len(audit.entries(store, limit=1000))
    again = demo.build_demo(store, admin, secrets)
    assert (again["payers"], again["rules"], again["carc_overrides"]) == (0, 0, 0)
    assert len(audit.entries(store, limit=1000)) == entries
    assert "7 payer rules, 3 CARC overrides" in demo.describe(first)[0]
    by_label = {r.label: r for r in rules.list_rules(store)}
    assert set(by_label) == {"01312 + MCR", "1CMS01312 + MCR", "610442 + MCDCA", "84980 + BCBS",
                             "1840980 + BCBS", "60054 + AETNA", "35076 + WCF"}
    assert all(r.inbound_id_attached for r in by_label.values())
    medi = by_label["610442 + MCDCA"].levels[P]
    assert (medi.payment_code, medi.patient_balance, medi.patient_adjustment_code) == (
        "PMCD", "adjust", "AMCD")
    assert by_label["60054 + AETNA"].levels[T].insurance_adjustments == "skip"
    assert by_label["84980 + BCBS"].levels[S] == RuleLevelDraft("PCON", "AIWO")
    assert [(o.payer_code, o.label, o.active) for o in carc.list_overrides(store)] == [
        ("AETNA", "CO-45", True), ("BCBS", "CO-97", True), ("MCR", "253 (any group)", False)]
