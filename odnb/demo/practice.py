"""A synthetic dental practice in an SQLite file with Open Dental's table and column names.

The practice is deterministic from its :class:`PracticeSpec` (seed, size, history length, clinics and the
date it treats as "today"): two builds of one spec give identical tables. Families with guarantors, real
CDT codes at 2026 UCR fees, hygiene recall cycles, PPO insurance with claims, write-offs and supplemental
payments, patient payments and adjustments, broken appointments, treatment plans, recalls and provider
schedules. The books reconcile: each guarantor's BalTotal is the family ledger (completed fees +
adjustments - insurance paid - write-offs - patient paysplits), and collections run at about 95-99% of net
production with a recent receivable left open.

Modelling choices worth knowing:
    * Established patients (most families) carry one converted exam dated before the history window, so
      "new patients" per month is steady from the first month; DateFirstVisit is that exam's date.
    * Diagnosed treatment has DateTP = the exam date; routine hygiene/diagnostic procedures never pass
      through a treatment plan and have DateTP 0001-01-01, so case acceptance measures diagnosed treatment.
    * future_days bounds the front desk's schedule; a recall appointment booked at a hygiene visit sits at
      the recall interval after it (up to about 6 months past today) as in a real office.
    * EstBalance = the patient's own balance minus pending insurance (NotReceived InsPayEst + WriteOff);
      InsEst on the guarantor = the family's pending InsPayEst.

Example:
    >>> from datetime import date
    >>> from pathlib import Path
    >>> import tempfile
    >>> spec = PracticeSpec(seed=1, patients=40, years=1, today=date(2026, 6, 1))
    >>> path = build_practice(Path(tempfile.mkdtemp()) / "p.sqlite", spec)
    >>> path.stat().st_size > 0
    True
"""

from __future__ import annotations

import contextlib
import hashlib
import heapq
import json
import os
import random
import sqlite3
import time
from collections import defaultdict
from dataclasses import asdict, dataclass, field, replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

from odnb.api.enums import APT_STATUS, CLAIMPROC_STATUS, GENDER, PAT_STATUS, POSITION, PROC_STATUS, SCHED_TYPE
from odnb.demo import catalog as cat
from odnb.demo.schema import NO_DATE, NO_DATETIME, create_schema
from odnb.paths import practice_dir, replacing_privately

GENERATOR_VERSION = "3"  # bump whenever generated contents change, so cached demo databases rebuild

# Behaviour of patients, staff and payers (probabilities per event unless said otherwise).
P_ESTABLISHED = 0.72  # families already patients before the history window
P_NEVER_RETURN = 0.05  # established patients with no visit in the window
P_PERIO_ADULT = 0.26  # adults needing periodontal care
P_BREAK = 0.085  # a past appointment is broken (missed or cancelled)
P_BREAK_TO_UNSCHED = 0.15  # ... and sent to the Unscheduled list instead of staying Broken
P_STALE = 0.004  # a past appointment left Scheduled (never set complete or broken)
P_REAPPOINT_SAME_DAY = 0.91  # next recall booked at the hygiene visit
P_CHURN = 0.025  # a patient leaves after a hygiene visit
P_EMERGENCY_PER_YEAR = 0.15
P_FINDING_ADULT, P_FINDING_NEW, P_FINDING_CHILD = 0.5, 0.75, 0.18
P_BOOK_TX_SAME_DAY = 0.6
P_CHECKOUT_PAY = {False: 0.74, True: 0.68}  # by insured
P_STATEMENT_PAY = {False: 0.24, True: 0.3}
P_SUPPLEMENTAL = 0.05
P_CLAIM_LOST = 0.002
SENIOR_AGE = 65
MISSED_FEE = 50.0

PK = {
    "clinic": "ClinicNum",
    "provider": "ProvNum",
    "operatory": "OperatoryNum",
    "definition": "DefNum",
    "procedurecode": "CodeNum",
    "carrier": "CarrierNum",
    "insplan": "PlanNum",
    "patient": "PatNum",
    "inssub": "InsSubNum",
    "patplan": "PatPlanNum",
    "appointment": "AptNum",
    "procedurelog": "ProcNum",
    "treatplan": "TreatPlanNum",
    "treatplanattach": "TreatPlanAttachNum",
    "claim": "ClaimNum",
    "claimpayment": "ClaimPaymentNum",
    "claimproc": "ClaimProcNum",
    "payment": "PayNum",
    "paysplit": "SplitNum",
    "adjustment": "AdjNum",
    "recalltype": "RecallTypeNum",
    "recall": "RecallNum",
    "schedule": "ScheduleNum",
    "scheduleop": "ScheduleOpNum",
    "commlog": "CommlogNum",
    "payperiod": "PayPeriodNum",
    "preference": "PrefNum",
    "appointmenttype": "AppointmentTypeNum",
    "referral": "ReferralNum",
    "refattach": "RefAttachNum",
    "payplan": "PayPlanNum",
    "payplancharge": "PayPlanChargeNum",
    "securitylog": "SecurityLogNum",
}

# Preferences the API's readers ask for (Recall List window as in the Preferences GET example).
PREFERENCES: tuple[tuple[str, str], ...] = (
    ("PracticeTitle", "Maple Street Dental"),
    ("RecallDaysPast", "365"),
    ("RecallDaysFuture", "7"),
    ("RecallTypesShowingInList", "1,2,3"),
    ("AgingCalculatedMonthlyInsteadOfDaily", "0"),
    ("AgingIsEnterprise", "0"),
    ("AgingReportShowAgePatPayplanPayments", "0"),
    ("BalancesDontSubtractIns", "0"),
    ("EasyNoClinics", "1"),
)
APPOINTMENT_TYPES: tuple[tuple[str, str, str], ...] = (  # name, pattern, codes
    ("New Patient", "/XXXXXX/", "D0150,D0210"),
    ("Recall", "/XXXXXXXX/", "D0120,D1110"),
    ("Perio Maintenance", "/XXXXXXXXX/", "D0120,D4910"),
    ("Emergency", "/XX/", "D0140"),
)
REFERRAL_SOURCES: tuple[tuple[str, str, str, bool, bool], ...] = (  # LName, FName, Title, doctor, not person
    ("Davidson", "Norm", "DMD", True, False),
    ("Okafor", "Grace", "DDS", True, False),
    ("Facebook Ad", "", "", False, True),
    ("Google Search", "", "", False, True),
    ("Yellow Pages", "", "", False, True),
)


@dataclass(frozen=True)
class PracticeSpec:
    """What practice to build. ``today=None`` means the real current date (resolved when building).

    Example:
        >>> PracticeSpec(patients=300, years=2).clinics
        1
    """

    seed: int = 42
    patients: int = 1500
    years: int = 3
    clinics: int = 1
    today: date | None = None
    future_days: int = 120

    def __post_init__(self) -> None:
        problems = []
        for name in ("seed", "patients", "years", "clinics", "future_days"):
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool):
                problems.append(f"{name} must be a whole number, got {value!r}")
        if problems:
            raise ValueError("Bad PracticeSpec: " + "; ".join(problems))
        if self.patients < 10:
            problems.append(f"patients must be at least 10, got {self.patients}")
        if not 1 <= self.years <= 20:
            problems.append(f"years must be between 1 and 20, got {self.years}")
        if self.clinics not in (1, 3):
            problems.append(f"clinics must be 1 or 3, got {self.clinics}")
        if not 0 <= self.future_days <= 730:
            problems.append(f"future_days must be between 0 and 730, got {self.future_days}")
        if self.today is not None and (not isinstance(self.today, date) or isinstance(self.today, datetime)):
            problems.append(f"today must be a datetime.date or None, got {self.today!r}")
        if problems:
            raise ValueError("Bad PracticeSpec: " + "; ".join(problems))

    def resolved(self) -> PracticeSpec:
        """This spec with ``today`` filled in (the current date when it was None)."""
        return self if self.today is not None else replace(self, today=date.today())

    def cache_key(self) -> str:
        """A short hash of the resolved spec and the generator version: the cached file's name."""
        data = asdict(self.resolved())
        data["today"] = data["today"].isoformat()
        data["generator"] = GENERATOR_VERSION
        return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def build_practice(path: Path | str, spec: PracticeSpec | None = None) -> Path:
    """Build the practice of ``spec`` into the SQLite file ``path`` (replaced atomically, mode 0600).

    Example:
        >>> build_practice("/tmp/odnb-demo.sqlite", PracticeSpec(patients=20, years=1))  # doctest: +SKIP
    """
    spec = (spec or PracticeSpec()).resolved()
    path = Path(path)
    if not path.parent.is_dir():
        raise ValueError(f"Cannot build the demo practice at {path}: folder {path.parent} does not exist")
    tables = _Practice(spec).build()
    with replacing_privately(path) as tmp:
        _write(tmp, tables)
    return path


def demo_cache_dir() -> Path:
    """``$ODNB_CACHE_DIR/demo`` (default ``platformdirs.user_cache_dir("odnb")/demo``), created 0700."""
    return practice_dir("demo")


def demo_database(spec: PracticeSpec | None = None) -> Path:
    """The demo practice's SQLite file, built on first use and reused while spec, day and generator match.

    Example:
        >>> demo_database(PracticeSpec(patients=50, years=1)).suffix  # doctest: +SKIP
        '.sqlite'
    """
    spec = (spec or PracticeSpec()).resolved()
    folder = demo_cache_dir()
    path = folder / f"practice-{spec.cache_key()}.sqlite"
    if path.is_file():
        with contextlib.suppress(OSError):
            os.utime(path)  # in use: keep it out of the stale sweep
        return path
    build_practice(path, spec)
    _remove_stale(folder, keep=path)
    return path


def _remove_stale(folder: Path, keep: Path, max_age_s: float = 2 * 86400) -> None:
    """Remove other cached demo databases untouched for two days (older generator versions and days)."""
    now = time.time()
    for other in folder.glob("practice-*.sqlite"):
        with contextlib.suppress(OSError):
            if other != keep and now - other.stat().st_mtime > max_age_s:
                other.unlink()


# ------------------------------------------------------------------------------------------------------------
# Writing


def _write(path: Path, tables: dict[str, list[dict[str, Any]]]) -> None:
    con = sqlite3.connect(path)
    try:
        con.execute("PRAGMA journal_mode=OFF")
        con.execute("PRAGMA synchronous=OFF")
        create_schema(con)
        for table, rows in tables.items():
            info = con.execute(f"PRAGMA table_info({table})").fetchall()
            columns = [c[1] for c in info]
            fill = {c[1]: _fallback(table, c[1], c[2], c[4]) for c in info}
            unknown = {key for row in rows[:1] for key in row} - set(columns)
            if unknown:
                raise RuntimeError(f"generator bug: {table} has no columns {sorted(unknown)}")
            values = [tuple(row.get(c, fill[c]) for c in columns) for row in rows]
            marks = ", ".join("?" * len(columns))
            con.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", values)
        con.commit()
    finally:
        con.close()


