"""The Open Dental API simulator over real loopback sockets: paging, every list filter (checked against SQL
on the SQLite file), auth, throttling, faults, ShortQuery, wire quirks, the request log and the CLI."""

from __future__ import annotations

import itertools
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import requests

from odnb.api.enums import APT_STATUS, CLAIMPROC_STATUS, PAT_STATUS, POSITION, PROC_STATUS, SCHED_TYPE
from odnb.demo import DEMO_CUSTOMER_KEY, DEMO_DEVELOPER_KEY, DEMO_READONLY_CUSTOMER_KEY
from odnb.demo.routes import GENDER_API, HIST_APPT_ACTION, ROUTES, TP_STATUS
from odnb.demo.schema import create_schema
from odnb.demo.server import ApiKey, DemoServer, Faults, SimulatorConfig, default_keys, is_read_only
from odnb.testing import STAMP_ORIGIN, auth_headers, simulator, tiny_practice

ALL = auth_headers()
READONLY = auth_headers(readonly=True)
FIXED_NOW = datetime(2026, 11, 24, 10, 30, 0)


# --- helpers -------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_dbs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Hand-sized practices with exact row counts (built once for the module)."""
    root = tmp_path_factory.mktemp("tiny")
    return {
        "p100": tiny_practice(root / "p100.sqlite", procedures=100),
        "p250": tiny_practice(root / "p250.sqlite", procedures=250, appointments=5, adjustments=4),
        "p1000": tiny_practice(root / "p1000.sqlite", procedures=1000),
        "empty": tiny_practice(root / "empty.sqlite", patients=2),
    }


def get(
    server: DemoServer, path: str, headers: dict[str, str] | None = None, **params: object
) -> requests.Response:
    return requests.get(
        f"{server.base_url}/{path}", headers=ALL if headers is None else headers, params=params
    )


def short_query(
    server: DemoServer, sql: str, headers: dict[str, str] | None = None, **params: object
) -> requests.Response:
    return requests.put(
        f"{server.base_url}/queries/ShortQuery",
        headers=ALL if headers is None else headers,
        params=params,
        data=json.dumps({"SqlCommand": sql}),
    )


def pull_all(server: DemoServer, path: str, page: int, **params: object) -> list[dict]:
    """Every row of a list route, paging with Offset until a short page."""
    rows: list[dict] = []
    while True:
        response = get(server, path, Offset=len(rows), **params)
        assert response.status_code == 200, response.text
        batch = response.json()
        rows.extend(batch)
        if len(batch) < page:
            return rows


def sql_values(db: Path, sql: str, args: object = ()) -> list:
    con = sqlite3.connect(db)
    try:
        return [row[0] for row in con.execute(sql, args)]
    finally:
        con.close()


# --- paging ----------------------------------------------------------------------------------------------


def test_exactly_one_remote_page_then_empty(make_simulator: Callable, tiny_dbs: dict[str, Path]) -> None:
    server = make_simulator(
        tiny_dbs["p100"], mode="remote", throttle_intervals={"paid": 0.0, "read_all": 0.0}
    )
    first = get(server, "procedurelogs").json()
    assert [r["ProcNum"] for r in first] == list(range(1, 101))
    assert get(server, "procedurelogs", Offset=100).json() == []


def test_exactly_one_service_page_then_empty(make_simulator: Callable, tiny_dbs: dict[str, Path]) -> None:
    server = make_simulator(tiny_dbs["p1000"], mode="service")
    assert len(get(server, "procedurelogs").json()) == 1000
    assert get(server, "procedurelogs", Offset=1000).text == "[]"


def test_last_page_is_short_and_limit_is_capped(make_simulator: Callable, tiny_dbs: dict[str, Path]) -> None:
    server = make_simulator(
        tiny_dbs["p250"], mode="remote", throttle_intervals={"paid": 0.0, "read_all": 0.0}
    )
    sizes = [len(get(server, "procedurelogs", Offset=o).json()) for o in (0, 100, 200, 300)]
    assert sizes == [100, 100, 50, 0]
    assert len(get(server, "procedurelogs", Limit=5000).json()) == 100  # capped at the mode's maximum
    assert [r["ProcNum"] for r in get(server, "procedurelogs", Limit=7, Offset=3).json()] == list(
        range(4, 11)
    )
    assert get(server, "procedurelogs", Offset=10_000).json() == []
    # Negative Offset reads from the start (like .NET Skip), Limit 0 means the default page.
    assert get(server, "procedurelogs", Offset=-5).json()[0]["ProcNum"] == 1
    assert len(get(server, "procedurelogs", Limit=0).json()) == 100


def test_local_mode_pages_by_1000_and_enterprise_by_10000(
    make_simulator: Callable, tiny_dbs: dict[str, Path]
) -> None:
    server = make_simulator(tiny_dbs["p1000"], mode="local")
    assert len(get(server, "procedurelogs", Limit=5000).json()) == 1000
    keys = [ApiKey(DEMO_DEVELOPER_KEY, DEMO_CUSTOMER_KEY, frozenset({"ReadAll"}), "enterprise")]
    remote = make_simulator(tiny_dbs["p250"], mode="remote", keys=keys)
    assert len(get(remote, "procedurelogs", Limit=5000).json()) == 250  # Enterprise: 1000 per page remote


def test_empty_results_are_bare_empty_arrays(make_simulator: Callable, tiny_dbs: dict[str, Path]) -> None:
    server = make_simulator(tiny_dbs["empty"])
    for path in ("procedurelogs", "claims", "payments", "clinics", "carriers"):
        response = get(server, path)
        assert response.status_code == 200
        assert response.text == "[]"
    assert get(server, "adjustments", PatNum=1).text == "[]"


# --- every filter, checked against SQL -------------------------------------------------------------------

# Route -> (FROM clause, base WHERE, the key column selected, the key field in the response, ORDER BY).
ROUTE_SQL: dict[str, tuple[str, str, str, str, str]] = {
    "patients/Simple": ("patient t", "1", "t.PatNum", "PatNum", "t.PatNum"),
    "patients": ("patient t", "t.PatStatus <> 4", "t.PatNum", "PatNum", "t.PatNum"),
    "appointments": ("appointment t", "1", "t.AptNum", "AptNum", "t.AptNum"),
    "procedurelogs": ("procedurelog t", "1", "t.ProcNum", "ProcNum", "t.ProcNum"),
    "claimprocs": ("claimproc t", "1", "t.ClaimProcNum", "ClaimProcNum", "t.ClaimProcNum"),
    "claims": ("claim t", "1", "t.ClaimNum", "ClaimNum", "t.ClaimNum"),
    "payments": ("payment t", "1", "t.PayNum", "PayNum", "t.PayNum"),
    "paysplits": ("paysplit t", "1", "t.SplitNum", "SplitNum", "t.SplitNum"),
    "adjustments": ("adjustment t", "1", "t.AdjNum", "AdjNum", "t.AdjNum"),
    "providers": ("provider t", "1", "t.ProvNum", "ProvNum", "t.ProvNum"),
    "operatories": ("operatory t", "1", "t.OperatoryNum", "OperatoryNum", "t.OperatoryNum"),
    "procedurecodes": ("procedurecode t", "1", "t.CodeNum", "CodeNum", "t.CodeNum"),
    "recalls": ("recall t", "1", "t.RecallNum", "RecallNum", "t.RecallNum"),
    "recalls/List": (
        "recall t JOIN patient p ON p.PatNum = t.PatNum",
        "t.IsDisabled = 0 AND t.DateDue <> '0001-01-01' AND t.DateScheduled = '0001-01-01'",
        "t.PatNum",
        "PatNum",
        "t.DateDue, t.RecallNum",
    ),
    "schedules": (
        "schedule t",
        "1",
        "t.ScheduleNum",
        "ScheduleNum",
        "t.StartTime, t.ScheduleNum",  # the docs: "Results are sorted by StartTime"
    ),
    "definitions": ("definition t", "1", "t.DefNum", "DefNum", "t.DefNum"),
    "insplans": ("insplan t", "1", "t.PlanNum", "PlanNum", "t.PlanNum"),
    "patplans": ("patplan t", "1", "t.PatPlanNum", "PatPlanNum", "t.PatPlanNum"),
    "inssubs": ("inssub t", "1", "t.InsSubNum", "InsSubNum", "t.InsSubNum"),
    "claimpayments": ("claimpayment t", "1", "t.ClaimPaymentNum", "ClaimPaymentNum", "t.ClaimPaymentNum"),
    "commlogs": ("commlog t", "1", "t.CommlogNum", "CommlogNum", "t.CommlogNum"),
    "treatplans": ("treatplan t", "1", "t.TreatPlanNum", "TreatPlanNum", "t.TreatPlanNum"),
    "proctps": ("proctp t", "1", "t.ProcTPNum", "ProcTPNum", "t.ItemOrder, t.ProcTPNum"),
    "payplans": ("payplan t", "1", "t.PayPlanNum", "PayPlanNum", "t.PayPlanNum"),
    "payplancharges": (
        "payplancharge t", "1", "t.PayPlanChargeNum", "PayPlanChargeNum", "t.PayPlanChargeNum"
    ),
    "refattaches": ("refattach t", "1", "t.RefAttachNum", "RefAttachNum", "t.RefAttachNum"),
    "referrals": ("referral t", "1", "t.ReferralNum", "ReferralNum", "t.ReferralNum"),
    "histappointments": ("histappointment t", "1", "t.HistApptNum", "HistApptNum", "t.HistApptNum"),
    "preferences": ("preference t", "1", "t.PrefNum", "PrefNum", "t.PrefNum"),
}

