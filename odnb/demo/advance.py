"""Move a demo practice forward in time: N more days of an office's ordinary work, written into its SQLite
file the way Open Dental writes it, so incremental sync has something real to find.

Each day: the day's scheduled appointments are completed with their procedures (some moved in from later
days), claims are sent for insured visits (the procedures' estimate claimprocs attached, or new ones),
older sent claims are received with a claim payment, patients pay at checkout (payments with splits),
some get a discount adjustment, recalls move on, next visits are booked with planned procedures, a new
patient calls; a few old rows are edited (a phone number, a planned fee) and a few are deleted (a
cancelled future appointment, whose procedures are detached; a planned procedure with its estimate).
Every written row is stamped as Open Dental stamps it: ``DateTStamp`` (patient, appointment, procedurelog,
recall), ``SecDateTEdit`` (claim, claimproc, payment, paysplit, adjustment, claimpayment) and
``DateEntry`` (payment, paysplit, adjustment, claimproc), at moments of the new day in office hours.

The practice's clock is its data: the first new day follows the latest change stamp in the file.

Example:
    >>> from odnb.demo.advance import advance                  # doctest: +SKIP
    >>> advance("practice.sqlite", days=7).deleted              # doctest: +SKIP
    {'appointment': 7, 'procedurelog': 7, 'claimproc': 3}
"""

from __future__ import annotations

import random
import sqlite3
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from odnb.api.enums import APT_STATUS, CLAIMPROC_STATUS, PROC_STATUS
from odnb.demo.schema import NO_DATE, NO_DATETIME

STAMPED = {  # table -> its change stamp column (what the day's writes set)
    "patient": "DateTStamp",
    "appointment": "DateTStamp",
    "procedurelog": "DateTStamp",
    "recall": "DateTStamp",
    "claim": "SecDateTEdit",
    "claimproc": "SecDateTEdit",
    "payment": "SecDateTEdit",
    "paysplit": "SecDateTEdit",
    "adjustment": "SecDateTEdit",
}
MIN_VISITS_PER_DAY = 4  # a quiet calendar day still gets this many visits (moved in from later days)
CASH_DISCOUNT = "Cash Discount"


@dataclass
class AdvanceResult:
    """What :func:`advance` wrote: the days simulated, and rows inserted, updated and deleted by table."""

    path: Path
    first_day: date
    last_day: date
    inserted: Counter = field(default_factory=Counter)
    updated: Counter = field(default_factory=Counter)
    deleted: Counter = field(default_factory=Counter)

    def to_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
            "inserted": dict(self.inserted),
            "updated": dict(self.updated),
            "deleted": dict(self.deleted),
        }


def practice_clock(con: sqlite3.Connection) -> date:
    """The practice's last day of activity: the date of its latest change stamp."""
    latest = max(
        (con.execute(f"SELECT MAX({col}) FROM {table}").fetchone()[0] or NO_DATETIME)
        for table, col in STAMPED.items()
    )
    return date.fromisoformat(latest[:10])


def advance(path: str | Path, days: int = 1, seed: int | None = None) -> AdvanceResult:
    """Simulate ``days`` more days in the practice SQLite file at ``path`` (in place, one transaction).

    >>> advance("practice.sqlite", days=1).inserted["procedurelog"] > 0     # doctest: +SKIP
    True
    """
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 366:
        raise ValueError(f"days must be a whole number from 1 to 366, got {days!r}")
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"no demo practice at {path}; build one with `odnb demo build`")
    con = sqlite3.connect(path)
    try:
        start = practice_clock(con) + timedelta(days=1)
        rng = random.Random(seed if seed is not None else start.toordinal())
        result = AdvanceResult(path, start, start + timedelta(days=days - 1))
        with con:  # one transaction: a failure leaves the file as it was
            for i in range(days):
                _Day(con, rng, start + timedelta(days=i), result).run()
    finally:
        con.close()
    return result


def advance_demo(days: int = 1, spec: Any = None) -> AdvanceResult:
    """Advance the cached demo practice (the one ``odnb demo serve`` and the ``demo`` profile use)."""
    from odnb.demo.practice import demo_database

    return advance(demo_database(spec), days)


