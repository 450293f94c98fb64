"""The simulator's resource table, as data: which URL maps to which table, which list filters each route
takes (and since which Open Dental version), which permission group a method needs, and how each stored
column is written on the wire.

Everything here was read from Open Dental's API pages (opendental.com/site/api*.html). Field names and
order follow each page's example response; fields the demo schema lacks are sent with the value an
ordinary office would have (``0``, ``""``, ``"false"``, ``"0001-01-01"``).

Wire kinds (``Field.kind``):
    int        JSON number                      ``"PatNum": 12``
    int_str    id as a string (schedules)       ``"ProvNum": "2"``
    float      money as a JSON number            ``"ClaimFee": 250.0``
    num_g      money as a JSON number, whole amounts without a fraction ``"SplitAmt": 140`` (paysplits)
    money2     money as a 2-decimal string       ``"ProcFee": "255.00"``   (procedurelogs)
    money_g    money as a shortest string        ``"PayAmt": "339"``       (payments)
    text       string, "" for none
    bool       "true" / "false"
    Bool       "True" / "False"                  (claims.IsOrtho, as the docs show)
    date       "yyyy-MM-dd", "0001-01-01" for none
    datetime   "yyyy-MM-dd HH:mm:ss", "0001-01-01 00:00:00" for none
    time       "HH:mm:ss"
    enum       text of a stored integer, via ``Field.enum``
    zip_num    digits-only zip as a JSON number (the docs' /patients example shows ``"Zip": 90011``)

Example:
    >>> ROUTES["procedurelogs"].pk
    'ProcNum'
    >>> [f.name for f in ROUTES["procedurelogs"].filters][:2]
    ['PatNum', 'AptNum']
"""

from __future__ import annotations

from dataclasses import dataclass

from odnb.api.enums import (
    APT_STATUS,
    CLAIMPROC_STATUS,
    PAT_STATUS,
    POSITION,
    PROC_STATUS,
    PROV_STATUS,
    SCHED_TYPE,
)

# Permission groups (API Permissions page). "ReadAll" covers every GET.
PERMISSION_GROUPS: frozenset[str] = frozenset(
    {
        "ReadAll",
        "AllOthers",
        "Appointments",
        "Comm",
        "Documents",
        "Insurance",
        "InsuranceSimple",
        "Patients",
        "Payments",
        "PayPlans",
        "ProcedureLogs",
        "Queries",
        "Setup",
    }
)

# Enums the API spells as text but odnb.api.enums does not carry.
GENDER_API: dict[str, int] = {"Male": 0, "Female": 1, "Unknown": 2, "Other": 3}
PRIORITY: dict[str, int] = {"Normal": 0, "ASAP": 1}
PROCESS_STATUS: dict[str, int] = {"OfficeProcessed": 0, "OnlinePending": 1, "OnlineProcessed": 2}
RELAT: dict[str, int] = {
    "Self": 0,
    "Spouse": 1,
    "Child": 2,
    "Employee": 3,
    "HandicapDep": 4,
    "SignifOther": 5,
    "InjuredPlaintiff": 6,
    "LifePartner": 7,
    "Dependent": 8,
}
TREAT_AREA: dict[str, int] = {
    "None": 0,
    "Surf": 1,
    "Tooth": 2,
    "Mouth": 3,
    "Quad": 4,
    "Sextant": 5,
    "Arch": 6,
    "ToothRange": 7,
}
# Open Dental's DefCat enum: the ``category`` text of every definition category (Definitions GET).
DEF_CATEGORY_NAMES: dict[str, int] = {
    name: number
    for number, name in enumerate(
        (
            "AccountColors", "AdjTypes", "ApptConfirmed", "ApptProcsQuickAdd", "BillingTypes",
            "ClaimFormats", "DunningMessages", "FeeSchedNamesOld", "MedicalNotes", "OperatoriesOld",
            "PaymentTypes", "ProcCodeCats", "ProgNoteColors", "RecallUnschedStatus", "ServiceNotes",
            "DiscountTypes", "Diagnosis", "AppointmentColors", "ImageCats", "ApptPhoneNotes",
            "TxPriorities", "MiscColors", "ChartGraphicColors", "ContactCategories", "LetterMergeCats",
            "BlockoutTypes", "ProcButtonCats", "CommLogTypes", "SupplyCats", "PaySplitUnearnedType",
            "Prognosis", "ClaimCustomTracking", "InsurancePaymentType", "TaskPriorities", "FeeColors",
            "ProviderSpecialties", "ClaimPaymentTracking", "AccountQuickCharge",
            "InsuranceVerificationStatus", "Regions", "ClaimPaymentGroups", "AutoNoteCats",
        )
    )
}  # fmt: skip
# Recall List's default due-date window: the office's RecallDaysPast / RecallDaysFuture preferences.
RECALL_DAYS_PAST = 365  # the values of the Preferences GET example, which the demo office stores too
RECALL_DAYS_FUTURE = 7
CLAIM_STATUS_API: dict[str, str] = {s: s for s in ("U", "H", "W", "S", "R", "I")}
PLAN_TYPE_API: dict[str, str] = {"percentage": "", "p": "p", "f": "f", "c": "c"}


@dataclass(frozen=True)
class Field:
    """One field of a response row: its wire name, wire kind, and where the value comes from.

    ``sql`` is an SQL expression over the route's table aliased ``t``; without it the column of the same
    name is used if the table has one, else ``default`` (the value an office without that data shows).
    """

    name: str
    kind: str = "int"
    sql: str | None = None
    default: object = None
    enum: dict[str, int] | None = None


@dataclass(frozen=True)
class Filter:
    """A documented list filter (query parameter).

    kinds: ``int`` (column = n), ``enum`` (text -> stored value via ``enum``), ``text`` (column = s),
    ``like`` (case-insensitive substring of any of ``columns``), ``date`` / ``date_from`` / ``date_to``
    (date part =, >=, <=; "yyyy-MM-dd"), ``stamp`` (column >= "yyyy-MM-dd HH:mm:ss"), ``int_list``
    (comma-separated ids), ``flag`` ("true"/"false": adds ``sql_true`` or ``sql_false``).
    """

    name: str
    kind: str
    columns: tuple[str, ...] = ()
    since: str = "0"
    enum: dict[str, object] | None = None
    sql_true: str = ""
    sql_false: str = ""
    default: str | None = None  # value assumed when the parameter is absent (flags)
    exists: tuple[str, str, str] | None = None  # (table, key column, 404 text) checked for the value
    blank_server_time: bool = False  # providers?ClinicNum: serverDateTime is "" (as documented)


@dataclass(frozen=True)
class Route:
    """A GET list route and, optionally, its single-record twin ``path/{id}``."""

    path: str
    table: str
    pk: str
    fields: tuple[Field, ...]
    filters: tuple[Filter, ...] = ()
    since: str = "21.1"
    single_since: str | None = None  # version the single GET was added; None = not documented
    not_found: str = "Not found."
    required: tuple[str, ...] = ()
    # Filters that were required in older versions: (version from which they are optional, names of
    # which at least one must be given before it), e.g. claims needed PatNum before 23.3.11.
    required_before: tuple[str, tuple[str, ...]] | None = None
    server_time: str | None = None  # "first" | "last" | None: where serverDateTime goes
    change_filter: str | None = None  # the incremental-sync filter name, if any
    base_where: str = ""
    order_by: str = ""  # default: primary key
    today_unless: tuple[str, ...] = ()  # schedules: no date parameter -> today only
    # (start, end, days back, days ahead): absent dates default to that window around today
    date_window: tuple[str, str, int, int] | None = None
    required_any: tuple[str, ...] = ()  # at least one of these (payplans: PatNum or Guarantor)
    write_permission: str = "AllOthers"  # group needed for POST/PUT/DELETE on this resource
    permission: str = "ReadAll"
    single_fields: tuple[Field, ...] | None = None  # when the single GET returns more than the list
    with_sql: str = ""  # common table expressions the field SQL uses (scheduleop has no index)


