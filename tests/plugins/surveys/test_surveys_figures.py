"""The satisfaction index on known data: per area, overall, per period; results, trend, widget, panel."""

import io
import json
from datetime import timedelta
from decimal import Decimal
from html import unescape

import pytest
from surveys_helpers import answer, close, fresh_catalogs, make_survey, today, unit_of  # noqa: F401 - a fixture

pytestmark = pytest.mark.plugins("surveys")


@pytest.fixture
def known(estates, make_user):
    """Cleaning ×2 and security ×1; responses (5,4,3), (4,4,5) and a void (1,2,3)."""
    e1 = estates[0]
    user = make_user("supervisor", [e1])
    survey = make_survey(e1, user, period="2026 Q2", title="Second quarter")
    answer(survey, user, [5, 4, 3], unit=unit_of(e1, "3-2-1201"), respondent="王芳")
    answer(survey, user, [4, 4, 5])
    answer(survey, user, [1, 2, 3], voided="entered twice")
    return survey, user


def test_the_index_per_area_and_overall(known):
    from plugins.surveys import stats

    survey, _user = known
    res = stats.results([survey.id])
    assert res.responses == 2
    assert (res.areas["cleaning"].total, res.areas["cleaning"].count) == (17, 4)
    assert res.areas["cleaning"].index == Decimal("85.0") and res.areas["cleaning"].mean == Decimal("4.25")
    assert res.areas["security"].index == Decimal("80.0")
    assert (res.overall.total, res.overall.count, res.overall.index) == (25, 6, Decimal("83.3"))
    per_q = stats.question_scores(survey.id)
    assert [per_q[q.id].index for q in survey.questions] == [Decimal("90.0"), Decimal("80.0"), Decimal("80.0")]


def test_the_results_page_print_and_export(known, client, login_as, estates):
    from openpyxl import load_workbook

    survey, _user = known
    login_as("clerk", estates=[estates[0]])
    page = client.get(f"/surveys/{survey.id}/results").get_data(as_text=True)
    row = page.split('data-area="cleaning">')[1].split("</tr>")[0]
    assert row == "<td>Cleaning and hygiene</td><td>4</td><td>4.25</td><td>85.0</td>"
    assert '<strong>83.3</strong>' in page and "2 responses" in page
    assert 'data-chart="bar"' in page and 'data-chart="line"' in page
    printed = client.get(f"/surveys/{survey.id}/results?print=1").get_data(as_text=True)
    assert 'class="a4"' in printed and "83.3" in printed and "Satisfaction survey results" in printed
    rows = list(load_workbook(io.BytesIO(client.get(f"/surveys/{survey.id}/results?export=xlsx").data)).active.values)
    assert rows[0] == ("Service area", "Question", "Answers", "Mean score", "Satisfaction index")
    overall = rows[-1]
    assert overall[0] == "Overall" and overall[2] == 6 and float(overall[4]) == 83.3
    listing = client.get(f"/surveys/{survey.id}/responses").get_data(as_text=True)
    assert "3 records" in listing and "entered twice" in listing and "王芳" in listing


def test_the_trend_pools_estates_by_period_and_leaves_drafts_out(known, client, login_as, estates, make_user):
    from plugins.surveys import stats

    survey, user = known
    e1, e2 = estates
    close(survey, user)
    q3 = make_survey(e1, user, period="2026 Q3", title="Third quarter",
                     start=today() - timedelta(days=3), end=today() + timedelta(days=80))
    answer(q3, user, [5, 5, 5])
    make_survey(e1, user, state="draft", period="2026 Q4", start=today() + timedelta(days=81),
                end=today() + timedelta(days=170))
    other = make_user("supervisor", [e2])
    theirs = make_survey(e2, other, period="2026 Q2", questions=[("cleaning", "Clean enough?")])
    answer(theirs, other, [1])
    # Q2 surveys start 30 days ago, Q3 three days ago: Q2 comes first.
    tr = stats.trend([e1.id])
    assert tr.periods == ["2026 Q2", "2026 Q3"]
    assert tr.areas["cleaning"] == [Decimal("85.0"), Decimal("100.0")]
    assert tr.overall == [Decimal("83.3"), Decimal("100.0")] and tr.responses == [2, 1]
    pooled = stats.trend([e1.id, e2.id])
    assert pooled.areas["cleaning"] == [Decimal("72.0"), Decimal("100.0")]  # (17 + 1) / 5 answers
    assert pooled.responses == [3, 1]

    login_as("manager", estates=[e1])
    page = client.get("/surveys/trend").get_data(as_text=True)
    row = page.split('data-area="cleaning">')[1].split("</tr>")[0]
    assert row == "<td>Cleaning and hygiene</td><td>85.0</td><td>100.0</td>"
    dash = client.get("/").get_data(as_text=True)
    widget = dash.split('data-widget="surveys-trend"')[1].split("</section>")[0]
    assert json.loads(unescape(widget.split("data-labels='")[1].split("'")[0])) == ["2026 Q2", "2026 Q3"]
    datasets = json.loads(unescape(widget.split("data-datasets='")[1].split("'")[0]))
    assert datasets[0] == {"label": "Overall", "data": [83.3, 100.0]}
    assert {"label": "Security and order", "data": [80.0, 100.0]} in datasets


