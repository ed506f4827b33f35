"""The first half of an import: one pass over the file that reads and checks everything, with no
database lock held, into a spool on disk.

Memory stays bounded by the largest payment or claim: each payment (835) or claim (837) is
written to the spool as soon as it is read, with its findings, and dropped. The file's bytes are
copied to the spool as they are read (and hashed), so the second half stores exactly the bytes
that were checked. Anything that makes the file unreadable raises
:class:`~pctui.x12.errors.FileRejected` here, before a single row is written; the second half
(``store/intake.py``) then stores the spool in one transaction.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import IO, Any

from pctui.core.claim import Claim
from pctui.core.claim_json import claim_from_data, claim_to_data
from pctui.core.era import Finding, FindingLog, FindingSource, Remittance, Severity, collapse
from pctui.core.era_json import remittance_to_data
from pctui.core.money import to_cents
from pctui.x12.envelope import X12Stream
from pctui.x12.errors import FileRejected
from pctui.x12.read835 import Reader835
from pctui.x12.read837 import Reader837

_COPY_CHUNK = 1 << 20


def payer_key(era: Remittance) -> str:
    """The payer part of a payment's identity: N1*PR N104 when sent, else the payer's name."""
    return era.payer_id or " ".join(era.payer_name.upper().split())


def era_values(era: Remittance) -> dict[str, Any]:
    """One Era row as plain column values, without the file id and load time (bulk insert)."""
    return {
        "transaction_index": era.transaction_index,
        "control_number": era.control_number,
        "check_number": era.check_number,
        "trn_originator": era.trn_originator or "",
        "payer_key": payer_key(era),
        "payer_name": era.payer_name,
        "inbound_id": era.inbound_id,
        "inbound_id_source": era.inbound_id_source.value,
        "amount_cents": to_cents(era.amount),
        "payment_method": era.payment_method,
        "payment_date": era.payment_date.isoformat() if era.payment_date else None,
        "production_date": era.production_date.isoformat() if era.production_date else None,
        "payee_name": era.payee_name,
        "claim_count": len(era.claims),
        "plb_total_cents": to_cents(era.provider_adjustment_total),
        "status": "pending",
        "detail": json.dumps(remittance_to_data(era), separators=(",", ":")),
    }


def finding_to_data(f: Finding) -> list[Any]:
    return [f.severity.value, f.source.value, f.message, f.segment, f.position, f.count,
            list(f.more_positions)]  # fmt: skip


def finding_from_data(d: list[Any]) -> Finding:
    severity, source, message, segment, position, count, more = d
    return Finding(Severity(severity), FindingSource(source), message, segment, position, count,
                   tuple(more))  # fmt: skip


@dataclass(slots=True)
class SpooledPayment:
    """One payment as read, waiting to be stored: its row values and what identifies it."""

    values: dict[str, Any]
    check_number: str
    payer_key: str
    amount_cents: int
    what: str  # "Payment EFT1 from ACME for 12.50", for findings about it
    first_segment: int
    findings: list[Finding]


@dataclass(slots=True)
class ReadFile:
    """What the first pass found: the file's kind, identity and file-level findings."""

    kind: str
    sha256: str
    size: int
    segments: int
    records: int  # payments (835) or claims (837) in the spool
    findings: list[Finding] = field(default_factory=list)  # file-level, collapsed


class Spool:
    """Temporary files holding the raw bytes and the records of one file being imported."""

    def __init__(self) -> None:
        self.raw: IO[bytes] = tempfile.TemporaryFile(prefix="pctui-import-")
        self.records: IO[str] = tempfile.TemporaryFile(
            "w+", encoding="utf-8", prefix="pctui-records-")  # fmt: skip
        self._sha = hashlib.sha256()
        self.size = 0

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.raw.close()
        self.records.close()

    @property
    def sha256(self) -> str:
        return self._sha.hexdigest()

    def tee(self, chunks: Iterable[bytes]) -> Iterator[bytes]:
        """The chunks as they go by, copied and hashed."""
        for chunk in chunks:
            self._sha.update(chunk)
            self.raw.write(chunk)
            self.size += len(chunk)
            yield chunk

    def raw_chunks(self) -> Iterator[bytes]:
        self.raw.seek(0)
        while chunk := self.raw.read(_COPY_CHUNK):
            yield chunk

    def _write(self, record: object) -> None:
        self.records.write(json.dumps(record, separators=(",", ":")))
        self.records.write("\n")

    def _lines(self) -> Iterator[Any]:
        self.records.seek(0)
        for line in self.records:
            yield json.loads(line)

    def payments(self) -> Iterator[SpooledPayment]:
        for v, check, payer, cents, what, at, found in self._lines():
            yield SpooledPayment(v, check, payer, cents, what, at,
                                 [finding_from_data(f) for f in found])  # fmt: skip

    def claims(self) -> Iterator[Claim]:
        for data in self._lines():
            yield claim_from_data(data)

    # -- the first pass ---------------------------------------------------------------------

    def read(self, chunks: Iterable[bytes]) -> ReadFile:
        """Read, check and spool the whole file; :class:`FileRejected` if it cannot be read."""
        stream = X12Stream(self.tee(chunks))
        kind = stream.peek_kind()
        if kind == "835":
            records, findings = self._read_payments(stream)
        else:
            records, findings = self._read_claims(stream)
        self.records.flush()
        return ReadFile(kind, self.sha256, self.size, stream.segment_count, records, findings)

    def _read_payments(self, stream: X12Stream) -> tuple[int, list[Finding]]:
        reader = Reader835(stream)
        for era in reader:
            what = (f"Payment {era.check_number or '(no trace number)'} from "
                    f"{era.payer_name or era.inbound_id} for {era.amount:.2f}")  # fmt: skip
            self._write([era_values(era), era.check_number, payer_key(era),
                         to_cents(era.amount), what, era.first_segment,
                         [finding_to_data(f) for f in collapse(era.findings)]])  # fmt: skip
        findings = collapse([*stream.findings, *reader.refused])
        if not reader.payments:
            refused = "; ".join(f.message for f in reader.refused[:3])
            raise FileRejected(
                "the file holds no payment" + (f": {refused}" if refused else ""), kind="835")
        return reader.payments, findings

    def _read_claims(self, stream: X12Stream) -> tuple[int, list[Finding]]:
        reader = Reader837(stream)
        try:
            for claim in reader:
                self._write(claim_to_data(claim))
        except FileRejected as exc:
            exc.kind = "837"
            raise
        log = FindingLog()
        log.extend(stream.findings)
        log.extend(reader.transaction_findings)
        log.extend(reader.findings)
        return reader.claims_read, log.findings()