# Stored enum ints -> the text the API takes, by parameter name.
ENUM_PARAMS: dict[str, dict[str, int]] = {
    "PatStatus": PAT_STATUS,
    "Gender": GENDER_API,
    "Position": POSITION,
    "AptStatus": APT_STATUS,
    "ProcStatus": PROC_STATUS,
    "Status": CLAIMPROC_STATUS,
    "SchedType": SCHED_TYPE,
    "TPStatus": TP_STATUS,
    "HistApptAction": HIST_APPT_ACTION,
}


def mid(table: str) -> str:
    """SQL picking the middle row of ``table``."""
    return f"LIMIT 1 OFFSET (SELECT COUNT(*) / 2 FROM {table})"


# (route, SQL choosing the parameter values (column name = parameter), expected WHERE with :named values).
FILTER_CASES: list[tuple[str, str, str]] = [
    ("patients/Simple", "SELECT substr(lower(LName), 2, 3) AS LName FROM patient " + mid("patient"),
     "instr(lower(t.LName), :LName) > 0"),
    ("patients/Simple", "SELECT substr(upper(FName), 1, 2) AS FName FROM patient " + mid("patient"),
     "instr(lower(t.FName), lower(:FName)) > 0"),
    ("patients/Simple", "SELECT Birthdate FROM patient WHERE Birthdate > '1900' " + mid("patient"),
     "t.Birthdate = :Birthdate"),
    ("patients/Simple", "SELECT MAX(ClinicNum) AS ClinicNum FROM patient", "t.ClinicNum = :ClinicNum"),
    ("patients/Simple", "SELECT PatStatus FROM patient GROUP BY PatStatus ORDER BY COUNT(*) LIMIT 1",
     "t.PatStatus = :PatStatus"),
    ("patients/Simple", "SELECT DateTStamp FROM patient ORDER BY DateTStamp " + mid("patient"),
     "t.DateTStamp >= :DateTStamp"),
    ("patients/Simple", "SELECT PriProv FROM patient ORDER BY PatNum DESC LIMIT 1", "t.PriProv = :PriProv"),
    ("patients/Simple", "SELECT Gender FROM patient GROUP BY Gender ORDER BY COUNT(*) LIMIT 1",
     "t.Gender = :Gender"),
    ("patients/Simple", "SELECT Position FROM patient GROUP BY Position ORDER BY COUNT(*) LIMIT 1",
     "t.Position = :Position"),
    ("patients/Simple", "SELECT Guarantor FROM patient GROUP BY Guarantor ORDER BY COUNT(*) DESC LIMIT 1",
     "t.Guarantor = :Guarantor"),
    ("patients/Simple", "SELECT MAX(FeeSched) AS FeeSched FROM patient", "t.FeeSched = :FeeSched"),
    ("patients", "SELECT substr(LName, 1, 3) AS LName FROM patient " + mid("patient"),
     "t.PatStatus <> 3 AND instr(lower(t.LName), lower(:LName)) > 0"),
    ("patients", "SELECT substr(FName, 2, 2) AS FName FROM patient " + mid("patient"),
     "t.PatStatus <> 3 AND instr(lower(t.FName), lower(:FName)) > 0"),
    ("patients", "SELECT substr(HmPhone, -3) AS Phone FROM patient WHERE HmPhone <> '' LIMIT 1",
     "t.PatStatus <> 3 AND (instr(t.HmPhone, :Phone) OR instr(IFNULL(t.WirelessPhone, ''), :Phone))"),
    ("patients", "SELECT substr(Address, 1, 4) AS Address FROM patient WHERE Address <> '' LIMIT 1",
     "t.PatStatus <> 3 AND instr(lower(t.Address), lower(:Address)) > 0"),
    ("patients", "SELECT City FROM patient WHERE City <> '' LIMIT 1",
     "t.PatStatus <> 3 AND instr(lower(t.City), lower(:City)) > 0"),
    ("patients", "SELECT State FROM patient WHERE State <> '' LIMIT 1",
     "t.PatStatus <> 3 AND instr(lower(t.State), lower(:State)) > 0"),
    ("patients", "SELECT Email FROM patient WHERE Email <> '' " + mid("patient"),
     "t.PatStatus <> 3 AND instr(lower(t.Email), lower(:Email)) > 0"),
    ("patients", "SELECT Birthdate FROM patient WHERE Birthdate > '1900' LIMIT 1",
     "t.PatStatus <> 3 AND t.Birthdate = :Birthdate"),
    ("patients", "SELECT 'true' AS hideInactive", "t.PatStatus NOT IN (2, 3)"),
    ("patients", "SELECT 'true' AS guarOnly", "t.PatStatus <> 3 AND t.PatNum = t.Guarantor"),
    ("patients", "SELECT 'true' AS showArchived", "1"),
    ("patients", "SELECT group_concat(ClinicNum) AS clinicNums FROM (SELECT DISTINCT ClinicNum FROM patient "
     "ORDER BY ClinicNum LIMIT 1)", "t.PatStatus <> 3 AND t.ClinicNum = CAST(:clinicNums AS INTEGER)"),
    ("appointments", "SELECT PatNum FROM appointment " + mid("appointment"), "t.PatNum = :PatNum"),
    ("appointments", "SELECT AptStatus FROM appointment GROUP BY AptStatus ORDER BY COUNT(*) LIMIT 1",
     "t.AptStatus = :AptStatus"),
    ("appointments", "SELECT Op FROM appointment " + mid("appointment"), "t.Op = :Op"),
    ("appointments", "SELECT date(AptDateTime) AS date FROM appointment " + mid("appointment"),
     "date(t.AptDateTime) = :date"),
    ("appointments", "SELECT date(AptDateTime) AS dateStart FROM appointment ORDER BY AptDateTime "
     + mid("appointment"), "date(t.AptDateTime) >= :dateStart"),
    ("appointments", "SELECT date(AptDateTime) AS dateEnd FROM appointment ORDER BY AptDateTime "
     + mid("appointment"), "date(t.AptDateTime) <= :dateEnd"),
    ("appointments", "SELECT MIN(date(AptDateTime)) AS dateStart, "
     "MIN(date(AptDateTime, '+30 days')) AS dateEnd FROM appointment",
     "date(t.AptDateTime) BETWEEN :dateStart AND :dateEnd"),
    ("appointments", "SELECT MAX(ClinicNum) AS ClinicNum FROM appointment", "t.ClinicNum = :ClinicNum"),
    ("appointments", "SELECT DateTStamp FROM appointment ORDER BY DateTStamp " + mid("appointment"),
     "t.DateTStamp >= :DateTStamp"),
    ("procedurelogs", "SELECT PatNum FROM procedurelog " + mid("procedurelog"), "t.PatNum = :PatNum"),
    ("procedurelogs", "SELECT AptNum FROM procedurelog WHERE AptNum > 0 " + mid("procedurelog"),
     "t.AptNum = :AptNum"),
    ("procedurelogs", "SELECT ProcStatus FROM procedurelog GROUP BY ProcStatus ORDER BY COUNT(*) LIMIT 1",
     "t.ProcStatus = :ProcStatus"),
    ("procedurelogs", "SELECT MAX(PlannedAptNum) AS PlannedAptNum FROM procedurelog",
     "t.PlannedAptNum = :PlannedAptNum"),
    ("procedurelogs", "SELECT MAX(ClinicNum) AS ClinicNum FROM procedurelog", "t.ClinicNum = :ClinicNum"),
    ("procedurelogs", "SELECT CodeNum FROM procedurelog " + mid("procedurelog"), "t.CodeNum = :CodeNum"),
    ("procedurelogs", "SELECT DateTStamp FROM procedurelog ORDER BY DateTStamp DESC LIMIT 1 OFFSET 250",
     "t.DateTStamp >= :DateTStamp"),
    ("claimprocs", "SELECT ProcNum FROM claimproc " + mid("claimproc"), "t.ProcNum = :ProcNum"),
    ("claimprocs", "SELECT ClaimNum FROM claimproc " + mid("claimproc"), "t.ClaimNum = :ClaimNum"),
    ("claimprocs", "SELECT PatNum FROM claimproc " + mid("claimproc"), "t.PatNum = :PatNum"),
    ("claimprocs", "SELECT Status FROM claimproc GROUP BY Status ORDER BY COUNT(*) LIMIT 1",
     "t.Status = :Status"),
    ("claimprocs", "SELECT MAX(ClaimPaymentNum) AS ClaimPaymentNum FROM claimproc",
     "t.ClaimPaymentNum = :ClaimPaymentNum"),
    ("claims", "SELECT PatNum FROM claim " + mid("claim"), "t.PatNum = :PatNum"),
    ("claims", "SELECT ClaimStatus FROM claim GROUP BY ClaimStatus ORDER BY COUNT(*) LIMIT 1",
     "t.ClaimStatus = :ClaimStatus"),
    ("claims", "SELECT SecDateTEdit FROM claim ORDER BY SecDateTEdit " + mid("claim"),
     "t.SecDateTEdit >= :SecDateTEdit"),
    ("payments", "SELECT PayType FROM payment GROUP BY PayType ORDER BY COUNT(*) LIMIT 1",
     "t.PayType = :PayType"),
    ("payments", "SELECT PatNum FROM payment " + mid("payment"), "t.PatNum = :PatNum"),
    ("payments", "SELECT DateEntry FROM payment ORDER BY DateEntry " + mid("payment"),
     "t.DateEntry >= :DateEntry"),
    ("paysplits", "SELECT PatNum FROM paysplit " + mid("paysplit"), "t.PatNum = :PatNum"),
    ("paysplits", "SELECT PayNum FROM paysplit " + mid("paysplit"), "t.PayNum = :PayNum"),
    ("paysplits", "SELECT ProcNum FROM paysplit WHERE ProcNum > 0 " + mid("paysplit"),
     "t.ProcNum = :ProcNum"),
    ("adjustments", "SELECT PatNum FROM adjustment GROUP BY PatNum ORDER BY COUNT(*) DESC LIMIT 1",
     "t.PatNum = :PatNum"),
    ("adjustments", "SELECT PatNum, AdjType FROM adjustment GROUP BY PatNum, AdjType ORDER BY COUNT(*) DESC "
     "LIMIT 1", "t.PatNum = :PatNum AND t.AdjType = :AdjType"),
    ("adjustments", "SELECT PatNum, ProcNum FROM adjustment WHERE ProcNum > 0 LIMIT 1",
     "t.PatNum = :PatNum AND t.ProcNum = :ProcNum"),
    ("providers", "SELECT DateTStamp FROM provider ORDER BY DateTStamp " + mid("provider"),
     "t.DateTStamp >= :DateTStamp"),
    ("operatories", "SELECT MAX(ClinicNum) AS ClinicNum FROM operatory", "t.ClinicNum = :ClinicNum"),
    ("procedurecodes", "SELECT DateTStamp FROM procedurecode ORDER BY DateTStamp " + mid("procedurecode"),
     "t.DateTStamp >= :DateTStamp"),
    ("recalls", "SELECT PatNum FROM recall " + mid("recall"), "t.PatNum = :PatNum"),
    # recalls/List: explicit wide dates and IncludeReminded=true, except where a case tests them.
    ("recalls/List", "SELECT DateDue AS DateStart, '2100-01-01' AS DateEnd, 'true' AS IncludeReminded "
     "FROM recall WHERE DateDue > '1900' ORDER BY DateDue " + mid("recall"), "t.DateDue >= :DateStart"),
    ("recalls/List", "SELECT '1900-01-01' AS DateStart, DateDue AS DateEnd, 'true' AS IncludeReminded "
     "FROM recall WHERE DateDue > '1900' ORDER BY DateDue " + mid("recall"), "t.DateDue <= :DateEnd"),
    ("recalls/List", "SELECT '1900-01-01' AS DateStart, '2100-01-01' AS DateEnd, 'true' AS IncludeReminded, "
     "MAX(PriProv) AS ProvNum FROM patient", "(p.PriProv = :ProvNum OR p.SecProv = :ProvNum)"),
    ("recalls/List", "SELECT '1900-01-01' AS DateStart, '2100-01-01' AS DateEnd, 'true' AS IncludeReminded, "
     "MAX(ClinicNum) AS ClinicNum FROM patient", "p.ClinicNum = :ClinicNum"),
    ("recalls/List", "SELECT '1900-01-01' AS DateStart, '2100-01-01' AS DateEnd, 'true' AS IncludeReminded, "
     "substr(Description, 1, 4) AS RecallType FROM recalltype LIMIT 1",
     "instr(lower((SELECT Description FROM recalltype r WHERE r.RecallTypeNum = t.RecallTypeNum)), "
     "lower(:RecallType)) > 0"),
    ("recalls/List", "SELECT '1900-01-01' AS DateStart, '2100-01-01' AS DateEnd, 'false' AS IncludeReminded",
     "t.RecallStatus = 0"),
    ("schedules", "SELECT SchedDate AS date FROM schedule " + mid("schedule"), "t.SchedDate = :date"),
    ("schedules", "SELECT SchedDate AS dateStart FROM schedule ORDER BY SchedDate " + mid("schedule"),
     "t.SchedDate >= :dateStart"),
    ("schedules", "SELECT SchedDate AS dateEnd FROM schedule ORDER BY SchedDate " + mid("schedule"),
     "t.SchedDate <= :dateEnd"),
    ("schedules", "SELECT MIN(SchedDate) AS dateStart, MAX(SchedDate) AS dateEnd, SchedType FROM schedule "
     "GROUP BY SchedType ORDER BY COUNT(*) LIMIT 1", "t.SchedType = :SchedType"),
    ("schedules", "SELECT MIN(SchedDate) AS dateStart, MAX(SchedDate) AS dateEnd, MAX(BlockoutType) AS "
     "BlockoutDefNum FROM schedule", "t.BlockoutType = :BlockoutDefNum"),
    ("schedules", "SELECT MIN(SchedDate) AS dateStart, MAX(SchedDate) AS dateEnd, MAX(ProvNum) AS ProvNum "
     "FROM schedule", "t.ProvNum = :ProvNum"),
    ("schedules", "SELECT MIN(SchedDate) AS dateStart, MAX(SchedDate) AS dateEnd, MAX(EmployeeNum) AS "
     "EmployeeNum FROM schedule", "t.EmployeeNum = :EmployeeNum"),
    ("definitions", "SELECT Category FROM definition GROUP BY Category ORDER BY COUNT(*) DESC LIMIT 1",
     "t.Category = :Category AND t.IsHidden = 0"),
    ("definitions", "SELECT 'true' AS includeHidden", "1"),
    ("definitions", "SELECT 'false' AS includeHidden", "t.IsHidden = 0"),
    ("insplans", "SELECT CASE PlanType WHEN '' THEN 'percentage' ELSE PlanType END AS PlanType FROM insplan "
     "GROUP BY PlanType ORDER BY COUNT(*) LIMIT 1",
     "t.PlanType = CASE :PlanType WHEN 'percentage' THEN '' ELSE :PlanType END"),
    ("insplans", "SELECT CarrierNum FROM insplan " + mid("insplan"), "t.CarrierNum = :CarrierNum"),
    ("patplans", "SELECT PatNum FROM patplan " + mid("patplan"), "t.PatNum = :PatNum"),
    ("patplans", "SELECT InsSubNum FROM patplan " + mid("patplan"), "t.InsSubNum = :InsSubNum"),
    ("inssubs", "SELECT PlanNum FROM inssub " + mid("inssub"), "t.PlanNum = :PlanNum"),
    ("inssubs", "SELECT Subscriber FROM inssub " + mid("inssub"), "t.Subscriber = :Subscriber"),
    ("inssubs", "SELECT SecDateTEdit FROM inssub ORDER BY SecDateTEdit " + mid("inssub"),
     "t.SecDateTEdit >= :SecDateTEdit"),
    ("claimpayments", "SELECT SecDateTEdit FROM claimpayment ORDER BY SecDateTEdit " + mid("claimpayment"),
     "t.SecDateTEdit >= :SecDateTEdit"),
    ("commlogs", "SELECT PatNum FROM commlog " + mid("commlog"), "t.PatNum = :PatNum"),
    ("commlogs", "SELECT DateTStamp FROM commlog ORDER BY DateTStamp " + mid("commlog"),
     "t.DateTStamp >= :DateTStamp"),
    ("treatplans", "SELECT PatNum FROM treatplan " + mid("treatplan"), "t.PatNum = :PatNum"),
    ("treatplans", "SELECT SecDateTEdit FROM treatplan ORDER BY SecDateTEdit " + mid("treatplan"),
     "t.SecDateTEdit >= :SecDateTEdit"),
    ("treatplans", "SELECT TPStatus FROM treatplan " + mid("treatplan"), "t.TPStatus = :TPStatus"),
    ("proctps", "SELECT TreatPlanNum FROM proctp " + mid("proctp"), "t.TreatPlanNum = :TreatPlanNum"),
    ("payplans", "SELECT PatNum FROM payplan " + mid("payplan"), "t.PatNum = :PatNum"),
    ("payplans", "SELECT Guarantor FROM payplan " + mid("payplan"), "t.Guarantor = :Guarantor"),
    ("payplancharges", "SELECT PayPlanNum FROM payplancharge " + mid("payplancharge"),
     "t.PayPlanNum = :PayPlanNum"),
    ("refattaches", "SELECT ReferralNum FROM refattach " + mid("refattach"), "t.ReferralNum = :ReferralNum"),
    ("refattaches", "SELECT PatNum FROM refattach " + mid("refattach"), "t.PatNum = :PatNum"),
    ("refattaches", "SELECT DateTStamp FROM refattach ORDER BY DateTStamp " + mid("refattach"),
     "t.DateTStamp >= :DateTStamp"),
    ("referrals", "SELECT 'false' AS IsHidden", "t.IsHidden = 0"),
    ("referrals", "SELECT 'true' AS NotPerson", "t.NotPerson = 1"),
    ("referrals", "SELECT 'true' AS IsDoctor", "t.IsDoctor = 1"),
    ("referrals", "SELECT 'true' AS IsPreferred", "t.IsPreferred = 1"),
    ("referrals", "SELECT 'false' AS isPatient", "t.PatNum = 0"),
    ("referrals", "SELECT 'oogle' AS BusinessName", "t.BusinessName LIKE '%oogle%'"),
    ("histappointments", "SELECT HistApptAction FROM histappointment ORDER BY HistApptNum DESC LIMIT 1",
     "t.HistApptAction = :HistApptAction"),
    ("histappointments", "SELECT AptNum FROM histappointment WHERE HistApptAction = 1 LIMIT 1",
     "t.AptNum = :AptNum"),
    ("histappointments", "SELECT PatNum FROM histappointment " + mid("appointment"), "t.PatNum = :PatNum"),
    ("histappointments", "SELECT HistAptStatus AS AptStatus FROM histappointment WHERE HistAptStatus = 5 "
     "LIMIT 1", "t.HistAptStatus = :AptStatus"),
    ("histappointments", "SELECT MAX(ClinicNum) AS ClinicNum FROM appointment", "t.ClinicNum = :ClinicNum"),
    ("histappointments", "SELECT substr(HistDateTStamp, 1, 10) AS date FROM histappointment "
     + mid("appointment"), "substr(t.HistDateTStamp, 1, 10) = :date"),
    ("histappointments", "SELECT substr(HistDateTStamp, 1, 10) AS dateStart FROM histappointment ORDER BY "
     "HistDateTStamp " + mid("appointment"), "substr(t.HistDateTStamp, 1, 10) >= :dateStart"),
    ("histappointments", "SELECT substr(HistDateTStamp, 1, 10) AS dateEnd FROM histappointment ORDER BY "
     "HistDateTStamp " + mid("appointment"), "substr(t.HistDateTStamp, 1, 10) <= :dateEnd"),
    ("preferences", "SELECT lower(PrefName) AS PrefName FROM preference " + mid("preference"),
     "lower(t.PrefName) = :PrefName"),
]  # fmt: skip


