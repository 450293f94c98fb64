"""The pure KPI layer on small hand-built frames; every expected answer is worked out by hand beside it.

Period under test: January 2026, [2026-01-01, 2026-01-31], both days inclusive.
"""

from __future__ import annotations

import json
from datetime import date, datetime

import numpy as np
import pandas as pd
import pytest

from odnb import kpis
from odnb.api.enums import APT_STATUS, CLAIMPROC_STATUS, PAT_STATUS, PROC_STATUS

S, E = "2026-01-01", "2026-01-31"
NAT = pd.NaT


def _dates(values: list[str | None]) -> pd.Series:
    return pd.to_datetime(pd.Series(values, dtype="object"))


def procedures() -> pd.DataFrame:
    """Completed/planned procedures, typed like the client returns them.

    row  pat status ProcDate     fee     units  code   in gross?
    0    1   C      2026-01-01   100.10  1+0    D0120  yes (start edge)        100.10
    1    1   C      2026-01-31     0.10  1+0    D0120  yes (end edge)            0.10
    2    2   C      2026-01-15     0.20  1+0    D1110  yes                       0.20
    3    2   C      2026-01-15    50.00  2+1    D2740  yes, multi-unit: 50 x 3 = 150.00
    4    3   C      2025-12-31   999.00  1+0    D0120  no (day before)
    5    3   C      2026-02-01   888.00  1+0    D0120  no (day after)
    6    4   TP     2026-01-10   300.00  1+0    D2740  no (TP)
    7    5   C      NaT          777.00  1+0    D0120  no (no date)
    8    5   C      2026-01-20    25.00  1+0    D9986  yes (a fee is production)  25.00
    9    7   C      2025-12-01    10.00  1+0    D9987  no (day before)
    10   7   C      2026-01-05    60.00  0+1    D0120  yes (units 0 + 1 base)    60.00
    11   9   C      2024-08-01    40.00  1+0    D0120  no (long ago)
    12   8   C      2024-07-31    40.00  1+0    D0120  no (long ago)
    gross = 100.10 + 0.10 + 0.20 + 150.00 + 25.00 + 60.00 = 335.40
    """
    return pd.DataFrame(
        {
            "ProcNum": pd.array(range(1, 14), dtype="Int64"),
            "PatNum": pd.array([1, 1, 2, 2, 3, 3, 4, 5, 5, 7, 7, 9, 8], dtype="Int64"),
            "ProcStatus": pd.Categorical(["C"] * 6 + ["TP"] + ["C"] * 6),
            "ProcDate": _dates(
                [
                    "2026-01-01",
                    "2026-01-31",
                    "2026-01-15",
                    "2026-01-15",
                    "2025-12-31",
                    "2026-02-01",
                    "2026-01-10",
                    None,
                    "2026-01-20",
                    "2025-12-01",
                    "2026-01-05",
                    "2024-08-01",
                    "2024-07-31",
                ]
            ),
            "ProcFee": pd.array(
                [100.10, 0.10, 0.20, 50.00, 999, 888, 300, 777, 25, 10, 60, 40, 40], dtype="Float64"
            ),
            "UnitQty": pd.array([1, 1, 1, 2, 1, 1, 1, 1, 1, 1, 0, 1, 1], dtype="Int64"),
            "BaseUnits": pd.array([0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0, 0], dtype="Int64"),
            "CodeNum": pd.array([1, 1, 2, 3, 1, 1, 3, 1, 86, 87, 1, 1, 1], dtype="Int64"),
            "procCode": [
                "D0120",
                "D0120",
                "D1110",
                "D2740",
                "D0120",
                "D0120",
                "D2740",
                "D0120",
                "D9986",
                "D9987",
                "D0120",
                "D0120",
                "D0120",
            ],
            "ProvNum": pd.array([1, 1, 2, 2, 1, 1, 1, 1, 1, 1, 3, 1, 1], dtype="Int64"),
        }
    )


PROCEDURECODES = pd.DataFrame(
    {
        "CodeNum": pd.array([1, 2, 3, 86, 87], dtype="Int64"),
        "ProcCode": ["D0120", "D1110", "D2740", "D9986", "D9987"],
    }
)


def with_int_enums(frame: pd.DataFrame, column: str, mapping: dict[str, int]) -> pd.DataFrame:
    out = frame.copy()
    out[column] = out[column].astype(str).map(mapping).astype("Int64")
    return out


