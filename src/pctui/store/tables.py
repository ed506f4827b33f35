"""SQLModel tables. Money is stored as integer cents (``*_cents``), never REAL, in 64-bit
columns (``Field(sa_type=BigInteger)``: PostgreSQL's INTEGER stops at $21.4 million).

Schema changes go through Alembic migrations in ``store/migrations`` (never ``create_all``).
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index, LargeBinary, Text, UniqueConstraint, text
from sqlmodel import Field, SQLModel


def version_field() -> int:
    """Raised by one with each saved change; a form saves only over the version it showed
    (a second editor is told, never silently overwritten)."""
    return Field(default=1, sa_column_kwargs={"server_default": text("1")})


class Meta(SQLModel, table=True):
    """Key/value facts about this database, e.g. its ``database_id`` (keyring namespace)."""

    key: str = Field(primary_key=True)
    value: str


class User(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    login: str = Field(unique=True, index=True)  # the OS login name
    role: str  # Role: admin | biller
    active: bool = True
    created_at: datetime
    created_by: str = ""


class AuditEntry(SQLModel, table=True):
    """Who changed what, when. ``changes`` is JSON {field: [old, new]}; never a secret value."""

    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    user_login: str
    entity: str = Field(index=True)  # connection, payer, rule, code, carc_override, user, config
    entity_id: int | None = Field(default=None, index=True)
    entity_label: str = ""
    action: str  # created, changed, deactivated, reactivated, key_replaced, ...
    changes: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))


class Payer(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(unique=True, index=True)
    name: str
    insurance_class: str = "commercial"  # InsuranceClass
    outbound_id: str = ""  # payer ID used on outgoing claims (837 NM109)
    active: bool = True
    version: int = version_field()


class PayerInboundId(SQLModel, table=True):
    """An Inbound ID (the payer ID an 835 arrives under) belongs to at most one payer."""

    value: str = Field(primary_key=True)
    payer_id: int = Field(foreign_key="payer.id", index=True)


class PayerConnection(SQLModel, table=True):
    """A connection to a payer for electronic claims. The API key lives in the keyring."""

    id: int | None = Field(default=None, primary_key=True)
    payer_id: int = Field(foreign_key="payer.id", index=True)
    name: str
    gateway_type: str  # GatewayType
    endpoint: str
    submitter_id: str = ""
    receiver_id: str = ""
    compliance_rules: str = "[]"  # JSON list of identifiers
    api_key_set: bool = False
    api_key_hint: str = ""  # e.g. "••••1234"; never more of the key
    active: bool = True
    created_at: datetime
    updated_at: datetime
    usage: str = "test"  # Usage: ISA15 T/P on everything sent through it
    poll_minutes: int = 0  # the running app polls this often; 0 = only when asked
    # JSON: the sftp or https object of core.connection_settings (never a secret)
    settings: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    version: int = version_field()


class PostingCode(SQLModel, table=True):
    """Payment and adjustment codes used when posting (PCON, AIWO, ... and custom ones)."""

    code: str = Field(primary_key=True)
    kind: str  # CodeKind: payment | adjustment
    description: str = ""
    standard: bool = False
    active: bool = True
    version: int = version_field()


class PayerRule(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("inbound_id", "payer_id", name="uq_rule_inbound_payer"),)

    id: int | None = Field(default=None, primary_key=True)
    inbound_id: str = Field(index=True)
    payer_id: int = Field(foreign_key="payer.id", index=True)
    description: str = ""
    active: bool = True
    created_at: datetime
    updated_at: datetime
    version: int = version_field()


class PayerRuleLevel(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("rule_id", "level", name="uq_rule_level"),)

    id: int | None = Field(default=None, primary_key=True)
    rule_id: int = Field(foreign_key="payerrule.id", index=True)
    level: str  # PayerLevel
    payment_code: str = Field(foreign_key="postingcode.code")
    adjustment_code: str = Field(foreign_key="postingcode.code")
    insurance_adjustments: str = "post"  # InsuranceAdjustments
    insurance_balance: str = "transfer"  # InsuranceBalance
    patient_balance: str = "keep"  # PatientBalance
    patient_adjustment_code: str | None = Field(default=None, foreign_key="postingcode.code")


class CarcOverride(SQLModel, table=True):
    """Company-payer override: an excluded CARC is never posted for this payer."""

    __table_args__ = (
        UniqueConstraint("payer_id", "carc", "group_code", name="uq_carc_override"),
    )

    id: int | None = Field(default=None, primary_key=True)
    payer_id: int = Field(foreign_key="payer.id", index=True)
    carc: str
    group_code: str = ""  # "" means any group
    excluded: bool = True
    active: bool = True
    version: int = version_field()


class ImportedFile(SQLModel, table=True):
    """Every file handed to import, including rejected ones (shown with their reason)."""

    id: int | None = Field(default=None, primary_key=True)
    filename: str
    sha256: str = Field(index=True)
    kind: str = ""  # "835", "837" or "" when unreadable
    status: str  # imported | duplicate | rejected
    errors: str = "[]"  # JSON list of reasons when rejected
    segment_count: int = 0
    loaded_at: datetime = Field(index=True)
    loaded_by: str = ""
    validation_state: str = "pending"  # pending | done | not_applicable
    # Files imported before chunked storage keep their bytes here; newer ones in ImportedFileChunk.
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))


class ImportedFileChunk(SQLModel, table=True):
    """An imported file's bytes, in order, a megabyte per row: a large file is stored and read
    back (for deferred validation) without ever being held in memory whole."""

    __table_args__ = (UniqueConstraint("file_id", "seq", name="uq_file_chunk"),)

    id: int | None = Field(default=None, primary_key=True)
    file_id: int = Field(foreign_key="importedfile.id", index=True)
    seq: int
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class Era(SQLModel, table=True):
    """One 835 payment (a transaction set). Ready / No Payer Rule is derived from rules."""

    __table_args__ = (
        Index("ix_era_dedupe", "check_number", "payer_key", "amount_cents", unique=True),
        Index("ix_era_status_loaded", "status", "loaded_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    file_id: int = Field(foreign_key="importedfile.id", index=True)
    transaction_index: int = 0  # position of the ST within the file
    control_number: str = ""  # ST02
    check_number: str = Field(index=True)  # TRN02
    trn_originator: str = ""  # TRN03
    payer_key: str = ""  # payer identity for duplicate detection (N104, else name)
    payer_name: str = ""
    inbound_id: str = Field(index=True)
    inbound_id_source: str  # InboundIdSource
    amount_cents: int = Field(sa_type=BigInteger)
    payment_method: str = ""
    payment_date: date | None = Field(default=None, index=True)
    production_date: date | None = None
    payee_name: str = ""
    claim_count: int = 0
    plb_total_cents: int = Field(default=0, sa_type=BigInteger)
    status: str = Field(default="pending", index=True)  # pending | released | released_with_errors
    loaded_at: datetime
    detail: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))


class EraFinding(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    era_id: int | None = Field(default=None, foreign_key="era.id", index=True)
    file_id: int = Field(foreign_key="importedfile.id", index=True)
    severity: str  # Severity
    source: str  # FindingSource
    segment: str = ""
    position: int | None = None
    message: str
    count: int = 1  # the same finding this many times in the file (one row, not a flood)
    positions: str = ""  # the first few further places, "40,77,90"


class Claim(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    claim_id: str = Field(unique=True, index=True)  # CLM01
    patient_name: str = Field(default="", index=True)
    charge_cents: int = Field(sa_type=BigInteger)
    service_date: date | None = None
    primary_payer_id: int | None = Field(default=None, foreign_key="payer.id")
    secondary_payer_id: int | None = Field(default=None, foreign_key="payer.id")
    tertiary_payer_id: int | None = Field(default=None, foreign_key="payer.id")
    payer_names: str = "{}"  # JSON {level: {"name": NM103, "id": NM109}} as written on the claim
    file_id: int | None = Field(default=None, foreign_key="importedfile.id")
    source: str = "837"  # 837 | demo
    created_at: datetime
    frequency_code: str = "1"  # CLM05-3 of the version on file: 1 original, 7 replaced, 8 voided
    voided_at: datetime | None = None  # set by a void (CLM05-3 = 8); None: the claim stands
    # The file of the last replacement or void (an ImportedFile id; no foreign key, so older
    # databases gain the column without SQLite rebuilding the claim table).
    changed_by_file_id: int | None = None
    # The rest of the 837P (providers, subscriber, patient, CLM, dates, diagnoses, line details)
    # as JSON (core.claim_json); "{}" for a claim stored before pctui kept it.
    detail: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    # Where the claim is on its way out (core.claim_status.ClaimStatus) and why: the failed
    # edits, the payer's words, the 835. ``edits``: JSON list of the last check's failures.
    status: str = Field(default="ready", index=True)
    status_reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    status_at: datetime | None = None
    edits: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    # A submission that has taken the claim and not yet said whether it was sent.
    pending_submission_id: int | None = Field(default=None, index=True)


class ClaimLine(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("claim_pk", "line_number", name="uq_claim_line"),)

    id: int | None = Field(default=None, primary_key=True)
    claim_pk: int = Field(foreign_key="claim.id", index=True)
    line_number: int
    procedure: str
    modifiers: str = ""  # comma-separated
    charge_cents: int = Field(sa_type=BigInteger)
    units: str = "1"  # Decimal as text, exact
    unit_code: str = "UN"  # SV103: UN units, MJ minutes
    service_date: date | None = None
    control_number: str | None = Field(default=None, index=True)  # REF*6R
    removed: bool = False  # left out by a replacement claim: its charge was taken off


class ClaimConflict(SQLModel, table=True):
    """An original claim (CLM05-3 = 1) whose CLM01 is already on file with other content, kept
    apart until a biller keeps the claim on file or takes this one (``store/claim_intake.py``)."""

    id: int | None = Field(default=None, primary_key=True)
    claim_id: str = Field(index=True)  # CLM01
    claim_pk: int = Field(foreign_key="claim.id", index=True)  # the claim on file
    file_id: int = Field(foreign_key="importedfile.id", index=True)  # the file it came in
    frequency_code: str = "1"
    charge_cents: int = Field(sa_type=BigInteger)  # CLM02 of the claim kept apart
    patient_name: str = ""
    detail: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    differences: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    found_at: datetime
    status: str = Field(default="open", index=True)  # open | kept | taken
    resolved_at: datetime | None = None
    resolved_by: str = ""


class Batch(SQLModel, table=True):
    """A deposit batch: the number the bank deposit is matched by. Numbers are unique, so a
    generated number is never handed to two sessions (it is made inside the release's own
    transaction); a number typed by the biller joins the batch of that number."""

    __table_args__ = (UniqueConstraint("number", name="uq_batch_number"),)

    id: int | None = Field(default=None, primary_key=True)
    number: str
    deposit_date: date = Field(index=True)
    generated: bool = False
    created_at: datetime
    created_by: str = ""


class Release(SQLModel, table=True):
    """One release of one 835 payment. ``standing_era_id`` is the payment's id while the release
    stands and NULL once it is voided: UNIQUE, so a payment has at most one standing release."""

    id: int | None = Field(default=None, primary_key=True)
    era_id: int = Field(foreign_key="era.id", index=True)
    standing_era_id: int | None = Field(default=None, unique=True, index=True)
    deposit_date: date
    batch: str = Field(index=True)
    released_by: str
    released_at: datetime
    status: str  # released | released_with_errors
    claims_posted: int = 0
    error_report: str = "[]"  # JSON list of the error-report lines at release
    summary: str = "{}"  # JSON: per-claim posting result, denials, PLB
    voided_at: datetime | None = None
    voided_by: str = ""
    void_reason: str = ""


class Rework(SQLModel, table=True):
    """Claim payments of a released 835 posted later, once the cause of their error-report line
    was fixed (SPEC 2.4): recorded with the original payment and release, a batch and the user."""

    id: int | None = Field(default=None, primary_key=True)
    era_id: int = Field(foreign_key="era.id", index=True)
    release_id: int = Field(foreign_key="release.id", index=True)
    batch: str = Field(index=True)
    reworked_by: str
    reworked_at: datetime
    claims_posted: int = 0
    summary: str = "{}"  # JSON: per-claim posting result, as a release's


class ClaimPosting(SQLModel, table=True):
    """One claim payment (CLP) posted on a claim: its level, payer and CLP07. A reversal names
    the posting it undid; a voided posting no longer counts (it is as if never posted)."""

    id: int | None = Field(default=None, primary_key=True)
    claim_pk: int = Field(foreign_key="claim.id", index=True)
    era_id: int = Field(foreign_key="era.id", index=True)
    release_id: int = Field(foreign_key="release.id", index=True)
    rework_id: int | None = Field(default=None, foreign_key="rework.id")
    clp_index: int | None = None  # the CLP's position in the 835
    kind: str  # PostingKind: posted | denied | reversal
    level: str | None = None  # PayerLevel
    payer_id: int | None = Field(default=None, foreign_key="payer.id")
    payer_claim_control: str = ""  # CLP07
    status_code: str = ""  # CLP02
    reverses_id: int | None = Field(default=None, foreign_key="claimposting.id")
    voided: bool = False
    created_at: datetime


class ErrorReportLine(SQLModel, table=True):
    """One line of a released payment's error report, worked until it is closed: reworked (its
    claim payment posted later), closed by hand with a note, or voided with its release."""

    __tablename__ = "errorline"  # type: ignore[assignment]
    __table_args__ = (Index("ix_errorline_state_era", "state", "era_id"),)

    id: int | None = Field(default=None, primary_key=True)
    era_id: int = Field(foreign_key="era.id", index=True)
    release_id: int = Field(foreign_key="release.id", index=True)
    rework_id: int | None = Field(default=None, foreign_key="rework.id")  # reported by a rework
    clp_index: int | None = None
    claim_id: str = ""  # CLP01 as the 835 gives it
    kind: str  # ErrorKind
    text: str
    amount_cents: int | None = Field(default=None, sa_type=BigInteger)
    reworkable: bool = False  # nothing of its claim payment was posted: it can be re-posted
    state: str = "open"  # open | reworked | closed | voided
    closed_at: datetime | None = None
    closed_by: str = ""
    note: str = ""
    closed_by_rework_id: int | None = Field(default=None, foreign_key="rework.id")


class LedgerEntry(SQLModel, table=True):
    """Append-only. ``amount_cents`` is the change to ``party``'s share of the claim balance."""

    __table_args__ = (Index("ix_ledger_claim_party", "claim_pk", "party"),)

    id: int | None = Field(default=None, primary_key=True)
    claim_pk: int = Field(foreign_key="claim.id")
    line_id: int | None = Field(default=None, foreign_key="claimline.id")
    kind: str  # charge | payment | adjustment | transfer | reversal
    party: str  # Party
    amount_cents: int = Field(sa_type=BigInteger)
    code: str = ""  # posting code (PCON, AIWO, ...)
    group_code: str = ""  # CAS group
    reason_code: str = ""  # CARC
    era_id: int | None = Field(default=None, foreign_key="era.id", index=True)
    release_id: int | None = Field(default=None, foreign_key="release.id", index=True)
    payer_id: int | None = Field(default=None, foreign_key="payer.id")
    reverses_id: int | None = Field(default=None, foreign_key="ledgerentry.id")
    batch: str = ""
    memo: str = ""
    created_at: datetime
    created_by: str = ""
    posting_id: int | None = Field(default=None, foreign_key="claimposting.id", index=True)
    rework_id: int | None = Field(default=None, foreign_key="rework.id")