def _param_names(pick: str) -> list[str]:
    """The parameters a case sets: the column names of its SQL (read from an empty schema)."""
    con = sqlite3.connect(":memory:")
    try:
        create_schema(con)
        return [d[0] for d in con.execute(pick).description]
    finally:
        con.close()


def _case_id(case: tuple[str, str, str]) -> str:
    return f"{case[0]}:{','.join(_param_names(case[1]))}"


@pytest.mark.parametrize("case", FILTER_CASES, ids=[_case_id(c) for c in FILTER_CASES])
def test_filter_matches_sql(case: tuple[str, str, str], make_simulator: Callable, demo_db: Path) -> None:
    route, pick, where = case
    con = sqlite3.connect(demo_db)
    con.row_factory = sqlite3.Row
    try:
        row = con.execute(pick).fetchone()
        assert row is not None and None not in tuple(row), f"the test practice has no data for {pick}"
        values = dict(row)
        source, base, key_sql, key_field, order = ROUTE_SQL[route]
        expected = [
            r[0]
            for r in con.execute(
                f"SELECT {key_sql} FROM {source} WHERE ({base}) AND ({where}) ORDER BY {order}", values
            )
        ]
    finally:
        con.close()
    params = {
        name: next(t for t, n in ENUM_PARAMS[name].items() if n == value) if name in ENUM_PARAMS else value
        for name, value in values.items()
    }
    server = make_simulator(now=lambda: FIXED_NOW)
    rows = pull_all(server, route, 1000, **params)
    assert expected, f"filter {params} selects nothing in the test practice: a vacuous case"
    assert [int(r[key_field]) for r in rows] == expected


