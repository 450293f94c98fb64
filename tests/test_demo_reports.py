"""reports/Aging and the resources added for analysts (claimpayments, commlogs, treatplans, recalltypes),
over loopback, against an independent computation from the practice's ledger in this file."""

from __future__ import annotations

import re
import sqlite3
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
import requests

from odnb.demo.practice import PracticeSpec, build_practice
from odnb.testing import auth_headers

ALL = auth_headers()


def get(server: object, path: str, **params: object) -> requests.Response:
    return requests.get(f"{server.base_url}/{path}", headers=ALL, params=params)  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def three_clinics(tmp_path_factory: pytest.TempPathFactory) -> Path:
    spec = PracticeSpec(seed=7, patients=160, years=2, clinics=3, today=date(2026, 6, 15))
    return build_practice(tmp_path_factory.mktemp("clinics") / "p.sqlite", spec)


def expected_aging(db: Path, as_of: date, clinic: int | None = None) -> dict[int, dict[str, float]]:
    """The contract's rule, written independently: a positive balance B is made of the family's newest
    charges (credits paid the oldest first); a net credit sits in 0-30."""
    d = as_of.isoformat()
    con = sqlite3.connect(db)
    guarantor = dict(con.execute("SELECT PatNum, Guarantor FROM patient"))
    where = "" if clinic is None else f" AND ClinicNum = {int(clinic)}"
    charges: dict[int, list[tuple[str, int]]] = defaultdict(list)
    balance: dict[int, int] = defaultdict(int)
    for pat, day, cents in con.execute(
        "SELECT PatNum, ProcDate, CAST(ROUND(ProcFee * 100) AS INTEGER) * (UnitQty + BaseUnits) "
        f"FROM procedurelog WHERE ProcStatus = 2 AND ProcDate <= ?{where} "
        f"UNION ALL SELECT PatNum, AdjDate, CAST(ROUND(AdjAmt * 100) AS INTEGER) FROM adjustment "
        f"WHERE AdjDate <= ?{where}",
        (d, d),
    ):
        balance[guarantor[pat]] += cents
        if cents > 0:
            charges[guarantor[pat]].append((day, cents))
    for pat, cents in con.execute(
        f"SELECT PatNum, CAST(ROUND(SplitAmt * 100) AS INTEGER) FROM paysplit WHERE DatePay <= ?{where} "
        "UNION ALL SELECT PatNum, CAST(ROUND(InsPayAmt * 100) AS INTEGER) + CAST(ROUND(WriteOff * 100) AS "
        f"INTEGER) FROM claimproc WHERE Status IN (1, 4) AND DateCP <= ?{where}",
        (d, d),
    ):
        balance[guarantor[pat]] -= cents
    con.close()
    out = {}
    for fam, total in balance.items():
        if total == 0:
            continue
        buckets = [0, 0, 0, 0]
        if total < 0:
            buckets[0] = total
        left = total
        for day, cents in sorted(charges[fam], reverse=True):  # newest first
            if left <= 0:
                break
            take = min(left, cents)
            age = (as_of - date.fromisoformat(day)).days
            buckets[0 if age <= 30 else 1 if age <= 60 else 2 if age <= 90 else 3] += take
            left -= take
        out[fam] = {
            "Bal_0_30": buckets[0] / 100, "Bal_31_60": buckets[1] / 100, "Bal_61_90": buckets[2] / 100,
            "BalOver90": buckets[3] / 100, "BalTotal": total / 100,
        }  # fmt: skip
    return out


def cents(report: dict[int, dict[str, float]]) -> dict[int, dict[str, int]]:
    return {pat: {k: round(v * 100) for k, v in row.items()} for pat, row in report.items()}


def served_aging(server: object, **params: object) -> dict[int, dict[str, float]]:
    response = get(server, "reports/Aging", **params)
    assert response.status_code == 200, response.text
    keys = ("Bal_0_30", "Bal_31_60", "Bal_61_90", "BalOver90", "BalTotal")
    return {r["PatNum"]: {k: r[k] for k in keys} for r in response.json()}