def _fallback(table: str, column: str, kind: str, default: Any) -> Any:
    """Value of a column a generated row leaves out: its DDL default, 0 or ''. Dates must be explicit."""
    if default is not None:
        if kind == "TEXT":
            return str(default).strip("'")
        return float(default) if kind == "REAL" else int(default)
    if kind == "INTEGER":
        return 0
    if kind == "REAL":
        return 0.0
    if "Date" in column or "Time" in column.replace("ProcTime", ""):
        return _Missing(f"{table}.{column}")
    return ""


class _Missing:
    """Marks a date column the generator forgot; sqlite3 refuses to bind it, so the bug cannot pass."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"<missing {self.name}>"


# ------------------------------------------------------------------------------------------------------------
# The simulation


def _dt(d: date, minutes: int) -> str:
    return f"{d.isoformat()} {minutes // 60:02d}:{minutes % 60:02d}:00"


def _years_before(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:  # 29 February
        return d.replace(year=d.year - years, day=28)


def _holidays(year: int) -> dict[date, str]:
    def nth_weekday(month: int, weekday: int, n: int) -> date:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))

    last_may = date(year, 5, 31)
    return {
        date(year, 1, 1): "New Year's Day",
        last_may - timedelta(days=last_may.weekday()): "Memorial Day",
        date(year, 7, 4): "Independence Day",
        nth_weekday(9, 0, 1): "Labor Day",
        nth_weekday(11, 3, 4): "Thanksgiving",
        nth_weekday(11, 3, 4) + timedelta(days=1): "Day after Thanksgiving",
        date(year, 12, 24): "Christmas Eve",
        date(year, 12, 25): "Christmas Day",
    }


@dataclass
class _Shift:
    prov: int
    op: int
    clinic: int
    hygienist: bool
    start: int  # minutes after midnight
    stop: int


@dataclass
class _Pat:
    num: int
    guarantor: int
    birth: date
    clinic: int
    dentist: int
    hygienist: int
    plan: tuple[int, int, float | None, int] | None  # PlanNum, CarrierNum, PPO multiplier, InsSubNum
    perio: bool
    established: bool
    staff_family: bool
    first_target: date | None = None
    booked_on: date | None = None
    prior: date | None = None  # converted exam before the window
    perio_active: bool = False
    churned: date | None = None
    last_bw: date | None = None
    last_fmx: date | None = None
    last_hyg: date | None = None
    next_hyg: date | None = None
    has_future: bool = False  # has an appointment booked for today or later
    ins_year: dict[int, list[float]] = field(default_factory=dict)

    def age(self, on: date) -> int:
        return on.year - self.birth.year - ((on.month, on.day) < (self.birth.month, self.birth.day))


@dataclass(order=True)
class _Visit:
    target: date
    seq: int
    kind: str = field(compare=False)  # np, hyg, srp, doc, emerg
    booked_on: date = field(compare=False)
    booked_min: int = field(compare=False)  # time of day it was booked
    procs: list[int] = field(compare=False, default_factory=list)  # existing TP ProcNums to do


class _Practice:
    """Generates every table's rows in memory (lists of dicts keyed by column name)."""

    def __init__(self, spec: PracticeSpec) -> None:
        assert spec.today is not None
        self.spec = spec
        self.rng = random.Random(spec.seed)
        self.today: date = spec.today
        self.start = _years_before(self.today, spec.years)
        self.horizon = self.today + timedelta(days=spec.future_days)
        self.rows: dict[str, list[dict[str, Any]]] = {t: [] for t in PK}
        self.book: dict[tuple[date, int], int] = {}
        self.seq = 0
        self.claimpay: dict[tuple[int, str, int], dict[str, Any]] = {}
        self.pats: dict[int, _Pat] = {}
        self.visit_procs: dict[int, list[int]] = {}
        self.roster_cache: dict[date, list[_Shift]] = {}
        self.holidays: dict[date, str] = {}
        for year in range(self.start.year - 2, self.horizon.year + 2):
            self.holidays.update(_holidays(year))

    # -- helpers ---------------------------------------------------------------------------------------
    def add(self, table: str, row: dict[str, Any]) -> int:
        rows = self.rows[table]
        num = len(rows) + 1
        row[PK[table]] = num
        rows.append(row)
        return num

    def get(self, table: str, num: int) -> dict[str, Any]:
        return self.rows[table][num - 1]

    def fee(self, code: str, on: date) -> float:
        base = cat.CODES[code].fee
        return float(round(base * (1 + cat.FEE_INFLATION) ** (on.year - cat.FEE_BASE_YEAR)))

    def stamp(self, d: date, minutes: int | None = None) -> str:
        """A datetime string on ``d`` (random office-hours time unless given), never after today."""
        if d > self.today:
            d = self.today
        return _dt(d, minutes if minutes is not None else self.rng.randrange(8 * 60, 17 * 60))

    def weekday_on_or_after(self, d: date) -> date:
        while d.weekday() >= 5 or d in self.holidays:
            d += timedelta(days=1)
        return d

    # -- build -----------------------------------------------------------------------------------------
    def build(self) -> dict[str, list[dict[str, Any]]]:
        self.setup()
        self.make_families()
        for p in self.pats.values():
            self.run_patient(p)
        self.ensure_asap()
        self.patient_notes()
        self.estimates_for_tp()
        self.finish_patients()
        self.recalls()
        self.schedules()
        self.pay_periods()
        self.analyst_tables()
        return self.rows

    def analyst_tables(self) -> None:
        """Preferences, appointment types, referral sources and attaches, and payment plans for the larger
        balances. A separate random stream keeps every other generated value unchanged."""
        rng = random.Random(f"{self.spec.seed}-analyst")
        for name, value in PREFERENCES:
            if name == "EasyNoClinics":
                value = "1" if self.spec.clinics == 1 else "0"
            self.add("preference", {"PrefName": name, "ValueString": value})
        for order, (name, pattern, codes) in enumerate(APPOINTMENT_TYPES):
            self.add("appointmenttype", {"AppointmentTypeName": name, "AppointmentTypeColor": 0,
                                         "ItemOrder": order, "Pattern": pattern, "CodeStr": codes})
        stamp = self.stamp(self.start - timedelta(days=60))
        sources = [
            self.add("referral", {"LName": last, "FName": first, "Title": title, "IsDoctor": int(doctor),
                                  "NotPerson": int(thing), "BusinessName": last if thing else "",
                                  "ST": cat.STATE if doctor else "", "DateTStamp": stamp, "IsPreferred": 1})
            for last, first, title, doctor, thing in REFERRAL_SOURCES
        ]
        for row in self.rows["patient"]:
            first = row["DateFirstVisit"]
            if first == NO_DATE or first < self.start.isoformat() or rng.random() > 0.45:
                continue
            self.add("refattach", {  # RefType 1 = RefFrom
                "ReferralNum": rng.choice(sources), "PatNum": row["PatNum"], "ItemOrder": 0, "RefDate": first,
                "RefType": 1, "DateTStamp": self.stamp(date.fromisoformat(first)),
            })  # fmt: skip
        # The audit trail: prospects entered by an earlier integration through the API (the entries
        # securitylogs returns to that developer), and the office's own appointment entries.
        for row in self.rows["patient"]:
            if row["PatStatus"] == PAT_STATUS["Prospective"]:
                self.add("securitylog", {
                    "PermType": 129, "UserNum": 0, "LogDateTime": self.stamp(date.fromisoformat(
                        row["SecDateEntry"])), "LogText": "Created by odnb Demo Developer through API. ",
                    "PatNum": row["PatNum"], "CompName": "FRONTDESK", "FKey": 0, "LogSource": 23,
                })  # fmt: skip
        for apt in self.rows["appointment"][:: max(1, len(self.rows["appointment"]) // 50)]:
            self.add("securitylog", {
                "PermType": 24, "UserNum": 1, "LogDateTime": apt["SecDateTEntry"],
                "LogText": f"New appointment for {apt['AptDateTime']}", "PatNum": apt["PatNum"],
                "CompName": "FRONTDESK", "FKey": apt["AptNum"], "LogSource": 0,
            })  # fmt: skip
        rows = self.rows["patient"]
        guarantors = [r for r in rows if r["PatNum"] == r["Guarantor"] and r["BalTotal"] > 400]
        for row in guarantors:
            if rng.random() > 0.5:
                continue
            months = rng.choice((4, 6, 10, 12))
            start = self.today - timedelta(days=rng.randrange(20, 200))
            principal = round(row["BalTotal"], 2)
            pay = round(principal / months, 2)
            plan = self.add("payplan", {
                "PatNum": row["PatNum"], "Guarantor": row["PatNum"], "PayPlanDate": start.isoformat(),
                "APR": 0.0, "Note": f"{start.month}/{start.day}/{start.year} - Date of Agreement: "
                f"{start.month}/{start.day}/{start.year}, Total Amount: {principal:.2f}, APR: 0, "
                f"Total Cost of Loan: {principal:.2f}", "CompletedAmt": principal, "NumberOfPayments": 0,
                "PayAmt": pay, "DownPayment": 0.0, "IsDynamic": 1, "ChargeFrequency": 2,
                "DatePayPlanStart": (start + timedelta(days=30)).isoformat(),
                "SecDateTEdit": self.stamp(start),
            })  # fmt: skip
            due = start + timedelta(days=30)
            left = principal
            while left > 0.005 and due <= self.today:
                amount = round(min(pay, left), 2)
                self.add("payplancharge", {
                    "PayPlanNum": plan, "Guarantor": row["PatNum"], "PatNum": row["PatNum"],
                    "ChargeDate": due.isoformat(), "Principal": amount, "Interest": 0.0,
                    "ProvNum": row["PriProv"], "ClinicNum": row["ClinicNum"],
                    "SecDateTEntry": self.stamp(due), "SecDateTEdit": self.stamp(due),
                })  # fmt: skip
                left = round(left - amount, 2)
                due = (due.replace(day=1) + timedelta(days=32)).replace(day=min(due.day, 28))

    def pay_periods(self) -> None:
        """Monthly staff pay periods over the history window (the docs' ShortQuery example reads them)."""
        d = self.start.replace(day=1)
        while d <= self.today:
            end = (d + timedelta(days=32)).replace(day=1) - timedelta(days=1)
            paid = self.weekday_on_or_after(end + timedelta(days=4))
            self.add("payperiod", {"DateStart": d.isoformat(), "DateStop": end.isoformat(),
                                   "DatePaycheck": paid.isoformat()})
            d = end + timedelta(days=1)

    def setup(self) -> None:
        rng = self.rng
        nclin = self.spec.clinics
        for i in range(nclin):
            desc, abbr, city = cat.CLINICS[i]
            self.add(
                "clinic",
                {
                    "Description": desc,
                    "Abbr": abbr,
                    "Address": f"{100 + 50 * i} Main St",
                    "City": city,
                    "State": cat.STATE,
                    "Zip": f"9740{i + 1}",
                    "Phone": f"{cat.AREA_CODE}5550{110 + i}",
                    "IsHidden": 0,
                },
            )
        self.defs: dict[int, list[int]] = {}
        for category, items in cat.DEFINITIONS.items():
            for order, item in enumerate(items):
                name, value = item.split("|")
                num = self.add(
                    "definition",
                    {
                        "Category": category,
                        "ItemOrder": order,
                        "ItemName": name,
                        "ItemValue": value,
                        "ItemColor": 0,
                        "IsHidden": 0,
                    },
                )
                self.defs.setdefault(category, []).append(num)
        cats = {name.split("|")[0]: num for name, num in zip(cat.DEFINITIONS[11], self.defs[11], strict=True)}
        self.code_num: dict[str, int] = {}
        for c in cat.CODES.values():
            self.code_num[c.code] = self.add(
                "procedurecode",
                {
                    "ProcCode": c.code,
                    "Descript": c.descript,
                    "AbbrDesc": c.abbr,
                    "ProcTime": c.time,
                    "ProcCat": cats[c.cat],
                    "TreatArea": c.area,
                    "IsHygiene": int(c.hygiene),
                    "DefaultFee": c.fee,
                    "DateTStamp": _dt(self.start - timedelta(days=400), 9 * 60),
                },
            )
        self.code_of = {num: code for code, num in self.code_num.items()}
        self.prov: dict[str, int] = {}
        for order, (abbr, first, last, suffix, hyg, hidden) in enumerate(cat.PROVIDERS):
            self.prov[abbr] = self.add(
                "provider",
                {
                    "Abbr": abbr,
                    "LName": last,
                    "FName": first,
                    "Suffix": suffix,
                    "FeeSched": 1,
                    "Specialty": 0,
                    "IsSecondary": int(hyg),
                    "IsHidden": int(hidden),
                    "ProvStatus": 0,
                    "ItemOrder": order,
                    "ProvColor": 0,
                    "IsHiddenReport": 0,
                    "DateTStamp": _dt(self.start - timedelta(days=30 * (order + 1)), 10 * 60),
                },
            )
        self.dentists = [self.prov["DOC1"], self.prov["DOC2"]]
        self.hygienists = [self.prov["HYG1"], self.prov["HYG2"]]
        self.op: dict[str, tuple[int, int]] = {}
        for order, (name, abbrev, hyg, clinic1, clinic3) in enumerate(cat.OPERATORIES):
            clinic = (clinic1 if nclin == 1 else clinic3) + 1
            num = self.add(
                "operatory",
                {
                    "OpName": name,
                    "Abbrev": abbrev,
                    "ItemOrder": order,
                    "IsHidden": 0,
                    "ProvDentist": 0,
                    "ProvHygienist": 0,
                    "IsHygiene": int(hyg),
                    "ClinicNum": clinic,
                    "SetProspective": 0,
                },
            )
            self.op[abbrev] = (num, clinic)
        self.roster_week: dict[int, list[_Shift]] = defaultdict(list)
        for day, prov, op, start, stop in cat.ROSTER_ONE_CLINIC if nclin == 1 else cat.ROSTER_THREE_CLINICS:
            h1, m1 = map(int, start.split(":"))
            h2, m2 = map(int, stop.split(":"))
            op_num, clinic = self.op[op]
            self.roster_week[day].append(
                _Shift(self.prov[prov], op_num, clinic, prov.startswith("HYG"), h1 * 60 + m1, h2 * 60 + m2)
            )
        # Insurance: carriers and plans (most PPO with a fee schedule at 70-85% of UCR).
        self.plans: list[tuple[int, int, float | None, str]] = []
        for name, elect in cat.CARRIERS:
            carrier = self.add(
                "carrier",
                {
                    "CarrierName": name,
                    "Address": f"PO Box {rng.randrange(1000, 9999)}",
                    "City": "Portland",
                    "State": cat.STATE,
                    "Zip": f"972{rng.randrange(10, 99)}",
                    "Phone": f"800555{rng.randrange(100, 199):04d}",
                    "ElectID": elect,
                },
            )
            for _ in range(rng.choice((1, 2, 2, 3))):
                ppo = rng.random() < 0.8
                mult = round(rng.uniform(0.7, 0.85), 2) if ppo else None
                fee_sched = len(self.plans) + 2 if ppo else 0
                plan = self.add(
                    "insplan",
                    {
                        "GroupName": rng.choice(cat.EMPLOYERS),
                        "GroupNum": f"G{rng.randrange(10000, 99999)}",
                        "CarrierNum": carrier,
                        "PlanType": "p" if ppo else "",
                        "FeeSched": fee_sched,
                        "IsMedical": 0,
                        "SecDateTEdit": self.stamp(self.start - timedelta(days=rng.randrange(30, 900))),
                    },
                )
                self.plans.append((plan, carrier, mult, name))
        self.recall_types = {}
        for desc, interval, pattern, procs in (
            ("Prophy", "6m", "/XXXXXXXX/", "D0120,D1110"),
            ("Child Prophy", "6m", "/XXXXX/", "D0120,D1120,D1208"),
            ("Perio", "3m", "/XXXXXXXXX/", "D0120,D4910"),
            ("4BW", "1y", "", "D0274"),
            ("FMX", "5y", "", "D0210"),
        ):
            self.recall_types[desc] = self.add(
                "recalltype",
                {
                    "Description": desc,
                    "DefaultInterval": interval,
                    "TimePattern": pattern,
                    "Procedures": procs,
                },
            )

    # -- people ----------------------------------------------------------------------------------------
    def make_families(self) -> None:
        rng = self.rng
        sizes: list[int] = []
        while sum(sizes) < self.spec.patients:
            sizes.append(
                min(rng.choices((1, 2, 3, 4, 5), (35, 25, 17, 15, 8))[0], self.spec.patients - sum(sizes))
            )
        # Insure whole families, in random order, until about 55% of patients are covered.
        order = list(range(len(sizes)))
        rng.shuffle(order)
        insured: set[int] = set()
        covered = 0
        for fam in order:
            if covered + sizes[fam] / 2 <= 0.55 * self.spec.patients:
                insured.add(fam)
                covered += sizes[fam]
        window = (self.today - self.start).days
        established_fams = [rng.random() < P_ESTABLISHED for _ in sizes]
        new_fams = [fam for fam, est in enumerate(established_fams) if not est]
        prospective = set(new_fams[-max(1, len(new_fams) // 25) :])
        for fam, size in enumerate(sizes):
            last = rng.choice(cat.LAST_NAMES)
            city, zip3 = rng.choice(cat.CITIES)
            address = f"{rng.randrange(100, 9999)} {rng.choice(cat.STREETS)}"
            phone = f"{cat.AREA_CODE}555{rng.randrange(100, 200):04d}"
            clinic = 1 if self.spec.clinics == 1 else rng.choices((1, 2, 3), cat.CLINIC_WEIGHTS_THREE)[0]
            dentist = rng.choice(self.dentists)
            hygienist = rng.choice(self.hygienists)
            established = established_fams[fam]
            if established:
                join = self.start - timedelta(days=rng.randrange(400, 3650))
            elif fam in prospective:  # called in the last weeks; first visit still ahead
                join = self.today - timedelta(days=rng.randrange(0, 14))
            else:
                join = self.start + timedelta(days=rng.randrange(0, window + 1))
            plan_info = None
            if fam in insured:
                plan, carrier, mult, _ = rng.choice(self.plans)
                plan_info = (plan, carrier, mult)
            head_age = rng.randrange(24, 86) if size == 1 else rng.randrange(28, 60)
            members: list[tuple[int, int, int]] = []  # age, gender, position
            head_gender = rng.choice((0, 1))
            married = size >= 2 and (size == 2 or rng.random() < 0.75)
            members.append(
                (
                    head_age,
                    head_gender,
                    POSITION["Married"]
                    if married
                    else (
                        POSITION["Widowed"] if head_age > 70 and rng.random() < 0.4 else POSITION["Single"]
                    ),
                )
            )
            if married:
                members.append(
                    (max(20, head_age + rng.randrange(-5, 6)), 1 - head_gender, POSITION["Married"])
                )
            while len(members) < size:
                members.append(
                    (rng.randrange(2, min(22, head_age - 17)), rng.choice((0, 1)), POSITION["Child"])
                )
            nonpatient_head = size >= 3 and rng.random() < 0.12
            guarantor = len(self.rows["patient"]) + 1
            sub_num = 0
            if plan_info:
                sub_num = self.add(
                    "inssub",
                    {
                        "PlanNum": plan_info[0],
                        "Subscriber": guarantor,
                        "DateEffective": (join - timedelta(days=rng.randrange(0, 700))).isoformat(),
                        "DateTerm": NO_DATE,
                        "SubscriberID": f"{rng.randrange(10**8, 10**9)}",
                        "SecDateTEdit": self.stamp(max(join, self.start - timedelta(days=30))),
                    },
                )
            first_target = self.weekday_on_or_after(join + timedelta(days=rng.randrange(1, 30)))
            if fam in prospective:
                first_target = self.weekday_on_or_after(self.today + timedelta(days=rng.randrange(2, 30)))
            for i, (age, gender, position) in enumerate(members):
                gender_names = cat.FIRST_NAMES_F if gender == GENDER["Female"] else cat.FIRST_NAMES_M
                first = rng.choice(gender_names)
                birth = self.today - timedelta(days=age * 365 + rng.randrange(0, 365))
                num = self.add(
                    "patient",
                    {
                        "LName": last,
                        "FName": first,
                        "MiddleI": rng.choice("ABCDEFGHJKLMNPRST") if i < 2 else "",
                        "Preferred": "",
                        "PatStatus": PAT_STATUS["Patient"],
                        "Gender": gender,
                        "Position": position,
                        "Birthdate": birth.isoformat(),
                        "Address": address,
                        "City": city,
                        "State": cat.STATE,
                        "Zip": f"{zip3}{rng.randrange(10, 99)}",
                        "HmPhone": phone,
                        "WirelessPhone": f"{cat.AREA_CODE}555{rng.randrange(100, 200):04d}"
                        if age >= 14
                        else "",
                        "Email": f"{first.lower()}.{last.lower()}{rng.randrange(1, 99)}@example.com"
                        if age >= 16
                        else "",
                        "Guarantor": guarantor,
                        "PriProv": dentist,
                        "SecProv": hygienist,
                        "FeeSched": 0,
                        "BillingType": self.defs[4][0],
                        "ClinicNum": clinic,
                        "DateFirstVisit": NO_DATE,
                        "HasIns": "I" if plan_info else "",
                        "SecDateEntry": min(join, self.today).isoformat(),
                        "DateTStamp": NO_DATETIME,
                    },
                )
                if plan_info:
                    self.add(
                        "patplan",
                        {
                            "PatNum": num,
                            "Ordinal": 1,
                            "IsPending": 0,
                            "Relationship": 0 if i == 0 else (1 if position == 1 else 2),
                            "PatID": "",
                            "InsSubNum": sub_num,
                            "SecDateTEdit": self.stamp(max(join, self.start - timedelta(days=30))),
                        },
                    )
                p = _Pat(
                    num,
                    guarantor,
                    birth,
                    clinic,
                    dentist,
                    hygienist,
                    (*plan_info, sub_num) if plan_info else None,
                    perio=age >= 30 and rng.random() < P_PERIO_ADULT,
                    established=established,
                    staff_family=fam < 2,
                )
                self.pats[num] = p
                if i == 0 and nonpatient_head:
                    self.get("patient", num)["PatStatus"] = PAT_STATUS["NonPatient"]
                    continue
                if established:
                    if age < 1:
                        continue
                    p.perio_active = p.perio
                    interval = 91 if p.perio_active else 182
                    p.prior = self.start - timedelta(days=rng.randrange(8, interval - 8))
                    while p.prior.weekday() >= 5 or p.prior in self.holidays:
                        p.prior -= timedelta(days=1)
                    if rng.random() < P_NEVER_RETURN:
                        continue
                    p.first_target = self.weekday_on_or_after(
                        p.prior + timedelta(days=interval + rng.randrange(-7, 8))
                    )
                    p.booked_on = p.prior
                else:
                    p.first_target = first_target
                    p.booked_on = min(join, first_target)
                    if p.booked_on > self.today:
                        p.first_target = None

    # -- scheduling ------------------------------------------------------------------------------------
    def roster(self, d: date) -> list[_Shift]:
        shifts = self.roster_cache.get(d)
        if shifts is None:
            shifts = [] if d in self.holidays else self.roster_week.get(d.weekday(), [])
            self.roster_cache[d] = shifts
        return shifts

    def allocate(self, p: _Pat, target: date, hygiene: bool, minutes: int) -> tuple[date, int, _Shift]:
        """First free slot from ``target`` on, in the patient's clinic, preferring their own provider."""
        rng = self.rng
        pref = p.hygienist if hygiene else p.dentist
        d = target
        for _ in range(90):
            shifts = [s for s in self.roster(d) if s.hygienist == hygiene and s.clinic == p.clinic]
            shifts.sort(key=lambda s: s.prov != pref)
            for s in shifts:
                key = (d, s.op)
                t = max(self.book.get(key, s.start), s.start) + rng.choice((0, 0, 0, 0, 10, 15, 30))
                if t < 12 * 60 < t + minutes:
                    t = 13 * 60
                if t + minutes <= s.stop:
                    self.book[key] = t + minutes
                    return d, t, s
            d += timedelta(days=1)
        # A fully booked stretch: double-book on the first working day with a matching shift.
        d = target
        while True:
            shifts = [s for s in self.roster(d) if s.hygienist == hygiene and s.clinic == p.clinic]
            if shifts:
                s = shifts[0]
                return d, s.start + 5 * rng.randrange(0, (s.stop - s.start - minutes) // 5), s
            d += timedelta(days=1)

    def dentist_on(self, p: _Pat, d: date) -> int:
        working = [s.prov for s in self.roster(d) if not s.hygienist]
        return p.dentist if p.dentist in working or not working else working[0]

    def push(
        self,
        heap: list[_Visit],
        target: date,
        kind: str,
        booked_on: date,
        booked_min: int,
        procs: list[int] | None = None,
    ) -> None:
        """Queue a visit wanted on ``target``, booked on ``booked_on`` (a later day unless an emergency)."""
        if kind != "emerg" and target <= booked_on:
            target = booked_on + timedelta(days=1)
        self.seq += 1
        heapq.heappush(
            heap, _Visit(self.weekday_on_or_after(target), self.seq, kind, booked_on, booked_min, procs or [])
        )

    # -- one patient's history -------------------------------------------------------------------------
    def run_patient(self, p: _Pat) -> None:
        rng = self.rng
        if p.prior is not None:
            self.converted_history(p)
        if p.first_target is None:
            return
        heap: list[_Visit] = []
        kind = "hyg" if p.established else "np"
        booked_min = rng.randrange(8 * 60, 17 * 60)
        self.push(heap, p.first_target, kind, p.booked_on or p.first_target, booked_min)
        first = p.first_target
        years = (self.today - self.start).days / 365
        for _ in range(int(years) + 1):
            if rng.random() < P_EMERGENCY_PER_YEAR * min(1.0, years):
                d = first + timedelta(days=rng.randrange(10, max(11, (self.today - first).days)))
                d = self.weekday_on_or_after(d)
                if d < self.today:
                    self.push(heap, d, "emerg", d, 7 * 60 + rng.randrange(0, 60))
        while heap:
            v = heapq.heappop(heap)
            if v.kind == "emerg" and p.churned is not None and v.target > p.churned:
                continue
            self.visit(p, v, heap)

    def converted_history(self, p: _Pat) -> None:
        """One exam from before the history window, carried over when the office converted, paid in full."""
        assert p.prior is not None
        prov = self.prov["DOC0"] if self.rng.random() < 0.4 else p.dentist
        proc = self.add_proc(p, "D0120", p.prior, PROC_STATUS["C"], prov, 0, entry_min=10 * 60)
        fee = self.get("procedurelog", proc)["ProcFee"]
        self.pay(p, p.prior, [(proc, fee, prov)], checkout=True)
        if self.rng.random() < 0.15:
            self.add_proc(
                p, "D2740", p.prior, PROC_STATUS["EC"], prov, 0, tooth="30", fee=0.0, entry_min=10 * 60
            )

    def visit_codes(self, p: _Pat, kind: str, d: date) -> list[tuple[str, str, str, int]]:
        """(code, tooth, surface, units) done at a new-patient, recall or emergency visit on ``d``."""
        rng = self.rng
        age = p.age(d)
        child = age < 14
        out: list[tuple[str, str, str, int]] = []
        if kind == "emerg":
            tooth = rng.choice(cat.POSTERIOR_TEETH + cat.ANTERIOR_TEETH)
            out += [("D0140", "", "", 1), ("D0220", tooth, "", 1)]
            if rng.random() < 0.2:
                out.append(("D0230", tooth, "", 2))
            r = rng.random()
            if r < 0.35:
                out.append(("D9110", tooth, "", 1))
            elif r < 0.6:
                out.append(("D7140", tooth, "", 1))
            elif r < 0.75:
                out.append(("D3310" if tooth in cat.ANTERIOR_TEETH else "D3330", tooth, "", 1))
            return out
        if kind == "np":
            out.append(("D0150", "", "", 1))
            if child:
                out.append(("D0272", "", "", 1))
            elif rng.random() < 0.75:
                out.append(("D0210", "", "", 1))
                p.last_fmx = p.last_bw = d
            else:
                out += [("D0274", "", "", 1), ("D0330", "", "", 1)]
                p.last_bw = d
        else:
            out.append(("D0120", "", "", 1))
            if p.last_fmx is not None and (d - p.last_fmx).days > 5 * 365 and not child:
                out.append(("D0210", "", "", 1))
                p.last_fmx = p.last_bw = d
            elif p.last_bw is None or (d - p.last_bw).days > 330:
                out.append(("D0272" if child else "D0274", "", "", 1))
                p.last_bw = d
        if child:
            out += [("D1120", "", "", 1), ("D1208", "", "", 1)]
            if age >= 6 and rng.random() < 0.2:
                out += [("D1351", t, "O", 1) for t in rng.sample(("3", "14", "19", "30"), 2)]
        elif p.perio_active:
            out.append(("D4910", "", "", 1))
        elif kind == "np" and p.perio:
            out.append(("D4355", "", "", 1) if rng.random() < 0.3 else ("D1110", "", "", 1))
        else:
            out.append(("D1110", "", "", 1))
            if rng.random() < 0.35:
                out.append(("D1206", "", "", 1))
        if kind == "hyg" and rng.random() < 0.2:
            tooth = rng.choice(cat.POSTERIOR_TEETH)
            out.append(("D0220", tooth, "", 1))
            if rng.random() < 0.25:
                out.append(("D0230", tooth, "", 2))
        return out

    def pattern(self, p: _Pat, kind: str, codes: list[str], d: date) -> str:
        if kind == "np":
            return "//" + "X" * 14 + "//"
        if kind == "hyg":
            return "/" + "X" * (7 if p.age(d) < 14 else 10) + "/"
        if kind == "srp":
            return "//" + "X" * 14 + "//"
        if kind == "emerg":
            return "/XXXX/"
        xs = sum(cat.CODES[c].time.count("X") for c in codes)
        return "/" + "X" * max(4, min(xs, 22)) + "/"

    def visit(self, p: _Pat, v: _Visit, heap: list[_Visit]) -> None:
        rng = self.rng
        hygiene = v.kind in ("np", "hyg", "srp")
        procs = self.rows["procedurelog"]
        codes = [self.code_of[procs[n - 1]["CodeNum"]] for n in v.procs]
        pattern = self.pattern(p, v.kind, codes, v.target)
        d, t, shift = self.allocate(p, v.target, hygiene, len(pattern) * 5)
        if v.kind == "doc" and d > self.horizon:
            self.planned(p, v)
            return
        dentist = self.dentist_on(p, d) if hygiene else shift.prov
        hyg_prov = shift.prov if hygiene else 0
        booked = _dt(v.booked_on, v.booked_min)
        if v.booked_on == d and v.booked_min >= t:
            booked = _dt(d, max(7 * 60, t - 30))
        apt = {
            "PatNum": p.num,
            "AptStatus": APT_STATUS["Scheduled"],
            "Pattern": pattern,
            "Confirmed": self.defs[2][0],
            "Op": shift.op,
            "Note": "",
            "ProvNum": dentist,
            "ProvHyg": hyg_prov,
            "AptDateTime": _dt(d, t),
            "NextAptNum": 0,
            "UnschedStatus": 0,
            "IsNewPatient": int(v.kind == "np"),
            "ProcDescript": "",
            "ClinicNum": p.clinic,
            "IsHygiene": int(hygiene),
            "DateTimeArrived": NO_DATETIME,
            "DateTimeSeated": NO_DATETIME,
            "DateTimeDismissed": NO_DATETIME,
            "AptDateTimeArrived": NO_DATETIME,
            "Priority": 0,
            "SecDateTEntry": booked,
            "DateTStamp": booked,
        }
        apt_num = self.add("appointment", apt)
        end = t + len(pattern) * 5
        if d >= self.today:  # the future: scheduled, procedures planned on it
            if rng.random() < 0.02:
                apt["AptStatus"] = APT_STATUS["ASAP"]
            days_out = (d - self.today).days
            if days_out <= 3:
                apt["Confirmed"] = rng.choice(self.defs[2][1:5])
                apt["DateTStamp"] = self.stamp(self.today - timedelta(days=rng.randrange(0, 2)))
            if v.procs:
                for n in v.procs:
                    procs[n - 1].update(
                        AptNum=apt_num,
                        ProcDate=d.isoformat(),
                        ProvNum=self.prov_for(self.code_of[procs[n - 1]["CodeNum"]], dentist, hyg_prov),
                    )
            else:
                self.plan_visit(p, v, d, apt_num, dentist, hyg_prov)
            apt["ProcDescript"] = self.descript(apt_num, v.procs)
            p.has_future = True
            if hygiene:
                p.next_hyg = d if p.next_hyg is None else min(p.next_hyg, d)
            return
        r = rng.random()
        if r < P_BREAK:
            self.broken(p, v, apt, apt_num, d, t, heap)
            return
        if r < P_BREAK + P_STALE:  # left Scheduled in the past; the patient comes back later
            if not v.procs:
                self.plan_visit(p, v, d, apt_num, dentist, hyg_prov)
            if hygiene and v.kind != "srp":
                later = d + timedelta(days=rng.randrange(30, 120))
                booked_on = later - timedelta(days=rng.randrange(3, 20))
                if booked_on <= self.today:
                    self.push(
                        heap, later, "hyg", max(booked_on, d + timedelta(days=1)), rng.randrange(480, 1020)
                    )
            return
        # Complete.
        apt["AptStatus"] = APT_STATUS["Complete"]
        apt["Confirmed"] = rng.choice((self.defs[2][2], self.defs[2][2], self.defs[2][4], self.defs[2][5]))
        arrived = max(7 * 60, t - rng.randrange(0, 15))
        apt.update(
            DateTimeArrived=_dt(d, arrived),
            AptDateTimeArrived=_dt(d, arrived),
            DateTimeSeated=_dt(d, t + rng.randrange(0, 10)),
            DateTimeDismissed=_dt(d, end),
        )
        apt["DateTStamp"] = _dt(d, end)
        done: list[int] = []
        entry_c = d
        if v.procs:
            for n in v.procs:
                row = procs[n - 1]
                row.update(
                    AptNum=apt_num,
                    ProcDate=d.isoformat(),
                    ProcStatus=PROC_STATUS["C"],
                    DateEntryC=entry_c.isoformat(),
                    DateComplete=entry_c.isoformat(),
                    DateTStamp=self.edit_stamp(d, end),
                    ClinicNum=p.clinic,
                    ProvNum=self.prov_for(self.code_of[row["CodeNum"]], dentist, hyg_prov),
                )
                done.append(n)
            if v.kind == "srp":
                p.perio_active = True
        else:
            for code, tooth, surf, units in self.visit_codes(p, v.kind, d):
                done.append(
                    self.add_proc(
                        p,
                        code,
                        d,
                        PROC_STATUS["C"],
                        self.prov_for(code, dentist, hyg_prov),
                        apt_num,
                        tooth=tooth,
                        surf=surf,
                        units=units,
                        entry=d,
                        entry_min=t,
                        stamp=self.edit_stamp(d, end),
                    )
                )
            if v.kind == "np":
                for _ in range(rng.choice((0, 0, 1, 2, 3))):
                    code = rng.choice(("D2391", "D2740", "D3330", "D2150"))
                    self.add_proc(
                        p,
                        code,
                        d,
                        PROC_STATUS["EO"],
                        dentist,
                        apt_num,
                        tooth=rng.choice(cat.POSTERIOR_TEETH),
                        fee=0.0,
                        entry=d,
                        entry_min=t,
                    )
                if rng.random() < 0.1:
                    self.add_proc(
                        p,
                        "D2391",
                        d,
                        PROC_STATUS["Cn"],
                        dentist,
                        0,
                        tooth=rng.choice(cat.POSTERIOR_TEETH),
                        surf="O",
                        fee=0.0,
                        entry=d,
                        entry_min=t,
                    )
        apt["ProcDescript"] = self.descript(apt_num, [])
        if hygiene:
            p.last_hyg = d
        self.settle(p, d, end, done, dentist)
        # Diagnosis: exams find treatment; accepted treatment is booked.
        if v.kind in ("np", "hyg", "emerg"):
            self.diagnose(p, v.kind, d, end, dentist, heap)
        if v.kind in ("np", "hyg"):
            self.next_recall(p, d, end, heap)

    def broken(
        self, p: _Pat, v: _Visit, apt: dict[str, Any], apt_num: int, d: date, t: int, heap: list[_Visit]
    ) -> None:
        rng = self.rng
        unsched = rng.random() < P_BREAK_TO_UNSCHED
        apt["AptStatus"] = APT_STATUS["UnschedList" if unsched else "Broken"]
        apt["Confirmed"] = rng.choice(self.defs[2][:4])
        apt["DateTStamp"] = _dt(d, t + 15)
        missed = rng.random() < 0.65
        prov = apt["ProvHyg"] or apt["ProvNum"]
        self.add_proc(
            p,
            "D9986" if missed else "D9987",
            d,
            PROC_STATUS["C"],
            prov,
            apt_num,
            entry=d,
            entry_min=t + 15,
            stamp=_dt(d, t + 15),
        )
        apt["ProcDescript"] = "Missed" if missed else "Cancel"
        if missed and rng.random() < 0.35 and not p.staff_family:
            adj = self.adjust(p, d, MISSED_FEE, cat.ADJ_MISSED_FEE, prov, 0, "Missed appointment fee")
            u = rng.random()
            if u < 0.55:
                self.pay(p, d + timedelta(days=rng.randrange(15, 60)), [(0, MISSED_FEE, prov)], adj=adj)
            elif u < 0.75:
                later = d + timedelta(days=rng.randrange(20, 90))
                if later < self.today:
                    self.adjust(p, later, -MISSED_FEE, cat.ADJ_COURTESY, prov, 0, "Missed fee waived")
        self.add(
            "commlog",
            {
                "PatNum": p.num,
                "CommDateTime": _dt(d, t + 20),
                "CommType": self.defs[27][0],
                "Note": "Called patient about the missed appointment."
                if missed
                else "Patient cancelled; asked to reschedule.",
                "Mode_": 3,
                "SentOrReceived": 1,
                "DateTStamp": _dt(d, t + 20),
            },
        )
        if unsched and rng.random() < 0.4:
            return  # stays on the unscheduled list
        booked_on = d + timedelta(days=rng.randrange(0, 12))
        target = booked_on + timedelta(days=rng.randrange(3, 35 if not unsched else 90))
        if booked_on > self.today:
            if v.kind == "doc":
                self.planned(p, v)
            return
        self.push(heap, target, v.kind, booked_on, rng.randrange(8 * 60, 17 * 60), v.procs)

    def next_recall(self, p: _Pat, d: date, end: int, heap: list[_Visit]) -> None:
        rng = self.rng
        if rng.random() < P_CHURN:
            p.churned = d
            return
        interval = 91 if p.perio_active else 182
        if rng.random() < P_REAPPOINT_SAME_DAY:
            self.push(heap, d + timedelta(days=interval + rng.randrange(-7, 8)), "hyg", d, end)
            return
        target = d + timedelta(days=interval + rng.randrange(14, 150))
        booked_on = max(d + timedelta(days=1), target - timedelta(days=rng.randrange(3, 30)))
        if booked_on <= self.today:
            self.push(heap, target, "hyg", booked_on, rng.randrange(8 * 60, 17 * 60))

    def diagnose(self, p: _Pat, kind: str, d: date, end: int, dentist: int, heap: list[_Visit]) -> None:
        rng = self.rng
        age = p.age(d)
        chance = (
            P_FINDING_NEW if kind in ("np", "emerg") else (P_FINDING_CHILD if age < 14 else P_FINDING_ADULT)
        )
        items: list[tuple[str, str, str, float]] = []  # code, tooth, surf, acceptance
        if kind == "np" and p.perio and age >= 14:
            quads = rng.choice((2, 3, 4, 4))
            for q in range(quads):
                items.append(
                    ("D4341" if rng.random() < 0.75 else "D4342", "", "ULURLRLL"[2 * q : 2 * q + 2], 0.7)
                )
        if rng.random() < chance:
            codes, weights, accepts = zip(*cat.FINDINGS, strict=True)
            for _ in range(rng.choice((1, 2, 2, 3, 3, 4))):
                i = rng.choices(range(len(codes)), weights)[0]
                code = codes[i]
                anterior = code in ("D2330", "D3310")
                tooth = rng.choice(cat.ANTERIOR_TEETH if anterior else cat.POSTERIOR_TEETH)
                surf = ""
                if cat.CODES[code].area == 1:
                    n = {"D2140": 1, "D2150": 2, "D2330": 1, "D2391": 1, "D2392": 2, "D2393": 3}[code]
                    surf = rng.choice(cat.SURFACES[n])
                items.append((code, tooth, surf, accepts[i]))
                if code in ("D2740", "D2750") and rng.random() < 0.5:
                    items.append(("D2950", tooth, "", accepts[i]))
                if code in ("D3310", "D3330") and rng.random() < 0.7:
                    items.append(("D2740", tooth, "", 0.75))
        if not items:
            return
        plan = self.add(
            "treatplan",
            {
                "PatNum": p.num,
                "DateTP": d.isoformat(),
                "Heading": "Treatment Plan",
                "Note": "",
                "TPStatus": 0,
                "SecDateTEdit": _dt(d, end),
            },
        )
        accepted: list[int] = []
        srp: list[int] = []
        for code, tooth, surf, accept in items:
            status = PROC_STATUS["TP"]
            if code in ("D7210", "D3330") and rng.random() < 0.12:
                status = PROC_STATUS["R"]
            prov = p.hygienist if cat.CODES[code].hygiene else dentist
            num = self.add_proc(
                p, code, d, status, prov, 0, tooth=tooth, surf=surf, date_tp=d, entry=d, entry_min=end
            )
            self.add("treatplanattach", {"TreatPlanNum": plan, "ProcNum": num, "Priority": 0})
            if status != PROC_STATUS["TP"]:
                continue
            if rng.random() < accept:
                (srp if code.startswith("D434") else accepted).append(num)
            else:
                r = rng.random()
                row = self.get("procedurelog", num)
                if r < 0.04:
                    row.update(ProcStatus=PROC_STATUS["D"], DateTStamp=self.edit_stamp(d, end, force=True))
                elif r < 0.08:
                    row.update(ProcStatus=PROC_STATUS["TPi"], DateTStamp=self.edit_stamp(d, end, force=True))
        same_day = rng.random() < P_BOOK_TX_SAME_DAY
        booked_on = d if same_day else d + timedelta(days=rng.randrange(1, 21))
        booked_min = end if same_day else rng.randrange(8 * 60, 17 * 60)
        if booked_on > self.today:
            if accepted:
                self.planned(p, _Visit(d, 0, "doc", d, end, accepted))
            return
        for i in range(0, len(srp), 2):
            self.push(
                heap,
                d + timedelta(days=rng.randrange(7, 21) + 10 * i),
                "srp",
                booked_on,
                booked_min,
                srp[i : i + 2],
            )
        # Group accepted treatment into visits of up to three procedures; crowns after their RCT.
        gap = rng.randrange(7, 40)
        for i in range(0, len(accepted), 3):
            self.push(
                heap,
                d + timedelta(days=gap + 21 * (i // 3)),
                "doc",
                booked_on,
                booked_min,
                accepted[i : i + 3],
            )

    def planned(self, p: _Pat, v: _Visit) -> None:
        """A Planned appointment holding treatment that was accepted but not (yet) scheduled."""
        codes = [self.code_of[self.get("procedurelog", n)["CodeNum"]] for n in v.procs]
        num = self.add(
            "appointment",
            {
                "PatNum": p.num,
                "AptStatus": APT_STATUS["Planned"],
                "Pattern": self.pattern(p, "doc", codes, v.target),
                "Confirmed": self.defs[2][0],
                "Op": 0,
                "Note": "",
                "ProvNum": p.dentist,
                "ProvHyg": 0,
                "AptDateTime": _dt(v.booked_on, 0),
                "NextAptNum": 0,
                "UnschedStatus": 0,
                "IsNewPatient": 0,
                "ProcDescript": ", ".join(cat.CODES[c].abbr for c in codes),
                "ClinicNum": p.clinic,
                "IsHygiene": 0,
                "DateTimeArrived": NO_DATETIME,
                "DateTimeSeated": NO_DATETIME,
                "DateTimeDismissed": NO_DATETIME,
                "AptDateTimeArrived": NO_DATETIME,
                "Priority": 0,
                "SecDateTEntry": _dt(v.booked_on, v.booked_min),
                "DateTStamp": _dt(v.booked_on, v.booked_min),
            },
        )
        for n in v.procs:
            self.get("procedurelog", n)["PlannedAptNum"] = num

    def descript(self, apt_num: int, proc_nums: list[int]) -> str:
        procs = self.rows["procedurelog"]
        nums = proc_nums or self.visit_procs.get(apt_num, [])
        return ", ".join(cat.CODES[self.code_of[procs[n - 1]["CodeNum"]]].abbr for n in nums)

    def prov_for(self, code: str, dentist: int, hyg_prov: int) -> int:
        return hyg_prov if cat.CODES[code].hygiene and hyg_prov else dentist

    def plan_visit(self, p: _Pat, v: _Visit, d: date, apt_num: int, dentist: int, hyg_prov: int) -> None:
        """Treatment-planned procedures for the visit ``v`` booked on ``d`` (appointment ``apt_num``)."""
        for code, tooth, surf, units in self.visit_codes(p, v.kind, d):
            self.add_proc(p, code, d, PROC_STATUS["TP"], self.prov_for(code, dentist, hyg_prov), apt_num,
                          tooth=tooth, surf=surf, units=units, entry=v.booked_on, entry_min=v.booked_min)

    def edit_stamp(self, d: date, minutes: int, force: bool = False) -> str:
        """DateTStamp of a row written on ``d``: mostly that moment, sometimes edited days later."""
        if force or self.rng.random() < 0.08:
            return self.stamp(d + timedelta(days=self.rng.randrange(1, 60)))
        return _dt(d, min(minutes, 23 * 60))

    def add_proc(
        self,
        p: _Pat,
        code: str,
        d: date,
        status: int,
        prov: int,
        apt: int,
        *,
        tooth: str = "",
        surf: str = "",
        units: int = 1,
        date_tp: date | None = None,
        fee: float | None = None,
        entry: date | None = None,
        entry_min: int = 9 * 60,
        stamp: str | None = None,
    ) -> int:
        entry = entry or d
        entry_dt = _dt(entry, min(entry_min, 23 * 60))
        complete = status == PROC_STATUS["C"]
        num = self.add(
            "procedurelog",
            {
                "PatNum": p.num,
                "AptNum": apt,
                "PlannedAptNum": 0,
                "ProcDate": d.isoformat(),
                "ProcFee": self.fee(code, d) if fee is None else fee,
                "Surf": surf,
                "ToothNum": tooth,
                "ToothRange": "",
                "Priority": 0,
                "ProcStatus": status,
                "ProvNum": prov,
                "Dx": 0,
                "ClinicNum": p.clinic,
                "CodeNum": self.code_num[code],
                "UnitQty": units,
                "BaseUnits": 0,
                "DateTP": date_tp.isoformat() if date_tp else NO_DATE,
                "DateEntryC": d.isoformat() if complete else NO_DATE,
                "DateComplete": d.isoformat() if complete else NO_DATE,
                "Discount": 0.0,
                "SecDateEntry": entry_dt,
                "DateTStamp": stamp or entry_dt,
            },
        )
        if apt:
            self.visit_procs.setdefault(apt, []).append(num)
        return num

    # -- money -----------------------------------------------------------------------------------------
    def settle(self, p: _Pat, d: date, end: int, done: list[int], dentist: int) -> None:
        """Insurance claim, discounts and the patient's payment for one completed visit."""
        rng = self.rng
        procs = [self.get("procedurelog", n) for n in done]
        fees = {
            row["ProcNum"]: round(row["ProcFee"] * (row["UnitQty"] + row["BaseUnits"]), 2) for row in procs
        }
        ins, wo, paid_date = self.claim(p, d, end, procs, fees, dentist)
        portion = {n: round(fees[n] - ins.get(n, 0.0) - wo.get(n, 0.0), 2) for n in fees}
        owed = {n: amount for n, amount in portion.items() if amount > 0}
        if not owed:
            return
        owed_total = round(sum(owed.values()), 2)
        total = sum(fees.values())
        insured = p.plan is not None
        discount = 0.0
        adj_type = 0
        if p.staff_family:
            discount, adj_type = round(0.5 * owed_total, 2), cat.ADJ_COURTESY
        elif not insured and p.age(d) >= SENIOR_AGE:
            discount, adj_type = round(0.1 * total, 2), cat.ADJ_SENIOR
        elif not insured and total >= 600 and rng.random() < 0.5:
            discount, adj_type = round(0.05 * total, 2), cat.ADJ_CASH
        discount = min(discount, owed_total)
        if discount > 0:
            biggest = max(owed, key=lambda n: owed[n])
            prov = self.get("procedurelog", biggest)["ProvNum"]
            self.adjust(p, d, -discount, adj_type, prov, biggest, "", proc_date=d)
        # What is left is split over the procedures in proportion to what each still owes.
        due = round(owed_total - discount, 2)
        if due <= 0:
            return
        lines: list[tuple[int, float, int]] = []
        left = due
        for i, (n, amount) in enumerate(owed.items()):
            share = left if i == len(owed) - 1 else round(amount * due / owed_total, 2)
            left = round(left - share, 2)
            lines.append((n, share, self.get("procedurelog", n)["ProvNum"]))
        lines = [line for line in lines if line[1] > 0]
        u = rng.random()
        if u < P_CHECKOUT_PAY[insured]:
            self.pay(p, d, lines, checkout=True)
        elif u < P_CHECKOUT_PAY[insured] + P_STATEMENT_PAY[insured]:
            after = (paid_date or d) + timedelta(days=rng.randrange(7, 35))
            self.pay(p, after, lines)
        else:  # never paid: written off later, or left on the books
            later = d + timedelta(days=rng.randrange(90, 240))
            if later < self.today:
                if due < 30 and rng.random() < 0.7:
                    self.adjust(p, later, -due, cat.ADJ_SMALL_WO, lines[0][2], 0, "Small balance write-off")
                elif due >= 30 and rng.random() < 0.35:
                    self.adjust(p, later, -due, cat.ADJ_COLLECTION_WO, lines[0][2], 0, "Sent to collections")

    def claim(
        self, p: _Pat, d: date, end: int, procs: list[dict[str, Any]], fees: dict[int, float], dentist: int
    ) -> tuple[dict[int, float], dict[int, float], date | None]:
        """File a claim for the visit. Returns eventual insurance pay and write-off per ProcNum, and the
        date insurance paid (None when not yet paid by today)."""
        rng = self.rng
        billable = [
            row
            for row in procs
            if cat.CODES[self.code_of[row["CodeNum"]]].ins != "none" and fees[row["ProcNum"]] > 0
        ]
        if p.plan is None or not billable:
            return {}, {}, None
        plan, carrier, mult, sub = p.plan
        ded_used, paid = p.ins_year.setdefault(d.year, [0.0, 0.0])
        est: dict[int, float] = {}
        wo: dict[int, float] = {}
        ded: dict[int, float] = {}
        for row in billable:
            n = row["ProcNum"]
            code = cat.CODES[self.code_of[row["CodeNum"]]]
            allowed = round(fees[n] * mult, 2) if mult else fees[n]
            wo[n] = round(fees[n] - allowed, 2)
            ded[n] = 0.0
            if code.ins in ("basic", "major") and ded_used < cat.DEDUCTIBLE:
                ded[n] = min(cat.DEDUCTIBLE - ded_used, allowed)
                ded_used += ded[n]
            amount = round((allowed - ded[n]) * cat.COVERAGE_PERCENT[code.ins] / 100, 2)
            amount = round(max(0.0, min(amount, cat.ANNUAL_MAX - paid)), 2)
            paid += amount
            est[n] = amount
        p.ins_year[d.year] = [ded_used, paid]
        received = d + timedelta(days=rng.randrange(10, 31))
        lost = rng.random() < P_CLAIM_LOST
        age = (self.today - d).days
        if received < self.today and not lost:
            status = "R"
        elif age <= 2:
            status = rng.choice("UW")
        else:
            status = "S"
        sent = d + timedelta(days=rng.randrange(0, 3)) if status in "SR" else None
        if sent is not None and sent >= self.today:
            sent = d
        claim = self.add(
            "claim",
            {
                "PatNum": p.num,
                "DateService": d.isoformat(),
                "DateSent": sent.isoformat() if sent else NO_DATE,
                "ClaimStatus": status,
                "DateReceived": received.isoformat() if status == "R" else NO_DATE,
                "PlanNum": plan,
                "InsSubNum": sub,
                "ProvTreat": dentist,
                "ProvBill": dentist,
                "ClaimFee": round(sum(fees[r["ProcNum"]] for r in billable), 2),
                "InsPayEst": round(sum(est.values()), 2),
                "InsPayAmt": 0.0,
                "DedApplied": round(sum(ded.values()), 2),
                "WriteOff": 0.0,
                "ClaimType": "P",
                "ClinicNum": p.clinic,
                "SecDateEntry": d.isoformat(),
                "SecDateTEdit": _dt(sent or d, end),
            },
        )
        crow = self.get("claim", claim)
        supplemental = status == "R" and rng.random() < P_SUPPLEMENTAL and sum(est.values()) > 40
        supp_proc = max(est, key=lambda n: est[n]) if supplemental else 0
        for row in billable:
            n = row["ProcNum"]
            code = self.code_of[row["CodeNum"]]
            cp: dict[str, Any] = {
                "ProcNum": n,
                "ClaimNum": claim,
                "PatNum": p.num,
                "ProvNum": row["ProvNum"],
                "FeeBilled": fees[n],
                "InsPayEst": est[n],
                "DedApplied": ded[n],
                "Status": CLAIMPROC_STATUS["NotReceived"],
                "InsPayAmt": 0.0,
                "Remarks": "",
                "ClaimPaymentNum": 0,
                "PlanNum": plan,
                "InsSubNum": sub,
                "DateCP": d.isoformat(),
                "WriteOff": wo[n],
                "CodeSent": code,
                "BaseEst": est[n],
                "InsEstTotal": est[n],
                "WriteOffEst": wo[n],
                "ProcDate": d.isoformat(),
                "DateEntry": d.isoformat(),
                "ClinicNum": p.clinic,
                "SecDateEntry": _dt(d, end),
                "SecDateTEdit": _dt(sent or d, end),
            }
            if status == "R":
                first = est[n]
                if n == supp_proc:
                    first = round(est[n] * (1 - rng.uniform(0.2, 0.5)), 2)
                cp.update(
                    Status=CLAIMPROC_STATUS["Received"],
                    InsPayAmt=first,
                    DateCP=received.isoformat(),
                    SecDateTEdit=_dt(received, 11 * 60),
                )
                self.add("claimproc", cp)
                self.claim_payment(cp, carrier, received)
                crow["InsPayAmt"] = round(crow["InsPayAmt"] + first, 2)
                crow["WriteOff"] = round(crow["WriteOff"] + wo[n], 2)
                crow["SecDateTEdit"] = _dt(received, 11 * 60)
                if n == supp_proc:
                    later = received + timedelta(days=rng.randrange(20, 60))
                    if later < self.today:
                        extra = round(est[n] - first, 2)
                        supp = dict(
                            cp,
                            InsPayEst=0.0,
                            InsPayAmt=extra,
                            WriteOff=0.0,
                            DedApplied=0.0,
                            FeeBilled=0.0,
                            Status=CLAIMPROC_STATUS["Supplemental"],
                            BaseEst=0.0,
                            InsEstTotal=0.0,
                            WriteOffEst=-1.0,
                            DateCP=later.isoformat(),
                            DateEntry=later.isoformat(),
                            SecDateEntry=_dt(later, 11 * 60),
                            SecDateTEdit=_dt(later, 11 * 60),
                            ClaimPaymentNum=0,
                        )
                        supp.pop("ClaimProcNum")
                        self.add("claimproc", supp)
                        self.claim_payment(supp, carrier, later)
                        crow["InsPayAmt"] = round(crow["InsPayAmt"] + extra, 2)
                        crow["SecDateTEdit"] = _dt(later, 11 * 60)
            else:
                self.add("claimproc", cp)
        return est, wo, (received if status == "R" else None)

    def claim_payment(self, cp: dict[str, Any], carrier: int, on: date) -> None:
        key = (carrier, on.isoformat(), cp["ClinicNum"])
        pay = self.claimpay.get(key)
        if pay is None:
            carrier_name = self.get("carrier", carrier)["CarrierName"]
            eft = self.rng.random() < 0.6
            pay = {
                "CheckDate": on.isoformat(),
                "CheckAmt": 0.0,
                "CheckNum": f"EFT{self.rng.randrange(10**6, 10**7)}"
                if eft
                else f"{self.rng.randrange(10**5, 10**6)}",
                "BankBranch": "",
                "CarrierName": carrier_name,
                "ClinicNum": cp["ClinicNum"],
                "DateIssued": (on - timedelta(days=self.rng.randrange(2, 6))).isoformat(),
                "PayType": self.defs[32][1 if eft else 0],
                "SecDateTEdit": _dt(on, 11 * 60),
            }
            self.add("claimpayment", pay)
            self.claimpay[key] = pay
        pay["CheckAmt"] = round(pay["CheckAmt"] + cp["InsPayAmt"], 2)
        cp["ClaimPaymentNum"] = pay["ClaimPaymentNum"]

    def adjust(
        self,
        p: _Pat,
        d: date,
        amount: float,
        kind: int,
        prov: int,
        proc: int,
        note: str,
        proc_date: date | None = None,
    ) -> int:
        return self.add(
            "adjustment",
            {
                "AdjDate": d.isoformat(),
                "AdjAmt": round(amount, 2),
                "PatNum": p.num,
                "AdjType": self.defs[1][kind],
                "ProvNum": prov,
                "AdjNote": note,
                "ProcDate": proc_date.isoformat() if proc_date else NO_DATE,
                "ProcNum": proc,
                "DateEntry": d.isoformat(),
                "ClinicNum": p.clinic,
                "SecDateTEdit": self.stamp(d),
            },
        )

    def pay(
        self, p: _Pat, d: date, lines: list[tuple[int, float, int]], *, checkout: bool = False, adj: int = 0
    ) -> None:
        """A patient payment on ``d`` split over (ProcNum, amount, ProvNum) lines; none if ``d`` is not past.
        A guarantor pays for the family's children; big uninsured treatment is sometimes prepaid."""
        rng = self.rng
        if d >= self.today:
            return
        payer = p.guarantor if p.guarantor != p.num and rng.random() < 0.8 else p.num
        amount = round(sum(a for _, a, _ in lines), 2)
        pay_type = self.defs[10][rng.choices(range(4), (20, 15, 55, 10) if checkout else (55, 0, 45, 0))[0]]
        prepay = checkout and p.plan is None and amount >= 900 and rng.random() < 0.25
        if prepay:  # paid at the treatment plan, moved to the procedures at the visit by an income transfer
            tp = min(
                (
                    date.fromisoformat(self.get("procedurelog", n)["DateTP"])
                    for n, _, _ in lines
                    if self.get("procedurelog", n)["DateTP"] != NO_DATE
                ),
                default=d,
            )
            self.payment(p, payer, tp, amount, pay_type, [(p.num, 0, amount, lines[0][2], 0)], unearned=True)
            self.payment(
                p,
                payer,
                d,
                0.0,
                0,
                [(p.num, 0, -amount, lines[0][2], 0)] + [(p.num, n, a, prov, 0) for n, a, prov in lines],
                unearned=True,
                transfer=True,
            )
            return
        self.payment(p, payer, d, amount, pay_type, [(p.num, n, a, prov, adj) for n, a, prov in lines])

    def payment(
        self,
        p: _Pat,
        payer: int,
        d: date,
        amount: float,
        pay_type: int,
        splits: list[tuple[int, int, float, int, int]],
        unearned: bool = False,
        transfer: bool = False,
    ) -> None:
        entry = d + timedelta(days=1 if pay_type == self.defs[10][0] and self.rng.random() < 0.3 else 0)
        entry = min(entry, self.today)
        pay = self.add(
            "payment",
            {
                "PayType": pay_type,
                "PayDate": d.isoformat(),
                "PayAmt": amount,
                "CheckNum": f"{self.rng.randrange(1000, 9999)}" if pay_type == self.defs[10][0] else "",
                "BankBranch": "",
                "PayNote": "Income transfer" if transfer else ("Prepayment" if unearned else ""),
                "PatNum": payer,
                "ClinicNum": p.clinic,
                "DateEntry": entry.isoformat(),
                "ProcessStatus": 0,
                "SecDateTEdit": self.stamp(entry),
            },
        )
        for pat, proc, amt, prov, adj in splits:
            self.add(
                "paysplit",
                {
                    "SplitAmt": round(amt, 2),
                    "PatNum": pat,
                    "DatePay": d.isoformat(),
                    "ProcNum": proc,
                    "ProvNum": prov,
                    "PayNum": pay,
                    "ClinicNum": p.clinic,
                    "UnearnedType": self.defs[29][0] if unearned and proc == 0 else 0,
                    "AdjNum": adj,
                    "PayPlanNum": 0,
                    "DateEntry": entry.isoformat(),
                    "SecDateTEdit": self.stamp(entry),
                },
            )

    # -- finishing passes ------------------------------------------------------------------------------
    def ensure_asap(self) -> None:
        """Small practices still show an ASAP appointment: the earliest future treatment visit."""
        future = [a for a in self.rows["appointment"] if a["AptDateTime"] >= self.today.isoformat()]
        if any(a["AptStatus"] == APT_STATUS["ASAP"] for a in future):
            return
        visits = sorted(
            (a["AptDateTime"], a["AptNum"]) for a in future if a["AptStatus"] == APT_STATUS["Scheduled"]
        )
        if visits:
            self.get("appointment", visits[0][1])["AptStatus"] = APT_STATUS["ASAP"]

    def patient_notes(self) -> None:
        """A few PtNote / PtNoteCompleted entries on the appointment book (notes, not visits)."""
        rng = self.rng
        past = (self.today - self.start).days
        ops = [num for num, _ in self.op.values()]
        for i, num in enumerate(sorted(rng.sample(sorted(self.pats), max(4, len(self.pats) // 60)))):
            p = self.pats[num]
            if i % 3 == 0:  # an open note on a coming day
                d = self.today + timedelta(days=rng.randrange(1, max(2, self.spec.future_days)))
            else:
                d = self.start + timedelta(days=rng.randrange(0, past))
            d = self.weekday_on_or_after(d)
            t = 8 * 60 + 5 * rng.randrange(0, 96)
            done = d < self.today and rng.random() < 0.8
            written = min(d, self.today) - timedelta(days=rng.randrange(0, 10))
            self.add(
                "appointment",
                {
                    "PatNum": num,
                    "AptStatus": APT_STATUS["PtNoteCompleted" if done else "PtNote"],
                    "Pattern": "//",
                    "Confirmed": self.defs[2][0],
                    "Op": rng.choice(ops),
                    "ProvNum": p.dentist,
                    "ProvHyg": 0,
                    "Note": rng.choice(
                        (
                            "Call pt back about insurance",
                            "Pt wants first appt of the day",
                            "Check on sore tooth",
                            "Family wants back-to-back appts",
                        )
                    ),
                    "AptDateTime": _dt(d, t),
                    "NextAptNum": 0,
                    "UnschedStatus": 0,
                    "IsNewPatient": 0,
                    "ProcDescript": "",
                    "ClinicNum": p.clinic,
                    "IsHygiene": 0,
                    "DateTimeArrived": NO_DATETIME,
                    "DateTimeSeated": NO_DATETIME,
                    "DateTimeDismissed": NO_DATETIME,
                    "AptDateTimeArrived": NO_DATETIME,
                    "Priority": 0,
                    "SecDateTEntry": self.stamp(written),
                    "DateTStamp": self.stamp(min(d, self.today) if done else written),
                },
            )

    def estimates_for_tp(self) -> None:
        """Estimate claimprocs for every treatment-planned procedure of an insured patient."""
        for row in self.rows["procedurelog"]:
            if row["ProcStatus"] != PROC_STATUS["TP"]:
                continue
            p = self.pats[row["PatNum"]]
            code = cat.CODES[self.code_of[row["CodeNum"]]]
            if p.plan is None or code.ins == "none":
                continue
            plan, _, mult, sub = p.plan
            fee = round(row["ProcFee"] * (row["UnitQty"] + row["BaseUnits"]), 2)
            allowed = round(fee * mult, 2) if mult else fee
            est = round(allowed * cat.COVERAGE_PERCENT[code.ins] / 100, 2)
            when = row["SecDateEntry"]
            self.add(
                "claimproc",
                {
                    "ProcNum": row["ProcNum"],
                    "ClaimNum": 0,
                    "PatNum": p.num,
                    "ProvNum": row["ProvNum"],
                    "FeeBilled": fee,
                    "InsPayEst": est,
                    "DedApplied": 0.0,
                    "Status": CLAIMPROC_STATUS["Estimate"],
                    "InsPayAmt": 0.0,
                    "Remarks": "",
                    "ClaimPaymentNum": 0,
                    "PlanNum": plan,
                    "InsSubNum": sub,
                    "DateCP": NO_DATE,
                    "WriteOff": 0.0,
                    "CodeSent": code.code,
                    "BaseEst": est,
                    "InsEstTotal": est,
                    "WriteOffEst": round(fee - allowed, 2),
                    "ProcDate": row["ProcDate"],
                    "DateEntry": when[:10],
                    "ClinicNum": p.clinic,
                    "SecDateEntry": when,
                    "SecDateTEdit": when,
                },
            )

    def finish_patients(self) -> None:
        """Statuses, DateFirstVisit, balances and aging from the ledger, DateTStamp."""
        rng = self.rng
        balance: dict[int, float] = defaultdict(float)
        pending: dict[int, float] = defaultdict(float)
        pending_ins: dict[int, float] = defaultdict(float)
        charges: dict[int, list[tuple[str, float]]] = defaultdict(list)
        first: dict[int, str] = {}
        last_seen: dict[int, str] = {}
        skip = {self.code_num["D9986"], self.code_num["D9987"]}
        for row in self.rows["procedurelog"]:
            if row["ProcStatus"] != PROC_STATUS["C"]:
                continue
            amount = row["ProcFee"] * (row["UnitQty"] + row["BaseUnits"])
            balance[row["PatNum"]] += amount
            if amount:
                charges[row["PatNum"]].append((row["ProcDate"], amount))
            if row["CodeNum"] not in skip:
                pat = row["PatNum"]
                first[pat] = min(first.get(pat, row["ProcDate"]), row["ProcDate"])
                last_seen[pat] = max(last_seen.get(pat, row["ProcDate"]), row["ProcDate"])
        for row in self.rows["adjustment"]:
            balance[row["PatNum"]] += row["AdjAmt"]
            if row["AdjAmt"] > 0:
                charges[row["PatNum"]].append((row["AdjDate"], row["AdjAmt"]))
        for row in self.rows["claimproc"]:
            if row["Status"] in (CLAIMPROC_STATUS["Received"], CLAIMPROC_STATUS["Supplemental"]):
                balance[row["PatNum"]] -= row["InsPayAmt"] + row["WriteOff"]
            elif row["Status"] == CLAIMPROC_STATUS["NotReceived"]:
                pending[row["PatNum"]] += row["InsPayEst"] + row["WriteOff"]
                pending_ins[row["PatNum"]] += row["InsPayEst"]
        for row in self.rows["paysplit"]:
            balance[row["PatNum"]] -= row["SplitAmt"]
        family: dict[int, list[int]] = defaultdict(list)
        for num in self.pats:
            family[self.pats[num].guarantor].append(num)
        window = (self.today - self.start).days
        churn_cut = (self.today - timedelta(days=max(180, min(540, window // 2)))).isoformat()
        lapsed: list[int] = []
        for num, p in self.pats.items():
            row = self.get("patient", num)
            row["DateFirstVisit"] = first.get(num, NO_DATE)
            row["EstBalance"] = round(balance[num] - pending[num], 2)
            seen = last_seen.get(num)
            if row["PatStatus"] == PAT_STATUS["Patient"]:
                if seen is None and p.has_future:
                    row["PatStatus"] = PAT_STATUS["Prospective"]
                elif seen is not None and seen < churn_cut and not p.has_future:
                    lapsed.append(num)
                    age = p.age(self.today)
                    r = rng.random()
                    if age >= 65 and r < 0.2:
                        row["PatStatus"] = PAT_STATUS["Deceased"]
                    elif r < 0.45:
                        row["PatStatus"] = PAT_STATUS["Inactive"]
                    elif r < 0.6:
                        row["PatStatus"] = PAT_STATUS["Archived"]
            touched = max(seen or row["SecDateEntry"], row["SecDateEntry"])
            row["DateTStamp"] = self.stamp(date.fromisoformat(touched) + timedelta(days=rng.randrange(0, 40)))
        # Small practices still show every status at least once.
        statuses = [r["PatStatus"] for r in self.rows["patient"]]
        by_age = sorted(lapsed, key=lambda n: self.pats[n].birth)
        for status in ("Deceased", "Archived", "Inactive"):
            if PAT_STATUS[status] not in statuses:
                spare = [n for n in by_age if self.get("patient", n)["PatStatus"] == PAT_STATUS["Patient"]]
                if spare:
                    self.get("patient", spare[0])["PatStatus"] = PAT_STATUS[status]
        self.unknown_birthdates()
        today = self.today
        for guarantor, members in family.items():
            total = round(sum(balance[m] for m in members), 2)
            if abs(total) < 0.005:
                total = 0.0
            row = self.get("patient", guarantor)
            buckets = [0.0, 0.0, 0.0, 0.0]
            if total > 0:  # the balance is the newest charges (payments pay the oldest first)
                left = total
                for when, amount in sorted((c for m in members for c in charges[m]), reverse=True):
                    take = min(left, amount)
                    days = (today - date.fromisoformat(when)).days
                    buckets[0 if days <= 30 else 1 if days <= 60 else 2 if days <= 90 else 3] += take
                    left -= take
                    if left <= 0.005:
                        break
                buckets[3] += max(0.0, left)
            row.update(
                BalTotal=total,
                Bal_0_30=round(buckets[0], 2),
                Bal_31_60=round(buckets[1], 2),
                Bal_61_90=round(buckets[2], 2),
                BalOver90=round(buckets[3], 2),
                InsEst=round(sum(pending_ins[m] for m in members), 2),
            )
            for m in members:
                if m != guarantor:
                    self.get("patient", m).update(
                        BalTotal=0.0, Bal_0_30=0.0, Bal_31_60=0.0, Bal_61_90=0.0, BalOver90=0.0, InsEst=0.0
                    )

    def unknown_birthdates(self) -> None:
        """Real offices leave Birthdate empty ("0001-01-01") for some prospects, non-patients and old
        records; the API documents that value. About 2 in 5 prospects and 1 in 100 others, at least one.
        A separate random stream keeps every other generated value unchanged."""
        rng = random.Random(f"{self.spec.seed}-birthdates")
        rows = self.rows["patient"]
        blank = [
            r for r in rows if rng.random() < (0.4 if r["PatStatus"] == PAT_STATUS["Prospective"] else 0.01)
        ]
        if not blank and rows:
            blank = [max(rows, key=lambda r: (r["PatStatus"] == PAT_STATUS["Prospective"], r["PatNum"]))]
        for row in blank:
            row["Birthdate"] = NO_DATE

    def recalls(self) -> None:
        rng = self.rng
        for num, p in self.pats.items():
            row = self.get("patient", num)
            if row["PatStatus"] not in (PAT_STATUS["Patient"], PAT_STATUS["Inactive"]):
                continue
            if p.last_hyg is None and p.prior is None:
                continue
            child = p.age(self.today) < 14
            kind = "Perio" if p.perio_active else ("Child Prophy" if child else "Prophy")
            months = 3 if p.perio_active else 6
            previous = p.last_hyg or p.prior
            assert previous is not None
            due = previous + timedelta(days=round(months * 30.44))
            scheduled = p.next_hyg
            status = 0
            if scheduled is None and due < self.today and rng.random() < 0.6:
                status = rng.choice(self.defs[13])
            self.add(
                "recall",
                {
                    "PatNum": num,
                    "DateDueCalc": due.isoformat(),
                    "DateDue": due.isoformat(),
                    "DatePrevious": previous.isoformat(),
                    "RecallInterval": f"{months}m",
                    "RecallStatus": status,
                    "Note": "",
                    "IsDisabled": int(row["PatStatus"] == PAT_STATUS["Inactive"]),
                    "RecallTypeNum": self.recall_types[kind],
                    "DateScheduled": scheduled.isoformat() if scheduled else NO_DATE,
                    "DateTStamp": self.stamp(max(previous, self.start)),
                },
            )
            if not child and p.last_bw is not None:
                self.add(
                    "recall",
                    {
                        "PatNum": num,
                        "DateDueCalc": (p.last_bw + timedelta(days=365)).isoformat(),
                        "DateDue": (p.last_bw + timedelta(days=365)).isoformat(),
                        "DatePrevious": p.last_bw.isoformat(),
                        "RecallInterval": "1y",
                        "RecallStatus": 0,
                        "Note": "",
                        "IsDisabled": 0,
                        "RecallTypeNum": self.recall_types["4BW"],
                        "DateScheduled": NO_DATE,
                        "DateTStamp": self.stamp(p.last_bw),
                    },
                )

    def schedules(self) -> None:
        """Provider schedules (morning and afternoon) for every working day that has a roster, holiday
        notes, and a few blockouts."""
        rng = self.rng
        last = max([self.horizon] + [k[0] for k in self.book])
        d = self.start
        while d <= last:
            stamp = self.stamp(min(d, self.today) - timedelta(days=30))
            if d in self.holidays and d.weekday() < 5:
                self.add(
                    "schedule",
                    {
                        "SchedDate": d.isoformat(),
                        "StartTime": "00:00:00",
                        "StopTime": "00:00:00",
                        "SchedType": SCHED_TYPE["Practice"],
                        "ProvNum": 0,
                        "BlockoutType": 0,
                        "Note": f"Office closed - {self.holidays[d]}",
                        "Status": 0,
                        "EmployeeNum": 0,
                        "ClinicNum": 0,
                        "DateTStamp": stamp,
                    },
                )
            for s in self.roster(d):
                spans = (
                    [(s.start, min(s.stop, 12 * 60)), (13 * 60, s.stop)]
                    if s.stop > 13 * 60
                    else [(s.start, min(s.stop, 12 * 60))]
                )
                for a, b in spans:
                    sched = self.add(
                        "schedule",
                        {
                            "SchedDate": d.isoformat(),
                            "StartTime": f"{a // 60:02d}:{a % 60:02d}:00",
                            "StopTime": f"{b // 60:02d}:{b % 60:02d}:00",
                            "SchedType": SCHED_TYPE["Provider"],
                            "ProvNum": s.prov,
                            "BlockoutType": 0,
                            "Note": "",
                            "Status": 0,
                            "EmployeeNum": 0,
                            "ClinicNum": s.clinic if self.spec.clinics > 1 else 0,
                            "DateTStamp": stamp,
                        },
                    )
                    self.add("scheduleop", {"ScheduleNum": sched, "OperatoryNum": s.op})
            if d.weekday() == 0 and self.roster(d) and rng.random() < 0.25:
                s = self.roster(d)[0]
                sched = self.add(
                    "schedule",
                    {
                        "SchedDate": d.isoformat(),
                        "StartTime": "12:00:00",
                        "StopTime": "13:00:00",
                        "SchedType": SCHED_TYPE["Blockout"],
                        "ProvNum": 0,
                        "BlockoutType": self.defs[25][1],
                        "Note": cat.BLOCKOUT_NOTES[0],
                        "Status": 0,
                        "EmployeeNum": 0,
                        "ClinicNum": s.clinic if self.spec.clinics > 1 else 0,
                        "DateTStamp": stamp,
                    },
                )
                self.add("scheduleop", {"ScheduleNum": sched, "OperatoryNum": s.op})
            d += timedelta(days=1)