def _lookup(table: str, column: str, key: str, fk: str) -> str:
    return f"(SELECT {column} FROM {table} WHERE {table}.{key} = t.{fk})"


def _def_name(fk: str) -> str:
    return _lookup("definition", "ItemName", "DefNum", fk)


def _prov_abbr(fk: str) -> str:
    return _lookup("provider", "Abbr", "ProvNum", fk)


F = Field
NO_DATE = "0001-01-01"
NO_DATETIME = "0001-01-01 00:00:00"

# --- field lists, in the docs' order -------------------------------------------------------------------

PATIENT_FIELDS = (
    F("PatNum"),
    F("LName", "text"),
    F("FName", "text"),
    F("MiddleI", "text"),
    F("Preferred", "text"),
    F("PatStatus", "enum", enum=PAT_STATUS),
    F("Gender", "enum", enum=GENDER_API),
    F("Position", "enum", enum=POSITION),
    F("Birthdate", "date"),
    F("SSN", "text"),
    F("Address", "text"),
    F("Address2", "text"),
    F("City", "text"),
    F("State", "text"),
    F("Zip", "text"),
    F("HmPhone", "text"),
    F("WkPhone", "text"),
    F("WirelessPhone", "text"),
    F("Guarantor"),
    F("Email", "text"),
    F("EstBalance", "float"),
    F("PriProv"),
    F("priProvAbbr", "text", sql=_prov_abbr("PriProv")),
    F("SecProv"),
    F("secProvAbbr", "text", sql=_prov_abbr("SecProv")),
    F("FeeSched"),
    F("BillingType", "text", sql=_def_name("BillingType")),
    F("ImageFolder", "text", sql="t.LName || t.FName || t.PatNum"),
    F("FamFinUrgNote", "text"),
    F("ChartNumber", "text"),
    F("MedicaidID", "text"),
    F("BalTotal", "float"),
    F("EmployerNum"),
    F("DateFirstVisit", "date"),
    F("ClinicNum"),
    F("clinicAbbr", "text", sql=_lookup("clinic", "Abbr", "ClinicNum", "ClinicNum")),
    F("Premed", "bool"),
    F("Ward", "text"),
    F("PreferConfirmMethod", "text", default="None"),
    F("PreferContactMethod", "text", default="None"),
    F("PreferRecallMethod", "text", default="None"),
    F("Language", "text"),
    F("AdmitDate", "date"),
    F("siteDesc", "text", sql="''"),
    F("DateTStamp", "datetime"),
    F("SuperFamily"),
    F("TxtMsgOk", "text", default="Unknown"),
    F("SecDateEntry", "date"),
)

# /patients (Patient Select subset): no DateTStamp, no serverDateTime, and Zip as a number.
PATIENT_SELECT_FIELDS = tuple(
    F("Zip", "zip_num") if f.name == "Zip" else f
    for f in PATIENT_FIELDS
    if f.name
    in {
        "PatNum",
        "LName",
        "FName",
        "MiddleI",
        "Preferred",
        "PatStatus",
        "Birthdate",
        "SSN",
        "Address",
        "Address2",
        "City",
        "State",
        "Zip",
        "HmPhone",
        "WkPhone",
        "WirelessPhone",
        "Email",
        "priProvAbbr",
        "secProvAbbr",
        "BillingType",
        "ChartNumber",
        "ClinicNum",
        "clinicAbbr",
        "siteDesc",
        "TxtMsgOk",
    }
)

APPOINTMENT_FIELDS = (
    F("AptNum"),
    F("PatNum"),
    F("AptStatus", "enum", enum=APT_STATUS),
    F("Pattern", "text"),
    F("Confirmed"),
    F("confirmed", "text", sql=_def_name("Confirmed")),
    F("TimeLocked", "bool"),
    F("Op"),
    F("Note", "text"),
    F("ProvNum"),
    F("provAbbr", "text", sql=_prov_abbr("ProvNum")),
    F("ProvHyg"),
    F("AptDateTime", "datetime"),
    F("NextAptNum"),
    F("UnschedStatus"),
    F("unschedStatus", "text", sql=_def_name("UnschedStatus")),
    F("IsNewPatient", "bool"),
    F("ProcDescript", "text"),
    F("ClinicNum"),
    F("IsHygiene", "bool"),
    F("DateTStamp", "datetime"),
    F("DateTimeArrived", "datetime"),
    F("DateTimeSeated", "datetime"),
    F("DateTimeDismissed", "datetime"),
    F("InsPlan1"),
    F("InsPlan2"),
    F("DateTimeAskedToArrive", "datetime"),
    F("colorOverride", "text", sql="'0,0,0'"),
    F("AppointmentTypeNum"),
    F("SecUserNumEntry"),
    F("SecDateTEntry", "datetime"),
    F("Priority", "enum", enum=PRIORITY),
    F("PatternSecondary", "text"),
    F("ItemOrderPlanned"),
)

PROCEDURELOG_FIELDS = (
    F("ProcNum"),
    F("PatNum"),
    F("AptNum"),
    F("ProcDate", "date"),
    F("ProcFee", "money2"),
    F("Surf", "text"),
    F("ToothNum", "text"),
    F("ToothRange", "text"),
    F("Priority"),
    F("priority", "text", sql=_def_name("Priority")),
    F("ProcStatus", "enum", enum=PROC_STATUS),
    F("ProvNum"),
    F("provAbbr", "text", sql=_prov_abbr("ProvNum")),
    F("Dx"),
    F("dxName", "text", sql=_def_name("Dx")),
    F("PlannedAptNum"),
    F("PlaceService", "text", default="Office"),
    F("Prosthesis", "text"),
    F("DateOriginalProsth", "date"),
    F("ClaimNote", "text"),
    F("DateEntryC", "date"),
    F("ClinicNum"),
    F("CodeNum"),
    F("procCode", "text", sql=_lookup("procedurecode", "ProcCode", "CodeNum", "CodeNum")),
    F("descript", "text", sql=_lookup("procedurecode", "Descript", "CodeNum", "CodeNum")),
    F("UnitQty"),
    F("BaseUnits"),
    F("DateTP", "date"),
    F("SiteNum"),
    F("HideGraphics", "bool"),
    F("CanadianTypeCodes", "text"),
    F("ProcTime", "time"),
    F("ProcTimeEnd", "time"),
    F("DateTStamp", "datetime"),
    F("Prognosis"),
    F("IsLocked", "bool"),
    F("BillingNote", "text"),
    F("Discount", "float"),
    F("IsDateProsthEst", "bool"),
    F("SecDateEntry", "datetime"),
)

