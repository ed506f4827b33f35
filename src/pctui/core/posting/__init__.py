"""The posting engine: 835 claim payments (CLPs) onto claims' ledgers, per SPEC 2.3.

Pure: it reads :class:`~pctui.core.ledger.ClaimLedger` s (entries and the postings they came
from), the CLPs, and the payer rules' settings per level, and returns new ledger entries and
posting records, error-report lines, the zero-payment list and a summary. The store finds the
claims, picks the rules, orders the payments and writes what comes back.

Each concept has its own module, with the decisions SPEC 2.3 left open written at its top:

- :mod:`.order` — adjudication order of payments released together;
- :mod:`.remittance` — one 835: the order of its CLPs, credits, PLB;
- :mod:`.claim_payment` — one CLP: found, denied, reversal, level, held, rule;
- :mod:`.line_matching` — step 4, SVC to claim line (REF*6R, SVC06 as billed);
- :mod:`.adjustments` — steps 5-7: payments, CAS, PR, the remainder, Patient Balances;
- :mod:`.reversals` — CLP02 22: which posting is undone (CLP07, pay level, latest);
- :mod:`.settings`, :mod:`.results`, :mod:`.statuses` — what goes in and what comes out.

Every entry an 835 posts carries ``payer_id`` (the 835's payer), ``era_id`` and the
``posting_id`` of its posting record. Zero amounts make no entries.
"""

from pctui.core.posting.adjustments import LevelPosting
from pctui.core.posting.claim_payment import hold_reason, post_claim_payment
from pctui.core.posting.line_matching import match_service_lines
from pctui.core.posting.order import PaymentToOrder, adjudication_order
from pctui.core.posting.remittance import (
    ProviderAdjustmentRecord,
    RemittancePosting,
    claims_in,
    paid_again_later,
    post_remittance,
    posting_order,
    record_provider_adjustments,
)
from pctui.core.posting.results import (
    LINE_NOT_FOUND,
    NOTHING_TO_REVERSE,
    PATIENT_ACCOUNT_NOT_FOUND,
    ErrorKind,
    ErrorLine,
    PostingOutcome,
    PostingResult,
    PostingSummary,
    SkippedAdjustment,
    SkipReason,
    ZeroPayment,
)
from pctui.core.posting.reversals import posting_to_reverse
from pctui.core.posting.settings import (
    NO_EXCLUSIONS,
    CarcExclusions,
    ClaimTerms,
    NoRule,
    RuleLevelSettings,
)
from pctui.core.posting.statuses import (
    DENIED,
    PAY_LEVELS,
    REVERSAL,
    STATUS_NAMES,
    normalize_status,
    pay_level,
)

__all__ = [
    "DENIED", "LINE_NOT_FOUND", "NOTHING_TO_REVERSE", "NO_EXCLUSIONS",
    "PATIENT_ACCOUNT_NOT_FOUND", "PAY_LEVELS", "REVERSAL", "STATUS_NAMES", "CarcExclusions",
    "ClaimTerms", "ErrorKind", "ErrorLine", "LevelPosting", "NoRule", "PaymentToOrder",
    "PostingOutcome", "PostingResult", "PostingSummary", "ProviderAdjustmentRecord",
    "RemittancePosting", "RuleLevelSettings", "SkipReason", "SkippedAdjustment", "ZeroPayment",
    "adjudication_order", "claims_in", "hold_reason", "match_service_lines", "normalize_status",
    "paid_again_later", "pay_level", "post_claim_payment", "post_remittance", "posting_order",
    "posting_to_reverse", "record_provider_adjustments",
]  # fmt: skip
