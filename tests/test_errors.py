"""Errors: routing from status + body + mode, the three body formats, messages that never carry a key,
and every failure the simulator can script mapped to the right class through a real client."""

from __future__ import annotations

import json

import pytest

from odnb.api import errors
from odnb.api.client import Client
from odnb.api.errors import error_from_response
from odnb.api.profiles import Profile
from odnb.api.transport import RetryPolicy, Transport
from odnb.demo import DEMO_CUSTOMER_KEY, DEMO_DEVELOPER_KEY, DEMO_READONLY_CUSTOMER_KEY

FAST = RetryPolicy(attempts=2, base=0.001, cap=0.005)
URL = "https://api.opendental.com/api/v1/procedurelogs?Offset=0"
SQ = "https://api.opendental.com/api/v1/queries/ShortQuery"


def client_for(srv, key: str = DEMO_CUSTOMER_KEY, **kw) -> Client:
    profile = Profile(name="t", mode=srv.config.mode, base_url=srv.base_url,
                      developer_key=DEMO_DEVELOPER_KEY, customer_key=key)
    kw.setdefault("progress", False)
    kw.setdefault("retry", FAST)
    return Client(profile, **kw)


@pytest.mark.parametrize(
    ("status", "body", "mode", "url", "cls", "fix_has"),
    [
        (400, "The office's eConnector is not running.", "remote", URL, errors.EConnectorDown,
         "eConnector Service"),
        (400, "Requires version 25.2.21 or later.", "remote", URL, errors.VersionTooOld, "Help > Update"),
        (400, "The request timed out connecting to the office.", "remote", URL, errors.Timeout,
         "smaller date"),
        (400, "PatNum is required.", "service", URL, errors.BadRequest, "yyyy-MM-dd"),
        (400, "Error executing query: near SELEC", "remote", SQ, errors.BadRequest, "Fix the SQL"),
        (401, "Invalid credentials.", "remote", URL, errors.AuthError, "Setup > Advanced Setup > API"),
        (401, "Invalid credentials.", "service", URL, errors.AuthError, "6 hours"),
        (401, "The API key does not have the Queries permission.", "remote", URL, errors.PermissionDenied,
         "Developer Portal"),
        (401, "Query is not read-only.", "remote", SQ, errors.PermissionDenied, "SELECTs only"),
        (400, "Error executing query: You have an error in your SQL syntax; check the manual that "
         "corresponds to your MySQL server version for the right syntax to use near 'SELEC 1' at line 1",
         "remote", SQ, errors.BadRequest, "MySQL syntax"),
        (400, "Error executing query: Unknown column 'WkPhon' in 'field list'", "remote", SQ,
         errors.BadRequest, "column names"),
        (401, "Invalid credentials.", "remote", SQ, errors.AuthError, "15 minutes"),
        (403, "Forbidden", "remote", URL, errors.PermissionDenied, "permissions"),
        (404, "Patient not found.", "service", URL, errors.NotFound, "id you passed"),
        (404, "The requested API resource does not exist: GET /api/v1/x", "service", URL, errors.NotFound,
         "resource name"),
        (404, "", "service", URL, errors.NotFound, "base URL"),
        (410, "PayPlans POST was deprecated.", "remote", URL, errors.Gone, "replacement"),
        (429, "Too many requests.", "remote", URL, errors.RateLimited, "wait 7 s"),
        (500, "An unexpected error occurred.", "remote", URL, errors.ServerError, "Retry later"),
        (502, "Bad Gateway", "remote", URL, errors.ServerError, "Retry later"),
        (503, "Service Unavailable", "local", URL, errors.ServerError, "Retry in a few minutes"),
        (599, "weird", "local", URL, errors.ServerError, "Retry"),
        (504, "Gateway Time-out", "remote", URL, errors.Timeout, "smaller date range"),
        (418, "teapot", "remote", URL, errors.BadRequest, "Check the request"),
    ],
)
def test_status_and_body_pick_the_class_and_fix(status, body, mode, url, cls, fix_has) -> None:
    err = error_from_response("GET", url, status, json.dumps(body), mode, retry_after=7.0)
    assert type(err) is cls
    assert fix_has in err.fix
    assert err.status == status and err.method == "GET" and err.url == url
    assert err.cause and err.fix
    text = str(err)
    assert " — " in text and "Fix: " in text and str(status) in text


