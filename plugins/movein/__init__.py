"""Move-in and move-out (入住/迁出): the formalities checklist per estate, the house acceptance
inspection (《房屋验收表》) with defects sent to repairs, owner keys handed over through keys,
move-out with the occupancy ended in the core, and the estate's handover campaign. See README.md.
"""

from flask_babel import lazy_gettext as _l

from core import hookimpl
from core.permissions import Permission
from core.ui import NavItem, Panel, Widget


@hookimpl
def permissions():
    return [
        Permission("movein.view", _l("See move-in and move-out cases and the handover campaign"),
                   ("manager", "supervisor", "clerk", "frontdesk", "archivist")),
        Permission("movein.handle", _l("Open move-in and move-out cases, tick the checklist, record the inspection"),
                   ("supervisor", "clerk", "frontdesk")),
        Permission("movein.manage", _l("Choose the estate's move-in and move-out checklists"),
                   ("manager", "supervisor")),
    ]


@hookimpl
def blueprints():
    from plugins.movein.views import bp

    return [bp]


@hookimpl
def settings_spec():
    from core.settings import SettingsSpec
    from plugins.movein.forms import SettingsForm
    from plugins.movein.services import DEFAULTS, NAMESPACE

    return [SettingsSpec(NAMESPACE, _l("Move-in and move-out checklists"), SettingsForm, dict(DEFAULTS),
                         scope="estate", permission="movein.manage")]


@hookimpl
def nav_items(user, estates):
    from core.permissions import has_permission
    from plugins.movein.services import open_count_query

    badge = open_count_query(estates) if has_permission("movein.view", user) else None
    return [NavItem(_l("Move-in and move-out"), "movein.index", "operations", "movein.view", 60, badge=badge,
                    icon="house-check")]


@hookimpl
def dashboard_widgets(user, estates):
    from sqlalchemy import func, select

    from core.extensions import db
    from plugins.movein.models import MoveinCase
    from plugins.movein.services import open_count_query
    from plugins.movein.views import _open_defect_clause

    ids = estates or [0]
    open_ = db.session.scalar(open_count_query(ids))
    defects = db.session.scalar(select(func.count()).select_from(MoveinCase).where(
        MoveinCase.estate_id.in_(ids), MoveinCase.state != "cancelled", _open_defect_clause()))
    return [Widget("movein-open", _l("Move-in and move-out"), "movein/widget.html",
                   {"open": open_, "defects": defects}, "movein.view", sequence=65, width=4)]


@hookimpl
def unit_panels(unit, user):
    from sqlalchemy import select

    from core.extensions import db
    from plugins.movein.forms import KIND_LABELS, STATE_LABELS
    from plugins.movein.models import MoveinCase

    cases = db.session.scalars(select(MoveinCase).where(MoveinCase.unit_id == unit.id,
                                                        MoveinCase.estate_id == unit.estate_id)
                               .order_by(MoveinCase.opened_at.desc()).limit(10)).all()
    return [Panel("movein-unit", _l("Move-in and move-out"), "movein/panel.html",
                  {"cases": cases, "kinds": KIND_LABELS, "states": STATE_LABELS, "unit_id": unit.id,
                   "open_case": any(c.state == "open" for c in cases)}, "movein.view", sequence=65)]


@hookimpl(optionalhook=True)
def keys_handed_over(handover):
    """The keys plugin handed a unit's owner keys over for one of our cases: tick and link it."""
    from plugins.movein.services import on_keys_handed_over

    on_keys_handed_over(handover)


@hookimpl(optionalhook=True)
def repairs_completed(repair):
    from plugins.movein.services import on_repair_changed

    on_repair_changed(repair)


@hookimpl(optionalhook=True)
def repairs_reopened(repair, reason):
    from plugins.movein.services import on_repair_changed

    on_repair_changed(repair)


@hookimpl
def demo_data(estate, users):
    from plugins.movein.demo import load

    load(estate, users)
