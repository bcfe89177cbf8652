"""Archives (档案管理): files per estate, their contents log, viewing and borrowing on the
office manager's approval, a superior's inspection, the inspection plan, and the access log of
confidential files. A file is out to one borrower at a time (a partial unique index). Other
plugins file documents through :func:`plugins.archives.services.file_document`. See README.md.
"""

from flask_babel import lazy_gettext as _l

from core import hookimpl
from core.permissions import Permission
from core.ui import NavItem, Panel, SearchHit, Widget

_OFFICE = ("manager", "supervisor", "clerk", "frontdesk", "archivist")


@hookimpl
def permissions():
    return [
        Permission("archives.view", _l("See the archive register, file pages and the loan register"), _OFFICE),
        Permission("archives.request", _l("Ask to view or borrow an archive file"), _OFFICE),
        Permission("archives.manage", _l("Keep the archive: open files, record documents, hand out and take "
                                         "back files, record inspections and checks"), ("supervisor", "archivist")),
        Permission("archives.approve", _l("Approve or refuse requests to view or borrow archive files"),
                   ("manager",)),
    ]


@hookimpl
def blueprints():
    from plugins.archives.views import bp

    return [bp]


@hookimpl
def nav_items(user, estates):
    from core.permissions import has_permission
    from plugins.archives.services import overdue_count_query

    badge = overdue_count_query(estates) if has_permission("archives.view", user) else None
    return [
        NavItem(_l("Archives"), "archives.index", "records", "archives.view", 40, badge=badge, icon="archive"),
        NavItem(_l("File loans"), "archives.loans", "records", "archives.view", 41, icon="journal-arrow-up"),
    ]


@hookimpl
def dashboard_widgets(user, estates):
    from sqlalchemy import func, select

    from core.extensions import db
    from core.i18n import today_local
    from core.models import Estate
    from plugins.archives.models import ArchiveLoan
    from plugins.archives.services import overdue_count, overdue_filter, plan_status

    ids = estates or [0]
    out = db.session.scalar(select(func.count()).select_from(ArchiveLoan).where(
        ArchiveLoan.estate_id.in_(ids), ArchiveLoan.state == "out"))
    pending = db.session.scalar(select(func.count()).select_from(ArchiveLoan).where(
        ArchiveLoan.estate_id.in_(ids), ArchiveLoan.state == "pending"))
    late = db.session.scalars(select(ArchiveLoan).where(ArchiveLoan.estate_id.in_(ids), overdue_filter())
                              .order_by(ArchiveLoan.due_at).limit(5)).all()
    today = today_local()
    behind = [(db.session.get(Estate, e), s) for e in (estates or []) if (s := plan_status(e, today))["behind"]]
    return [Widget("archives-out", _l("Archives"), "archives/widget.html",
                   {"out": out, "pending": pending, "overdue": overdue_count(estates), "late": late,
                    "behind": behind}, "archives.view", sequence=62, width=4)]


@hookimpl
def unit_panels(unit, user):
    from sqlalchemy import select

    from core.extensions import db
    from plugins.archives.forms import KIND_LABELS, LEVEL_LABELS
    from plugins.archives.models import ArchiveFile

    files = db.session.scalars(select(ArchiveFile).where(ArchiveFile.unit_id == unit.id,
                                                         ArchiveFile.estate_id == unit.estate_id)
                               .order_by(ArchiveFile.number)).all()
    return [Panel("archives-unit", _l("Archive files"), "archives/panel.html",
                  {"files": files, "kinds": KIND_LABELS, "levels": LEVEL_LABELS, "unit_number": unit.number},
                  "archives.view", sequence=62)]


@hookimpl
def search(query, user, estates, limit):
    from flask import url_for
    from sqlalchemy import or_, select

    from core.permissions import has_permission
    from core.ui import search_records
    from plugins.archives.forms import KIND_LABELS
    from plugins.archives.models import ArchiveFile

    if not estates or not has_permission("archives.view", user):
        return []
    rows = search_records(select(ArchiveFile).where(
        ArchiveFile.estate_id.in_(estates),
        or_(ArchiveFile.number == query, ArchiveFile.number.startswith(query, autoescape=True),
            ArchiveFile.title.contains(query, autoescape=True)))
        .order_by(ArchiveFile.number).limit(limit))
    return [SearchHit(_l("Archive file"), f"{f.number} {f.title}", url_for("archives.detail", file_id=f.id),
                      " · ".join(str(x) for x in (KIND_LABELS.get(f.kind, f.kind), f.location) if x), f.estate_id)
            for f in rows]


@hookimpl
def record_rules(user):
    """Archive scans are served only by the archives pages (which check the level and log each
    view of a confidential file): the core's /attachments/ route does not find them."""
    from core.attachments import Attachment

    return {Attachment: [Attachment.owner_table.not_in(("archives_entry", "archives_file"))]}


@hookimpl
def settings_spec():
    from core.settings import SettingsSpec
    from plugins.archives.forms import ArchivesSettingsForm

    return [SettingsSpec("archives", _l("Archives"), ArchivesSettingsForm, {"checks_per_year": 2}, scope="estate")]


@hookimpl
def scheduled_jobs():
    from datetime import timedelta

    from core.jobs import Job
    from plugins.archives.jobs import notify_overdue

    return [Job("archives.notify_overdue", _l("Tell the archivist and the office manager about overdue files"),
                timedelta(minutes=30), notify_overdue)]


@hookimpl
def demo_data(estate, users):
    from plugins.archives.demo import load

    load(estate, users)