def test_the_unit_panel_search_and_blank_questionnaire(known, client, login_as, estates):
    survey, _user = known
    e1 = estates[0]
    login_as("clerk", estates=[e1])
    unit = unit_of(e1, "3-2-1201")
    panel = client.get(f"/estates/units/{unit.id}").get_data(as_text=True).split('data-slot="surveys-unit"')[1]
    assert "2026 Q2 Second quarter" in panel and "mean score 4.0" in panel
    assert "No survey response from this unit." in client.get(
        f"/estates/units/{unit_of(e1, '1-1-102').id}").get_data(as_text=True)
    popup = {"HX-Request": "true"}  # the list shown as you type (Enter opens the page grouped by kind)
    page = client.get("/search?q=Second quarter", headers=popup).get_data(as_text=True)
    assert ">Satisfaction survey</span>2026 Q2 Second quarter" in page
    page = client.get("/search?q=3-2-1201", headers=popup).get_data(as_text=True)
    assert ">Survey response</span>2026 Q2 · 3-2-1201" in page
    blank = client.get(f"/surveys/{survey.id}/print").get_data(as_text=True)
    assert "Owner Satisfaction Questionnaire" in blank and "Do you feel safe in the estate?" in blank
    assert blank.count("☐☐☐☐☐") == 3


def test_closing_fires_surveys_closed(make_app, temp_plugin):
    from core.demo import ensure_roles
    from core.extensions import db
    from core.site import refresh
    from core.testing import make_estate

    listener = temp_plugin("surveylistener", None, '''
from core import hookimpl

CLOSED = []


@hookimpl(optionalhook=True)
def surveys_closed(survey):
    CLOSED.append((survey.id, survey.state))
''')
    app = make_app(plugins=["surveys"], extra=dict([listener]))
    with app.app_context():
        ensure_roles()
        refresh(force=True)
        e1 = make_estate("E01", "Sunshine Garden")
        db.session.commit()
        from core.models import User

        user = User(username="sup", full_name="Sup", all_estates=True, password_hash="x")
        db.session.add(user)
        db.session.commit()
        survey = make_survey(e1, user)
        close(survey, user)
        module = app.extensions["propdesk_plugins"].infos["surveylistener"].module
        assert module.CLOSED == [(survey.id, "closed")]


@pytest.mark.usefixtures("fresh_catalogs")
def test_the_entry_page_in_chinese(client, login_as, estates):
    e1 = estates[0]
    user = login_as("frontdesk", estates=[e1], locale="zh_CN")
    survey = make_survey(e1, user, questions=[("cleaning", "楼道是否干净？")])
    page = client.get(f"/surveys/{survey.id}/responses/new").get_data(as_text=True)
    for zh in ("录入问卷", "保洁卫生", "纸质问卷", "保存并录入下一份"):
        assert zh in page, zh
    page = client.post(f"/surveys/{survey.id}/responses/new", data={"method": "paper"}).get_data(as_text=True)
    assert "请为每个问题选择 1 至 5 分。" in page


def test_demo_data_gives_four_quarterly_surveys_of_about_thirty_responses(app, db):
    from core.demo import load_demo
    from core.models import Estate
    from plugins.surveys import stats
    from plugins.surveys.models import Survey

    assert load_demo()
    e01 = db.session.query(Estate).filter_by(code="E01").one()
    surveys = db.session.query(Survey).filter_by(estate_id=e01.id).order_by(Survey.start_date).all()
    assert [s.state for s in surveys] == ["closed", "closed", "closed", "open"]
    assert all(25 <= stats.results([s.id]).responses <= 35 for s in surveys)
    tr = stats.trend([e01.id])
    assert len(tr.periods) == 4 and all(v is not None for v in tr.overall)
    assert set(tr.areas) == {"customer_service", "repairs", "security", "cleaning", "greening", "parking",
                             "facilities"}
