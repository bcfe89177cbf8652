"""Shift pages: schedules (the calendar grid, versions, print, XLSX), patterns and posts, change and
leave requests with the supervisor's decision, attendance, "my schedule", monthly reports.

Every read is scoped to the user's estates (another estate's record answers 404); every change
goes through :mod:`plugins.shifts.services`.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from core.actions import record_action
from core.errors import DomainError
from core.extensions import db
from core.i18n import today_local
from core.listing import Column, ListPage, export_format, xlsx_bytes
from core.models import Estate, User, utcnow
from core.permissions import has_permission, require
from core.security import current_estate_ids, get_scoped_or_404, scoped, user_estate_ids
from core.views.estates import estate_choices
from plugins.shifts import services
from plugins.shifts.forms import (
    DECISION_LABELS,
    KIND_LABELS,
    LEAVE_LABELS,
    MARK_LABELS,
    REPORT_LABELS,
    REQUEST_LABELS,
    STATE_LABELS,
    WEEKDAYS,
    AttendanceFilter,
    ChangeForm,
    ClockForm,
    DecisionForm,
    FillForm,
    LeaveForm,
    MarkForm,
    NoteForm,
    PatternForm,
    PostForm,
    PublishForm,
    RequestFilter,
    RosterFilter,
    RosterForm,
)
from plugins.shifts.models import (
    AttendanceMark,
    AttendanceReport,
    ChangeRequest,
    LeaveRequest,
    ReportLine,
    Roster,
    RosterEntry,
    ShiftPattern,
    ShiftPost,
)

bp = Blueprint("shifts", __name__, template_folder="templates")

LABELS = dict(states=STATE_LABELS, kinds=KIND_LABELS, requests=REQUEST_LABELS, decisions=DECISION_LABELS,
              leave_kinds=LEAVE_LABELS, marks=MARK_LABELS, report_states=REPORT_LABELS, weekdays=WEEKDAYS)


def _back_with_errors(form, url):
    """A small form posted from a list (a decision, a report action): its errors flashed, back to the list."""
    for errors in (form.errors.values() if form is not None else []):
        for e in errors:
            flash(str(e), "danger")
    for e in getattr(form, "form_errors", []) or []:
        flash(str(e), "danger")
    return redirect(url)


def _first_estate() -> int:
    return (current_estate_ids() or [0])[0]


# -- schedules -------------------------------------------------------------------------------
@bp.route("/")
@require("shifts.view")
def index():
    filters = RosterFilter(request.args)
    stmt = scoped(Roster, estate_ids=current_estate_ids())
    if filters.kind.data in ("month", "holiday"):
        stmt = stmt.where(Roster.kind == filters.kind.data)
    if filters.state.data in STATE_LABELS:
        stmt = stmt.where(Roster.state == filters.state.data)
    page = ListPage(stmt, [
        Column("number", _l("Schedule"), services.roster_title, Roster.first_day,
               link=lambda r: url_for("shifts.roster", roster_id=r.id)),
        Column("version", _l("Version"), lambda r: r.version, Roster.version, fmt="number"),
        Column("state", _l("State"), lambda r: STATE_LABELS.get(r.state, r.state), Roster.state),
        Column("kind", _l("Kind"), lambda r: KIND_LABELS.get(r.kind, r.kind), Roster.kind),
        Column("first", _l("First day"), lambda r: r.first_day, Roster.first_day, fmt="date"),
        Column("last", _l("Last day"), lambda r: r.last_day, Roster.last_day, fmt="date"),
        Column("published", _l("Published at"), lambda r: r.published_at, Roster.published_at, fmt="datetime"),
        Column("note", _l("Note"), lambda r: r.note, css="wrap"),
        Column("estate", _l("Estate"), lambda r: r.estate.name, Roster.estate_id),
    ], "-first", _("Schedules"), "schedules")
    if fmt := page.wants_export():
        return page.export(fmt)
    pending = {
        "changes": len(db.session.scalars(scoped(ChangeRequest, estate_ids=current_estate_ids())
                                          .where(ChangeRequest.state == "pending")).all()),
        "leave": len(db.session.scalars(scoped(LeaveRequest, estate_ids=current_estate_ids())
                                        .where(LeaveRequest.state == "pending")).all()),
    }
    return render_template("shifts/index.html", page=page, result=page.page(), filters=filters, pending=pending)


@bp.route("/today")
@require("shifts.view")
def today():
    ids = current_estate_ids()
    if request.args.get("estate_id", "").isdigit() and int(request.args["estate_id"]) in ids:
        ids = [int(request.args["estate_id"])]
    now = utcnow()
    groups = []
    for estate_id in ids:
        estate = db.session.get(Estate, estate_id)
        day = services.estate_today(estate, now)
        groups.append((estate, day, [(e, e.starts_at <= now < e.ends_at) for e in services.on_duty(estate_id, day)]))
    return render_template("shifts/today.html", groups=groups)


def _roster_form_page(form, status=200):
    return render_template("shifts/form.html", form=form, title=_("New schedule"),
                           cancel=url_for("shifts.index")), status


@bp.route("/rosters/new", methods=["GET", "POST"])
@require("shifts.plan")
def new_roster():
    form = RosterForm()
    form.estate_id.choices = estate_choices()
    if request.method == "GET":
        form.estate_id.data = _first_estate()
        form.first_day.data = services.next_month(today_local())
        return _roster_form_page(form)
    made = {}

    def act():
        made["r"] = services.create_roster(current_user, estate_id=form.estate_id.data, kind=form.kind.data,
                                           first_day=form.first_day.data, last_day=form.last_day.data,
                                           title=form.title.data or "")
        return _("Draft %(title)s (version %(version)d) made: give each person a shift per day.",
                 title=services.roster_title(made["r"]), version=made["r"].version)

    return record_action(form, act, redirect_to=lambda: url_for("shifts.roster", roster_id=made["r"].id),
                         rerender=lambda f: _roster_form_page(f, 422))


def _grid(roster: Roster):
    """Rows of the calendar grid: each person with their cells by day."""
    days = services.days_of(roster.first_day, roster.last_day)
    cells: dict[int, dict[date, RosterEntry]] = {}
    for e in services.entries(roster):
        cells.setdefault(e.user_id, {})[e.day] = e
    people = {u.id: u for u in services.staff_of(roster.estate_id)}
    for uid in cells:  # someone who left stays on the versions they were in
        if uid not in people:
            people[uid] = db.session.get(User, uid)
    rows = sorted(people.values(), key=lambda u: (u.full_name, u.id))
    return days, rows, cells


def _roster_page(roster, status=200, values=None, error=None, fill_form=None, publish_form=None):
    days, people, cells = _grid(roster)
    editable = roster.state == "draft" and has_permission("shifts.plan")
    fill_form = fill_form or FillForm(prefix="fill", formdata=None)
    fill_form.user_id.choices = [(u.id, u.full_name) for u in people]
    pats = services.patterns(roster.estate_id, active_only=False)
    counts, posted = {}, {}
    for by_day in cells.values():
        for d, e in by_day.items():
            counts[(d, e.pattern_id)] = counts.get((d, e.pattern_id), 0) + 1
            if e.post_id is not None:
                posted[(d, e.post_id)] = posted.get((d, e.post_id), 0) + 1
    gaps = services.understaffed(roster)
    short = {}
    for g in gaps:  # the footer cell of a post on a day: which shifts are short
        short.setdefault((g["day"], g["post"].id), []).append(g)
    return render_template(
        "shifts/roster.html", roster=roster, title=services.roster_title(roster), days=days, people=people,
        cells=cells, patterns=pats, active_patterns=[p for p in pats if p.active], editable=editable,
        values=values or {}, error=error, fill_form=fill_form, note_form=publish_form or PublishForm(prefix="publish"),
        versions=services.versions(roster), counts=counts, today=services.estate_today(roster.estate),
        posts=services.posts(roster.estate_id), posted=posted, short=short, gaps=gaps,
        gaps_text=services.understaffed_text(gaps, limit=5) if gaps else "",
        **LABELS), status


def _grid_export(roster):
    if not has_permission("core.export"):
        abort(403)
    days, people, cells = _grid(roster)
    headers = [_("Member of staff")] + [f"{d.day} {WEEKDAYS[d.weekday()]}" for d in days]
    def cell(e):
        return f"{e.pattern.code} {e.post.name}" if e.post is not None else e.pattern.code

    rows = [[u.full_name] + [cell(cells[u.id][d]) if d in cells.get(u.id, {}) else "" for d in days] for u in people]
    rows.append([])
    for p in services.patterns(roster.estate_id, active_only=False):
        rows.append([p.code, p.name, f"{p.starts:%H:%M}–{p.ends:%H:%M}"])
    title = f"{services.roster_title(roster)} v{roster.version}"
    name = f"schedule-{roster.first_day:%Y-%m-%d}-v{roster.version}.xlsx"
    return Response(xlsx_bytes(title[:31], headers, rows),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def _parse_cells(roster, prefix: str = "c-") -> dict:
    """The grid's submitted cells ``c-<user id>-<YYYY-MM-DD>`` → pattern id or None (off), or with
    ``prefix="p-"`` the cells' posts → post id or None."""
    cells = {}
    for name, value in request.form.items():
        if not name.startswith(prefix):
            continue
        try:
            _c, uid, day = name.split("-", 2)
            key = (int(uid), date.fromisoformat(day))
            cells[key] = int(value) if value else None
        except ValueError as exc:
            raise DomainError(_("The grid was not sent whole: reload the page.")) from exc
        if abs(key[0]) > 2**31 or (cells[key] is not None and abs(cells[key]) > 2**31):
            raise DomainError(_("The grid was not sent whole: reload the page."))
    return cells


