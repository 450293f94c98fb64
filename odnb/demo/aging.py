"""``GET /reports/Aging``: Open Dental's Aging report per guarantor, computed from the practice's ledger.

As of a date D, by transaction date: a family's charges are its completed procedures (fee x units) on or
before D and its positive adjustments; its credits are negative adjustments, pay splits and the insurance
payments and write-offs of received claim procedures (DateCP on or before D). Credits pay the oldest charges
first; what is left of each charge is aged by D - its date into 0-30, 31-60, 61-90 and over 90 days. A
family with a net credit shows it (negative) in Bal_0_30; families at zero are left out. ``ClinicNum`` ages
only the rows at that clinic. InsPayEst / InsWoEst are the family's claim procedures sent and not yet
received as of D; PatientPortion = BalTotal - InsPayEst - InsWoEst. Amounts are summed in whole cents.

Example:
    >>> bucket(0), bucket(31), bucket(90), bucket(91)
    (0, 1, 2, 3)
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict
from datetime import date

C, NOT_RECEIVED, RECEIVED, SUPPLEMENTAL = 2, 0, 1, 4  # ProcStatus C; claimproc statuses (odnb.api.enums)
AGING_SINCE = "21.4"
CLINIC_SINCE = "22.2"

_LEDGER = """
SELECT p.Guarantor, x.day, x.cents, x.clinic FROM (
    SELECT l.PatNum AS pat, l.ProcDate AS day,
           CAST(ROUND(l.ProcFee * 100) AS INTEGER) * (l.UnitQty + l.BaseUnits) AS cents, l.ClinicNum AS clinic
      FROM procedurelog l WHERE l.ProcStatus = {C} AND l.ProcDate <= :d
    UNION ALL
    SELECT a.PatNum, a.AdjDate, CAST(ROUND(a.AdjAmt * 100) AS INTEGER), a.ClinicNum
      FROM adjustment a WHERE a.AdjDate <= :d
    UNION ALL
    SELECT s.PatNum, s.DatePay, -CAST(ROUND(s.SplitAmt * 100) AS INTEGER), s.ClinicNum
      FROM paysplit s WHERE s.DatePay <= :d
    UNION ALL
    SELECT c.PatNum, c.DateCP,
           -CAST(ROUND(c.InsPayAmt * 100) AS INTEGER) - CAST(ROUND(c.WriteOff * 100) AS INTEGER), c.ClinicNum
      FROM claimproc c WHERE c.Status IN ({RECEIVED}, {SUPPLEMENTAL}) AND c.DateCP <= :d
) x JOIN patient p ON p.PatNum = x.pat
WHERE :clinic IS NULL OR x.clinic = :clinic
"""

# Claim procedures on a claim sent by D and not received by D: the insurance still expected.
_PENDING = """
SELECT p.Guarantor, SUM(CAST(ROUND(c.InsPayEst * 100) AS INTEGER)),
       SUM(CAST(ROUND(c.WriteOff * 100) AS INTEGER))
  FROM claimproc c JOIN claim k ON k.ClaimNum = c.ClaimNum JOIN patient p ON p.PatNum = c.PatNum
 WHERE c.ClaimNum > 0 AND k.DateSent <> '0001-01-01' AND k.DateSent <= :d AND c.ProcDate <= :d
   AND (c.Status = {NOT_RECEIVED} OR (c.Status IN ({RECEIVED}, {SUPPLEMENTAL}) AND c.DateCP > :d))
   AND (:clinic IS NULL OR c.ClinicNum = :clinic)
 GROUP BY p.Guarantor
"""


def bucket(days: int) -> int:
    """0: 0-30 days, 1: 31-60, 2: 61-90, 3: over 90."""
    return 0 if days <= 30 else 1 if days <= 60 else 2 if days <= 90 else 3


def family_buckets(entries: list[tuple[str, int]], as_of: date) -> list[int]:
    """Aging buckets in cents of one family's ledger ``(date, cents)``: credits pay the oldest charges."""
    charges = sorted((day, cents) for day, cents in entries if cents > 0)
    credit = -sum(cents for _, cents in entries if cents < 0)
    buckets = [0, 0, 0, 0]
    for day, cents in charges:
        paid = min(credit, cents)
        credit -= paid
        if cents > paid:
            buckets[bucket((as_of - date.fromisoformat(day[:10])).days)] += cents - paid
    buckets[0] -= credit  # a net credit shows in 0-30, negative
    return buckets


def aging_rows(con: sqlite3.Connection, as_of: date, clinic: int | None = None) -> list[dict]:
    """The report's rows (guarantors with a non-zero balance, by PatNum), money in dollars."""
    args = {"d": as_of.isoformat(), "clinic": clinic}
    ledger: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for guarantor, day, cents, _ in con.execute(
        _LEDGER.format(C=C, RECEIVED=RECEIVED, SUPPLEMENTAL=SUPPLEMENTAL), args
    ):
        ledger[guarantor].append((day, cents))
    pending = {
        g: (est or 0, wo or 0)
        for g, est, wo in con.execute(
            _PENDING.format(NOT_RECEIVED=NOT_RECEIVED, RECEIVED=RECEIVED, SUPPLEMENTAL=SUPPLEMENTAL), args
        )
    }
    names = dict(con.execute("SELECT PatNum, LName || ', ' || FName || ' ' || MiddleI FROM patient"))
    rows = []
    for guarantor in sorted(ledger):
        buckets = family_buckets(ledger[guarantor], as_of)
        total = sum(buckets)
        if total == 0:
            continue
        est, wo = pending.get(guarantor, (0, 0))
        rows.append(
            {
                "PatNum": guarantor,
                "patName": names.get(guarantor, ""),
                "Bal_0_30": _money(buckets[0]),
                "Bal_31_60": _money(buckets[1]),
                "Bal_61_90": _money(buckets[2]),
                "BalOver90": _money(buckets[3]),
                "BalTotal": _money(total),
                "InsWoEst": _money(wo),
                "InsPayEst": _money(est),
                "PatientPortion": _money(total - est - wo),
            }
        )
    return rows


def _money(cents: int) -> float | int:
    """Whole dollars as a JSON integer (as the docs' example shows), else a 2-decimal number."""
    return cents // 100 if cents % 100 == 0 else round(cents / 100, 2)