def test_remote_401_names_every_step() -> None:
    err = error_from_response("GET", URL, 401, "Invalid credentials.", "remote")
    for step in ("Setup > Advanced Setup > API", "Enabled", "15 minutes",
                 "ODFHIR {DeveloperKey}/{CustomerKey}", "not Basic"):
        assert step in err.fix


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("PatNum is required.", "PatNum is required."),
        ('"PatNum is required."', "PatNum is required."),
        ('{"message": "PatNum is required."}', "PatNum is required."),
        ('{"Message": "PatNum is required."}', "PatNum is required."),
        (b'{"Message": "PatNum is required."}', "PatNum is required."),
        ("<html><body><h1>502 Bad Gateway</h1></body></html>", "502 Bad Gateway"),
    ],
)
def test_three_body_formats_and_html_are_read_and_raw_body_kept(body, message) -> None:
    assert errors.message_of(body) == message
    err = error_from_response("GET", URL, 400, body, "remote")
    raw = body.decode() if isinstance(body, bytes) else body
    assert err.body == raw
    assert message in err.what or message in err.cause
    assert str(err).count(message) == 1  # said once, not in both the headline and the cause


def test_keys_are_scrubbed_from_url_body_message_repr_and_html() -> None:
    dev, cust = "devKEY123456", "custKEY98765"
    url = f"https://h/api/v1/patients?api_key={cust}&PatNum=3"
    body = json.dumps({"message": f"Bad header ODFHIR {dev}/{cust} for key {cust}"})
    err = error_from_response("GET", url, 401, body, "remote", secrets=(dev, cust))
    for text in (str(err), repr(err), err._repr_html_(), err.url, err.body, err.what, err.cause, err.fix):
        assert dev not in text and cust not in text
    assert "PatNum=3" in err.url
    assert "ODFHIR {DeveloperKey}/{CustomerKey}" in err.fix  # the format itself is kept


def test_html_rendering_escapes_and_shows_fix() -> None:
    err = error_from_response("GET", URL, 404, "<b>Patient</b> not found.", "remote")
    html = err._repr_html_()
    assert "<b>Patient</b>" not in html and "&lt;b&gt;Patient" in html
    assert "NotFound" in html and "Fix" in html


def test_every_class_is_an_oderror_with_the_documented_hierarchy() -> None:
    for case in errors.CASES:
        assert issubclass(case.cls, errors.ODError)
    assert issubclass(errors.PermissionDenied, errors.AuthError)
    for cls in (errors.ConfigError, errors.UnknownResource, errors.UnknownParameter, errors.InvalidParameter):
        assert issubclass(cls, errors.InputError) and issubclass(cls, ValueError)


def test_markdown_table_lists_every_case_and_input_error() -> None:
    table = errors.error_table_markdown()
    lines = table.splitlines()
    assert len(lines) == 2 + len(errors.CASES) + 8
    names = {"AuthError", "PermissionDenied", "EConnectorDown", "VersionTooOld", "BadRequest", "NotFound",
             "Gone", "RateLimited", "ServerError", "Timeout", "ConnectionFailed", "BadResponse",
             "ConfigError",
             "UnknownResource", "UnknownParameter", "InvalidParameter"}
    for name in names:
        assert f"`{name}`" in table
    assert all(line.count(" | ") >= 4 for line in lines[2:])


# --- through the simulator ------------------------------------------------------------------------


@pytest.mark.parametrize("body_format", ["text", "json_string", "json_object"])
def test_econnector_down_in_each_body_format(make_simulator, body_format) -> None:
    srv = make_simulator(mode="service")
    srv.faults.error_body = body_format
    srv.faults.econnector_down = True
    with client_for(srv) as od, pytest.raises(errors.EConnectorDown) as info:
        od.providers()
    assert "eConnector" in info.value.fix
    assert info.value.status == 400 and "eConnector" in info.value.body
    assert len(srv.log) == 1  # a 400 is never retried


def test_bad_keys_give_auth_error_with_mode_specific_fix(make_simulator) -> None:
    srv = make_simulator(mode="remote", throttle_intervals={"read_all": 0.0, "paid": 0.0, "enterprise": 0.0})
    with client_for(srv, key="notTheRightKey1") as od, pytest.raises(errors.AuthError) as info:
        od.providers()
    assert type(info.value) is errors.AuthError
    assert "15 minutes" in info.value.fix and "notTheRightKey1" not in str(info.value)


def test_read_only_key_query_is_permission_denied(make_simulator) -> None:
    srv = make_simulator(mode="service")
    with client_for(srv, key=DEMO_READONLY_CUSTOMER_KEY) as od:
        assert len(od.providers()) > 0  # Read All works
        with pytest.raises(errors.PermissionDenied) as info:
            od.query("SELECT COUNT(*) AS n FROM patient")
    assert info.value.status == 401 and "Queries" in info.value.fix


