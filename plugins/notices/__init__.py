"""Notices plugin: notices to residents, printed, posted and filed (002 篇3: 通知的打印、发放和存档).

Shows how a plugin uses every core hook; ``docs/writing-plugins.md`` walks
through a third-party plugin built the same way.
"""

from datetime import timedelta

from flask import url_for
from flask_babel import lazy_gettext as _l

from core import hookimpl
from core.permissions import Permission
from core.ui import NavItem, Panel, SearchHit, Widget


@hookimpl
def permissions():
    return [
        Permission("notices.view", _l("See notices"),
                   ("manager", "supervisor", "clerk", "frontdesk", "cashier", "archivist", "technician", "cleaning")),
        Permission("notices.edit", _l("Draft notices"), ("manager", "supervisor", "clerk", "frontdesk")),
        Permission("notices.publish", _l("Publish and withdraw notices"), ("manager", "supervisor")),
    ]


@hookimpl
def blueprints():
    from plugins.notices.views import bp

    return [bp]


def _in_effect(estates):
    from core.i18n import today_local
    from plugins.notices.services import in_effect_for

    return in_effect_for(estates, today_local())


@hookimpl
def nav_items(user, estates):
    return [NavItem(_l("Notices"), "notices.index", "service", "notices.view", 80, icon="megaphone")]


@hookimpl
def dashboard_widgets(user, estates):
    return [Widget("notices-current", _l("Notices posted now"), "notices/widget.html",
                   {"notices": _in_effect(estates)[:6]}, "notices.view", sequence=60, width=4)]


@hookimpl
def unit_panels(unit, user):
    from core.i18n import today_local
    from plugins.notices.services import in_effect_for

    notices = in_effect_for([unit.estate_id], today_local(), unit.building.code)
    return [Panel("notices-unit", _l("Notices for this building"), "notices/panel.html",
                  {"notices": notices}, "notices.view", sequence=80)]


@hookimpl
def search(query, user, estates, limit):
    from sqlalchemy import select

    from core.hooks import _like
    from core.permissions import has_permission
    from core.ui import search_records
    from plugins.notices.models import Notice

    if not estates or not has_permission("notices.view", user):
        return []
    pat = _like(query)
    rows = search_records(
        select(Notice).where(Notice.estate_id.in_(estates),
                             Notice.number.like(pat, escape="\\") | Notice.title.like(pat, escape="\\"))
        .order_by(Notice.id.desc()).limit(limit)
    )
    return [SearchHit(_l("Notice"), f"{n.number or '—'} {n.title}",
                      url_for("notices.detail", notice_id=n.id), "", n.estate_id) for n in rows]


#: Stored as the reason of notices the job takes down; shown translated.
AUTO_WITHDRAWN = "posting period ended"
_l("posting period ended")  # for the catalog


def _withdraw_expired():
    """Take down the published notices whose last day is over in their estate's time zone
    (in Shanghai the 1st begins while it is still the last day of the month in UTC), each
    change written to the audit log."""
    from collections import defaultdict
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from flask import current_app
    from sqlalchemy import select, update

    from core.audit import record_sql_change
    from core.extensions import db
    from core.models import Estate
    from plugins.notices.models import Notice

    default = current_app.config["PROPDESK_DEFAULT_TIMEZONE"]
    by_zone: dict[str, list[int]] = defaultdict(list)
    for estate_id, tz in db.session.execute(select(Estate.id, Estate.timezone)).all():
        by_zone[tz or default].append(estate_id)
    taken = 0
    for tz, estate_ids in by_zone.items():
        today = datetime.now(ZoneInfo(tz)).date()
        rows = db.session.execute(
            update(Notice).where(Notice.state == "published", Notice.posted_until < today,
                                 Notice.estate_id.in_(estate_ids))
            .values(state="withdrawn", withdraw_reason=AUTO_WITHDRAWN)
            .returning(Notice.id, Notice.estate_id)).all()
        for notice_id, estate_id in rows:
            record_sql_change(Notice.__tablename__, notice_id, estate_id, {
                "state": ("published", "withdrawn"), "withdraw_reason": (None, str(AUTO_WITHDRAWN))})
        taken += len(rows)
    return f"{taken} notices taken down"


@hookimpl
def scheduled_jobs():
    from core.jobs import Job

    return [Job("notices.take_down", _l("Take down notices whose posting period ended"),
                timedelta(hours=6), _withdraw_expired)]


@hookimpl
def demo_data(estate, users):
    from datetime import date

    from core.audit import acting_as
    from core.demo import demo_text
    from core.extensions import db
    from plugins.notices import services

    with acting_as(users["manager"]):
        n = services.save_draft(
            users["manager"], None, estate_id=estate.id,
            title=demo_text("Water supply interruption", "停水通知"),
            body=demo_text("The water tanks are cleaned on Saturday 9:00–15:00: there is no water then. "
                           "Please store water beforehand.",
                           "因二次供水水箱清洗，本周六 9:00–15:00 停水，请提前储水。"),
            category="outage", buildings="", posted_from=date.today(),
            posted_until=date.today() + timedelta(days=7))
        db.session.flush()
        services.publish(users["manager"], n)
