"""Posting codes (standard and custom) and CARC overrides with their catalogue."""

from __future__ import annotations

import pytest

from pctui.core.carc import CARC, carc_problem, describe_carc, group_problem
from pctui.core.codes import CodeKind, PayerLevel
from pctui.store import audit, carc, codes, payers, rules
from pctui.store.errors import PermissionDenied, ValidationFailed


@pytest.fixture
def bcbs(store, admin) -> payers.PayerView:
    return payers.store_payer(store, admin, payers.PayerDraft("BCBS", "Blue Cross", "commercial",
                                                              "BCBSX", ["12345"]))


# -- posting codes ---------------------------------------------------------------------------


def test_the_standard_codes_come_first_in_every_new_database(store, admin) -> None:
    codes.save_code(store, admin, "AAAA", "payment", "Sorts before the standard ones")
    assert [c.code for c in codes.list_codes(store, CodeKind.PAYMENT)] == [
        "PCON", "PMCD", "PMCR", "PWCI", "AAAA"]
    assert [c.code for c in codes.list_codes(store, CodeKind.ADJUSTMENT)] == [
        "AIWO", "AMCD", "AMCR", "AWCA"]
    pcon = codes.list_codes(store, CodeKind.PAYMENT)[0]
    assert pcon.standard and pcon.active and pcon.description == "Insurance payment (most payers)"


def test_an_admin_adds_a_custom_code_and_it_is_audited(store, admin) -> None:
    view = codes.save_code(store, admin, " pself ", CodeKind.PAYMENT, "Self-pay plan payment")
    assert view == codes.CodeView("PSELF", CodeKind.PAYMENT, "Self-pay plan payment", False, True)
    entry = audit.entries(store, "code")[0]
    assert (entry.user, entry.action, entry.label) == ("alice", "created", "PSELF")
    assert entry.changes["kind"] == [None, "payment"]
    codes.save_code(store, admin, "PSELF", "payment", "Self-pay plan payment", active=False)
    assert audit.entries(store, "code")[0].action == "deactivated"
    assert [c.code for c in codes.list_codes(store, CodeKind.PAYMENT)] == [
        "PCON", "PMCD", "PMCR", "PWCI"]
    assert "PSELF" in [c.code for c in codes.list_codes(store, include_inactive=True)]


@pytest.mark.parametrize(("code", "kind", "field", "problem"), [
    ("P", "payment", "code", "2 to 10 letters or digits"),
    ("PAY-1", "payment", "code", "2 to 10 letters or digits"),
    ("", "payment", "code", "required"),
    ("PNEW", "refund", "kind", 'must be "payment" or "adjustment"'),
    ("PCON", "payment", "code", "PCON is a standard code and cannot be changed"),
])
def test_bad_codes_are_refused(store, admin, code, kind, field, problem) -> None:
    with pytest.raises(ValidationFailed) as failed:
        codes.save_code(store, admin, code, kind, "x")
    assert problem in failed.value.errors[field]


def test_a_code_in_use_keeps_its_kind_and_stays_active_while_an_active_rule_uses_it(
    store, admin, bcbs
) -> None:
    codes.save_code(store, admin, "PSELF", "payment", "Self-pay")
    levels = rules.default_levels("commercial")
    levels[PayerLevel.SECONDARY].payment_code = "PSELF"
    rule = rules.save_rule(store, admin, rules.RuleDraft("12345", bcbs.id, "", levels))
    with pytest.raises(ValidationFailed) as failed:
        codes.save_code(store, admin, "PSELF", "adjustment", "Self-pay")
    assert failed.value.errors == {
        "kind": "PSELF is used by the rule(s) 12345 + BCBS; change them first"}
    with pytest.raises(ValidationFailed) as failed:
        codes.save_code(store, admin, "PSELF", "payment", "Self-pay", active=False)
    assert "active rule(s) 12345 + BCBS" in failed.value.errors["active"]
    rules.set_rule_active(store, admin, rule.id, False)
    assert not codes.save_code(store, admin, "PSELF", "payment", "Self-pay", active=False).active
    with pytest.raises(ValidationFailed) as failed:  # a rule cannot come back on an inactive code
        rules.set_rule_active(store, admin, rule.id, True)
    assert failed.value.errors == {"levels.secondary.payment_code": "PSELF is inactive"}


