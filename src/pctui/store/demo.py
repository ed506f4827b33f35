"""Realistic demo data so a newcomer sees a populated app. Safe to run twice: it adds only
what is missing."""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlmodel import Session, select

from pctui.secrets import KeyringLocked, SecretStore
from pctui.store import connections, payers
from pctui.store.carc import write_override
from pctui.store.db import Store
from pctui.store.rules import RuleDraft, default_levels, write_rule
from pctui.store.tables import CarcOverride, Payer, PayerConnection, PayerInboundId, PayerRule
from pctui.store.users import Actor

DEMO_PAYERS = [
    # code, name, class, outbound id, inbound ids
    ("MCR", "Medicare Part B (Noridian JF)", "medicare", "01312", ["01312", "1CMS01312"]),
    ("MCDCA", "Medi-Cal (California Medicaid)", "medicaid", "610442", ["610442"]),
    ("BCBS", "Blue Cross Blue Shield of Texas", "commercial", "84980", ["84980", "1840980"]),
    ("AETNA", "Aetna Better Health", "commercial", "60054", ["60054"]),
    ("WCF", "State Compensation Insurance Fund", "workers_comp", "35076", ["35076"]),
]

DEMO_CONNECTIONS = [
    # payer code, name, gateway, endpoint, submitter, receiver, rules, demo key
    ("MCR", "Medicare via Availity", "clearinghouse", "https://api.availity.example/claims",
     "PCTUI0001", "AVAILITY", ["5010-SNIP1", "5010-SNIP2", "MCR-NCCI", "MEDICARE-LAB-CLIA",
                               "MEDICARE-REFERRING"], "demo-mcr-key-7f3a9c21"),
    ("MCDCA", "Medi-Cal SFTP mailbox", "sftp", "sftp.medi-cal.example:22/inbound/837",
     "MEDICAL01", "610442", ["5010-SNIP1", "MEDICAID-CA"], "demo-mcd-key-51d0e8b4"),
    ("BCBS", "BCBS TX direct API", "https", "https://edi.bcbstx.example/v2/claims",
     "PCTUI0001", "84980", ["5010-SNIP2", "BILLING-ZIP-9", "NPI-CHECK-DIGIT", "TAXONOMY-FORMAT"],
     "demo-bcbs-key-c4e77a10"),
    ("AETNA", "Aetna via clearinghouse", "clearinghouse", "https://claims.changehc.example/837p",
     "PCTUI0001", "CHC", ["5010-SNIP2", "AETNA-ATT"], None),
    ("WCF", "SCIF workers' comp portal", "https", "https://edi.scif.example/claims",
     "PCTUI0001", "35076", ["5010-SNIP1", "WC-DWC"], "demo-wcf-key-09b2f6e3"),
]

DEMO_SETTINGS = {  # the host key stays unpinned: Test connection shows what the server offers
    "Medi-Cal SFTP mailbox": {"username": "medical01", "upload_dir": "/inbound/837",
                              "download_dir": "/outbound", "upload_mode": "temp_rename",
                              "file_name_template": "MEDICAL01_{timestamp}_{seq}.837"},
}


# Rule settings that differ from the payer's class defaults, by payer code: (description,
# {level field: value} applied to every level).
DEMO_RULE_VARIATIONS: dict[str, tuple[str, dict[str, str]]] = {
    "MCDCA": ("Medi-Cal: patient balances written off (AMCD)",
              {"patient_balance": "adjust", "patient_adjustment_code": "AMCD"}),
    "AETNA": ("Out of network: contractual adjustments not posted",
              {"insurance_adjustments": "skip"}),
    "WCF": ("Workers' comp: the injured worker owes nothing (AWCA)",
            {"patient_balance": "adjust", "patient_adjustment_code": "AWCA"}),
}

DEMO_OVERRIDES = [
    # payer code, CARC, group ("" = any group), excluded, active
    ("AETNA", "45", "CO", True, True),
    ("BCBS", "97", "CO", True, True),
    ("MCR", "253", "", True, False),
]