CLAIMPROC_FIELDS = (
    F("ClaimProcNum"),
    F("ProcNum"),
    F("ClaimNum"),
    F("PatNum"),
    F("ProvNum"),
    F("FeeBilled", "float"),
    F("InsPayEst", "float"),
    F("DedApplied", "float"),
    F("Status", "enum", enum=CLAIMPROC_STATUS),
    F("InsPayAmt", "float"),
    F("Remarks", "text"),
    F("ClaimPaymentNum"),
    F("PlanNum"),
    F("DateCP", "date"),
    F("WriteOff", "float"),
    F("CodeSent", "text"),
    F("AllowedOverride", "float", default=-1.0),
    F("Percentage", "int", default=-1),
    F("PercentOverride", "int", default=-1),
    F("CopayAmt", "float", default=-1.0),
    F("NoBillIns", "bool"),
    F("PaidOtherIns", "float"),
    F("BaseEst", "float"),
    F("CopayOverride", "float", default=-1.0),
    F("ProcDate", "date"),
    F("DateEntry", "date"),
    F("DedEst", "float"),
    F("DedEstOverride", "float", default=-1.0),
    F("InsEstTotal", "float"),
    F("InsEstTotalOverride", "float", default=-1.0),
    F("PaidOtherInsOverride", "float", default=-1.0),
    F("EstimateNote", "text"),
    F("WriteOffEst", "float", default=-1.0),
    F("WriteOffEstOverride", "float", default=-1.0),
    F("ClinicNum"),
    F("InsSubNum"),
    F("PaymentRow"),
    F("PayPlanNum"),
    F("ClaimPaymentTracking"),
    F("claimPaymentTracking", "text", sql="''"),
    F("SecUserNumEntry"),
    F("SecDateEntry", "date"),
    F("SecDateTEdit", "datetime"),
    F("DateSuppReceived", "date"),
    F("DateInsFinalized", "date"),
    F("IsTransfer", "bool"),
    F("ClaimAdjReasonCodes", "text"),
)

CLAIM_FIELDS = (
    F("ClaimNum"),
    F("PatNum"),
    F("DateService", "date"),
    F("DateSent", "date"),
    F("ClaimStatus", "text"),
    F("DateReceived", "date"),
    F("PlanNum"),
    F("ProvTreat"),
    F("ClaimFee", "float"),
    F("InsPayEst", "float"),
    F("InsPayAmt", "float"),
    F("DedApplied", "float"),
    F("IsProsthesis", "text", default="N"),
    F("PriorDate", "date"),
    F("ReasonUnderPaid", "text"),
    F("ClaimNote", "text"),
    F("ClaimType", "text"),
    F("ProvBill"),
    F("PlaceService", "text", default="Office"),
    F("AccidentRelated", "text"),
    F("AccidentDate", "date"),
    F("AccidentST", "text"),
    F("IsOrtho", "Bool"),
    F("OrthoRemainM"),
    F("OrthoDate", "date"),
    F("PatRelat", "enum", enum=RELAT),
    F("PlanNum2"),
    F("PatRelat2", "enum", enum=RELAT),
    F("WriteOff", "float"),
    F("ClaimForm", "int_str"),
    F("InsSubNum"),
    F("InsSubNum2"),
    F("PriorAuthorizationNumber", "text"),
    F("CustomTracking"),
    F("customTracking", "text", sql="''"),
    F("OrthoTotalM"),
    F("SecDateTEdit", "datetime"),
)

PAYMENT_FIELDS = (
    F("PayNum"),
    F("PayType"),
    F("payType", "text", sql=_def_name("PayType")),
    F("PayDate", "date"),
    F("PayAmt", "money_g"),
    F("CheckNum", "text"),
    F("BankBranch", "text"),
    F("PayNote", "text"),
    F("PatNum"),
    F("ClinicNum", "int_str"),
    F("DateEntry", "date"),
    F("DepositNum"),
    F("Receipt", "text"),
    F("IsRecurringCC", "bool"),
    F("SecUserNumEntry"),
    F("SecDateTEdit", "datetime"),
    F("PaymentSource", "text", default="None"),
    F("ProcessStatus", "enum", enum=PROCESS_STATUS),
    F("RecurringChargeDate", "date"),
    F("IsCcCompleted", "bool"),
)

PAYSPLIT_FIELDS = (
    F("SplitNum"),
    F("SplitAmt", "num_g"),
    F("PatNum"),
    F("PayNum"),
    F("ProvNum"),
    F("PayPlanNum"),
    F("DatePay", "date"),
    F("ProcNum"),
    F("DateEntry", "date"),
    F("UnearnedType"),
    F("unearnedType", "text", sql=_def_name("UnearnedType")),
    F("ClinicNum"),
    F("SecDateTEdit", "date"),  # the PaySplits GET example shows "SecDateTEdit": "2023-01-27"
    F("AdjNum"),
    F("PayPlanChargeNum"),
    F("PayPlanDebitType", "text", default="Unknown"),
)

ADJUSTMENT_FIELDS = (
    F("AdjNum"),
    F("AdjDate", "date"),
    F("AdjAmt", "float"),
    F("PatNum"),
    F("AdjType"),
    F("adjType", "text", sql=_def_name("AdjType")),
    F("ProvNum"),
    F("AdjNote", "text"),
    F("ProcDate", "date"),
    F("ProcNum"),
    F("DateEntry", "date"),
    F("ClinicNum"),
    F("SecUserNumEntry"),
    F("SecDateTEdit", "datetime"),
)

PROVIDER_FIELDS = (
    F("ProvNum"),
    F("Abbr", "text"),
    F("LName", "text"),
    F("FName", "text"),
    F("MI", "text"),
    F("Suffix", "text"),
    F("FeeSched"),
    F("Specialty"),
    F("SSN", "text"),
    F("StateLicense", "text"),
    F("IsSecondary", "bool"),
    F("provColor", "text", sql="'0,0,0'"),
    F("IsHidden", "bool"),
    F("UsingTIN", "bool"),
    F("SigOnFile", "bool"),
    F("NationalProvID", "text"),
    F("DateTStamp", "datetime"),
    F("IsNotPerson", "bool"),
    F("ProvStatus", "enum", enum=PROV_STATUS),
    F("IsHiddenReport", "bool"),
    F("Birthdate", "date"),
    F("SchedNote", "text"),
    F("PreferredName", "text"),
)

OPERATORY_FIELDS = (
    F("OperatoryNum"),
    F("OpName", "text"),
    F("Abbrev", "text"),
    F("ItemOrder"),
    F("IsHidden", "bool"),
    F("ProvDentist"),
    F("ProvHygienist"),
    F("IsHygiene", "bool"),
    F("ClinicNum"),
    F("SetProspective", "bool"),
    F("IsWebSched", "bool"),
    F("OperatoryType"),
    F("operatoryType", "text", sql="''"),
)

CLINIC_FIELDS = (
    F("ClinicNum"),
    F("Description", "text"),
    F("Address", "text"),
    F("Address2", "text"),
    F("City", "text"),
    F("State", "text"),
    F("Zip", "text"),
    F("BillingAddress", "text"),
    F("BillingAddress2", "text"),
    F("BillingCity", "text"),
    F("BillingState", "text"),
    F("BillingZip", "text"),
    F("PayToAddress", "text"),
    F("PayToAddress2", "text"),
    F("PayToCity", "text"),
    F("PayToState", "text"),
    F("PayToZip", "text"),
    F("Phone", "text"),
    F("Abbr", "text"),
    F("IsHidden", "bool"),
)