def test_a_biller_cannot_change_codes_or_overrides(store, biller, bcbs) -> None:
    with pytest.raises(PermissionDenied, match="only an admin"):
        codes.save_code(store, biller, "PSELF", "payment", "Self-pay")
    with pytest.raises(PermissionDenied, match="only an admin"):
        carc.save_override(store, biller, bcbs.id, "45", "CO")
    assert carc.list_overrides(store) == []
    assert [c.code for c in codes.list_codes(store)] == [
        "AIWO", "AMCD", "AMCR", "AWCA", "PCON", "PMCD", "PMCR", "PWCI"]


# -- the CARC catalogue ----------------------------------------------------------------------


def test_the_catalogue_explains_the_common_reason_codes() -> None:
    common = ["1", "2", "3", "4", "5", "6", "16", "18", "22", "23", "24", "26", "27", "29", "31",
              "39", "45", "50", "59", "96", "97", "109", "119", "125", "129", "131", "146",
              "167", "170", "171", "197", "198", "204", "222", "226", "227", "234", "236", "242",
              "252", "253", "256"]
    assert all(code in CARC for code in common)
    assert len(CARC) >= 80
    assert describe_carc("45").startswith("Charge exceeds fee schedule")
    assert describe_carc(" 045 ") == describe_carc("45")
    assert describe_carc("b13").startswith("Previously paid")
    assert describe_carc("299") == "Unknown reason code"


@pytest.mark.parametrize(("code", "problem"), [
    ("45", None), ("A1", None), ("b13", None), ("299", None),
    ("", "required"), ("4X5", "is not a reason code"), ("1000", "is not a reason code"),
])
def test_a_reason_code_must_look_like_one(code, problem) -> None:
    found = carc_problem(code)
    assert (found is None) if problem is None else (problem in found)


def test_group_codes_are_the_cas_groups_or_empty() -> None:
    assert group_problem("") is None and group_problem("co") is None
    assert "unknown group code" in group_problem("ZZ")


# -- overrides -------------------------------------------------------------------------------


def test_an_override_is_saved_described_and_audited(store, admin, bcbs) -> None:
    view = carc.save_override(store, admin, bcbs.id, "045", "co")
    assert (view.payer_code, view.carc, view.group_code, view.excluded, view.active) == (
        "BCBS", "45", "CO", True, True)
    assert view.label == "CO-45"
    assert view.description.startswith("Charge exceeds fee schedule")
    entry = audit.entries(store, "carc_override")[0]
    assert (entry.action, entry.label, entry.entity_id) == ("created", "BCBS CO-45", view.id)
    any_group = carc.save_override(store, admin, bcbs.id, "97", "")
    assert any_group.label == "97 (any group)"


def test_one_override_per_payer_reason_and_group(store, admin, bcbs) -> None:
    carc.save_override(store, admin, bcbs.id, "45", "CO")
    with pytest.raises(ValidationFailed) as failed:
        carc.save_override(store, admin, bcbs.id, "45", "CO")
    assert failed.value.errors == {"carc": "BCBS already has an override for CO-45"}
    carc.save_override(store, admin, bcbs.id, "45", "OA")  # another group is another override
    assert len(carc.list_overrides(store, bcbs.id)) == 2


def test_bad_overrides_name_each_field(store, admin, bcbs) -> None:
    errors = carc.check_override(store, None, "4X5", "ZZ")
    assert set(errors) == {"payer", "carc", "group_code"}


def test_only_active_excluded_overrides_reach_posting(store, admin, bcbs) -> None:
    co45 = carc.save_override(store, admin, bcbs.id, "45", "CO")
    carc.save_override(store, admin, bcbs.id, "97", "")
    carc.save_override(store, admin, bcbs.id, "253", "CO", excluded=False)
    carc.set_override_active(store, admin, co45.id, False)
    with store.read() as session:
        assert carc.exclusions_for(session, bcbs.id) == {("", "97")}
    entry = audit.entries(store, "carc_override")[0]
    assert (entry.action, entry.changes) == ("deactivated", {"active": [True, False]})
    assert [o.label for o in carc.list_overrides(store)] == ["CO-45", "97 (any group)", "CO-253"]
