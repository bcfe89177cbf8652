"""Log in, log out, language, own profile and password."""

from __future__ import annotations

import ipaddress
from datetime import datetime, timedelta
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
from sqlalchemy import func, select
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from core.extensions import db
from core.forms import Form, options
from core.models import LoginAttempt, User, utcnow
from core.models.auth import verify_login
from core.redirects import safe_next

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


def client_address() -> str:
    """The address a login comes from, for throttling.

    Behind ``PROPDESK_TRUSTED_PROXIES`` = n reverse proxies (nginx…), the n-th address
    from the right of ``X-Forwarded-For`` (the one the nearest trusted proxy saw);
    otherwise the socket's peer. Without it every login behind a proxy would share
    the proxy's address."""
    hops = current_app.config.get("PROPDESK_TRUSTED_PROXIES") or 0
    address = request.remote_addr or "?"
    if hops > 0:
        forwarded = [a.strip() for a in request.headers.get("X-Forwarded-For", "").split(",") if a.strip()]
        if len(forwarded) >= hops:
            try:
                address = str(ipaddress.ip_address(forwarded[-hops]))
            except ValueError:  # not an address: keep the peer's
                pass
    return address[:64]


def too_many_failures(username: str, address: str, now: datetime | None = None) -> bool:
    """Whether a login for ``username`` from ``address`` is refused for now.

    Two limits within ``PROPDESK_LOGIN_WINDOW_MINUTES``: ``PROPDESK_LOGIN_MAX_FAILURES``
    failures for this account *from this address* (a guesser elsewhere cannot lock the
    owner out at their desk), and ``PROPDESK_LOGIN_MAX_FAILURES_PER_ADDRESS`` failures
    from this address over all accounts (one address trying many accounts)."""
    cfg = current_app.config
    since = (now or utcnow()) - timedelta(minutes=cfg["PROPDESK_LOGIN_WINDOW_MINUTES"])
    recent = select(func.count()).select_from(LoginAttempt).where(
        LoginAttempt.at >= since, LoginAttempt.address == address)
    if db.session.scalar(recent.where(LoginAttempt.username == username.lower())) >= cfg[
            "PROPDESK_LOGIN_MAX_FAILURES"]:
        return True
    return db.session.scalar(recent) >= cfg["PROPDESK_LOGIN_MAX_FAILURES_PER_ADDRESS"]


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        username = form.username.data.lower()
        address = client_address()
        if too_many_failures(username, address):
            form.add_error(None, _("Too many failed attempts. Wait %(n)s minutes and try again.",
                                   n=current_app.config["PROPDESK_LOGIN_WINDOW_MINUTES"]))
            status = 429
        else:
            user = db.session.scalar(select(User).where(func.lower(User.username) == username))
            # The same hashing work whether the account exists or not (see verify_login).
            if verify_login(user, form.password.data):
                session.clear()
                login_user(user, remember=form.remember.data)
                session.permanent = True  # expires after PERMANENT_SESSION_LIFETIME
                user.last_login_at = utcnow()
                if user.locale:
                    session["locale"] = user.locale
                db.session.commit()
                return redirect(safe_next(request.args.get("next")))
            db.session.add(LoginAttempt(username=username, address=address))
            db.session.commit()
            form.add_error(None, _("Wrong username or password."))
            status = 401
    elif request.method == "POST":
        status = 400
    return render_template("auth/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    # Ends every session of this login, on every device: the cookies still held by a
    # browser (or copied from it), session and remember-me alike, name the old version.
    current_user.end_sessions()
    db.session.commit()
    session.clear()
    logout_user()  # after clear(): it marks the remember-me cookie for deletion
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
    target = request.form.get("next")
    if not target and request.referrer:
        try:
            target = urlsplit(request.referrer).path  # the page the switch was on
        except ValueError:
            target = None
    return redirect(safe_next(target))


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