PROCEDURECODE_FIELDS = (
    F("CodeNum"),
    F("ProcCode", "text"),
    F("Descript", "text"),
    F("AbbrDesc", "text"),
    F("ProcTime", "text"),
    F("ProcCat"),
    F("procCat", "text", sql=_def_name("ProcCat")),
    F("TreatArea", "enum", enum=TREAT_AREA),
    F("NoBillIns", "bool"),
    F("IsProsth", "bool"),
    F("DefaultNote", "text"),
    F("IsHygiene", "bool"),
    F("AlternateCode1", "text"),
    F("MedicalCode", "text"),
    F("IsTaxed", "bool"),
    F("PaintType", "text", default="None"),
    F("LaymanTerm", "text"),
    F("IsCanadianLab", "bool"),
    F("BaseUnits"),
    F("SubstitutionCode", "text"),
    F("SubstOnlyIf", "text", default="Always"),
    F("DateTStamp", "datetime"),
    F("DrugNDC", "text"),
    F("RevenueCodeDefault", "text"),
    F("ProvNumDefault"),
    F("CanadaTimeUnits", "float"),
    F("IsRadiology", "bool"),
    F("DefaultClaimNote", "text"),
    F("DefaultTPNote", "text"),
    F("PaintText", "text"),
    F("AreaAlsoToothRange", "bool"),
    F("DiagnosticCodes", "text"),
)

RECALL_FIELDS = (
    F("RecallNum"),
    F("PatNum"),
    F("DateDue", "date"),
    F("DatePrevious", "date"),
    F("RecallInterval", "text"),
    F("RecallStatus"),
    F("recallStatus", "text", sql=_def_name("RecallStatus")),
    F("Note", "text"),
    F("IsDisabled", "bool"),
    F("DateTStamp", "datetime"),
    F("RecallTypeNum"),
    F("DisableUntilBalance", "float"),
    F("DisableUntilDate", "date"),
    F("DateScheduled", "date"),
    F("Priority", "enum", enum=PRIORITY),
    F("TimePatternOverride", "text"),
)

SCHEDULE_FIELDS = (
    F("ScheduleNum", "int_str"),
    F("SchedDate", "date"),
    F("StartTime", "time"),
    F("StopTime", "time"),
    F("SchedType", "enum", enum=SCHED_TYPE),
    F("ProvNum", "int_str"),
    F("BlockoutType", "int_str"),
    F("blockoutType", "text", sql=_def_name("BlockoutType")),
    F("Note", "text"),
    F("operatories", "text", sql="(SELECT ops.g FROM ops WHERE ops.ScheduleNum = t.ScheduleNum)"),
    F("EmployeeNum", "int_str"),
    F("DateTStamp", "datetime"),
)

DEFINITION_FIELDS = (
    F("DefNum"),
    F("ItemName", "text"),
    F("ItemValue", "text"),
    F("Category"),
    F("category", "enum", sql="t.Category", enum=DEF_CATEGORY_NAMES),
    F("isHidden", "bool", sql="t.IsHidden"),
)

INSPLAN_FIELDS = (
    F("PlanNum"),
    F("GroupName", "text"),
    F("GroupNum", "text"),
    F("PlanNote", "text"),
    F("FeeSched"),
    F("PlanType", "text"),
    F("ClaimFormNum", default=1),
    F("ClaimsUseUCR", "bool"),
    F("CopayFeeSched"),
    F("EmployerNum"),
    F("CarrierNum"),
    F("IsMedical", "bool"),
    F("FilingCode"),
    F("ShowBaseUnits", "bool"),
    F("CodeSubstNone", "bool"),
    F("IsHidden", "bool"),
    F("MonthRenew"),
    F("FilingCodeSubtype"),
    F("CobRule", "text", default="Basic"),
    F("SecUserNumEntry"),
    F("SecDateEntry", "date", sql="t.SecDateTEdit"),
    F("SecDateTEdit", "datetime"),
    F("BillingType"),
    F("ExclusionFeeRule", "text", default="PracticeDefault"),
    F("ManualFeeSchedNum"),
    F("IsBlueBookEnabled", "bool"),
    F("InsPlansZeroWriteOffsOnAnnualMaxOverride", "text", default="Default"),
    F("InsPlansZeroWriteOffsOnFreqOrAgingOverride", "text", default="Default"),
)

PATPLAN_FIELDS = (
    F("PatPlanNum"),
    F("PatNum"),
    F("Ordinal"),
    F("IsPending", "bool"),
    F("Relationship", "enum", enum=RELAT),
    F("PatID", "text"),
    F("InsSubNum"),
    F("OrthoAutoFeeBilledOverride", "float", default=-1.0),
    F("OrthoAutoNextClaimDate", "date"),
    F("SecDateTEntry", "datetime", sql="t.SecDateTEdit"),
    F("SecDateTEdit", "datetime"),
)

INSSUB_FIELDS = (
    F("InsSubNum"),
    F("PlanNum"),
    F("Subscriber"),
    F("DateEffective", "date"),
    F("DateTerm", "date"),
    F("SubscriberID", "text"),
    F("BenefitNotes", "text"),
    F("ReleaseInfo", "bool", default=1),
    F("AssignBen", "bool", default=1),
    F("SubscNote", "text"),
    F("SecDateTEdit", "datetime"),
)

CARRIER_FIELDS = (
    F("CarrierNum"),
    F("CarrierName", "text"),
    F("Address", "text"),
    F("Address2", "text"),
    F("City", "text"),
    F("State", "text"),
    F("Zip", "text"),
    F("Phone", "text"),
    F("ElectID", "text"),
    F("NoSendElect", "text", default="SendElect"),
    F("IsHidden", "bool"),
)

RECALL_LIST_FIELDS = (
    F("DueDate", "us_date", sql="t.DateDue"),
    F("PatNum"),
    F("Patient", "text", sql="p.LName || ', ' || p.FName"),
    F("Age", "age", sql="p.Birthdate"),
    F("Type", "text", sql=_lookup("recalltype", "Description", "RecallTypeNum", "RecallTypeNum")),
    F("Interval", "text", sql="t.RecallInterval"),
    F("NumRemind", "text", sql="''"),
    F("LastRemind", "text", sql="''"),
    F("Contact", "text", sql="COALESCE(NULLIF(p.WirelessPhone, ''), p.HmPhone, '')"),
    F("Status", "text", sql=_def_name("RecallStatus")),
    F("ClinicNum", sql="p.ClinicNum"),
    F("Note", "text", sql="t.Note"),
)


COMMLOG_MODE: dict[str, int] = {
    "None": 0, "Email": 1, "Mail": 2, "Phone": 3, "InPerson": 4, "Text": 5, "EmailAndText": 6,
    "PhoneAndText": 7,
}  # fmt: skip
SENT_OR_RECEIVED: dict[str, int] = {"Neither": 0, "Sent": 1, "Received": 2}
TP_STATUS: dict[str, int] = {"Saved": 0, "Active": 1, "Inactive": 2}