@pytest.mark.parametrize("days_back", [0, 45, 200, 400, 700])
def test_aging_as_of_any_date_equals_the_ledger(
    days_back: int, make_simulator: Callable, three_clinics: Path
) -> None:
    server = make_simulator(three_clinics, now=lambda: datetime(2026, 6, 15, 9, 0))
    as_of = date(2026, 6, 15) - timedelta(days=days_back)
    expected = expected_aging(three_clinics, as_of)
    got = served_aging(server, DateAsOf=as_of.isoformat()) if days_back else served_aging(server)
    assert cents(got) == cents(expected)
    if days_back < 700:  # not vacuous: many families owe, and some of it is old
        assert len(expected) > 10
        assert any(v["Bal_31_60"] or v["Bal_61_90"] or v["BalOver90"] for v in expected.values())
    for clinic in (1, 2, 3):
        by_clinic = expected_aging(three_clinics, as_of, clinic)
        got = served_aging(server, DateAsOf=as_of.isoformat(), ClinicNum=clinic)
        assert cents(got) == cents(by_clinic)


def test_aging_today_matches_patients_simple_baltotal(make_simulator: Callable, demo_db: Path) -> None:
    server = make_simulator()
    rows = get(server, "reports/Aging").json()
    assert list(rows[0]) == ["PatNum", "patName", "Bal_0_30", "Bal_31_60", "Bal_61_90", "BalOver90",
                             "BalTotal", "InsWoEst", "InsPayEst", "PatientPortion"]  # fmt: skip
    patients = get(server, "patients/Simple", Limit=1000).json()
    patients += get(server, "patients/Simple", Offset=1000).json()
    balances = {
        p["PatNum"]: p["BalTotal"] for p in patients if p["Guarantor"] == p["PatNum"] and p["BalTotal"]
    }
    assert {r["PatNum"]: r["BalTotal"] for r in rows} == pytest.approx(balances)
    for r in rows:
        assert r["PatientPortion"] == pytest.approx(r["BalTotal"] - r["InsPayEst"] - r["InsWoEst"])
    assert any(r["InsPayEst"] for r in rows)


def test_aging_errors_and_versions(make_simulator: Callable, three_clinics: Path) -> None:
    server = make_simulator(three_clinics)
    assert get(server, "reports/Aging", DateAsOf="06/15/2026").status_code == 400
    assert get(server, "reports/Aging", ClinicNum=99).status_code == 404
    assert get(make_simulator(three_clinics, office_version="21.3.1"), "reports/Aging").status_code == 400
    old = make_simulator(three_clinics, office_version="22.1.3")  # ClinicNum came in 22.2: ignored
    assert served_aging(old, ClinicNum=2) == served_aging(server)
    assert len(get(server, "reports/Aging", Limit=5, Offset=2).json()) == 5


