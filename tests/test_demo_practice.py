"""The synthetic practice: deterministic, plausible books and schedules, Open Dental's conventions, and a
demo cache that builds once and is written atomically with private permissions.

Figures are computed with SQL over the built file, following docs/kpis.md."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

import pytest
from conftest import TEST_SPEC_KW, TEST_TODAY

from odnb.api.enums import APT_STATUS, PAT_STATUS, PROC_STATUS
from odnb.demo import catalog
from odnb.demo.practice import PracticeSpec, build_practice, demo_database
from odnb.demo.schema import table_names

TODAY = TEST_TODAY.isoformat()
FEE = "ProcFee * (UnitQty + BaseUnits)"


@pytest.fixture(scope="module")
def con(demo_db: Path) -> Iterator[sqlite3.Connection]:
    connection = sqlite3.connect(f"file:{demo_db}?mode=ro", uri=True)
    yield connection
    connection.close()


def one(con: sqlite3.Connection, sql: str, *args: object) -> object:
    return con.execute(sql, args).fetchone()[0]


def dump(path: Path) -> list[str]:
    connection = sqlite3.connect(path)
    try:
        return list(connection.iterdump())
    finally:
        connection.close()


# -- determinism and size --------------------------------------------------------------------------


def test_same_spec_gives_identical_tables_and_another_seed_does_not(tmp_path: Path) -> None:
    spec = PracticeSpec(seed=3, patients=80, years=1, today=date(2026, 3, 2))
    first = dump(build_practice(tmp_path / "a.sqlite", spec))
    second = dump(build_practice(tmp_path / "b.sqlite", spec))
    other = dump(
        build_practice(
            tmp_path / "c.sqlite", PracticeSpec(seed=4, patients=80, years=1, today=date(2026, 3, 2))
        )
    )
    assert first == second
    assert first != other
    assert len(first) > 1000


def test_test_spec_has_its_patients_and_a_full_history(con: sqlite3.Connection) -> None:
    assert one(con, "SELECT COUNT(*) FROM patient") == TEST_SPEC_KW["patients"]
    assert one(con, "SELECT COUNT(*) FROM procedurelog") > 10 * TEST_SPEC_KW["patients"]
    first_visit = one(con, "SELECT MIN(AptDateTime) FROM appointment WHERE AptStatus = 2")
    assert first_visit[:7] == f"{TEST_TODAY.year - TEST_SPEC_KW['years']}-{TEST_TODAY.month:02d}"


@pytest.mark.slow
def test_default_spec_has_at_least_40000_procedures() -> None:
    from conftest import built_demo_practice  # build_practice(path, PracticeSpec()), shared by the run

    path = built_demo_practice()
    connection = sqlite3.connect(path)
    try:
        assert one(connection, "SELECT COUNT(*) FROM patient") == 1500
        assert one(connection, "SELECT COUNT(*) FROM procedurelog") >= 40_000
    finally:
        connection.close()


def test_every_table_has_rows_and_no_nulls(con: sqlite3.Connection) -> None:
    for table in table_names(con):
        assert one(con, f"SELECT COUNT(*) FROM {table}") > 0, table
        columns = [c[1] for c in con.execute(f"PRAGMA table_info({table})")]
        nulls = " + ".join(f"({c} IS NULL)" for c in columns)
        assert one(con, f"SELECT COALESCE(SUM({nulls}), 0) FROM {table}") == 0, table


# -- people, providers, rooms ----------------------------------------------------------------------


def test_some_birthdates_are_unknown(con: sqlite3.Connection) -> None:
    """The API documents Birthdate "0001-01-01" as none: the client must meet it, mostly on prospects."""
    unknown = one(con, "SELECT COUNT(*) FROM patient WHERE Birthdate = '0001-01-01'")
    total = one(con, "SELECT COUNT(*) FROM patient")
    assert 1 <= unknown <= total * 0.1


def test_providers_operatories_and_clinic(con: sqlite3.Connection) -> None:
    active = con.execute(
        "SELECT IsSecondary, COUNT(*) FROM provider WHERE IsHidden = 0 GROUP BY 1"
    ).fetchall()
    assert dict(active) == {0: 2, 1: 2}
    assert one(con, "SELECT COUNT(*) FROM operatory") == 5
    assert one(con, "SELECT SUM(IsHygiene) FROM operatory") == 2
    assert one(con, "SELECT COUNT(*) FROM clinic") == 1
    assert {r[0] for r in con.execute("SELECT DISTINCT ClinicNum FROM appointment")} == {1}


def test_patients_have_families_statuses_and_insurance(con: sqlite3.Connection) -> None:
    statuses = {r[0] for r in con.execute("SELECT DISTINCT PatStatus FROM patient")}
    wanted = {"Patient", "NonPatient", "Inactive", "Archived", "Deceased", "Prospective"}
    assert {PAT_STATUS[s] for s in wanted} <= statuses
    patients = one(con, "SELECT AVG(PatStatus = 0) FROM patient")
    assert patients > 0.8
    # Guarantor heads a family of 1-5, and is their own guarantor.
    sizes = [r[0] for r in con.execute("SELECT COUNT(*) FROM patient GROUP BY Guarantor")]
    assert min(sizes) >= 1 and max(sizes) <= 5 and max(sizes) > 1
    assert (
        one(
            con,
            "SELECT COUNT(*) FROM patient p JOIN patient g ON g.PatNum = p.Guarantor "
            "WHERE g.Guarantor <> g.PatNum",
        )
        == 0
    )
    insured = one(con, "SELECT AVG(HasIns = 'I') FROM patient")
    assert 0.5 <= insured <= 0.6
    assert (
        one(
            con,
            "SELECT COUNT(*) FROM patient WHERE HasIns = 'I' AND PatNum NOT IN (SELECT PatNum FROM patplan)",
        )
        == 0
    )


def test_date_first_visit_is_the_first_completed_procedure(con: sqlite3.Connection) -> None:
    mismatches = one(
        con,
        """
        SELECT COUNT(*) FROM patient p LEFT JOIN (
            SELECT pl.PatNum, MIN(pl.ProcDate) AS first
            FROM procedurelog pl JOIN procedurecode c USING (CodeNum)
            WHERE pl.ProcStatus = 2 AND c.ProcCode NOT IN ('D9986', 'D9987') GROUP BY pl.PatNum
        ) f USING (PatNum) WHERE p.DateFirstVisit <> COALESCE(f.first, '0001-01-01')""",
    )
    assert mismatches == 0
    new_by_month = con.execute(
        """
        SELECT substr(DateFirstVisit, 1, 7), COUNT(*) FROM patient
        WHERE DateFirstVisit BETWEEN ? AND ? GROUP BY 1""",
        ("2025-01-01", "2026-10-31"),
    ).fetchall()
    # New patients arrive all through the history, not in a burst at its start.
    assert len(new_by_month) >= 12
    assert max(n for _, n in new_by_month) <= 0.2 * sum(n for _, n in new_by_month)


# -- appointments ----------------------------------------------------------------------------------


def test_every_appointment_status_is_present(con: sqlite3.Connection) -> None:
    present = {r[0] for r in con.execute("SELECT DISTINCT AptStatus FROM appointment")}
    assert {v for k, v in APT_STATUS.items() if k != "None"} <= present


def test_broken_share_of_past_appointments_is_5_to_10_percent(con: sqlite3.Connection) -> None:
    broken, completed = con.execute(
        "SELECT SUM(AptStatus = 5), SUM(AptStatus = 2) FROM appointment WHERE AptDateTime < ?", (TODAY,)
    ).fetchone()
    assert 0.05 <= broken / (broken + completed) <= 0.10
    # Each broken appointment carries a zero-fee D9986 or D9987.
    missing = one(
        con,
        """
        SELECT COUNT(*) FROM appointment a WHERE a.AptStatus = 5 AND NOT EXISTS (
            SELECT 1 FROM procedurelog pl JOIN procedurecode c USING (CodeNum)
            WHERE pl.AptNum = a.AptNum AND c.ProcCode IN ('D9986', 'D9987') AND pl.ProcFee = 0)""",
    )
    assert missing == 0


def test_appointments_sit_in_office_hours_on_weekdays(con: sqlite3.Connection) -> None:
    rows = con.execute(
        "SELECT AptDateTime, Pattern, SecDateTEntry, AptStatus FROM appointment "
        "WHERE AptStatus IN (1, 2, 4, 5)"
    ).fetchall()
    for when, pattern, booked, _status in rows:
        start = datetime.fromisoformat(when)
        assert start.weekday() < 5, when
        assert 8 * 60 <= start.hour * 60 + start.minute <= 17 * 60 - 5 * len(pattern), when
        assert set(pattern) <= {"X", "/"}
        assert booked <= when  # booked before it happens
    latest_complete = one(con, "SELECT MAX(AptDateTime) FROM appointment WHERE AptStatus = 2")
    assert latest_complete < TODAY
    first_future = one(
        con, "SELECT MIN(AptDateTime) FROM appointment WHERE AptStatus = 1 AND AptDateTime >= ?", TODAY
    )
    assert first_future[:10] <= "2026-11-27"


def test_hygiene_reappointment_rate_is_plausible(con: sqlite3.Connection) -> None:
    rate = one(
        con,
        """
        SELECT AVG(EXISTS (
            SELECT 1 FROM appointment n WHERE n.PatNum = v.PatNum AND n.AptStatus IN (1, 2)
            AND n.AptDateTime > v.AptDateTime
            AND substr(n.SecDateTEntry, 1, 10) <= substr(v.AptDateTime, 1, 10)))
        FROM appointment v WHERE v.AptStatus = 2 AND v.IsHygiene = 1""",
    )
    assert 0.80 <= rate <= 0.92


# -- procedures ------------------------------------------------------------------------------------


def test_completed_procedures_are_past_priced_from_the_fee_schedule_and_attributed(
    con: sqlite3.Connection,
) -> None:
    assert one(con, "SELECT COUNT(*) FROM procedurelog WHERE ProcStatus = 2 AND ProcDate >= ?", TODAY) == 0
    fees = con.execute("""
        SELECT c.ProcCode, pl.ProcFee FROM procedurelog pl JOIN procedurecode c USING (CodeNum)
        WHERE pl.ProcStatus = 2 AND pl.ProcDate LIKE '2026-%' GROUP BY c.ProcCode""").fetchall()
    for code, fee in fees:
        assert fee == catalog.CODES[code].fee, code
    assert one(con, "SELECT COUNT(*) FROM procedurelog WHERE UnitQty > 1 AND ProcStatus = 2") > 0
    # Hygiene codes go to a hygienist, everything else on a visit to a dentist.
    wrong = one(
        con,
        """
        SELECT COUNT(*) FROM procedurelog pl JOIN procedurecode c USING (CodeNum)
        JOIN provider pr ON pr.ProvNum = pl.ProvNum
        JOIN appointment a ON a.AptNum = pl.AptNum AND a.AptStatus = 2
        WHERE pl.ProcStatus = 2 AND pr.IsSecondary <> c.IsHygiene""",
    )
    assert wrong == 0
    statuses = {r[0] for r in con.execute("SELECT DISTINCT ProcStatus FROM procedurelog")}
    assert set(PROC_STATUS.values()) <= statuses
    unattached = one(
        con,
        "SELECT COUNT(*) FROM procedurelog pl JOIN appointment a USING (AptNum) "
        "WHERE pl.ProcStatus = 2 AND a.AptStatus NOT IN (2, 3, 5)",
    )
    assert unattached == 0


def test_case_acceptance_is_50_to_70_percent(con: sqlite3.Connection) -> None:
    accepted, planned = con.execute(
        f"""
        SELECT SUM(CASE WHEN ProcStatus = 2 THEN {FEE} END), SUM({FEE}) FROM procedurelog
        WHERE DateTP BETWEEN ? AND ? AND ProcStatus IN (1, 2)""",
        ("2024-11-24", TODAY),
    ).fetchone()
    assert 0.5 <= accepted / planned <= 0.7
    tp_attached = one(con, "SELECT COUNT(*) FROM treatplanattach t JOIN procedurelog pl USING (ProcNum)")
    assert tp_attached == one(con, "SELECT COUNT(*) FROM treatplanattach")


# -- money -----------------------------------------------------------------------------------------


def test_collections_are_95_to_99_percent_of_net_production(con: sqlite3.Connection) -> None:
    gross = one(con, f"SELECT SUM({FEE}) FROM procedurelog WHERE ProcStatus = 2")
    adjustments = one(con, "SELECT SUM(AdjAmt) FROM adjustment")
    writeoffs, insurance = con.execute(
        "SELECT SUM(WriteOff), SUM(InsPayAmt) FROM claimproc WHERE Status IN (1, 4)"
    ).fetchone()
    patient = one(con, "SELECT SUM(SplitAmt) FROM paysplit")
    net = gross + adjustments - writeoffs
    assert 0.95 <= (patient + insurance) / net <= 0.99
    assert adjustments < 0 < writeoffs


def test_guarantor_balance_is_the_family_ledger(con: sqlite3.Connection) -> None:
    rows = con.execute(f"""
        WITH ledger AS (
            SELECT PatNum, SUM(amount) AS balance FROM (
                SELECT PatNum, {FEE} AS amount FROM procedurelog WHERE ProcStatus = 2
                UNION ALL SELECT PatNum, AdjAmt FROM adjustment
                UNION ALL SELECT PatNum, -(InsPayAmt + WriteOff) FROM claimproc WHERE Status IN (1, 4)
                UNION ALL SELECT PatNum, -SplitAmt FROM paysplit
            ) GROUP BY PatNum)
        SELECT g.PatNum, g.BalTotal, COALESCE(SUM(l.balance), 0), g.Bal_0_30 + g.Bal_31_60 + g.Bal_61_90
               + g.BalOver90
        FROM patient g JOIN patient m ON m.Guarantor = g.PatNum LEFT JOIN ledger l ON l.PatNum = m.PatNum
        WHERE g.Guarantor = g.PatNum GROUP BY g.PatNum""").fetchall()
    assert len(rows) > 50
    for pat, bal_total, ledger, aged in rows:
        assert bal_total == pytest.approx(ledger, abs=0.01), pat
        assert aged == pytest.approx(max(bal_total, 0.0), abs=0.02), pat
    receivable = one(con, "SELECT SUM(BalTotal) FROM patient WHERE Guarantor = PatNum")
    assert receivable > 0
    assert one(con, "SELECT COUNT(*) FROM patient WHERE Guarantor <> PatNum AND BalTotal <> 0") == 0


def test_claims_claimprocs_and_insurance_checks_agree(con: sqlite3.Connection) -> None:
    statuses = {r[0] for r in con.execute("SELECT DISTINCT Status FROM claimproc")}
    assert {0, 1, 4, 6} <= statuses
    assert {r[0] for r in con.execute("SELECT DISTINCT ClaimStatus FROM claim")} >= {"R", "S"}
    lag = con.execute(
        "SELECT MIN(julianday(DateCP) - julianday(ProcDate)), MAX(julianday(DateCP) - "
        "julianday(ProcDate)) FROM claimproc WHERE Status = 1"
    ).fetchone()
    assert lag[0] >= 7 and lag[1] <= 45
    assert one(con, "SELECT COUNT(*) FROM claimproc WHERE Status IN (1, 4) AND DateCP >= ?", TODAY) == 0
    off = one(
        con,
        """
        SELECT COUNT(*) FROM claimpayment cp WHERE ABS(cp.CheckAmt - (
            SELECT SUM(InsPayAmt) FROM claimproc c WHERE c.ClaimPaymentNum = cp.ClaimPaymentNum)) > 0.005""",
    )
    assert off == 0
    claim_off = one(
        con,
        """
        SELECT COUNT(*) FROM claim cl WHERE ABS(cl.InsPayAmt - (
            SELECT SUM(InsPayAmt) FROM claimproc c WHERE c.ClaimNum = cl.ClaimNum)) > 0.005""",
    )
    assert claim_off == 0
    # PPO write-offs: fee minus allowed, never more than the fee.
    assert one(con, "SELECT COUNT(*) FROM claimproc WHERE Status = 1 AND WriteOff > FeeBilled") == 0
    assert one(con, "SELECT COUNT(*) FROM claimproc WHERE Status = 1 AND WriteOff > 0") > 0


def test_payments_match_their_splits(con: sqlite3.Connection) -> None:
    off = one(
        con,
        """
        SELECT COUNT(*) FROM payment p WHERE ABS(p.PayAmt - (
            SELECT SUM(SplitAmt) FROM paysplit s WHERE s.PayNum = p.PayNum)) > 0.005""",
    )
    assert off == 0
    assert one(con, "SELECT MAX(PayDate) FROM payment") < TODAY
    assert one(con, "SELECT COUNT(*) FROM paysplit WHERE UnearnedType <> 0") > 0
    multi = one(con, "SELECT COUNT(*) FROM (SELECT PayNum FROM paysplit GROUP BY PayNum HAVING COUNT(*) > 1)")
    assert multi > 0
    pay_types = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT d.Category FROM payment p JOIN definition d ON d.DefNum = p.PayType"
        )
    }
    assert pay_types == {10}
    kinds = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT d.ItemName FROM adjustment a JOIN definition d ON d.DefNum = a.AdjType"
        )
    }
    assert {"Missed Appointment Fee", "Senior Discount"} <= kinds


def test_timestamps_never_pass_today(con: sqlite3.Connection) -> None:
    end_of_today = f"{TODAY} 23:59:59"
    for table, column in (
        ("procedurelog", "DateTStamp"),
        ("procedurelog", "SecDateEntry"),
        ("appointment", "DateTStamp"),
        ("appointment", "SecDateTEntry"),
        ("patient", "DateTStamp"),
        ("claim", "SecDateTEdit"),
        ("payment", "SecDateTEdit"),
        ("paysplit", "SecDateTEdit"),
        ("adjustment", "SecDateTEdit"),
        ("recall", "DateTStamp"),
    ):
        assert one(con, f"SELECT MAX({column}) FROM {table}") <= end_of_today, (table, column)
    edited_later = one(
        con,
        "SELECT COUNT(*) FROM procedurelog WHERE ProcStatus = 2 AND substr(DateTStamp, 1, 10) > DateEntryC",
    )
    assert edited_later > 0


# -- recalls and schedules -------------------------------------------------------------------------


def test_recalls_and_schedules(con: sqlite3.Connection) -> None:
    kinds = {
        r[0]
        for r in con.execute(
            "SELECT DISTINCT t.Description FROM recall r JOIN recalltype t USING (RecallTypeNum)"
        )
    }
    assert {"Prophy", "Perio", "Child Prophy"} <= kinds
    assert one(con, "SELECT COUNT(*) FROM recall WHERE DateScheduled > ?", TODAY) > 0
    days = con.execute(
        "SELECT COUNT(DISTINCT SchedDate), MIN(SchedDate), MAX(SchedDate) FROM schedule WHERE SchedType = 1"
    ).fetchone()
    assert days[0] > 400 and days[2] > "2027-03-01"
    bad_times = one(con, "SELECT COUNT(*) FROM schedule WHERE StartTime NOT GLOB '[0-2][0-9]:[0-5][0-9]:00'")
    assert bad_times == 0
    orphans = one(
        con,
        "SELECT COUNT(*) FROM scheduleop s LEFT JOIN operatory o ON o.OperatoryNum = "
        "s.OperatoryNum WHERE o.OperatoryNum IS NULL",
    )
    assert orphans == 0
    assert one(con, "SELECT COUNT(*) FROM schedule WHERE SchedType = 2") > 0
    assert one(con, "SELECT COUNT(*) FROM schedule WHERE SchedType = 0") > 0


# -- three clinics ---------------------------------------------------------------------------------


def test_three_clinics_spread_patients_rooms_and_visits(tmp_path: Path) -> None:
    spec = PracticeSpec(seed=5, patients=150, years=1, clinics=3, today=date(2026, 5, 4))
    connection = sqlite3.connect(build_practice(tmp_path / "three.sqlite", spec))
    try:
        assert one(connection, "SELECT COUNT(*) FROM clinic") == 3
        for table in ("patient", "operatory", "appointment", "procedurelog"):
            clinics = {r[0] for r in connection.execute(f"SELECT DISTINCT ClinicNum FROM {table}")}
            assert clinics == {1, 2, 3}, table
        mismatch = one(
            connection,
            "SELECT COUNT(*) FROM appointment a JOIN operatory o ON o.OperatoryNum = a.Op "
            "WHERE a.AptStatus IN (1, 2) AND o.ClinicNum <> a.ClinicNum",
        )
        assert mismatch == 0
    finally:
        connection.close()


# -- files and cache -------------------------------------------------------------------------------


def test_demo_database_builds_once_privately(isolated_home: Path) -> None:
    spec = PracticeSpec(seed=11, patients=40, years=1, today=date(2026, 2, 2))
    path = demo_database(spec)
    assert path.parent == isolated_home / "cache" / "demo"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    before = path.stat()
    again = demo_database(spec)
    assert again == path
    assert again.stat().st_ino == before.st_ino  # the same file, not a rebuilt replacement
    next_day = demo_database(PracticeSpec(seed=11, patients=40, years=1, today=date(2026, 2, 3)))
    assert next_day != path
    assert sorted(p.name for p in path.parent.iterdir() if not p.name.startswith("practice-")) == []


def test_build_is_atomic_and_private(tmp_path: Path) -> None:
    spec = PracticeSpec(seed=2, patients=20, years=1, today=date(2026, 1, 15))
    path = build_practice(tmp_path / "p.sqlite", spec)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert sorted(os.listdir(tmp_path)) == ["p.sqlite"]
    # A destination that cannot be replaced (a folder) fails without leaving a temporary file behind.
    (tmp_path / "taken").mkdir()
    with pytest.raises(OSError):
        build_practice(tmp_path / "taken", spec)
    assert sorted(os.listdir(tmp_path)) == ["p.sqlite", "taken"]
    assert os.listdir(tmp_path / "taken") == []


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"patients": 5}, "patients must be at least 10"),
        ({"years": 0}, "years must be between 1 and 20"),
        ({"years": 21}, "years must be between 1 and 20"),
        ({"clinics": 2}, "clinics must be 1 or 3"),
        ({"future_days": -1}, "future_days must be between 0 and 730"),
        ({"patients": "many"}, "patients must be a whole number"),
        ({"today": "2026-01-01"}, "today must be a datetime.date"),
    ],
)
def test_bad_spec_is_refused_with_a_clear_message(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        PracticeSpec(**kwargs)  # type: ignore[arg-type]


def test_build_into_a_missing_folder_says_so(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="does not exist"):
        build_practice(tmp_path / "nowhere" / "p.sqlite", PracticeSpec(patients=10, years=1))