CLAIMPAYMENT_FIELDS = (
    F("ClaimPaymentNum"),
    F("CheckDate", "date"),
    F("CheckAmt", "money_g"),
    F("CheckNum", "text"),
    F("BankBranch", "text"),
    F("Note", "text"),
    F("ClinicNum"),
    F("DepositNum"),
    F("CarrierName", "text"),
    F("DateIssued", "date"),
    F("IsPartial", "bool"),
    F("PayType"),
    F("payType", "text", sql=_def_name("PayType")),
    F("SecUserNumEntry"),
    F("SecDateEntry", "date", sql="t.CheckDate"),
    F("SecDateTEdit", "datetime"),
    F("PayGroup"),
    F("payGroup", "text", sql="''"),
)

COMMLOG_FIELDS = (
    F("CommlogNum"),
    F("PatNum"),
    F("CommDateTime", "datetime"),
    F("CommType", "int_str"),
    F("commType", "text", sql=_def_name("CommType")),
    F("Note", "text"),
    F("Mode_", "enum", enum=COMMLOG_MODE),
    F("SentOrReceived", "enum", enum=SENT_OR_RECEIVED),
    F("UserNum"),
    F("DateTStamp", "datetime"),
    F("CommSource", "text", default="User"),
    F("ProgramNum"),
    F("DateTEntry", "datetime", sql="t.DateTStamp"),
    F("ReferralNum"),
)

TREATPLAN_FIELDS = (
    F("TreatPlanNum"),
    F("PatNum"),
    F("DateTP", "date"),
    F("Heading", "text"),
    F("Note", "text"),
    F("SigIsTopaz", "bool"),
    F("ResponsParty"),
    F("DocNum"),
    F("TPStatus", "enum", enum=TP_STATUS),
    F("SecUserNumEntry"),
    F("SecDateEntry", "date", sql="t.SecDateTEdit"),
    F("SecDateTEdit", "datetime"),
    F("UserNumPresenter"),
    F("TPType", "text", default="Insurance"),
    F("DateTSigned", "datetime"),
    F("DateTPracticeSigned", "datetime"),
    F("SignatureText", "text"),
    F("SignaturePracticeText", "text"),
    F("isSigned", "bool"),
    F("isSignedPractice", "bool"),
)

RECALLTYPE_FIELDS = (
    F("RecallTypeNum"),
    F("Description", "text"),
    F("DefaultInterval", "text"),
    F("TimePattern", "text"),
    F("Procedures", "text"),
    F("AppendToSpecial", "bool"),
)


HIST_APPT_ACTION: dict[str, int] = {"Created": 0, "Changed": 1, "Missed": 2, "Cancelled": 3, "Deleted": 4}
REF_TYPE: dict[str, int] = {"RefTo": 0, "RefFrom": 1, "RefCustom": 2}
REF_TO_STATUS: dict[str, int] = {
    "None": 0, "Declined": 1, "Scheduled": 2, "Consulted": 3, "InTreatment": 4, "Complete": 5,
}  # fmt: skip
CHARGE_FREQUENCY: dict[str, int] = {
    "Weekly": 0, "EveryOtherWeek": 1, "Monthly": 2, "Quarterly": 3, "OrdinalWeekday": 4,
}  # fmt: skip
PAY_SCHEDULE: dict[str, int] = {
    "Monthly": 0, "MonthlyDayOfWeek": 1, "Weekly": 2, "BiWeekly": 3, "Quarterly": 4,
}  # fmt: skip
DYNAMIC_TP_OPTION: dict[str, int] = {"None": 0, "AwaitComplete": 1, "TreatAsComplete": 2}
CHARGE_TYPE: dict[str, int] = {"Debit": 0, "Credit": 1}
LINK_TYPE: dict[str, int] = {"None": 0, "Procedure": 1, "Adjustment": 2}
LOG_SOURCE: dict[str, int] = {"None": 0, "API": 23}
# UNSURE: Open Dental's Permissions enum numbers (only these names are used by the demo office).
PERM_TYPE: dict[str, int] = {"PatientEdit": 11, "PatientCreate": 129, "AppointmentCreate": 24,
                             "AppointmentEdit": 26, "ProcComplCreate": 111}  # fmt: skip

PROCTP_FIELDS = (
    F("ProcTPNum"),
    F("TreatPlanNum"),
    F("PatNum"),
    F("ProcNumOrig"),
    F("ItemOrder"),
    F("Priority"),
    F("priority", "text", sql=_def_name("Priority")),
    F("ToothNumTP", "text"),
    F("Surf", "text"),
    F("ProcCode", "text"),
    F("Descript", "text"),
    F("FeeAmt", "float"),
    F("PriInsAmt", "float"),
    F("SecInsAmt", "float"),
    F("PatAmt", "float", sql="ROUND(t.FeeAmt - t.PriInsAmt - t.SecInsAmt - t.Discount, 2)"),
    F("Discount", "float"),
    F("Prognosis", "text"),
    F("Dx", "text"),
    F("ProcAbbr", "text"),
    F("SecUserNumEntry"),
    F("SecDateEntry", "date", sql="t.SecDateTEdit"),
    F("SecDateTEdit", "datetime"),
    F("FeeAllowed", "float"),
    F("TaxAmt", "float"),
    F("ProvNum"),
    F("DateTP", "date"),
    F("ClinicNum"),
    F("CatPercUCR", "float"),
)

PAYPLAN_FIELDS = (
    F("PayPlanNum"),
    F("PatNum"),
    F("Guarantor"),
    F("PayPlanDate", "date"),
    F("APR", "float"),
    F("Note", "text"),
    F("PlanNum"),
    F("CompletedAmt", "float"),
    F("InsSubNum"),
    F("PaySchedule", "enum", enum=PAY_SCHEDULE),
    F("NumberOfPayments"),
    F("PayAmt", "float"),
    F("DownPayment", "float"),
    F("IsClosed", "bool"),
    F("PlanCategory"),
    F("planCategory", "text", sql=_def_name("PlanCategory")),
    F("IsDynamic", "bool"),
    F("ChargeFrequency", "enum", enum=CHARGE_FREQUENCY),
    F("DatePayPlanStart", "date"),
    F("IsLocked", "bool"),
    F("DateInterestStart", "date"),
    F("DynamicPayPlanTPOption", "enum", enum=DYNAMIC_TP_OPTION),
    F("principalAmount", "float", sql="t.CompletedAmt"),
    F("SheetDefNum"),
)

PAYPLANCHARGE_FIELDS = (
    F("PayPlanChargeNum"),
    F("PayPlanNum"),
    F("Guarantor"),
    F("PatNum"),
    F("ChargeDate", "date"),
    F("Principal", "float"),
    F("Interest", "float"),
    F("Note", "text"),
    F("ProvNum"),
    F("ClinicNum"),
    F("ChargeType", "enum", enum=CHARGE_TYPE),
    F("ProcNum"),
    F("SecDateTEntry", "datetime"),
    F("SecDateTEdit", "datetime"),
    F("StatementNum"),
    F("FKey"),
    F("LinkType", "enum", enum=LINK_TYPE),
    F("IsOffset", "bool"),
)

REFATTACH_FIELDS = (
    F("RefAttachNum"),
    F("ReferralNum"),
    F("referralName", "text", sql="(SELECT TRIM(r.FName || ' ' || r.LName || CASE WHEN r.Title <> '' "
      "THEN ', ' || r.Title ELSE '' END) FROM referral r WHERE r.ReferralNum = t.ReferralNum)"),
    F("PatNum"),
    F("ItemOrder"),
    F("RefDate", "date"),
    F("ReferralType", "enum", sql="t.RefType", enum=REF_TYPE),
    F("RefToStatus", "enum", enum=REF_TO_STATUS),
    F("Note", "text"),
    F("IsTransitionOfCare", "bool"),
    F("ProcNum"),
    F("DateProcComplete", "date"),
    F("ProvNum"),
    F("DateTStamp", "datetime"),
)