def test_every_documented_filter_has_a_case() -> None:
    covered = {(route, name) for route, pick, _ in FILTER_CASES for name in _param_names(pick)}
    documented = {(path, f.name) for path, route in ROUTES.items() for f in route.filters}
    # Not covered by an SQL case (each has its own test below): providers?ClinicNum, and filters on columns
    # the demo schema does not have (AppointmentTypeNum, SuperFamily, EmployerNum).
    special = {
        ("providers", "ClinicNum"),
        ("appointments", "AppointmentTypeNum"),
        ("patients/Simple", "SuperFamily"),
        ("patients/Simple", "EmployerNum"),
        ("securitylogs", "PermType"),  # one permission type in the API's entries (test_demo_reports.py)
    }
    assert documented - covered == special


def test_recall_list_defaults_to_the_recall_window_and_unreminded(
    make_simulator: Callable, demo_db: Path
) -> None:
    """No dates: due RecallDaysPast days back to RecallDaysFuture ahead (the office's preferences, 365 and
    7 as in the docs' example); reminded ones left out."""
    con = sqlite3.connect(demo_db)
    expected = [r[0] for r in con.execute(
        "SELECT t.RecallNum FROM recall t JOIN patient p ON p.PatNum = t.PatNum WHERE t.IsDisabled = 0 "
        "AND t.DateDue <> '0001-01-01' AND t.DateScheduled = '0001-01-01' AND t.RecallStatus = 0 "
        "AND t.DateDue BETWEEN date(?, '-' || (SELECT ValueString FROM preference WHERE PrefName = "
        "'RecallDaysPast') || ' days') AND date(?, '+' || (SELECT ValueString FROM preference WHERE "
        "PrefName = 'RecallDaysFuture') || ' days') ORDER BY t.DateDue, t.RecallNum",
        (FIXED_NOW.date().isoformat(), FIXED_NOW.date().isoformat()))]  # fmt: skip
    everything = con.execute("SELECT COUNT(*) FROM recall WHERE IsDisabled = 0 AND DateDue <> '0001-01-01' "
                             "AND DateScheduled = '0001-01-01'").fetchone()[0]  # fmt: skip
    reminded = con.execute("SELECT COUNT(*) FROM recall WHERE RecallStatus <> 0").fetchone()[0]
    con.close()
    server = make_simulator(now=lambda: FIXED_NOW)
    rows = pull_all(server, "recalls/List", 1000)
    assert [r["PatNum"] for r in rows] == _recall_pats(demo_db, expected)
    assert 0 < len(rows) < everything and reminded > 0
    wide = pull_all(server, "recalls/List", 1000, DateStart="1900-01-01", DateEnd="2100-01-01",
                    IncludeReminded="true")  # fmt: skip
    assert len(wide) == everything


def _recall_pats(db: Path, recall_nums: list[int]) -> list[int]:
    con = sqlite3.connect(db)
    try:
        return [con.execute("SELECT PatNum FROM recall WHERE RecallNum = ?", (n,)).fetchone()[0]
                for n in recall_nums]  # fmt: skip
    finally:
        con.close()


def test_filter_on_a_column_the_office_never_fills(make_simulator: Callable, demo_db: Path) -> None:
    server = make_simulator()
    total = sql_values(demo_db, "SELECT COUNT(*) FROM patient")[0]
    assert len(pull_all(server, "patients/Simple", 1000, SuperFamily=0)) == total
    assert get(server, "patients/Simple", EmployerNum=5).json() == []
    assert get(server, "appointments", AppointmentTypeNum=3).json() == []


def test_providers_by_clinic(make_simulator: Callable, demo_db: Path) -> None:
    server = make_simulator(now=lambda: FIXED_NOW)
    clinic = sql_values(demo_db, "SELECT MAX(ClinicNum) FROM clinic")[0]
    if clinic is not None:
        rows = get(server, "providers", ClinicNum=clinic).json()
        assert [r["ProvNum"] for r in rows] == sql_values(
            demo_db, "SELECT ProvNum FROM provider WHERE IsHidden = 0 ORDER BY ProvNum"
        )
        assert {r["serverDateTime"] for r in rows} == {""}  # documented: no serverDateTime with ClinicNum
    missing = get(server, "providers", ClinicNum=987654)
    assert (missing.status_code, missing.json()) == (404, "Clinic not found")


def test_schedules_default_to_today(make_simulator: Callable, demo_db: Path) -> None:
    today = sql_values(demo_db, "SELECT SchedDate FROM schedule ORDER BY ScheduleNum LIMIT 1")[0]
    server = make_simulator(now=lambda: datetime.fromisoformat(today + " 12:00:00"))
    rows = get(server, "schedules").json()
    expected = sql_values(
        demo_db,
        "SELECT ScheduleNum FROM schedule WHERE SchedDate = ? ORDER BY StartTime, ScheduleNum",
        (today,),
    )
    assert [int(r["ScheduleNum"]) for r in rows] == expected


