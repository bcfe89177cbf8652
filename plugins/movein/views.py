"""Move-in and move-out pages: the case list, a case (checklist, acceptance inspection, keys),
the printed form and move-out slip, the estate's handover campaign.

Every read is scoped to the user's estates (another estate's case answers 404); every change
goes through :mod:`plugins.movein.services` via :func:`core.actions.record_action`.
"""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import exists, func, or_, select

from core.actions import Once, record_action
from core.extensions import db
from core.listing import Column, ListPage
from core.listing import like_pattern as _like
from core.models import Estate, Unit
from core.permissions import require
from core.plugins import is_enabled
from core.security import current_estate_ids, get_scoped_or_404, scoped, user_estate_ids
from core.views.estates import estate_choices
from plugins.movein import services
from plugins.movein.forms import (
    ELEMENT_LABELS,
    ITEM_LABELS,
    KIND_LABELS,
    REPAIR_STATE_LABELS,
    ROOM_LABELS,
    STATE_LABELS,
    CancelForm,
    CaseFilter,
    CaseForm,
    CheckForm,
    EmptyForm,
    FixedForm,
    HandoverForm,
    TickForm,
)
from plugins.movein.models import KINDS, STATES, MoveinCase, MoveinCheck

bp = Blueprint("movein", __name__, template_folder="templates")

LABELS = dict(kinds=KIND_LABELS, states=STATE_LABELS, items=ITEM_LABELS, rooms=ROOM_LABELS,
              elements=ELEMENT_LABELS, repair_states=REPAIR_STATE_LABELS)


def _open_defect_clause():
    """Cases with a defect still open: no repair and not put right, or a repair not yet done."""
    return exists().where(MoveinCheck.case_id == MoveinCase.id, MoveinCheck.ok.is_(False), or_(
        (MoveinCheck.repair_number == "") & MoveinCheck.fixed_at.is_(None),
        (MoveinCheck.repair_number != "") & MoveinCheck.repair_state.not_in(("completed", "closed"))))


def filtered_cases(filters: CaseFilter):
    stmt = scoped(MoveinCase, estate_ids=current_estate_ids())
    if filters.q.data:
        pat = _like(filters.q.data.strip())
        units = select(Unit.id).where(Unit.estate_id.in_(current_estate_ids() or [0]),
                                      Unit.number.like(pat, escape="\\"))
        stmt = stmt.where(or_(MoveinCase.number.like(pat, escape="\\"), MoveinCase.unit_id.in_(units),
                              MoveinCase.owner_name.like(pat, escape="\\")))
    if filters.kind.data in KINDS:
        stmt = stmt.where(MoveinCase.kind == filters.kind.data)
    if filters.state.data in STATES:
        stmt = stmt.where(MoveinCase.state == filters.state.data)
    if filters.defects.data == "1":
        stmt = stmt.where(_open_defect_clause())
    return stmt


def _progress(case: MoveinCase) -> str:
    return f"{sum(1 for i in case.items if i.done_at)}/{len(case.items)}"


@bp.route("/")
@require("movein.view")
def index():
    filters = CaseFilter(request.args)
    page = ListPage(filtered_cases(filters), [
        Column("number", _l("Number"), lambda c: c.number, MoveinCase.number,
               link=lambda c: url_for("movein.detail", case_id=c.id)),
        Column("kind", _l("Move-in or move-out"), lambda c: KIND_LABELS.get(c.kind, c.kind), MoveinCase.kind),
        Column("unit", _l("Unit"), lambda c: c.unit.number, MoveinCase.unit_id),
        Column("owner", _l("Owner"), lambda c: c.owner_name, MoveinCase.owner_name),
        Column("opened", _l("Opened at"), lambda c: c.opened_at, MoveinCase.opened_at, fmt="datetime"),
        Column("progress", _l("Checklist"), _progress),
        Column("defects", _l("Open defects"), lambda c: len(services.open_defects(c)), fmt="number"),
        Column("state", _l("State"), lambda c: STATE_LABELS.get(c.state, c.state), MoveinCase.state),
        Column("completed", _l("Completed at"), lambda c: c.completed_at, MoveinCase.completed_at, fmt="datetime"),
        Column("estate", _l("Estate"), lambda c: c.estate.name, MoveinCase.estate_id),
    ], "-opened", _("Move-in and move-out cases"), "movein-cases")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("movein/index.html", page=page, result=page.page(), filters=filters)


def _new_page(form, status=200):
    return render_template("movein/form.html", form=form), status