DOC_KEYS = {  # the key order of each page's example response
    "claimpayments": "ClaimPaymentNum CheckDate CheckAmt CheckNum BankBranch Note ClinicNum DepositNum "
    "CarrierName DateIssued IsPartial PayType payType SecUserNumEntry SecDateEntry SecDateTEdit PayGroup "
    "payGroup",
    "commlogs": "CommlogNum PatNum CommDateTime CommType commType Note Mode_ SentOrReceived UserNum "
    "DateTStamp CommSource ProgramNum DateTEntry ReferralNum",
    "treatplans": "TreatPlanNum PatNum DateTP Heading Note SigIsTopaz ResponsParty DocNum TPStatus "
    "SecUserNumEntry SecDateEntry SecDateTEdit UserNumPresenter TPType DateTSigned DateTPracticeSigned "
    "SignatureText SignaturePracticeText isSigned isSignedPractice",
    "recalltypes": "RecallTypeNum Description DefaultInterval TimePattern Procedures AppendToSpecial",
    "proctps": "ProcTPNum TreatPlanNum PatNum ProcNumOrig ItemOrder Priority priority ToothNumTP Surf "
    "ProcCode "
    "Descript FeeAmt PriInsAmt SecInsAmt PatAmt Discount Prognosis Dx ProcAbbr SecUserNumEntry SecDateEntry "
    "SecDateTEdit FeeAllowed TaxAmt ProvNum DateTP ClinicNum CatPercUCR",
    "payplans": "PayPlanNum PatNum Guarantor PayPlanDate APR Note PlanNum CompletedAmt InsSubNum PaySchedule "
    "NumberOfPayments PayAmt DownPayment IsClosed PlanCategory planCategory IsDynamic ChargeFrequency "
    "DatePayPlanStart IsLocked DateInterestStart DynamicPayPlanTPOption principalAmount SheetDefNum",
    "payplancharges": "PayPlanChargeNum PayPlanNum Guarantor PatNum ChargeDate Principal Interest Note "
    "ProvNum "
    "ClinicNum ChargeType ProcNum SecDateTEntry SecDateTEdit StatementNum FKey LinkType IsOffset",
    "refattaches": "RefAttachNum ReferralNum referralName PatNum ItemOrder RefDate ReferralType RefToStatus "
    "Note IsTransitionOfCare ProcNum DateProcComplete ProvNum DateTStamp",
    "referrals": "ReferralNum LName FName MName SSN UsingTIN Specialty specialty ST Telephone Address "
    "Address2 "
    "City Zip Note Phone2 IsHidden NotPerson Title EMail PatNum IsDoctor DateTStamp IsPreferred BusinessName "
    "DisplayNote isPatient",
    "histappointments": "HistApptNum HistUserNum HistDateTStamp HistApptAction ApptSource AptNum PatNum "
    "AptStatus Pattern Confirmed confirmed TimeLocked Op Note ProvNum provAbbr ProvHyg AptDateTime "
    "NextAptNum "
    "UnschedStatus unschedStatus IsNewPatient ProcDescript ClinicNum IsHygiene DateTStamp DateTimeArrived "
    "DateTimeSeated DateTimeDismissed InsPlan1 InsPlan2 DateTimeAskedToArrive colorOverride "
    "AppointmentTypeNum SecUserNumEntry SecDateTEntry Priority PatternSecondary ItemOrderPlanned",
    "appointmenttypes": "AppointmentTypeNum AppointmentTypeName appointmentTypeColor IsHidden Pattern "
    "CodeStr "
    "CodeStrRequired RequiredProcCodesNeeded BlockoutTypes",
    "preferences": "PrefNum PrefName ValueString",
}
REQUIRED = {"commlogs": "PatNum", "proctps": "TreatPlanNum", "payplans": "PatNum",
            "payplancharges": "PayPlanNum"}  # fmt: skip
TABLES = {"proctps": "proctp", "payplans": "payplan", "payplancharges": "payplancharge",
          "commlogs": "commlog"}  # fmt: skip


@pytest.mark.parametrize("route", sorted(DOC_KEYS))
def test_new_resources_have_the_docs_fields(route: str, make_simulator: Callable, demo_db: Path) -> None:
    server = make_simulator()
    params = {}
    if route in REQUIRED:
        if route != "commlogs":  # optional since 25.1.13
            assert get(server, route).status_code == 400  # the documented required filter
        con = sqlite3.connect(demo_db)
        column = REQUIRED[route]
        params[column] = con.execute(f"SELECT {column} FROM {TABLES[route]} LIMIT 1").fetchone()[0]
        con.close()
    rows = get(server, route, **params).json()
    assert rows and list(rows[0]) == DOC_KEYS[route].split()


def test_new_resources_filter_as_documented(make_simulator: Callable, demo_db: Path) -> None:
    con = sqlite3.connect(demo_db)
    stamp = con.execute("SELECT SecDateTEdit FROM claimpayment ORDER BY SecDateTEdit "
                        "LIMIT 1 OFFSET (SELECT COUNT(*) / 2 FROM claimpayment)").fetchone()[0]  # fmt: skip
    newer = [r[0] for r in con.execute(
        "SELECT ClaimPaymentNum FROM claimpayment WHERE SecDateTEdit >= ? ORDER BY 1", (stamp,))]  # fmt: skip
    pat = con.execute("SELECT PatNum FROM commlog GROUP BY PatNum ORDER BY COUNT(*) DESC").fetchone()[0]
    logs = [r[0] for r in con.execute("SELECT CommlogNum FROM commlog WHERE PatNum = ? ORDER BY 1", (pat,))]
    saved = con.execute("SELECT COUNT(*) FROM treatplan WHERE TPStatus = 0").fetchone()[0]
    con.close()
    server = make_simulator()
    got = get(server, "claimpayments", SecDateTEdit=stamp).json()
    assert [r["ClaimPaymentNum"] for r in got] == newer and len(newer) > 0
    assert [r["CommlogNum"] for r in get(server, "commlogs", PatNum=pat).json()] == logs and len(logs) > 1
    assert len(get(server, "treatplans", TPStatus="Saved", Limit=1000).json()) == min(saved, 1000)
    assert get(server, "treatplans", TPStatus="Active").json() == []
    assert get(server, "recalltypes/1").json()["Description"] == "Prophy"
    assert get(server, "claimpayments/999999").status_code == 404
    old = make_simulator(office_version="24.4.1")  # commlogs needed a PatNum before 25.1.13
    assert get(old, "commlogs").status_code == 400 and get(old, "commlogs", PatNum=pat).status_code == 200


