"""The demo practice's SQLite schema: Open Dental's own table and column names.

Enums are stored as Open Dental stores them (integers, see :mod:`odnb.api.enums`), dates as ``yyyy-MM-dd``,
datetimes as ``yyyy-MM-dd HH:mm:ss``, and "no date" as ``0001-01-01`` (``0001-01-01 00:00:00``), exactly as
the office database holds them, so ShortQuery SQL written for a real office runs unchanged on the demo.
Money is REAL rounded to cents. Booleans are 0/1 integers (tinyint in MySQL).

This is the contract between the generator (``odnb.demo.practice``), the server (``odnb.demo.server``)
and tests that cross-check KPIs with SQL. Columns may be added; none may be renamed.

Example:
    >>> import sqlite3
    >>> con = sqlite3.connect(":memory:")
    >>> create_schema(con)
    >>> "procedurelog" in table_names(con)
    True
"""

from __future__ import annotations

import sqlite3

NO_DATE = "0001-01-01"
NO_DATETIME = "0001-01-01 00:00:00"

DDL = """
CREATE TABLE clinic (
    ClinicNum INTEGER PRIMARY KEY, Description TEXT, Abbr TEXT, Address TEXT, City TEXT, State TEXT,
    Zip TEXT, Phone TEXT, IsHidden INTEGER DEFAULT 0
);
CREATE TABLE provider (
    ProvNum INTEGER PRIMARY KEY, Abbr TEXT, LName TEXT, FName TEXT, Suffix TEXT, FeeSched INTEGER,
    Specialty INTEGER, IsSecondary INTEGER, IsHidden INTEGER DEFAULT 0, ProvStatus INTEGER DEFAULT 0,
    ItemOrder INTEGER, ProvColor INTEGER, IsHiddenReport INTEGER DEFAULT 0, DateTStamp TEXT
);
CREATE TABLE operatory (
    OperatoryNum INTEGER PRIMARY KEY, OpName TEXT, Abbrev TEXT, ItemOrder INTEGER, IsHidden INTEGER,
    ProvDentist INTEGER, ProvHygienist INTEGER, IsHygiene INTEGER, ClinicNum INTEGER, SetProspective INTEGER
);
CREATE TABLE definition (
    DefNum INTEGER PRIMARY KEY, Category INTEGER, ItemOrder INTEGER, ItemName TEXT, ItemValue TEXT,
    ItemColor INTEGER, IsHidden INTEGER DEFAULT 0
);
CREATE TABLE procedurecode (
    CodeNum INTEGER PRIMARY KEY, ProcCode TEXT, Descript TEXT, AbbrDesc TEXT, ProcTime TEXT,
    ProcCat INTEGER, TreatArea INTEGER, IsHygiene INTEGER, DefaultFee REAL, DateTStamp TEXT
);
CREATE TABLE carrier (
    CarrierNum INTEGER PRIMARY KEY, CarrierName TEXT, Address TEXT, City TEXT, State TEXT, Zip TEXT,
    Phone TEXT, ElectID TEXT
);
CREATE TABLE insplan (
    PlanNum INTEGER PRIMARY KEY, GroupName TEXT, GroupNum TEXT, CarrierNum INTEGER, PlanType TEXT,
    FeeSched INTEGER, IsMedical INTEGER DEFAULT 0, SecDateTEdit TEXT
);
CREATE TABLE patient (
    PatNum INTEGER PRIMARY KEY, LName TEXT, FName TEXT, MiddleI TEXT, Preferred TEXT, PatStatus INTEGER,
    Gender INTEGER, Position INTEGER, Birthdate TEXT, Address TEXT, City TEXT, State TEXT, Zip TEXT,
    HmPhone TEXT, WirelessPhone TEXT, Email TEXT, Guarantor INTEGER, PriProv INTEGER, SecProv INTEGER,
    FeeSched INTEGER, BillingType INTEGER, ClinicNum INTEGER, DateFirstVisit TEXT, HasIns TEXT,
    EstBalance REAL, BalTotal REAL, Bal_0_30 REAL, Bal_31_60 REAL, Bal_61_90 REAL, BalOver90 REAL,
    InsEst REAL, SecDateEntry TEXT, DateTStamp TEXT, SSN TEXT DEFAULT '', Address2 TEXT DEFAULT '',
    WkPhone TEXT DEFAULT '', ChartNumber TEXT DEFAULT '', MedicaidID TEXT DEFAULT '',
    EmployerNum INTEGER DEFAULT 0, Premed INTEGER DEFAULT 0, Ward TEXT DEFAULT '', Language TEXT DEFAULT '',
    AdmitDate TEXT DEFAULT '0001-01-01', SuperFamily INTEGER DEFAULT 0,
    FamFinUrgNote TEXT DEFAULT '', ImageFolder TEXT DEFAULT '',
    Title TEXT DEFAULT '', Salutation TEXT DEFAULT ''
);
CREATE TABLE preference (PrefNum INTEGER PRIMARY KEY, PrefName TEXT, ValueString TEXT);
CREATE TABLE appointmenttype (
    AppointmentTypeNum INTEGER PRIMARY KEY, AppointmentTypeName TEXT, AppointmentTypeColor INTEGER,
    ItemOrder INTEGER, IsHidden INTEGER DEFAULT 0, Pattern TEXT, CodeStr TEXT DEFAULT '',
    CodeStrRequired TEXT DEFAULT '', RequiredProcCodesNeeded INTEGER DEFAULT 0, BlockoutTypes TEXT DEFAULT ''
);
CREATE TABLE referral (
    ReferralNum INTEGER PRIMARY KEY, LName TEXT, FName TEXT, MName TEXT DEFAULT '', SSN TEXT DEFAULT '',
    UsingTIN INTEGER DEFAULT 0, Specialty INTEGER DEFAULT 0, ST TEXT DEFAULT '', Telephone TEXT DEFAULT '',
    Address TEXT DEFAULT '', Address2 TEXT DEFAULT '', City TEXT DEFAULT '', Zip TEXT DEFAULT '',
    Note TEXT DEFAULT '', Phone2 TEXT DEFAULT '', IsHidden INTEGER DEFAULT 0, NotPerson INTEGER DEFAULT 0,
    Title TEXT DEFAULT '', EMail TEXT DEFAULT '', PatNum INTEGER DEFAULT 0, IsDoctor INTEGER DEFAULT 0,
    DateTStamp TEXT, IsPreferred INTEGER DEFAULT 0, BusinessName TEXT DEFAULT '', DisplayNote TEXT DEFAULT ''
);
CREATE TABLE refattach (
    RefAttachNum INTEGER PRIMARY KEY, ReferralNum INTEGER, PatNum INTEGER, ItemOrder INTEGER, RefDate TEXT,
    RefType INTEGER, RefToStatus INTEGER DEFAULT 0, Note TEXT DEFAULT '',
    IsTransitionOfCare INTEGER DEFAULT 0,
    ProcNum INTEGER DEFAULT 0, DateProcComplete TEXT DEFAULT '0001-01-01', ProvNum INTEGER DEFAULT 0,
    DateTStamp TEXT
);
CREATE TABLE payplan (
    PayPlanNum INTEGER PRIMARY KEY, PatNum INTEGER, Guarantor INTEGER, PayPlanDate TEXT, APR REAL,
    Note TEXT, PlanNum INTEGER DEFAULT 0, CompletedAmt REAL, InsSubNum INTEGER DEFAULT 0,
    PaySchedule INTEGER DEFAULT 0, NumberOfPayments INTEGER, PayAmt REAL, DownPayment REAL,
    IsClosed INTEGER DEFAULT 0, PlanCategory INTEGER DEFAULT 0, IsDynamic INTEGER, ChargeFrequency INTEGER,
    DatePayPlanStart TEXT, IsLocked INTEGER DEFAULT 0, DateInterestStart TEXT DEFAULT '0001-01-01',
    DynamicPayPlanTPOption INTEGER DEFAULT 0, SecDateTEdit TEXT
);
CREATE TABLE payplancharge (
    PayPlanChargeNum INTEGER PRIMARY KEY, PayPlanNum INTEGER, Guarantor INTEGER, PatNum INTEGER,
    ChargeDate TEXT, Principal REAL, Interest REAL, Note TEXT DEFAULT '', ProvNum INTEGER, ClinicNum INTEGER,
    ChargeType INTEGER DEFAULT 0, ProcNum INTEGER DEFAULT 0, SecDateTEntry TEXT, SecDateTEdit TEXT,
    StatementNum INTEGER DEFAULT 0, FKey INTEGER DEFAULT 0, LinkType INTEGER DEFAULT 0,
    IsOffset INTEGER DEFAULT 0
);
CREATE TABLE securitylog (
    SecurityLogNum INTEGER PRIMARY KEY, PermType INTEGER, UserNum INTEGER, LogDateTime TEXT, LogText TEXT,
    PatNum INTEGER, CompName TEXT, FKey INTEGER DEFAULT 0, LogSource INTEGER DEFAULT 0
);
CREATE TABLE payperiod (
    PayPeriodNum INTEGER PRIMARY KEY, DateStart TEXT, DateStop TEXT, DatePaycheck TEXT
);
CREATE TABLE inssub (
    InsSubNum INTEGER PRIMARY KEY, PlanNum INTEGER, Subscriber INTEGER, DateEffective TEXT, DateTerm TEXT,
    SubscriberID TEXT, SecDateTEdit TEXT
);
CREATE TABLE patplan (
    PatPlanNum INTEGER PRIMARY KEY, PatNum INTEGER, Ordinal INTEGER, IsPending INTEGER,
    Relationship INTEGER, PatID TEXT, InsSubNum INTEGER, SecDateTEdit TEXT
);
CREATE TABLE appointment (
    AptNum INTEGER PRIMARY KEY, PatNum INTEGER, AptStatus INTEGER, Pattern TEXT, Confirmed INTEGER,
    Op INTEGER, Note TEXT, ProvNum INTEGER, ProvHyg INTEGER, AptDateTime TEXT, NextAptNum INTEGER,
    UnschedStatus INTEGER, IsNewPatient INTEGER, ProcDescript TEXT, ClinicNum INTEGER, IsHygiene INTEGER,
    DateTimeArrived TEXT, DateTimeSeated TEXT, DateTimeDismissed TEXT, AptDateTimeArrived TEXT,
    Priority INTEGER DEFAULT 0, SecDateTEntry TEXT, DateTStamp TEXT
);
CREATE TABLE procedurelog (
    ProcNum INTEGER PRIMARY KEY, PatNum INTEGER, AptNum INTEGER, PlannedAptNum INTEGER, ProcDate TEXT,
    ProcFee REAL, Surf TEXT, ToothNum TEXT, ToothRange TEXT, Priority INTEGER, ProcStatus INTEGER,
    ProvNum INTEGER, Dx INTEGER, ClinicNum INTEGER, CodeNum INTEGER, UnitQty INTEGER, BaseUnits INTEGER,
    DateTP TEXT, DateEntryC TEXT, DateComplete TEXT, Discount REAL DEFAULT 0, SecDateEntry TEXT,
    DateTStamp TEXT
);
CREATE TABLE treatplan (
    TreatPlanNum INTEGER PRIMARY KEY, PatNum INTEGER, DateTP TEXT, Heading TEXT, Note TEXT,
    TPStatus INTEGER, SecDateTEdit TEXT
);
CREATE TABLE treatplanattach (
    TreatPlanAttachNum INTEGER PRIMARY KEY, TreatPlanNum INTEGER, ProcNum INTEGER, Priority INTEGER
);
CREATE TABLE claim (
    ClaimNum INTEGER PRIMARY KEY, PatNum INTEGER, DateService TEXT, DateSent TEXT, ClaimStatus TEXT,
    DateReceived TEXT, PlanNum INTEGER, InsSubNum INTEGER, ProvTreat INTEGER, ProvBill INTEGER,
    ClaimFee REAL, InsPayEst REAL, InsPayAmt REAL, DedApplied REAL, WriteOff REAL, ClaimType TEXT,
    ClinicNum INTEGER, SecDateEntry TEXT, SecDateTEdit TEXT
);
CREATE TABLE claimpayment (
    ClaimPaymentNum INTEGER PRIMARY KEY, CheckDate TEXT, CheckAmt REAL, CheckNum TEXT, BankBranch TEXT,
    CarrierName TEXT, ClinicNum INTEGER, DateIssued TEXT, PayType INTEGER, SecDateTEdit TEXT
);
CREATE TABLE claimproc (
    ClaimProcNum INTEGER PRIMARY KEY, ProcNum INTEGER, ClaimNum INTEGER, PatNum INTEGER, ProvNum INTEGER,
    FeeBilled REAL, InsPayEst REAL, DedApplied REAL, Status INTEGER, InsPayAmt REAL, Remarks TEXT,
    ClaimPaymentNum INTEGER, PlanNum INTEGER, InsSubNum INTEGER, DateCP TEXT, WriteOff REAL,
    CodeSent TEXT, AllowedOverride REAL DEFAULT -1, Percentage INTEGER DEFAULT -1,
    PercentOverride INTEGER DEFAULT -1, CopayAmt REAL DEFAULT -1, BaseEst REAL, InsEstTotal REAL,
    InsEstTotalOverride REAL DEFAULT -1, WriteOffEst REAL DEFAULT -1, WriteOffEstOverride REAL DEFAULT -1,
    ProcDate TEXT, DateEntry TEXT, ClinicNum INTEGER, SecDateEntry TEXT, SecDateTEdit TEXT
);
CREATE TABLE payment (
    PayNum INTEGER PRIMARY KEY, PayType INTEGER, PayDate TEXT, PayAmt REAL, CheckNum TEXT, BankBranch TEXT,
    PayNote TEXT, PatNum INTEGER, ClinicNum INTEGER, DateEntry TEXT, ProcessStatus INTEGER DEFAULT 0,
    SecDateTEdit TEXT
);
CREATE TABLE paysplit (
    SplitNum INTEGER PRIMARY KEY, SplitAmt REAL, PatNum INTEGER, DatePay TEXT, ProcNum INTEGER,
    ProvNum INTEGER, PayNum INTEGER, ClinicNum INTEGER, UnearnedType INTEGER DEFAULT 0,
    AdjNum INTEGER DEFAULT 0, PayPlanNum INTEGER DEFAULT 0, DateEntry TEXT, SecDateTEdit TEXT
);
CREATE TABLE adjustment (
    AdjNum INTEGER PRIMARY KEY, AdjDate TEXT, AdjAmt REAL, PatNum INTEGER, AdjType INTEGER,
    ProvNum INTEGER, AdjNote TEXT, ProcDate TEXT, ProcNum INTEGER, DateEntry TEXT, ClinicNum INTEGER,
    SecDateTEdit TEXT
);
CREATE TABLE recalltype (
    RecallTypeNum INTEGER PRIMARY KEY, Description TEXT, DefaultInterval TEXT, TimePattern TEXT,
    Procedures TEXT
);
CREATE TABLE recall (
    RecallNum INTEGER PRIMARY KEY, PatNum INTEGER, DateDueCalc TEXT, DateDue TEXT, DatePrevious TEXT,
    RecallInterval TEXT, RecallStatus INTEGER, Note TEXT, IsDisabled INTEGER, RecallTypeNum INTEGER,
    DateScheduled TEXT, DateTStamp TEXT
);
CREATE TABLE schedule (
    ScheduleNum INTEGER PRIMARY KEY, SchedDate TEXT, StartTime TEXT, StopTime TEXT, SchedType INTEGER,
    ProvNum INTEGER, BlockoutType INTEGER, Note TEXT, Status INTEGER, EmployeeNum INTEGER,
    ClinicNum INTEGER, DateTStamp TEXT
);
CREATE TABLE scheduleop (ScheduleOpNum INTEGER PRIMARY KEY, ScheduleNum INTEGER, OperatoryNum INTEGER);
CREATE TABLE commlog (
    CommlogNum INTEGER PRIMARY KEY, PatNum INTEGER, CommDateTime TEXT, CommType INTEGER, Note TEXT,
    Mode_ INTEGER, SentOrReceived INTEGER, DateTStamp TEXT
);
"""