REFERRAL_FIELDS = (
    F("ReferralNum"),
    F("LName", "text"),
    F("FName", "text"),
    F("MName", "text"),
    F("SSN", "text"),
    F("UsingTIN", "bool"),
    F("Specialty"),
    F("specialty", "text", sql=_def_name("Specialty")),
    F("ST", "text"),
    F("Telephone", "text"),
    F("Address", "text"),
    F("Address2", "text"),
    F("City", "text"),
    F("Zip", "text"),
    F("Note", "text"),
    F("Phone2", "text"),
    F("IsHidden", "bool"),
    F("NotPerson", "bool"),
    F("Title", "text"),
    F("EMail", "text"),
    F("PatNum"),
    F("IsDoctor", "bool"),
    F("DateTStamp", "datetime"),
    F("IsPreferred", "bool"),
    F("BusinessName", "text"),
    F("DisplayNote", "text"),
    F("isPatient", "bool", sql="t.PatNum > 0"),
)

HISTAPPOINTMENT_FIELDS = (
    F("HistApptNum"),
    F("HistUserNum"),
    F("HistDateTStamp", "datetime"),
    F("HistApptAction", "enum", enum=HIST_APPT_ACTION),
    F("ApptSource", "text", default="None"),
    *(
        F(f.name, f.kind, sql="t.HistAptStatus", enum=f.enum) if f.name == "AptStatus" else f
        for f in APPOINTMENT_FIELDS
    ),
)

SECURITYLOG_FIELDS = (
    F("SecurityLogNum"),
    F("PermType", "enum", enum=PERM_TYPE),
    F("UserNum"),
    F("LogDateTime", "us_datetime"),
    F("LogText", "text"),
    F("PatNum"),
    F("CompName", "text"),
    F("LogSource", "enum", enum=LOG_SOURCE),
)

APPOINTMENTTYPE_FIELDS = (
    F("AppointmentTypeNum"),
    F("AppointmentTypeName", "text"),
    F("appointmentTypeColor", "text", sql="'0,0,0'"),
    F("IsHidden", "bool"),
    F("Pattern", "text"),
    F("CodeStr", "text"),
    F("CodeStrRequired", "text"),
    F("RequiredProcCodesNeeded"),
    F("BlockoutTypes", "text"),
)

PREFERENCE_FIELDS = (F("PrefNum"), F("PrefName", "text"), F("ValueString", "text"))


def _stamp(name: str = "DateTStamp", since: str = "0") -> Filter:
    return Filter(name, "stamp", (f"t.{name}",), since=since)


def _int(name: str, since: str = "0", column: str | None = None, **kw: object) -> Filter:
    return Filter(name, "int", (column or f"t.{name}",), since=since, **kw)  # type: ignore[arg-type]


_PATIENT_EXISTS = ("patient", "PatNum", "Patient not found.")

# --- the routes ----------------------------------------------------------------------------------------