def test_filters_are_case_insensitive_and_unknown_parameters_ignored(
    make_simulator: Callable, tiny_dbs: dict[str, Path]
) -> None:
    server = make_simulator(tiny_dbs["p250"], now=lambda: FIXED_NOW)  # serverDateTime may not tick over
    by_name = get(server, "procedurelogs", PatNum=2).json()
    assert get(server, "procedurelogs", patnum=2).json() == by_name
    assert get(server, "procedurelogs", PatNum=2, Bogus="x").json() == by_name
    assert (
        get(server, "procedurelogs", ProcStatus="tp").json()
        == get(server, "procedurelogs", ProcStatus="TP").json()
    )
    assert get(server, "PROCEDURELOGS", PatNum=2).json() == by_name


@pytest.mark.parametrize(
    ("path", "params", "message"),
    [
        (
            "procedurelogs",
            {"DateTStamp": "2024-13-01 00:00:00"},
            "DateTStamp format must be yyyy-MM-dd HH:mm:ss",
        ),
        ("procedurelogs", {"DateTStamp": "yesterday"}, "DateTStamp format must be yyyy-MM-dd HH:mm:ss"),
        ("claims", {"SecDateTEdit": "2024/01/01"}, "SecDateTEdit format must be yyyy-MM-dd HH:mm:ss"),
        ("appointments", {"dateStart": "01-02-2024"}, "dateStart format must be yyyy-MM-dd"),
        ("procedurelogs", {"PatNum": "abc"}, "PatNum is invalid"),
        ("procedurelogs", {"ProcStatus": "Done"}, "ProcStatus is invalid"),
        ("adjustments", {}, "PatNum is required."),
        ("procedurelogs", {"Offset": "x"}, "Offset is invalid"),
    ],
)
def test_bad_parameters_get_400(
    path: str, params: dict, message: str, make_simulator: Callable, tiny_dbs: dict[str, Path]
) -> None:
    server = make_simulator(tiny_dbs["p250"])
    response = get(server, path, **params)
    assert response.status_code == 400
    assert message in response.json()


def test_date_only_stamp_means_midnight(make_simulator: Callable, tiny_dbs: dict[str, Path]) -> None:
    server = make_simulator(tiny_dbs["p250"], now=lambda: FIXED_NOW)  # same serverDateTime in both answers
    assert (
        get(server, "procedurelogs", DateTStamp="2024-01-01").json()
        == get(server, "procedurelogs", DateTStamp="2024-01-01 00:00:00").json()
    )


# --- change filters and serverDateTime -------------------------------------------------------------------


def test_datetstamp_returns_only_rows_stamped_on_or_after(
    make_simulator: Callable, tiny_dbs: dict[str, Path]
) -> None:
    server = make_simulator(tiny_dbs["p250"], now=lambda: FIXED_NOW)
    cut = (STAMP_ORIGIN + timedelta(minutes=120)).strftime("%Y-%m-%d %H:%M:%S")  # row 120's exact stamp
    rows = get(server, "procedurelogs", DateTStamp=cut).json()
    expected = sql_values(
        tiny_dbs["p250"], "SELECT ProcNum FROM procedurelog WHERE DateTStamp >= ? ORDER BY 1", (cut,)
    )
    assert [r["ProcNum"] for r in rows] == expected
    assert rows[0]["ProcNum"] == 120 and all(r["DateTStamp"] >= cut for r in rows)
    assert {r["serverDateTime"] for r in rows} == {"2026-11-24 10:30:00"}
    assert list(rows[0])[-1] == "serverDateTime"  # procedurelogs: last, as in the docs
    appointment = get(server, "appointments").json()[0]
    assert next(iter(appointment)) == "serverDateTime"  # appointments: first
    assert "serverDateTime" not in get(server, "adjustments", PatNum=1).json()[0]  # not documented there


# --- wire quirks -----------------------------------------------------------------------------------------


def test_wire_quirks(make_simulator: Callable, tiny_dbs: dict[str, Path]) -> None:
    server = make_simulator(tiny_dbs["p250"])
    proc = get(server, "procedurelogs/7").json()
    fee = sql_values(tiny_dbs["p250"], "SELECT ProcFee FROM procedurelog WHERE ProcNum = 7")[0]
    assert proc["ProcFee"] == f"{fee:.2f}" and isinstance(proc["ProcFee"], str)  # money as "107.00"
    assert proc["ProcStatus"] == "C" and proc["procCode"] == "D1110" and proc["provAbbr"] == "DOC1"
    assert proc["HideGraphics"] == "false" and proc["IsLocked"] == "false"  # booleans as strings
    assert proc["DateOriginalProsth"] == "0001-01-01"  # no date
    assert proc["Discount"] == 0.0 and isinstance(proc["Discount"], float)
    assert get(server, "procedurelogs/8").json()["DateEntryC"] == "0001-01-01"
    patient = get(server, "patients/Simple", Limit=1).json()[0]
    assert patient["Birthdate"] == "0001-01-01" and patient["PatStatus"] == "Patient"
    assert patient["BillingType"] == "Standard Account" and patient["Zip"] == "97301"
    assert get(server, "patients", Limit=1).json()[0]["Zip"] == 97301  # /patients: Zip as a number
    apt = get(server, "appointments/1").json()
    assert (apt["AptStatus"], apt["confirmed"], apt["IsNewPatient"], apt["Priority"]) == (
        "Complete",
        "Not Called",
        "true",
        "Normal",
    )
    assert get(server, "definitions").json()[0]["category"] == "AdjTypes"
    names = {r["Category"]: r["category"] for r in get(server, "definitions", includeHidden="true").json()}
    assert all(isinstance(name, str) and not name.isdigit() for name in names.values()), names


def test_wire_quirks_on_the_generated_practice(make_simulator: Callable, demo_db: Path) -> None:
    server = make_simulator()
    payment = get(server, "payments", Limit=1).json()[0]
    amount = sql_values(demo_db, "SELECT PayAmt FROM payment WHERE PayNum = ?", (payment["PayNum"],))[0]
    assert isinstance(payment["PayAmt"], str) and float(payment["PayAmt"]) == pytest.approx(amount)
    assert isinstance(payment["ClinicNum"], str)  # payments: ClinicNum "0"
    claim = get(server, "claims", Limit=1).json()[0]
    assert claim["IsOrtho"] in ("True", "False") and isinstance(claim["ClaimForm"], str)
    assert claim["ClaimStatus"] in ("U", "H", "W", "S", "R", "I")
    schedule = pull_all(server, "schedules", 1000, dateStart="2000-01-01", dateEnd="2100-01-01")[0]
    assert all(
        isinstance(schedule[k], str) for k in ("ScheduleNum", "ProvNum", "BlockoutType", "EmployeeNum")
    )
    claimproc = get(server, "claimprocs", Limit=1).json()[0]
    assert claimproc["Status"] in CLAIMPROC_STATUS and isinstance(claimproc["InsPayAmt"], float)
    splits = pull_all(server, "paysplits", 1000)
    amounts = [r["SplitAmt"] for r in splits]  # PaySplits GET example: "SplitAmt": 140 (a whole number)
    assert any(isinstance(a, int) for a in amounts) and any(isinstance(a, float) for a in amounts)
    assert all(isinstance(a, float) for a in amounts if not float(a).is_integer())
    assert all(len(r["SecDateTEdit"]) == 10 for r in splits)  # the example shows a bare date there
    patients = pull_all(server, "patients/Simple", 1000)
    assert any(p["Birthdate"] == "0001-01-01" for p in patients)  # "Birthdate value can be 0001-01-01"
    schedules = pull_all(server, "schedules", 1000, dateStart="2026-11-02", dateEnd="2026-11-13")
    starts = [r["StartTime"] for r in schedules]
    assert starts == sorted(starts)  # "Results are sorted by StartTime", so the days interleave
    assert [r["SchedDate"] for r in schedules] != sorted(r["SchedDate"] for r in schedules)
    provider = get(server, "providers").json()[0]
    assert provider["IsSecondary"] in ("true", "false") and provider["ProvStatus"] in ("Active", "Deleted")


# --- single records and 404 / 410 ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "pk", "table", "message"),
    [
        ("patients", "PatNum", "patient", "Patient not found."),
        ("appointments", "AptNum", "appointment", "Appointment not found."),
        ("procedurelogs", "ProcNum", "procedurelog", "Procedure not found."),
        ("claims", "ClaimNum", "claim", "Claim not found."),
        ("claimprocs", "ClaimProcNum", "claimproc", "ClaimProc not found."),
        ("providers", "ProvNum", "provider", "Provider not found."),
        ("operatories", "OperatoryNum", "operatory", "Operatory not found."),
        ("procedurecodes", "CodeNum", "procedurecode", "ProcedureCode not found."),
        ("schedules", "ScheduleNum", "schedule", "Schedule not found"),
        ("insplans", "PlanNum", "insplan", "InsPlan not found."),
        ("inssubs", "InsSubNum", "inssub", "InsSub not found."),
        ("carriers", "CarrierNum", "carrier", "Carrier not found."),
    ],
)
def test_single_records(
    path: str, pk: str, table: str, message: str, make_simulator: Callable, demo_db: Path
) -> None:
    server = make_simulator()
    key = sql_values(demo_db, f"SELECT MAX({pk}) FROM {table}")[0]
    record = get(server, f"{path}/{key}").json()
    assert isinstance(record, dict) and int(record[pk]) == key
    missing = get(server, f"{path}/{key + 1000}")
    assert (missing.status_code, missing.json()) == (404, message)


