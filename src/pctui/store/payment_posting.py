"""One 835 through the engine, as a release, a rework and the release preview all need it: the
payment's remittance, its payer, the claims it pays and what applies to each of them."""

from __future__ import annotations

import json
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlmodel import Session

from pctui.core.era import Remittance
from pctui.core.era_json import remittance_from_data
from pctui.core.ledger import ClaimLedger
from pctui.core.posting import ClaimTerms, RemittancePosting, claims_in, post_remittance
from pctui.store.claims import ClaimForPosting, load_claims_for_posting
from pctui.store.posting_terms import PayerRules, assumed_payer_notice, load_rules, load_terms
from pctui.store.tables import Era, PayerInboundId


@dataclass(slots=True)
class PaymentToPost:
    """An 835 payment with everything its posting reads from the database."""

    era: Era
    remittance: Remittance
    payer_pk: int | None  # the payer the Inbound ID belongs to
    claims: dict[str, ClaimForPosting]
    rules: dict[int, PayerRules]
    terms: dict[str, ClaimTerms]

    @property
    def era_id(self) -> int:
        assert self.era.id is not None
        return self.era.id

    def post(
        self,
        only: Collection[int] | None = None,
        ledgers: Mapping[str, ClaimLedger] | None = None,
    ) -> RemittancePosting:
        """Through the engine (nothing is written). ``ledgers``: claims' ledgers as an earlier,
        simulated payment left them (the preview); by default as stored."""
        current = {cid: c.ledger for cid, c in self.claims.items()}
        if ledgers:
            current.update({cid: ledger for cid, ledger in ledgers.items() if cid in current})
        posting = post_remittance(self.remittance, current, self.terms, payer_id=self.payer_pk,
                                  era_id=self.era_id, only=only)  # fmt: skip
        payer = self.rules.get(self.payer_pk) if self.payer_pk is not None else None
        if payer is not None:
            for result in posting.results:
                claim = self.claims.get(result.claim_id)
                if claim is not None:
                    assumed_payer_notice(claim, result, payer.payer_code)
        return posting


def remittance_of_era(era: Era) -> Remittance:
    return remittance_from_data(json.loads(era.detail))


def inbound_owner(session: Session, era: Era) -> int | None:
    owner = session.get(PayerInboundId, era.inbound_id) if era.inbound_id else None
    return owner.payer_id if owner is not None else None


def load_payment(
    session: Session,
    era: Era,
    remittance: Remittance | None = None,
    claim_ids: Collection[str] | None = None,
) -> PaymentToPost:
    """The payment and the claims it pays (``claim_ids``: only those) with their terms."""
    remittance = remittance or remittance_of_era(era)
    payer_pk = inbound_owner(session, era)
    wanted = claim_ids if claim_ids is not None else claims_in(remittance)
    claims = load_claims_for_posting(session, wanted)
    rules = load_rules(session, era.inbound_id)
    terms = load_terms(claims, rules, payer_pk, era.inbound_id)
    return PaymentToPost(era, remittance, payer_pk, claims, rules, terms)