_ROUTE_LIST: tuple[Route, ...] = (
    Route(
        "patients/Simple",
        "patient",
        "PatNum",
        PATIENT_FIELDS,
        filters=(
            Filter("LName", "like", ("t.LName",)),
            Filter("FName", "like", ("t.FName",)),
            Filter("Birthdate", "date", ("t.Birthdate",)),
            _int("ClinicNum"),
            Filter("PatStatus", "enum", ("t.PatStatus",), enum=PAT_STATUS),  # type: ignore[arg-type]
            _stamp(),
            _int("PriProv", since="21.3"),
            Filter("Gender", "enum", ("t.Gender",), since="22.3.6", enum=GENDER_API),  # type: ignore[arg-type]
            Filter("Position", "enum", ("t.Position",), since="22.3.6", enum=POSITION),  # type: ignore[arg-type]
            _int("Guarantor", since="22.4.19"),
            _int("SuperFamily", since="22.4.38"),
            _int("EmployerNum", since="24.3.30"),
            _int("FeeSched", since="25.2.19"),
        ),
        since="21.2",
        server_time="first",
        change_filter="DateTStamp",
        write_permission="Patients",
    ),
    Route(
        "patients",
        "patient",
        "PatNum",
        PATIENT_SELECT_FIELDS,
        filters=(
            Filter("LName", "like", ("t.LName",)),
            Filter("FName", "like", ("t.FName",)),
            Filter("Phone", "like", ("t.HmPhone", "t.WkPhone", "t.WirelessPhone")),
            Filter("Address", "like", ("t.Address",)),
            Filter("City", "like", ("t.City",)),
            Filter("State", "like", ("t.State",)),
            Filter("Email", "like", ("t.Email",)),
            Filter("Birthdate", "date", ("t.Birthdate",)),
            Filter("hideInactive", "flag", sql_true=f"t.PatStatus <> {PAT_STATUS['Inactive']}",
                   default="false"),
            Filter("guarOnly", "flag", sql_true="t.PatNum = t.Guarantor", default="false"),
            Filter("showArchived", "flag", sql_false=f"t.PatStatus <> {PAT_STATUS['Archived']}",
                   default="false"),
            Filter("clinicNums", "int_list", ("t.ClinicNum",)),
        ),
        single_since="21.1",
        not_found="Patient not found.",
        single_fields=PATIENT_FIELDS,
        base_where=f"t.PatStatus <> {PAT_STATUS['Deleted']}",
        write_permission="Patients",
    ),
    Route(
        "appointments",
        "appointment",
        "AptNum",
        APPOINTMENT_FIELDS,
        filters=(
            _int("PatNum", since="21.4"),
            Filter("AptStatus", "enum", ("t.AptStatus",), since="22.4.28", enum=APT_STATUS),  # type: ignore[arg-type]
            _int("Op", since="23.2.27"),
            Filter("date", "date", ("t.AptDateTime",)),
            Filter("dateStart", "date_from", ("t.AptDateTime",)),
            Filter("dateEnd", "date_to", ("t.AptDateTime",)),
            _int("ClinicNum"),
            _stamp(),
            _int("AppointmentTypeNum", since="24.4.22"),
        ),
        single_since="21.1",
        not_found="Appointment not found.",
        server_time="first",
        change_filter="DateTStamp",
        write_permission="Appointments",
    ),
    Route(
        "procedurelogs",
        "procedurelog",
        "ProcNum",
        PROCEDURELOG_FIELDS,
        filters=(
            _int("PatNum"),
            _int("AptNum", since="22.3.32"),
            Filter("ProcStatus", "enum", ("t.ProcStatus",), since="25.2.21", enum=PROC_STATUS),  # type: ignore[arg-type]
            _int("PlannedAptNum", since="24.4.5"),
            _int("ClinicNum", since="23.3.13"),
            _int("CodeNum", since="25.2.21"),
            _stamp(),
        ),
        single_since="23.3.13",
        not_found="Procedure not found.",
        server_time="last",
        change_filter="DateTStamp",
        write_permission="ProcedureLogs",
    ),
    Route(
        "claimprocs",
        "claimproc",
        "ClaimProcNum",
        CLAIMPROC_FIELDS,
        filters=(
            _int("ProcNum", since="23.2.16"),
            _int("ClaimNum"),
            _int("PatNum"),
            Filter("Status", "enum", ("t.Status",), since="24.4.13", enum=CLAIMPROC_STATUS),  # type: ignore[arg-type]
            _int("ClaimPaymentNum", since="23.2.16"),
        ),
        since="22.2.33",
        single_since="25.1.27",
        not_found="ClaimProc not found.",
        required_before=("23.2.16", ("ClaimNum", "PatNum")),
        write_permission="Insurance",
    ),
    Route(
        "claims",
        "claim",
        "ClaimNum",
        CLAIM_FIELDS,
        filters=(
            _int("PatNum", exists=_PATIENT_EXISTS),
            Filter("ClaimStatus", "enum", ("t.ClaimStatus",), since="23.3.11", enum=CLAIM_STATUS_API),  # type: ignore[arg-type]
            _stamp("SecDateTEdit", since="23.3.11"),
        ),
        since="22.2",
        single_since="23.3.11",
        not_found="Claim not found.",
        required_before=("23.3.11", ("PatNum",)),
        change_filter="SecDateTEdit",
        write_permission="Insurance",
    ),
    Route(
        "payments",
        "payment",
        "PayNum",
        PAYMENT_FIELDS,
        filters=(
            _int("PayType", since="23.3.11"),
            _int("PatNum", exists=_PATIENT_EXISTS),
            Filter("DateEntry", "date_from", ("t.DateEntry",)),
        ),
        since="22.2.32",
        required_before=("23.3.11", ("PatNum",)),
        server_time="last",
        change_filter="DateEntry",
        write_permission="Payments",
    ),
    Route(
        "paysplits",
        "paysplit",
        "SplitNum",
        PAYSPLIT_FIELDS,
        filters=(_int("PatNum"), _int("PayNum"), _int("ProcNum", since="24.4.24")),
        since="22.4.16",
        required_before=("24.4.24", ("PatNum", "PayNum")),
        write_permission="Payments",
    ),
    Route(
        "adjustments",
        "adjustment",
        "AdjNum",
        ADJUSTMENT_FIELDS,
        filters=(
            _int("PatNum", exists=_PATIENT_EXISTS),
            _int("AdjType", since="22.2.33"),
            _int("ProcNum", since="22.4.28"),
        ),
        since="22.2.21",
        required=("PatNum",),
    ),
    Route(
        "providers",
        "provider",
        "ProvNum",
        PROVIDER_FIELDS,
        filters=(
            Filter(
                "ClinicNum",
                "exists_only",
                ("t.ProvNum",),
                sql_true="t.IsHidden = 0",
                exists=("clinic", "ClinicNum", "Clinic not found"),
                blank_server_time=True,
            ),
            _stamp(since="21.3"),
        ),
        single_since="24.4.17",
        not_found="Provider not found.",
        server_time="last",
        change_filter="DateTStamp",
        write_permission="Setup",
    ),
    Route(
        "operatories",
        "operatory",
        "OperatoryNum",
        OPERATORY_FIELDS,
        filters=(_int("ClinicNum"),),
        single_since="24.1.10",
        not_found="Operatory not found.",
    ),
    Route(
        "clinics", "clinic", "ClinicNum", CLINIC_FIELDS, base_where="t.IsHidden = 0", write_permission="Setup"
    ),
    Route(
        "procedurecodes",
        "procedurecode",
        "CodeNum",
        PROCEDURECODE_FIELDS,
        filters=(_stamp(since="22.4.28"),),
        since="22.3.22",
        single_since="23.3.25",
        not_found="ProcedureCode not found.",
        change_filter="DateTStamp",
    ),
    Route("recalls", "recall", "RecallNum", RECALL_FIELDS, filters=(_int("PatNum"),), since="22.4.40"),
    Route(
        "recalls/List",
        "recall",
        "RecallNum",
        RECALL_LIST_FIELDS,
        filters=(
            Filter("DateStart", "date_from", ("t.DateDue",)),
            Filter("DateEnd", "date_to", ("t.DateDue",)),
            Filter("ProvNum", "int", ("p.PriProv", "p.SecProv")),
            _int("ClinicNum", column="p.ClinicNum"),
            Filter(
                "RecallType",
                "like",
                (_lookup("recalltype", "Description", "RecallTypeNum", "RecallTypeNum"),),
            ),
            # A recall whose RecallStatus is set has had a reminder (Left Msg, Mailed Postcard, ...).
            Filter("IncludeReminded", "flag", sql_false="t.RecallStatus = 0", default="false"),
        ),
        since="22.1",
        date_window=("DateStart", "DateEnd", RECALL_DAYS_PAST, RECALL_DAYS_FUTURE),
        base_where="t.IsDisabled = 0 AND t.DateDue <> '0001-01-01' AND t.DateScheduled = '0001-01-01'",
        order_by="t.DateDue, t.RecallNum",
    ),
    Route(
        "schedules",
        "schedule",
        "ScheduleNum",
        SCHEDULE_FIELDS,
        filters=(
            Filter("date", "date", ("t.SchedDate",)),
            Filter("dateStart", "date_from", ("t.SchedDate",)),
            Filter("dateEnd", "date_to", ("t.SchedDate",)),
            Filter("SchedType", "enum", ("t.SchedType",), enum=SCHED_TYPE),  # type: ignore[arg-type]
            _int("BlockoutDefNum", column="t.BlockoutType"),
            _int("ProvNum"),
            _int("EmployeeNum"),
        ),
        since="22.1",
        single_since="22.1",
        not_found="Schedule not found",
        order_by="t.StartTime, t.ScheduleNum",  # "Results are sorted by StartTime" (not by date)
        today_unless=("date", "dateStart", "dateEnd"),
        with_sql="ops(ScheduleNum, g) AS MATERIALIZED (SELECT ScheduleNum, group_concat(OperatoryNum, ',') "
        "FROM (SELECT ScheduleNum, OperatoryNum FROM scheduleop ORDER BY ScheduleNum, OperatoryNum) "
        "GROUP BY ScheduleNum)",
    ),
    Route(
        "definitions",
        "definition",
        "DefNum",
        DEFINITION_FIELDS,
        filters=(
            _int("Category"),
            Filter("includeHidden", "flag", sql_false="t.IsHidden = 0", default="false"),
        ),
        write_permission="Setup",
    ),
    Route(
        "insplans",
        "insplan",
        "PlanNum",
        INSPLAN_FIELDS,
        filters=(
            Filter("PlanType", "enum", ("t.PlanType",), since="24.2.11", enum=PLAN_TYPE_API),  # type: ignore[arg-type]
            _int("CarrierNum", since="24.2.11"),
        ),
        since="22.3.30",
        single_since="24.2.11",
        not_found="InsPlan not found.",
        write_permission="Insurance",
    ),
    Route(
        "patplans",
        "patplan",
        "PatPlanNum",
        PATPLAN_FIELDS,
        filters=(_int("PatNum"), _int("InsSubNum")),
        since="22.4.27",
        write_permission="InsuranceSimple",
    ),
    Route(
        "inssubs",
        "inssub",
        "InsSubNum",
        INSSUB_FIELDS,
        filters=(_int("PlanNum"), _int("Subscriber"), _stamp("SecDateTEdit")),
        since="22.4.28",
        single_since="22.4.28",
        not_found="InsSub not found.",
        change_filter="SecDateTEdit",
        write_permission="InsuranceSimple",
    ),
    Route(
        "carriers",
        "carrier",
        "CarrierNum",
        CARRIER_FIELDS,
        since="22.4.16",
        single_since="24.4.5",
        not_found="Carrier not found.",
    ),
)