@bp.route("/rosters/<int:roster_id>", methods=["GET", "POST"])
@require("shifts.view")
def roster(roster_id):
    row = get_scoped_or_404(Roster, roster_id)
    if request.method == "GET":
        if export_format(("xlsx",)):
            return _grid_export(row)
        return _roster_page(row)
    if not has_permission("shifts.plan"):
        abort(403)
    values = {}
    try:
        cells = _parse_cells(row)
        posts_by_cell = _parse_cells(row, "p-")
        values = {f"c-{u}-{d.isoformat()}": v for (u, d), v in cells.items()}
        values.update({f"p-{u}-{d.isoformat()}": v for (u, d), v in posts_by_cell.items()})
        changed = services.set_cells(current_user, row, cells, posts_by_cell if posts_by_cell else None)
        db.session.commit()
    except DomainError as exc:
        db.session.rollback()
        return _roster_page(get_scoped_or_404(Roster, roster_id), 422, values=values, error=exc.message)
    flash(_("Schedule saved: %(num)d cells changed.", num=changed), "success")
    return redirect(url_for("shifts.roster", roster_id=roster_id))


@bp.route("/rosters/<int:roster_id>/fill", methods=["POST"])
@require("shifts.plan")
def fill(roster_id):
    row = get_scoped_or_404(Roster, roster_id)
    form = FillForm(prefix="fill")
    form.user_id.choices = [(u.id, u.full_name) for u in services.staff_of(row.estate_id)]

    def act():
        week = []
        for n in range(7):
            raw = request.form.get(f"fill-w{n}", "")
            week.append(int(raw) if raw.isdigit() and len(raw) < 10 else None)
        count = services.fill_week(current_user, get_scoped_or_404(Roster, roster_id), user_id=form.user_id.data,
                                   start=form.start.data, week=week, repeat=form.repeat.data)
        return _("Schedule saved: %(num)d cells changed.", num=count)

    return record_action(form, act, redirect_to=url_for("shifts.roster", roster_id=roster_id),
                         rerender=lambda f: _roster_page(get_scoped_or_404(Roster, roster_id), 422, fill_form=f))


