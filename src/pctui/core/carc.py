"""Claim Adjustment Reason Codes (CARC): a catalogue of the common ones with short descriptions.

The descriptions are shortened for a picker; the full, current wording is published by X12
(x12.org/codes/claim-adjustment-reason-codes). A code missing here is still a valid CARC: the
catalogue only explains codes, it never decides which ones may be used.
"""

from __future__ import annotations

import re

from pctui.core.codes import ADJUSTMENT_GROUPS

CARC: dict[str, str] = {
    "1": "Deductible amount",
    "2": "Coinsurance amount",
    "3": "Co-payment amount",
    "4": "Procedure code inconsistent with the modifier, or a required modifier is missing",
    "5": "Procedure code/type of bill inconsistent with the place of service",
    "6": "Procedure/revenue code inconsistent with the patient's age",
    "7": "Procedure/revenue code inconsistent with the patient's gender",
    "8": "Procedure code inconsistent with the provider type/specialty (taxonomy)",
    "9": "Diagnosis inconsistent with the patient's age",
    "10": "Diagnosis inconsistent with the patient's gender",
    "11": "Diagnosis inconsistent with the procedure",
    "12": "Diagnosis inconsistent with the provider type",
    "13": "Date of death precedes the date of service",
    "14": "Date of birth follows the date of service",
    "15": "Authorization number missing, invalid, or does not apply to the billed services",
    "16": "Claim/service lacks information or has submission/billing error(s)",
    "18": "Exact duplicate claim/service",
    "19": "Work-related injury/illness: liability of the Workers' Compensation carrier",
    "20": "Injury/illness covered by the liability carrier",
    "21": "Injury/illness is the liability of the no-fault carrier",
    "22": "May be covered by another payer per coordination of benefits",
    "23": "Impact of prior payer(s) adjudication, including payments and/or adjustments",
    "24": "Covered under a capitation agreement/managed care plan",
    "26": "Expenses incurred prior to coverage",
    "27": "Expenses incurred after coverage terminated",
    "29": "The time limit for filing has expired",
    "31": "Patient cannot be identified as our insured",
    "32": "Patient is not an eligible dependent",
    "33": "Insured has no dependent coverage",
    "34": "Insured has no coverage for newborns",
    "35": "Lifetime benefit maximum has been reached",
    "39": "Services denied when authorization/pre-certification was requested",
    "40": "Charges do not meet qualifications for emergent/urgent care",
    "45": "Charge exceeds fee schedule/maximum allowable or contracted/legislated fee arrangement",
    "49": "Non-covered: routine/preventive exam or screening done with a routine exam",
    "50": "Non-covered: not deemed a 'medical necessity' by the payer",
    "51": "Non-covered: pre-existing condition",
    "53": "Services by an immediate relative or household member are not covered",
    "54": "Multiple physicians/assistants are not covered in this case",
    "55": "Procedure/treatment/drug deemed experimental/investigational by the payer",
    "56": "Procedure/treatment not deemed 'proven to be effective' by the payer",
    "58": "Rendered in an inappropriate or invalid place of service",
    "59": "Processed based on multiple or concurrent procedure rules",
    "60": "Outpatient services too close to inpatient services are not covered",
    "61": "Adjusted for failure to obtain a second surgical opinion",
    "66": "Blood deductible",
    "69": "Day outlier amount",
    "70": "Cost outlier: adjustment to compensate for additional costs",
    "74": "Indirect medical education adjustment",
    "75": "Direct medical education adjustment",
    "78": "Non-covered days/room charge adjustment",
    "85": "Patient interest adjustment",
    "89": "Professional fees removed from charges",
    "90": "Ingredient cost adjustment",
    "94": "Processed in excess of charges",
    "95": "Plan procedures not followed",
    "96": "Non-covered charge(s)",
    "97": "Benefit included in the payment/allowance for another service/procedure",
    "100": "Payment made to patient/insured/responsible party",
    "101": "Predetermination: anticipated payment upon completion of services",
    "102": "Major medical adjustment",
    "103": "Provider promotional discount",
    "104": "Managed care withholding",
    "105": "Tax withholding",
    "106": "Patient payment option/election not in effect",
    "107": "The related or qualifying claim/service was not identified on this claim",
    "108": "Rent/purchase guidelines were not met",
    "109": "Not covered by this payer/contractor: send to the correct payer/contractor",
    "110": "Billing date predates service date",
    "111": "Not covered unless the provider accepts assignment",
    "112": "Service not furnished directly to the patient and/or not documented",
    "114": "Procedure/product not approved by the Food and Drug Administration",
    "115": "Procedure postponed, canceled, or delayed",
    "116": "Advance indemnification notice did not comply with requirements",
    "117": "Transportation only covered to the closest facility that can provide care",
    "118": "ESRD network support adjustment",
    "119": "Benefit maximum for this time period or occurrence has been reached",
    "121": "Indemnification adjustment: compensation for outstanding member responsibility",
    "122": "Psychiatric reduction",
    "125": "Submission/billing error(s)",
    "128": "Newborn's services are covered in the mother's allowance",
    "129": "Prior processing information appears incorrect",
    "130": "Claim submission fee",
    "131": "Claim specific negotiated discount",
    "132": "Prearranged demonstration project adjustment",
    "133": "Disposition of this service line is pending further review",
    "134": "Technical fees removed from charges",
    "135": "Interim bills cannot be processed",
    "136": "Failure to follow prior payer's coverage rules",
    "137": "Regulatory surcharges, assessments, allowances or health related taxes",
    "139": "Contracted funding agreement: subscriber is employed by the provider",
    "140": "Patient/insured health identification number and name do not match",
    "142": "Monthly Medicaid patient liability amount",
    "143": "Portion of payment deferred",
    "144": "Incentive adjustment, e.g. preferred product/service",
    "146": "Diagnosis was invalid for the date(s) of service reported",
    "147": "Provider contracted/negotiated rate expired or not on file",
    "148": "Information from another provider was not provided or was insufficient",
    "149": "Lifetime benefit maximum reached for this service/benefit category",
    "150": "Information submitted does not support this level of service",
    "151": "Information submitted does not support this many/frequency of services",
    "152": "Information submitted does not support this length of service",
    "153": "Information submitted does not support this dosage",
    "154": "Information submitted does not support this day's supply",
    "155": "Patient refused the service/procedure",
    "157": "Service/procedure provided as a result of an act of war",
    "158": "Service/procedure provided outside of the United States",
    "159": "Service/procedure provided as a result of terrorism",
    "160": "Injury/illness resulted from an activity that is a benefit exclusion",
    "161": "Provider performance bonus",
    "163": "Attachment/other documentation referenced on the claim was not received",
    "164": "Attachment/other documentation was not received in a timely fashion",
    "166": "Submitted after this payer's responsibility for the plan ended",
    "167": "This (these) diagnosis(es) is (are) not covered",
    "169": "Alternate benefit has been provided",
    "170": "Payment denied when performed/billed by this type of provider",
    "171": "Payment denied when performed/billed by this provider type in this facility type",
    "172": "Payment adjusted when performed/billed by a provider of this specialty",
    "173": "Service/equipment was not prescribed by a physician",
    "174": "Service was not prescribed prior to delivery",
    "175": "Prescription is incomplete",
    "176": "Prescription is not current",
    "177": "Patient has not met the required eligibility requirements",
    "178": "Patient has not met the required spend down requirements",
    "179": "Patient has not met the required waiting requirements",
    "180": "Patient has not met the required residency requirements",
    "181": "Procedure code was invalid on the date of service",
    "182": "Procedure modifier was invalid on the date of service",
    "183": "Referring provider is not eligible to refer the service billed",
    "184": "Prescribing/ordering provider is not eligible to prescribe/order the service",
    "185": "Rendering provider is not eligible to perform the service billed",
    "186": "Level of care change adjustment",
    "187": "Consumer spending account payments",
    "188": "Product/procedure only covered when used according to FDA recommendations",
    "189": "Unlisted procedure code billed when a specific code exists",
    "190": "Included in the allowance for a Skilled Nursing Facility (SNF) qualified stay",
    "192": "Non-standard adjustment code from paper remittance",
    "193": "Original payment decision is being maintained",
    "194": "Anesthesia performed by the operating physician, assistant surgeon or attending",
    "195": "Refund issued to an erroneous priority payer for this claim/service",
    "197": "Precertification/notification/authorization/pre-treatment absent",
    "198": "Precertification/notification/authorization/pre-treatment exceeded",
    "199": "Revenue code and procedure code do not match",
    "200": "Expenses incurred during lapse in coverage",
    "201": "Patient responsible through a 'set aside arrangement' or other agreement",
    "202": "Non-covered personal comfort or convenience services",
    "203": "Discontinued or reduced service",
    "204": "Service/equipment/drug not covered under the patient's current benefit plan",
    "205": "Pharmacy discount card processing fee",
    "206": "National Provider Identifier (NPI) missing",
    "207": "National Provider Identifier (NPI) invalid format",
    "208": "National Provider Identifier (NPI) not matched",
    "209": "Per regulatory or other agreement the provider cannot collect this from the patient",
    "210": "Pre-certification/authorization not received in a timely fashion",
    "211": "National Drug Codes (NDC) not eligible for rebate are not covered",
    "212": "Administrative surcharges are not covered",
    "213": "Non-compliance with the physician self-referral prohibition",
    "215": "Based on subrogation of a third party settlement",
    "216": "Based on the findings of a review organization",
    "219": "Based on extent of injury",
    "222": "Exceeds the contracted maximum number of hours/days/units for this period",
    "223": "Mandated federal, state or local law/regulation not covered by another code",
    "224": "Patient identification compromised by identity theft",
    "225": "Penalty or interest payment by payer",
    "226": "Information requested from the billing/rendering provider not provided or late",
    "227": "Information requested from the patient/insured was not provided or insufficient",
    "228": "Denied: requested information was not supplied to a previous payer",
    "231": "Mutually exclusive procedures cannot be done in the same day/setting",
    "232": "Institutional transfer amount",
    "233": "Related to a hospital-acquired condition or preventable medical error",
    "234": "This procedure is not paid separately",
    "235": "Sales tax",
    "236": "Procedure/modifier combination not compatible with another on the same day (NCCI)",
    "237": "Legislated/regulatory penalty",
    "238": "Claim spans eligible and ineligible coverage: reduction for the ineligible period",
    "239": "Claim spans eligible and ineligible coverage: rebill separate claims",
    "240": "Diagnosis inconsistent with the patient's birth weight",
    "241": "Low Income Subsidy (LIS) co-payment amount",
    "242": "Services not provided by network/primary care providers",
    "243": "Services not authorized by network/primary care providers",
    "245": "Provider performance program withhold",
    "246": "Non-payable code for required reporting only",
    "247": "Deductible for a professional service billed on an institutional claim",
    "248": "Coinsurance for a professional service billed on an institutional claim",
    "249": "This claim has been identified as a readmission",
    "250": "The attachment/other documentation received was the incorrect one",
    "251": "The attachment/other documentation received was incomplete or deficient",
    "252": "An attachment/other documentation is required to adjudicate this claim/service",
    "253": "Sequestration: reduction in federal payment",
    "254": "Received by the dental plan: submit to the patient's medical plan",
    "256": "Service not payable per managed care contract",
    "258": "Not covered when the patient is in custody/incarcerated",
    "261": "Procedure or service inconsistent with the patient's history",
    "267": "Claim/service spans multiple months",
    "268": "The claim spans two calendar years",
    "269": "Anesthesia not covered for this service/procedure",
    "270": "Received by the medical plan: submit to the patient's dental plan",
    "272": "Coverage/program guidelines were not met",
    "273": "Coverage/program guidelines were exceeded",
    "275": "Prior payer's patient responsibility not covered",
    "276": "Services denied by the prior payer(s) are not covered by this payer",
    "279": "Services not provided by preferred network providers",
    "281": "Deductible waived per contractual agreement",
    "282": "Procedure/revenue code inconsistent with the type of bill",
    "284": "Authorization number may be valid but does not apply to the billed services",
    "285": "Appeal procedures not followed",
    "286": "Appeal time limits not met",
    "287": "Referral exceeded",
    "288": "Referral absent",
    "A0": "Patient refund amount",
    "A1": "Claim/service denied",
    "A5": "Medicare claim PPS capital cost outlier amount",
    "A6": "Prior hospitalization or 30 day transfer requirement not met",
    "A8": "Ungroupable DRG",
    "B1": "Non-covered visits",
    "B4": "Late filing penalty",
    "B7": "Provider not certified/eligible to be paid for this service on this date",
    "B8": "Alternative services were available and should have been used",
    "B9": "Patient is enrolled in a hospice",
    "B10": "Allowed amount reduced because a component of the basic procedure was paid",
    "B11": "Transferred to the proper payer/processor; not covered by this payer",
    "B12": "Services not documented in the patient's medical records",
    "B13": "Previously paid: payment may have been provided in a previous payment",
    "B14": "Only one visit or consultation per physician per day is covered",
    "B15": "Requires a qualifying service/procedure to be received and covered",
    "B16": "'New patient' qualifications were not met",
    "B20": "Procedure/service was partially or fully furnished by another provider",
    "B22": "Payment adjusted based on the diagnosis",
}