def test_unknown_route_and_deprecated_method(make_simulator: Callable, tiny_dbs: dict[str, Path]) -> None:
    server = make_simulator(tiny_dbs["p100"])
    typo = get(server, "procedurelog")
    assert typo.status_code == 404 and "does not exist" in typo.json()
    assert get(server, "patients/Simple/5").status_code == 404
    assert requests.get(server.base_url.replace("/api/v1", "/nope"), headers=ALL).status_code == 404
    gone = requests.post(f"{server.base_url}/payplans", headers=ALL, data="{}")
    assert gone.status_code == 410 and "deprecated" in gone.json()


def test_writes_need_their_permission_and_json(make_simulator: Callable, tiny_dbs: dict[str, Path]) -> None:
    server = make_simulator(tiny_dbs["p100"])
    body = json.dumps({"PayAmt": "10", "PatNum": 1})
    denied = requests.post(f"{server.base_url}/payments", headers=READONLY, data=body)
    assert denied.status_code == 401 and "Payments" in denied.json()
    no_json = requests.post(
        f"{server.base_url}/payments", headers={"Authorization": ALL["Authorization"]}, data=body
    )
    assert no_json.status_code == 400 and "Content-Type" in no_json.json()
    read_only = requests.post(f"{server.base_url}/payments", headers=ALL, data=body)
    assert read_only.status_code == 400 and "read-only" in read_only.json()


# --- versions --------------------------------------------------------------------------------------------


def test_office_version_too_old(make_simulator: Callable, tiny_dbs: dict[str, Path]) -> None:
    # By default an old office ignores a filter it does not know yet: every row comes back.
    server = make_simulator(tiny_dbs["p100"], office_version="25.1.4")
    assert len(get(server, "procedurelogs", PatNum=1).json()) == 34  # a filter it knows still filters
    ignored = get(server, "procedurelogs", ProcStatus="C")
    assert ignored.status_code == 200
    assert [r["ProcNum"] for r in ignored.json()] == list(range(1, 101))
    assert {r["ProcStatus"] for r in ignored.json()} == {"C", "TP"}
    assert len(get(server, "procedurelogs", ProcStatus="bogus").json()) == 100  # not even validated
    strict = make_simulator(tiny_dbs["p100"], office_version="25.1.4", new_filters="reject")
    too_new_filter = get(strict, "procedurelogs", ProcStatus="C")
    assert too_new_filter.status_code == 400 and "25.2.21" in too_new_filter.json()
    current = make_simulator(tiny_dbs["p100"])
    assert {r["ProcStatus"] for r in get(current, "procedurelogs", ProcStatus="C").json()} == {"C"}
    old = make_simulator(tiny_dbs["p100"], office_version="22.1.5")
    too_new_route = get(old, "claimprocs")
    assert too_new_route.status_code == 400 and "22.2.33" in too_new_route.json()
    assert get(old, "procedurelogs/1").status_code == 400  # single GET added in 23.3.13


@pytest.mark.parametrize(
    ("route", "version", "needs", "ok"),
    [
        ("claimprocs", "23.2.15", "ClaimNum or PatNum", {"PatNum": 1}),
        ("claims", "23.3.10", "PatNum", {"PatNum": 1}),
        ("payments", "23.3.10", "PatNum", {"PatNum": 1}),
        ("paysplits", "24.4.23", "PatNum or PayNum", {"PayNum": 1}),
    ],
)
def test_filters_required_before_they_became_optional(
    route: str, version: str, needs: str, ok: dict[str, int], make_simulator: Callable, demo_db: Path
) -> None:
    """ "PatNum: (Optional after version 23.3.11)" and the like: older offices insist on them."""
    old = make_simulator(office_version=version)
    refused = get(old, route)
    assert (refused.status_code, refused.json()) == (400, f"{needs} is required.")
    assert get(old, route, **ok).status_code == 200
    assert get(make_simulator(), route).status_code == 200  # current office: optional


# --- auth ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        None,
        "Basic b2RuYjpkZW1v",
        f"Bearer {DEMO_CUSTOMER_KEY}",
        f"ODFHIR wrongDeveloper/{DEMO_CUSTOMER_KEY}",
        f"ODFHIR {DEMO_DEVELOPER_KEY}/wrongCustomer",
        f"ODFHIR {DEMO_DEVELOPER_KEY}",
        f"odfhir {DEMO_DEVELOPER_KEY}/{DEMO_CUSTOMER_KEY}",
    ],
    ids=["missing", "basic", "bearer", "wrong-developer", "wrong-customer", "no-slash", "lower-scheme"],
)
def test_bad_credentials_get_401(
    header: str | None, make_simulator: Callable, tiny_dbs: dict[str, Path]
) -> None:
    server = make_simulator(tiny_dbs["p100"])
    headers = {"Content-Type": "application/json"}
    if header:
        headers["Authorization"] = header
    response = get(server, "procedurelogs", headers=headers)
    assert response.status_code == 401
    assert DEMO_CUSTOMER_KEY not in response.text and DEMO_DEVELOPER_KEY not in response.text
    assert server.log[-1].status == 401


@pytest.mark.parametrize(
    "header",
    [
        f"ODFHIR  {DEMO_DEVELOPER_KEY}/{DEMO_CUSTOMER_KEY}",
        f"ODFHIR\t{DEMO_DEVELOPER_KEY}/{DEMO_CUSTOMER_KEY}",
        f"ODFHIR {DEMO_DEVELOPER_KEY} / {DEMO_CUSTOMER_KEY}",
        f"ODFHIR {DEMO_DEVELOPER_KEY}/{DEMO_CUSTOMER_KEY}/",
        f"Odfhir {DEMO_DEVELOPER_KEY}/{DEMO_CUSTOMER_KEY}",
        f"ODFHIR{DEMO_DEVELOPER_KEY}/{DEMO_CUSTOMER_KEY}",
    ],
    ids=["two-spaces", "tab", "spaced-slash", "trailing-slash", "mixed-case-scheme", "no-space"],
)
def test_auth_header_is_not_tidied_up(
    header: str, make_simulator: Callable, tiny_dbs: dict[str, Path]
) -> None:
    """The right keys in a sloppy header are refused: the real server compares what was sent."""
    server = make_simulator(tiny_dbs["p100"])
    headers = {"Authorization": header, "Content-Type": "application/json"}
    response = get(server, "procedurelogs", headers=headers)
    assert response.status_code == 401


@pytest.mark.parametrize("content_type", [None, "text/plain", "application/x-www-form-urlencoded"])
def test_every_request_needs_a_json_content_type(
    content_type: str | None, make_simulator: Callable, tiny_dbs: dict[str, Path]
) -> None:
    """ "All API requests require a Content-Type header of application/json": GETs too (400)."""
    server = make_simulator(tiny_dbs["p100"])
    headers = {"Authorization": ALL["Authorization"]}
    if content_type:
        headers["Content-Type"] = content_type
    response = get(server, "procedurelogs", headers=headers)
    assert response.status_code == 400 and "Content-Type" in response.json()
    charset = {**headers, "Content-Type": "application/json; charset=utf-8"}
    assert get(server, "procedurelogs", headers=charset).status_code == 200


def test_read_only_key_reads_but_cannot_query(make_simulator: Callable, tiny_dbs: dict[str, Path]) -> None:
    server = make_simulator(tiny_dbs["p100"])
    assert get(server, "procedurelogs", headers=READONLY).status_code == 200
    denied = short_query(server, "SELECT 1 AS one", headers=READONLY)
    assert denied.status_code == 401 and "Queries" in denied.json()
    assert short_query(server, "SELECT 1 AS one").json() == [{"one": 1}]


# --- throttle --------------------------------------------------------------------------------------------


def test_remote_throttle_delays_to_the_tier_interval(
    make_simulator: Callable, tiny_dbs: dict[str, Path]
) -> None:
    interval = 0.15
    server = make_simulator(
        tiny_dbs["p100"], mode="remote", throttle_intervals={"paid": interval, "read_all": 5.0}
    )
    with requests.Session() as session:
        for _ in range(4):
            assert session.get(f"{server.base_url}/procedurelogs", headers=ALL).status_code == 200
    starts = [e.started for e in server.log]
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert all(gap >= interval - 1e-9 for gap in gaps), gaps  # start-to-start spacing the server applied
    assert any(e.started > e.received for e in server.log)  # at least one request was held back