@bp.route("/rosters/<int:roster_id>/publish", methods=["POST"])
@require("shifts.plan")
def publish(roster_id):
    row = get_scoped_or_404(Roster, roster_id)
    form = PublishForm(prefix="publish")

    def act():
        services.publish(current_user, row, note=form.note.data or "", understaffed_ok=form.understaffed_ok.data)
        return _("%(title)s published as version %(version)d.", title=services.roster_title(row), version=row.version)

    return record_action(form, act, redirect_to=url_for("shifts.roster", roster_id=roster_id), flash_unplaced=True,
                         rerender=lambda f: _roster_page(get_scoped_or_404(Roster, roster_id), 422, publish_form=f))


@bp.route("/rosters/<int:roster_id>/revise", methods=["POST"])
@require("shifts.plan")
def revise(roster_id):
    row = get_scoped_or_404(Roster, roster_id)
    made = {}

    def act():
        made["r"] = services.revise(current_user, row)
        return _("Version %(version)d is a draft: change it, then publish it.", version=made["r"].version)

    back = url_for("shifts.roster", roster_id=roster_id)
    return record_action(None, act, redirect_to=lambda: url_for("shifts.roster", roster_id=made["r"].id),
                         rerender=lambda _f: redirect(back), flash_unplaced=True)


