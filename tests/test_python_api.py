"""A Python API that explains itself (issue 13): one exception root, a Scorecard that shows itself and
answers by KPI key, relative periods wherever dates go, resources without a date filter that say what to do,
API filter names with a snake_case alias, and ``df.plot()`` with matplotlib. Against the simulator over
loopback."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import odnb
from odnb import kpis, periods
from odnb.api.errors import InvalidParameter, ODError, UnknownParameter
from odnb.demo import DEMO_CUSTOMER_KEY, DEMO_DEVELOPER_KEY


@pytest.fixture(scope="module")
def server(demo_db: Path) -> Any:
    from odnb.demo.server import DemoServer, SimulatorConfig

    srv = DemoServer(demo_db, SimulatorConfig(mode="service")).start()
    yield srv
    srv.stop()


@pytest.fixture
def od(server: Any) -> odnb.Client:
    return odnb.connect(base_url=server.base_url, developer_key=DEMO_DEVELOPER_KEY,
                        customer_key=DEMO_CUSTOMER_KEY, progress=False)


# ------------------------------------------------------------------------------------------ one root


def test_every_odnb_failure_is_an_oderror(tmp_path: Path) -> None:
    from odnb.api.get import UsageError
    from odnb.reports import mail, notebooks, payload, schedule
    from odnb.store import StoreError, open_store

    for cls in (periods.PeriodError, kpis.KPIInputError, kpis.UnknownKPI, notebooks.ReportError,
                schedule.ScheduleError, mail.MailError, StoreError, UsageError, payload.KPIValueError):
        assert issubclass(cls, ODError), cls
    assert odnb.errors.ODError is ODError  # the root lives in a shared leaf, re-exported
    failures = [
        lambda: periods.check_period("2026-02-01", "2026-01-01"),
        lambda: kpis.period("not a date", "2026-01-31"),
        lambda: notebooks.resolve_notebook("no_such_notebook"),
        lambda: mail.require_settings(),
        lambda: open_store("nobody", read_only=True).sql("SELECT 1"),
        lambda: payload.publish_kpis({"net_production": "lots"}),
    ]
    bad_jobs = tmp_path / "jobs.toml"
    bad_jobs.write_text("[[job]]\nname = 'x'\n")
    failures.append(lambda: schedule.load_jobs(bad_jobs))
    for fail in failures:
        with pytest.raises(ODError) as caught:
            fail()
        assert str(caught.value), caught.value


def test_period_errors_keep_their_python_kinds() -> None:
    with pytest.raises(ValueError, match="swap the dates"):
        periods.check_period("2026-02-01", "2026-01-01")
    with pytest.raises(ValueError, match="without an end"):
        periods.check_period("2026-02-01")


# ------------------------------------------------------------------------------------------ Scorecard


@pytest.fixture(scope="module")
def card(server: Any) -> kpis.Scorecard:
    od = odnb.connect(base_url=server.base_url, developer_key=DEMO_DEVELOPER_KEY,
                      customer_key=DEMO_CUSTOMER_KEY, progress=False)
    return kpis.scorecard(od, "2026-10-01", "2026-10-31")


def test_scorecard_reads_by_attribute_and_item(card: kpis.Scorecard) -> None:
    assert card.values["net_production"] is not None
    assert card.net_production == card["net_production"] == card.values["net_production"]
    assert card.collection_ratio == card.values["collection_ratio"]
    assert "net_production" in dir(card)


def test_unknown_kpi_names_suggest_and_are_the_python_errors(card: kpis.Scorecard) -> None:
    with pytest.raises(KeyError) as item:
        card["net_prod"]
    assert "did you mean 'net_production'" in str(item.value)
    with pytest.raises(AttributeError) as attr:
        card.colection_ratio  # noqa: B018
    assert "did you mean 'collection_ratio'" in str(attr.value)
    assert isinstance(attr.value, ODError)
    assert not hasattr(card, "no_such_thing_at_all")
    import copy
    import pickle

    assert pickle.loads(pickle.dumps(card)).values == card.values
    assert copy.deepcopy(card).values == card.values


def test_scorecard_repr_is_short_and_html_is_a_table(card: kpis.Scorecard) -> None:
    text = repr(card)
    assert len(text) < 120 and "2026-10-01" in text and "2026-10-31" in text, text
    from IPython.core.formatters import DisplayFormatter

    shown_by_jupyter, _ = DisplayFormatter().format(card)  # what a notebook cell's output would hold
    assert shown_by_jupyter["text/plain"] == text
    page = shown_by_jupyter["text/html"]
    assert page == card._repr_html_()
    assert page.count("<tr>") == len(kpis.KPI_KEYS) + 1
    assert kpis.LABELS["net_production"] in page
    assert kpis.format_kpi("net_production", card.net_production) in page
    import dataclasses

    hostile = dataclasses.replace(card, values={**card.values, "net_production": None},
                                  reasons={"net_production": "<script>alert(1)</script>"})
    shown = hostile._repr_html_()
    assert "<script>" not in shown and "&lt;script&gt;" in shown


# ------------------------------------------------------------------------------------- relative periods


def test_scorecard_takes_a_relative_period_like_the_cli(od: odnb.Client) -> None:
    first, last = periods.relative_period("last month", date.today())
    relative = kpis.scorecard(od, "last month")
    assert (relative.start, relative.end) == (first, last)
    assert relative.values == kpis.scorecard(od, first, last).values
    assert kpis.scorecard(od, "last month", None).start == first
    mixed = kpis.monthly_trend(od, "last 12 months")
    assert len(mixed) == 12


def test_frame_functions_and_client_dates_take_relative_periods(od: odnb.Client) -> None:
    first, last = periods.relative_period("last quarter", date.today())
    procs = od.procedures(ProcStatus="C")
    assert kpis.gross_production(procs, "last quarter") == kpis.gross_production(procs, first, last)
    assert kpis.gross_production(procs, "last quarter start", "last quarter end") == \
        kpis.gross_production(procs, first, last)
    apts = od.appointments("last quarter")
    assert apts.equals(od.appointments(first.isoformat(), last.isoformat()))
    with pytest.raises(ODError, match="relative"):
        kpis.scorecard(od, "the other day")


# ------------------------------------------------------------------------------- no date filter: say so


def test_date_filter_on_a_resource_without_one_says_what_to_do(od: odnb.Client) -> None:
    before = od.request_count
    with pytest.raises(UnknownParameter) as caught:
        od.procedures(ProcDate="2026-01-01")
    err = caught.value
    assert "cannot be filtered by ProcDate" in str(err)
    assert "Did you mean" not in str(err)
    assert "od.query(" in err.fix and "between" in err.fix and "odnb sync" in err.fix
    with pytest.raises(UnknownParameter, match="cannot be filtered by DatePay"):
        od.paysplits(start="2026-01-01")
    with pytest.raises(UnknownParameter, match="dateStart and dateEnd"):
        od.appointments(AptDate="2026-01-01")
    assert od.request_count == before  # refused before any request


def test_positional_dates_are_explained_not_a_type_error(od: odnb.Client) -> None:
    with pytest.raises(InvalidParameter) as caught:
        od.procedures("2026-01-01", "2026-01-31")
    assert "takes no dates" in str(caught.value) and "ProcDate" in caught.value.fix
    with pytest.raises(InvalidParameter, match="by name"):
        od.claims(3)
    with pytest.raises(InvalidParameter, match="takes no dates"):
        od.adjustments("2026-01-01", "2026-01-31")


# ------------------------------------------------------------------------------------ one naming style


def test_filters_are_the_apis_names_with_a_snake_case_alias(od: odnb.Client) -> None:
    paysplits = od.paysplits()
    pat = int(od.query("SELECT PatNum, COUNT(*) AS n FROM adjustment GROUP BY PatNum ORDER BY n DESC")
              ["PatNum"].iloc[0])
    by_name = od.adjustments(PatNum=pat)
    assert len(by_name) > 0
    assert by_name.equals(od.adjustments(pat)) and by_name.equals(od.adjustments(pat_num=pat))
    assert od.procedures(proc_status="C").equals(od.procedures(ProcStatus="C"))
    assert len(paysplits) > 0


# ----------------------------------------------------------------------------------------------- plot


def test_dataframe_plot_renders_with_matplotlib(od: odnb.Client) -> None:
    import matplotlib

    matplotlib.use("Agg")
    from PIL import Image

    trend = kpis.monthly_trend(od, "2026-01-01", "2026-06-30")
    ax = trend.set_index("month")["gross_production"].plot(kind="bar", title="Gross production")
    buffer = io.BytesIO()
    ax.figure.savefig(buffer, format="png")
    image = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    assert image.size[0] > 100 and sum(1 for n in image.histogram() if n) > 10  # bars, axes, text: not blank
