"""Correcting a held or rejected claim in pctui, then checking it again (SPEC 6).

The biller changes the fields the failed edits point at (:mod:`pctui.core.claim_fields`); the
claim is saved in one write transaction with an audit entry naming each field's old and new
value, moves to *ready* ("corrected: ..."), and its edits run again at once: it ends *ready* or
*held*. A claim out with the payer (submitted, acknowledged, accepted) or paid cannot be
corrected here: wait for its acknowledgment, or send a replacement claim from the EHR.
"""

from __future__ import annotations

import json

from sqlmodel import col, select

from pctui.core.claim_fields import apply_changes, fields_for
from pctui.core.claim_status import OPEN, ClaimStatus, after_correction
from pctui.store import audit
from pctui.store.claim_status import Change, set_status
from pctui.store.claims import detail_json, load_claims
from pctui.store.db import Store
from pctui.store.errors import NotFound, ValidationFailed
from pctui.store.scrub import ClaimCheck, check_claims
from pctui.store.tables import Claim
from pctui.store.users import Actor


def correct_claim(store: Store, actor: Actor, claim_pk: int, changes: dict[str, str]
                  ) -> ClaimCheck:  # fmt: skip
    """Save ``changes`` (field id -> new value) on the claim and check it again."""
    actor.require_release()
    with store.write() as session:
        row = session.exec(select(Claim).where(col(Claim.id) == claim_pk).with_for_update()).first()
        if row is None:
            raise NotFound(f"claim #{claim_pk} is not on file")
        status = ClaimStatus(row.status)
        if status not in OPEN or row.pending_submission_id is not None:
            raise ValidationFailed({"claim": f"claim {row.claim_id} is {status.label.lower()}; "
                                             "only a ready, held or rejected claim can be "
                                             "corrected here"})
        claim = load_claims(session, [claim_pk])[claim_pk]
        if not claim.detailed:
            raise ValidationFailed({"claim": f"claim {row.claim_id} was stored before pctui kept "
                                             "the whole 837P: import it again from the EHR"})
        fields = {f.id: f for f in fields_for(claim)}
        before = {k: fields[k].get(claim) for k in changes if k in fields}
        corrected, problems = apply_changes(claim, changes)
        if problems:
            raise ValidationFailed(problems)
        after = {k: fields[k].get(corrected) for k in changes}
        changed = {k: [before[k], after[k]] for k in changes if before.get(k) != after[k]}
        if not changed:
            raise ValidationFailed({"claim": "nothing was changed"})
        row.detail = detail_json(corrected)
        row.frequency_code = corrected.frequency_code
        session.add(row)
        labels = ", ".join(fields[k].label for k in changed)
        audit.record(session, actor.login, "claim", claim_pk, row.claim_id, "corrected",
                     {fields[k].label: v for k, v in changed.items()})
        set_status(session, claim_pk, Change(after_correction(status), f"corrected: {labels}",
                                             "correction"), actor.login)  # fmt: skip
        claim_id = row.claim_id
    [check] = check_claims(store, actor, [claim_id]).checks
    return check


def last_failures(store: Store, claim_pk: int) -> list[dict[str, object]]:
    """The failures of the claim's last check, as stored (for the queue's detail and form)."""
    with store.read() as session:
        row = session.get(Claim, claim_pk)
        return json.loads(row.edits or "[]") if row is not None else []
