"""Administration: staff accounts, roles, modules (plugins) and the audit log."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_user
from sqlalchemy import exists, func, or_, select
from wtforms import (
    BooleanField,
    DateField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Length, Optional, Regexp

from core.errors import DomainError
from core.extensions import db
from core.forms import Form, Phone, options
from core.listing import Column, FilterForm, ListPage
from core.models import AuditLog, Department, Estate, Role, User
from core.models.auth import user_estate
from core.permissions import ROLES, all_permissions, require
from core.plugins import plugins
from core.security import get_scoped_or_404, user_estate_ids

bp = Blueprint("admin", __name__, url_prefix="/admin")


class UserForm(Form):
    username = StringField(_l("Username"), validators=[
        DataRequired(), Length(min=2, max=60),
        Regexp(r"^[A-Za-z0-9_.\-]+$", message=_l("Use letters, digits, dot, dash or underscore."))])
    full_name = StringField(_l("Full name"), validators=[DataRequired(), Length(max=100)])
    phone = StringField(_l("Phone"), validators=[Optional(), Length(max=30), Phone()])
    department_id = SelectField(_l("Department"), coerce=int)
    roles = SelectMultipleField(_l("Roles"), coerce=int)
    estates = SelectMultipleField(_l("Estates"), coerce=int)
    all_estates = BooleanField(_l("Sees every estate (company level)"))
    active = BooleanField(_l("Active"), default=True)
    locale = SelectField(_l("Language"), choices=options([("", _l("Same as the browser")), ("en", "English"),
                                                  ("zh_CN", "简体中文")]), default="",
                         coerce=lambda v: v or "")
    password = PasswordField(_l("New password"), validators=[Optional(), Length(min=8, max=200)])


def _visible_users():
    stmt = select(User)
    if not current_user.all_estates:
        mine = user_estate_ids()
        stmt = stmt.where(or_(
            exists().where(user_estate.c.user_id == User.id, user_estate.c.estate_id.in_(mine)),
            User.id == current_user.id))
    return stmt


@bp.route("/users")
@require("core.users.admin")
def users():
    page = ListPage(_visible_users(), [
        Column("username", _l("Username"), lambda u: u.username, User.username,
               link=lambda u: url_for("admin.user_form", user_id=u.id)),
        Column("full_name", _l("Full name"), lambda u: u.full_name, User.full_name),
        Column("roles", _l("Roles"), lambda u: ", ".join(str(ROLES.get(r.code, r.name)) for r in u.roles)),
        Column("estates", _l("Estates"), lambda u: _("all") if u.all_estates else ", ".join(e.code for e in u.estates)),
        Column("active", _l("Active"), lambda u: _("yes") if u.active else _("no"), User.active),
    ], "username", _("Staff"), "staff")
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("admin/users.html", page=page, result=page.page())


@bp.route("/users/new", methods=["GET", "POST"])
@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@require("core.users.admin")
def user_form(user_id=None):
    user = None
    if user_id:
        user = db.session.scalars(_visible_users().where(User.id == user_id)).first()
        if user is None:
            abort(404)
    form = UserForm(obj=user)
    form.department_id.choices = [(0, "—")] + [(d.id, d.name) for d in db.session.scalars(
        select(Department).order_by(Department.name))]
    form.roles.choices = [(r.id, str(ROLES.get(r.code, r.name))) for r in db.session.scalars(
        select(Role).order_by(Role.id))]
    mine = user_estate_ids()
    form.estates.choices = [(e.id, f"{e.code} {e.name}") for e in db.session.scalars(
        select(Estate).where(Estate.id.in_(mine)).order_by(Estate.code))] if mine else []
    if request.method == "GET" and user is not None:
        form.roles.data = [r.id for r in user.roles]
        form.estates.data = [e.id for e in user.estates]
        form.department_id.data = user.department_id or 0
        form.locale.data = user.locale or ""
    if form.locale.data is None:  # no language chosen yet = the browser's
        form.locale.data = ""
    if form.validate_on_submit():
        dup = db.session.scalar(select(User.id).where(func.lower(User.username) == form.username.data.lower()))
        if dup and (user is None or dup != user.id):
            form.add_error("username", _("This username is taken."))
        elif user is None and not form.password.data:
            form.add_error("password", _("A new account needs a password of at least 8 characters."))
        elif form.all_estates.data and not current_user.all_estates:
            form.add_error("all_estates", _("Only company-level staff can grant every estate."))
        elif user is not None and user.id == current_user.id and not form.active.data:
            form.add_error("active", _("You cannot deactivate your own account."))
        else:
            if user is None:
                user = User(password_hash="")
                db.session.add(user)
            user.username = form.username.data
            user.full_name = form.full_name.data
            user.phone = form.phone.data or ""
            user.department_id = form.department_id.data or None
            user.all_estates = form.all_estates.data
            if user.active and not form.active.data:
                user.end_sessions()  # deactivated: signed out everywhere, even if reactivated later
            user.active = form.active.data
            user.locale = form.locale.data or None
            user.roles = list(db.session.scalars(select(Role).where(Role.id.in_(form.roles.data or []))))
            # Estates outside the admin's own scope are kept as they were.
            keep = [e for e in user.estates if e.id not in mine]
            user.estates = keep + list(db.session.scalars(
                select(Estate).where(Estate.id.in_([i for i in form.estates.data or [] if i in mine]))))
            if form.password.data:
                user.set_password(form.password.data)  # signs that login out everywhere
            db.session.commit()
            if user.id == current_user.id and form.password.data:
                login_user(user)  # but not the administrator who changed their own password here
            flash(_("Account %(u)s saved.", u=user.username), "success")
            return redirect(url_for("admin.users"))
    return render_template("admin/user_form.html", form=form, user=user)


@bp.route("/roles")
@require("core.roles.admin")
def roles():
    roles = db.session.scalars(select(Role).order_by(Role.id)).all()
    return render_template("admin/roles.html", roles=roles, role_names=ROLES)


@bp.route("/roles/<int:role_id>", methods=["GET", "POST"])
@require("core.roles.admin")
def role_form(role_id):
    role = db.session.get(Role, role_id)
    if role is None:
        abort(404)
    perms = all_permissions()
    known = {p.code for p in perms}
    if request.method == "POST":
        # CSRFProtect has checked the token already, as for every POST.
        chosen = set(request.form.getlist("permissions"))
        unknown = chosen - known
        if unknown:
            flash(_("Unknown permission: %(codes)s. Nothing was saved.", codes=", ".join(sorted(unknown))),
                  "danger")
        else:
            # Codes of plugins not loaded right now are kept, not silently dropped.
            role.set_permissions(chosen | (role.permission_codes - known))
            db.session.commit()
            flash(_("Role %(r)s saved.", r=ROLES.get(role.code, role.name)), "success")
            return redirect(url_for("admin.roles"))
    groups: dict[str, list] = {}
    for p in sorted(perms, key=lambda p: p.code):
        groups.setdefault(p.code.split(".", 1)[0], []).append(p)
    pm = plugins()
    group_names = {"core": _("Core")}
    group_names.update({code: info.title for code, info in pm.infos.items() if info.manifest})
    return render_template("admin/role_form.html", role=role, groups=groups, role_names=ROLES,
                           group_names=group_names)


@bp.route("/plugins", endpoint="plugins")
@require("core.plugins.admin")
def plugins_page():
    pm = plugins()
    rows = []
    for code, info in sorted(pm.infos.items(), key=lambda kv: (kv[1].manifest.sequence if kv[1].manifest else 999, kv[0])):
        if info.skip_reason:
            state = "skipped"
        elif code in pm.enabled:
            state = "enabled"
        else:
            state = "disabled"
        rows.append({"code": code, "info": info, "m": info.manifest, "state": state,
                     "reason": info.skip_reason or pm.state_reasons.get(code, "")})
    return render_template("admin/plugins.html", rows=rows)


@bp.route("/plugins/<code>/<action>", methods=["POST"])
@require("core.plugins.admin")
def plugin_action(code, action):
    from core import site

    try:
        if action == "enable":
            changed = site.enable(code, current_user)
            extra = [c for c in changed if c != code]
            if extra:
                flash(_("Enabled %(code)s and what it needs: %(deps)s.", code=code, deps=", ".join(extra)), "success")
            else:
                flash(_("Module %(code)s is enabled.", code=code), "success")
        elif action == "disable":
            site.disable(code, current_user)
            flash(_("Module %(code)s is disabled. Its data is kept.", code=code), "success")
        else:
            abort(404)
    except DomainError as exc:
        db.session.rollback()
        flash(str(exc.message), "danger")
    return redirect(url_for("admin.plugins"))


class DepartmentForm(Form):
    code = StringField(_l("Code"), validators=[
        DataRequired(), Length(max=40),
        Regexp(r"^[a-z][a-z0-9_]*$", message=_l("Use lower-case letters, digits and underscores."))])
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=100)])


@bp.route("/departments", methods=["GET", "POST"])
@bp.route("/departments/<int:dept_id>", methods=["GET", "POST"])
@require("core.users.admin")
def departments(dept_id=None):
    dept = db.session.get(Department, dept_id) if dept_id else None
    if dept_id and dept is None:
        abort(404)
    form = DepartmentForm(obj=dept)
    if form.validate_on_submit():
        dup = db.session.scalar(select(Department.id).where(Department.code == form.code.data))
        if dup and (dept is None or dup != dept.id):
            form.add_error("code", _("Another department has this code."))
        else:
            if dept is None:
                dept = Department()
                db.session.add(dept)
            form.populate_obj(dept)
            db.session.commit()
            flash(_("Department %(name)s saved.", name=dept.name), "success")
            return redirect(url_for("admin.departments"))
    rows = db.session.scalars(select(Department).order_by(Department.code)).all()
    return render_template("admin/departments.html", form=form, dept=dept, rows=rows)


AUDIT_ACTIONS = {"insert": _l("created"), "update": _l("changed"), "void": _l("voided"),
                 "delete": _l("removed")}


class AuditFilter(FilterForm):
    table = StringField(_l("Table"))
    record = StringField(_l("Record id"))
    user = StringField(_l("User"))
    day_from = DateField(_l("From"), validators=[Optional()])
    day_to = DateField(_l("To"), validators=[Optional()])


def _audit_rows(ids):
    """The listed columns of these audit entries as plain rows (the page and its exports)."""
    return db.session.execute(
        select(AuditLog.id, AuditLog.at, AuditLog.action, AuditLog.table_name, AuditLog.record_id,
               AuditLog.changes, User.username)
        .outerjoin(User, User.id == AuditLog.user_id).where(AuditLog.id.in_(ids))).all()


@bp.route("/audit")
@require("core.audit.view")
def audit():
    filters = AuditFilter(request.args)
    filters.validate()
    stmt = select(AuditLog)
    if not current_user.all_estates:
        stmt = stmt.where(AuditLog.estate_id.in_(user_estate_ids()))
    if filters.table.data:
        stmt = stmt.where(AuditLog.table_name == filters.table.data.strip())
    if filters.record.data:
        stmt = stmt.where(AuditLog.record_id == filters.record.data.strip())
    if filters.user.data:
        stmt = stmt.where(AuditLog.user_id.in_(select(User.id).where(User.username == filters.user.data.strip())))
    from zoneinfo import ZoneInfo

    from core.i18n import estate_timezone

    tz = ZoneInfo(estate_timezone())
    if filters.day_from.data and not filters.day_from.errors:
        stmt = stmt.where(AuditLog.at >= datetime.combine(filters.day_from.data, time(), tz))
    if filters.day_to.data and not filters.day_to.errors:
        stmt = stmt.where(AuditLog.at < datetime.combine(filters.day_to.data + timedelta(days=1), time(), tz))
    page = ListPage(stmt, [
        Column("at", _l("When"), lambda a: a.at, AuditLog.at, fmt="datetime"),
        Column("user", _l("Who"), lambda a: a.username or _("system")),
        Column("action", _l("Action"), lambda a: str(AUDIT_ACTIONS.get(a.action, a.action)), AuditLog.action),
        Column("table", _l("Table"), lambda a: a.table_name, AuditLog.table_name),
        Column("record", _l("Record"), lambda a: a.record_id),
        Column("changes", _l("Changes"), lambda a: "; ".join(
            f"{k}: {v[0]} → {v[1]}" for k, v in (a.changes or {}).items()), css="wrap"),
    ], "-at", _("Audit log"), "audit", rows=_audit_rows)
    if fmt := page.wants_export():
        return page.export(fmt)
    return render_template("admin/audit.html", page=page, result=page.page(), filters=filters)


__all__ = ["bp", "get_scoped_or_404"]
