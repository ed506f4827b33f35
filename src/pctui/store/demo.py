"""Realistic demo data so a newcomer sees a populated app. Safe to run twice: it adds only
what is missing."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from pctui.secrets import KeyringLocked, SecretStore
from pctui.store import connections, payers
from pctui.store.db import Store
from pctui.store.tables import Payer, PayerConnection
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
     "PCTUI0001", "AVAILITY", ["5010-SNIP1", "5010-SNIP2", "MCR-NCCI"], "demo-mcr-key-7f3a9c21"),
    ("MCDCA", "Medi-Cal SFTP mailbox", "sftp", "sftp.medi-cal.example:22/inbound/837",
     "MEDICAL01", "610442", ["5010-SNIP1", "MEDICAID-CA"], "demo-mcd-key-51d0e8b4"),
    ("BCBS", "BCBS TX direct API", "https", "https://edi.bcbstx.example/v2/claims",
     "PCTUI0001", "84980", ["5010-SNIP2"], "demo-bcbs-key-c4e77a10"),
    ("AETNA", "Aetna via clearinghouse", "clearinghouse", "https://claims.changehc.example/837p",
     "PCTUI0001", "CHC", ["5010-SNIP2", "AETNA-ATT"], None),
    ("WCF", "SCIF workers' comp portal", "https", "https://edi.scif.example/claims",
     "PCTUI0001", "35076", ["5010-SNIP1", "WC-DWC"], "demo-wcf-key-09b2f6e3"),
]


def build_demo(store: Store, actor: Actor, secrets: SecretStore) -> dict[str, Any]:
    """Add the demo payers and connections (and later parts' demo data) that are missing."""
    actor.require_admin("Demo data")
    summary: dict[str, Any] = {"payers": 0, "connections": 0, "keys_skipped": 0}
    with store.write() as session:
        for code, name, klass, outbound, inbound in DEMO_PAYERS:
            if session.exec(select(Payer).where(Payer.code == code)).first() is None:
                payers.save_payer(session, actor, payers.PayerDraft(code, name, klass, outbound,
                                                                    inbound))
                summary["payers"] += 1
    with store.read() as session:
        by_code = {p.code: p.id for p in session.exec(select(Payer)).all()}
        existing = {(c.payer_id, c.name) for c in session.exec(select(PayerConnection)).all()}
    for code, name, gateway, endpoint, sub, recv, rules, key in DEMO_CONNECTIONS:
        payer_id = by_code[code]
        if (payer_id, name) in existing:
            continue
        draft = connections.ConnectionDraft(payer_id, name, gateway, endpoint, sub, recv, rules)
        use_key = key if key is not None and not secrets.locked else None
        if key is not None and use_key is None:
            summary["keys_skipped"] += 1
        try:
            connections.save_connection(store, secrets, actor, draft, api_key=use_key)
        except KeyringLocked:
            summary["keys_skipped"] += 1
        summary["connections"] += 1
    return summary


def describe(summary: dict[str, Any]) -> list[str]:
    lines = [f"Demo data added: {summary['payers']} payers, {summary['connections']} connections."]
    if summary.get("keys_skipped"):
        lines.append(f"{summary['keys_skipped']} demo API keys were not stored because the keyring "
                     "is locked; set PCTUI_KEYRING_PASSPHRASE to store them.")
    return lines