# 1-3 digits without a leading zero, or a letter and 1-2 digits (A1, B13, P14, W1 ...).
_CARC = re.compile(r"^(?:[1-9][0-9]{0,2}|[A-Z][0-9]{1,2})$")


def normalize_carc(code: str) -> str:
    """``" 045 "`` -> ``"45"``, ``"b13"`` -> ``"B13"`` (the form stored and compared)."""
    text = code.strip().upper()
    if text.isdigit() and text.strip("0"):
        return str(int(text))
    return text


def carc_problem(code: str) -> str | None:
    """Why ``code`` cannot be a Claim Adjustment Reason Code, or None when it can."""
    text = normalize_carc(code)
    if not text:
        return "required"
    if not _CARC.match(text):
        return f'"{code.strip()}" is not a reason code (e.g. 45, 253, A1, B13)'
    return None


def describe_carc(code: str) -> str:
    """The catalogue's short description, or "Unknown reason code" when it has none."""
    return CARC.get(normalize_carc(code), "Unknown reason code")


def group_problem(group: str) -> str | None:
    """Why ``group`` is not a CAS group code ("" means any group), or None."""
    text = group.strip().upper()
    if text and text not in ADJUSTMENT_GROUPS:
        return f'unknown group code "{group.strip()}" (one of {", ".join(ADJUSTMENT_GROUPS)}, ' \
               'or empty for any group)'
    return None


def adjustment_label(group: str, carc: str) -> str:
    """``("CO", "45")`` -> ``"CO-45"``; an override for any group shows just the CARC."""
    group = group.strip().upper()
    carc = normalize_carc(carc)
    return f"{group}-{carc}" if group else carc
