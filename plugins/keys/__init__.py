"""Key custody (钥匙管理): the key register, designated keepers and the loan register.

Only a designated keeper lends and takes back; every loan has a borrower and a reason on
record; an emergency spare set needs a supervisor's recorded approval first; a key is out
at most once at a time (a partial unique index). See README.md.
"""

from flask_babel import lazy_gettext as _l

from core import hookimpl
from core.permissions import Permission
from core.ui import NavItem, Panel, SearchHit, Widget


@hookimpl
def permissions():
    return [
        Permission("keys.view", _l("See the key register and the loan register"),
                   ("manager", "supervisor", "clerk", "frontdesk", "archivist")),
        Permission("keys.lend", _l("Lend and take back keys (designated keepers only)"),
                   ("supervisor", "clerk", "frontdesk")),
        Permission("keys.manage", _l("Add and edit keys, record lost, damaged and re-cut keys"),
                   ("manager", "supervisor")),
        Permission("keys.approve", _l("Designate key keepers and approve emergency spare loans"),
                   ("manager", "supervisor")),
    ]


@hookimpl
def blueprints():
    from plugins.keys.views import bp

    return [bp]


@hookimpl
def nav_items(user, estates):
    from core.permissions import has_permission
    from plugins.keys.services import overdue_count_query

    badge = overdue_count_query(estates) if has_permission("keys.view", user) else None
    return [
        NavItem(_l("Keys"), "keys.index", "records", "keys.view", 30, badge=badge, icon="key"),
        NavItem(_l("Key loans"), "keys.loans", "records", "keys.view", 31, icon="journal-arrow-up"),
    ]


@hookimpl
def dashboard_widgets(user, estates):
    from sqlalchemy import func, select

    from core.extensions import db
    from plugins.keys.models import KeyLoan
    from plugins.keys.services import overdue_count, overdue_filter

    ids = estates or [0]
    out = db.session.scalar(select(func.count()).select_from(KeyLoan).where(
        KeyLoan.estate_id.in_(ids), KeyLoan.returned_at.is_(None)))
    late = db.session.scalars(select(KeyLoan).where(KeyLoan.estate_id.in_(ids), overdue_filter())
                              .order_by(KeyLoan.expected_return).limit(5)).all()
    return [Widget("keys-out", _l("Keys out"), "keys/widget.html",
                   {"out": out, "overdue": overdue_count(estates), "late": late}, "keys.view", sequence=60, width=4)]


@hookimpl
def unit_panels(unit, user):
    from plugins.keys.forms import KIND_LABELS, STATE_LABELS
    from plugins.keys.services import unit_keys

    keys = unit_keys(unit.id, unit.estate_id)
    return [Panel("keys-unit", _l("Keys"), "keys/panel.html", {"keys": keys, "kinds": KIND_LABELS,
                                                                "states": STATE_LABELS, "unit_id": unit.id}, "keys.view", sequence=60)]


@hookimpl
def search(query, user, estates, limit):
    from flask import url_for
    from sqlalchemy import or_, select

    from core.models import Unit
    from core.permissions import has_permission
    from core.ui import search_records
    from plugins.keys.forms import KIND_LABELS
    from plugins.keys.models import Key
    from plugins.keys.views import where

    if not estates or not has_permission("keys.view", user):
        return []
    units = select(Unit.id).where(Unit.estate_id.in_(estates), Unit.number == query)
    rows = search_records(select(Key).where(
        Key.estate_id.in_(estates), or_(Key.tag == query, Key.tag.startswith(query, autoescape=True),
                                        Key.unit_id.in_(units)))
        .order_by(Key.tag).limit(limit))
    return [SearchHit(_l("Key"), f"{k.tag} {KIND_LABELS.get(k.kind, k.kind)}", url_for("keys.detail", key_id=k.id),
                      " · ".join(x for x in (where(k), k.position) if x), k.estate_id) for k in rows]


@hookimpl
def scheduled_jobs():
    from datetime import timedelta

    from core.jobs import Job
    from plugins.keys.jobs import notify_overdue

    return [Job("keys.notify_overdue", _l("Tell keepers and supervisors about overdue key loans"),
                timedelta(minutes=15), notify_overdue)]


@hookimpl
def demo_data(estate, users):
    from plugins.keys.demo import load

    load(estate, users)


@hookimpl(optionalhook=True)
def meetings_open_matters(user, estate_id):
    """The estate's keys out on loan, offered to a shift handover (meetings plugin)."""
    from flask import url_for
    from flask_babel import gettext as _
    from sqlalchemy import select

    from core.extensions import db
    from core.i18n import fmt_datetime
    from core.permissions import has_permission
    from plugins.keys.models import KeyLoan

    if not has_permission("keys.view", user):
        return []
    loans = db.session.scalars(select(KeyLoan).where(KeyLoan.estate_id == estate_id, KeyLoan.returned_at.is_(None))
                               .order_by(KeyLoan.lent_at.desc()).limit(200)).all()
    return [{"reference": f"KEYLOAN-{loan.id}", "kind": _("Key"), "url": url_for("keys.detail", key_id=loan.key_id),
             "label": " · ".join((loan.key.tag, loan.borrower_name, fmt_datetime(loan.expected_return)))}
            for loan in loans]