class PlbEntry(SQLModel, table=True):
    """Provider-level adjustments, recorded against the payment (not a claim) on release."""

    id: int | None = Field(default=None, primary_key=True)
    era_id: int = Field(foreign_key="era.id", index=True)
    release_id: int = Field(foreign_key="release.id", index=True)
    provider_id: str
    reason: str
    reference: str = ""
    amount_cents: int = Field(sa_type=BigInteger)


class ClaimStatusChange(SQLModel, table=True):
    """Every change of a claim's status: when, to what, why, and what caused it."""

    id: int | None = Field(default=None, primary_key=True)
    claim_pk: int = Field(foreign_key="claim.id", index=True)
    at: datetime
    status: str
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    source: str  # import | check | correction | submission | acknowledgment | 835 | demo
    submission_id: int | None = Field(default=None, foreign_key="submission.id")
    acknowledgment_id: int | None = None  # the acknowledgment row (mailbox) that caused it
    era_id: int | None = Field(default=None, foreign_key="era.id")
    user_login: str = ""


class ControlCounter(SQLModel, table=True):
    """Control numbers handed out for files pctui writes (ISA13/GS06), taken under a row lock."""

    name: str = Field(primary_key=True)
    value: int = 0


class Submission(SQLModel, table=True):
    """One 837P file pctui wrote for a connection: prepared, then sent or not (and why)."""

    id: int | None = Field(default=None, primary_key=True)
    connection_id: int = Field(foreign_key="payerconnection.id", index=True)
    interchange_control: str = Field(unique=True)  # ISA13, also GS06 and BHT03
    usage: str = "test"  # ISA15 as written: test | production
    file_name: str = ""  # the name it was (or is to be) sent under
    status: str = Field(default="prepared", index=True)  # prepared | sent | not_sent | interrupted
    error: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    claim_count: int = 0
    charge_cents: int = Field(default=0, sa_type=BigInteger)
    sha256: str = ""
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    created_at: datetime = Field(index=True)
    created_by: str = ""
    sent_at: datetime | None = None
    remote_name: str = ""
    ack_status: str = ""  # the latest TA1/999 verdict on the file
    ack_summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))


