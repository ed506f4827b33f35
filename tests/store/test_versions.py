"""Two admins edit one record: the second to save is told who changed it and how, instead of
silently overwriting the first (issue 9, item 9)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from alembic import command

from pctui.core.codes import CodeKind, PayerLevel, Role
from pctui.store import carc, codes, connections, payers, rules, users
from pctui.store.connections import ConnectionDraft
from pctui.store.db import Store, _make_engine
from pctui.store.errors import EditConflict
from pctui.store.migrate import alembic_config


@pytest.fixture
def carol(store, admin) -> users.Actor:
    users.add_user(store, admin, "carol", Role.ADMIN)
    return users.identify(store, "carol")


@pytest.fixture
def bcbs(store, admin) -> payers.PayerView:
    return payers.store_payer(store, admin, payers.PayerDraft(
        "BCBS", "Blue Cross", "commercial", "BCBSX", ["12345"]))


def test_the_second_editor_of_a_connection_is_told_and_nothing_is_overwritten(
    store, admin, carol, secrets, bcbs
) -> None:
    shown = connections.save_connection(store, secrets, admin, ConnectionDraft(
        bcbs.id, "BCBS direct", "https", "https://edi.bcbs.example/claims"))
    assert shown.version == 1
    # carol saves first, from her own session
    theirs = shown.draft()
    theirs.endpoint = "https://v2.bcbs.example/claims"
    assert connections.save_connection(store, secrets, carol, theirs, shown.id,
                                       expected_version=shown.version).version == 2
    # alice saves the form she opened before carol's change
    mine = shown.draft()
    mine.submitter_id = "SUB01"
    with pytest.raises(EditConflict) as told:
        connections.save_connection(store, secrets, admin, mine, shown.id,
                                    expected_version=shown.version)
    conflict = told.value
    assert conflict.by == "carol" and conflict.version == 2
    assert conflict.differences == {
        "endpoint": ["https://v2.bcbs.example/claims", "https://edi.bcbs.example/claims"],
        "submitter_id": ["", "SUB01"]}
    assert str(conflict).startswith("carol changed the connection BCBS / BCBS direct at ")
    stored = connections.get_connection(store, shown.id)
    assert (stored.endpoint, stored.submitter_id, stored.version) == (
        "https://v2.bcbs.example/claims", "", 2)
    # knowingly saving over carol's version works
    saved = connections.save_connection(store, secrets, admin, mine, shown.id,
                                        expected_version=conflict.version)
    assert (saved.endpoint, saved.submitter_id, saved.version) == (
        "https://edi.bcbs.example/claims", "SUB01", 3)


def test_deactivating_a_connection_counts_as_a_change(store, admin, carol, secrets, bcbs) -> None:
    shown = connections.save_connection(store, secrets, admin, ConnectionDraft(
        bcbs.id, "BCBS direct", "https", "https://edi.bcbs.example/claims"))
    connections.set_active(store, carol, shown.id, False)
    with pytest.raises(EditConflict) as told:
        connections.save_connection(store, secrets, admin, shown.draft(), shown.id,
                                    expected_version=shown.version)
    assert told.value.differences == {"active": [False, True]}


def test_the_second_editor_of_a_payer_is_told(store, admin, carol, bcbs) -> None:
    with store.write() as session:
        payers.add_inbound_id(session, carol, bcbs.id, "99999")
    mine = payers.PayerDraft("BCBS", "Blue Cross Blue Shield", "commercial", "BCBSX", ["12345"])
    with pytest.raises(EditConflict) as told:
        payers.store_payer(store, admin, mine, bcbs.id, expected_version=bcbs.version)
    assert told.value.by == "carol"
    assert told.value.differences == {"name": ["Blue Cross", "Blue Cross Blue Shield"],
                                      "inbound_ids": [["12345", "99999"], ["12345"]]}
    assert payers.get_payer(store, bcbs.id).inbound_ids == ("12345", "99999")


def test_the_second_editor_of_a_rule_is_told(store, admin, carol, bcbs) -> None:
    draft = rules.RuleDraft("12345", bcbs.id, "", rules.default_levels("commercial"))
    shown = rules.save_rule(store, admin, draft)
    theirs = shown.draft()
    theirs.levels[PayerLevel.PRIMARY].payment_code = "PMCR"
    rules.save_rule(store, carol, theirs, shown.id, expected_version=shown.version)
    mine = shown.draft()
    mine.description = "Blue Cross ERAs"
    with pytest.raises(EditConflict) as told:
        rules.save_rule(store, admin, mine, shown.id, expected_version=shown.version)
    assert told.value.differences == {"description": ["", "Blue Cross ERAs"],
                                      "primary.payment_code": ["PMCR", "PCON"]}
    assert rules.get_rule(store, shown.id).description == ""


def test_the_second_editor_of_a_carc_override_is_told(store, admin, carol, bcbs) -> None:
    shown = carc.save_override(store, admin, bcbs.id, "50", "CO")
    carc.save_override(store, carol, bcbs.id, "50", "CO", excluded=True, active=False,
                       override_id=shown.id, expected_version=shown.version)
    with pytest.raises(EditConflict) as told:
        carc.save_override(store, admin, bcbs.id, "50", "", override_id=shown.id,
                           expected_version=shown.version)
    assert told.value.differences == {"group_code": ["CO", ""], "active": [False, True]}


def test_the_second_editor_of_a_posting_code_is_told(store, admin, carol) -> None:
    shown = codes.save_code(store, admin, "XWO", CodeKind.ADJUSTMENT, "Write-off")
    codes.save_code(store, carol, "XWO", CodeKind.ADJUSTMENT, "Small balance write-off",
                    expected_version=shown.version)
    with pytest.raises(EditConflict) as told:
        codes.save_code(store, admin, "XWO", CodeKind.ADJUSTMENT, "Write-off (old)",
                        expected_version=shown.version)
    assert told.value.by == "carol"
    assert told.value.differences == {"description": ["Small balance write-off",
                                                      "Write-off (old)"]}


def test_a_database_from_before_versions_upgrades_with_every_record_at_version_one(
    tmp_path: Path,
) -> None:
    from pctui.store.migrations.versions import h9_01_record_versions as ours

    path = tmp_path / "old.db"
    engine = _make_engine(path)
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, ours.down_revision)
    engine.dispose()
    raw = sqlite3.connect(path)
    raw.execute("insert into payer (code, name, insurance_class, outbound_id, active) "
                "values ('BCBS', 'Blue Cross', 'commercial', '', 1)")
    raw.commit()
    raw.close()
    store = Store.open(path)
    assert payers.list_payers(store)[0].version == 1
    admin = users.identify(store, "alice")
    view = payers.list_payers(store)[0]
    draft = payers.PayerDraft(view.code, "Blue Cross (renamed)", "commercial")
    assert payers.store_payer(store, admin, draft, view.id, expected_version=1).version == 2
    store.close()