@bp.route("/rosters/<int:roster_id>/print")
@require("shifts.view")
def roster_print(roster_id):
    row = get_scoped_or_404(Roster, roster_id)
    days, people, cells = _grid(row)
    return render_template("shifts/roster_print.html", roster=row, title=services.roster_title(row), days=days,
                           people=people, cells=cells, patterns=services.patterns(row.estate_id, active_only=False),
                           posts=services.posts(row.estate_id), **LABELS)


# -- patterns and posts ----------------------------------------------------------------------
def _setup_page(pattern_form, post_form, status=200):
    pats = db.session.scalars(scoped(ShiftPattern, estate_ids=current_estate_ids())
                              .order_by(ShiftPattern.estate_id, ShiftPattern.starts)).all()
    posts = db.session.scalars(scoped(ShiftPost, estate_ids=current_estate_ids())
                               .order_by(ShiftPost.estate_id, ShiftPost.name)).all()
    return render_template("shifts/patterns.html", patterns=pats, posts=posts, pattern_form=pattern_form,
                           post_form=post_form), status


def _setup_forms(pattern_form=None, post_form=None):
    pattern_form = pattern_form or PatternForm(prefix="pattern", formdata=None)
    post_form = post_form or PostForm(prefix="post", formdata=None)
    for f in (pattern_form, post_form):
        f.estate_id.choices = estate_choices()
        if f.estate_id.data is None:
            f.estate_id.data = _first_estate()
    return pattern_form, post_form


@bp.route("/patterns", methods=["GET", "POST"])
@require("shifts.view")
def patterns():
    if request.method == "GET":
        return _setup_page(*_setup_forms())
    if not has_permission("shifts.plan"):
        abort(403)
    form = PatternForm(prefix="pattern")
    form.estate_id.choices = estate_choices()

    def act():
        p = services.add_pattern(current_user, estate_id=form.estate_id.data, code=form.code.data,
                                 name=form.name.data, starts=form.starts.data, ends=form.ends.data)
        return _("Shift %(code)s added.", code=p.code)

    return record_action(form, act, redirect_to=url_for("shifts.patterns"),
                         rerender=lambda f: _setup_page(*_setup_forms(pattern_form=f), status=422))