def with_text_dates(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """As raw API text: yyyy-MM-dd, and 0001-01-01 for no date."""
    out = frame.copy()
    for col in columns:
        out[col] = out[col].dt.strftime("%Y-%m-%d").fillna("0001-01-01")
    return out


# ---------------------------------------------------------------------------------------------- production


def test_gross_production_edges_units_and_exclusions() -> None:
    assert kpis.gross_production(procedures(), S, E) == 335.40


def test_gross_production_accepts_int_enums_and_text_dates() -> None:
    raw = with_text_dates(with_int_enums(procedures(), "ProcStatus", PROC_STATUS), ["ProcDate"])
    assert kpis.gross_production(raw, date(2026, 1, 1), datetime(2026, 1, 31, 23, 59)) == 335.40


def test_money_is_summed_in_exact_cents() -> None:
    # Ten fees of 0.10: float summing gives 0.9999999999999999; cents give exactly 1.00.
    # Plus 0.1 and 0.2 on one more day: 0.30, not 0.30000000000000004.
    ten = pd.DataFrame(
        {
            "ProcStatus": ["C"] * 12,
            "ProcDate": ["2026-01-02"] * 10 + ["2026-01-03"] * 2,
            "ProcFee": [0.1] * 10 + [0.1, 0.2],
            "UnitQty": [1] * 12,
            "BaseUnits": [0] * 12,
        }
    )
    assert sum([0.1] * 10) != 1.0  # the trap being avoided
    assert kpis.gross_production(ten, "2026-01-02", "2026-01-02") == 1.0
    assert kpis.gross_production(ten, "2026-01-03", "2026-01-03") == 0.3
    assert kpis.gross_production(ten, S, E) == 1.3


def adjustments() -> pd.DataFrame:
    """AdjDate 2026-01-01 -10.05 (in), 2026-01-31 +20.10 (in), 2025-12-31 5 (out), 2026-02-01 7 (out),
    NaT 3 (out) -> 20.10 - 10.05 = 10.05."""
    return pd.DataFrame(
        {
            "AdjNum": pd.array([1, 2, 3, 4, 5], dtype="Int64"),
            "PatNum": pd.array([1, 1, 2, 3, 4], dtype="Int64"),
            "AdjDate": _dates(["2026-01-01", "2026-01-31", "2025-12-31", "2026-02-01", None]),
            "AdjAmt": pd.array([-10.05, 20.10, 5, 7, 3], dtype="Float64"),
        }
    )


def test_adjustments_total() -> None:
    assert kpis.adjustments_total(adjustments(), S, E) == 10.05


def claimprocs() -> pd.DataFrame:
    """row status        DateCP      ProcDate    WriteOff InsPayAmt
    0   Received      2026-01-10  2025-12-20   30.00   100.00
    1   Supplemental  2026-01-31  2026-01-31    0.10     0.20
    2   NotReceived   NaT         2026-01-15   40.00     0.00
    3   Received      2026-02-01  2026-01-20    5.00    50.00
    4   Estimate      2026-01-15  2026-01-15   99.00    99.00   (never counts)
    5   Preauth       2026-01-15  2026-01-15   88.00    88.00   (never counts)
    payment-date write-offs: rows 0, 1 = 30.10; insurance income: rows 0, 1 = 100.20
    procedure-date write-offs (NotReceived/Received/Supplemental by ProcDate): rows 1, 2, 3 = 45.10
    """
    return pd.DataFrame(
        {
            "ClaimProcNum": pd.array(range(1, 7), dtype="Int64"),
            "Status": pd.Categorical(
                ["Received", "Supplemental", "NotReceived", "Received", "Estimate", "Preauth"]
            ),
            "DateCP": _dates(["2026-01-10", "2026-01-31", None, "2026-02-01", "2026-01-15", "2026-01-15"]),
            "ProcDate": _dates(
                ["2025-12-20", "2026-01-31", "2026-01-15", "2026-01-20", "2026-01-15", "2026-01-15"]
            ),
            "WriteOff": pd.array([30.00, 0.10, 40.00, 5.00, 99, 88], dtype="Float64"),
            "InsPayAmt": pd.array([100.00, 0.20, 0, 50.00, 99, 88], dtype="Float64"),
        }
    )


def test_writeoffs_both_modes() -> None:
    assert kpis.writeoffs(claimprocs(), S, E) == 30.10
    assert kpis.writeoffs(claimprocs(), S, E, mode="payment_date") == 30.10
    assert kpis.writeoffs(claimprocs(), S, E, mode="procedure_date") == 45.10
    ints = with_int_enums(claimprocs(), "Status", CLAIMPROC_STATUS)
    assert kpis.writeoffs(ints, S, E, mode="procedure_date") == 45.10


def test_writeoff_mode_is_checked() -> None:
    with pytest.raises(kpis.KPIInputError, match="mode='claim_date' is not one of"):
        kpis.writeoffs(claimprocs(), S, E, mode="claim_date")  # type: ignore[arg-type]


def test_net_production_both_modes() -> None:
    # 335.40 + 10.05 - 30.10 = 315.35 ; by procedure date: 335.40 + 10.05 - 45.10 = 300.35
    assert kpis.net_production(procedures(), adjustments(), claimprocs(), S, E) == 315.35
    mode = "procedure_date"
    assert kpis.net_production(procedures(), adjustments(), claimprocs(), S, E, writeoff_mode=mode) == 300.35


def paysplits() -> pd.DataFrame:
    """DatePay 2026-01-01 60.00, 2026-01-31 0.30, 2026-01-15 -10.00 (refund), 2025-12-31 1000 (out),
    NaT 5 (out) -> 50.30."""
    return pd.DataFrame(
        {
            "SplitNum": pd.array([1, 2, 3, 4, 5], dtype="Int64"),
            "DatePay": _dates(["2026-01-01", "2026-01-31", "2026-01-15", "2025-12-31", None]),
            "SplitAmt": pd.array([60.00, 0.30, -10.00, 1000, 5], dtype="Float64"),
        }
    )


def test_income_and_collections() -> None:
    assert kpis.patient_income(paysplits(), S, E) == 50.30
    assert kpis.insurance_income(claimprocs(), S, E) == 100.20
    assert kpis.collections(paysplits(), claimprocs(), S, E) == 150.50  # 50.30 + 100.20


def test_collection_ratio_variants() -> None:
    args = (procedures(), adjustments(), claimprocs(), paysplits(), S, E)
    # net: 150.50 / 315.35 ; gross: 150.50 / 335.40 (computed from cents, so exact)
    assert kpis.collection_ratio(*args) == 15050 / 31535
    assert kpis.collection_ratio(*args, denominator="gross") == 15050 / 33540
    assert kpis.collection_ratio(*args, writeoff_mode="procedure_date") == 15050 / 30035
    no_adj = (procedures(), None, claimprocs(), paysplits(), S, E)
    assert kpis.collection_ratio(*no_adj, denominator="gross") == 15050 / 33540
    with pytest.raises(kpis.KPIInputError, match="needs the adjustments"):
        kpis.collection_ratio(*no_adj)


def test_collection_ratio_is_none_when_net_production_is_zero() -> None:
    # A quiet month: no procedures, no adjustments, no write-offs in February 2027 -> 0 / 0 -> None.
    args = (procedures(), adjustments(), claimprocs(), paysplits(), "2027-02-01", "2027-02-28")
    assert kpis.collection_ratio(*args) is None
    assert kpis.collection_ratio(*args, denominator="gross") is None


# ---------------------------------------------------------------------------------------------- patients


def test_new_patients() -> None:
    # First "C" procedure ever, D9986/D9987 ignored:
    #   pat 1: 2026-01-01 (start edge) -> new        pat 2: 2026-01-15 -> new
    #   pat 3: 2025-12-31 (before the period) -> not  pat 4: only TP -> not
    #   pat 5: NaT (ignored) and D9986 (excluded) -> no qualifying procedure -> not
    #   pat 7: D9987 on 2025-12-01 excluded, first real one 2026-01-05 -> new
    #   pats 8, 9: 2024 -> not                           => 3
    assert kpis.new_patients(procedures(), PROCEDURECODES, S, E) == 3
    assert kpis.new_patients(procedures().drop(columns="procCode"), PROCEDURECODES, S, E) == 3
    assert kpis.new_patients(procedures(), None, S, E) == 3  # codes from the procCode column
    # Excluding only D9986: pat 7's first procedure is the D9987 of 2025-12-01 -> not new: pats 1, 2 => 2.
    # Excluding nothing: pat 5's D9986 of 2026-01-20 makes pat 5 new, pat 7 is not: pats 1, 2, 5 => 3.
    assert kpis.new_patients(procedures(), PROCEDURECODES, S, E, exclude_codes=("D9986",)) == 2
    assert kpis.new_patients(procedures(), PROCEDURECODES, S, E, exclude_codes=()) == 3


def test_new_patients_first_visit_before_the_period_is_not_new() -> None:
    # Pat 3 is only "new" in a period holding 2025-12-31.
    assert kpis.new_patients(procedures(), PROCEDURECODES, "2025-12-31", "2025-12-31") == 1
    assert kpis.new_patients(procedures(), PROCEDURECODES, "2026-02-01", "2026-02-28") == 0


def test_new_patients_needs_codes() -> None:
    with pytest.raises(kpis.KPIInputError, match="procedurecodes"):
        kpis.new_patients(procedures().drop(columns="procCode"), None, S, E)


def patients() -> pd.DataFrame:
    """pat guarantor status     BalTotal  0-30   31-60  61-90  >90
    1   1         Patient    100.10    60.00  40.10   0      0
    2   1         Patient     50.00    (not a guarantor: ignored)
    3   3         Inactive     0.20     0.20   0      0      0
    4   4         Patient    -20.00   -20.00   0      0      0
    5   1         Patient    999.00    (not a guarantor)
    7   7         Patient      0.10     0      0      0.10   0
    8   8         Patient      0        0      0      0      0
    9   9         Patient      5.00     0      0      0      5.00
    AR = 100.10 + 0.20 - 20.00 + 0.10 + 0 + 5.00 = 85.40
    aging: 0-30 = 60.00 + 0.20 - 20.00 = 40.20; 31-60 = 40.10; 61-90 = 0.10; >90 = 5.00
    """
    return pd.DataFrame(
        {
            "PatNum": pd.array([1, 2, 3, 4, 5, 7, 8, 9], dtype="Int64"),
            "Guarantor": pd.array([1, 1, 3, 4, 1, 7, 8, 9], dtype="Int64"),
            "PatStatus": pd.Categorical(["Patient", "Patient", "Inactive"] + ["Patient"] * 5),
            "BalTotal": pd.array([100.10, 50, 0.20, -20, 999, 0.10, 0, 5], dtype="Float64"),
            "Bal_0_30": pd.array([60.00, 50, 0.20, -20, 999, 0, 0, 0], dtype="Float64"),
            "Bal_31_60": pd.array([40.10, 0, 0, 0, 0, 0, 0, 0], dtype="Float64"),
            "Bal_61_90": pd.array([0, 0, 0, 0, 0, 0.10, 0, 0], dtype="Float64"),
            "BalOver90": pd.array([0, 0, 0, 0, 0, 0, 0, 5.00], dtype="Float64"),
        }
    )


def test_active_patients_window_edges_and_status() -> None:
    # 18 months ending 2026-01-31: ProcDate in [2024-08-01, 2026-01-31].
    #   pat 1, 2 (Jan 2026) yes; pat 3 Inactive -> no; pat 4 TP only -> no; pat 5 (D9986 on 2026-01-20,
    #   still a completed procedure) yes; pat 7 yes; pat 9 on 2024-08-01 (first day) yes;
    #   pat 8 on 2024-07-31 (day before the window) no  => 5
    assert kpis.active_window_start("2026-01-31", 18) == date(2024, 8, 1)
    assert kpis.active_patients(patients(), procedures(), E) == 5
    assert kpis.active_patients(patients(), procedures(), E, active_months=18) == 5
    # 12 months: [2025-02-01, 2026-01-31]: pats 1, 2, 5, 7 => 4
    assert kpis.active_patients(patients(), procedures(), E, active_months=12) == 4
    ints = with_int_enums(patients(), "PatStatus", PAT_STATUS)
    assert kpis.active_patients(ints, procedures(), E) == 5


def test_active_months_is_checked() -> None:
    with pytest.raises(kpis.KPIInputError, match="active_months"):
        kpis.active_patients(patients(), procedures(), E, active_months=0)


# ---------------------------------------------------------------------------------------------- appointments


def appointments() -> pd.DataFrame:
    """apt pat status       AptDateTime          hyg  SecDateTEntry
    1   1   Complete     2026-01-01 08:00     yes  2025-07-01 09:00   visit (start edge)
    2   1   Scheduled    2026-07-01 09:00     no   2026-01-01 16:00   booked the visit's day -> reappoints 1
    3   2   Complete     2026-01-31 17:00     yes  2025-08-01 09:00   visit (end edge)
    4   2   Scheduled    2026-08-01 09:00     yes  2026-02-01 08:00   booked a day after -> does not count
    17  2   UnschedList  2026-03-01 09:00     no   2026-01-20 09:00   not Scheduled/Complete -> no
    5   3   Complete     2026-01-15 10:00     yes  2025-10-01 09:00   visit
    6   3   Broken       2026-07-15 10:00     no   2026-01-10 09:00   Broken -> does not count
    7   3   Scheduled    2026-01-10 10:00     no   2025-12-01 09:00   before the visit -> does not count
    8   4   Complete     2026-01-20 11:00     no   2025-12-01 09:00   completed, not hygiene
    9   5   Broken       2026-01-05 12:00     no   2025-12-01 09:00   broken
    10  5   Broken       2026-02-01 00:00     no   2025-12-01 09:00   day after the period
    11  6   Complete     2025-12-31 23:59     yes  2025-06-01 09:00   day before the period
    12  6   Complete     2026-01-25 10:00     yes  2025-07-01 09:00   visit
    13  6   Complete     2026-03-01 10:00     no   NaT                no entry date -> does not count
    14  6   Scheduled    2026-04-01 10:00     no   2026-01-25 08:00   booked the visit's day -> reappoints 12
    15  7   Complete     2026-01-20 09:00     yes  2025-10-01 09:00   visit
    16  7   Scheduled    2026-07-20 09:00     no   NaT (0001-01-01)   no entry date -> A15 not reappointed
    completed in Jan: 1, 3, 5, 8, 12, 15 = 6; broken in Jan: 9 = 1; broken rate 1 / 7
    hygiene visits: 1, 3, 5, 12, 15 = 5; reappointed: 1 (by 2) and 12 (by 14) = 2 -> 2 / 5 = 0.4
    """
    rows = [
        (1, 1, "Complete", "2026-01-01 08:00", True, "2025-07-01 09:00"),
        (2, 1, "Scheduled", "2026-07-01 09:00", False, "2026-01-01 16:00"),
        (3, 2, "Complete", "2026-01-31 17:00", True, "2025-08-01 09:00"),
        (4, 2, "Scheduled", "2026-08-01 09:00", True, "2026-02-01 08:00"),
        (17, 2, "UnschedList", "2026-03-01 09:00", False, "2026-01-20 09:00"),
        (5, 3, "Complete", "2026-01-15 10:00", True, "2025-10-01 09:00"),
        (6, 3, "Broken", "2026-07-15 10:00", False, "2026-01-10 09:00"),
        (7, 3, "Scheduled", "2026-01-10 10:00", False, "2025-12-01 09:00"),
        (8, 4, "Complete", "2026-01-20 11:00", False, "2025-12-01 09:00"),
        (9, 5, "Broken", "2026-01-05 12:00", False, "2025-12-01 09:00"),
        (10, 5, "Broken", "2026-02-01 00:00", False, "2025-12-01 09:00"),
        (11, 6, "Complete", "2025-12-31 23:59", True, "2025-06-01 09:00"),
        (12, 6, "Complete", "2026-01-25 10:00", True, "2025-07-01 09:00"),
        (13, 6, "Complete", "2026-03-01 10:00", False, None),
        (14, 6, "Scheduled", "2026-04-01 10:00", False, "2026-01-25 08:00"),
        (15, 7, "Complete", "2026-01-20 09:00", True, "2025-10-01 09:00"),
        (16, 7, "Scheduled", "2026-07-20 09:00", False, None),
    ]
    frame = pd.DataFrame(
        rows, columns=["AptNum", "PatNum", "AptStatus", "AptDateTime", "IsHygiene", "SecDateTEntry"]
    )
    frame["AptNum"] = frame["AptNum"].astype("Int64")
    frame["PatNum"] = frame["PatNum"].astype("Int64")
    frame["AptStatus"] = frame["AptStatus"].astype("category")
    frame["AptDateTime"] = pd.to_datetime(frame["AptDateTime"])
    frame["IsHygiene"] = frame["IsHygiene"].astype("boolean")
    frame["SecDateTEntry"] = pd.to_datetime(frame["SecDateTEntry"])
    return frame


def test_appointment_counts_by_date_of_the_datetime() -> None:
    assert kpis.appointments_completed(appointments(), S, E) == 6
    assert kpis.appointments_broken(appointments(), S, E) == 1
    assert kpis.broken_rate(appointments(), S, E) == 1 / 7
    assert kpis.hygiene_visits(appointments(), S, E) == 5
    # One day: 2026-01-31 holds A3 (17:00): the whole day counts.
    assert kpis.appointments_completed(appointments(), E, E) == 1


def test_hygiene_reappointment_rate() -> None:
    assert kpis.hygiene_reappointment_rate(appointments(), S, E) == 2 / 5


def test_hygiene_reappointment_on_raw_api_values() -> None:
    # Integer enums, "true"/"false" text booleans and 0001-01-01 text dates give the same answer.
    raw = with_int_enums(appointments(), "AptStatus", APT_STATUS)
    raw["IsHygiene"] = raw["IsHygiene"].map({True: "true", False: "false"})
    raw["AptDateTime"] = raw["AptDateTime"].dt.strftime("%Y-%m-%d %H:%M:%S")
    raw["SecDateTEntry"] = raw["SecDateTEntry"].dt.strftime("%Y-%m-%d %H:%M:%S").fillna("0001-01-01 00:00:00")
    assert kpis.hygiene_visits(raw, S, E) == 5
    assert kpis.hygiene_reappointment_rate(raw, S, E) == 2 / 5
    assert kpis.broken_rate(raw, S, E) == 1 / 7


def test_rates_are_none_without_a_denominator() -> None:
    # No appointments at all in March 2027.
    assert kpis.broken_rate(appointments(), "2027-03-01", "2027-03-31") is None
    assert kpis.hygiene_reappointment_rate(appointments(), "2027-03-01", "2027-03-31") is None


# ---------------------------------------------------------------------------------------------- treatment


def treatment() -> pd.DataFrame:
    """status DateTP      fee x units
    C      2026-01-01  100.00 x 1   accepted
    TP     2026-01-31   50.00 x 2   planned, not accepted
    TP     2025-12-31 1000.00 x 1   outside
    C      2026-01-15    0.10 x 1   accepted
    D      2026-01-15  500.00 x 1   deleted: not counted
    TPi    2026-01-15  400.00 x 1   inactive plan: not counted
    C      NaT          70.00 x 1   no DateTP
    accepted = 100.10; planned = 100.10 + 100.00 = 200.10 -> 10010 / 20010
    """
    return pd.DataFrame(
        {
            "ProcStatus": pd.Categorical(["C", "TP", "TP", "C", "D", "TPi", "C"]),
            "DateTP": _dates(
                ["2026-01-01", "2026-01-31", "2025-12-31", "2026-01-15", "2026-01-15", "2026-01-15", None]
            ),
            "ProcDate": _dates(["2026-02-01"] * 7),
            "ProcFee": pd.array([100, 50, 1000, 0.10, 500, 400, 70], dtype="Float64"),
            "UnitQty": pd.array([1, 2, 1, 1, 1, 1, 1], dtype="Int64"),
            "BaseUnits": pd.array([0] * 7, dtype="Int64"),
        }
    )


def test_case_acceptance() -> None:
    assert kpis.case_acceptance(treatment(), S, E) == 10010 / 20010
    assert kpis.case_acceptance(treatment(), "2027-01-01", "2027-01-31") is None


def test_accounts_receivable_and_aging() -> None:
    assert kpis.accounts_receivable(patients()) == 85.40
    aging = kpis.ar_aging(patients())
    assert list(aging["bucket"]) == ["Bal_0_30", "Bal_31_60", "Bal_61_90", "BalOver90"]
    assert list(aging["amount"]) == [40.20, 40.10, 0.10, 5.00]


# ------------------------------------------------------------------------------------- empty / bad input


def test_empty_frames_give_zero_or_none() -> None:
    empty = pd.DataFrame()  # what an endpoint answering [] may come back as: no columns at all
    assert kpis.gross_production(empty, S, E) == 0.0
    assert kpis.adjustments_total(empty, S, E) == 0.0
    assert kpis.writeoffs(empty, S, E) == 0.0
    assert kpis.writeoffs(empty, S, E, mode="procedure_date") == 0.0
    assert kpis.patient_income(empty, S, E) == 0.0
    assert kpis.insurance_income(empty, S, E) == 0.0
    assert kpis.net_production(empty, empty, empty, S, E) == 0.0
    assert kpis.collection_ratio(empty, empty, empty, empty, S, E) is None
    assert kpis.new_patients(empty, None, S, E) == 0
    assert kpis.active_patients(empty, empty, E) == 0
    assert kpis.appointments_completed(empty, S, E) == 0
    assert kpis.appointments_broken(empty, S, E) == 0
    assert kpis.broken_rate(empty, S, E) is None
    assert kpis.hygiene_visits(empty, S, E) == 0
    assert kpis.hygiene_reappointment_rate(empty, S, E) is None
    assert kpis.case_acceptance(empty, S, E) is None
    assert kpis.accounts_receivable(empty) == 0.0
    assert list(kpis.ar_aging(empty)["amount"]) == [0.0] * 4


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        ("2026-01-31", "2026-01-01", "start 2026-01-31 is after end 2026-01-01"),
        ("2026-13-01", "2026-12-31", "'2026-13-01' is not a date"),
        ("January", "2026-12-31", "'January' is not a date"),
        (20260101, "2026-12-31", "must be a date, datetime or 'yyyy-mm-dd' string, not int"),
        (None, "2026-12-31", "not NoneType"),
        ("2026-01-01", pd.NaT, "end is NaT"),
    ],
)
def test_bad_periods_are_refused(start: object, end: object, message: str) -> None:
    with pytest.raises(kpis.KPIInputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        kpis.gross_production(procedures(), start, end)


def test_period_accepts_dates_datetimes_and_timestamps() -> None:
    expected = (date(2026, 1, 1), date(2026, 1, 31))
    assert kpis.period(date(2026, 1, 1), datetime(2026, 1, 31, 18)) == expected
    assert kpis.period(pd.Timestamp("2026-01-01"), np.datetime64("2026-01-31")) == expected
    assert kpis.period("2026-01-01", "2026-01-01") == (date(2026, 1, 1), date(2026, 1, 1))


def test_missing_column_is_named() -> None:
    with pytest.raises(kpis.KPIInputError, match=r"column\(s\) UnitQty in procedures"):
        kpis.gross_production(procedures().drop(columns="UnitQty"), S, E)


# ---------------------------------------------------------------------------------------------- breakdowns


def test_production_by_month_clips_to_the_period() -> None:
    # Period 2025-12-15 .. 2026-01-31: December holds pat 3's 999.00 (12-31) and pat 7's D9987 of
    # 12-01 is before the 15th, so not counted; January holds 335.40.
    # Adjustments: Dec 5.00 (12-31); Jan 10.05. Write-offs (payment date): Dec 0; Jan 30.10.
    # Patient income: Dec 1000.00; Jan 50.30. Insurance: Dec 0; Jan 100.20.
    trend = kpis.production_by_month(procedures(), adjustments(), claimprocs(), "2025-12-15", E, paysplits())
    assert list(trend.columns) == ["month", *kpis.TREND_COLUMNS]
    assert list(trend["month"]) == [pd.Timestamp("2025-12-01"), pd.Timestamp("2026-01-01")]
    assert list(trend["gross_production"]) == [999.00, 335.40]
    assert list(trend["adjustments"]) == [5.00, 10.05]
    assert list(trend["writeoffs"]) == [0.0, 30.10]
    assert list(trend["net_production"]) == [1004.00, 315.35]
    assert list(trend["patient_income"]) == [1000.00, 50.30]
    assert list(trend["insurance_income"]) == [0.0, 100.20]
    assert list(trend["collections"]) == [1000.00, 150.50]
    # The months add up to the period's KPI.
    assert round(trend["gross_production"].sum(), 2) == kpis.gross_production(procedures(), "2025-12-15", E)


def test_production_by_month_without_adjustments_or_paysplits() -> None:
    trend = kpis.production_by_month(procedures(), None, claimprocs(), S, E)
    assert trend["adjustments"].isna().all() and trend["net_production"].isna().all()
    assert trend["patient_income"].isna().all() and trend["collections"].isna().all()
    assert list(trend["gross_production"]) == [335.40]


def test_production_by_provider() -> None:
    # January: prov 1 = 100.10 + 0.10 + 25.00 = 125.20; prov 2 = 0.20 + 150.00 = 150.20; prov 3 = 60.00
    # total 335.40; prov 3 is not in the providers table (Abbr <NA>).
    providers = pd.DataFrame({"ProvNum": pd.array([1, 2], dtype="Int64"), "Abbr": ["DOC1", "HYG1"]})
    table = kpis.production_by_provider(procedures(), providers, S, E)
    assert list(table.columns) == ["ProvNum", "Abbr", "gross_production", "share"]
    assert list(table["ProvNum"]) == [2, 1, 3]
    assert list(table["Abbr"].fillna("?")) == ["HYG1", "DOC1", "?"]
    assert list(table["gross_production"]) == [150.20, 125.20, 60.00]
    assert list(table["share"]) == [15020 / 33540, 12520 / 33540, 6000 / 33540]


# ---------------------------------------------------------------------------------------------- frames engine


def test_compute_from_frames_gives_every_kpi() -> None:
    frames = {
        "procedures": pd.concat([procedures(), treatment().assign(PatNum=99)], ignore_index=True),
        "procedurecodes": PROCEDURECODES,
        "claimprocs": claimprocs(),
        "paysplits": paysplits(),
        "adjustments": adjustments(),
        "appointments": appointments(),
        "patients": patients(),
    }
    values, reasons = kpis.compute_from_frames(frames, S, E)
    assert list(values) == list(kpis.V1_KEYS)
    # treatment() rows are all dated 2026-02-01 for ProcDate, so gross is unchanged; their pat 99 has
    # a first procedure in February (not new) and is no patient (not active).
    # procedures() adds DateTP-less rows (NaT) to case acceptance: unchanged.
    assert values == {
        "gross_production": 335.40,
        "adjustments": 10.05,
        "writeoffs": 30.10,
        "net_production": 315.35,
        "patient_income": 50.30,
        "insurance_income": 100.20,
        "collections": 150.50,
        "collection_ratio": 15050 / 31535,
        "new_patients": 3,
        "active_patients": 5,
        "appointments_completed": 6,
        "appointments_broken": 1,
        "broken_rate": 1 / 7,
        "hygiene_visits": 5,
        "hygiene_reappointment_rate": 0.4,
        "case_acceptance": 10010 / 20010,
        "accounts_receivable": 85.40,
    }
    assert reasons == {}
    json.dumps(values)  # plain Python numbers


def test_compute_from_frames_nulls_carry_reasons() -> None:
    frames = {
        "procedures": procedures(),
        "claimprocs": claimprocs(),
        "paysplits": "paysplits could not be fetched: boom",
        "adjustments": "adjustments need one request per patient",
        "appointments": appointments().iloc[0:0],
        "patients": patients(),
    }
    values, reasons = kpis.compute_from_frames(frames, S, E, ratio_denominator="gross")
    assert values["gross_production"] == 335.40
    assert (
        values["adjustments"] is None and reasons["adjustments"] == "adjustments need one request per patient"
    )
    assert (
        values["net_production"] is None
        and "needs adjustments, unavailable: adjustments need" in reasons["net_production"]
    )
    assert values["patient_income"] is None and "boom" in reasons["patient_income"]
    assert values["collections"] is None and "needs patient income, unavailable: " in reasons["collections"]
    assert values["collection_ratio"] is None and reasons["collection_ratio"] == reasons["collections"]
    assert values["broken_rate"] is None and "0 / 0" in reasons["broken_rate"]
    assert values["appointments_completed"] == 0 and "appointments_completed" not in reasons
    assert set(reasons) == {k for k, v in values.items() if v is None}


def test_catalogue_is_complete() -> None:
    assert len(kpis.V1_KEYS) == 17 and kpis.KPI_KEYS == kpis.V1_KEYS + kpis.V2_KEYS
    assert set(kpis.TIMING) == set(kpis.KPI_KEYS) and set(kpis.TIMING.values()) == {"period", "snapshot"}
    assert set(kpis.LABELS) == set(kpis.KPI_KEYS) == set(kpis.KINDS)
    assert set(kpis.BENCHMARKS) <= set(kpis.KPI_KEYS)
    assert kpis.BENCHMARKS["collection_ratio"].met(0.99) is True
    assert kpis.BENCHMARKS["broken_rate"].met(0.2) is False
    assert kpis.BENCHMARKS["broken_rate"].met(None) is None


def test_display() -> None:
    assert kpis.display("gross_production", 1234.5) == "$1,234.50"
    assert kpis.display("adjustments", -0.3) == "-$0.30"
    assert kpis.display("broken_rate", 1 / 7) == "14.3%"
    assert kpis.display("new_patients", 1234) == "1,234"
    assert kpis.display("collection_ratio", None) == "n/a"
