"""Return-visit rate and on-time rate per kind and month, on known data."""

import io
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from visits_helpers import plan

pytestmark = pytest.mark.plugins("visits")


def at(month, day, hour=12):
    return datetime(2026, month, day, hour, tzinfo=UTC)


@pytest.fixture
def known(db, estates, make_user):
    """January 2026 in E01: 5 repair visits count, 1 complaint; February: 1 complaint."""
    from core.settings import save_settings

    e1, e2 = estates
    visitor = make_user("clerk", [e1])
    done = dict(state="done", method="phone", visited_by_id=visitor.id)
    plan(e1, kind="repair", due_at=at(1, 10), visited_at=at(1, 9), satisfied=True, **done)
    plan(e1, kind="repair", due_at=at(1, 12), visited_at=at(1, 11), satisfied=False, remarks="x", **done)
    plan(e1, kind="repair", due_at=at(1, 15), visited_at=at(1, 17), satisfied=True, **done)  # late
    plan(e1, kind="repair", due_at=at(1, 20), state="missed", closed_reason="no answer")
    plan(e1, kind="repair", due_at=at(1, 25), state="cancelled", closed_reason="reopened")  # never counts
    plan(e1, kind="repair", due_at=at(1, 28))  # still planned: overdue, counts as due and not done
    plan(e1, kind="complaint", due_at=at(1, 5), visited_at=at(1, 4), satisfied=True, **done)
    # 20:00 UTC on 31 January is 04:00 on 1 February in Shanghai: a February visit.
    plan(e1, kind="complaint", due_at=at(1, 31, 20), visited_at=at(1, 30), satisfied=True, **done)
    plan(e1, kind="routine", due_at=at(2, 20))  # planned, due later than "now" below
    plan(e2, kind="repair", due_at=at(1, 10), visited_at=at(1, 9), satisfied=True, **done)  # other estate
    save_settings("visits", {"repair_target": 95}, e1.id)
    db.session.commit()
    return e1


def test_the_figures_per_kind_and_month(known):
    from plugins.visits import stats

    fig = stats.compute([known.id], [(2026, 1), (2026, 2)], now=at(2, 10))
    jan_rep = fig.cell((2026, 1), "repair")
    assert (jan_rep.due, jan_rep.done, jan_rep.on_time, jan_rep.satisfied) == (5, 3, 2, 2)
    assert (jan_rep.rate, jan_rep.on_time_rate, jan_rep.satisfied_rate) == (
        Decimal("60.0"), Decimal("40.0"), Decimal("66.7"))
    assert (fig.cell((2026, 1), "complaint").due, fig.cell((2026, 2), "complaint").due) == (1, 1)
    assert fig.cell((2026, 2), "complaint").rate == Decimal("100.0")
    assert fig.cell((2026, 2), "routine").due == 0  # not due yet on 10 February
    assert fig.targets == {"repair": 95, "complaint": 100, "decoration": 100, "routine": 90}
    assert fig.meets("repair") is False and fig.meets("complaint") is True and fig.meets("decoration") is None
    total = fig.total()
    assert (total.due, total.done, total.rate) == (7, 5, Decimal("71.4"))
    later = stats.compute([known.id], [(2026, 2)], now=at(2, 21))
    assert later.cell((2026, 2), "routine").due == 1 and later.cell((2026, 2), "routine").rate == Decimal("0.0")


def test_the_statistics_page_print_and_export(known, client, login_as):
    from openpyxl import load_workbook

    login_as("clerk", estates=[known])
    page = client.get("/visits/statistics?until=2026-02&months=6").get_data(as_text=True)
    row = page.split('data-month="2026-01" data-kind="repair"')[1].split("</tr>")[0]
    cells = [c.split(">")[-1] for c in row.split("</td>")[:-1]]
    assert cells == ["2026-01", "Repair", "5", "3", "2", "60.0%", "40.0%", "95%", "66.7%"]
    assert 'data-chart="bar"' in page and "Target (%)" in page
    printed = client.get("/visits/statistics?until=2026-02&months=6&print=1").get_data(as_text=True)
    assert 'class="a4"' in printed and "60.0%" in printed and "2025-09 – 2026-02" in printed
    resp = client.get("/visits/statistics?until=2026-02&months=6&export=xlsx")
    rows = list(load_workbook(io.BytesIO(resp.data)).active.values)
    assert rows[0][:3] == ("Month", "Kind", "To visit")
    jan = next(r for r in rows if r[0] == "2026-01" and r[1] == "Repair")
    assert [jan[2], jan[3], jan[4], float(jan[5]), float(jan[6]), jan[7]] == [5, 3, 2, 60.0, 40.0, 95]


def test_the_statistics_page_refuses_another_estate_and_export_needs_the_permission(known, client, login_as, estates):
    login_as("frontdesk", estates=[known])
    assert client.get(f"/visits/statistics?estate={estates[1].id}").status_code == 404
    assert client.get("/visits/statistics?export=xlsx").status_code == 403  # frontdesk lacks core.export


def test_the_dashboard_widget_charts_rates_against_targets(known, client, login_as):
    import json
    from html import unescape

    from core.models import utcnow

    plan(known, kind="complaint", due_at=utcnow() - timedelta(days=3), state="done", method="door",
         visited_at=utcnow() - timedelta(days=4), satisfied=True)
    plan(known, kind="complaint", due_at=utcnow() - timedelta(days=1))
    login_as("supervisor", estates=[known])
    page = client.get("/").get_data(as_text=True)
    widget = page.split('data-widget="visits-rates"')[1].split("</section>")[0]
    datasets = json.loads(unescape(widget.split("data-datasets='")[1].split("'")[0]))
    assert [d["label"] for d in datasets] == ["Return-visit rate (%)", "On-time rate (%)", "Target (%)"]
    assert datasets[0]["data"][1] == 50.0 and datasets[1]["data"][1] == 50.0
    assert datasets[2]["data"] == [95, 100, 100, 90]
    assert "3 overdue visits" in widget  # this one, the January repair and the February routine visit
