"""The catalogue of Open Dental list resources odnb reads, as data (typing lives in :mod:`odnb.api.frames`).

Each :class:`Resource` says where it lives (``path``), which filters it takes (spelled as the API docs
spell them, with the version that added each), its primary key, its change filter for incremental pulls,
the permission it needs, how long a cached answer stays fresh, and the dtype of every column documented
in the API's example responses.

Example:
    >>> RESOURCES["procedurelogs"].key
    'ProcNum'
    >>> [f.name for f in RESOURCES["appointments"].filters][:3]
    ['PatNum', 'AptStatus', 'Op']
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

import pandas as pd

from odnb import periods
from odnb.api import enums
from odnb.api.errors import InvalidParameter, UnknownParameter, UnknownResource

log = logging.getLogger("odnb")

# How long a cached answer stays fresh, by class (seconds).
EXPIRY: dict[str, int] = {
    "lookup": 24 * 3600,  # providers, operatories, codes, definitions: change rarely
    "records": 3600,  # procedures, claims, payments...: an hour
    "live": 5 * 60,  # appointments and schedules move during the day
    "query": 10 * 60,  # ShortQuery answers
}

DTYPES: dict[str, str] = {
    "id": "Int64",
    "int": "Int64",
    "money": "Float64",
    "float": "Float64",
    "bool": "boolean",
    "date": "datetime64[ns]",
    "datetime": "datetime64[ns]",
    "time": "timedelta64[ns]",
    "enum": "category",
    "cat": "category",
    "str": "str",
}

RESERVED = ("Offset", "Limit")  # odnb pages for you


@dataclass(frozen=True)
class Filter:
    """One query-string filter of a list GET."""

    name: str
    type: str  # date | datetime | int | str | bool | enum
    added: str | None = None  # Open Dental version that added it (None: with the method)
    choices: tuple[str, ...] = ()
    required: bool = False


@dataclass(frozen=True)
class Via:
    """Refresh a table through a parent: one request per key of the parent's changed rows.

    ``parent`` is a resource name, or :data:`ACTIVITY` (every PatNum seen in this sync's changed rows);
    ``param`` is this resource's filter that takes the parent's ``column`` value.
    """

    param: str
    parent: str
    column: str
    new_only: bool = False  # only the parent's rows that are new (not yet stored), not every changed one


ACTIVITY = "*activity*"  # Via.parent: patients with activity (any changed row naming their PatNum)


@dataclass(frozen=True)
class Sync:
    """How ``odnb sync`` keeps a resource's store table current (read by :mod:`odnb.store.sync`).

    ``strategy``:
      * ``changed`` — the resource's ``change_filter`` (DateTStamp / SecDateTEdit / DateEntry) from the
        table's watermark minus ``overlap_minutes`` (clock skew and late commits);
      * ``via`` — through parents (``via`` rules): ClaimNum of changed claims, PayNum of new payments, ...;
        with the Queries permission, one ShortQuery on ``query_change`` instead, when it is set;
      * ``full`` — small reference tables, pulled whole every sync;
      * ``window`` — date-range resources (schedules): the whole range from ``window_days`` before the
        practice's latest activity to ``window_ahead_days`` after it, replacing that part of the table.
    ``appended`` (``via`` tables whose rows are added, seldom edited): new rows get keys above every stored
    one, so on a server seen to page by primary key (checked at every whole pull, kept in the store) the
    rows added since the last sync are the ones after the stored rows: read from one row back (``Offset``
    = stored rows - 1, which must answer the last stored row, or the parents are asked as usual); then
    only parents that are not new are asked.
    Every table is also pulled whole at a full reconcile (``odnb sync --full``, or when the last one is
    older than the reconcile interval): the only way to see deletions.
    """

    table: str  # the Open Dental table name: the store's table
    strategy: str  # changed | via | full | window
    via: tuple[Via, ...] = ()
    query_change: str | None = None  # the table's change column in Open Dental's MySQL (ShortQuery sync)
    query_dates: tuple[str, ...] = ()  # datetime columns the list endpoint sends as a date only
    # via: (filter, value) listing every row that can still change (claimprocs: Status=NotReceived), pulled
    # in one go instead of asking ``outstanding_parent`` (ClaimNum) of each changed parent, when cheaper
    outstanding: tuple[str, str] | None = None
    outstanding_parent: str | None = None
    appended: bool = False
    overlap_minutes: int = 60
    window_days: int = 7  # window: days before the practice's latest activity
    window_ahead_days: int = 14  # window: days after it (later days are refreshed at each reconcile)
    window_column: str | None = None  # the date column the window covers (schedules: SchedDate)


@dataclass(frozen=True)
class Resource:
    """One list GET of the Open Dental API."""

    name: str
    path: str
    key: str
    added: str
    filters: tuple[Filter, ...]
    columns: dict[str, str]
    change_filter: str | None = None  # DateTStamp | SecDateTEdit | DateEntry | None
    permission: str = "Read All"
    expiry: str = "records"
    date_range: tuple[str, str] | None = None  # (start filter, end filter) if the API has one
    range_column: str | None = None  # the column date_range (and a ``date`` filter) applies to
    enum_values: dict[str, tuple[str, ...]] = field(default_factory=dict)
    doc: str = ""
    notes: str = ""
    sync: Sync | None = None  # how the local store keeps it current (None: not stored)
    date_column: str | None = None  # the day a row is "in" (ProcDate...), for resources with no date range

    @property
    def dated_by(self) -> str | None:
        """The column a date window means: ``range_column`` when the API filters by date, else
        ``date_column`` (which the API cannot filter on)."""
        return self.range_column or self.date_column

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(f.name for f in self.filters if f.required)

    def filter(self, name: str) -> Filter | None:
        """The filter spelled ``name`` as the API spells it, any case; snake_case is a documented alias
        (``pat_num`` is ``PatNum``, ``proc_status`` is ``ProcStatus``)."""
        for f in self.filters:
            if f.name.lower() == name.lower() or _squash(f.name) == _squash(name):
                return f
        return None

    def dtypes(self) -> dict[str, str]:
        """Column -> pandas dtype of a typed frame."""
        return {c: DTYPES[k] for c, k in self.columns.items()}


def _squash(name: str) -> str:
    return name.replace("_", "").lower()


def _cols(spec: str) -> dict[str, str]:
    """``"ProcNum:id ProcFee:money Surf"`` -> ``{"ProcNum": "id", "ProcFee": "money", "Surf": "str"}``."""
    out: dict[str, str] = {}
    for token in spec.split():
        name, _, kind = token.partition(":")
        out[name] = kind or "str"
    return out


def _filters(spec: str, **choices: Iterable[str]) -> tuple[Filter, ...]:
    """``"PatNum:int AptStatus:enum@22.4.28 PatNum!"`` -> Filters (``@`` version added, ``!`` required)."""
    out = []
    for token in spec.split():
        required = token.endswith("!")
        token = token.rstrip("!")
        head, _, added = token.partition("@")
        name, _, kind = head.partition(":")
        out.append(Filter(name, kind or "str", added or None, tuple(choices.get(name, ())), required))
    return tuple(out)


PAT_STATUS_API = ("Patient", "NonPatient", "Inactive", "Archived", "Deceased", "Prospective")
APT_STATUS = tuple(k for k in enums.APT_STATUS if k != "None")
DATE_TSTAMP = "DateTStamp:datetime"

_R = [
    Resource(
        "patients/Simple", "patients/Simple", "PatNum", "21.2",
        _filters("LName FName Birthdate:date ClinicNum:int PatStatus:enum DateTStamp:datetime "
                 "PriProv:int@21.3 Gender:enum@22.3.6 Position:enum@22.3.6 Guarantor:int@22.4.19 "
                 "SuperFamily:int@22.4.38 EmployerNum:int@24.3.30 FeeSched:int@25.2.19",
                 PatStatus=PAT_STATUS_API, Gender=("Male", "Female", "Unknown", "Other"),
                 Position=tuple(enums.POSITION)),
        _cols("serverDateTime:datetime PatNum:id LName FName MiddleI Preferred PatStatus:enum Gender:enum "
              "Position:enum Birthdate:date SSN Address Address2 City State Zip HmPhone WkPhone "
              "WirelessPhone Guarantor:id Email EstBalance:money PriProv:id priProvAbbr SecProv:id "
              "secProvAbbr FeeSched:id BillingType:cat ImageFolder FamFinUrgNote ChartNumber MedicaidID "
              "BalTotal:money EmployerNum:id DateFirstVisit:date ClinicNum:id clinicAbbr Premed:bool Ward "
              "PreferConfirmMethod:cat PreferContactMethod:cat PreferRecallMethod:cat Language "
              "AdmitDate:date siteDesc DateTStamp:datetime SuperFamily:id TxtMsgOk:cat SecDateEntry:date"),
        change_filter="DateTStamp",
        enum_values={"PatStatus": tuple(enums.PAT_STATUS), "Gender": tuple(enums.GENDER),
                     "Position": tuple(enums.POSITION)},
        doc="apipatients.html#Patients GET Simple",
        notes="All patients with every field; BalTotal (family) is on the guarantor only.",
    ),
    Resource(
        "patients", "patients", "PatNum", "21.1",
        _filters("LName FName Phone Address hideInactive:bool City State SSN ChartNumber guarOnly:bool "
                 "showArchived:bool Birthdate:date SiteNum:int SubscriberId Email Country clinicNums "
                 "clinicAbbr invoiceNumber"),
        _cols("PatNum:id LName FName MiddleI Preferred PatStatus:enum Birthdate:date SSN Address Address2 "
              "City State Zip HmPhone WkPhone WirelessPhone Email priProvAbbr secProvAbbr BillingType:cat "
              "ChartNumber ClinicNum:id clinicAbbr siteDesc TxtMsgOk:cat"),
        enum_values={"PatStatus": tuple(enums.PAT_STATUS)},
        doc="apipatients.html#Patients GET (multiple)",
        notes="The Patient Select subset; no DateTStamp. Prefer patients/Simple.",
    ),
    Resource(
        "appointments", "appointments", "AptNum", "21.1",
        _filters("PatNum:int@21.4 AptStatus:enum@22.4.28 Op:int@23.2.27 date:date dateStart:date "
                 "dateEnd:date ClinicNum:int DateTStamp:datetime AppointmentTypeNum:int@24.4.22",
                 AptStatus=APT_STATUS),
        _cols("serverDateTime:datetime AptNum:id PatNum:id AptStatus:enum Pattern Confirmed:id "
              "confirmed:cat TimeLocked:bool Op:id Note ProvNum:id provAbbr ProvHyg:id "
              "AptDateTime:datetime NextAptNum:id UnschedStatus:id unschedStatus:cat IsNewPatient:bool "
              "ProcDescript ClinicNum:id IsHygiene:bool DateTStamp:datetime DateTimeArrived:datetime "
              "DateTimeSeated:datetime DateTimeDismissed:datetime InsPlan1:id InsPlan2:id "
              "DateTimeAskedToArrive:datetime colorOverride AppointmentTypeNum:id SecUserNumEntry:id "
              "SecDateTEntry:datetime Priority:cat PatternSecondary ItemOrderPlanned:int"),
        change_filter="DateTStamp", expiry="live", date_range=("dateStart", "dateEnd"),
        range_column="AptDateTime", enum_values={"AptStatus": APT_STATUS},
        doc="apiappointments.html#Appointments GET (multiple)",
        notes="dateStart/dateEnd are inclusive. Pattern: one character per 5 minutes.",
    ),
    Resource(
        "procedurelogs", "procedurelogs", "ProcNum", "21.1",
        _filters("PatNum:int AptNum:int@22.3.32 ProcStatus:enum@25.2.21 PlannedAptNum:int@24.4.5 "
                 "ClinicNum:int@23.3.13 CodeNum:int@25.2.21 DateTStamp:datetime",
                 ProcStatus=tuple(enums.PROC_STATUS)),
        _cols("ProcNum:id PatNum:id AptNum:id ProcDate:date ProcFee:money Surf ToothNum ToothRange "
              "Priority:id priority:cat ProcStatus:enum ProvNum:id provAbbr Dx:id dxName PlannedAptNum:id "
              "PlaceService:cat Prosthesis DateOriginalProsth:date ClaimNote DateEntryC:date ClinicNum:id "
              "CodeNum:id procCode descript UnitQty:int BaseUnits:int DateTP:date SiteNum:id "
              "HideGraphics:bool CanadianTypeCodes ProcTime:time ProcTimeEnd:time DateTStamp:datetime "
              "Prognosis:id IsLocked:bool BillingNote Discount:money IsDateProsthEst:bool "
              "SecDateEntry:datetime serverDateTime:datetime"),
        change_filter="DateTStamp",
        enum_values={"ProcStatus": tuple(enums.PROC_STATUS)},
        doc="apiprocedurelogs.html#ProcedureLogs GET (multiple)",
        notes="No ProcDate range filter: a date window needs a full pull (or DateTStamp / a ShortQuery).",
    ),
    Resource(
        "claimprocs", "claimprocs", "ClaimProcNum", "22.2.33",
        _filters("ProcNum:int@23.2.16 ClaimNum:int PatNum:int Status:enum@24.4.13 "
                 "ClaimPaymentNum:int@23.2.16",
                 Status=tuple(enums.CLAIMPROC_STATUS)),
        _cols("ClaimProcNum:id ProcNum:id ClaimNum:id PatNum:id ProvNum:id FeeBilled:money InsPayEst:money "
              "DedApplied:money Status:enum InsPayAmt:money Remarks ClaimPaymentNum:id PlanNum:id "
              "DateCP:date WriteOff:money CodeSent AllowedOverride:money Percentage:int PercentOverride:int "
              "CopayAmt:money NoBillIns:bool PaidOtherIns:money BaseEst:money CopayOverride:money "
              "ProcDate:date DateEntry:date DedEst:money DedEstOverride:money InsEstTotal:money "
              "InsEstTotalOverride:money PaidOtherInsOverride:money EstimateNote WriteOffEst:money "
              "WriteOffEstOverride:money ClinicNum:id InsSubNum:id PaymentRow:int PayPlanNum:id "
              "ClaimPaymentTracking:id claimPaymentTracking:cat SecUserNumEntry:id SecDateEntry:date "
              "SecDateTEdit:datetime DateSuppReceived:date DateInsFinalized:date IsTransfer:bool "
              "ClaimAdjReasonCodes"),
        enum_values={"Status": tuple(enums.CLAIMPROC_STATUS)},
        doc="apiclaimprocs.html#ClaimProcs GET (multiple)",
        notes="-1 in override columns means 'no override'. No change filter.",
    ),
    Resource(
        "claims", "claims", "ClaimNum", "22.2",
        _filters("PatNum:int ClaimStatus:enum@23.3.11 SecDateTEdit:datetime@23.3.11",
                 ClaimStatus=enums.CLAIM_STATUS),
        _cols("ClaimNum:id PatNum:id DateService:date DateSent:date ClaimStatus:enum DateReceived:date "
              "PlanNum:id ProvTreat:id ClaimFee:money InsPayEst:money InsPayAmt:money DedApplied:money "
              "IsProsthesis:cat PriorDate:date ReasonUnderPaid ClaimNote ClaimType:cat ProvBill:id "
              "PlaceService:cat AccidentRelated:cat AccidentDate:date AccidentST IsOrtho:bool "
              "OrthoRemainM:int OrthoDate:date PatRelat:cat PlanNum2:id PatRelat2:cat WriteOff:money "
              "ClaimForm:id InsSubNum:id InsSubNum2:id PriorAuthorizationNumber CustomTracking:id "
              "customTracking:cat OrthoTotalM:int SecDateTEdit:datetime"),
        change_filter="SecDateTEdit",
        enum_values={"ClaimStatus": enums.CLAIM_STATUS},
        doc="apiclaims.html#Claims GET (multiple)",
    ),
    Resource(
        "payments", "payments", "PayNum", "22.2.32",
        _filters("PayType:int@23.3.11 PatNum:int DateEntry:date"),
        _cols("PayNum:id PayType:id payType:cat PayDate:date PayAmt:money CheckNum BankBranch PayNote "
              "PatNum:id ClinicNum:id DateEntry:date DepositNum:id Receipt IsRecurringCC:bool "
              "SecUserNumEntry:id SecDateTEdit:datetime PaymentSource:cat ProcessStatus:cat "
              "RecurringChargeDate:date IsCcCompleted:bool serverDateTime:datetime"),
        change_filter="DateEntry",
        doc="apipayments.html#Payments GET",
        notes="DateEntry: payments entered on or after a date (not a range).",
    ),
    Resource(
        "paysplits", "paysplits", "SplitNum", "22.4.16",
        _filters("PatNum:int PayNum:int ProcNum:int@24.4.24"),
        _cols("SplitNum:id SplitAmt:money PatNum:id PayNum:id ProvNum:id PayPlanNum:id DatePay:date "
              "ProcNum:id DateEntry:date UnearnedType:id unearnedType:cat ClinicNum:id SecDateTEdit:datetime "
              "AdjNum:id PayPlanChargeNum:id PayPlanDebitType:cat"),
        doc="apipaysplits.html#PaySplits GET",
        notes="PatNum/PayNum optional since 24.4.24 (older offices need one of them).",
    ),
    Resource(
        "adjustments", "adjustments", "AdjNum", "22.2.21",
        _filters("PatNum:int! AdjType:int@22.2.33 ProcNum:int@22.4.28"),
        _cols("AdjNum:id AdjDate:date AdjAmt:money PatNum:id AdjType:id adjType:cat ProvNum:id AdjNote "
              "ProcDate:date ProcNum:id DateEntry:date ClinicNum:id SecUserNumEntry:id "
              "SecDateTEdit:datetime"),
        doc="apiadjustments.html#Adjustments GET",
        notes="PatNum is required: a practice-wide pull is one call per patient, or one ShortQuery.",
    ),
    Resource(
        "providers", "providers", "ProvNum", "21.1",
        _filters("ClinicNum:int DateTStamp:datetime@21.3"),
        _cols("ProvNum:id Abbr LName FName MI Suffix FeeSched:id Specialty:id SSN StateLicense "
              "IsSecondary:bool provColor IsHidden:bool UsingTIN:bool SigOnFile:bool NationalProvID "
              "DateTStamp:datetime IsNotPerson:bool ProvStatus:enum IsHiddenReport:bool Birthdate:date "
              "SchedNote PreferredName serverDateTime:datetime"),
        change_filter="DateTStamp", expiry="lookup",
        enum_values={"ProvStatus": tuple(enums.PROV_STATUS)},
        doc="apiproviders.html#Providers GET (multiple)",
        notes="IsSecondary true = hygienist.",
    ),
    Resource(
        "operatories", "operatories", "OperatoryNum", "21.1",
        _filters("ClinicNum:int"),
        _cols("OperatoryNum:id OpName Abbrev ItemOrder:int IsHidden:bool ProvDentist:id ProvHygienist:id "
              "IsHygiene:bool ClinicNum:id SetProspective:bool IsWebSched:bool OperatoryType:id "
              "operatoryType:cat"),
        expiry="lookup", doc="apioperatories.html#Operatories GET (multiple)",
    ),
    Resource(
        "clinics", "clinics", "ClinicNum", "21.1", (),
        _cols("ClinicNum:id Description Address Address2 City State Zip BillingAddress BillingAddress2 "
              "BillingCity BillingState BillingZip PayToAddress PayToAddress2 PayToCity PayToState PayToZip "
              "Phone Abbr IsHidden:bool"),
        expiry="lookup", doc="apiclinics.html#Clinics GET",
        notes="Empty: the office does not use clinics.",
    ),
    Resource(
        "procedurecodes", "procedurecodes", "CodeNum", "22.3.22",
        _filters("DateTStamp:datetime@22.4.28"),
        _cols("CodeNum:id ProcCode Descript AbbrDesc ProcTime ProcCat:id procCat:cat TreatArea:cat "
              "NoBillIns:bool IsProsth:bool DefaultNote IsHygiene:bool AlternateCode1 MedicalCode "
              "IsTaxed:bool PaintType:cat LaymanTerm IsCanadianLab:bool BaseUnits:int SubstitutionCode "
              "SubstOnlyIf:cat DateTStamp:datetime DrugNDC RevenueCodeDefault ProvNumDefault:id "
              "CanadaTimeUnits:float IsRadiology:bool DefaultClaimNote DefaultTPNote PaintText "
              "AreaAlsoToothRange:bool DiagnosticCodes"),
        change_filter="DateTStamp", expiry="lookup",
        doc="apiprocedurecodes.html#ProcedureCodes GET (multiple)",
    ),
    Resource(
        "recalls", "recalls", "RecallNum", "22.4.40",
        _filters("PatNum:int"),
        _cols("RecallNum:id PatNum:id DateDue:date DatePrevious:date RecallInterval RecallStatus:id "
              "recallStatus:cat Note IsDisabled:bool DateTStamp:datetime RecallTypeNum:id "
              "DisableUntilBalance:money DisableUntilDate:date DateScheduled:date Priority:cat "
              "TimePatternOverride"),
        doc="apirecalls.html#Recalls GET",
    ),
    Resource(
        "schedules", "schedules", "ScheduleNum", "22.1",
        _filters("date:date dateStart:date dateEnd:date SchedType:enum BlockoutDefNum:int ProvNum:int "
                 "EmployeeNum:int", SchedType=tuple(enums.SCHED_TYPE)),
        _cols("ScheduleNum:id SchedDate:date StartTime:time StopTime:time SchedType:enum ProvNum:id "
              "BlockoutType:id blockoutType:cat Note operatories EmployeeNum:id DateTStamp:datetime"),
        expiry="live", date_range=("dateStart", "dateEnd"), range_column="SchedDate",
        enum_values={"SchedType": tuple(enums.SCHED_TYPE)},
        doc="apischedules.html#Schedules GET (multiple)",
        notes="Without any date filter the API returns today's schedules only.",
    ),
    Resource(
        "definitions", "definitions", "DefNum", "21.1",
        _filters("Category:int includeHidden:bool"),
        _cols("DefNum:id ItemName ItemValue Category:int category:cat isHidden:bool"),
        expiry="lookup", doc="apidefinitions.html#Definitions GET",
    ),
    Resource(
        "insplans", "insplans", "PlanNum", "22.3.30",
        _filters("PlanType@24.2.11 CarrierNum:int@24.2.11"),
        _cols("PlanNum:id GroupName GroupNum PlanNote FeeSched:id PlanType:cat ClaimFormNum:id "
              "ClaimsUseUCR:bool CopayFeeSched:id EmployerNum:id CarrierNum:id IsMedical:bool FilingCode:id "
              "ShowBaseUnits:bool CodeSubstNone:bool IsHidden:bool MonthRenew:int FilingCodeSubtype:id "
              "CobRule:cat SecUserNumEntry:id SecDateEntry:date SecDateTEdit:datetime BillingType:id "
              "ExclusionFeeRule:cat ManualFeeSchedNum:id IsBlueBookEnabled:bool "
              "InsPlansZeroWriteOffsOnAnnualMaxOverride:cat InsPlansZeroWriteOffsOnFreqOrAgingOverride:cat"),
        expiry="lookup", doc="apiinsplans.html#InsPlans GET (multiple)",
    ),
    Resource(
        "patplans", "patplans", "PatPlanNum", "22.4.27",
        _filters("PatNum:int InsSubNum:int"),
        _cols("PatPlanNum:id PatNum:id Ordinal:int IsPending:bool Relationship:cat PatID InsSubNum:id "
              "OrthoAutoFeeBilledOverride:money OrthoAutoNextClaimDate:date SecDateTEntry:datetime "
              "SecDateTEdit:datetime"),
        doc="apipatplans.html#PatPlans GET",
    ),
    Resource(
        "inssubs", "inssubs", "InsSubNum", "22.4.28",
        _filters("PlanNum:int Subscriber:int SecDateTEdit:datetime"),
        _cols("InsSubNum:id PlanNum:id Subscriber:id DateEffective:date DateTerm:date SubscriberID "
              "BenefitNotes ReleaseInfo:bool AssignBen:bool SubscNote SecDateTEdit:datetime"),
        change_filter="SecDateTEdit", doc="apiinssubs.html#InsSubs GET (multiple)",
    ),
    Resource(
        "carriers", "carriers", "CarrierNum", "22.4.16", (),
        _cols("CarrierNum:id CarrierName Address Address2 City State Zip Phone ElectID NoSendElect:cat "
              "IsHidden:bool"),
        expiry="lookup", doc="apicarriers.html#Carriers GET (multiple)",
    ),
    # --- added for analysts (issue 10): one block, moved as a whole --------------------------------
    Resource(
        "reports/Aging", "reports/Aging", "PatNum", "21.4",
        _filters("DateAsOf:date ClinicNum:int@22.2"),
        _cols("PatNum:id patName Bal_0_30:money Bal_31_60:money Bal_61_90:money BalOver90:money "
              "BalTotal:money InsWoEst:money InsPayEst:money PatientPortion:money"),
        doc="apireports.html#Reports GET Aging",
        notes="One row per guarantor with a balance, as of DateAsOf (default today); no Queries needed.",
    ),
    Resource(
        "claimpayments", "claimpayments", "ClaimPaymentNum", "23.2.15",
        _filters("SecDateTEdit:datetime"),
        _cols("ClaimPaymentNum:id CheckDate:date CheckAmt:money CheckNum BankBranch Note ClinicNum:id "
              "DepositNum:id CarrierName DateIssued:date IsPartial:bool PayType:id payType:cat "
              "SecUserNumEntry:id SecDateEntry:date SecDateTEdit:datetime PayGroup:id payGroup:cat"),
        change_filter="SecDateTEdit", doc="apiclaimpayments.html#ClaimPayments GET (multiple)",
        notes="Insurance checks; claimprocs?ClaimPaymentNum= lists what each paid.",
    ),
    Resource(
        "commlogs", "commlogs", "CommlogNum", "21.1",
        _filters("PatNum:int DateTStamp:datetime@25.1.13"),
        _cols("CommlogNum:id PatNum:id CommDateTime:datetime CommType:id commType:cat Note Mode_:cat "
              "SentOrReceived:cat UserNum:id DateTStamp:datetime CommSource:cat ProgramNum:id "
              "DateTEntry:datetime ReferralNum:id"),
        change_filter="DateTStamp", doc="apicommlogs.html#Commlogs GET (multiple)",
        notes="PatNum is required before 25.1.13.",
    ),
    Resource(
        "treatplans", "treatplans", "TreatPlanNum", "22.4.16",
        _filters("PatNum:int SecDateTEdit:datetime TPStatus:enum", TPStatus=("Saved", "Active", "Inactive")),
        _cols("TreatPlanNum:id PatNum:id DateTP:date Heading Note SigIsTopaz:bool ResponsParty:id DocNum:id "
              "TPStatus:enum SecUserNumEntry:id SecDateEntry:date SecDateTEdit:datetime UserNumPresenter:id "
              "TPType:cat DateTSigned:datetime DateTPracticeSigned:datetime SignatureText "
              "SignaturePracticeText isSigned:bool isSignedPractice:bool"),
        change_filter="SecDateTEdit", enum_values={"TPStatus": ("Saved", "Active", "Inactive")},
        doc="apitreatplans.html#TreatPlans GET",
    ),
    Resource(
        "recalltypes", "recalltypes", "RecallTypeNum", "24.1.44", (),
        _cols("RecallTypeNum:id Description DefaultInterval TimePattern Procedures AppendToSpecial:bool"),
        expiry="lookup", doc="apirecalltypes.html#RecallTypes GET (multiple)",
    ),
    Resource(
        "proctps", "proctps", "ProcTPNum", "22.4.17",
        _filters("TreatPlanNum:int!"),
        _cols("ProcTPNum:id TreatPlanNum:id PatNum:id ProcNumOrig:id ItemOrder:int Priority:id priority:cat "
              "ToothNumTP Surf ProcCode Descript FeeAmt:money PriInsAmt:money SecInsAmt:money PatAmt:money "
              "Discount:money Prognosis Dx ProcAbbr SecUserNumEntry:id SecDateEntry:date "
              "SecDateTEdit:datetime FeeAllowed:money TaxAmt:money ProvNum:id DateTP:date ClinicNum:id "
              "CatPercUCR:money"),
        doc="apiproctps.html#ProcTPs GET",
        notes="Procedures of a Saved treatment plan, as they were when it was saved.",
    ),
    Resource(
        "payplans", "payplans", "PayPlanNum", "22.2.16",
        _filters("PatNum:int Guarantor:int"),
        _cols("PayPlanNum:id PatNum:id Guarantor:id PayPlanDate:date APR:float Note PlanNum:id "
              "CompletedAmt:money InsSubNum:id PaySchedule:cat NumberOfPayments:int PayAmt:money "
              "DownPayment:money IsClosed:bool PlanCategory:id planCategory:cat IsDynamic:bool "
              "ChargeFrequency:cat DatePayPlanStart:date IsLocked:bool DateInterestStart:date "
              "DynamicPayPlanTPOption:cat principalAmount:money SheetDefNum:id"),
        permission="Read All", doc="apipayplans.html#PayPlans GET (multiple)",
        notes="PatNum or Guarantor is required.",
    ),
    Resource(
        "payplancharges", "payplancharges", "PayPlanChargeNum", "23.2.28",
        _filters("PayPlanNum:int!"),
        _cols("PayPlanChargeNum:id PayPlanNum:id Guarantor:id PatNum:id ChargeDate:date Principal:money "
              "Interest:money Note ProvNum:id ClinicNum:id ChargeType:cat ProcNum:id SecDateTEntry:datetime "
              "SecDateTEdit:datetime StatementNum:id FKey:id LinkType:cat IsOffset:bool"),
        doc="apipayplancharges.html#PayPlanCharges GET",
    ),
    Resource(
        "refattaches", "refattaches", "RefAttachNum", "22.4.27",
        _filters("ReferralNum:int@25.2.10 PatNum:int DateTStamp:datetime@25.2.10"),
        _cols("RefAttachNum:id ReferralNum:id referralName PatNum:id ItemOrder:int RefDate:date "
              "ReferralType:cat RefToStatus:cat Note IsTransitionOfCare:bool ProcNum:id "
              "DateProcComplete:date ProvNum:id DateTStamp:datetime"),
        change_filter="DateTStamp", doc="apirefattaches.html#RefAttaches GET",
    ),
    Resource(
        "referrals", "referrals", "ReferralNum", "21.4",
        _filters("IsHidden:bool@24.1.34 NotPerson:bool@24.1.34 IsDoctor:bool@24.1.34 "
                 "IsPreferred:bool@24.1.34 isPatient:bool@24.1.34 BusinessName@24.4.19"),
        _cols("ReferralNum:id LName FName MName SSN UsingTIN:bool Specialty:id specialty:cat ST Telephone "
              "Address Address2 City Zip Note Phone2 IsHidden:bool NotPerson:bool Title EMail PatNum:id "
              "IsDoctor:bool DateTStamp:datetime IsPreferred:bool BusinessName DisplayNote isPatient:bool"),
        expiry="lookup", doc="apireferrals.html#Referrals GET (multiple)",
    ),
    Resource(
        "histappointments", "histappointments", "HistApptNum", "23.1.30",
        _filters("HistApptAction:enum AptNum:int PatNum:int AptStatus:enum ClinicNum:int date:date "
                 "dateStart:date dateEnd:date",
                 HistApptAction=("Created", "Changed", "Missed", "Cancelled", "Deleted"),
                 AptStatus=("Scheduled", "Complete", "UnschedList", "Broken", "Planned")),
        _cols("HistApptNum:id HistUserNum:id HistDateTStamp:datetime HistApptAction:enum ApptSource:cat "
              "AptNum:id PatNum:id AptStatus:enum Pattern Confirmed:id confirmed:cat TimeLocked:bool Op:id "
              "Note ProvNum:id provAbbr:cat ProvHyg:id AptDateTime:datetime NextAptNum:id UnschedStatus:id "
              "unschedStatus:cat IsNewPatient:bool ProcDescript ClinicNum:id IsHygiene:bool "
              "DateTStamp:datetime DateTimeArrived:datetime DateTimeSeated:datetime "
              "DateTimeDismissed:datetime InsPlan1:id InsPlan2:id DateTimeAskedToArrive:datetime "
              "colorOverride AppointmentTypeNum:id SecUserNumEntry:id SecDateTEntry:datetime Priority:cat "
              "PatternSecondary ItemOrderPlanned:int"),
        date_range=("dateStart", "dateEnd"),
        enum_values={"HistApptAction": ("Created", "Changed", "Missed", "Cancelled", "Deleted"),
                     "AptStatus": APT_STATUS},
        doc="apihistappointments.html#HistAppointments GET (multiple)",
        notes="One row each time an appointment was created, changed, missed, cancelled or deleted.",
    ),
    Resource(
        "securitylogs", "securitylogs", "SecurityLogNum", "23.1.33",
        _filters("PermType:enum"),
        _cols("SecurityLogNum:id PermType:cat UserNum:id LogDateTime LogText PatNum:id CompName "
              "LogSource:cat"),
        doc="apisecuritylogs.html#SecurityLogs GET",
        notes="Only the entries written through this developer's API calls.",
    ),
    Resource(
        "appointmenttypes", "appointmenttypes", "AppointmentTypeNum", "22.4.10", (),
        _cols("AppointmentTypeNum:id AppointmentTypeName appointmentTypeColor IsHidden:bool Pattern CodeStr "
              "CodeStrRequired RequiredProcCodesNeeded:cat BlockoutTypes"),
        expiry="lookup", doc="apiappointmenttypes.html#AppointmentTypes GET",
    ),
    Resource(
        "preferences", "preferences", "PrefNum", "21.1",
        _filters("PrefName"),
        _cols("PrefNum:id PrefName ValueString"),
        expiry="lookup", doc="apipreferences.html#Preferences GET",
        notes="Without PrefName: every preference (about 1000 in a real office), paged.",
    ),
]

# How the local store keeps each table current (``odnb sync``), in sync order: parents before the tables
# refreshed through them. ``patients`` (the Patient Select subset of patients/Simple) is not stored.
# ``query_change``: the change stamp column of the Open Dental table (MySQL schema: DateTStamp or
# SecDateTEdit, set on every insert and update); with the Queries permission one combined ShortQuery reads
# every table's rows changed since its mark (odnb.store.query_sync). Tables without one are read whole.
_SYNC: dict[str, Sync] = {
    "providers": Sync("provider", "changed", query_change="DateTStamp"),
    "operatories": Sync("operatory", "full"),
    "clinics": Sync("clinic", "full"),
    "definitions": Sync("definition", "full"),
    "carriers": Sync("carrier", "full"),
    "insplans": Sync("insplan", "full", query_change="SecDateTEdit"),
    "procedurecodes": Sync("procedurecode", "changed", query_change="DateTStamp"),
    "patients/Simple": Sync("patient", "changed", query_change="DateTStamp"),
    "inssubs": Sync("inssub", "changed", query_change="SecDateTEdit"),
    "appointments": Sync("appointment", "changed", query_change="DateTStamp"),
    "procedurelogs": Sync("procedurelog", "changed", query_change="DateTStamp"),
    "claims": Sync("claim", "changed", query_change="SecDateTEdit"),
    # DateEntry is a date: the watermark's whole day again
    "payments": Sync("payment", "changed", query_change="SecDateTEdit"),
    "claimpayments": Sync("claimpayment", "changed", query_change="SecDateTEdit"),
    # A new insurance check lists what it paid (claimprocs?ClaimPaymentNum=); claims sent since the last
    # sync are among the outstanding lines (Status=NotReceived, one pull) or asked by ClaimNum, whichever
    # costs less; a claim already covered by either is not asked again.
    "claimprocs": Sync("claimproc", "via", (Via("ClaimPaymentNum", "claimpayments", "ClaimPaymentNum"),
                                            Via("ClaimNum", "claims", "ClaimNum")),
                       query_change="SecDateTEdit", outstanding=("Status", "NotReceived"),
                       outstanding_parent="ClaimNum"),
    # A new payment's splits are new rows: read after the stored ones (one pull for the day's payments);
    # the splits of an older payment that changed are asked by its PayNum.
    "paysplits": Sync("paysplit", "via", (Via("PayNum", "payments", "PayNum"),), query_change="SecDateTEdit",
                      query_dates=("SecDateTEdit",),  # PaySplits GET sends "SecDateTEdit": "2023-01-27"
                      appended=True),
    # Coverage: a new subscription (inssubs' SecDateTEdit) or a new patient brings patplan rows; a plan
    # dropped or moved to another existing subscription waits for the reconcile.
    "patplans": Sync("patplan", "via", (Via("InsSubNum", "inssubs", "InsSubNum"),
                                        Via("PatNum", "patients/Simple", "PatNum", new_only=True)),
                     query_change="SecDateTEdit"),
    # Open Dental recomputes a patient's recalls when a procedure is completed or an appointment is
    # scheduled: the patients of changed procedures and appointments (staff edits in the recall list
    # alone wait for the reconcile).
    "recalls": Sync("recall", "via", (Via("PatNum", "appointments", "PatNum"),
                                      Via("PatNum", "procedurelogs", "PatNum")), query_change="DateTStamp"),
    "adjustments": Sync("adjustment", "via", (Via("PatNum", ACTIVITY, "PatNum"),),
                        query_change="SecDateTEdit"),
    "schedules": Sync("schedule", "window", window_days=1, window_ahead_days=14,
                      window_column="SchedDate"),
}

# The day a row belongs to, for resources whose GET has no date range filter: a date window on them means
# pulling and filtering this column (or the store, or a ShortQuery on the table).
_DATE_COLUMN: dict[str, str] = {
    "procedurelogs": "ProcDate",
    "claimprocs": "ProcDate",
    "claims": "DateService",
    "payments": "PayDate",
    "paysplits": "DatePay",
    "adjustments": "AdjDate",
    "recalls": "DateDue",
    "claimpayments": "CheckDate",
    "commlogs": "CommDateTime",
    "treatplans": "DateTP",
    "payplans": "PayPlanDate",
    "payplancharges": "ChargeDate",
    "refattaches": "RefDate",
    "patients/Simple": "DateFirstVisit",
}

RESOURCES: dict[str, Resource] = {
    r.name: replace(r, sync=_SYNC.get(r.name), date_column=_DATE_COLUMN.get(r.name)) for r in _R
}

# Stored integers of the enum columns the API spells as text (ShortQuery rows hold the integer).
ENUM_CODES: dict[str, dict[str, int]] = {
    "ProcStatus": enums.PROC_STATUS, "AptStatus": enums.APT_STATUS, "Status": enums.CLAIMPROC_STATUS,
    "PatStatus": enums.PAT_STATUS, "SchedType": enums.SCHED_TYPE, "Gender": enums.GENDER,
    "Position": enums.POSITION, "ProvStatus": enums.PROV_STATUS,
}

# Columns the list endpoints add by looking up another table (``column: (table, value, key, foreign
# key)``), so rows read by ShortQuery get them by the same lookup: ``(SELECT value FROM table WHERE
# table.key = t.foreign_key)``.
_DEF = ("definition", "ItemName", "DefNum")
QUERY_LOOKUPS: dict[str, dict[str, tuple[str, str, str, str]]] = {
    "procedurelogs": {"priority": (*_DEF, "Priority"), "dxName": (*_DEF, "Dx"),
                      "provAbbr": ("provider", "Abbr", "ProvNum", "ProvNum"),
                      "procCode": ("procedurecode", "ProcCode", "CodeNum", "CodeNum"),
                      "descript": ("procedurecode", "Descript", "CodeNum", "CodeNum")},
    "appointments": {"confirmed": (*_DEF, "Confirmed"), "unschedStatus": (*_DEF, "UnschedStatus"),
                     "provAbbr": ("provider", "Abbr", "ProvNum", "ProvNum")},
    "patients/Simple": {"priProvAbbr": ("provider", "Abbr", "ProvNum", "PriProv"),
                        "secProvAbbr": ("provider", "Abbr", "ProvNum", "SecProv"),
                        "clinicAbbr": ("clinic", "Abbr", "ClinicNum", "ClinicNum"),
                        "BillingType": (*_DEF, "BillingType")},
    "payments": {"payType": (*_DEF, "PayType")},
    "paysplits": {"unearnedType": (*_DEF, "UnearnedType")},
    "adjustments": {"adjType": (*_DEF, "AdjType")},
    "recalls": {"recallStatus": (*_DEF, "RecallStatus")},
    "procedurecodes": {"procCat": (*_DEF, "ProcCat")},
    "schedules": {"blockoutType": (*_DEF, "BlockoutType")},
}
# The stored resources, in sync order.
SYNCED: tuple[str, ...] = tuple(name for name in _SYNC if name in RESOURCES)

# ShortQuery: PUT queries/ShortQuery with {"SqlCommand": ...}; at most 100 rows per call, in every mode.
SHORTQUERY_PATH = "queries/ShortQuery"
SHORTQUERY_PAGE = 100
SHORTQUERY_PERMISSION = "Queries ($15 tier or higher)"


# --- lookup and validation ----------------------------------------------------------------------


def resource(name: str) -> Resource:
    """The catalogue entry for ``name`` (case-insensitive, leading/trailing slashes ignored)."""
    wanted = name.strip("/").lower() if isinstance(name, str) else ""
    for key, res in RESOURCES.items():
        if key.lower() == wanted:
            return res
    import difflib

    close = difflib.get_close_matches(wanted, [k.lower() for k in RESOURCES], n=1)
    near = f" Did you mean {close[0]!r}?" if close else ""
    raise UnknownResource(
        f"Unknown resource {name!r}.{near}",
        cause="odnb reads only the list resources in its catalogue",
        fix="Use one of: " + ", ".join(RESOURCES) + ". For anything else, use Client.query(sql).",
    )


def _as_date(value: Any, name: str) -> date:
    try:
        return periods.parse_date(value, name)
    except periods.PeriodError:
        raise InvalidParameter(
            f"{name}={value!r} is not a date.",
            cause="dates go to Open Dental as yyyy-MM-dd",
            fix=f"Pass {name} as 'YYYY-MM-DD' (e.g. '2026-01-31') or a datetime.date.",
        ) from None


def _as_datetime(value: Any, name: str) -> datetime:
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day)
    if isinstance(value, str):
        text = value.strip().replace("T", " ")
        for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
            try:
                return datetime.strptime(text, fmt)
            except ValueError:
                continue
    raise InvalidParameter(
        f"{name}={value!r} is not a date and time.",
        cause="Open Dental wants this filter as yyyy-MM-dd HH:mm:ss",
        fix=f"Pass {name} as 'YYYY-MM-DD HH:MM:SS' (e.g. '2026-01-31 08:00:00'), a date or a datetime.",
    )


def _format_value(f: Filter, value: Any, res: Resource) -> str:
    if f.type == "date":
        return _as_date(value, f.name).isoformat()
    if f.type == "datetime":
        return _as_datetime(value, f.name).strftime("%Y-%m-%d %H:%M:%S")
    if f.type == "int":
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit())
        ):
            raise InvalidParameter(
                f"{f.name}={value!r} is not a whole number.",
                cause=f"{f.name} is a number (a key such as PatNum or ClinicNum)",
                fix=f"Pass {f.name} as an int, e.g. {f.name}=12.",
            )
        return str(int(value))
    if f.type == "bool":
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower()
        raise InvalidParameter(
            f"{f.name}={value!r} is not true/false.", cause=f"{f.name} is a yes/no filter",
            fix=f"Pass {f.name}=True or {f.name}=False.",
        )
    if f.type == "enum" and f.choices:
        if isinstance(value, int) and not isinstance(value, bool):
            mapping = ENUM_CODES.get(f.name) if f.name != "ProvStatus" else None
            if mapping is not None:
                with contextlib.suppress(KeyError):
                    value = enums.text_of(mapping, value)
        for choice in f.choices:
            if isinstance(value, str) and choice.lower() == value.strip().lower():
                return choice
        raise InvalidParameter(
            f"{f.name}={value!r} is not a valid {res.name} {f.name}.",
            cause=f"{f.name} takes the API's text values",
            fix=f"Use one of: {', '.join(f.choices)}.",
        )
    return str(value)


def validate_params(res: Resource, params: Mapping[str, Any]) -> dict[str, str]:
    """Check ``params`` against the resource's filters and format them for the query string.

    Names match case-insensitively and come out spelled as the docs spell them; ``None`` values are
    dropped. Raises :class:`UnknownParameter` / :class:`InvalidParameter` (no request is made).
    """
    out: dict[str, str] = {}
    valid = ", ".join(f.name for f in res.filters) or "(none: this resource takes no filters)"
    for name, value in params.items():
        if value is None:
            continue
        if name in RESERVED or name.lower() in ("offset", "limit"):
            raise UnknownParameter(
                f"{name} is not a filter odnb lets you set.",
                cause="odnb pages through every result for you (Offset/Limit by the mode's page size)",
                fix="Drop it; use Client.iter_pages(...) to work page by page.",
            )
        f = res.filter(name)
        if f is None and looks_like_date(res, name, value):
            raise date_filter_error(res, name)
        if f is None:
            import difflib

            close = difflib.get_close_matches(name, [x.name for x in res.filters], n=1, cutoff=0.6)
            near = f" Did you mean {close[0]!r}?" if close else ""
            raise UnknownParameter(
                f"{res.name} has no filter {name!r}.{near}",
                cause=f"Open Dental's {res.name} GET takes only its documented filters",
                fix=f"Use one of: {valid}.",
            )
        out[f.name] = _format_value(f, value, res)
    missing = [n for n in res.required if n not in out]
    if missing:
        raise InvalidParameter(
            f"{res.name} needs {', '.join(missing)}.",
            cause=f"Open Dental's {res.name} GET refuses requests without {', '.join(missing)}",
            fix=f"Pass {missing[0]}=...; {res.notes}".strip(),
        )
    if res.date_range:
        start_name, end_name = res.date_range
        if start_name in out and end_name in out and out[start_name] > out[end_name]:
            raise InvalidParameter(
                f"{start_name} {out[start_name]} is after {end_name} {out[end_name]}.",
                cause="the range would be empty",
                fix=f"Swap them: {start_name} is the first day, {end_name} the last (both inclusive).",
            )
    return out


# The Client helpers that take a period as (start, end): od.appointments(...), od.schedules(...).
DATED_HELPERS: tuple[str, ...] = ("appointments", "schedules")

_DATE_WORDS = ("start", "end", "from", "to", "since", "until", "before", "after", "day", "month", "period")


def looks_like_date(res: Resource, name: str, value: Any) -> bool:
    """True when an unknown filter is meant as a date: named like one (``ProcDate``, ``start``, a date
    column of the resource) or given a date (``date``, ``yyyy-mm-dd`` text, a relative day)."""
    low = _squash(name)
    if "date" in low or low in _DATE_WORDS or res.columns.get(name) in ("date", "datetime"):
        return True
    if isinstance(value, (date, datetime)):
        return True
    if isinstance(value, str):
        with contextlib.suppress(periods.PeriodError):
            periods.parse_date(value, "end")
            return True
    return False


def date_filter_error(res: Resource, name: str, how: str = "filter") -> UnknownParameter:
    """The explained refusal of a date filter the API does not have, with what to do instead."""
    if res.date_range:
        first, last = res.date_range
        return UnknownParameter(
            f"{res.name} has no {how} {name!r}: its dates are {first} and {last}.",
            cause=f"Open Dental's {res.name} GET filters {res.range_column or 'its date'} by the range "
                  f"{first}..{last} (both days included)",
            fix=f"Pass {first}='2026-01-01', {last}='2026-01-31'"
                + (f" (od.{res.name}() takes them as start, end: od.{res.name}('2026-01-01', '2026-01-31'), "
                   f"or a relative period: od.{res.name}('last month'))" if res.name in DATED_HELPERS else "")
                + ".",
        )
    column = res.dated_by
    table = res.sync.table if res.sync else None
    column_words = f" by {column}" if column else " by date"
    change = (f" ({res.change_filter} selects rows changed since a time, not rows dated in a window)"
              if res.change_filter else "")
    steps = []
    if res.required:
        need = res.required[0]
        steps.append(f"pull it per {need} (od.get({res.name!r}, {need}=...)) and filter "
                     f"{column or 'its date'} in pandas")
    elif column:
        steps.append(f"pull and filter the frame: df = od.get({res.name!r}); "
                     f"df[df[{column!r}].between('2026-01-01', '2026-01-31')]")
    else:
        steps.append(f"pull the frame (od.get({res.name!r})) and filter it in pandas")
    if table:
        steps.append(f"or keep a local store (odnb sync) and ask it: "
                     f"odnb.store.open_store(profile).sql(\"SELECT * FROM {table} WHERE "
                     f"{column or 'the date column'} BETWEEN '2026-01-01' AND '2026-01-31'\")")
        steps.append(f"or one ShortQuery (Queries permission): od.query(\"SELECT * FROM {table} WHERE "
                     f"{column or 'the date column'} BETWEEN '2026-01-01' AND '2026-01-31'\")")
    which = f" ({name!r} is not one of its filters)" if name else ""
    return UnknownParameter(
        f"{res.name} cannot be filtered{column_words}{which}.",
        cause=f"Open Dental's {res.name} GET has no date filter{change}; its filters are: "
              + (", ".join(f.name for f in res.filters) or "none"),
        fix="; ".join(steps)[0].upper() + "; ".join(steps)[1:] + ".",
    )


def version_hint(res: Resource, params: Mapping[str, str]) -> str:
    """Which filters used need which Open Dental version (for error messages)."""
    newer = [f"{f.name} needs {f.added}" for n in params if (f := res.filter(n)) and f.added]
    base = f"{res.name} itself needs {res.added}"
    return "Versions: " + "; ".join([base, *newer]) + "."