# Open Dental keeps these as tables; the demo derives them from the rows they copy.
VIEWS = """
CREATE VIEW proctp AS
SELECT a.TreatPlanAttachNum AS ProcTPNum, a.TreatPlanNum, l.PatNum, l.ProcNum AS ProcNumOrig,
       a.TreatPlanAttachNum - (SELECT MIN(b.TreatPlanAttachNum) FROM treatplanattach b
                               WHERE b.TreatPlanNum = a.TreatPlanNum) AS ItemOrder,
       a.Priority, l.ToothNum AS ToothNumTP, l.Surf, c.ProcCode, c.Descript,
       ROUND(l.ProcFee * (l.UnitQty + l.BaseUnits), 2) AS FeeAmt,
       COALESCE((SELECT ROUND(SUM(p.InsPayEst), 2) FROM claimproc p WHERE p.ProcNum = l.ProcNum
                 AND p.Status IN (0, 6)), 0) AS PriInsAmt,
       0.0 AS SecInsAmt, l.Discount, c.AbbrDesc AS ProcAbbr, t.SecDateTEdit, l.ProvNum, t.DateTP,
       l.ClinicNum, ROUND(l.ProcFee * (l.UnitQty + l.BaseUnits), 2) AS CatPercUCR
  FROM treatplanattach a JOIN treatplan t ON t.TreatPlanNum = a.TreatPlanNum
  JOIN procedurelog l ON l.ProcNum = a.ProcNum LEFT JOIN procedurecode c ON c.CodeNum = l.CodeNum;
CREATE VIEW histappointment AS
SELECT a.AptNum * 2 - 1 AS HistApptNum, a.SecDateTEntry AS HistDateTStamp, 0 AS HistApptAction,
       CASE a.AptStatus WHEN 6 THEN 6 WHEN 4 THEN 4 ELSE 1 END AS HistAptStatus, a.*
  FROM appointment a WHERE a.AptStatus NOT IN (7, 8)
UNION ALL
SELECT a.AptNum * 2, a.DateTStamp, CASE a.AptStatus WHEN 5 THEN 2 ELSE 1 END, a.AptStatus, a.*
  FROM appointment a WHERE a.AptStatus IN (2, 3, 5) AND a.DateTStamp > a.SecDateTEntry;
"""

