"""Every public real-world 835 and 837 file in ``shared/fixtures/x12/realworld/`` through the
intake (``pctui import``'s path, full validation included for small files), one fresh database
per file: what happens to each file, and why (SOURCES.md says where each came from).

For every file, whatever its outcome: a refusal names the file and says why in a biller's
words; no finding quotes pyx12's internals; the same finding never appears twice; and the
payments (or claims) stored are exactly those an independent, naive reading of the file finds.
"""

from __future__ import annotations

import re
import shutil
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import pytest
from sqlmodel import select
from tests.conftest import FIXTURES

from pctui.store import intake, users
from pctui.store.db import Store
from pctui.store.tables import Claim, Era

REALWORLD = FIXTURES / "realworld"


class Expect(NamedTuple):
    status: str  # imported | duplicate | rejected
    kind: str  # "835", "837", or "" when refused before the kind was known
    stored: int  # payments or claims created
    says: list[str]  # in the refusal, or among the findings
    why: str


EXPECTED: dict[str, Expect] = {
    '835/affect-exhaustive_sample.txt': Expect('rejected', '', 0, ["not an X12 file: it should begin with 'ISA' but begins with 'ST*835*00"],
                 'a transaction set without its ISA header: its delimiters cannot be read for certain'),
    '835/affect-nevada_medicaid.isa-padded.txt': Expect('imported', '835', 3, ["IEA02 control number '100000301' does not match ISA13 '100000300'"],
                 'the same file with its ISA padded to fixed widths: read the same way'),
    '835/affect-nevada_medicaid.txt': Expect('imported', '835', 3, ['The ISA header is 72 characters long, not 106: its elemen', "IEA02 control number '100000301' does not match ISA13 '100000300'"],
                 'an ISA not padded to fixed widths: read by its delimiters, with a warning'),
    '835/affect-sample_835.txt': Expect('rejected', '835', 0, ["segment 23 (CAS), element 03: the adjustment amount 'amount' is not an"],
                 'a template with placeholder words where amounts go: money that is not exact refuses the file'),
    '835/affect-sample_835_with_interests.txt': Expect('rejected', '835', 0, ["segment 23 (CAS), element 03: the adjustment amount 'amount' is not an"],
                 'a template with placeholder words where amounts go: money that is not exact refuses the file'),
    '835/chs-test.835': Expect('imported', '835', 1, ['Claim PATIENTACCOUNT01 does not balance: charge 2000.00 minus payment '],
                 'a readable 835: its payments stored, problems as findings'),
    '835/clawd-sample_835.edi': Expect('imported', '835', 1, ['The ISA header is 104 characters long, not 106: its eleme', 'Service line 99213 of claim CLP001 does not balance: charge 250.00 min'],
                 'an ISA not padded to fixed widths: read by its delimiters, with a warning'),
    '835/clawd-sample_835.isa-padded.edi': Expect('imported', '835', 1, ['Service line 99213 of claim CLP001 does not balance: charge 250.00 min', 'Claim CLP001 does not balance: charge 0.00 minus payment 0.00 is 0.00 '],
                 'the same file with its ISA padded to fixed widths: read the same way'),
    '835/clawd-sample_835_alt_delimiters.edi': Expect('imported', '835', 1, ['The ISA header is 104 characters long, not 106: its eleme', "SVC01 (procedure) separates its parts with ':' but the file declares '"],
                 'an ISA not padded to fixed widths: read by its delimiters, with a warning'),
    '835/clawd-sample_835_alt_delimiters.isa-padded.edi': Expect('imported', '835', 1, ["SVC01 (procedure) separates its parts with ':' but the file declares '", 'Service line 99213 of claim 123456 does not balance: charge 500.00 min'],
                 'the same file with its ISA padded to fixed widths: read the same way'),
    '835/clawd-sample_835_balancing.edi': Expect('imported', '835', 1, ['The ISA header is 105 characters long, not 106: its eleme', 'Service line 99213 of claim BADCLAIM001 does not balance: charge 1500.'],
                 'an ISA not padded to fixed widths: read by its delimiters, with a warning'),
    '835/clawd-sample_835_balancing.isa-padded.edi': Expect('imported', '835', 1, ['Service line 99213 of claim BADCLAIM001 does not balance: charge 1500.', 'Claim BADCLAIM001 does not balance: charge 1.00 minus payment 750.00 i'],
                 'the same file with its ISA padded to fixed widths: read the same way'),
    '835/clawd-sample_835_discrepancy.edi': Expect('imported', '835', 1, ['The ISA header is 105 characters long, not 106: its eleme', 'Service line 99213 of claim CLP001 does not balance: charge 250.00 min'],
                 'an ISA not padded to fixed widths: read by its delimiters, with a warning'),
    '835/clawd-sample_835_discrepancy.isa-padded.edi': Expect('imported', '835', 1, ['Service line 99213 of claim CLP001 does not balance: charge 250.00 min', 'Claim CLP001 does not balance: charge 3.00 minus payment 0.00 is 3.00 '],
                 'the same file with its ISA padded to fixed widths: read the same way'),
    '835/clawd-sample_835_repetition_sep.edi': Expect('imported', '835', 1, ['The ISA header is 104 characters long, not 106: its eleme', 'Service line 99213+99214+99215 of claim CLP001 does not balance: charg'],
                 'an ISA not padded to fixed widths: read by its delimiters, with a warning'),
    '835/clawd-sample_835_repetition_sep.isa-padded.edi': Expect('imported', '835', 1, ['Service line 99213+99214+99215 of claim CLP001 does not balance: charg', 'Claim CLP001 does not balance: charge 0.00 minus payment 0.00 is 0.00 '],
                 'the same file with its ISA padded to fixed widths: read the same way'),
    '835/clawd-sample_835_rich.edi': Expect('imported', '835', 1, ['The ISA header is 105 characters long, not 106: its eleme', 'Claim CLP001 does not balance: charge 0.00 minus payment 0.00 is 0.00 '],
                 'an ISA not padded to fixed widths: read by its delimiters, with a warning'),
    '835/clawd-sample_835_rich.isa-padded.edi': Expect('imported', '835', 1, ['Claim CLP001 does not balance: charge 0.00 minus payment 0.00 is 0.00 ', 'Service line 99214 of claim CLP002 does not balance: charge 300.00 min'],
                 'the same file with its ISA padded to fixed widths: read the same way'),
    '835/clawd-sample_empty_transaction.edi': Expect('rejected', '835', 0, ['the file holds no payment: Transaction set 0001 (segments 3-4, nothing'],
                 'an ST/SE with nothing inside is not a payment (no BPR/TRN); nothing else in the file'),
    '835/clawd-sample_empty_transaction.isa-padded.edi': Expect('rejected', '835', 0, ['the file holds no payment: Transaction set 0001 (segments 3-4, nothing'],
                 'an ST/SE with nothing inside is not a payment (no BPR/TRN); nothing else in the file'),
    '835/clawd-sample_missing_ge.edi': Expect('rejected', '835', 0, ["truncated or damaged: the functional group '1' that starts at segment "],
                 'a functional group without its GE trailer: truncated or damaged'),
    '835/clawd-sample_missing_ge.isa-padded.edi': Expect('rejected', '835', 0, ["truncated or damaged: the functional group '1' that starts at segment "],
                 'a functional group without its GE trailer: truncated or damaged'),
    '835/clawd-sample_missing_iea.edi': Expect('rejected', '835', 0, ['truncated: the interchange that starts at segment 1 has no IEA trailer'],
                 'cut short: no IEA trailer'),
    '835/clawd-sample_missing_iea.isa-padded.edi': Expect('rejected', '835', 0, ['truncated: the interchange that starts at segment 1 has no IEA trailer'],
                 'cut short: no IEA trailer'),
    '835/clawd-sample_missing_se.edi': Expect('imported', '835', 1, ['The ISA header is 104 characters long, not 106: its eleme', 'Payment amount 500.00 (BPR02) does not equal claim payments 0.00 minus'],
                 'an ISA not padded to fixed widths: read by its delimiters, with a warning'),
    '835/clawd-sample_missing_se.isa-padded.edi': Expect('imported', '835', 1, ['Payment amount 500.00 (BPR02) does not equal claim payments 0.00 minus'],
                 'the same file with its ISA padded to fixed widths: read the same way'),
    '835/clawd-sample_multi_interchange.edi': Expect('rejected', '835', 0, ['the file mixes 835 and 837 transaction sets; import them as separate f'],
                 '835 and 837 transaction sets in one file'),
    '835/clawd-sample_multi_interchange.isa-padded.edi': Expect('rejected', '835', 0, ['the file mixes 835 and 837 transaction sets; import them as separate f'],
                 '835 and 837 transaction sets in one file'),
    '835/clawd-sample_multi_transaction.edi': Expect('imported', '835', 3, ['The ISA header is 105 characters long, not 106: its eleme', "GE01 says the functional group holds '1' transaction sets but it holds"],
                 'an ISA not padded to fixed widths: read by its delimiters, with a warning'),
    '835/clawd-sample_multi_transaction.isa-padded.edi': Expect('imported', '835', 3, ["GE01 says the functional group holds '1' transaction sets but it holds", "GE02 control number '3' does not match GS06 '1'"],
                 'the same file with its ISA padded to fixed widths: read the same way'),
    '835/clawd-sample_orphan_body_segment.edi': Expect('imported', '835', 1, ['The ISA header is 104 characters long, not 106: its eleme', 'Service line 99213 of claim CLP001 does not balance: charge 500.00 min'],
                 'an ISA not padded to fixed widths: read by its delimiters, with a warning'),
    '835/clawd-sample_orphan_body_segment.isa-padded.edi': Expect('imported', '835', 1, ['Service line 99213 of claim CLP001 does not balance: charge 500.00 min', 'Payment amount 500.00 (BPR02) does not equal claim payments 0.00 minus'],
                 'the same file with its ISA padded to fixed widths: read the same way'),
    '835/clawd-sample_se_count_wrong.edi': Expect('imported', '835', 1, ['The ISA header is 104 characters long, not 106: its eleme', 'Service line 99213 of claim CLP001 does not balance: charge 1000.00 mi'],
                 'an ISA not padded to fixed widths: read by its delimiters, with a warning'),
    '835/clawd-sample_se_count_wrong.isa-padded.edi': Expect('imported', '835', 1, ['Service line 99213 of claim CLP001 does not balance: charge 1000.00 mi', 'Payment amount 1000.00 (BPR02) does not equal claim payments 0.00 minu'],
                 'the same file with its ISA padded to fixed widths: read the same way'),
    '835/clawd-sample_trailing_whitespace.edi': Expect('imported', '835', 1, ['The ISA header is 104 characters long, not 106: its eleme', 'Service line 99213 of claim CLP001 does not balance: charge 250.00 min'],
                 'an ISA not padded to fixed widths: read by its delimiters, with a warning'),
    '835/clawd-sample_trailing_whitespace.isa-padded.edi': Expect('imported', '835', 1, ['Service line 99213 of claim CLP001 does not balance: charge 250.00 min', 'Claim CLP001 does not balance: charge 0.00 minus payment 0.00 is 0.00 '],
                 'the same file with its ISA padded to fixed widths: read the same way'),
    '835/clawd-sample_whitespace_irregular.edi': Expect('imported', '835', 1, ['The ISA header is 102 characters long, not 106: its eleme', 'Service line 99213 of claim CLM001 does not balance: charge 800.00 min'],
                 'an ISA not padded to fixed widths: read by its delimiters, with a warning'),
    '835/clawd-sample_whitespace_irregular.isa-padded.edi': Expect('imported', '835', 1, ['Service line 99213 of claim CLM001 does not balance: charge 800.00 min', 'Claim CLM001 does not balance: charge 0.00 minus payment 0.00 is 0.00 '],
                 'the same file with its ISA padded to fixed widths: read the same way'),
    '835/keiron-blue_cross_nc_sample.txt': Expect('rejected', '', 0, ["not an X12 file: it should begin with 'ISA' but begins with 'ST*835*12"],
                 'a transaction set without its ISA header: its delimiters cannot be read for certain'),
    '835/keiron-emedny_sample.txt': Expect('imported', '835', 1, [],
                 'a readable 835: its payments stored, problems as findings'),
    '835/keiron-united_healthcare_legacy_sample.txt': Expect('imported', '835', 1, [],
                 'a readable 835: its payments stored, problems as findings'),
    '835/lance-EdiTools.Tests-835Body.txt': Expect('imported', '835', 1, ["ISA12 says version '00400'; read as 00401, the nearest ve", "IEA02 control number '004075123' does not match ISA13 '000003438'"],
                 'composites written with another separator than ISA16: read, with a finding'),
    '835/lance-Sample1.edi': Expect('imported', '835', 1, ["GE01 says the functional group holds '10' transaction sets but it hold", "GE02 control number '2' does not match GS06 '1'", 'Payment 051036622050010 from BCBS DISNEY for 391.05 is repeated in this file; stored once (at segment 34)'],
                 'the same payment twice in one file: stored once, one finding with a count'),
    '835/lance-Sample2.edi': Expect('imported', '835', 1, ["GE01 says the functional group holds '10' transaction sets but it hold"],
                 'a readable 835: its payments stored, problems as findings'),
    '835/lance-Sample3.edi': Expect('imported', '835', 1, ["GE01 says the functional group holds '10' transaction sets but it hold"],
                 'a readable 835: its payments stored, problems as findings'),
    '835/pyx12-x12testdata-835id.txt': Expect('imported', '835', 1, ['This is a 4010 remittance (004010X091A1), the format used before 5010;', 'Payment amount 5950.21 (BPR02) does not equal claim payments -510.25 m'],
                 'a 4010 file: read and said so in words'),
    '835/pyx12-x12testdata-bad_header_looping.txt': Expect('imported', '835', 1, ['This is a 4010 remittance (004010X091A1), the format used before 5010;'],
                 'a 4010 file: read and said so in words'),
    '835/pyx12-x12testdata-mult_isa.txt': Expect('rejected', '', 0, ["wrong transaction set: ST01 at segment 3 is '278'; only 835 (remittanc"],
                 'a 278 (prior authorization), not a remittance or a claim'),
    '835/pyx12-x12testdata-multiple_trn.txt': Expect('rejected', '', 0, ["wrong transaction set: ST01 at segment 3 is '278'; only 835 (remittanc"],
                 'a 278 (prior authorization), not a remittance or a claim'),
    '835/stupidedi-X091A1-case-1.edi': Expect('imported', '835', 1, ['The ISA header is 122 characters long, not 106: its eleme', 'This is a 4010 remittance (004010X091A1), the format used before 5010;'],
                 'an ISA not padded to fixed widths: read by its delimiters, with a warning'),
    '835/stupidedi-X091A1-case-1.isa-padded.edi': Expect('imported', '835', 1, ['This is a 4010 remittance (004010X091A1), the format used before 5010;'],
                 'the same file with its ISA padded to fixed widths: read the same way'),
    '835/stupidedi-X221-case-1.edi': Expect('rejected', '', 0, ["not an X12 file: it should begin with 'ISA' but begins with 'Business "],
                 'prose before the ISA: not an X12 file as received (the reason says where the ISA starts)'),
    '835/stupidedi-X221-case-2.edi': Expect('rejected', '', 0, ["not an X12 file: it should begin with 'ISA' but begins with 'Business "],
                 'prose before the ISA: not an X12 file as received (the reason says where the ISA starts)'),
    '835/stupidedi-X221-case-3a.edi': Expect('rejected', '', 0, ["not an X12 file: it should begin with 'ISA' but begins with 'Business "],
                 'prose before the ISA: not an X12 file as received (the reason says where the ISA starts)'),
    '835/stupidedi-X221A1-dollars-and-data-sent-separate.edi': Expect('imported', '835', 1, [],
                 'a readable 835: its payments stored, problems as findings'),
    '835/stupidedi-X221A1-dollars-and-data-sent-together.edi': Expect('imported', '835', 1, [],
                 'a readable 835: its payments stored, problems as findings'),
    '835/stupidedi-X221A1-era-sample.edi': Expect('imported', '835', 1, [],
                 'a readable 835: its payments stored, problems as findings'),
    '835/stupidedi-X221A1-multiple-claims-single-check.edi': Expect('imported', '835', 1, [],
                 'a readable 835: its payments stored, problems as findings'),
    '835/stupidedi-X221A1-secondary-payment-with-higher-fee-schedule.edi': Expect('imported', '835', 1, [],
                 'a readable 835: its payments stored, problems as findings'),
    '835/stupidedi-X221A1-secondary-payments.edi': Expect('imported', '835', 1, [],
                 'a readable 835: its payments stored, problems as findings'),
    '835/stupidedi-X221A1-tertiary-payments.edi': Expect('imported', '835', 1, [],
                 'a readable 835: its payments stored, problems as findings'),
    '835/stupidedi-samples-835-1.txt': Expect('imported', '835', 1, ['This 835 names the 5010 remittance guide before its 2011 addenda (0050', 'Full validation: pctui checks 835s against the 5010 remittance guide with its 2011 addenda (005010X221A1)'],
                 'the pre-addenda 5010 guide (X221): read, said in words, validated against X221A1'),
    '835/stupidedi-samples-835-2.txt': Expect('imported', '835', 1, ['This 835 names the 5010 remittance guide before its 2011 addenda (0050', 'Full validation: pctui checks 835s against the 5010 remittance guide with its 2011 addenda (005010X221A1)'],
                 'the pre-addenda 5010 guide (X221): read, said in words, validated against X221A1'),
    '835/stupidedi-samples-835-3a.txt': Expect('imported', '835', 1, ['This 835 names the 5010 remittance guide before its 2011 addenda (0050', 'Full validation: pctui checks 835s against the 5010 remittance guide with its 2011 addenda (005010X221A1)'],
                 'the pre-addenda 5010 guide (X221): read, said in words, validated against X221A1'),
    '835/stupidedi-samples-835-3b.txt': Expect('imported', '835', 1, ['This 835 names the 5010 remittance guide before its 2011 addenda (0050', 'Service line 11040 of claim 0001000054 does not balance: charge 24599.'],
                 'the pre-addenda 5010 guide (X221): read, said in words, validated against X221A1'),
    '835/stupidedi-samples-835-3c.txt': Expect('imported', '835', 1, ['This 835 names the 5010 remittance guide before its 2011 addenda (0050', 'Full validation: pctui checks 835s against the 5010 remittance guide with its 2011 addenda (005010X221A1)'],
                 'the pre-addenda 5010 guide (X221): read, said in words, validated against X221A1'),
    '835/tasty-errorISA.edi': Expect('imported', '835', 1, ["IEA02 control number '006000600' does not match ISA13 '106000600'"],
                 'a readable 835: its payments stored, problems as findings'),
    '835/tasty-multi-line-not-delimited.edi': Expect('imported', '835', 1, [],
                 'a readable 835: its payments stored, problems as findings'),
    '835/tasty-oneLine-2-ISA.edi': Expect('imported', '835', 1, ['Payment 10100000000 from NYSDOH for 1481.99 is repeated in this file; stored once (at segment 38)'],
                 'the same payment twice in one file: stored once, one finding with a count'),
    '835/tasty-profee-multiple.edi': Expect('imported', '835', 1, ['Payment 10100000000 from NYSDOH for 45.75 is repeated in this file; stored once (155 times: segments 72, 141, 210, 279, 348 and more)'],
                 'the same payment twice in one file: stored once, one finding with a count'),
    '835/tasty-profee.edi': Expect('imported', '835', 1, [],
                 'a readable 835: its payments stored, problems as findings'),
    '837/clawd-sample_837_prof.edi': Expect('imported', '837', 1, ['The ISA header is 105 characters long, not 106: its eleme', "Claim CLM001: primary payer 'INSURANCE COMPANY' (ID BCBS001) is not se"],
                 'an ISA not padded to fixed widths: read by its delimiters, with a warning'),
    '837/clawd-sample_837_prof.isa-padded.edi': Expect('imported', '837', 1, ["Claim CLM001: primary payer 'INSURANCE COMPANY' (ID BCBS001) is not se"],
                 'the same file with its ISA padded to fixed widths: read the same way'),
    '837/clawd-sample_837_prof_rich.edi': Expect('imported', '837', 2, ['The ISA header is 105 characters long, not 106: its eleme', 'Claim CLM001: the primary payer has no name or ID (loop 2010BB NM1*PR '],
                 'an ISA not padded to fixed widths: read by its delimiters, with a warning'),
    '837/clawd-sample_837_prof_rich.isa-padded.edi': Expect('imported', '837', 2, ['Claim CLM001: the primary payer has no name or ID (loop 2010BB NM1*PR ', 'Claim CLM002: the primary payer has no name or ID (loop 2010BB NM1*PR '],
                 'the same file with its ISA padded to fixed widths: read the same way'),
    '837/imsweb-x12_bad_first_line.txt': Expect('imported', '837', 2, ['ISA11 should be the repetition separator in a 00501 inter', 'The ISA header is 105 characters long, not 106: its eleme'],
                 'an ISA not padded to fixed widths: read by its delimiters, with a warning'),
    '837/imsweb-x12_bad_segment_identifier.txt': Expect('imported', '837', 2, ['ISA11 should be the repetition separator in a 00501 inter', 'Claim A37YH556: total charge 500.00 (CLM02) does not equal the sum of '],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/imsweb-x12_complex.txt': Expect('imported', '837', 3, ['ISA11 should be the repetition separator in a 00501 inter', "GE01 says the functional group holds '1' transaction sets but it holds"],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/imsweb-x12_many_claims.txt': Expect('imported', '837', 2, ['ISA11 should be the repetition separator in a 00501 inter', 'Claim A37YH556: total charge 500.00 (CLM02) does not equal the sum of '],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/imsweb-x12_missing_elements.txt': Expect('imported', '837', 2, ['ISA11 should be the repetition separator in a 00501 inter', 'Claim A37YH556: total charge 500.00 (CLM02) does not equal the sum of '],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/imsweb-x12_multiple_gs.txt': Expect('imported', '837', 2, ['ISA11 should be the repetition separator in a 00501 inter', "IEA01 says the interchange holds '1' functional groups but it holds 3"],
                 'a claim number reused in one file with other content: kept apart as a conflict'),
    '837/imsweb-x12_multiple_isa.txt': Expect('imported', '837', 4, ['ISA11 should be the repetition separator in a 00501 inter', 'Segment count in SE01 is '],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/imsweb-x12_multiple_st.txt': Expect('imported', '837', 2, ['ISA11 should be the repetition separator in a 00501 inter', "GE01 says the functional group holds '1' transaction sets but it holds"],
                 'a claim number reused in one file with other content: kept apart as a conflict'),
    '837/imsweb-x12_no_isa_line.txt': Expect('rejected', '', 0, ["not an X12 file: it should begin with 'ISA' but begins with 'GS*HC*SEN"],
                 'a transaction set without its ISA header: its delimiters cannot be read for certain'),
    '837/imsweb-x12_segments_out_of_order.txt': Expect('imported', '837', 2, ['ISA11 should be the repetition separator in a 00501 inter', 'Claim A37YH556: total charge 500.00 (CLM02) does not equal the sum of '],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/imsweb-x12_valid.txt': Expect('imported', '837', 2, ['ISA11 should be the repetition separator in a 00501 inter', 'Claim A37YH556: total charge 500.00 (CLM02) does not equal the sum of '],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/imsweb-x12_valid_different_separators.txt': Expect('imported', '837', 2, ['ISA11 should be the repetition separator in a 00501 inter', 'Claim A37YH556: total charge 500.00 (CLM02) does not equal the sum of '],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/imsweb-x223-test.txt': Expect('rejected', '837', 0, ['segment 3 (ST): 005010X223A2 is an 837I (institutional) claim; pctui r'],
                 'an institutional claim (837I): pctui reads professional claims'),
    '837/lfh-demo.ambulance.example5.837': Expect('imported', '837', 1, ["Claim 051068: primary payer 'MEDICARE PART B' (ID 123245) is not set u"],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/lfh-demo.autoaccident.837': Expect('imported', '837', 1, ["Claim 900000032: primary payer 'HEISMAN INSURANCE COMPANY' (ID 9998887"],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/lfh-demo.cob.2ndary.example4.837': Expect('imported', '837', 1, ["CLM05 (place of service and frequency) separates its parts with '>' bu", "SV101 (procedure) separates its parts with '>' but the file declares '"],
                 'composites written with another separator than ISA16: read, with a finding'),
    '837/lfh-demo.cob.example3.B.837': Expect('imported', '837', 1, ["Claim 26407789: secondary payer 'GREAT PRAIRIES HEALTH' (ID 567890) is", "Claim 26407789: primary payer 'KEY INSURANCE COMPANY' (ID 999996666) i"],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/lfh-demo.cob.example3.C.837': Expect('imported', '837', 1, ["Claim 26407789: secondary payer 'GREAT PRAIRIES HEALTH' (ID 567890) is", "Claim 26407789: primary payer 'KEY INSURANCE COMPANY' (ID 999996666) i"],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/lfh-demo.cob.example4.837': Expect('imported', '837', 1, ["Claim 101KEN6055: secondary payer 'MEDICARE' (ID 10234) is not set up ", "Claim 101KEN6055: primary payer 'COMMERCE' (ID 59999) is not set up in"],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/lfh-demo.drug.example10.1.837': Expect('imported', '837', 1, ["Claim CLMNO12345: primary payer 'R&R Health Plan' (ID PLANID12345) is "],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/lfh-demo.drug.example10.2.837': Expect('imported', '837', 1, ["Claim CLMNO12345: primary payer 'R&R Health Plan' (ID PLANID12345) is "],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/lfh-demo.drug.example10.3.837': Expect('imported', '837', 1, ["Claim CLMNO12345: primary payer 'R&R Health Plan' (ID PLANID12345) is "],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/lfh-demo.example11.837': Expect('imported', '837', 1, ["CLM05 (place of service and frequency) separates its parts with '>' bu", "SV101 (procedure) separates its parts with '>' but the file declares '"],
                 'composites written with another separator than ISA16: read, with a finding'),
    '837/lfh-demo.example12.837': Expect('imported', '837', 1, ["CLM05 (place of service and frequency) separates its parts with '>' bu", "SV101 (procedure) separates its parts with '>' but the file declares '"],
                 'composites written with another separator than ISA16: read, with a finding'),
    '837/lfh-demo.example2.837': Expect('imported', '837', 1, ["Claim 26462967: primary payer 'ALLIANCE HEALTH AND LIFE INSURANCE' (ID"],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/lfh-demo.example7.837': Expect('imported', '837', 1, ["Claim R03996273 #01: primary payer 'DMERC CARRIER' (ID 99999) is not s"],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/lfh-demo.example8.837': Expect('imported', '837', 1, ["Claim SMI123: primary payer 'DMERC CARRIER' (ID 99999) is not set up i"],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/lfh-demo.example9.837': Expect('imported', '837', 1, ["CLM05 (place of service and frequency) separates its parts with '>' bu", "SV101 (procedure) separates its parts with '>' but the file declares '"],
                 'composites written with another separator than ISA16: read, with a finding'),
    '837/pyx12-x12testdata-fail_no_IEA.txt': Expect('rejected', '837', 0, ['truncated: the interchange that starts at segment 1 has no IEA trailer'],
                 'cut short: no IEA trailer'),
    '837/pyx12-x12testdata-simple_837p.txt': Expect('imported', '837', 2, ['This is a 4010 claim file (004010X098A1), the format used before 5010;', 'Claim 3215338: primary payer is named twice; the first is kept'],
                 'a 4010 file: read and said so in words'),
    '837/stupidedi-X222-case-1.edi': Expect('rejected', '', 0, ["not an X12 file: it should begin with 'ISA' but begins with 'Example 1"],
                 'prose before the ISA: not an X12 file as received (the reason says where the ISA starts)'),
    '837/stupidedi-X222A1-COB-claim-from-billing-provider-to-payer-a.edi': Expect('imported', '837', 1, ["Claim 26407789: primary payer 'KEY INSURANCE COMPANY' (ID 999996666) i", "Claim 26407789: secondary payer 'KEY INSURANCE COMPANY' (ID 999996666)"],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/stupidedi-X222A1-COB-claim-from-billing-provider-to-payer-b.edi': Expect('imported', '837', 1, ["Claim 26407789: secondary payer 'GREAT PRAIRIES HEALTH' (ID 567890) is", "Claim 26407789: primary payer 'KEY INSURANCE COMPANY' (ID 999996666) i"],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/stupidedi-X222A1-COB-claim-from-payer-a-to-payer-b-in-payer-to-payer.edi': Expect('imported', '837', 1, ["Claim 26407789: secondary payer 'GREAT PRAIRIES HEALTH' (ID 567890) is", "Claim 26407789: primary payer 'KEY INSURANCE COMPANY' (ID 999996666) i"],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/stupidedi-X222A1-ambulance.edi': Expect('imported', '837', 1, ["Claim 051068: primary payer 'MEDICARE PART B' (ID 123245) is not set u"],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/stupidedi-X222A1-anesthesia.edi': Expect('imported', '837', 1, ["Claim 153829140: primary payer 'ABC PAYER' (ID 05440) is not set up in"],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/stupidedi-X222A1-chiropractic.edi': Expect('imported', '837', 1, ["Claim 125WILL: primary payer 'MEDICARE PART B MARYLAND' (ID C12345) is"],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/stupidedi-X222A1-commercial-health-insurance.edi': Expect('imported', '837', 1, ["Claim 26463774: primary payer 'KEY INSURANCE COMPANY' (ID 999996666) i"],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/stupidedi-X222A1-drug-administered-in-the-physician-office.edi': Expect('imported', '837', 1, ["Claim CLMNO12345: primary payer 'R&R Health Plan' (ID PLANID12345) is "],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/stupidedi-X222A1-encounter.edi': Expect('imported', '837', 1, ["Claim 26462967: primary payer 'ALLIANCE HEALTH AND LIFE INSURANCE' (ID"],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/stupidedi-X222A1-home-infusion-therapy-pharmacy-(adjudicated-with-NDC-in-loop-2410).edi': Expect('imported', '837', 1, ["Claim CLMNO12345: primary payer 'R&R Health Plan' (ID PLANID12345) is "],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/stupidedi-X222A1-medicare-secondary-payer-COB.edi': Expect('imported', '837', 1, ["Claim 101KEN6055: secondary payer 'MEDICARE' (ID 10234) is not set up ", "Claim 101KEN6055: primary payer 'COMMERCE' (ID 59999) is not set up in"],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/stupidedi-X222A1-out-of-network-repriced-claim.edi': Expect('imported', '837', 1, ["Claim TS234H3: primary payer 'CONSERVATIVE INSURANCE' (ID 00123) is no", "Claim TS234H3: secondary payer 'SECONDARY INSURANCE COMPANY' (ID 95645"],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/stupidedi-X222A1-oxygen.edi': Expect('imported', '837', 1, ["Claim R03996273 #01: primary payer 'DMERC CARRIER' (ID 99999) is not s"],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/stupidedi-X222A1-ppo-repriced-claim.edi': Expect('imported', '837', 1, ["Claim ABC123-RI: primary payer 'EXTRA HEALTHY INSURANCE' (ID 12345) is"],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/stupidedi-X222A1-wheelchair.edi': Expect('imported', '837', 1, ["Claim SMI123: primary payer 'DMERC CARRIER' (ID 99999) is not set up i"],
                 'a professional claim file: its claims stored (payers not set up are named)'),
    '837/stupidedi-X223A2-837-institutional-claim.edi': Expect('rejected', '837', 0, ['segment 3 (ST): 005010X223A2 is an 837I (institutional) claim; pctui r'],
                 'an institutional claim (837I): pctui reads professional claims'),
    '837/stupidedi-X224A2-dental-commercial-health-insurance.edi': Expect('rejected', '837', 0, ['segment 3 (ST): 005010X224A2 is an 837D (dental) claim; pctui reads pr'],
                 'a dental claim (837D): pctui reads professional claims'),
    '837/stupidedi-notes-837P-small.edi': Expect('imported', '837', 27, ["Claim RBD0677834344: primary payer 'BCBSNC' (ID 12345) is not set up i", "Claim A: primary payer 'BAKER & SMITH BENEFIT COMPANY' (ID 12345) is n"],
                 'a professional claim file: its claims stored (payers not set up are named)'),
}

# Words that belong to pyx12's or Python's insides, never to a biller's screen.
INTERNALS = re.compile(r"Map not found|icvn|vriic|fic=|list index|Traceback|KeyError|"
                       r"IndexError|NoneType|object has no|Syntax Error \(P|\bpyx12\b")


@pytest.fixture(scope="module")
def template_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    store = Store.open(path)
    users.identify(store, "alice")  # the first user: an admin who may import
    store.close()
    return path


def test_the_table_names_every_file_in_the_folder() -> None:
    on_disk = {f"{p.parent.name}/{p.name}" for p in REALWORLD.glob("83?/*") if p.is_file()}
    assert on_disk == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_real_world_file(name: str, template_db: Path, tmp_path: Path) -> None:
    expect = EXPECTED[name]
    path = REALWORLD / name
    shutil.copy(template_db, tmp_path / "t.db")
    store = Store.open(tmp_path / "t.db")
    try:
        actor = users.identify(store, "alice")
        (result,) = intake.import_paths(
            store, [path], actor, validate_below_segments=intake.INLINE_VALIDATION_MAX_SEGMENTS)
        said = result.errors if expect.status == "rejected" else [f.text for f in result.findings]
        assert (result.status.value, result.kind, len(result.created)) == (
            expect.status, expect.kind, expect.stored), expect.why
        for words in expect.says:
            assert any(words in text for text in said), (words, said)
        if result.errors:
            assert result.errors[0].startswith(f"{path}: ")
        texts = [f.text for f in result.findings]
        words = texts + [e.removeprefix(f"{path}: ") for e in result.errors]  # not the name
        assert not [t for t in words if INTERNALS.search(t)]
        assert len(texts) == len(set(texts)), "a repeated finding must be one finding"
        if result.status is intake.ImportStatus.IMPORTED:
            _matches_an_independent_reading(store, path, result.kind)
    finally:
        store.close()


def _matches_an_independent_reading(store: Store, path: Path, kind: str) -> None:
    naive = _naive_read(path.read_bytes())
    with store.read() as session:
        if kind == "835":
            stored = {(e.check_number, Decimal(e.amount_cents) / 100)
                      for e in session.exec(select(Era)).all()}  # fmt: skip
            assert stored == {(trn, bpr) for trn, bpr in naive["payments"]}
        else:
            stored_ids = {c.claim_id for c in session.exec(select(Claim)).all()}
            assert stored_ids == naive["claims"]


def _naive_read(data: bytes) -> dict[str, set]:
    """A deliberately simple reading: each ISA's delimiters by position, segments split on the
    terminator, the BPR02 and TRN02 of each ST..SE that has both, every CLM01."""
    text = data.decode("utf-8", "replace")
    payments: set[tuple[str, Decimal]] = set()
    claims: set[str] = set()
    for start in [m.start() for m in re.finditer(r"ISA[^A-Za-z0-9\s]", text)]:
        element = text[start + 3]
        parts = text[start : start + 400].split(element, 16)
        terminator = parts[16][1]
        body = text[start:].split("IEA" + element, 1)[0]
        if terminator not in "\r\n":
            body = body.replace("\r", "").replace("\n", "")
        bpr = trn = None
        for seg in (s.strip() for s in body.split(terminator)):
            el = seg.split(element)
            if el[0] == "ST":
                bpr = trn = None
            elif el[0] == "BPR" and len(el) > 2:
                bpr = Decimal(el[2])
            elif el[0] == "TRN" and len(el) > 2 and trn is None:
                trn = el[2].strip()
            elif el[0] == "SE" and bpr is not None and trn is not None:
                payments.add((trn, bpr))
            elif el[0] == "CLM" and len(el) > 1:
                claims.add(el[1].strip())
    return {"payments": payments, "claims": claims}