@bp.route("/new", methods=["GET", "POST"])
@require("movein.handle")
def new():
    form = CaseForm() if request.method == "POST" else CaseForm(formdata=None)
    form.estate_id.choices = estate_choices()
    if request.method == "GET":
        unit_id = request.args.get("unit_id", type=int)
        unit = get_scoped_or_404(Unit, unit_id) if unit_id else None
        form.estate_id.data = unit.estate_id if unit else (current_estate_ids() or [0])[0]
        form.unit_number.data = unit.number if unit else ""
        form.kind.data = request.args.get("kind") if request.args.get("kind") in KINDS else "in"
        return _new_page(form)
    made = {}

    def act():
        made["c"] = services.open_case(
            current_user, estate_id=form.estate_id.data, unit_number=form.unit_number.data, kind=form.kind.data,
            owner_name=form.owner_name.data, owner_phone=form.owner_phone.data or "",
            owner_id_number=form.owner_id_number.data or "", note=form.note.data or "")
        return _("Case %(number)s opened for unit %(unit)s.", number=made["c"].number, unit=made["c"].unit.number)

    def target(case_id):
        return url_for("movein.detail", case_id=case_id)

    return record_action(form, act, redirect_to=lambda: target(made["c"].id), rerender=lambda f: _new_page(f, 422),
                         once=Once("movein_case", lambda: made["c"].id, target,
                                   form.estate_id.data if form.estate_id.data in user_estate_ids() else None))


def _detail(case_id, status=200, **forms):
    case = get_scoped_or_404(MoveinCase, case_id)
    from core.attachments import attachments_of

    photos = {c.id: attachments_of(c) for c in case.checks if not c.ok}
    forms.setdefault("check_form", CheckForm(formdata=None))
    if not is_enabled("fees") and "confirmed" in forms["check_form"]:
        del forms["check_form"].confirmed  # only fees checks a figure against the previous one
    forms.setdefault("tick_form", TickForm(formdata=None))
    forms.setdefault("handover_form", HandoverForm(formdata=None))
    forms.setdefault("cancel_form", CancelForm(formdata=None))
    forms.setdefault("empty_form", EmptyForm(formdata=None))
    keys_on_board = []
    if is_enabled("keys") and case.kind == "in":
        from plugins.keys import services as keys

        keys_on_board = keys.keys_on_board(case.unit_id)
    return render_template("movein/detail.html", case=case, photos=photos, label=services.item_label,
                           live_states=services.repair_states(current_user, case),
                           fees_enabled=is_enabled("fees"),
                           open_defects=services.open_defects(case), keys_enabled=is_enabled("keys"),
                           repairs_enabled=is_enabled("repairs"), keys_on_board=keys_on_board,
                           **forms, **LABELS), status


def _back(case_id):
    return url_for("movein.detail", case_id=case_id)


@bp.route("/<int:case_id>/tick", methods=["POST"])
@require("movein.handle")
def tick(case_id):
    """Tick one item (``item_id`` in the form): the case in the URL scopes it to the user's estates."""
    case = get_scoped_or_404(MoveinCase, case_id)
    form = TickForm()
    item = next((i for i in case.items if i.id == form.item_id.data), None)
    if item is None:
        abort(404)

    def act():
        services.tick(current_user, case, item, form.note.data or "")
        done = _("Ticked: %(item)s.", item=services.item_label(item))
        return f"{done} {item.note}" if item.code == "deposits" and item.note else done

    return record_action(form, act, redirect_to=_back(case_id), flash_unplaced=True,
                         rerender=lambda f: _detail(case_id, 422, tick_form=f))


@bp.route("/<int:case_id>/checks", methods=["POST"])
@require("movein.handle")
def add_check(case_id):
    case = get_scoped_or_404(MoveinCase, case_id)
    form = CheckForm()
    made = {}

    def act():
        made["c"] = check = services.add_check(current_user, case, room=form.room.data, element=form.element.data,
                                   ok=form.result.data == "ok", defect=form.defect.data or "",
                                   reading=form.reading.data or "", photos=request.files.getlist("photos"),
                                   confirmed=bool(form.confirmed.data))
        if check.repair_number:
            return _("Defect recorded: repair %(number)s.", number=check.repair_number)
        if not check.ok:
            return _("Defect recorded: follow it up by hand.")
        return _("Checked: OK.") + (" " + check.fees_note if check.fees_note else "")

    # A line sent twice (a double click) is recorded once: a defect must not become two repairs.
    return record_action(form, act, redirect_to=_back(case_id), flash_unplaced=True,
                         rerender=lambda f: _detail(case_id, 422, check_form=f),
                         once=Once("movein_check", lambda: made["c"].id, lambda _id: _back(case_id), case.estate_id))


