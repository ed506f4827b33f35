"""One claim's way out: where it is and why, its failed edits with their X12 places, every
status change (when, who, why, which file) and every file it went out in."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Static

from pctui.core.claim_status import ClaimStatus
from pctui.core.money import display
from pctui.core.wording import local_time
from pctui.store import claim_status, submissions
from pctui.store.db import Store
from pctui.store.queue import QueueRow
from pctui.store.tables import Claim
from pctui.ui.screens.claims_out import reason_lines
from pctui.ui.widgets.text import plain


def _row(store: Store, claim_pk: int) -> QueueRow | None:
    import json

    from pctui.core.money import from_cents

    with store.read() as session:
        claim = session.get(Claim, claim_pk)
        if claim is None:
            return None
        return QueueRow(claim_pk, claim.claim_id, claim.patient_name, claim.service_date,
                        from_cents(claim.charge_cents), "", ClaimStatus(claim.status),
                        claim.status_reason, claim.status_at,
                        tuple(json.loads(claim.edits or "[]")))  # fmt: skip


def story(store: Store, claim_pk: int) -> list[tuple[str, str]]:
    """(heading, text) blocks of the claim's detail, for the screen and its tests."""
    row = _row(store, claim_pk)
    if row is None:
        return [("Claim", "This claim is no longer on file.")]
    blocks = [("Claim", f"{row.claim_id} · {row.patient_name or 'no patient name'} · "
                        f"charge {display(row.charge)}\nStatus: {row.label}"
                        + (f" since {local_time(row.status_at)}" if row.status_at else ""))]
    why = reason_lines(row)
    if why:
        blocks.append(("Why" if row.status is not ClaimStatus.HELD else "Failed edits",
                       "\n".join(why)))
    history = claim_status.history(store, claim_pk)
    if history:
        blocks.append(("Status history", "\n".join(
            f"{local_time(h.at)} {h.status.label} ({h.source}, {h.user or 'pctui'})"
            + (f" — {h.file}" if h.file else "") + (f"\n    {h.reason}" if h.reason else "")
            for h in history)))
    sent = submissions.claim_submissions(store, claim_pk)
    if sent:
        blocks.append(("Submissions", "\n".join(
            f"{local_time(s.created_at)} {s.file_name} via {s.connection}: file {s.status}, "
            f"claim {s.claim_status}" + (f", payer's claim number {s.payer_claim_number}"
                                         if s.payer_claim_number else "")
            + (f"\n    {s.reason}" if s.reason else "") for s in sent)))
    else:
        blocks.append(("Submissions", "Not sent yet."))
    return blocks


class ClaimOutDetail(ModalScreen[None]):
    BINDINGS = [Binding("escape", "close", "Close", id="claim_out_detail.close")]

    def __init__(self, claim_pk: int) -> None:
        super().__init__()
        self.claim_pk = claim_pk

    def compose(self) -> ComposeResult:
        from pctui.ui.app import PctuiApp

        assert isinstance(self.app, PctuiApp)
        with Vertical(id="dialog", classes="wide claim-out-detail"):
            yield Static("Claim detail (Escape closes)", id="dialog-title")
            with VerticalScroll(id="claim-out-story"):
                for heading, text in story(self.app.store, self.claim_pk):
                    yield Static(plain(heading), classes="story-heading")
                    yield Static(plain(text, keep_newlines=True), classes="story-text")

    def on_mount(self) -> None:
        self.query_one("#claim-out-story", VerticalScroll).focus()

    def action_close(self) -> None:
        self.dismiss(None)