def test_any_paid_permission_relaxes_the_read_all_throttle(
    make_simulator: Callable, tiny_dbs: dict[str, Path]
) -> None:
    """API docs: 1 request / 5 s on Read All alone, 1 / s once the key holds any other permission."""
    comm = ApiKey(DEMO_DEVELOPER_KEY, "odnbCommOnlyKey01", frozenset({"ReadAll", "Comm"}), "read_all", "comm")
    server = make_simulator(
        tiny_dbs["p100"], mode="remote", throttle_action="reject", keys=[comm, *default_keys()],
        throttle_intervals={"paid": 0.2, "read_all": 30.0},
    )  # fmt: skip
    headers = {"Authorization": f"ODFHIR {DEMO_DEVELOPER_KEY}/odnbCommOnlyKey01",
               "Content-Type": "application/json"}  # fmt: skip
    assert get(server, "procedurelogs", headers=headers).status_code == 200
    assert get(server, "procedurelogs", headers=headers).status_code == 429  # within 0.2 s
    time.sleep(0.25)
    assert get(server, "procedurelogs", headers=headers).status_code == 200  # not 30 s later
    assert get(server, "procedurelogs", headers=READONLY).status_code == 200
    refused = get(server, "procedurelogs", headers=READONLY)  # Read All alone keeps the long interval
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) >= 29


def test_remote_throttle_rejects_with_retry_after(
    make_simulator: Callable, tiny_dbs: dict[str, Path]
) -> None:
    server = make_simulator(tiny_dbs["p100"], mode="remote", throttle_action="reject")
    assert get(server, "procedurelogs", headers=READONLY).status_code == 200
    rejected = get(server, "procedurelogs", headers=READONLY)  # Read All tier: one request per 5 s
    assert rejected.status_code == 429
    assert 1 <= int(rejected.headers["Retry-After"]) <= 5
    assert get(server, "procedurelogs").status_code == 200  # throttling is per customer key


def test_remote_throttle_interval_includes_execution_time(
    make_simulator: Callable, tiny_dbs: dict[str, Path]
) -> None:
    """A request slower than the interval holds the next one (same key) until it is answered."""
    server = make_simulator(
        tiny_dbs["p100"], mode="remote", throttle_intervals={"paid": 0.05, "read_all": 5.0},
        faults=Faults(latency=0.3),
    )  # fmt: skip
    with ThreadPoolExecutor(2) as pool:
        statuses = list(pool.map(lambda _: get(server, "procedurelogs", Limit=1).status_code, range(2)))
    assert statuses == [200, 200]
    first, second = sorted(server.log, key=lambda e: e.started)
    assert second.started >= first.received + first.duration  # no overlap: started after the answer


def test_remote_throttle_rejects_while_a_request_runs(
    make_simulator: Callable, tiny_dbs: dict[str, Path]
) -> None:
    server = make_simulator(
        tiny_dbs["p100"], mode="remote", throttle_action="reject",
        throttle_intervals={"paid": 0.0, "read_all": 5.0}, faults=Faults(latency=0.5),
    )  # fmt: skip
    with ThreadPoolExecutor(1) as pool:
        slow = pool.submit(get, server, "procedurelogs", Limit=1)
        while not server._in_flight.get(DEMO_CUSTOMER_KEY):  # wait until the slow one is admitted
            time.sleep(0.01)
        server.faults.latency = 0.0
        busy = get(server, "procedurelogs", Limit=1)
        assert slow.result().status_code == 200
    assert busy.status_code == 429 and int(busy.headers["Retry-After"]) >= 1
    assert get(server, "procedurelogs", Limit=1).status_code == 200  # interval 0: free once answered


def test_service_mode_is_not_throttled(make_simulator: Callable, tiny_dbs: dict[str, Path]) -> None:
    server = make_simulator(tiny_dbs["p100"], throttle_action="reject")
    assert [get(server, "procedurelogs", headers=READONLY).status_code for _ in range(3)] == [200, 200, 200]


# --- faults ----------------------------------------------------------------------------------------------


def test_scripted_statuses_and_error_bodies(make_simulator: Callable, tiny_dbs: dict[str, Path]) -> None:
    server = make_simulator(tiny_dbs["p100"])
    server.faults.script.extend([500, 502, 503, 504, 429])
    statuses = [get(server, "procedurelogs").status_code for _ in range(6)]
    assert statuses == [500, 502, 503, 504, 429, 200]
    assert server.log.count(path="procedurelogs", status=200) == 1
    server.faults.script.append(429)
    assert get(server, "procedurelogs").headers["Retry-After"] == "1"


@pytest.mark.parametrize("style", ["text", "json_string", "json_object"])
def test_error_body_formats(style: str, make_simulator: Callable, tiny_dbs: dict[str, Path]) -> None:
    server = make_simulator(tiny_dbs["p100"], faults=Faults(error_body=style))
    response = get(server, "adjustments")
    assert response.status_code == 400
    if style == "text":
        assert response.headers["Content-Type"].startswith("text/plain")
        assert response.text == "PatNum is required."
    elif style == "json_string":
        assert response.json() == "PatNum is required."
    else:
        assert response.json() == {"message": "PatNum is required."}


def test_econnector_down(make_simulator: Callable, tiny_dbs: dict[str, Path]) -> None:
    server = make_simulator(
        tiny_dbs["p100"], mode="remote", throttle_intervals={"paid": 0.0, "read_all": 0.0}
    )
    server.faults.econnector_down = True
    response = get(server, "procedurelogs")
    assert response.status_code == 400 and "eConnector" in response.json()
    server.faults.econnector_down = False
    server.faults.script.append("econnector")
    assert get(server, "procedurelogs").status_code == 400
    assert get(server, "procedurelogs").status_code == 200


def test_dropped_connection(make_simulator: Callable, tiny_dbs: dict[str, Path]) -> None:
    server = make_simulator(tiny_dbs["p100"])
    server.faults.script.append("drop")
    with pytest.raises(requests.ConnectionError):
        get(server, "procedurelogs")
    assert server.log[-1].status == 0
    assert get(server, "procedurelogs").status_code == 200


@pytest.mark.parametrize("kind", ["malformed", "truncate"])
def test_broken_json_bodies(kind: str, make_simulator: Callable, tiny_dbs: dict[str, Path]) -> None:
    server = make_simulator(tiny_dbs["p100"])
    server.faults.script.append(kind)
    response = get(server, "procedurelogs")
    assert response.status_code == 200
    with pytest.raises(ValueError):
        response.json()
    assert len(get(server, "procedurelogs").json()) == 100


def test_random_faults_are_seeded(make_simulator: Callable, tiny_dbs: dict[str, Path]) -> None:
    def run() -> list[int]:
        server = make_simulator(tiny_dbs["p100"], faults=Faults(error_rate=0.5, seed=3))
        return [get(server, "procedurelogs", Limit=1).status_code for _ in range(12)]

    first = run()
    assert first == run()
    assert set(first) - {200} <= {500, 502, 503, 504} and 200 in first and len(set(first)) > 1


def test_latency_and_remote_timeout(make_simulator: Callable, tiny_dbs: dict[str, Path]) -> None:
    server = make_simulator(tiny_dbs["p100"], faults=Faults(latency=0.2))
    assert get(server, "procedurelogs").status_code == 200
    assert server.log[-1].duration >= 0.2
    remote = make_simulator(tiny_dbs["p100"], mode="remote", remote_timeout=0.1, faults=Faults(latency=0.3))
    timed_out = get(remote, "procedurelogs")
    assert timed_out.status_code == 504 and "0.1 second" in timed_out.json()


def test_reset_clears_log_faults_and_throttle(make_simulator: Callable, tiny_dbs: dict[str, Path]) -> None:
    server = make_simulator(tiny_dbs["p100"], mode="remote", throttle_action="reject")
    get(server, "procedurelogs", headers=READONLY)
    server.faults.script.append(503)
    server.faults.econnector_down = True
    server.reset()
    assert len(server.log) == 0 and server.faults.script == [] and not server.faults.econnector_down
    assert get(server, "procedurelogs", headers=READONLY).status_code == 200


# --- ShortQuery ------------------------------------------------------------------------------------------


def test_short_query_pages_by_100(make_simulator: Callable, tiny_dbs: dict[str, Path]) -> None:
    server = make_simulator(tiny_dbs["p250"])  # service mode: still 100 rows per ShortQuery page
    sql = "SELECT ProcNum, ProcFee FROM procedurelog ORDER BY ProcNum"
    pages = [short_query(server, sql, Offset=offset).json() for offset in (0, 100, 200, 300)]
    assert [len(p) for p in pages] == [100, 100, 50, 0]
    got = [r["ProcNum"] for page in pages for r in page]
    assert got == sql_values(tiny_dbs["p250"], sql)


