"""Open Dental's enumerations: the integer stored in the database and the text the API returns.

The REST API spells enums as text (``"C"``, ``"Scheduled"``); the database, and so ShortQuery results,
holds the integer. Both directions live here, in one place, as data.

Example:
    >>> PROC_STATUS["C"]
    2
    >>> text_of(APT_STATUS, 5)
    'Broken'
"""

from __future__ import annotations

# procedurelog.ProcStatus
PROC_STATUS: dict[str, int] = {"TP": 1, "C": 2, "EC": 3, "EO": 4, "R": 5, "D": 6, "Cn": 7, "TPi": 8}

# appointment.AptStatus
APT_STATUS: dict[str, int] = {
    "None": 0,
    "Scheduled": 1,
    "Complete": 2,
    "UnschedList": 3,
    "ASAP": 4,
    "Broken": 5,
    "Planned": 6,
    "PtNote": 7,
    "PtNoteCompleted": 8,
}

# claimproc.Status
CLAIMPROC_STATUS: dict[str, int] = {
    "NotReceived": 0,
    "Received": 1,
    "Preauth": 2,
    "Adjustment": 3,
    "Supplemental": 4,
    "CapClaim": 5,
    "Estimate": 6,
    "CapComplete": 7,
    "CapEstimate": 8,
    "InsHist": 9,
}

# patient.PatStatus
PAT_STATUS: dict[str, int] = {
    "Patient": 0,
    "NonPatient": 1,
    "Inactive": 2,
    "Archived": 3,
    "Deleted": 4,
    "Deceased": 5,
    "Prospective": 6,
}

# patient.Gender
GENDER: dict[str, int] = {"Male": 0, "Female": 1, "Unknown": 2}

# patient.Position
POSITION: dict[str, int] = {"Single": 0, "Married": 1, "Child": 2, "Widowed": 3, "Divorced": 4}

# schedule.SchedType
SCHED_TYPE: dict[str, int] = {"Practice": 0, "Provider": 1, "Blockout": 2, "Employee": 3, "WebSchedASAP": 4}

# recall.RecallStatus is a definition (DefNum); recalltype is data. Claim.ClaimStatus is stored as a letter.
CLAIM_STATUS: tuple[str, ...] = ("U", "H", "W", "S", "R", "I")

# provider.ProvStatus
PROV_STATUS: dict[str, int] = {"Active": 0, "Deleted": 1}

# definition.Category (the ones odnb uses)
DEF_CATEGORY: dict[str, int] = {
    "AdjTypes": 1,
    "ApptConfirmed": 2,
    "BillingTypes": 4,
    "PaymentTypes": 10,
    "RecallUnschedStatus": 13,
    "ClaimPaymentTypes": 32,
}


def text_of(mapping: dict[str, int], value: int) -> str:
    """The API's text for a stored enum value (``text_of(PROC_STATUS, 2) == "C"``)."""
    for text, number in mapping.items():
        if number == value:
            return text
    raise KeyError(f"{value!r} is not a known value")