def _add_rules_and_overrides(session: Session, actor: Actor, summary: dict[str, Any]) -> None:
    """One rule per demo payer Inbound ID (class defaults, a few variations) and some overrides."""
    payer_rows = {p.code: p for p in session.exec(select(Payer)).all()}
    have_rules = {(r.inbound_id, r.payer_id) for r in session.exec(select(PayerRule)).all()}
    for code, _name, klass, _outbound, inbound_ids in DEMO_PAYERS:
        payer = payer_rows[code]
        description, changes = DEMO_RULE_VARIATIONS.get(code, ("", {}))
        for inbound in inbound_ids:
            owner = session.get(PayerInboundId, inbound)
            if (inbound, payer.id) in have_rules or (owner and owner.payer_id != payer.id):
                continue  # there already, or an admin moved this Inbound ID to another payer
            levels = default_levels(klass)
            for settings in levels.values():
                for field_name, value in changes.items():
                    setattr(settings, field_name, value)
            write_rule(session, actor, RuleDraft(inbound, payer.id, description, levels))
            summary["rules"] += 1
    have_overrides = {(o.payer_id, o.carc, o.group_code)
                      for o in session.exec(select(CarcOverride)).all()}
    for code, carc, group, excluded, active in DEMO_OVERRIDES:
        payer_id = payer_rows[code].id
        assert payer_id is not None
        if (payer_id, carc, group) not in have_overrides:
            write_override(session, actor, payer_id, carc, group, excluded, active)
            summary["carc_overrides"] += 1


def build_demo(store: Store, actor: Actor, secrets: SecretStore) -> dict[str, Any]:
    """Add the demo payers and connections (and later parts' demo data) that are missing."""
    actor.require_admin("Demo data")
    summary: dict[str, Any] = {"payers": 0, "connections": 0, "keys_skipped": 0, "rules": 0,
                               "carc_overrides": 0}
    with store.write() as session:
        for code, name, klass, outbound, inbound in DEMO_PAYERS:
            if session.exec(select(Payer).where(Payer.code == code)).first() is None:
                payers.save_payer(session, actor, payers.PayerDraft(code, name, klass, outbound,
                                                                    inbound))
                summary["payers"] += 1
    with store.write() as session:
        _add_rules_and_overrides(session, actor, summary)
    with store.read() as session:
        by_code = {p.code: p.id for p in session.exec(select(Payer)).all()}
        existing = {(c.payer_id, c.name) for c in session.exec(select(PayerConnection)).all()}
    for code, name, gateway, endpoint, sub, recv, rules, key in DEMO_CONNECTIONS:
        payer_id = by_code[code]
        if (payer_id, name) in existing:
            continue
        draft = connections.ConnectionDraft(payer_id, name, gateway, endpoint, sub, recv, rules,
                                            settings=DEMO_SETTINGS.get(name))
        use_key = key if key is not None and not secrets.locked else None
        if key is not None and use_key is None:
            summary["keys_skipped"] += 1
            summary["keys_skipped_why"] = secrets.why_locked
        try:
            connections.save_connection(store, secrets, actor, draft, api_key=use_key)
        except KeyringLocked:
            summary["keys_skipped"] += 1
        summary["connections"] += 1
    from pctui.store.demo_eras import add_demo_claims_and_eras

    summary.update(add_demo_claims_and_eras(store, actor, date.today()))
    from pctui.store.demo_claims_out import add_demo_claims_out

    summary.update(add_demo_claims_out(store, actor, date.today()))
    return summary


def describe(summary: dict[str, Any]) -> list[str]:
    lines = [f"Demo data added: {summary['payers']} payers, {summary['connections']} connections, "
             f"{summary.get('rules', 0)} payer rules, {summary.get('carc_overrides', 0)} CARC "
             f"overrides, {summary.get('claims', 0)} claims, {summary.get('eras', 0)} 835 payments, "
             f"{summary.get('claims_out', 0)} claims on their way out (PAYMENTS → Claims Out)."]
    if summary.get("keys_skipped"):
        why = summary.get("keys_skipped_why") or "the keyring is locked"
        lines.append(f"{summary['keys_skipped']} demo API keys were not stored: {why}.")
    return lines