def test_short_query_values_and_mysql_functions(make_simulator: Callable, tiny_dbs: dict[str, Path]) -> None:
    server = make_simulator(tiny_dbs["p250"], now=lambda: FIXED_NOW)
    row = short_query(
        server,
        "SELECT ProcDate, DateTStamp, YEAR(ProcDate) AS y, MONTH(ProcDate) AS m, "
        "DATE_FORMAT(ProcDate, '%Y-%m') AS ym, CONCAT('D', CodeNum) AS c, "
        "IF(ProcStatus = 2, 'C', 'TP') AS s, "
        "CURDATE() AS today, DATEDIFF('2024-03-01', ProcDate) AS days, IFNULL(NULL, 5) AS five "
        "FROM procedurelog WHERE ProcNum = 1",
    ).json()
    assert row == [
        {
            "ProcDate": "2024-02-01T00:00:00",
            "DateTStamp": "2024-01-01T08:01:00",
            "y": 2024,
            "m": 2,
            "ym": "2024-02",
            "c": "D2",
            "s": "C",
            "today": "2026-11-24T00:00:00",
            "days": 29,
            "five": 5,
        }
    ]
    grouped = short_query(
        server,
        "SELECT ProcStatus, COUNT(*) AS n, SUM(ProcFee) AS total FROM procedurelog GROUP BY ProcStatus",
    ).json()
    expected = sql_values(
        tiny_dbs["p250"], "SELECT COUNT(*) FROM procedurelog GROUP BY ProcStatus ORDER BY ProcStatus"
    )
    assert [r["n"] for r in grouped] == expected


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM procedurelog",
        "UPDATE patient SET LName = 'x'",
        "INSERT INTO clinic (ClinicNum) VALUES (99)",
        "DROP TABLE patient",
        "SELECT 1; DELETE FROM patient",
        "CREATE TABLE t AS SELECT 1",
        "CREATE TEMPORARY TABLE t AS SELECT 1; INSERT INTO patient (PatNum) SELECT 1 FROM t",
        "SET @a = 1",
        "LOCK TABLES patient READ",
        "WITH x AS (SELECT 1) DELETE FROM patient",
        "SELECT * INTO OUTFILE '/tmp/x' FROM patient",
    ],
)
def test_short_query_refuses_writes(sql: str, make_simulator: Callable, tiny_dbs: dict[str, Path]) -> None:
    server = make_simulator(tiny_dbs["p100"])
    response = short_query(server, sql)
    assert response.status_code == 401
    assert response.json() == "Query is not read-only."
    assert sql_values(tiny_dbs["p100"], "SELECT COUNT(*) FROM procedurelog") == [100]


def test_short_query_errors(make_simulator: Callable, tiny_dbs: dict[str, Path]) -> None:
    server = make_simulator(tiny_dbs["p100"])
    bad = short_query(server, "SELECT NoSuchColumn FROM procedurelog")
    assert bad.status_code == 400 and bad.json() == (
        "Error executing query: Unknown column 'NoSuchColumn' in 'field list'"
    )
    # What MySQL cannot parse is a syntax error (400), not a permission problem.
    for sql in ("SELEC 1", "PRAGMA table_info(patient)", "ATTACH DATABASE ':memory:' AS other",
                "CREATE TEMP TABLE t AS SELECT 1"):  # fmt: skip
        response = short_query(server, sql)
        assert response.status_code == 400 and "SQL syntax" in response.json(), sql
    empty = requests.put(f"{server.base_url}/queries/ShortQuery", headers=ALL, data="{}")
    assert empty.status_code == 400 and "SqlCommand" in empty.json()
    no_type = requests.put(
        f"{server.base_url}/queries/ShortQuery",
        headers={"Authorization": ALL["Authorization"]},
        data=json.dumps({"SqlCommand": "SELECT 1"}),
    )
    assert no_type.status_code == 400
    # Text that only looks like a write (inside a literal) is fine.
    assert short_query(server, "SELECT 'DELETE FROM x' AS s").json() == [{"s": "DELETE FROM x"}]


def test_short_query_time_limit(make_simulator: Callable, tiny_dbs: dict[str, Path]) -> None:
    server = make_simulator(tiny_dbs["p100"], mode="remote", remote_timeout=0.2, throttle_intervals={
        "paid": 0.0, "read_all": 0.0})  # fmt: skip
    slow = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n) SELECT COUNT(*) AS c FROM n"
    response = short_query(server, slow)
    assert response.status_code == 504


def test_short_query_screens_mysql_executable_comments(
    make_simulator: Callable, tiny_dbs: dict[str, Path]
) -> None:
    """MySQL runs the body of /*! ... */: a write hidden there is a write."""
    server = make_simulator(tiny_dbs["p100"])
    assert short_query(server, "SELECT 1 AS one /*! ; DELETE FROM patient */").status_code == 401
    assert not is_read_only("SELECT 1 /*!50000 , (UPDATE patient SET LName = 'x') */")
    assert short_query(server, "SELECT 1 AS one /* DELETE in a plain comment */").json() == [{"one": 1}]


def test_is_read_only() -> None:
    assert is_read_only("  select * from patient -- DELETE in a comment\n")
    assert is_read_only("WITH a AS (SELECT 1) SELECT * FROM a;")
    assert is_read_only("CREATE TEMPORARY TABLE t AS SELECT 1; SELECT * FROM t; DROP TEMPORARY TABLE t")
    assert not is_read_only("SELECT 1; UPDATE patient SET LName = ''")
    assert not is_read_only("")


# --- request log -----------------------------------------------------------------------------------------


def test_request_log(make_simulator: Callable, tiny_dbs: dict[str, Path]) -> None:
    server = make_simulator(tiny_dbs["p100"])
    get(server, "procedurelogs", PatNum=1, Limit=5)
    get(server, "procedurelogs/999999")
    get(server, "providers", headers=READONLY)
    get(server, "providers", headers={"Authorization": "Bearer nope"})
    entries = server.log.entries
    assert [(e.method, e.path, e.status) for e in entries] == [
        ("GET", "/api/v1/procedurelogs", 200),
        ("GET", "/api/v1/procedurelogs/999999", 404),
        ("GET", "/api/v1/providers", 200),
        ("GET", "/api/v1/providers", 401),
    ]
    assert entries[0].query == {"PatNum": "1", "Limit": "5"}
    assert [e.customer for e in entries] == ["demo", "demo", "demo-ro", ""]
    assert all(e.duration >= 0 for e in entries)
    assert server.log.count() == 4
    assert (
        server.log.count(path="providers") == 2
        and server.log.count(path="/api/v1/providers", status=401) == 1
    )
    for secret in (DEMO_CUSTOMER_KEY, DEMO_READONLY_CUSTOMER_KEY):
        assert secret not in repr(entries) and secret not in repr(server.config)
    server.log.clear()
    assert server.log.count() == 0


# --- testing module, embedded server, CLI ----------------------------------------------------------------


def test_testing_simulator_context(tiny_dbs: dict[str, Path]) -> None:
    with simulator(tiny_dbs["p100"], mode="local") as server:
        assert server.running and server.base_url.startswith("http://127.0.0.1:")
        assert len(get(server, "procedurelogs").json()) == 100
    assert not server.running
    with pytest.raises(requests.ConnectionError):
        get(server, "procedurelogs")


def test_server_refuses_bad_setup(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="odnb demo build"):
        DemoServer(tmp_path / "missing.sqlite")
    with pytest.raises(ValueError, match="mode"):
        SimulatorConfig(mode="cloud")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="permission"):
        SimulatorConfig(keys=[ApiKey("d", "c", frozenset({"Everything"}))])


@pytest.mark.slow
def test_odnb_demo_serve_subprocess(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [sys.executable, "-m", "odnb", "demo", "serve", "--port", "0", "--patients", "40", "--years", "1",
         "--office-version", "25.1.4", "--new-filters", "reject"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        base_url = None
        deadline = time.monotonic() + 120
        assert proc.stdout is not None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line:
                break
            if line.startswith("Base URL:"):
                base_url = line.split(":", 1)[1].strip()
                break
        assert base_url, proc.stderr.read() if proc.stderr else "no output"
        assert base_url.startswith("http://127.0.0.1:")
        ok = requests.get(f"{base_url}/procedurelogs", headers=ALL, params={"Limit": 2}, timeout=10)
        assert ok.status_code == 200 and len(ok.json()) == 2
        assert requests.get(f"{base_url}/procedurelogs", timeout=10).status_code == 401
        newer = requests.get(f"{base_url}/procedurelogs", headers=ALL, params={"ProcStatus": "C"}, timeout=10)
        assert newer.status_code == 400 and "25.2.21" in newer.json()  # ProcStatus is newer than 25.1.4
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0


@pytest.mark.slow
def test_odnb_demo_build(capsys: pytest.CaptureFixture[str]) -> None:
    from odnb.cli import main

    assert main(["demo", "build", "--patients", "40", "--years", "1"]) == 0
    out = capsys.readouterr().out.splitlines()
    path = Path(out[0])
    assert path.is_file()
    counts = dict(line.split() for line in out[1:])
    assert int(counts["patient"].replace(",", "")) == sql_values(path, "SELECT COUNT(*) FROM patient")[0]