def test_securitylogs_list_the_developers_audit_entries(make_simulator: Callable, demo_db: Path) -> None:
    """Only entries written through the API, newest first, LogDateTime as the docs show it."""
    con = sqlite3.connect(demo_db)
    api = [r[0] for r in con.execute("SELECT SecurityLogNum FROM securitylog WHERE LogSource = 23 "
                                     "ORDER BY SecurityLogNum DESC")]  # fmt: skip
    office = con.execute("SELECT COUNT(*) FROM securitylog WHERE LogSource <> 23").fetchone()[0]
    con.close()
    server = make_simulator()
    rows = get(server, "securitylogs").json()
    assert [r["SecurityLogNum"] for r in rows] == api and api and office
    assert list(rows[0]) == ["SecurityLogNum", "PermType", "UserNum", "LogDateTime", "LogText", "PatNum",
                             "CompName", "LogSource"]  # fmt: skip
    assert rows[0]["PermType"] == "PatientCreate" and rows[0]["LogSource"] == "API"
    assert re.fullmatch(r"\d{1,2}/\d{1,2}/\d{4} \d{1,2}:\d{2}:\d{2} [AP]M", rows[0]["LogDateTime"])
    assert len(get(server, "securitylogs", PermType="PatientCreate").json()) == len(api)
    assert get(server, "securitylogs", PermType="PatientEdit").json() == []
    assert get(server, "securitylogs", PermType="NoSuchPermission").status_code == 400
    assert get(make_simulator(office_version="23.1.2"), "securitylogs").status_code == 400


def test_history_follows_the_appointment_book(make_simulator: Callable, demo_db: Path) -> None:
    con = sqlite3.connect(demo_db)
    broken = con.execute("SELECT AptNum, PatNum FROM appointment WHERE AptStatus = 5 LIMIT 1").fetchone()
    counts = con.execute("SELECT COUNT(*), SUM(AptStatus = 5) FROM appointment WHERE AptStatus NOT IN (7, 8)")
    total, missed = counts.fetchone()
    con.close()
    server = make_simulator()
    history = get(server, "histappointments", AptNum=broken[0]).json()
    assert [(h["HistApptAction"], h["AptStatus"]) for h in history] == [("Created", "Scheduled"),
                                                                        ("Missed", "Broken")]  # fmt: skip
    assert {h["PatNum"] for h in history} == {broken[1]}
    created = get(server, "histappointments", HistApptAction="Created", Limit=1000).json()
    offset = len(created)
    while len(created) == offset and offset % 1000 == 0 and offset:
        more = get(server, "histappointments", HistApptAction="Created", Offset=offset).json()
        created += more
        offset += len(more) if more else 1
    assert len(created) == total
    missed_rows = []
    while True:
        page = get(server, "histappointments", HistApptAction="Missed", Offset=len(missed_rows)).json()
        missed_rows += page
        if len(page) < 1000:
            break
    assert len(missed_rows) == missed > 0


def test_preferences_hold_the_recall_window(make_simulator: Callable) -> None:
    server = make_simulator()
    got = {p["PrefName"]: p["ValueString"] for p in get(server, "preferences").json()}
    from odnb.demo.routes import RECALL_DAYS_FUTURE, RECALL_DAYS_PAST

    window = (got["RecallDaysPast"], got["RecallDaysFuture"])
    assert window == (str(RECALL_DAYS_PAST), str(RECALL_DAYS_FUTURE))
    assert get(server, "preferences", PrefName="recalldayspast").json() == [
        {"PrefNum": 2, "PrefName": "RecallDaysPast", "ValueString": "365"}
    ]
