"""Log in, log out, language, own profile and password."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user
from sqlalchemy import func, or_, select
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from core.extensions import db
from core.forms import Form, options
from core.models import LoginAttempt, User, utcnow

bp = Blueprint("auth", __name__)


class LoginForm(Form):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=60)])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)])
    remember = BooleanField(_l("Keep me signed in on this computer"))


class PasswordForm(Form):
    current = PasswordField(_l("Current password"), validators=[DataRequired()])
    new = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=8, max=200)])
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[DataRequired(), EqualTo("new", message=_l("The two passwords differ."))],
    )


class LanguageForm(Form):
    locale = SelectField(_l("Language"), choices=options([("en", "English"), ("zh_CN", "简体中文")]))


def _client_address() -> str:
    return (request.remote_addr or "?")[:64]


def _too_many_failures(username: str) -> bool:
    cfg = current_app.config
    since = utcnow() - timedelta(minutes=cfg["PROPDESK_LOGIN_WINDOW_MINUTES"])
    failures = db.session.scalar(
        select(func.count()).select_from(LoginAttempt).where(
            LoginAttempt.at >= since,
            or_(LoginAttempt.username == username.lower(), LoginAttempt.address == _client_address()),
        )
    )
    return failures >= cfg["PROPDESK_LOGIN_MAX_FAILURES"]


def _safe_next(target: str | None) -> str:
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/") and not target.startswith("//"):
            return target
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        username = form.username.data.lower()
        if _too_many_failures(username):
            form.add_error(None, _("Too many failed attempts. Wait %(n)s minutes and try again.",
                                   n=current_app.config["PROPDESK_LOGIN_WINDOW_MINUTES"]))
            status = 429
        else:
            user = db.session.scalar(select(User).where(func.lower(User.username) == username))
            if user is not None and user.active and user.check_password(form.password.data):
                session.clear()
                login_user(user, remember=form.remember.data)
                session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME
                user.last_login_at = utcnow()
                if user.locale:
                    session["locale"] = user.locale
                db.session.commit()
                return redirect(_safe_next(request.args.get("next")))
            db.session.add(LoginAttempt(username=username, address=_client_address()))
            db.session.commit()
            form.add_error(None, _("Wrong username or password."))
            status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    logout_user()
    session.clear()
    flash(_("You have signed out."), "info")
    return redirect(url_for("auth.login"))


@bp.route("/language", methods=["POST"])
def set_language():
    form = LanguageForm()
    if form.validate_on_submit():
        session["locale"] = form.locale.data
        if current_user.is_authenticated:
            current_user.locale = form.locale.data
            db.session.commit()
    return redirect(_safe_next(request.form.get("next") or request.referrer and urlsplit(request.referrer).path))


@bp.route("/profile", methods=["GET", "POST"])
@login_required
def profile():
    form = PasswordForm()
    if form.validate_on_submit():
        if not current_user.check_password(form.current.data):
            form.add_error("current", _("The current password is wrong."))
        else:
            current_user.set_password(form.new.data)
            db.session.commit()
            login_user(current_user._get_current_object())  # re-issue the session with the new version
            flash(_("Your password was changed. Other sessions were signed out."), "success")
            return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", form=form, language_form=LanguageForm(
        locale=current_user.locale or "en"))