class SubmissionClaim(SQLModel, table=True):
    """A claim inside a submission: its ST02 and what the acknowledgments said of it there."""

    __table_args__ = (UniqueConstraint("submission_id", "claim_pk", name="uq_submission_claim"),)

    id: int | None = Field(default=None, primary_key=True)
    submission_id: int = Field(foreign_key="submission.id", index=True)
    claim_pk: int = Field(foreign_key="claim.id", index=True)
    claim_id: str = Field(index=True)  # CLM01 as sent
    transaction_control: str = ""  # ST02
    status: str = "submitted"  # submitted | acknowledged | accepted | rejected
    reason: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    payer_claim_number: str = ""  # 277CA REF*1K


class ComplianceRule(SQLModel, table=True):
    """An administrator's compliance edit (core.edits.rule_from_data shape, as JSON)."""

    id: str = Field(primary_key=True)
    definition: str = Field(sa_column=Column(Text, nullable=False))
    active: bool = True
    updated_at: datetime


class MailboxRun(SQLModel, table=True):
    """One poll or send through a connection: who ran it, when, and what came of it."""

    id: int | None = Field(default=None, primary_key=True)
    connection_id: int = Field(foreign_key="payerconnection.id", index=True)
    action: str  # poll | send
    started_at: datetime = Field(index=True)
    finished_at: datetime | None = None
    user_login: str
    status: str  # running | ok | failed
    summary: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))


