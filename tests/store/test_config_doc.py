"""Configuration as a document: exact round trip, idempotent import, every problem named with its
path and nothing changed, payers and codes defined in the same document, never an API key."""

from __future__ import annotations

import copy
import json

import pytest
from sqlmodel import func, select

from pctui.core.codes import PayerLevel
from pctui.store import audit, carc, codes, config_doc, connections, demo, payers, rules, users
from pctui.store.db import Store
from pctui.store.errors import PermissionDenied, ValidationFailed
from pctui.store.tables import AuditEntry

DEMO_KEYS = [key for *_, key in demo.DEMO_CONNECTIONS if key]


def audit_count(store: Store) -> int:
    with store.read() as session:
        return session.exec(select(func.count()).select_from(AuditEntry)).one()


@pytest.fixture
def configured(store, admin, secrets) -> Store:
    """Demo payers, connections (with keys), rules and overrides, plus custom codes, an
    unattached rule, an inactive rule and an inactive payer."""
    demo.build_demo(store, admin, secrets)
    codes.save_code(store, admin, "PSELF", "payment", "Self-pay plan payment")
    codes.save_code(store, admin, "AOLD", "adjustment", "Retired write-off", active=False)
    bcbs = next(p for p in payers.list_payers(store) if p.code == "BCBS")
    levels = rules.default_levels("commercial")
    levels[PayerLevel.TERTIARY].payment_code = "PSELF"
    rules.save_rule(store, admin, rules.RuleDraft("BCBSALT", bcbs.id, "Not attached yet", levels))
    old = payers.store_payer(store, admin, payers.PayerDraft("OLDPLAN", "Old Plan", "other", "",
                                                             ["55555"], active=False))
    retired = rules.save_rule(store, admin, rules.RuleDraft(
        "55555", old.id, "Retired", rules.default_levels("other"), active=False))
    assert not retired.active
    return store


@pytest.fixture
def empty(make_db):
    """A second, fresh database (on the same backend) with its own admin."""
    other = Store.open(make_db("other.db"))
    yield other, users.identify(other, "carol")
    other.close()


def test_export_has_the_spec_shape_in_a_fixed_order_and_no_keys(configured) -> None:
    held = [c for c in connections.list_connections(configured) if c.api_key_set]
    assert len(held) == len(DEMO_KEYS) == 4  # the keys exist, in the keyring
    doc = config_doc.export_config(configured)
    assert list(doc) == ["payers", "rules", "carc_overrides", "connections", "posting_codes",
                         "compliance_edits"]
    assert [p["code"] for p in doc["payers"]] == ["AETNA", "BCBS", "MCDCA", "MCR", "OLDPLAN",
                                                  "WCF"]
    assert doc["payers"][1] == {"code": "BCBS", "name": "Blue Cross Blue Shield of Texas",
                                "insurance_class": "commercial",
                                "inbound_ids": ["1840980", "84980"], "outbound_id": "84980",
                                "active": True}
    keys = [(r["inbound_id"], r["payer_code"]) for r in doc["rules"]]
    assert keys == sorted(keys) and len(keys) == 9
    medi = next(r for r in doc["rules"] if r["payer_code"] == "MCDCA")
    assert medi["levels"]["secondary"] == {
        "payment_code": "PMCD", "adjustment_code": "AMCD", "insurance_adjustments": "post",
        "insurance_balance": "transfer", "patient_balance": "adjust",
        "patient_adjustment_code": "AMCD"}
    assert doc["carc_overrides"] == [
        {"payer_code": "AETNA", "carc": "45", "group": "CO", "excluded": True, "active": True},
        {"payer_code": "BCBS", "carc": "97", "group": "CO", "excluded": True, "active": True},
        {"payer_code": "MCR", "carc": "253", "group": "", "excluded": True, "active": False}]
    assert set(doc["connections"][0]) == {"payer_code", "name", "gateway_type", "endpoint",
                                          "submitter_id", "receiver_id", "compliance_rules",
                                          "active", "usage", "poll_minutes", "https"}
    sftp = next(c for c in doc["connections"] if c["gateway_type"] == "sftp")
    assert "https" not in sftp and sftp["sftp"]["username"] == "medical01"
    assert sftp["usage"] == "test" and sftp["poll_minutes"] == 0
    assert doc["posting_codes"] == [
        {"code": "AOLD", "kind": "adjustment", "description": "Retired write-off", "active": False},
        {"code": "PSELF", "kind": "payment", "description": "Self-pay plan payment",
         "active": True}]
    text = json.dumps(doc)
    assert all(key not in text and key[-4:] not in text for key in DEMO_KEYS)