@bp.route("/patterns/<int:pattern_id>/toggle", methods=["POST"])
@require("shifts.plan")
def toggle_pattern(pattern_id):
    row = get_scoped_or_404(ShiftPattern, pattern_id)

    def act():
        services.set_pattern_active(current_user, row, not row.active)
        return _("Shift %(code)s saved.", code=row.code)

    back = url_for("shifts.patterns")
    return record_action(None, act, redirect_to=back, rerender=lambda _f: redirect(back), flash_unplaced=True)


@bp.route("/posts", methods=["POST"])
@require("shifts.plan")
def posts():
    form = PostForm(prefix="post")
    form.estate_id.choices = estate_choices()

    def act():
        p = services.add_post(current_user, estate_id=form.estate_id.data, name=form.name.data,
                              staff_needed=form.staff_needed.data)
        return _("Post %(name)s added.", name=p.name)

    return record_action(form, act, redirect_to=url_for("shifts.patterns"),
                         rerender=lambda f: _setup_page(*_setup_forms(post_form=f), status=422))


# -- change requests -------------------------------------------------------------------------
def _published_choices():
    rows = db.session.scalars(select(Roster).where(Roster.estate_id.in_(user_estate_ids() or [0]),
                                                   Roster.state == "published")
                              .order_by(Roster.first_day.desc()).limit(12)).all()
    return [(r.id, f"{services.roster_title(r)} · {r.estate.name}") for r in rows]


def _change_form_page(form, status=200):
    return render_template("shifts/form.html", form=form, title=_("Ask for a swap or a change of shift"),
                           cancel=url_for("shifts.mine"),
                           hint=_("Changes need the supervisor's approval before the day.")), status


def _change_choices(form):
    form.roster_id.choices = _published_choices()
    ids = user_estate_ids() or [0]
    people = {}
    for estate_id in ids:
        for u in services.staff_of(estate_id):
            if u.id != current_user.id:
                people[u.id] = u.full_name
    form.other_user_id.choices = [(0, "—")] + sorted(people.items(), key=lambda x: x[1])
    pats = db.session.scalars(select(ShiftPattern).where(ShiftPattern.estate_id.in_(ids),
                                                         ShiftPattern.active.is_(True))
                              .order_by(ShiftPattern.estate_id, ShiftPattern.starts)).all()
    form.new_pattern_id.choices = [(0, "—")] + [(p.id, f"{p.code} {p.name} ({p.starts:%H:%M}–{p.ends:%H:%M})")
                                                for p in pats]


@bp.route("/changes/new", methods=["GET", "POST"])
@require("shifts.own")
def new_change():
    form = ChangeForm()
    _change_choices(form)
    if request.method == "GET":
        if request.args.get("roster_id", "").isdigit():
            form.roster_id.data = int(request.args["roster_id"])
        return _change_form_page(form)

    def act():
        ids = dict(form.roster_id.choices)
        if form.roster_id.data not in ids:
            raise DomainError(_("Choose a published schedule."), "roster_id")
        r = get_scoped_or_404(Roster, form.roster_id.data)
        req = services.request_change(current_user, r, kind=form.kind.data, day=form.day.data,
                                      reason=form.reason.data, other_user_id=form.other_user_id.data or None,
                                      other_day=form.other_day.data, new_pattern_id=form.new_pattern_id.data or None)
        return _("Request sent to the supervisor: %(what)s.", what=services.change_text(req))

    return record_action(form, act, redirect_to=url_for("shifts.mine"), rerender=lambda f: _change_form_page(f, 422))


def _requests_page(status=200):
    filters = RequestFilter(request.args)
    state = filters.state.data if filters.state.data in DECISION_LABELS else None
    changes = scoped(ChangeRequest, estate_ids=current_estate_ids())
    leave = scoped(LeaveRequest, estate_ids=current_estate_ids())
    if state:
        changes, leave = changes.where(ChangeRequest.state == state), leave.where(LeaveRequest.state == state)
    changes = db.session.scalars(changes.order_by(ChangeRequest.state != "pending", ChangeRequest.id.desc())
                                 .limit(200)).all()
    leave = db.session.scalars(leave.order_by(LeaveRequest.state != "pending", LeaveRequest.id.desc())
                               .limit(200)).all()
    return render_template("shifts/requests.html", changes=changes, leave=leave, filters=filters,
                           change_text=services.change_text, decision_form=DecisionForm(prefix="decision"),
                           **LABELS), status


