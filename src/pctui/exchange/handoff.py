"""What happens to a received file once it is stored: by its kind.

- ``835``: the 835 intake (:func:`pctui.store.intake.import_bytes`), exactly as an imported
  file — it appears on Release 835, duplicates caught as always; the mailbox keeps the link.
- ``TA1``, ``999``, ``277CA``: recorded as an acknowledgment with its kind, control numbers and
  an accept/reject summary (:mod:`pctui.x12.interchange_summary`). Claim.MD's claim responses
  (JSON) likewise, as kind ``claim_md_responses``. Turning them into claim statuses belongs to
  the claims side, which reads :func:`pctui.store.mailbox.unapplied_acknowledgments`.
- anything else: kept in the mailbox (result ``stored``), viewable, nothing more.

A hand-off that cannot finish leaves the file ``pending``; a later poll takes it over.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pctui.store import intake, mailbox
from pctui.store.connections import ConnectionView
from pctui.store.db import Store
from pctui.store.users import Actor
from pctui.x12.interchange_summary import summarize_acknowledgment


@dataclass
class ReceivedItem:
    """One received file as ``pctui poll`` reports it (SPEC 3: name, kind, result)."""

    name: str
    kind: str  # 835, 999, TA1, 277CA, other
    result: str  # imported, duplicate, rejected, acknowledgment, stored, pending
    mailbox_id: int
    errors: list[str] = field(default_factory=list)
    summary: str = ""
    created: list[int] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "kind": self.kind, "result": self.result,
                "errors": self.errors, "summary": self.summary, "created": self.created,
                "mailbox_id": self.mailbox_id}


def hand_off(store: Store, actor: Actor, view: ConnectionView, file_id: int, remote_name: str,
             data: bytes, kind: str) -> ReceivedItem:
    item = ReceivedItem(remote_name, kind, mailbox.Result.PENDING, file_id)
    try:
        if kind == "835":
            _to_intake(store, actor, view, item, data)
        elif kind in ("TA1", "999", "277CA"):
            _acknowledgment(store, item, data)
        elif kind == "other" and remote_name.startswith("claimmd-responses-"):
            _claim_md_responses(store, item, data)
        else:
            item.result = mailbox.Result.STORED
            item.summary = "kept in the mailbox (not an 835 or an acknowledgment)"
            mailbox.record_result(store, file_id, item.result, {"summary": item.summary})
    except Exception as exc:  # noqa: BLE001 - the file is stored; a later poll finishes it
        item.result = mailbox.Result.PENDING
        item.errors.append(f"stored, but handing it on failed ({type(exc).__name__}); the next "
                           "poll tries again")
    return item


def hand_off_stored(store: Store, actor: Actor, view: ConnectionView, file_id: int) -> ReceivedItem:
    """Finish the hand-off of a file a dead poller stored (claimed by this one)."""
    entry = mailbox.entry(store, file_id)
    data = mailbox.content(store, file_id)
    if entry.kind == "835":
        earlier = mailbox.imported_after(store, entry.sha256, entry.at)
        if earlier is not None:  # intake took it before the poller died
            item = ReceivedItem(entry.remote_name, entry.kind, mailbox.Result.IMPORTED, file_id,
                                summary="imported (finished after an interrupted poll)")
            mailbox.record_result(store, file_id, item.result, {"summary": item.summary},
                                  imported_file_id=earlier)
            return item
    return hand_off(store, actor, view, file_id, entry.remote_name, data, entry.kind)


def _to_intake(store: Store, actor: Actor, view: ConnectionView, item: ReceivedItem,
               data: bytes) -> None:
    result = intake.import_bytes(store, f"{view.label}: {item.name}", data, actor)
    item.result = result.status.value
    item.errors = list(result.errors)
    item.created = list(result.created)
    if result.status is intake.ImportStatus.IMPORTED:
        count = len(result.created)
        item.summary = f"{count} payment{'s' if count != 1 else ''} on Release 835"
    elif result.status is intake.ImportStatus.DUPLICATE:
        item.summary = "already on file: nothing new"
    mailbox.record_result(store, item.mailbox_id, item.result, {
        "summary": item.summary, "errors": item.errors, "created": item.created,
        "findings": [f.text for f in result.findings]}, imported_file_id=result.file_id)


def _acknowledgment(store: Store, item: ReceivedItem, data: bytes) -> None:
    summary = summarize_acknowledgment(data)
    if summary is None:
        item.result = mailbox.Result.STORED
        item.summary = "could not be read as an acknowledgment; kept in the mailbox"
        mailbox.record_result(store, item.mailbox_id, item.result, {"summary": item.summary})
        return
    item.result = mailbox.Result.ACKNOWLEDGMENT
    item.summary = summary.text
    mailbox.record_result(store, item.mailbox_id, item.result, {
        "summary": summary.text, "outcome": summary.outcome,
        "control_number": summary.control_number, "answers": summary.answers[:50]},
        acknowledgment=summary.to_json())


def claim_md_summary(data: bytes) -> dict[str, Any] | None:
    """Claim.MD's claim responses as an acknowledgment: each claim's ids and status (A
    accepted, R rejected, ...) with the payer's messages."""
    try:
        doc = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(doc, dict):
        return None
    claims = doc.get("claim")
    claims = claims if isinstance(claims, list) else [claims] if isinstance(claims, dict) else []
    items = []
    for claim in claims:
        if not isinstance(claim, dict):
            continue
        messages = claim.get("messages")
        messages = messages if isinstance(messages, list) else [messages] if messages else []
        items.append({
            "claim_id": str(claim.get("pcn") or claim.get("remote_claimid") or ""),
            "claimmd_id": str(claim.get("claimmd_id") or claim.get("claimid") or ""),
            "status": str(claim.get("status") or ""),
            "messages": [str(m.get("message", "")) for m in messages if isinstance(m, dict)]})
    accepted = sum(1 for i in items if i["status"].upper().startswith("A"))
    rejected = sum(1 for i in items if i["status"].upper().startswith("R"))
    total = len(items)
    text = (f"Claim.MD responses: {accepted} of {total} claim{'s' if total != 1 else ''} "
            "accepted" + (f", {rejected} rejected" if rejected else ""))
    outcome = ("partly_accepted" if accepted and rejected else "rejected" if rejected
               else "accepted" if accepted else "unknown")
    return {"kind": "claim_md_responses", "control_number": str(doc.get("last_responseid", "")),
            "answers": [i["claim_id"] for i in items], "accepted": accepted,
            "rejected": rejected, "outcome": outcome, "text": text, "items": items}


def _claim_md_responses(store: Store, item: ReceivedItem, data: bytes) -> None:
    ack = claim_md_summary(data)
    if ack is None:
        item.result = mailbox.Result.STORED
        item.summary = "not readable as Claim.MD responses; kept in the mailbox"
        mailbox.record_result(store, item.mailbox_id, item.result, {"summary": item.summary})
        return
    item.result = mailbox.Result.ACKNOWLEDGMENT
    item.summary = ack["text"]
    mailbox.record_result(store, item.mailbox_id, item.result,
                          {"summary": ack["text"], "outcome": ack["outcome"]}, acknowledgment=ack)