def test_export_then_import_into_an_empty_database_reproduces_it_exactly(configured,
                                                                          empty) -> None:
    other, carol = empty
    first = config_doc.export_config(configured)
    report = config_doc.import_config(other, carol, copy.deepcopy(first))
    assert report.created == {"payers": 6, "rules": 9, "carc_overrides": 3, "connections": 5,
                              "posting_codes": 2, "compliance_edits": 0}
    assert report.unchanged == 0 and not any(report.changed.values())
    second = config_doc.export_config(other)
    assert json.dumps(second, indent=2) == json.dumps(first, indent=2)
    # keys stay behind: every imported connection shows its key as missing
    assert {c.key_state for c in connections.list_connections(other)} == {"missing"}


def test_importing_the_same_document_twice_changes_nothing(configured, empty) -> None:
    other, carol = empty
    doc = config_doc.export_config(configured)
    config_doc.import_config(other, carol, doc)
    entries_before = audit_count(other)
    again = config_doc.import_config(other, carol, doc)
    assert not again.any_change and again.unchanged == 25
    assert audit_count(other) == entries_before
    assert again.describe() == ["Created: nothing.", "Changed: nothing.",
                                "Unchanged: 25 entries."]


def test_importing_a_database_own_export_changes_nothing_and_keeps_keys(configured, admin,
                                                                        secrets) -> None:
    before = audit_count(configured)
    report = config_doc.import_config(configured, admin, config_doc.export_config(configured))
    assert not report.any_change
    assert audit_count(configured) == before
    assert "missing" not in {c.key_state for c in connections.list_connections(configured)
                             if c.payer_code != "AETNA"}


def test_changed_entries_are_updated_in_place_and_audited(configured, admin) -> None:
    doc = config_doc.export_config(configured)
    doc["payers"][0]["name"] = "Aetna Better Health of California"
    medi = next(r for r in doc["rules"] if r["payer_code"] == "MCDCA")
    medi["levels"]["tertiary"]["insurance_balance"] = "keep"
    doc["carc_overrides"][0]["active"] = False
    bcbs_api = next(c for c in doc["connections"] if c["payer_code"] == "BCBS")
    bcbs_api["endpoint"] = "https://edi.bcbstx.example/v3/claims"
    doc["posting_codes"][1]["description"] = "Self-pay"
    before_rules = {r.label: r.id for r in rules.list_rules(configured)}
    report = config_doc.import_config(configured, admin, doc)
    assert report.changed == {"payers": 1, "rules": 1, "carc_overrides": 1, "connections": 1,
                              "posting_codes": 1, "compliance_edits": 0}
    assert not any(report.created.values()) and report.unchanged == 20
    assert {r.label: r.id for r in rules.list_rules(configured)} == before_rules  # same rows
    assert audit.entries(configured, "rule")[0].changes == {
        "tertiary.insurance_balance": ["transfer", "keep"]}
    assert audit.entries(configured, "carc_override")[0].action == "deactivated"
    assert audit.entries(configured, "payer")[0].changes == {
        "name": ["Aetna Better Health", "Aetna Better Health of California"]}
    assert audit.entries(configured, "code")[0].changes == {
        "description": ["Self-pay plan payment", "Self-pay"]}
    config_entry = audit.entries(configured, "config")[0]
    assert config_entry.user == "alice" and config_entry.changes["changed"]["rules"] == 1
    api = next(c for c in connections.list_connections(configured) if c.payer_code == "BCBS")
    assert api.endpoint == "https://edi.bcbstx.example/v3/claims"
    assert api.api_key_set  # the key the connection had is untouched
    assert config_doc.export_config(configured) == doc