@bp.route("/requests")
@require("shifts.view")
def requests():
    return _requests_page()


@bp.route("/changes/<int:change_id>/<any(approve, refuse):decision>", methods=["POST"])
@require("shifts.approve")
def decide_change(change_id, decision):
    req = get_scoped_or_404(ChangeRequest, change_id)
    form = DecisionForm(prefix="decision")

    def act():
        services.decide_change(current_user, req, approve=decision == "approve", note=form.note.data or "")
        if req.state == "approved":
            new = db.session.get(Roster, req.new_roster_id)
            return _("Change approved: the schedule is re-published as version %(version)d.", version=new.version)
        return _("Change refused.")

    back = url_for("shifts.requests")
    return record_action(form, act, redirect_to=back, flash_unplaced=True,
                         rerender=lambda f: _back_with_errors(f, back))


# -- leave -------------------------------------------------------------------------------------
def _leave_form_page(form, status=200):
    return render_template("shifts/form.html", form=form, title=_("Ask for leave or to leave the post"),
                           cancel=url_for("shifts.mine"),
                           hint=_("Leaving the post: one day, with the times you leave and are back.")), status


@bp.route("/leave/new", methods=["GET", "POST"])
@require("shifts.own")
def new_leave():
    form = LeaveForm()
    form.estate_id.choices = estate_choices()
    if request.method == "GET":
        form.estate_id.data = _first_estate()
        return _leave_form_page(form)

    def act():
        services.request_leave(current_user, estate_id=form.estate_id.data, kind=form.kind.data,
                               first_day=form.first_day.data, last_day=form.last_day.data, reason=form.reason.data,
                               leaves_at=form.leaves_at.data, back_at=form.back_at.data)
        return _("Request sent to the supervisor.")

    return record_action(form, act, redirect_to=url_for("shifts.mine"), rerender=lambda f: _leave_form_page(f, 422))


@bp.route("/leave/<int:leave_id>/<any(approve, refuse):decision>", methods=["POST"])
@require("shifts.approve")
def decide_leave(leave_id, decision):
    row = get_scoped_or_404(LeaveRequest, leave_id)
    form = DecisionForm(prefix="decision")

    def act():
        services.decide_leave(current_user, row, approve=decision == "approve", note=form.note.data or "")
        return _("Leave approved.") if decision == "approve" else _("Leave refused.")

    back = url_for("shifts.requests")
    return record_action(form, act, redirect_to=back, flash_unplaced=True,
                         rerender=lambda f: _back_with_errors(f, back))


# -- attendance --------------------------------------------------------------------------------
def _attendance_list(filters):
    today = today_local()
    first = filters.first.data or today - timedelta(days=30)
    last = filters.last.data or today
    stmt = scoped(AttendanceMark, estate_ids=current_estate_ids()).where(
        AttendanceMark.day >= first, AttendanceMark.day <= last)
    if filters.mark.data in MARK_LABELS:
        stmt = stmt.where(AttendanceMark.mark == filters.mark.data)
    return ListPage(stmt, [
        Column("day", _l("Day"), lambda m: m.day, AttendanceMark.day, fmt="date"),
        Column("name", _l("Member of staff"), lambda m: m.user.full_name, AttendanceMark.user_id, show="always"),
        Column("state", _l("Mark"), lambda m: MARK_LABELS.get(m.mark, m.mark), AttendanceMark.mark),
        Column("in", _l("Clocked in"), lambda m: m.clock_in, AttendanceMark.clock_in, fmt="datetime"),
        Column("out", _l("Clocked out"), lambda m: m.clock_out, AttendanceMark.clock_out, fmt="datetime"),
        Column("overtime", _l("Overtime hours"), lambda m: m.overtime_hours, AttendanceMark.overtime_hours,
               fmt="number"),
        Column("note", _l("Note"), lambda m: m.note, css="wrap"),
    ], "-day", _("Attendance"), "attendance")