class MailboxFile(SQLModel, table=True):
    """Every file sent or received through a connection, with its content. A received file is
    known by its remote name and SHA-256 (``receipt_key``), once per connection."""

    __table_args__ = (
        UniqueConstraint("connection_id", "receipt_key", name="uq_mailbox_receipt"),
        Index("ix_mailbox_connection_at", "connection_id", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    connection_id: int = Field(foreign_key="payerconnection.id")
    run_id: int | None = Field(default=None, foreign_key="mailboxrun.id", index=True)
    direction: str = Field(index=True)  # in | out
    name: str  # the file's own name (sent: as given; received: last part of the remote name)
    remote_name: str = ""  # the name on the other side (sent: after the template)
    kind: str = Field(default="other", index=True)  # 835, 999, TA1, 277CA, 837, other
    sha256: str = Field(index=True)
    size: int
    content: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    at: datetime = Field(index=True)
    user_login: str
    result: str = Field(index=True)  # see store.mailbox.Result
    detail: str = Field(default="{}", sa_column=Column(Text, nullable=False, default="{}"))
    receipt_key: str | None = None  # received files: "<sha256>:<remote name>"
    remote_modified: datetime | None = None
    remote_state: str = ""  # "", "deleted from the server", "moved to ..."
    handoff_started_at: datetime | None = None
    imported_file_id: int | None = Field(default=None, foreign_key="importedfile.id")


class MailboxCursor(SQLModel, table=True):
    """Where an API mailbox's list continues from (Claim.MD: last ResponseID, last ERAID)."""

    __table_args__ = (UniqueConstraint("connection_id", "stream", name="uq_mailbox_cursor"),)

    id: int | None = Field(default=None, primary_key=True)
    connection_id: int = Field(foreign_key="payerconnection.id", index=True)
    stream: str  # response | era
    position: str
    updated_at: datetime


class Acknowledgment(SQLModel, table=True):
    """A TA1, 999, 277CA (or Claim.MD claim responses) received: what it answers and whether it
    accepted. ``applied_at`` is set by the claims side once it has updated the claims."""

    id: int | None = Field(default=None, primary_key=True)
    mailbox_file_id: int = Field(foreign_key="mailboxfile.id", unique=True)
    connection_id: int = Field(foreign_key="payerconnection.id", index=True)
    kind: str  # TA1 | 999 | 277CA | claim_md_responses
    control_number: str = ""  # ISA13 of the acknowledgment (Claim.MD: last ResponseID)
    answers: str = "[]"  # JSON: the control numbers / claim ids it answers
    accepted: int = 0
    rejected: int = 0
    outcome: str = "unknown"  # accepted, accepted_with_errors, partly_accepted, rejected
    summary: str = ""
    detail: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    received_at: datetime = Field(index=True)
    applied_at: datetime | None = Field(default=None, index=True)
    applied_note: str = ""


class AcknowledgmentMatch(SQLModel, table=True):
    """What the claims side made of one received acknowledgment (store.acknowledgments): the
    submission it answered, the claims it moved, what it named that pctui never sent."""

    acknowledgment_id: int = Field(foreign_key="acknowledgment.id", primary_key=True)
    submission_id: int | None = Field(default=None, foreign_key="submission.id", index=True)
    matched: bool = Field(default=False, index=True)
    verdict: str = ""
    summary: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    claims: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    unmatched: str = Field(default="[]", sa_column=Column(Text, nullable=False, default="[]"))
    applied_at: datetime