def test_a_document_can_use_payers_and_codes_it_defines_itself(empty) -> None:
    other, carol = empty
    level = {"payment_code": "pself", "adjustment_code": "AIWO"}
    doc = {
        "posting_codes": [{"code": "PSELF", "kind": "payment", "description": "Self-pay"}],
        "payers": [{"code": "bcbs", "name": "Blue Cross", "insurance_class": "commercial",
                    "inbound_ids": ["12345"], "outbound_id": "BCBSX"}],
        "rules": [{"inbound_id": "12345", "payer_code": "BCBS", "description": "",
                   "levels": {"primary": level, "secondary": level, "tertiary": level}}],
        "carc_overrides": [{"payer_code": "BCBS", "carc": 50, "group": "CO", "excluded": True,
                            "active": True}],
        "connections": [{"payer_code": "BCBS", "name": "BCBS via clearinghouse",
                         "gateway_type": "https", "endpoint": "https://gateway.example/claims",
                         "submitter_id": "", "receiver_id": "",
                         "compliance_rules": ["5010-SNIP2"], "active": True}],
    }
    report = config_doc.import_config(other, carol, doc)
    assert report.created == {"payers": 1, "rules": 1, "carc_overrides": 1, "connections": 1,
                              "posting_codes": 1, "compliance_edits": 0}
    rule = rules.list_rules(other)[0]
    assert (rule.label, rule.inbound_id_attached) == ("12345 + BCBS", True)
    assert rule.levels[PayerLevel.PRIMARY] == rules.RuleLevelDraft("PSELF", "AIWO")
    assert [o.label for o in carc.list_overrides(other)] == ["CO-50"]
    conn = connections.list_connections(other)[0]
    assert (conn.payer_code, conn.key_state, conn.compliance_rules) == (
        "BCBS", "missing", ("5010-SNIP2",))
    entities = {e.entity for e in audit.entries(other)}
    assert {"code", "payer", "rule", "carc_override", "connection", "config"} <= entities


def test_a_broken_document_names_every_problem_and_changes_nothing(configured, admin) -> None:
    before, entries = config_doc.export_config(configured), audit_count(configured)
    good = {"payment_code": "PCON", "adjustment_code": "AIWO"}
    doc = {
        "payers": [
            {"code": "BCBS", "name": "Blue Cross", "insurance_class": "private",
             "inbound_ids": ["84980", "1840980"], "outbound_id": "84980"},
            {"code": "NEWCO", "name": "", "insurance_class": "commercial",
             "inbound_ids": ["610442"], "colour": "red"},
        ],
        "rules": [
            {"inbound_id": "84980", "payer_code": "BCBS", "description": "",
             "levels": {"primary": good, "secondary": good,
                        "tertiary": {"payment_code": "PXXX", "adjustment_code": "AIWO"}}},
            {"inbound_id": "84980", "payer_code": "BCBS",
             "levels": {"primary": good, "secondary": good, "tertiary": good}},
            {"inbound_id": "84980", "payer_code": "MCR",
             "levels": {"primary": good, "secondary": {**good, "patient_balance": "adjust"}}},
            {"inbound_id": "99999", "payer_code": "NOPE",
             "levels": {"primary": {**good, "payment_code": "AIWO"}, "secondary": good,
                        "tertiary": good}},
        ],
        "carc_overrides": [{"payer_code": "BCBS", "carc": "4X5", "group": "ZZ",
                            "excluded": "yes"}],
        "connections": [{"payer_code": "BCBS", "name": "BCBS TX direct API",
                         "gateway_type": "https", "endpoint": "http://edi.bcbstx.example/",
                         "api_key": "sk_live_123456789"}],
        "posting_codes": [{"code": "PCON", "kind": "payment"}],
        "settings": {},
    }
    with pytest.raises(ValidationFailed) as failed:
        config_doc.import_config(configured, admin, doc)
    assert failed.value.errors == {
        "settings": "unknown section (expected payers, rules, carc_overrides, connections, "
                    "posting_codes, compliance_edits)",
        "payers[0].insurance_class": 'unknown insurance class "private" (one of commercial, '
                                     "medicare, medicaid, workers_comp, other)",
        "payers[1].colour": "unknown key (expected code, name, insurance_class, inbound_ids, "
                            "outbound_id, active)",
        "payers[1].name": "required",
        "payers[1].inbound_ids": "Inbound ID 610442 already belongs to payer MCDCA "
                                 "(in this database)",
        "rules[0].levels.tertiary.payment_code": 'unknown code "PXXX"',
        "rules[1]": "duplicate of rules[0] (Inbound ID 84980 + BCBS)",
        "rules[2].levels.tertiary": "required: all three Payer Levels must be filled in",
        "rules[2].levels.secondary.patient_adjustment_code":
            "required when Patient Balances is Adjust",
        "rules[3].payer_code": 'unknown payer "NOPE" (not in this document\'s payers nor in '
                               "the database)",
        "rules[3].levels.primary.payment_code": "AIWO is an adjustment code, not a payment code",
        "carc_overrides[0].excluded": "must be true or false",
        "carc_overrides[0].carc": '"4X5" is not a reason code (e.g. 45, 253, A1, B13)',
        "carc_overrides[0].group": 'unknown group code "ZZ" (one of CO, PR, OA, PI, CR, or '
                                   "empty for any group)",
        "connections[0].api_key": "API keys are never imported from a document; set the key "
                                  "in Insurance Payers",
        "connections[0].endpoint": "must be an https:// URL, e.g. https://gateway.example/claims",
        "posting_codes[0].code": "PCON is a standard code; only custom codes belong in "
                                 "posting_codes",
    }
    assert config_doc.export_config(configured) == before
    assert audit_count(configured) == entries