def _attendance_page(mark_form=None, status=200):
    filters = AttendanceFilter(request.args)
    page = _attendance_list(filters)
    mark_form = mark_form or MarkForm(prefix="mark", formdata=None)
    people = {}
    for estate_id in current_estate_ids():
        people.update((u.id, u.full_name) for u in services.staff_of(estate_id))
    mark_form.user_id.choices = sorted(people.items(), key=lambda x: x[1])
    if mark_form.day.data is None:
        mark_form.day.data = today_local()
    return render_template("shifts/attendance.html", page=page, result=page.page(), filters=filters,
                           mark_form=mark_form), status


@bp.route("/attendance")
@require("shifts.view")
def attendance():
    filters = AttendanceFilter(request.args)
    page = _attendance_list(filters)
    if fmt := page.wants_export():
        return page.export(fmt)
    return _attendance_page()


@bp.route("/attendance/mark", methods=["POST"])
@require("shifts.plan")
def mark():
    form = MarkForm(prefix="mark")
    people = {}
    for estate_id in current_estate_ids():
        people.update((u.id, u.full_name) for u in services.staff_of(estate_id))
    form.user_id.choices = sorted(people.items(), key=lambda x: x[1])

    def act():
        estate_id = next((e for e in current_estate_ids()
                          if any(u.id == form.user_id.data for u in services.staff_of(e))), None)
        if estate_id is None:
            raise DomainError(_("Choose a member of this estate's staff."), "user_id")
        m = services.set_mark(current_user, estate_id=estate_id, user_id=form.user_id.data, day=form.day.data,
                              mark=form.mark.data, overtime_hours=form.overtime_hours.data, note=form.note.data or "")
        return _("%(name)s marked %(mark)s on %(day)s.", name=m.user.full_name, mark=MARK_LABELS[m.mark],
                 day=services.day_text(m.day))

    return record_action(form, act, redirect_to=url_for("shifts.attendance"),
                         rerender=lambda f: _attendance_page(f, 422))


@bp.route("/clock/<any(in, out):action>", methods=["POST"])
@require("shifts.own")
def clock(action):
    form = ClockForm()
    form.estate_id.choices = estate_choices()

    def act():
        fn = services.clock_in if action == "in" else services.clock_out
        m = fn(current_user, estate_id=form.estate_id.data)
        return _("Clocked in: %(mark)s.", mark=MARK_LABELS[m.mark]) if action == "in" else _("Clocked out.")

    back = url_for("shifts.mine")
    return record_action(form, act, redirect_to=back, flash_unplaced=True,
                         rerender=lambda f: _back_with_errors(f, back))


def _month_arg():
    raw = request.args.get("month", "")
    try:
        y, m = (int(x) for x in raw.split("-", 1))
        if 2000 <= y <= 2100 and 1 <= m <= 12:
            return date(y, m, 1)
    except ValueError:
        pass
    return today_local().replace(day=1)


@bp.route("/mine")
@require("shifts.own")
def mine():
    month = _month_arg()
    first, last = month, services.month_end(month)
    ids = user_estate_ids()
    entries = services.my_entries(current_user.id, ids, first, last)
    marks = {m.day: m for m in services.marks_between(ids, first, last, user_id=current_user.id)}
    changes = db.session.scalars(select(ChangeRequest).where(
        (ChangeRequest.user_id == current_user.id) | (ChangeRequest.other_user_id == current_user.id))
        .order_by(ChangeRequest.id.desc()).limit(20)).all()
    leave = db.session.scalars(select(LeaveRequest).where(LeaveRequest.user_id == current_user.id)
                               .order_by(LeaveRequest.id.desc()).limit(20)).all()
    clock_form = ClockForm()
    clock_form.estate_id.choices = estate_choices()
    clock_form.estate_id.data = _first_estate()
    return render_template("shifts/mine.html", month=month, entries=entries, day_marks=marks, changes=changes,
                           leave=leave, change_text=services.change_text, clock_form=clock_form,
                           prev=(month - timedelta(days=1)).strftime("%Y-%m"),
                           next=services.next_month(month).strftime("%Y-%m"), **LABELS)