# Added for analysts (issue 10): insurance checks, communication, treatment plans, recall types.
_ROUTE_LIST += (
    Route(
        "claimpayments",
        "claimpayment",
        "ClaimPaymentNum",
        CLAIMPAYMENT_FIELDS,
        filters=(_stamp("SecDateTEdit"),),
        since="23.2.15",
        single_since="23.2.15",
        not_found="ClaimPayment not found.",
        change_filter="SecDateTEdit",
        write_permission="Insurance",
    ),
    Route(
        "commlogs",
        "commlog",
        "CommlogNum",
        COMMLOG_FIELDS,
        filters=(_int("PatNum", exists=_PATIENT_EXISTS), _stamp(since="25.1.13")),
        since="21.1",
        single_since="25.1.13",
        not_found="Commlog not found.",
        required_before=("25.1.13", ("PatNum",)),
        change_filter="DateTStamp",
        write_permission="Comm",
    ),
    Route(
        "treatplans",
        "treatplan",
        "TreatPlanNum",
        TREATPLAN_FIELDS,
        filters=(
            _int("PatNum"),
            _stamp("SecDateTEdit"),
            Filter("TPStatus", "enum", ("t.TPStatus",), enum=TP_STATUS),  # type: ignore[arg-type]
        ),
        since="22.4.16",
        change_filter="SecDateTEdit",
    ),
    Route(
        "recalltypes",
        "recalltype",
        "RecallTypeNum",
        RECALLTYPE_FIELDS,
        since="24.1.44",
        single_since="24.1.44",
        not_found="RecallType not found.",
        write_permission="Setup",
    ),
)

# fmt: off
_ROUTE_LIST += (
    Route(
        "proctps", "proctp", "ProcTPNum", PROCTP_FIELDS, filters=(_int("TreatPlanNum"),), since="22.4.17",
        required=("TreatPlanNum",), order_by="t.ItemOrder, t.ProcTPNum", write_permission="Setup",
    ),
    Route(
        "payplans", "payplan", "PayPlanNum", PAYPLAN_FIELDS,
        filters=(_int("PatNum", exists=_PATIENT_EXISTS), _int("Guarantor", exists=_PATIENT_EXISTS)),
        since="22.2.16", single_since="24.4.30", not_found="PayPlan not found.",
        required_any=("PatNum", "Guarantor"), write_permission="PayPlans",
    ),
    Route(
        "payplancharges", "payplancharge", "PayPlanChargeNum", PAYPLANCHARGE_FIELDS,
        filters=(_int("PayPlanNum", exists=("payplan", "PayPlanNum", "PayPlan not found.")),),
        since="23.2.28", required=("PayPlanNum",), write_permission="PayPlans",
    ),
    Route(
        "refattaches", "refattach", "RefAttachNum", REFATTACH_FIELDS,
        filters=(_int("ReferralNum", since="25.2.10"), _int("PatNum"), _stamp(since="25.2.10")),
        since="22.4.27", change_filter="DateTStamp",
    ),
    Route(
        "referrals", "referral", "ReferralNum", REFERRAL_FIELDS,
        filters=(
            *(
                Filter(name, "flag", since="24.1.34", sql_true=f"{col} <> 0", sql_false=f"{col} = 0")
                for name, col in (("IsHidden", "t.IsHidden"), ("NotPerson", "t.NotPerson"),
                                  ("IsDoctor", "t.IsDoctor"), ("IsPreferred", "t.IsPreferred"),
                                  ("isPatient", "t.PatNum"))
            ),
            Filter("BusinessName", "like", ("t.BusinessName",), since="24.4.19"),
        ),
        since="21.4", single_since="24.1.34", not_found="Referral not found.",
    ),
    Route(
        "histappointments", "histappointment", "HistApptNum", HISTAPPOINTMENT_FIELDS,
        filters=(
            Filter("HistApptAction", "enum", ("t.HistApptAction",), enum=HIST_APPT_ACTION),  # type: ignore[arg-type]
            _int("AptNum"), _int("PatNum"),
            Filter("AptStatus", "enum", ("t.HistAptStatus",), enum=APT_STATUS),  # type: ignore[arg-type]
            _int("ClinicNum"),
            Filter("date", "date", ("t.HistDateTStamp",)),
            Filter("dateStart", "date_from", ("t.HistDateTStamp",)),
            Filter("dateEnd", "date_to", ("t.HistDateTStamp",)),
        ),
        since="23.1.30",
    ),
    Route(
        "securitylogs", "securitylog", "SecurityLogNum", SECURITYLOG_FIELDS,
        filters=(Filter("PermType", "enum", ("t.PermType",), enum=PERM_TYPE),),  # type: ignore[arg-type]
        since="23.1.33", order_by="t.SecurityLogNum DESC", base_where="t.LogSource = 23",  # API entries
    ),
    Route(
        "appointmenttypes", "appointmenttype", "AppointmentTypeNum", APPOINTMENTTYPE_FIELDS, since="22.4.10"
    ),
    Route(
        "preferences", "preference", "PrefNum", PREFERENCE_FIELDS,
        filters=(Filter("PrefName", "text", ("t.PrefName",)),), since="21.1", write_permission="Setup",
    ),
)
# fmt: on

ROUTES: dict[str, Route] = {r.path: r for r in _ROUTE_LIST}
# Case-insensitive lookup (ASP.NET routing ignores case).
ROUTES_CI: dict[str, Route] = {r.path.lower(): r for r in _ROUTE_LIST}

# recalls/List joins the patient row for names, providers and clinics.
JOINS: dict[str, str] = {"recalls/List": "JOIN patient p ON p.PatNum = t.PatNum"}

SHORT_QUERY = "queries/ShortQuery"
SHORT_QUERY_SINCE = "21.2"
SHORT_QUERY_PAGE = 100

# Deprecated methods answer 410 Gone. The API Permissions page lists "PayPlans POST (Deprecated in 23.3)".
DEPRECATED: dict[tuple[str, str], str] = {
    ("POST", "payplans"): "PayPlans POST was deprecated in version 23.3. Use PayPlans POST Dynamic instead.",
}

# Permission group needed by methods other than GET, for resources outside the table above.
WRITE_PERMISSIONS: dict[str, str] = {"payplans": "PayPlans", "queries": "Queries", "commlogs": "Comm"}


def version_tuple(version: str) -> tuple[int, ...]:
    """``"25.3.18"`` -> ``(25, 3, 18)``; used to compare the office version with "Version Added"."""
    return tuple(int(part) for part in version.split(".") if part.strip().isdigit())


def page_limit(mode: str, tier: str) -> int:
    """Largest Limit for a list GET: 100 remote / 1000 local and service; Enterprise: 1000 / 10,000."""
    if tier == "enterprise":
        return 1000 if mode == "remote" else 10_000
    return 100 if mode == "remote" else 1000


__all__ = [
    "DEPRECATED",
    "JOINS",
    "PERMISSION_GROUPS",
    "ROUTES",
    "ROUTES_CI",
    "SHORT_QUERY",
    "Field",
    "Filter",
    "Route",
    "page_limit",
    "version_tuple",
]