INDEXES = """
CREATE INDEX ix_procedurelog_pat ON procedurelog (PatNum);
CREATE INDEX ix_procedurelog_apt ON procedurelog (AptNum);
CREATE INDEX ix_procedurelog_stamp ON procedurelog (DateTStamp);
CREATE INDEX ix_appointment_date ON appointment (AptDateTime);
CREATE INDEX ix_appointment_pat ON appointment (PatNum);
CREATE INDEX ix_claimproc_proc ON claimproc (ProcNum);
CREATE INDEX ix_claimproc_claim ON claimproc (ClaimNum);
CREATE INDEX ix_claimproc_pat ON claimproc (PatNum);
CREATE INDEX ix_paysplit_pat ON paysplit (PatNum);
CREATE INDEX ix_paysplit_pay ON paysplit (PayNum);
CREATE INDEX ix_adjustment_pat ON adjustment (PatNum);
CREATE INDEX ix_payment_pat ON payment (PatNum);
CREATE INDEX ix_claim_pat ON claim (PatNum);
CREATE INDEX ix_recall_pat ON recall (PatNum);
CREATE INDEX ix_schedule_date ON schedule (SchedDate);
CREATE INDEX ix_scheduleop_sched ON scheduleop (ScheduleNum);
"""


def create_schema(con: sqlite3.Connection) -> None:
    """Create every table and index of the demo practice in ``con``."""
    con.executescript(DDL)
    con.executescript(VIEWS)
    con.executescript(INDEXES)


def table_names(con: sqlite3.Connection) -> list[str]:
    """Names of the tables in ``con``."""
    return [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name")]
