"""Satisfaction surveys (满意度调查): periodic surveys of owners, entered by staff from paper or
phone, and the satisfaction index per service area over time."""

from flask import url_for
from flask_babel import lazy_gettext as _l

from core import hookimpl
from core.permissions import Permission
from core.ui import NavItem, Panel, SearchHit, Widget


@hookimpl
def permissions():
    return [
        Permission("surveys.view", _l("See satisfaction surveys and their results"),
                   ("manager", "supervisor", "clerk")),
        Permission("surveys.enter", _l("Enter survey responses"), ("clerk", "frontdesk", "supervisor")),
        Permission("surveys.manage", _l("Prepare, open and close satisfaction surveys"), ("supervisor", "manager")),
    ]


@hookimpl
def blueprints():
    from plugins.surveys import views_responses  # noqa: F401 - registers its routes on bp
    from plugins.surveys.views import bp

    return [bp]


@hookimpl
def nav_items(user, estates):
    from core.permissions import has_permission

    items = [NavItem(_l("Satisfaction index"), "surveys.trend", "service", "surveys.view", 51, icon="graph-up")]
    if has_permission("surveys.view", user) or has_permission("surveys.enter", user):
        items.append(NavItem(_l("Satisfaction surveys"), "surveys.index", "service", None, 50,
                             icon="clipboard-check"))
    return items


@hookimpl
def dashboard_widgets(user, estates):
    from core.permissions import has_permission
    from plugins.surveys import stats
    from plugins.surveys.labels import AREA_LABELS

    if not estates or not has_permission("surveys.view", user):
        return []
    tr = stats.trend(list(estates), last=6)
    return [Widget("surveys-trend", _l("Satisfaction index by period"), "surveys/widget.html",
                   {"trend": tr, "datasets": stats.chart_datasets(tr, AREA_LABELS, _l("Overall"))},
                   "surveys.view", sequence=50, width=6)]


@hookimpl
def unit_panels(unit, user):
    from sqlalchemy import select

    from core.extensions import db
    from plugins.surveys.labels import METHOD_LABELS
    from plugins.surveys.models import Response

    rows = db.session.scalars(select(Response).where(
        Response.unit_id == unit.id, Response.estate_id == unit.estate_id)
        .order_by(Response.answered_on.desc()).limit(10)).all()
    return [Panel("surveys-unit", _l("Satisfaction survey responses"), "surveys/panel.html",
                  {"responses": rows, "methods": METHOD_LABELS}, "surveys.view", sequence=50)]


@hookimpl
def search(query, user, estates, limit):
    from sqlalchemy import or_, select

    from core.hooks import _like
    from core.models import Unit
    from core.permissions import has_permission
    from core.ui import search_records
    from plugins.surveys.models import Response, Survey

    if not estates or not has_permission("surveys.view", user):
        return []
    pat = _like(query)
    surveys = search_records(select(Survey).where(
        Survey.estate_id.in_(estates), or_(Survey.title.like(pat, escape="\\"), Survey.period.like(pat, escape="\\")))
        .order_by(Survey.start_date.desc()).limit(limit))
    hits = [SearchHit(_l("Satisfaction survey"), f"{s.period} {s.title}",
                      url_for("surveys.detail", survey_id=s.id), "", s.estate_id) for s in surveys]
    units = select(Unit.id).where(Unit.estate_id.in_(estates), Unit.number == query)
    responses = search_records(select(Response).where(
        Response.estate_id.in_(estates), Response.voided_at.is_(None),
        or_(Response.unit_id.in_(units), Response.respondent == query))
        .order_by(Response.answered_on.desc()).limit(max(0, limit - len(hits))))
    hits += [SearchHit(_l("Survey response"), f"{r.survey.period} · {r.unit.number if r.unit else r.respondent}",
                       url_for("surveys.responses", survey_id=r.survey_id), r.respondent, r.estate_id)
             for r in responses]
    return hits


@hookimpl
def demo_data(estate, users):
    from plugins.surveys.demo import load

    load(estate, users)
