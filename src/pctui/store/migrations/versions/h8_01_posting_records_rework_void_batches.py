"""posting records, error lines, rework, void, batches (issue 8)

Revision ID: h8_01
Revises: h10_02
Create Date: 2026-12-02 14:00:00

New tables: ``batch`` (unique numbers), ``claimposting`` (each CLP posted on a claim: level,
payer, CLP07, what a reversal undid), ``errorline`` (a released payment's error report, line by
line, worked until closed), ``rework``. ``ledgerentry`` gains ``posting_id`` and ``rework_id``.
``release`` gains the void columns and ``standing_era_id`` (UNIQUE, NULL once voided), and loses
UNIQUE(era_id) so a voided payment can be released again.

Databases made by 0001 are carried over: every release's summary (its per-CLP outcome and level)
and its 835's CLP07 give the posting records, its ledger entries are linked to them, its error
report becomes open error lines, and each batch number used becomes a batch.
"""

from __future__ import annotations

import json
import re

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "h8_01"
down_revision = "h10_02"
branch_labels = None
depends_on = None

_GENERATED = re.compile(r"^B\d{8}-\d+$")


def upgrade() -> None:
    op.create_table(
        "batch",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("number", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("deposit_date", sa.Date(), nullable=False),
        sa.Column("generated", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("number", name="uq_batch_number"),
    )
    op.create_index("ix_batch_deposit_date", "batch", ["deposit_date"])

    op.create_table(
        "rework",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("era_id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("batch", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reworked_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reworked_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("claims_posted", sa.Integer(), nullable=False),
        sa.Column("summary", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["era_id"], ["era.id"]),
        sa.ForeignKeyConstraint(["release_id"], ["release.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("batch", "era_id", "release_id"):
        op.create_index(f"ix_rework_{column}", "rework", [column])

    op.create_table(
        "claimposting",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("claim_pk", sa.Integer(), nullable=False),
        sa.Column("era_id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("rework_id", sa.Integer(), nullable=True),
        sa.Column("clp_index", sa.Integer(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("level", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("payer_id", sa.Integer(), nullable=True),
        sa.Column("payer_claim_control", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("status_code", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reverses_id", sa.Integer(), nullable=True),
        sa.Column("voided", sa.Boolean(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["claim_pk"], ["claim.id"]),
        sa.ForeignKeyConstraint(["era_id"], ["era.id"]),
        sa.ForeignKeyConstraint(["payer_id"], ["payer.id"]),
        sa.ForeignKeyConstraint(["release_id"], ["release.id"]),
        sa.ForeignKeyConstraint(["reverses_id"], ["claimposting.id"]),
        sa.ForeignKeyConstraint(["rework_id"], ["rework.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    for column in ("claim_pk", "era_id", "release_id"):
        op.create_index(f"ix_claimposting_{column}", "claimposting", [column])

    op.create_table(
        "errorline",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("era_id", sa.Integer(), nullable=False),
        sa.Column("release_id", sa.Integer(), nullable=False),
        sa.Column("rework_id", sa.Integer(), nullable=True),
        sa.Column("clp_index", sa.Integer(), nullable=True),
        sa.Column("claim_id", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("amount_cents", sa.BigInteger(), nullable=True),
        sa.Column("reworkable", sa.Boolean(), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("closed_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("closed_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("closed_by_rework_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["closed_by_rework_id"], ["rework.id"]),
        sa.ForeignKeyConstraint(["era_id"], ["era.id"]),
        sa.ForeignKeyConstraint(["release_id"], ["release.id"]),
        sa.ForeignKeyConstraint(["rework_id"], ["rework.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_errorline_era_id", "errorline", ["era_id"])
    op.create_index("ix_errorline_release_id", "errorline", ["release_id"])
    op.create_index("ix_errorline_state_era", "errorline", ["state", "era_id"])

    _ledger_columns()
    _release_columns()
    _carry_over()


def _ledger_columns() -> None:
    """Two nullable references on the biggest table, without copying it."""
    if op.get_bind().dialect.name == "sqlite":  # SQLite adds a column's REFERENCES in place
        op.execute("ALTER TABLE ledgerentry ADD COLUMN posting_id INTEGER "
                   "REFERENCES claimposting (id)")  # fmt: skip
        op.execute("ALTER TABLE ledgerentry ADD COLUMN rework_id INTEGER REFERENCES rework (id)")
    else:
        op.add_column("ledgerentry", sa.Column("posting_id", sa.Integer(), nullable=True))
        op.add_column("ledgerentry", sa.Column("rework_id", sa.Integer(), nullable=True))
        op.create_foreign_key("fk_ledgerentry_posting_id", "ledgerentry", "claimposting",
                              ["posting_id"], ["id"])  # fmt: skip
        op.create_foreign_key("fk_ledgerentry_rework_id", "ledgerentry", "rework",
                              ["rework_id"], ["id"])  # fmt: skip
    op.create_index("ix_ledgerentry_posting_id", "ledgerentry", ["posting_id"])


def _release_columns() -> None:
    bind = op.get_bind()
    new_columns = [
        sa.Column("standing_era_id", sa.Integer(), nullable=True),
        sa.Column("voided_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("voided_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                  server_default=""),
        sa.Column("void_reason", sqlmodel.sql.sqltypes.AutoString(), nullable=False,
                  server_default=""),
    ]  # fmt: skip
    if bind.dialect.name == "sqlite":
        # The table is rebuilt from this description of it, which leaves out UNIQUE(era_id).
        existing = sa.Table(
            "release", sa.MetaData(),
            sa.Column("id", sa.Integer(), primary_key=True),
            sa.Column("era_id", sa.Integer(), sa.ForeignKey("era.id"), nullable=False),
            sa.Column("deposit_date", sa.Date(), nullable=False),
            sa.Column("batch", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
            sa.Column("released_by", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
            sa.Column("released_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
            sa.Column("status", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
            sa.Column("claims_posted", sa.Integer(), nullable=False),
            sa.Column("error_report", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
            sa.Column("summary", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
            sa.Index("ix_release_batch", "batch"),
        )  # fmt: skip
        with op.batch_alter_table("release", copy_from=existing, recreate="always") as batch:
            for column in new_columns:
                batch.add_column(column)
    else:
        for constraint in sa.inspect(bind).get_unique_constraints("release"):
            if constraint["column_names"] == ["era_id"]:
                op.drop_constraint(constraint["name"], "release", type_="unique")
        for column in new_columns:
            op.add_column("release", column)
    op.create_index("ix_release_era_id", "release", ["era_id"])
    op.execute("UPDATE release SET standing_era_id = era_id")
    op.create_index("ix_release_standing_era_id", "release", ["standing_era_id"], unique=True)


# -- carrying over what 0001 released ------------------------------------------------------------

_KINDS = (  # error-report text -> kind, for lines written before kinds were stored
    ("Patient account was not found", "not_found"),
    ("combination was not found", "line_not_found"),
    ("adjustment excluded", "excluded"),
    ("No payer rule", "no_rule"),
    ("payer rule for Inbound ID", "no_rule"),
    ("is not set up in pctui", "no_rule"),
    ("insurance to post this", "no_insurance"),
    ("Claim status", "status"),
    ("No earlier posting", "nothing_to_reverse"),
    ("Reversal amount", "reversal_amount"),
    ("Claim payment", "unexplained"),
)
_NOT_POSTED = ("not_found", "not_posted")


def _kind_of(text: str) -> str:
    return next((kind for words, kind in _KINDS if words in text), "status")


def _carry_over() -> None:
    bind = op.get_bind()
    releases = bind.execute(sa.text(
        "SELECT r.id, r.era_id, r.batch, r.deposit_date, r.released_by, r.released_at, "
        "r.summary, r.error_report, e.detail FROM release r JOIN era e ON e.id = r.era_id "
        "ORDER BY r.id"
    )).all()  # fmt: skip
    batches: dict[str, tuple] = {}
    for release_id, era_id, batch, deposit, by, at, summary, report, detail in releases:
        batches.setdefault(batch, (deposit, by, at))
        _carry_over_release(bind, release_id, era_id, at, json.loads(summary or "{}"),
                            json.loads(report or "[]"), json.loads(detail or "{}"))  # fmt: skip
    batch_table = sa.table("batch", sa.column("number"), sa.column("deposit_date"),
                           sa.column("generated"), sa.column("created_at"),
                           sa.column("created_by"))  # fmt: skip
    rows = [{"number": number, "deposit_date": deposit, "generated": bool(_GENERATED.match(number)),
             "created_at": at, "created_by": by}
            for number, (deposit, by, at) in batches.items()]  # fmt: skip
    if rows:
        op.bulk_insert(batch_table, rows)


def _carry_over_release(bind, release_id, era_id, at, summary, report, detail) -> None:  # noqa: ANN001
    clps = detail.get("claims", [])
    payer_id = summary.get("payer_id")
    claimed = summary.get("claims", [])
    reported = set()
    for index, claim in enumerate(claimed):
        clp = clps[index] if index < len(clps) else {}
        outcome = claim.get("outcome")
        for text in claim.get("errors", []):
            reported.add(text)
            _error_line(bind, era_id, release_id, index, claim["claim_id"], text,
                        reworkable=outcome in _NOT_POSTED)  # fmt: skip
        kind = {"posted": "posted", "reversed": "reversal", "denied": "denied"}.get(outcome)
        if kind is None:
            continue
        claim_pk = bind.execute(sa.text("SELECT id FROM claim WHERE claim_id = :c"),
                                {"c": claim["claim_id"]}).scalar()  # fmt: skip
        if claim_pk is None:
            continue
        posting_id = bind.execute(sa.text(
            "INSERT INTO claimposting (claim_pk, era_id, release_id, clp_index, kind, level, "
            "payer_id, payer_claim_control, status_code, voided, created_at) VALUES (:claim, "
            ":era, :release, :index, :kind, :level, :payer, :control, :status, :voided, :at) "
            "RETURNING id"
        ), {"claim": claim_pk, "era": era_id, "release": release_id, "index": index, "kind": kind,
            "level": claim.get("level"), "payer": payer_id,
            "control": (clp.get("payer_claim_control") or "").strip(),
            "status": claim.get("status_code", ""), "voided": False, "at": at}).scalar()  # fmt: skip
        reversal = "= 'reversal'" if kind == "reversal" else "<> 'reversal'"
        bind.execute(sa.text(
            f"UPDATE ledgerentry SET posting_id = :posting WHERE release_id = :release AND "
            f"claim_pk = :claim AND kind {reversal}"
        ), {"posting": posting_id, "release": release_id, "claim": claim_pk})  # fmt: skip
        if kind == "reversal":
            target = bind.execute(sa.text(
                "SELECT o.posting_id FROM ledgerentry r JOIN ledgerentry o ON o.id = r.reverses_id "
                "WHERE r.posting_id = :posting AND o.posting_id IS NOT NULL"
            ), {"posting": posting_id}).scalar()  # fmt: skip
            bind.execute(sa.text(
                "UPDATE claimposting SET reverses_id = :target, level = (SELECT t.level FROM "
                "claimposting t WHERE t.id = :target) WHERE id = :id"
            ), {"target": target, "id": posting_id})  # fmt: skip
    for text in report:  # lines the summary did not carry (none expected; kept to be safe)
        if text not in reported:
            _error_line(bind, era_id, release_id, None, text.split(":", 1)[0], text, False)


def _error_line(bind, era_id, release_id, index, claim_id, text, reworkable) -> None:  # noqa: ANN001
    bind.execute(sa.text(
        "INSERT INTO errorline (era_id, release_id, clp_index, claim_id, kind, text, reworkable, "
        "state, closed_by, note) VALUES (:era, :release, :index, :claim, :kind, :text, "
        ":reworkable, 'open', '', '')"
    ), {"era": era_id, "release": release_id, "index": index, "claim": claim_id,
        "kind": _kind_of(text), "text": text, "reworkable": reworkable})  # fmt: skip


def downgrade() -> None:
    raise NotImplementedError("pctui migrations go forward only; restore a backup instead")