def test_write_sql_is_permission_denied_and_bad_sql_is_bad_request(make_simulator) -> None:
    srv = make_simulator(mode="service")
    with client_for(srv) as od:
        with pytest.raises(errors.PermissionDenied):
            od.query("DELETE FROM patient")
        with pytest.raises(errors.BadRequest) as info:
            od.query("SELECT nonsense FROM no_such_table")
        with pytest.raises(errors.BadRequest) as syntax:
            od.query("SELEC * FROM patient")
    assert "SQL" in info.value.fix
    assert type(syntax.value) is errors.BadRequest and syntax.value.status == 400
    assert "MySQL syntax" in syntax.value.fix and "permission" not in syntax.value.fix.lower()


def test_old_office_version_names_the_filter_versions(make_simulator) -> None:
    srv = make_simulator(mode="service", office_version="24.1.5", new_filters="reject")
    with client_for(srv) as od, pytest.raises(errors.VersionTooOld) as info:
        od.procedures(ProcStatus="C")
    assert "ProcStatus needs 25.2.21" in info.value.fix


def test_missing_record_route_and_gone(make_simulator) -> None:
    srv = make_simulator(mode="service")
    with client_for(srv) as od:
        with pytest.raises(errors.NotFound) as record:
            od.adjustments(99_999_999)
        assert "id you passed" in record.value.fix
    transport = Transport(client_for(srv).profile, cache=False, retry=FAST)
    with pytest.raises(errors.NotFound) as route:
        transport.request("GET", "procedurelogz")
    assert "resource name" in route.value.fix
    with pytest.raises(errors.Gone):
        transport.request("POST", "payplans", body={"PatNum": 1})
    transport.close()


@pytest.mark.parametrize(("fault", "cls"), [(500, errors.ServerError), (502, errors.ServerError),
                                            (503, errors.ServerError), (504, errors.Timeout),
                                            (429, errors.RateLimited), ("drop", errors.ConnectionFailed),
                                            ("malformed", errors.BadResponse)])
def test_persistent_faults_raise_after_retries(make_simulator, fault, cls) -> None:
    srv = make_simulator(mode="service")
    srv.faults.script = [fault] * FAST.attempts
    with client_for(srv) as od, pytest.raises(cls) as info:
        od.operatories()
    assert len(srv.log) == FAST.attempts  # retried, then gave up
    assert info.value.fix


def test_no_connection_is_connection_failed() -> None:
    profile = Profile(name="t", mode="service", base_url="http://127.0.0.1:9/api/v1",
                      developer_key=DEMO_DEVELOPER_KEY, customer_key=DEMO_CUSTOMER_KEY)
    with Client(profile, progress=False, retry=FAST) as od, pytest.raises(errors.ConnectionFailed) as info:
        od.providers()
    assert "30223" in info.value.fix


@pytest.mark.parametrize("fault", ["malformed", "truncate"])
def test_an_unreadable_page_is_described_not_quoted(make_simulator, fault) -> None:
    # The body of a list GET is patient data: the message says what is wrong, never the rows.
    srv = make_simulator(mode="service")
    srv.faults.script = [fault] * FAST.attempts
    with client_for(srv, cache=False) as od, pytest.raises(errors.BadResponse) as info:
        od.patients()
    text = str(info.value)
    assert "bytes of JSON" in text and "LName" not in text and "PatNum" not in text
    assert info.value.body is None and "LName" not in info.value._repr_html_()


def test_the_server_message_is_said_once(make_simulator) -> None:
    srv = make_simulator(mode="service")
    srv.faults.script = [500] * FAST.attempts
    with client_for(srv, cache=False) as od, pytest.raises(errors.ServerError) as info:
        od.providers()
    message = errors.message_of(info.value.body)
    assert message and str(info.value).count(message) == 1


def test_a_base_url_without_api_v1_gets_the_corrected_url(simulator) -> None:
    root = simulator.base_url.removesuffix("/api/v1")
    profile = Profile(name="t", mode="service", base_url=root, developer_key=DEMO_DEVELOPER_KEY,
                      customer_key=DEMO_CUSTOMER_KEY)
    od = Client(profile, progress=False, retry=FAST, cache=False)
    with od, pytest.raises(errors.NotFound) as info:
        od.providers()
    assert f"use {root}/api/v1" in info.value.fix


def test_a_dropped_connection_says_so(make_simulator) -> None:
    srv = make_simulator(mode="service")
    srv.faults.script = ["drop"] * FAST.attempts
    with client_for(srv, cache=False) as od, pytest.raises(errors.ConnectionFailed) as info:
        od.providers()
    assert "closed the connection" in str(info.value)


def test_a_refused_connection_says_so() -> None:
    profile = Profile(name="t", mode="service", base_url="http://127.0.0.1:9/api/v1",
                      developer_key=DEMO_DEVELOPER_KEY, customer_key=DEMO_CUSTOMER_KEY)
    with Client(profile, progress=False, retry=FAST) as od, pytest.raises(errors.ConnectionFailed) as info:
        od.providers()
    assert "connection refused" in str(info.value)