@pytest.mark.parametrize(("doc", "errors"), [
    ([], {"document": "must be a JSON object with payers, rules, carc_overrides, connections, "
                      "posting_codes, compliance_edits"}),
    ({"payers": {}}, {"payers": "must be a list"}),
    ({"rules": [7]}, {"rules[0]": "must be an object"}),
    ({"payers": [{"code": "X", "name": "X", "insurance_class": "other", "inbound_ids": "123"}]},
     {"payers[0].inbound_ids": "must be a list of text values"}),
    ({"rules": [{"inbound_id": "1", "payer_code": "X", "levels": []}]},
     {"rules[0].payer_code": 'unknown payer "X" (not in this document\'s payers nor in the '
                             "database)",
      "rules[0].levels": "must be an object with primary, secondary, tertiary"}),
])
def test_a_document_of_the_wrong_shape_is_refused_by_path(store, admin, doc, errors) -> None:
    with pytest.raises(ValidationFailed) as failed:
        config_doc.import_config(store, admin, doc)
    assert failed.value.errors == errors


def test_an_inbound_id_can_move_between_payers_listed_in_the_same_document(configured,
                                                                           admin) -> None:
    doc = config_doc.export_config(configured)
    by_code = {p["code"]: p for p in doc["payers"]}
    by_code["BCBS"]["inbound_ids"] = ["84980"]
    by_code["AETNA"]["inbound_ids"] = ["1840980", "60054"]
    # BCBS's rule on 1840980 stays: an Inbound ID may carry rules of several payer codes
    bcbs_rule = next(r for r in rules.list_rules(configured) if r.label == "1840980 + BCBS")
    report = config_doc.import_config(configured, admin, doc)
    assert report.changed["payers"] == 2
    assert payers.get_payer(configured, bcbs_rule.payer_id).inbound_ids == ("84980",)
    assert rules.inbound_id_owner(configured, "1840980").code == "AETNA"
    assert any(r.label == "1840980 + BCBS" for r in rules.list_rules(configured))


def test_deactivating_a_custom_code_an_active_rule_keeps_using_is_refused(configured,
                                                                          admin) -> None:
    doc = {"posting_codes": [{"code": "PSELF", "kind": "payment", "description": "Self-pay",
                              "active": False}]}
    with pytest.raises(ValidationFailed) as failed:
        config_doc.import_config(configured, admin, doc)
    assert failed.value.errors == {
        "posting_codes[0].active": "PSELF is used by the active rule BCBSALT + BCBS"}


def test_a_biller_cannot_import(configured, biller) -> None:
    with pytest.raises(PermissionDenied, match="only an admin"):
        config_doc.import_config(configured, biller, config_doc.export_config(configured))


def test_check_config_reports_without_writing(configured) -> None:
    doc = config_doc.export_config(configured)
    assert config_doc.check_config(configured, doc) == {}
    doc["rules"][0]["levels"]["primary"]["payment_code"] = "PXXX"
    assert config_doc.check_config(configured, doc) == {
        "rules[0].levels.primary.payment_code": 'unknown code "PXXX"'}


def test_choices_are_read_whatever_their_case(store, admin) -> None:
    level = {"payment_code": "pcon", "adjustment_code": "AIWO", "insurance_adjustments": "Post",
             "insurance_balance": "TRANSFER", "patient_balance": "Keep",
             "patient_adjustment_code": None}
    doc = {"payers": [{"code": "BCBS", "name": "Blue Cross", "insurance_class": "Commercial",
                       "inbound_ids": ["12345"], "outbound_id": "BCBSX"}],
           "rules": [{"inbound_id": "12345", "payer_code": "bcbs", "description": "",
                      "levels": {"primary": level, "secondary": level, "tertiary": level}}]}
    config_doc.import_config(store, admin, doc)
    exported = config_doc.export_config(store)
    assert exported["payers"][0]["insurance_class"] == "commercial"
    primary = exported["rules"][0]["levels"]["primary"]
    assert (primary["payment_code"], primary["insurance_adjustments"],
            primary["insurance_balance"], primary["patient_balance"]) == (
        "PCON", "post", "transfer", "keep")