# -- monthly reports ---------------------------------------------------------------------------
@bp.route("/reports", methods=["GET", "POST"])
@require("shifts.view")
def reports():
    if request.method == "POST":
        if not has_permission("shifts.approve"):
            abort(403)
        form = ClockForm()
        form.estate_id.choices = estate_choices()
        made = {}

        def act():
            if form.estate_id.data not in user_estate_ids():
                raise DomainError(_("Choose one of your estates."), "estate_id")
            estate = db.session.get(Estate, form.estate_id.data)
            made["r"] = services.prepare_report(estate, services.estate_today(estate))
            return _("Attendance report prepared: check it and confirm it.")

        return record_action(form, act, redirect_to=lambda: url_for("shifts.report", report_id=made["r"].id),
                             flash_unplaced=True,
                             rerender=lambda f: _back_with_errors(f, url_for("shifts.reports")))
    rows = db.session.scalars(scoped(AttendanceReport, estate_ids=current_estate_ids())
                              .order_by(AttendanceReport.month.desc(), AttendanceReport.estate_id).limit(120)).all()
    form = ClockForm()
    form.estate_id.choices = estate_choices()
    return render_template("shifts/reports.html", rows=rows, form=form, **LABELS)


def _lines(report):
    return db.session.scalars(select(ReportLine).where(ReportLine.report_id == report.id)
                              .order_by(ReportLine.name, ReportLine.id)).all()


@bp.route("/reports/<int:report_id>")
@require("shifts.view")
def report(report_id):
    row = get_scoped_or_404(AttendanceReport, report_id)
    if export_format(("xlsx",)):
        return _report_export(row)
    return render_template("shifts/report.html", report=row, lines=_lines(row), form=NoteForm(prefix="confirm"),
                           **LABELS)


def _report_export(report):
    if not has_permission("core.export"):
        abort(403)
    headers = [_("Member of staff"), _("Shifts"), str(MARK_LABELS["present"]), str(MARK_LABELS["late"]),
               str(MARK_LABELS["leave"]), str(MARK_LABELS["absent"]), _("Not marked"), _("Overtime hours")]
    rows = [[x.name, x.shifts, x.present, x.late, x.leave, x.absent, x.unmarked, x.overtime_hours]
            for x in _lines(report)]
    name = f"attendance-{report.month:%Y-%m}.xlsx"
    return Response(xlsx_bytes(_("Attendance report"), headers, rows),
                    mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.route("/reports/<int:report_id>/<any(confirm, recompute):action>", methods=["POST"])
@require("shifts.approve")
def report_action(report_id, action):
    row = get_scoped_or_404(AttendanceReport, report_id)
    form = NoteForm(prefix="confirm")

    def act():
        if action == "confirm":
            services.confirm_report(current_user, row, note=form.note.data or "")
            return _("Report confirmed and frozen; administration and HR are told.")
        services.recompute(current_user, row)
        return _("Report recomputed.")

    back = url_for("shifts.report", report_id=report_id)
    return record_action(form, act, redirect_to=back, flash_unplaced=True,
                         rerender=lambda f: _back_with_errors(f, back))


@bp.route("/reports/<int:report_id>/print")
@require("shifts.view")
def report_print(report_id):
    row = get_scoped_or_404(AttendanceReport, report_id)
    return render_template("shifts/report_print.html", report=row, lines=_lines(row), **LABELS)