@bp.route("/<int:case_id>/fixed", methods=["POST"])
@require("movein.handle")
def fixed(case_id):
    """A defect followed up by hand is put right (``check_id`` in the form, a line of this case)."""
    case = get_scoped_or_404(MoveinCase, case_id)
    form = FixedForm()
    check = next((c for c in case.checks if c.id == form.check_id.data), None)
    if check is None:
        abort(404)

    def act():
        services.mark_fixed(current_user, check)
        return _("Defect put right.")

    return record_action(form, act, redirect_to=_back(case_id), flash_unplaced=True,
                         rerender=lambda f: _detail(case_id, 422))


@bp.route("/<int:case_id>/keys", methods=["POST"])
@require("movein.handle")
def hand_over(case_id):
    case = get_scoped_or_404(MoveinCase, case_id)
    form = HandoverForm()

    def act():
        h = services.hand_over_keys(current_user, case, note=form.note.data or "")
        return _("Keys handed over (%(number)s): print the receipt for the owner to sign.", number=h.number)

    return record_action(form, act, redirect_to=_back(case_id), flash_unplaced=True,
                         rerender=lambda f: _detail(case_id, 422, handover_form=f))


@bp.route("/<int:case_id>/complete", methods=["POST"])
@require("movein.handle")
def complete(case_id):
    case = get_scoped_or_404(MoveinCase, case_id)
    form = EmptyForm()

    def act():
        services.complete(current_user, case)
        return _("Case %(number)s completed.", number=case.number)

    return record_action(form, act, redirect_to=_back(case_id), flash_unplaced=True,
                         rerender=lambda f: _detail(case_id, 422))


@bp.route("/<int:case_id>/cancel", methods=["POST"])
@require("movein.handle")
def cancel(case_id):
    case = get_scoped_or_404(MoveinCase, case_id)
    form = CancelForm()

    def act():
        services.cancel(current_user, case, form.reason.data)
        left = services.done_elsewhere(case)
        if left:
            return _("Case %(number)s cancelled. Done before and not undone (put it back by hand where it must "
                     "be): %(items)s.", number=case.number, items="; ".join(left))
        return _("Case %(number)s cancelled.", number=case.number)

    return record_action(form, act, redirect_to=_back(case_id), flash_unplaced=True,
                         rerender=lambda f: _detail(case_id, 422, cancel_form=f))


@bp.route("/<int:case_id>")
@require("movein.view")
def detail(case_id):
    return _detail(case_id)


@bp.route("/<int:case_id>/print")
@require("movein.view")
def print_case(case_id):
    case = get_scoped_or_404(MoveinCase, case_id)
    return render_template("movein/print.html", case=case, label=services.item_label,
                           live_states=services.repair_states(current_user, case),
                           open_defects=services.open_defects(case), **LABELS)


# -- the handover campaign ------------------------------------------------------------------
def campaign_figures(estate_id: int, weeks: int = 8) -> dict:
    """Units, move-ins completed, open, with open defects; completions per week (estate time)."""
    estate = db.session.get(Estate, estate_id)
    units = db.session.scalar(select(func.count()).select_from(Unit).where(Unit.estate_id == estate_id))
    base = select(func.count()).select_from(MoveinCase).where(MoveinCase.estate_id == estate_id,
                                                              MoveinCase.kind == "in")
    done = db.session.scalar(base.where(MoveinCase.state == "completed"))
    open_ = db.session.scalar(base.where(MoveinCase.state == "open"))
    defects = db.session.scalar(base.where(MoveinCase.state != "cancelled", _open_defect_clause()))
    today = services.local_today(estate)
    monday = today - timedelta(days=today.weekday())
    starts = [monday - timedelta(weeks=w) for w in range(weeks - 1, -1, -1)]
    from zoneinfo import ZoneInfo

    tz = ZoneInfo(estate.timezone or "Asia/Shanghai")
    counts = dict.fromkeys(starts, 0)
    rows = db.session.scalars(select(MoveinCase.completed_at).where(
        MoveinCase.estate_id == estate_id, MoveinCase.kind == "in", MoveinCase.state == "completed")).all()
    for at in rows:
        day = at.astimezone(tz).date()
        week = day - timedelta(days=day.weekday())
        if week in counts:
            counts[week] += 1
    top = max(counts.values() or [0]) or 1
    return {"estate": estate, "units": units, "done": done, "open": open_, "defects": defects,
            "pending": max(units - done, 0),
            "weeks": [(w, n, round(100 * n / top)) for w, n in counts.items()]}


@bp.route("/campaign")
@require("movein.view")
def campaign():
    ids = current_estate_ids()
    return render_template("movein/campaign.html", figures=[campaign_figures(i) for i in ids])