class _Day:
    """One simulated day (helpers share the connection, the clock and the counters)."""

    def __init__(self, con: sqlite3.Connection, rng: random.Random, day: date, result: AdvanceResult) -> None:
        self.con, self.rng, self.day, self.result = con, rng, day, result
        self.minute = 8 * 60
        self.iso = day.isoformat()

    # --- helpers -------------------------------------------------------------------------------
    def stamp(self) -> str:
        self.minute = min(self.minute + self.rng.randint(1, 3), 23 * 60 + 59)
        return f"{self.iso} {self.minute // 60:02d}:{self.minute % 60:02d}:00"

    def rows(self, sql: str, args: tuple = ()) -> list[sqlite3.Row]:
        self.con.row_factory = sqlite3.Row
        try:
            return self.con.execute(sql, args).fetchall()
        finally:
            self.con.row_factory = None

    def next_id(self, table: str, key: str) -> int:
        return int(self.con.execute(f"SELECT COALESCE(MAX({key}), 0) + 1 FROM {table}").fetchone()[0])

    def insert(self, table: str, row: dict[str, Any]) -> None:
        cols = ", ".join(row)
        self.con.execute(
            f"INSERT INTO {table} ({cols}) VALUES ({', '.join('?' * len(row))})", tuple(row.values())
        )
        self.result.inserted[table] += 1

    def update(self, table: str, key: str, value: int, **changes: Any) -> None:
        sets = ", ".join(f"{c} = ?" for c in changes)
        self.con.execute(f"UPDATE {table} SET {sets} WHERE {key} = ?", (*changes.values(), value))
        self.result.updated[table] += 1

    def delete(self, table: str, key: str, value: int) -> None:
        self.con.execute(f"DELETE FROM {table} WHERE {key} = ?", (value,))
        self.result.deleted[table] += 1

    def pick(self, sql: str, args: tuple, k: int) -> list[tuple]:
        """``k`` rows of a query chosen with the day's random generator (deterministic per seed)."""
        found = self.con.execute(sql, args).fetchall()
        return self.rng.sample(found, min(k, len(found)))

    def touch_patient(self, pat: int, charge: float = 0.0) -> None:
        self.con.execute(
            "UPDATE patient SET EstBalance = ROUND(EstBalance + ?, 2), DateTStamp = ? WHERE PatNum = ?",
            (charge, self.stamp(), pat),
        )
        self.result.updated["patient"] += 1

    # --- the day -------------------------------------------------------------------------------
    def run(self) -> None:
        visits = self.visits()
        for apt in visits:
            self.complete(apt)
        self.receive_claims()
        self.new_patient()
        self.edit_old_rows()
        self.deletions()

    def visits(self) -> list[sqlite3.Row]:
        todays = self.rows(
            "SELECT * FROM appointment WHERE AptStatus = ? AND substr(AptDateTime, 1, 10) = ? "
            "ORDER BY AptDateTime",
            (APT_STATUS["Scheduled"], self.iso),
        )
        if len(todays) < MIN_VISITS_PER_DAY:  # a patient on the short-notice list takes an earlier slot
            later = self.rows(
                "SELECT * FROM appointment WHERE AptStatus = ? AND AptDateTime > ? "
                "ORDER BY AptDateTime LIMIT ?",
                (APT_STATUS["Scheduled"], self.iso + " 23:59:59", MIN_VISITS_PER_DAY - len(todays)),
            )
            for apt in later:
                when = f"{self.iso} {self.rng.randint(8, 15):02d}:{self.rng.choice(('00', '30'))}:00"
                self.update("appointment", "AptNum", apt["AptNum"], AptDateTime=when, DateTStamp=self.stamp())
            moved = ",".join(str(a["AptNum"]) for a in later) or "0"
            todays += self.rows(f"SELECT * FROM appointment WHERE AptNum IN ({moved})")
        return todays

    def complete(self, apt: sqlite3.Row) -> None:
        pat, arrived = apt["PatNum"], self.stamp()
        self.update(
            "appointment",
            "AptNum",
            apt["AptNum"],
            AptStatus=APT_STATUS["Complete"],
            DateTimeArrived=arrived,
            DateTimeSeated=arrived,
            DateTimeDismissed=self.stamp(),
            DateTStamp=self.stamp(),
        )
        procs = self.rows(
            "SELECT * FROM procedurelog WHERE AptNum = ? AND ProcStatus = ?",
            (apt["AptNum"], PROC_STATUS["TP"]),
        )
        for proc in procs:
            self.update(
                "procedurelog",
                "ProcNum",
                proc["ProcNum"],
                ProcStatus=PROC_STATUS["C"],
                ProcDate=self.iso,
                DateEntryC=self.iso,
                DateComplete=self.iso,
                DateTStamp=self.stamp(),
            )
        fees = round(sum(p["ProcFee"] for p in procs), 2)
        self.touch_patient(pat, fees)
        for recall in self.rows("SELECT RecallNum FROM recall WHERE PatNum = ?", (pat,)):
            due = (self.day + timedelta(days=182)).isoformat()
            self.update(
                "recall",
                "RecallNum",
                recall["RecallNum"],
                DatePrevious=self.iso,
                DateDue=due,
                DateDueCalc=due,
                DateTStamp=self.stamp(),
            )
        insured = self.send_claim(apt, procs) if procs else 0.0
        if procs and self.rng.random() < 0.7:
            self.pay(pat, procs[0], round(max(fees - insured, 0.0) or fees * 0.2, 2))
        if procs and self.rng.random() < 0.25:
            self.discount(pat, procs[0], round(-0.05 * fees, 2))
        self.book_next(apt, procs)

    def send_claim(self, apt: sqlite3.Row, procs: list[sqlite3.Row]) -> float:
        """A claim for an insured visit; returns the insurance estimate."""
        plan = self.rows(
            "SELECT s.InsSubNum, s.PlanNum FROM patplan pp JOIN inssub s ON s.InsSubNum = pp.InsSubNum "
            "WHERE pp.PatNum = ? AND pp.Ordinal = 1",
            (apt["PatNum"],),
        )
        if not plan:
            return 0.0
        sub, plan_num = plan[0]["InsSubNum"], plan[0]["PlanNum"]
        claim = self.next_id("claim", "ClaimNum")
        fee = round(sum(p["ProcFee"] for p in procs), 2)
        est = round(fee * 0.7, 2)
        self.insert(
            "claim",
            {
                "ClaimNum": claim,
                "PatNum": apt["PatNum"],
                "DateService": self.iso,
                "DateSent": self.iso,
                "ClaimStatus": "S",
                "DateReceived": NO_DATE,
                "PlanNum": plan_num,
                "InsSubNum": sub,
                "ProvTreat": apt["ProvNum"],
                "ProvBill": apt["ProvNum"],
                "ClaimFee": fee,
                "InsPayEst": est,
                "InsPayAmt": 0.0,
                "DedApplied": 0.0,
                "WriteOff": 0.0,
                "ClaimType": "P",
                "ClinicNum": apt["ClinicNum"],
                "SecDateEntry": self.iso,
                "SecDateTEdit": self.stamp(),
            },
        )
        for proc in procs:
            share = round(proc["ProcFee"] * 0.7, 2)
            estimate = self.rows(
                "SELECT ClaimProcNum FROM claimproc WHERE ProcNum = ? AND Status = ?",
                (proc["ProcNum"], CLAIMPROC_STATUS["Estimate"]),
            )
            values = {
                "ClaimNum": claim,
                "Status": CLAIMPROC_STATUS["NotReceived"],
                "FeeBilled": proc["ProcFee"],
                "InsPayEst": share,
                "ProcDate": self.iso,
                "DateCP": self.iso,
                "SecDateTEdit": self.stamp(),
            }
            if estimate:  # Open Dental turns the procedure's estimate into the claim's line
                self.update("claimproc", "ClaimProcNum", estimate[0]["ClaimProcNum"], **values)
                continue
            code = self.con.execute(
                "SELECT ProcCode FROM procedurecode WHERE CodeNum = ?", (proc["CodeNum"],)
            ).fetchone()
            self.insert(
                "claimproc",
                {
                    **values,
                    "ClaimProcNum": self.next_id("claimproc", "ClaimProcNum"),
                    "ProcNum": proc["ProcNum"],
                    "PatNum": proc["PatNum"],
                    "ProvNum": proc["ProvNum"],
                    "DedApplied": 0.0,
                    "InsPayAmt": 0.0,
                    "Remarks": "",
                    "ClaimPaymentNum": 0,
                    "PlanNum": plan_num,
                    "InsSubNum": sub,
                    "WriteOff": 0.0,
                    "CodeSent": code[0] if code else "",
                    "BaseEst": share,
                    "InsEstTotal": share,
                    "DateEntry": self.iso,
                    "ClinicNum": proc["ClinicNum"],
                    "SecDateEntry": self.stamp(),
                },
            )
        return est

    def receive_claims(self) -> None:
        cutoff = (self.day - timedelta(days=10)).isoformat()
        for claim in self.rows(
            "SELECT * FROM claim WHERE ClaimStatus = 'S' AND DateSent <= ? ORDER BY DateSent LIMIT ?",
            (cutoff, self.rng.randint(1, 3)),
        ):
            lines = self.rows(
                "SELECT * FROM claimproc WHERE ClaimNum = ? AND Status = ?",
                (claim["ClaimNum"], CLAIMPROC_STATUS["NotReceived"]),
            )
            paid = round(sum(line["InsPayEst"] for line in lines), 2)
            writeoff = round(sum(line["FeeBilled"] * 0.1 for line in lines), 2)
            carrier = self.con.execute(
                "SELECT c.CarrierName FROM insplan p JOIN carrier c ON c.CarrierNum = "
                "p.CarrierNum WHERE p.PlanNum = ?",
                (claim["PlanNum"],),
            ).fetchone()
            check = self.next_id("claimpayment", "ClaimPaymentNum")
            self.insert(
                "claimpayment",
                {
                    "ClaimPaymentNum": check,
                    "CheckDate": self.iso,
                    "CheckAmt": paid,
                    "CheckNum": f"EFT{self.rng.randint(1000000, 9999999)}",
                    "BankBranch": "",
                    "CarrierName": carrier[0] if carrier else "",
                    "ClinicNum": claim["ClinicNum"],
                    "DateIssued": (self.day - timedelta(days=3)).isoformat(),
                    "PayType": 0,
                    "SecDateTEdit": self.stamp(),
                },
            )
            for line in lines:
                self.update(
                    "claimproc",
                    "ClaimProcNum",
                    line["ClaimProcNum"],
                    Status=CLAIMPROC_STATUS["Received"],
                    InsPayAmt=line["InsPayEst"],
                    WriteOff=round(line["FeeBilled"] * 0.1, 2),
                    DateCP=self.iso,
                    ClaimPaymentNum=check,
                    SecDateTEdit=self.stamp(),
                )
            self.update(
                "claim",
                "ClaimNum",
                claim["ClaimNum"],
                ClaimStatus="R",
                DateReceived=self.iso,
                InsPayAmt=paid,
                WriteOff=writeoff,
                SecDateTEdit=self.stamp(),
            )
            self.touch_patient(claim["PatNum"], -paid - writeoff)

    def pay(self, pat: int, proc: sqlite3.Row, amount: float) -> None:
        types = [
            r[0]
            for r in self.con.execute("SELECT DefNum FROM definition WHERE Category = 10 AND IsHidden = 0")
        ]
        pay = self.next_id("payment", "PayNum")
        self.insert(
            "payment",
            {
                "PayNum": pay,
                "PayType": self.rng.choice(types) if types else 0,
                "PayDate": self.iso,
                "PayAmt": amount,
                "CheckNum": "",
                "BankBranch": "",
                "PayNote": "",
                "PatNum": pat,
                "ClinicNum": proc["ClinicNum"],
                "DateEntry": self.iso,
                "SecDateTEdit": self.stamp(),
            },
        )
        self.insert(
            "paysplit",
            {
                "SplitNum": self.next_id("paysplit", "SplitNum"),
                "SplitAmt": amount,
                "PatNum": pat,
                "DatePay": self.iso,
                "ProcNum": proc["ProcNum"],
                "ProvNum": proc["ProvNum"],
                "PayNum": pay,
                "ClinicNum": proc["ClinicNum"],
                "DateEntry": self.iso,
                "SecDateTEdit": self.stamp(),
            },
        )
        self.touch_patient(pat, -amount)

    def discount(self, pat: int, proc: sqlite3.Row, amount: float) -> None:
        kind = self.con.execute(
            "SELECT DefNum FROM definition WHERE Category = 1 AND ItemName = ?", (CASH_DISCOUNT,)
        ).fetchone()
        self.insert(
            "adjustment",
            {
                "AdjNum": self.next_id("adjustment", "AdjNum"),
                "AdjDate": self.iso,
                "AdjAmt": amount,
                "PatNum": pat,
                "AdjType": kind[0] if kind else 0,
                "ProvNum": proc["ProvNum"],
                "AdjNote": "",
                "ProcDate": self.iso,
                "ProcNum": proc["ProcNum"],
                "DateEntry": self.iso,
                "ClinicNum": proc["ClinicNum"],
                "SecDateTEdit": self.stamp(),
            },
        )
        self.touch_patient(pat, amount)

    def book_next(self, apt: sqlite3.Row, procs: list[sqlite3.Row]) -> None:
        """The next visit, with its planned procedures (the same codes and fees)."""
        when = self.day + timedelta(days=self.rng.choice((14, 28, 91, 182)))
        while when.weekday() >= 5:
            when += timedelta(days=1)
        num = self.next_id("appointment", "AptNum")
        self.insert(
            "appointment",
            {
                "AptNum": num,
                "PatNum": apt["PatNum"],
                "AptStatus": APT_STATUS["Scheduled"],
                "Pattern": apt["Pattern"],
                "Confirmed": apt["Confirmed"],
                "Op": apt["Op"],
                "Note": "",
                "ProvNum": apt["ProvNum"],
                "ProvHyg": apt["ProvHyg"],
                "AptDateTime": f"{when.isoformat()} {self.rng.randint(8, 15):02d}:00:00",
                "NextAptNum": 0,
                "UnschedStatus": 0,
                "IsNewPatient": 0,
                "ProcDescript": apt["ProcDescript"],
                "ClinicNum": apt["ClinicNum"],
                "IsHygiene": apt["IsHygiene"],
                "DateTimeArrived": NO_DATETIME,
                "DateTimeSeated": NO_DATETIME,
                "DateTimeDismissed": NO_DATETIME,
                "AptDateTimeArrived": NO_DATETIME,
                "Priority": 0,
                "SecDateTEntry": self.stamp(),
                "DateTStamp": self.stamp(),
            },
        )
        for proc in procs[:2] or []:
            self.insert(
                "procedurelog",
                {
                    **dict(zip(proc.keys(), tuple(proc), strict=True)),
                    "ProcNum": self.next_id("procedurelog", "ProcNum"),
                    "AptNum": num,
                    "ProcDate": when.isoformat(),
                    "ProcStatus": PROC_STATUS["TP"],
                    "DateTP": self.iso,
                    "DateEntryC": NO_DATE,
                    "DateComplete": NO_DATE,
                    "SecDateEntry": self.stamp(),
                    "DateTStamp": self.stamp(),
                },
            )

    def new_patient(self) -> None:
        model = self.rows(
            "SELECT * FROM patient WHERE PatStatus = 0 ORDER BY PatNum LIMIT 1 OFFSET ?",
            (self.rng.randint(0, 50),),
        )
        if not model:
            return
        num = self.next_id("patient", "PatNum")
        row = dict(zip(model[0].keys(), tuple(model[0]), strict=True))
        row.update(
            PatNum=num,
            LName=f"Newpatient{num}",
            FName=self.rng.choice(("Ana", "Ben", "Chloe", "Dev")),
            Guarantor=num,
            DateFirstVisit=NO_DATE,
            EstBalance=0.0,
            BalTotal=0.0,
            Bal_0_30=0.0,
            Bal_31_60=0.0,
            Bal_61_90=0.0,
            BalOver90=0.0,
            InsEst=0.0,
            SecDateEntry=self.iso,
            DateTStamp=self.stamp(),
        )
        self.insert("patient", row)

    def edit_old_rows(self) -> None:
        """Front-desk edits to rows written long ago: they get a new stamp today."""
        for (pat,) in self.pick(
            "SELECT PatNum FROM patient WHERE DateTStamp < ? ORDER BY PatNum", (self.iso,), 2
        ):
            self.update(
                "patient",
                "PatNum",
                pat,
                HmPhone=f"(503) 555-{self.rng.randint(1000, 9999)}",
                DateTStamp=self.stamp(),
            )
        old = self.pick(
            "SELECT ProcNum, ProcFee FROM procedurelog WHERE ProcStatus = ? AND DateTStamp < ? "
            "ORDER BY ProcNum",
            (PROC_STATUS["TP"], self.iso),
            1,
        )
        for proc, fee in old:  # the fee schedule went up
            self.update(
                "procedurelog", "ProcNum", proc, ProcFee=round(fee * 1.03, 2), DateTStamp=self.stamp()
            )

    def deletions(self) -> None:
        """A cancelled future appointment deleted (its procedures detached, as Open Dental does) and a
        planned procedure deleted with its estimate."""
        far = (self.day + timedelta(days=30)).isoformat()
        for (apt,) in self.pick(
            "SELECT AptNum FROM appointment WHERE AptStatus = ? AND AptDateTime > ? ORDER BY AptNum",
            (APT_STATUS["Scheduled"], far),
            1,
        ):
            for (proc,) in self.con.execute(
                "SELECT ProcNum FROM procedurelog WHERE AptNum = ?", (apt,)
            ).fetchall():
                self.update("procedurelog", "ProcNum", proc, AptNum=0, DateTStamp=self.stamp())
            self.delete("appointment", "AptNum", apt)
        for (proc,) in self.pick(
            "SELECT ProcNum FROM procedurelog WHERE ProcStatus = ? AND AptNum = 0 ORDER BY ProcNum",
            (PROC_STATUS["TP"],),
            1,
        ):
            for (cp,) in self.con.execute(
                "SELECT ClaimProcNum FROM claimproc WHERE ProcNum = ? AND Status = ?",
                (proc, CLAIMPROC_STATUS["Estimate"]),
            ).fetchall():
                self.delete("claimproc", "ClaimProcNum", cp)
            self.delete("procedurelog", "ProcNum", proc)
